"""The seeded ERP: tables, keys, totals consistent with lines, customers matching Salesforce, dirt, determinism."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import duckdb

from sandbox.erp import seed as erp_seed
from sandbox.erp.schema import TABLES

from .conftest import SCALE, SEED


def test_printed_lines(erp_sandbox):
    env = erp_sandbox.env()
    keys = list(env)
    assert keys.index("ERP_DSN") < keys.index("ERP_DROP_DIR") < keys.index("ERP_API_URL") < keys.index("ERP_API_TOKEN")
    assert env["ERP_DSN"] == f"duckdb:///{erp_sandbox.state_dir / 'erp.duckdb'}"
    assert env["ERP_API_URL"].startswith("http://127.0.0.1:")


def test_dsn_is_usable_by_another_connection(erp_sandbox, erp):
    path = erp_sandbox.erp_dsn.removeprefix("duckdb:///")
    with duckdb.connect(path, read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()}
        orders = con.execute("SELECT count(*) FROM sales_orders").fetchone()[0]
    assert {f"main.{t}" if "." not in t else t for t in TABLES} <= tables
    assert orders == erp.count("sales_orders") > 0


def test_business_keys_are_unique_and_references_resolve(erp):
    for table, key in [("customers", "customer_number"), ("items", "sku"), ("sales_orders", "order_number"),
                       ("invoices", "invoice_number"), ("api.payments", "payment_id"),
                       ("api.usage_events", "event_id")]:
        values = [row[key] for row in erp.rows(table)]
        assert len(values) == len(set(values)) > 0, table
    assert erp.count("sales_orders", "customer_id NOT IN (SELECT customer_id FROM customers)") == 0
    assert erp.count("sales_order_lines", "item_id NOT IN (SELECT item_id FROM items)") == 0
    assert erp.count("invoices", "order_id NOT IN (SELECT order_id FROM sales_orders)") == 0
    assert erp.count("customer_contacts", "customer_id NOT IN (SELECT customer_id FROM customers)") == 0
    currencies = {row["currency"] for row in erp.rows("price_lists")}
    assert currencies == {"USD", "EUR", "GBP"}
    assert erp.count("price_list_items") == erp.count("price_lists") * erp.count("items")


def test_totals_are_consistent_with_lines(erp):
    lines: dict[int, list[dict]] = {}
    for line in erp.rows("sales_order_lines"):
        lines.setdefault(line["order_id"], []).append(line)
        assert line["line_amount"] == erp_seed.line_amount(line["quantity"], line["unit_price"], line["discount_pct"])
    for order in erp.rows("sales_orders"):
        subtotal = sum((line["line_amount"] for line in lines.get(order["order_id"], [])), Decimal("0"))
        assert order["subtotal"] == subtotal, order["order_number"]
        assert order["total_amount"] == order["subtotal"] + order["tax_amount"]
        assert order["created_at"] <= order["modified_at"]
    invoice_lines: dict[int, Decimal] = {}
    for line in erp.rows("invoice_lines"):
        invoice_lines[line["invoice_id"]] = invoice_lines.get(line["invoice_id"], Decimal("0")) + line["line_amount"]
    paid = Counter()
    for payment in erp.rows("api.payments"):
        paid[payment["invoice_number"]] += payment["amount"]
    for invoice in erp.rows("invoices"):
        assert invoice["subtotal"] == invoice_lines[invoice["invoice_id"]]
        assert invoice["total_amount"] == invoice["subtotal"] + invoice["tax_amount"]
        assert invoice["due_date"] >= invoice["invoice_date"]
        assert invoice["amount_paid"] == paid.get(invoice["invoice_number"], 0)
        if invoice["status"] == "paid":
            assert invoice["amount_paid"] == invoice["total_amount"]
        assert invoice["status"] in {"open", "paid", "void"}


def test_most_customers_match_salesforce_accounts(erp_sandbox, erp):
    salesforce_keys = {a["Customer_Key__c"] for a in erp_sandbox.org.rows("Account") if a["Customer_Key__c"]}
    erp_keys = {row["customer_number"].strip().upper() for row in erp.rows("customers")}
    matched = erp_keys & salesforce_keys
    assert len(matched) >= 0.8 * len(erp_keys)
    assert erp_keys - salesforce_keys, "some customers exist only in the ERP"
    assert salesforce_keys - erp_keys, "some accounts exist only in Salesforce"


def test_realistic_dirt(erp):
    numbers = [row["customer_number"] for row in erp.rows("customers")]
    names = [row["name"] for row in erp.rows("customers")]
    assert any(n != n.strip() or n != n.upper() for n in numbers)
    assert any(not name.isascii() for name in names)
    assert erp.count("sales_orders", "order_id NOT IN (SELECT order_id FROM sales_order_lines)") > 0
    assert erp.count("sales_orders", "status <> lower(trim(status))") > 0
    assert erp.count("items", "family <> upper(trim(family))") > 0
    assert erp.count("customers", "credit_limit IS NULL") > 0
    assert erp.count("customers", "is_deleted") > 0 and erp.count("customers", "is_deleted AND deleted_at IS NULL") == 0


def test_generation_is_deterministic(erp_sandbox):
    accounts = erp_sandbox.org.rows("Account")
    first, second = erp_seed.generate(SEED, SCALE, accounts), erp_seed.generate(SEED, SCALE, accounts)
    assert first.tables == second.tables
    assert erp_seed.generate(SEED + 1, SCALE, accounts).tables["sales_orders"] != first.tables["sales_orders"]
