"""Deterministic ERP contents: customers (matched to the Salesforce accounts), items, price lists, sales orders,
invoices, and the REST API's usage events and payments.

Every choice comes from ``random.Random`` seeded with the seed number and a salt per table, and every timestamp
lies in the three years before ``SEED_END`` (the Salesforce seed's fixed end), so a seed number, a scale and the
same Salesforce accounts always give the same rows. Totals are consistent with lines (``line_amount = round(
quantity * unit_price * (1 - discount_pct / 100), 2)``, ``subtotal = sum(line_amount)``, ``total_amount =
subtotal + tax_amount``); the dirt a real ERP has is put in on purpose (see docs/SANDBOX_ERP.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .database import Cursor

SEED_END = dt.datetime(2025, 6, 1)  # the Salesforce seed's end (sandbox/salesforce/seed.py): both share one history
FIRST_NAMES = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "Sean", "Aoife", "José",
               "Zoë", "François", "Søren", "Björn", "Priya", "Wei", "Yuki", "Fatima", "Chloé", "Łukasz", "太郎"]
LAST_NAMES = ["Smith", "Johnson", "Brown", "Garcia", "O'Brien", "Müller", "Nuñez", "Schröder", "D'Angelo",
              "van der Berg", "Kowalski", "Nakamura", "Okafor", "Singh", "Chen", "Dubois", "Ivanova", "山田"]
COMPANY_ROOTS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Tyrell", "Nakatomi", '"Big" Co',
                 "O'Brien & Sons", "Smith, Jones and Partners", "Zürich Versicherungs", "São Paulo Logística",
                 "東京 Trading", "Müller Maschinenbau", "Crème Brûlée Bakery", "Ærø Shipping", "Kraków Stal"]
COMPANY_SUFFIXES = ["Inc", "LLC", "Ltd", "GmbH", "Group", "Corp", "SA", "AG", "S.A.", "Sp. z o.o."]
LOCATIONS = [
    ("San Francisco", "CA", "94105", "United States"), ("New York", "NY", "10001", "United States"),
    ("Zürich", "ZH", "8001", "Switzerland"), ("São Paulo", "SP", "01000-000", "Brazil"),
    ("東京", "東京都", "100-0001", "Japan"), ("München", "BY", "80331", "Germany"),
    ("London", None, "EC1A 1BB", "United Kingdom"), ("Dublin", None, "D02 X285", "Ireland"),
    ("Montréal", "QC", "H2Y 1C6", "Canada"), ("Kraków", None, "30-001", "Poland"),
]
STREETS = ["Main St", "Market Street", "Bahnhofstrasse", "Rua Augusta", "High Street", "Rue de la Paix", "Elm Ave"]

SPAN = dt.timedelta(days=3 * 365)
BASE_COUNTS = {"items": 150, "sales_orders": 4000, "usage_events": 20000}
CURRENCY_BY_COUNTRY = {"United States": "USD", "Canada": "USD", "Brazil": "USD", "Japan": "USD",
                       "Switzerland": "EUR", "Germany": "EUR", "Ireland": "EUR", "Poland": "EUR",
                       "United Kingdom": "GBP"}
TAX_RATES = {"USD": Decimal("0.07"), "EUR": Decimal("0.19"), "GBP": Decimal("0.20")}
PRICE_LISTS = [  # code, name, currency, factor on the list price
    ("STD-USD", "Standard USD", "USD", Decimal("1")), ("STD-EUR", "Standard EUR", "EUR", Decimal("0.92")),
    ("STD-GBP", "Standard GBP", "GBP", Decimal("0.79")), ("PARTNER-USD", "Partner USD", "USD", Decimal("0.85")),
]
PAYMENT_TERMS = ["NET30", "NET30", "NET30", "NET45", "NET60", "DUE_ON_RECEIPT"]
TERMS_DIRT = {"NET30": "Net 30", "NET45": "net45 ", "NET60": "NET 60", "DUE_ON_RECEIPT": "due on receipt"}
FAMILIES = {  # family: (unit of measure, price range, product nouns)
    "HW": ("EA", (50, 5000), ["Gateway", "Sensor", "Edge Router", "Rack Server", "Câmera Module", "Überwachung Unit"]),
    "SW": ("EA", (100, 20000), ["Analytics Suite", "Data Connector", "Perpetual License", "Reporting Add-on"]),
    "SUB": ("MO", (10, 500), ["Cloud Seat", "Storage Plan", "API Access Tier", "Support Plan"]),
    "SVC": ("HR", (100, 250), ["Implementation", "Training", "Consulting", "Données Migration"]),
}
ADJECTIVES = ["Basic", "Standard", "Pro", "Enterprise", "Premium", "Lite", "Plus", "Ultra", "Compact", "XL"]
ORDER_STATUSES = ["draft", "open", "shipped", "invoiced", "cancelled"]
PAYMENT_METHODS = ["ach", "wire", "card", "check"]
EVENT_TYPES = {"SUB": "active_seat", "SW": "api_call", "HW": "device_heartbeat", "SVC": "storage_gb_hour"}
CONTACT_ROLES = ["Billing", "Purchasing", "Accounts Payable", "Primary", None]
CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    return q2(quantity * unit_price * (1 - discount_pct / 100))


def terms_days(terms: str) -> int:
    digits = "".join(ch for ch in terms if ch.isdigit())
    return int(digits) if digits else 0


def canonical(code: str) -> str:
    return code.strip().lower()


def counts(scale: float) -> dict[str, int]:
    return {
        "items": max(25, round(BASE_COUNTS["items"] * scale)),
        "sales_orders": max(20, round(BASE_COUNTS["sales_orders"] * scale)),
        "usage_events": max(100, round(BASE_COUNTS["usage_events"] * scale)),
    }


@dataclass
class Catalogue:
    """Items and price lists, with each list's prices: what order lines are priced from."""

    items: list[dict]
    price_lists: list[dict]
    prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (price_list_id, item_id) -> unit price

    def price_list_for(self, rng: random.Random, currency: str) -> dict:
        currency = currency.upper()
        if currency == "USD" and rng.random() < 0.1:
            return next(p for p in self.price_lists if p["code"] == "PARTNER-USD")
        return next(p for p in self.price_lists if p["code"] == f"STD-{currency}")


@dataclass
class Seeded:
    tables: dict[str, list[dict]]
    catalogue: Catalogue


# --- customers ----------------------------------------------------------------------------------------------------

def _seed_time(rng: random.Random, earliest: dt.datetime, latest: dt.datetime) -> dt.datetime:
    seconds = max(0, int((latest - earliest).total_seconds()))
    return earliest + dt.timedelta(seconds=rng.randint(0, seconds))


def make_customer(rng: random.Random, customer_id: int, number: str, name: str, location: tuple,
                  street: str | None, created_at: dt.datetime, modified_at: dt.datetime) -> dict:
    city, state, postal, country = location
    currency = CURRENCY_BY_COUNTRY.get(country or "", "USD")
    terms = rng.choice(PAYMENT_TERMS)
    if rng.random() < 0.05:
        terms = TERMS_DIRT[terms]
    return {
        "customer_id": customer_id, "customer_number": number, "name": name, "billing_street": street,
        "billing_city": city, "billing_state": state, "billing_postal_code": postal, "billing_country": country,
        "currency": currency, "payment_terms": terms,
        "credit_limit": None if rng.random() < 0.15 else Decimal(rng.choice([5000, 10000, 25000, 50000, 250000])),
        "tax_id": None if rng.random() < 0.4 else f"{(country or 'XX')[:2].upper()}{rng.randint(10**8, 10**9 - 1)}",
        "created_at": created_at, "modified_at": modified_at, "is_deleted": False, "deleted_at": None,
    }


def erp_only_name(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_ROOTS)} {rng.choice(['Trading', 'Services', 'Industries', 'Handel'])} " \
           f"{rng.choice(COMPANY_SUFFIXES)}"


def random_street(rng: random.Random) -> str:
    return f"{rng.randint(1, 999)} {rng.choice(STREETS)}"


def _customers(seed: int, accounts: list[dict]) -> list[dict]:
    rng = random.Random(f"erp:{seed}:customers")
    start = SEED_END - SPAN
    drafts = []
    keyed = sorted((a for a in accounts if a.get("Customer_Key__c")), key=lambda a: a["Customer_Key__c"])
    for account in keyed:
        if rng.random() < 0.08:  # Salesforce-only: a prospect the ERP never billed
            continue
        number, name = account["Customer_Key__c"], account["Name"]
        dirt = rng.random()
        if dirt < 0.03:
            number = number.lower()
        elif dirt < 0.05:
            number = number + " "
        dirt = rng.random()
        if dirt < 0.04:
            name = name + "  "
        elif dirt < 0.07:
            name = name.upper()
        location = (account.get("BillingCity"), account.get("BillingState"), account.get("BillingPostalCode"),
                    account.get("BillingCountry"))
        drafts.append((number, name, location, account.get("BillingStreet")))
    for k in range(max(2, round(0.1 * len(drafts)))):  # ERP-only customers (billed, never in the CRM)
        location = rng.choice(LOCATIONS)
        street = None if rng.random() < 0.1 else random_street(rng)
        drafts.append((f"CUST-{900001 + k}", erp_only_name(rng), location, street))
    stamped = []
    for number, name, location, street in drafts:
        created = _seed_time(rng, start, SEED_END - dt.timedelta(days=60))
        modified = _seed_time(rng, created, SEED_END)
        stamped.append((created, number, name, location, street, modified))
    stamped.sort(key=lambda row: (row[0], row[1]))
    customers = []
    for customer_id, (created, number, name, location, street, modified) in enumerate(stamped, start=1):
        customer = make_customer(rng, customer_id, number, name, location, street, created, modified)
        if rng.random() < 0.02:
            customer.update(is_deleted=True, deleted_at=modified)
        customers.append(customer)
    if customers and not any(c["is_deleted"] for c in customers):
        # a small ERP can draw none at 2 %: keep one soft-deleted customer so every scale has the case to handle
        chosen = customers[rng.randrange(len(customers))]
        chosen.update(is_deleted=True, deleted_at=chosen["modified_at"])
    return customers


def make_contacts(rng: random.Random, customer: dict, first_id: int) -> list[dict]:
    contacts = []
    domain = "".join(ch for ch in customer["name"].lower() if ch.isascii() and ch.isalnum())[:20] or "example"
    for k in range(rng.randint(1, 3)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = None
        if rng.random() > 0.1:
            local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == "."))
            email = f"{local or 'info'}@{domain}.example.com"
            if rng.random() < 0.05:
                email = email.upper()
        created = _seed_time(rng, customer["created_at"], max(customer["created_at"], customer["modified_at"]))
        contacts.append({
            "contact_id": first_id + k, "customer_id": customer["customer_id"],
            "first_name": None if rng.random() < 0.03 else first, "last_name": last, "email": email,
            "phone": None if rng.random() < 0.3 else f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "role": rng.choice(CONTACT_ROLES), "is_primary": k == 0, "created_at": created, "modified_at": created,
            "is_deleted": False, "deleted_at": None,
        })
    return contacts


# --- items and prices ---------------------------------------------------------------------------------------------

def _catalogue(seed: int, n_items: int) -> Catalogue:
    rng = random.Random(f"erp:{seed}:items")
    start = SEED_END - SPAN
    items = []
    for item_id in range(1, n_items + 1):
        family = list(FAMILIES)[(item_id - 1) % len(FAMILIES)]
        uom, (low, high), nouns = FAMILIES[family]
        created = start + dt.timedelta(days=rng.randint(0, 30))
        clean = rng.random() > 0.06 and item_id != 7
        family_code = family if clean else rng.choice([family.lower(), family.title(), family + " "])
        uom_code = uom if rng.random() > 0.05 else rng.choice([uom.lower(), {"EA": "Each", "MO": "Month",
                                                                            "HR": "Hours"}[uom]])
        items.append({
            "item_id": item_id, "sku": f"{family}-{1000 + item_id}", "name": f"{rng.choice(nouns)} "
            f"{rng.choice(ADJECTIVES)}", "family": family_code, "unit_of_measure": uom_code,
            "list_price": q2(Decimal(rng.randint(low * 100, high * 100)) / 100), "is_active": rng.random() > 0.1,
            "created_at": created, "modified_at": _seed_time(rng, created, SEED_END),
        })
    price_lists, prices = [], {}
    valid_from = (start - dt.timedelta(days=30)).date()
    for price_list_id, (code, name, currency, factor) in enumerate(PRICE_LISTS, start=1):
        created = dt.datetime.combine(valid_from, dt.time(9))
        price_lists.append({"price_list_id": price_list_id, "code": code, "name": name, "currency": currency,
                            "valid_from": valid_from, "valid_to": None, "created_at": created, "modified_at": created})
        for item in items:
            prices[(price_list_id, item["item_id"])] = q2(item["list_price"] * factor)
    return Catalogue(items, price_lists, prices)


def _price_list_items(catalogue: Catalogue) -> list[dict]:
    created = {p["price_list_id"]: p["created_at"] for p in catalogue.price_lists}
    return [{"price_list_id": pl, "item_id": item_id, "unit_price": price, "created_at": created[pl],
             "modified_at": created[pl]} for (pl, item_id), price in sorted(catalogue.prices.items())]


# --- orders, invoices, payments -----------------------------------------------------------------------------------

def make_order(rng: random.Random, catalogue: Catalogue, customer: dict, order_id: int, first_line_id: int,
               order_date: dt.date, created_at: dt.datetime, status: str, with_lines: bool = True
               ) -> tuple[dict, list[dict]]:
    """One sales order and its lines (totals computed from the lines)."""
    currency = customer["currency"]
    price_list = catalogue.price_list_for(rng, currency)
    active = [item for item in catalogue.items if item["is_active"]] or catalogue.items
    lines = []
    for line_number in range(1, (rng.randint(1, 6) if with_lines else 0) + 1):
        item = rng.choice(active)
        family = item["sku"].split("-")[0]
        quantity = Decimal(rng.randint(1, 80 if family == "SVC" else 50))
        discount = Decimal("0") if rng.random() < 0.7 else Decimal(rng.choice(["5", "10", "12.5", "15", "20"]))
        unit_price = catalogue.prices[(price_list["price_list_id"], item["item_id"])]
        lines.append({
            "order_line_id": first_line_id + line_number - 1, "order_id": order_id, "line_number": line_number,
            "item_id": item["item_id"], "description": None if rng.random() < 0.3 else item["name"],
            "quantity": quantity, "unit_price": unit_price, "discount_pct": discount,
            "line_amount": line_amount(quantity, unit_price, discount), "created_at": created_at,
            "modified_at": created_at,
        })
    subtotal = q2(sum((line["line_amount"] for line in lines), Decimal("0")))
    tax = q2(subtotal * TAX_RATES[currency.upper()])
    order = {
        "order_id": order_id, "order_number": f"SO-{100000 + order_id}", "customer_id": customer["customer_id"],
        "order_date": order_date, "status": status, "currency": currency.lower() if rng.random() < 0.02 else currency,
        "price_list_id": price_list["price_list_id"],
        "customer_po": None if rng.random() < 0.4 else f"PO-{rng.randint(10000, 99999)}",
        "subtotal": subtotal, "tax_amount": tax, "total_amount": subtotal + tax, "created_at": created_at,
        "modified_at": created_at, "is_deleted": False, "deleted_at": None,
    }
    return order, lines


def _order_status(rng: random.Random, order_date: dt.date, has_lines: bool) -> str:
    if not has_lines:
        return rng.choice(["draft", "cancelled"])
    if (SEED_END.date() - order_date).days > 30:
        weights = [0, 8, 10, 75, 7]
    else:
        weights = [5, 50, 30, 15, 0]
    status = rng.choices(ORDER_STATUSES, weights)[0]
    dirt = rng.random()
    return status.upper() if dirt < 0.02 else status.title() + " " if dirt < 0.04 else status


def make_invoice(rng: random.Random, order: dict, lines: list[dict], customer: dict, invoice_id: int,
                 first_line_id: int, invoice_date: dt.date, created_at: dt.datetime) -> tuple[dict, list[dict]]:
    """An open invoice for the whole order, its lines copied from the order's lines."""
    invoice = {
        "invoice_id": invoice_id, "invoice_number": f"INV-{200000 + invoice_id}", "order_id": order["order_id"],
        "customer_id": customer["customer_id"], "invoice_date": invoice_date,
        "due_date": invoice_date + dt.timedelta(days=terms_days(customer["payment_terms"])), "status": "open",
        "currency": order["currency"].upper(), "subtotal": order["subtotal"], "tax_amount": order["tax_amount"],
        "total_amount": order["total_amount"], "amount_paid": Decimal("0.00"), "created_at": created_at,
        "modified_at": created_at, "is_deleted": False, "deleted_at": None,
    }
    invoice_lines = [{
        "invoice_line_id": first_line_id + k, "invoice_id": invoice_id, "line_number": line["line_number"],
        "item_id": line["item_id"], "order_line_id": line["order_line_id"], "quantity": line["quantity"],
        "unit_price": line["unit_price"], "discount_pct": line["discount_pct"], "line_amount": line["line_amount"],
        "created_at": created_at, "modified_at": created_at,
    } for k, line in enumerate(lines)]
    return invoice, invoice_lines


def make_payment(payment_number: int, invoice: dict, customer: dict, amount: Decimal, method: str,
                 paid_at: dt.datetime, updated_at: dt.datetime) -> dict:
    return {
        "payment_id": f"PAY-{payment_number:07d}", "invoice_number": invoice["invoice_number"],
        "customer_number": customer["customer_number"].strip().upper(), "amount": amount,
        "currency": invoice["currency"], "method": method, "status": "settled", "paid_at": paid_at,
        "updated_at": updated_at,
    }


def _orders_invoices_payments(seed: int, n_orders: int, customers: list[dict], catalogue: Catalogue) -> dict:
    rng = random.Random(f"erp:{seed}:orders")
    live = [c for c in customers if not c["is_deleted"]]
    end_date = SEED_END.date()
    drafts = []
    for _ in range(n_orders):
        customer = rng.choice(live)
        first_day = customer["created_at"].date()
        order_date = first_day + dt.timedelta(days=rng.randint(0, max(0, (end_date - first_day).days - 1)))
        drafts.append((order_date, rng.randint(8 * 3600, 18 * 3600), customer))
    drafts.sort(key=lambda d: (d[0], d[1], d[2]["customer_id"]))
    tables: dict[str, list[dict]] = {"sales_orders": [], "sales_order_lines": [], "invoices": [],
                                     "invoice_lines": [], "api.payments": []}
    for order_id, (order_date, second, customer) in enumerate(drafts, start=1):
        created = dt.datetime.combine(order_date, dt.time()) + dt.timedelta(seconds=second)
        with_lines = rng.random() > 0.02
        status = _order_status(rng, order_date, with_lines)
        order, lines = make_order(rng, catalogue, customer, order_id, len(tables["sales_order_lines"]) + 1,
                                  order_date, created, status, with_lines)
        order["modified_at"] = min(SEED_END, created + dt.timedelta(seconds=rng.randint(0, 30 * 86400)))
        tables["sales_orders"].append(order)
        tables["sales_order_lines"].extend(lines)
        if canonical(status) == "invoiced" and lines:
            invoice_date = min(end_date - dt.timedelta(days=1), order_date + dt.timedelta(days=rng.randint(0, 10)))
            invoice_created = (dt.datetime.combine(invoice_date, dt.time(6))
                               + dt.timedelta(seconds=rng.randint(0, 36000)))
            invoice, invoice_lines = make_invoice(rng, order, lines, customer, len(tables["invoices"]) + 1,
                                                  len(tables["invoice_lines"]) + 1, invoice_date, invoice_created)
            _settle(rng, invoice, customer, tables["api.payments"])
            order["modified_at"] = max(order["modified_at"], invoice_created)
            tables["invoices"].append(invoice)
            tables["invoice_lines"].extend(invoice_lines)
        if rng.random() < 0.01:
            order.update(is_deleted=True, deleted_at=order["modified_at"])
    return tables


def _settle(rng: random.Random, invoice: dict, customer: dict, payments: list[dict]) -> None:
    """Decide the seeded invoice's fate (paid, partly paid, open, void) and record its payments."""
    overdue = invoice["due_date"] < SEED_END.date()
    fate = rng.choices(["paid", "void", "open", "partial"], [85, 4, 7, 4] if overdue else [20, 0, 60, 20])[0]
    created = invoice["created_at"]
    if fate == "void":
        invoice.update(status="void", modified_at=min(SEED_END, created + dt.timedelta(days=rng.randint(1, 5))))
        return
    if fate == "open":
        return
    total = invoice["total_amount"]
    if fate == "partial":
        amounts = [q2(total * Decimal("0.4"))]
    elif rng.random() < 0.8:
        amounts = [total]
    else:  # paid in two instalments
        amounts = [q2(total * Decimal("0.4")), total - q2(total * Decimal("0.4"))]
    window = (invoice["due_date"] - invoice["invoice_date"]).days + 15
    paid_at = created
    for amount in amounts:
        paid_at = min(SEED_END, paid_at + dt.timedelta(seconds=rng.randint(3600, max(3600, window * 86400))))
        updated = min(SEED_END, paid_at + dt.timedelta(seconds=rng.randint(0, 3 * 86400)))
        payments.append(make_payment(len(payments) + 1, invoice, customer, amount, rng.choice(PAYMENT_METHODS),
                                     paid_at, updated))
    paid = q2(sum(amounts, Decimal("0")))
    invoice.update(amount_paid=paid, status="paid" if paid == total else "open", modified_at=max(created, paid_at))


# --- usage events -------------------------------------------------------------------------------------------------

def event_id(seed: int, number: int) -> str:
    return "evt_" + hashlib.sha1(f"{seed}:{number}".encode()).hexdigest()[:20]


def make_usage_event(rng: random.Random, event_number: int, seed: int, customer: dict, item: dict,
                     occurred_at: dt.datetime, received_at: dt.datetime) -> dict:
    family = item["sku"].split("-")[0]
    quantity = {"SUB": lambda: rng.randint(1, 50), "SW": lambda: rng.randint(1, 10000),
                "HW": lambda: 1, "SVC": lambda: rng.randint(1, 500)}[family]()
    return {
        "event_id": event_id(seed, event_number), "customer_number": customer["customer_number"].strip().upper(),
        "sku": item["sku"], "event_type": EVENT_TYPES[family], "quantity": Decimal(quantity),
        "occurred_at": occurred_at, "received_at": received_at,
    }


def _usage_events(seed: int, n_events: int, customers: list[dict], catalogue: Catalogue) -> list[dict]:
    rng = random.Random(f"erp:{seed}:usage")
    live = [c for c in customers if not c["is_deleted"]]
    events = []
    for number in range(1, n_events + 1):
        occurred = SEED_END - dt.timedelta(seconds=rng.randint(3600, 90 * 86400))
        delay = rng.randint(86400, 5 * 86400) if rng.random() < 0.02 else rng.randint(0, 600)
        events.append(make_usage_event(rng, number, seed, rng.choice(live), rng.choice(catalogue.items),
                                       occurred, occurred + dt.timedelta(seconds=delay)))
    events.sort(key=lambda e: (e["received_at"], e["event_id"]))
    return events


# --- all of it ----------------------------------------------------------------------------------------------------

def generate(seed: int, scale: float, accounts: list[dict]) -> Seeded:
    """Every table's rows for ``seed``, ``scale`` and the Salesforce ``accounts`` (``org.rows("Account")``)."""
    sizes = counts(scale)
    customers = _customers(seed, accounts)
    rng = random.Random(f"erp:{seed}:contacts")
    contacts: list[dict] = []
    for customer in customers:
        contacts.extend(make_contacts(rng, customer, len(contacts) + 1))
    catalogue = _catalogue(seed, sizes["items"])
    tables = {"customers": customers, "customer_contacts": contacts, "items": catalogue.items,
              "price_lists": catalogue.price_lists, "price_list_items": _price_list_items(catalogue)}
    tables.update(_orders_invoices_payments(seed, sizes["sales_orders"], customers, catalogue))
    tables["api.usage_events"] = _usage_events(seed, sizes["usage_events"], customers, catalogue)
    return Seeded(tables, catalogue)


def insert(cur: Cursor, table: str, rows: list[dict]) -> None:
    if rows:
        columns = list(rows[0])
        cur.insert_rows(table, columns, [[row[c] for c in columns] for row in rows])
