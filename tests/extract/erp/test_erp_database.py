"""The relational ERP into bronze: full, then incremental by modified_at, soft deletes, both backends, failures."""

from __future__ import annotations

import re

import pytest

from extract.erp.database import open_reader
from extract.erp.db_extraction import extract_table, extract_tables
from extract.erp.tables import TABLES
from sandbox.erp.database import drop_pg_database
from sandbox.erp.service import build_service
from sandbox.server import SandboxContext, Service
from tests.extract.conftest import audit_rows
from tests.extract.erp.conftest import unique_database

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def bronze(writer, table: str, columns: str = "count(*)", where: str = "true") -> list[tuple]:
    return writer.con.execute(f'select {columns} from bronze."erp__{table}" where {where}').fetchall()


def landed(results) -> dict[str, int]:
    failed = {name: outcome for name, outcome in results if isinstance(outcome, BaseException)}
    assert not failed, failed
    return {name: outcome["rows"] for name, outcome in results}


def test_first_run_is_full_then_only_changes_land(erp, writer, erp_options):
    reader = open_reader(erp.dsn)
    first = landed(extract_tables(reader, writer, options=erp_options))
    for table in TABLES:
        assert first[table.name] == erp.count(table.name) > 0, table.name
        assert bronze(writer, table.name)[0][0] == erp.count(table.name)
    assert {r["kind"] for r in audit_rows(writer) if r["source"] == "erp"} == {"full"}
    sample = bronze(writer, "customers", "modified_at, credit_limit, is_deleted", "credit_limit is not null")[0]
    assert TIMESTAMP.fullmatch(sample[0]) and re.fullmatch(r"\d+\.\d\d", sample[1]) and sample[2] in ("true", "false")
    assert bronze(writer, "price_list_items", "count(distinct row_key)")[0][0] == erp.count("price_list_items")

    touched = erp.touch_customers(3)
    deleted = erp.soft_delete_orders(2)
    added = erp.add_orders(2, days_ago=10)  # late-arriving: dated back, modified now
    second = landed(extract_tables(reader, writer, options=erp_options))
    new_lines = erp.count("sales_order_lines", "order_id in (select order_id from sales_orders where "
                          "order_number in (%s, %s))", tuple(added))
    assert second == {**{t.name: 0 for t in TABLES}, "customers": 3, "sales_orders": 4,
                      "sales_order_lines": new_lines}
    latest = dict(bronze(writer, "customers", "customer_number, credit_limit",
                         f"customer_number in ({', '.join(repr(n) for n in touched)}) "
                         "qualify row_number() over (partition by customer_id order by modified_at desc) = 1"))
    truth = {r["customer_number"]: f"{r['credit_limit']:.2f}" for r in erp.rows(
        "customers", "customer_number in (%s, %s, %s)", tuple(touched))}
    assert latest == truth
    # soft deletes land as changes: a new version with is_deleted and deleted_at, and the batch counts them
    gone = bronze(writer, "sales_orders", "order_number, is_deleted, deleted_at, modified_at",
                  f"order_number in ({', '.join(repr(n) for n in deleted)}) and is_deleted = 'true'")
    assert sorted(r[0] for r in gone) == sorted(deleted) and all(r[2] == r[3] for r in gone)
    audit = [r for r in audit_rows(writer, "sales_orders") if r["source"] == "erp"]
    assert [r["kind"] for r in audit] == ["full", "incremental"] and audit[-1]["rows_deleted"] == 2
    assert audit[-1]["cursor_from"] < audit[-1]["cursor_to"] == bronze(writer, "sales_orders", "max(modified_at)")[0][0]

    third = landed(extract_tables(reader, writer, options=erp_options))
    assert third == {t.name: 0 for t in TABLES}, "the lookback re-reads, nothing lands twice"
    for table in TABLES:
        key = table.key_field
        assert bronze(writer, table.name, f"count(*) - count(distinct ({key}, modified_at))")[0][0] == 0


def test_a_failed_batch_leaves_nothing_and_the_next_run_lands_it(erp, writer, erp_options):
    reader = open_reader(erp.dsn)
    extract_table(reader, writer, "invoices", erp_options)
    before_state = writer.object_state("erp", "invoices")
    before = bronze(writer, "invoices")[0][0]
    erp.soft_delete_invoices(2)
    erp.pay_invoices(2)

    def crash(step: str) -> None:
        if step == "page_landed":
            raise RuntimeError("killed while landing")

    with pytest.raises(RuntimeError, match="killed while landing"):
        extract_table(reader, writer, "invoices", erp_options, observer=crash)
    assert bronze(writer, "invoices")[0][0] == before
    assert writer.object_state("erp", "invoices") == before_state
    failed = audit_rows(writer, "invoices")[-1]
    assert failed["status"] == "failed" and failed["rows_landed"] == 0 and "killed" in failed["error"]

    audit = extract_table(reader, writer, "invoices", erp_options)
    assert audit.status == "succeeded" and audit.rows_landed == 4 and audit.rows_deleted == 2


def test_postgres_backend_lands_the_same_text(erp_sandbox, writer, erp_options, tmp_path):
    database = unique_database()
    salesforce = Service(name="salesforce", app=None, tls=True, controller=erp_sandbox.org)
    context = SandboxContext(state_dir=tmp_path / "pg-erp", seed=3, scale=0.05, host="127.0.0.1", tls=None,
                             options={"erp_backend": "postgres", "erp_pg_database": database},
                             services={"salesforce": salesforce})
    try:
        service = build_service(context)
        try:
            pg = service.controller
            dsn = service.env("http://127.0.0.1:1")["ERP_DSN"]
            assert dsn.startswith("postgresql://")
            reader = open_reader(dsn)
            first = landed(extract_tables(reader, writer, options=erp_options.__class__(
                work_dir=erp_options.work_dir, page_rows=100)))  # several pages per table
            assert all(first[t.name] == pg.count(t.name) for t in TABLES)
            assert max(r["pages"] for r in audit_rows(writer) if r["source"] == "erp") > 1
            row = bronze(writer, "invoices", "invoice_date, modified_at, total_amount, is_deleted")[0]
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", row[0]) and TIMESTAMP.fullmatch(row[1])
            assert re.fullmatch(r"-?\d+\.\d\d", row[2]) and row[3] in ("true", "false")
            deleted = pg.soft_delete_customers(1)
            pg.touch_orders(2)
            second = landed(extract_tables(reader, writer, options=erp_options))
            assert second["customers"] == 1 and second["sales_orders"] == 2
            assert bronze(writer, "customers", "is_deleted", f"customer_number = '{deleted[0]}' "
                          "order by modified_at desc limit 1") == [("true",)]
        finally:
            service.close()
    finally:
        drop_pg_database(database)


def test_erp_batches_are_archived_in_the_bronze_store_and_replay_as_of_a_past_batch(erp, tmp_path, erp_options):
    """ERP batches go to the bronze store like Salesforce ones; replay as of the full run gives its bronze back."""
    import dataclasses

    from extract.bronze_store import BronzeStore
    from extract.replay import replay_duckdb
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    store = BronzeStore.from_url(str(tmp_path / "store"), work_dir=tmp_path / "work")
    options = dataclasses.replace(erp_options, bronze_store=store)
    warehouse = tmp_path / "erp-warehouse.duckdb"
    reader = open_reader(erp.dsn)

    def snapshot(path) -> dict[str, list[tuple]]:
        with DuckDBBronzeWriter(path) as w:
            return {t.name: sorted(w.con.execute(f'select * exclude (_extracted_at) from bronze."erp__{t.name}"')
                                   .fetchall(), key=repr) for t in TABLES}

    with DuckDBBronzeWriter(warehouse) as w:
        landed(extract_tables(reader, w, options=options))
    full = store.manifests()
    assert sorted(m.object for m in full) == sorted(t.name for t in TABLES)
    assert all(m.source == "erp" and m.rows == erp.count(m.object) for m in full)
    then = snapshot(warehouse)

    erp.touch_customers(3)
    erp.soft_delete_orders(2)
    with DuckDBBronzeWriter(warehouse) as w:
        second = landed(extract_tables(reader, w, options=options))
    assert second["customers"] == 3 and second["sales_orders"] == 2
    later = store.manifests()[len(full):]
    assert {m.object: m.rows for m in later if m.rows} == {"customers": 3, "sales_orders": 2}
    assert snapshot(warehouse) != then

    replayed = tmp_path / "replayed.duckdb"
    replay_duckdb(store, warehouse, full[-1].batch_id, into=replayed)
    assert snapshot(replayed) == then
    latest = tmp_path / "latest.duckdb"
    replay_duckdb(store, warehouse, later[-1].batch_id, into=latest)
    assert snapshot(latest) == snapshot(warehouse)
