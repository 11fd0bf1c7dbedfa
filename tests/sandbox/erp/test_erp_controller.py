"""The control API: changes bump modified_at on the clock the ERP shares with the Salesforce org."""

from __future__ import annotations

import datetime as dt

AT = dt.datetime(2026, 3, 1, 12, 0, 0)


def test_the_erp_shares_the_org_clock(erp_sandbox, erp, frozen_clock):
    frozen_clock.freeze(AT)
    assert erp.now() == erp_sandbox.org.now() == AT


def test_touching_orders_and_customers_bumps_modified_at(erp, frozen_clock):
    frozen_clock.freeze(AT)
    orders = erp.touch_orders(3)
    customers = erp.touch_customers(2)
    assert len(orders) == 3 and len(customers) == 2
    assert {row["order_number"] for row in erp.rows("sales_orders", "modified_at = %s", (AT,))} >= set(orders)
    assert {row["customer_number"] for row in erp.rows("customers", "modified_at = %s", (AT,))} >= set(customers)
    frozen_clock.advance(dt.timedelta(hours=1))
    later = erp.touch_orders(1)
    assert erp.rows("sales_orders", "order_number = %s", later)[0]["modified_at"] == AT + dt.timedelta(hours=1)


def test_soft_deletes_keep_the_row(erp, frozen_clock):
    frozen_clock.freeze(AT)
    before = erp.count("sales_orders")
    deleted = erp.soft_delete_orders(2) + erp.soft_delete_customers(1)
    assert erp.count("sales_orders") == before
    for table, key in [("sales_orders", "order_number"), ("customers", "customer_number")]:
        for row in erp.rows(table, f"{key} IN (%s, %s, %s)", deleted):
            assert row["is_deleted"] and row["deleted_at"] == AT and row["modified_at"] == AT


def test_late_rows_and_payments(erp, frozen_clock):
    frozen_clock.freeze(AT)
    late = erp.add_orders(2, days_ago=20)
    for order in erp.rows("sales_orders", "order_number IN (%s, %s)", late):
        assert order["order_date"] == (AT - dt.timedelta(days=20)).date()
        assert order["created_at"] == order["modified_at"] == AT
    new_customers = erp.add_customers(1)
    assert erp.rows("customers", "customer_number = %s", new_customers)[0]["created_at"] == AT
    payments = erp.pay_invoices(1)
    payment = erp.rows("api.payments", "payment_id = %s", payments)[0]
    invoice = erp.rows("invoices", "invoice_number = %s", (payment["invoice_number"],))[0]
    assert invoice["status"] == "paid" and invoice["amount_paid"] == invoice["total_amount"]
    assert invoice["modified_at"] == payment["updated_at"] == AT
    events = erp.add_usage_events(2, occurred_at=AT - dt.timedelta(days=3))
    for event in erp.rows("api.usage_events", "event_id IN (%s, %s)", events):
        assert event["received_at"] == AT and event["occurred_at"] == AT - dt.timedelta(days=3)
