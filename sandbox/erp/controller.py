"""The ERP's Python control API (the service's controller): true contents, and changes that bump ``modified_at``.

    erp = sb.controller("erp")
    erp.count("sales_orders"); erp.rows("customers", "is_deleted = %s", (True,))
    erp.touch_orders(5); erp.soft_delete_customers(2); erp.add_orders(3, days_ago=10)
    erp.pay_invoices(2); erp.add_usage_events(50); erp.drop_invoices(); erp.set_rate_limit(5)

Every change is stamped with ``now()``: the Salesforce org's clock when there is one, so both systems share time
(freeze or advance ``org.clock`` to control it). Which rows a change picks is deterministic (seed and call count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from . import seed as erp_seed
from .database import ErpDatabase
from .file_drops import DropFile, FileDrops
from .ratelimit import RateLimiter
from .schema import TABLES, create_statements


def api_token(seed: int) -> str:
    return "erp-sandbox-" + hashlib.sha256(f"erp-api:{seed}".encode()).hexdigest()[:32]


def ensure_seeded(db: ErpDatabase, seed: int, scale: float, accounts) -> tuple[int, float]:
    """Create and fill the tables unless done before (one transaction); the stored (seed, scale)."""
    if not db.table_exists("erp_settings"):
        seeded = erp_seed.generate(seed, scale, accounts() if callable(accounts) else accounts)
        with db.transaction() as cur:
            for statement in create_statements():
                cur.execute(statement)
            for table in TABLES:
                erp_seed.insert(cur, table, seeded.tables.get(table, []))
            cur.execute("INSERT INTO erp_settings VALUES (%s, %s), (%s, %s)", ("seed", str(seed), "scale", str(scale)))
    settings = {row["key"]: row["value"] for row in db.query("SELECT key, value FROM erp_settings")}
    return int(settings["seed"]), float(settings["scale"])


class ErpController:
    def __init__(self, db: ErpDatabase, *, seed: int, clock, drops: FileDrops, limiter: RateLimiter, token: str):
        self.db = db
        self.seed = seed
        self.clock = clock
        self.drops = drops
        self.limiter = limiter
        self.api_token = token
        self._calls = 0

    # --- reading ----------------------------------------------------------------------------------------------

    @property
    def dsn(self) -> str:
        return self.db.dsn

    @property
    def backend(self) -> str:
        return self.db.backend

    @property
    def drop_dir(self):
        return self.drops.drop_dir

    def now(self) -> dt.datetime:
        return self.clock.now()

    def rows(self, table: str, where_sql: str | None = None, params=(), order_by: str | None = None) -> list[dict]:
        """A table's stored rows (soft-deleted included), optionally filtered (``%s`` placeholders)."""
        _check_table(table)
        sql = f"SELECT * FROM {table}" + (f" WHERE {where_sql}" if where_sql else "")
        return self.db.query(sql + f" ORDER BY {order_by or '1'}", params)

    def count(self, table: str, where_sql: str | None = None, params=()) -> int:
        _check_table(table)
        return int(self.db.scalar(f"SELECT count(*) FROM {table}" + (f" WHERE {where_sql}" if where_sql else ""),
                                  params))

    # --- changing ---------------------------------------------------------------------------------------------

    def touch_customers(self, n: int = 1) -> list[str]:
        """Change ``n`` live customers (credit limit, payment terms); returns their customer numbers."""
        rng, now = self._rng(), self.now()
        picked = self._pick(rng, "SELECT customer_id, customer_number, credit_limit FROM customers "
                                 "WHERE NOT is_deleted ORDER BY customer_id", n)
        with self.db.transaction() as cur:
            for row in picked:
                limit = (row["credit_limit"] or Decimal("0")) + Decimal(rng.choice([5000, 10000]))
                cur.execute("UPDATE customers SET credit_limit = %s, payment_terms = %s, modified_at = %s "
                            "WHERE customer_id = %s", (limit, rng.choice(["NET30", "NET45"]), now, row["customer_id"]))
        return [row["customer_number"] for row in picked]

    def touch_orders(self, n: int = 1) -> list[str]:
        """Move ``n`` live orders along (draft -> open -> shipped, new PO number); returns their order numbers."""
        rng, now = self._rng(), self.now()
        picked = self._pick(rng, "SELECT order_id, order_number, status FROM sales_orders WHERE NOT is_deleted "
                                 "ORDER BY order_id", n)
        following = {"draft": "open", "open": "shipped"}
        with self.db.transaction() as cur:
            for row in picked:
                status = following.get(erp_seed.canonical(row["status"]), row["status"])
                cur.execute("UPDATE sales_orders SET status = %s, customer_po = %s, modified_at = %s "
                            "WHERE order_id = %s", (status, f"PO-{rng.randint(10000, 99999)}", now, row["order_id"]))
        return [row["order_number"] for row in picked]

    def soft_delete_customers(self, n: int = 1) -> list[str]:
        return self._soft_delete("customers", "customer_id", "customer_number", n)

    def soft_delete_orders(self, n: int = 1) -> list[str]:
        return self._soft_delete("sales_orders", "order_id", "order_number", n)

    def soft_delete_invoices(self, n: int = 1) -> list[str]:
        return self._soft_delete("invoices", "invoice_id", "invoice_number", n)

    def add_customers(self, n: int = 1) -> list[str]:
        """New ERP-only customers (numbers ``CUST-9xxxxx``) with a contact each; returns their numbers."""
        rng, now = self._rng(), self.now()
        with self.db.transaction() as cur:
            next_id = cur.execute("SELECT coalesce(max(customer_id), 0) + 1 FROM customers").one()[0]
            next_contact = cur.execute("SELECT coalesce(max(contact_id), 0) + 1 FROM customer_contacts").one()[0]
            numbers = [row["customer_number"] for row in cur.execute(
                "SELECT customer_number FROM customers WHERE customer_number LIKE %s", ("CUST-9%",)).all()]
            next_number = max([int(n.strip()[5:]) for n in numbers if n.strip()[5:].isdigit()] + [900000]) + 1
            created = []
            for k in range(n):
                location = rng.choice(erp_seed.LOCATIONS)
                customer = erp_seed.make_customer(rng, next_id + k, f"CUST-{next_number + k}",
                                                  erp_seed.erp_only_name(rng), location,
                                                  erp_seed.random_street(rng), now, now)
                contacts = erp_seed.make_contacts(rng, customer, next_contact)
                next_contact += len(contacts)
                erp_seed.insert(cur, "customers", [customer])
                erp_seed.insert(cur, "customer_contacts", contacts)
                created.append(customer["customer_number"])
        return created

    def add_orders(self, n: int = 1, days_ago: int = 0) -> list[str]:
        """New open orders for live customers, dated ``days_ago`` days before now (late-arriving rows when > 0)
        but created and modified now; returns their order numbers."""
        rng, now = self._rng(), self.now()
        catalogue = self._catalogue()
        customers = self.db.query("SELECT * FROM customers WHERE NOT is_deleted ORDER BY customer_id")
        with self.db.transaction() as cur:
            order_id = cur.execute("SELECT coalesce(max(order_id), 0) + 1 FROM sales_orders").one()[0]
            line_id = cur.execute("SELECT coalesce(max(order_line_id), 0) + 1 FROM sales_order_lines").one()[0]
            created = []
            for k in range(n):
                customer = rng.choice(customers)
                order, lines = erp_seed.make_order(rng, catalogue, customer, order_id + k, line_id,
                                                   (now - dt.timedelta(days=days_ago)).date(), now, "open")
                line_id += len(lines)
                erp_seed.insert(cur, "sales_orders", [order])
                erp_seed.insert(cur, "sales_order_lines", lines)
                created.append(order["order_number"])
        return created

    def pay_invoices(self, n: int = 1) -> list[str]:
        """Settle ``n`` open invoices in full: a payment (REST API) and the invoice marked paid; returns the
        payment ids."""
        rng, now = self._rng(), self.now()
        picked = self._pick(rng, "SELECT i.*, c.customer_number FROM invoices i JOIN customers c USING (customer_id) "
                                 "WHERE i.status = 'open' AND NOT i.is_deleted ORDER BY i.invoice_id", n)
        with self.db.transaction() as cur:
            count = cur.execute("SELECT count(*) FROM api.payments").one()[0]
            created = []
            for k, invoice in enumerate(picked):
                due = invoice["total_amount"] - invoice["amount_paid"]
                payment = erp_seed.make_payment(count + k + 1, invoice, invoice, due, rng.choice(
                    erp_seed.PAYMENT_METHODS), now, now)
                erp_seed.insert(cur, "api.payments", [payment])
                cur.execute("UPDATE invoices SET status = 'paid', amount_paid = total_amount, modified_at = %s "
                            "WHERE invoice_id = %s", (now, invoice["invoice_id"]))
                created.append(payment["payment_id"])
        return created

    def add_usage_events(self, n: int = 1, occurred_at: dt.datetime | None = None) -> list[str]:
        """Events received now (occurred ``occurred_at``, default now: pass an earlier time for late events)."""
        rng, now = self._rng(), self.now()
        catalogue = self._catalogue()
        customers = self.db.query("SELECT customer_number FROM customers WHERE NOT is_deleted ORDER BY customer_id")
        with self.db.transaction() as cur:
            count = cur.execute("SELECT count(*) FROM api.usage_events").one()[0]
            events = [erp_seed.make_usage_event(rng, count + k + 1, self.seed, rng.choice(customers),
                                                rng.choice(catalogue.items), occurred_at or now, now)
                      for k in range(n)]
            erp_seed.insert(cur, "api.usage_events", events)
        return [event["event_id"] for event in events]

    # --- file drops and the REST API --------------------------------------------------------------------------

    def drop_invoices(self, day: dt.date | None = None, since: dt.datetime | None = None) -> DropFile:
        """Write an SAP-style invoices export (see ``FileDrops.drop_invoices``)."""
        return self.drops.drop_invoices(day, since)

    def drop_customers(self, day: dt.date | None = None, since: dt.datetime | None = None) -> DropFile:
        """Write a NetSuite-style customers export (see ``FileDrops.drop_customers``)."""
        return self.drops.drop_customers(day, since)

    def set_rate_limit(self, requests: int, per_seconds: float = 1.0) -> None:
        """REST API: at most ``requests`` per ``per_seconds`` per token (then 429 with Retry-After)."""
        self.limiter.configure(requests, per_seconds)

    # --- helpers ----------------------------------------------------------------------------------------------

    def _rng(self) -> random.Random:
        self._calls += 1
        return random.Random(f"erp:{self.seed}:change:{self._calls}")

    def _pick(self, rng: random.Random, sql: str, n: int) -> list[dict]:
        candidates = self.db.query(sql)
        return rng.sample(candidates, min(n, len(candidates)))

    def _soft_delete(self, table: str, key: str, number: str, n: int) -> list[str]:
        rng, now = self._rng(), self.now()
        picked = self._pick(rng, f"SELECT {key}, {number} FROM {table} WHERE NOT is_deleted ORDER BY {key}", n)
        with self.db.transaction() as cur:
            for row in picked:
                cur.execute(f"UPDATE {table} SET is_deleted = TRUE, deleted_at = %s, modified_at = %s "
                            f"WHERE {key} = %s", (now, now, row[key]))
        return [row[number] for row in picked]

    def _catalogue(self) -> erp_seed.Catalogue:
        items = self.db.query("SELECT * FROM items ORDER BY item_id")
        price_lists = self.db.query("SELECT * FROM price_lists ORDER BY price_list_id")
        prices = {(r["price_list_id"], r["item_id"]): r["unit_price"]
                  for r in self.db.query("SELECT * FROM price_list_items")}
        return erp_seed.Catalogue(items, price_lists, prices)


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise KeyError(f"unknown ERP table {table!r}; known: {', '.join(TABLES)}")
