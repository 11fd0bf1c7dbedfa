"""The PostgreSQL backend: a uniquely named database, created by the ERP service, dropped by the test.

The service is built on the shared sandbox's org (seeding another org would double the suite's time).
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from sandbox.erp.database import drop_pg_database
from sandbox.erp.service import build_service
from sandbox.server import SandboxContext, Service


def _context(erp_sandbox, state_dir, database: str) -> SandboxContext:
    salesforce = Service(name="salesforce", app=None, tls=True, controller=erp_sandbox.org)
    return SandboxContext(
        state_dir=state_dir, seed=3, scale=0.05, host="127.0.0.1", tls=None,
        options={"erp_backend": "postgres", "erp_pg_database": database}, services={"salesforce": salesforce},
    )


def test_postgres_backend(erp_sandbox, tmp_path):
    database = f"erp_test_{uuid.uuid4().hex[:12]}"
    try:
        service = build_service(_context(erp_sandbox, tmp_path, database))
        try:
            env = service.env("http://127.0.0.1:1")
            assert env["ERP_DSN"] == f"postgresql://postgres@127.0.0.1:5432/{database}"
            erp = service.controller
            assert erp.backend == "postgres"
            with psycopg.connect(env["ERP_DSN"]) as con:
                orders = con.execute("SELECT count(*) FROM sales_orders").fetchone()[0]
                mismatched = con.execute(
                    "SELECT count(*) FROM sales_orders o WHERE subtotal <> (SELECT coalesce(sum(line_amount), 0) "
                    "FROM sales_order_lines l WHERE l.order_id = o.order_id)").fetchone()[0]
                events = con.execute("SELECT count(*) FROM api.usage_events").fetchone()[0]
            assert orders == erp.count("sales_orders") > 0 and mismatched == 0 and events > 0
            changed = erp.touch_orders(2)
            now = erp.now()
            assert {r["order_number"] for r in erp.rows("sales_orders", "modified_at >= %s", (now,))} >= set(changed)
            assert erp.add_orders(1) and erp.drop_invoices().path.exists()
        finally:
            service.close()
        again = build_service(_context(erp_sandbox, tmp_path, database))
        try:  # seeded once: a restart keeps the rows (and the order added above)
            assert again.controller.count("sales_orders") == orders + 1
        finally:
            again.close()
    finally:
        drop_pg_database(database)
