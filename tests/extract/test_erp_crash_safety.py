"""Crash safety of the ERP extraction: the relational ERP, the file drops and the REST API, killed at named steps
and at random moments, re-run, and checked against the ERP's truth (tests/extract/erp_crash_harness.py; ``make
crash-trials SOURCE=erp`` runs hundreds), against DuckDB with a bronze store, against PostgreSQL and against
Snowflake (fakesnow) with a store; and proof that the checker catches what it looks for."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from extract.bronze_store import MANIFEST, BronzeStore
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter
from tests.extract.crash_harness import run_child
from tests.extract.erp_crash_harness import (
    CHILD,
    KILL_POINTS,
    ErpCrashHarness,
    ErpHarnessConfig,
    _WriterReader,
    check_erp_warehouse,
    check_store,
)

TRIALS = 8  # about 5 s each: with the PostgreSQL trials and the sandbox, about 80 s of CI
PG_TRIALS = 4
SEED = 20251204


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    config = ErpHarnessConfig(state_dir=tmp_path_factory.mktemp("erp-crash-trials"), seed=SEED, bronze_store=True,
                              timer_share=0.2)
    with ErpCrashHarness(config) as h:
        yield h


def test_erp_killed_anywhere_and_rerun_bronze_and_the_store_hold_exactly_the_right_rows(harness):
    summary = harness.run(TRIALS)
    print(summary.format())
    assert summary.trials == TRIALS
    assert not summary.violations, summary.format()
    named = [point for point in KILL_POINTS if point != "timer"]
    assert not [p for p in named if summary.kills[p] == 0], summary.format()  # every named step once at least


def test_erp_killed_anywhere_and_rerun_postgres_holds_exactly_the_right_rows(harness, tmp_path_factory):
    """The same trials landing into PostgreSQL (a database the harness creates and drops), on the same ERP."""
    config = ErpHarnessConfig(state_dir=tmp_path_factory.mktemp("erp-crash-trials-pg"), seed=SEED + 1,
                              warehouse="postgres", timer_share=0.25)
    with ErpCrashHarness(config, sandbox=harness.sandbox) as pg_harness:
        summary = pg_harness.run(PG_TRIALS)
    print(summary.format())
    assert summary.trials == PG_TRIALS
    assert not summary.violations, summary.format()
    assert sum(summary.kills.values()) >= PG_TRIALS // 2, summary.format()


SF_TRIALS = 2  # about 20 s each on fakesnow


def test_erp_killed_anywhere_and_rerun_snowflake_and_its_store_hold_exactly_the_right_rows(harness, tmp_path_factory):
    """The same trials landing into Snowflake (a fakesnow server the harness starts and stops, its databases in
    the harness's state directory), with a bronze store, on the same ERP."""
    config = ErpHarnessConfig(state_dir=tmp_path_factory.mktemp("erp-crash-trials-sf"), seed=SEED + 2,
                              warehouse="snowflake", timer_share=0.0, bronze_store=True)
    with ErpCrashHarness(config, sandbox=harness.sandbox) as sf_harness:
        summary = sf_harness.run(SF_TRIALS)
        database = sf_harness.fakesnow.database
    print(summary.format())
    assert summary.trials == SF_TRIALS
    assert not summary.violations, summary.format()
    assert sum(summary.kills.values()) >= 1, summary.format()
    assert (config.state_dir / "fakesnow" / f"{database}.db").exists(), "the cycles landed into fakesnow"
    assert BronzeStore.from_url(str(config.state_dir / "store")).manifests(), "the store archived the batches"


@pytest.fixture(scope="module")
def landed(harness, tmp_path_factory) -> Path:
    """The harness's warehouse after one more clean run of everything (so every table, file and resource is
    up to date), copied for the checker's tests."""
    directory = tmp_path_factory.mktemp("erp-checked")
    harness._drop("invoices")
    spec = {**harness.choose_cycle("after_commit"), "parts": harness.all_parts()}
    run = run_child(spec, directory, "clean", module=CHILD)
    assert run.returncode == 0, run.log_tail()
    return harness.warehouse


def checks(harness, con) -> set[str]:
    return {v.check for v in check_erp_warehouse(con, harness.erp.db, harness.dropped, harness.drop_dir)}


def corrupted(landed: Path, tmp_path, *statements: str, params=()) -> duckdb.DuckDBPyConnection:
    copy = tmp_path / "corrupted.duckdb"
    shutil.copy(landed, copy)
    con = duckdb.connect(str(copy))
    for statement in statements:
        con.execute(statement, list(params))
    return con


def test_the_checker_passes_a_clean_warehouse_and_store(harness, landed):
    with duckdb.connect(str(landed), read_only=True) as con:
        assert check_erp_warehouse(con, harness.erp.db, harness.dropped, harness.drop_dir) == []
    with DuckDBBronzeWriter(landed) as writer:
        store = BronzeStore.from_url(str(harness.store_dir))
        assert store.manifests(), "the trials archived batches"
        assert check_store(_WriterReader(writer), store, writer.batch_statuses) == []


@pytest.mark.parametrize("corruption, expected", [
    ("insert into bronze.erp__customers select * from bronze.erp__customers limit 1", {"duplicate_version"}),
    ("delete from bronze.erp__sales_orders where order_id = (select max(order_id) from bronze.erp__sales_orders)",
     {"missing_version", "latest_differs"}),
    ("update bronze.erp__invoices set status = 'made-up' where invoice_id = (select max(invoice_id) "
     "from bronze.erp__invoices)", {"latest_differs"}),
    ("update state.salesforce_objects set cursor_value = '2999-01-01 00:00:00' where source = 'erp' "
     "and object_name = 'items'", {"cursor"}),
    ("update audit.extract_batches set status = 'failed' where batch_id = (select max(_batch_id) "
     "from bronze.erp_api__payments)", {"batch_without_audit"}),
    ("delete from bronze.erp_api__usage_events where event_id = (select max(event_id) "
     "from bronze.erp_api__usage_events)", {"missing_version", "batch_row_count"}),
    ("insert into bronze.erp_files__quarantine select * from bronze.erp_files__quarantine limit 1",
     {"quarantine_doubled", "batch_row_count"}),
    ("delete from state.salesforce_objects where source = 'erp_files' and object_name = (select min(object_name) "
     "from state.salesforce_objects where source = 'erp_files')", {"file_not_landed"}),
    ("delete from bronze.erp_files__invoices where rowid = (select max(rowid) from bronze.erp_files__invoices)",
     {"file_rows", "batch_row_count"}),
])
def test_the_checker_reports_what_is_wrong(harness, landed, tmp_path, corruption, expected):
    with corrupted(landed, tmp_path, corruption) as con:
        assert expected <= checks(harness, con)


def test_the_checker_reports_a_file_left_in_the_drop_folder(harness, landed):
    harness._drop("customers")  # dropped, never extracted
    try:
        with duckdb.connect(str(landed), read_only=True) as con:
            assert {"file_not_archived", "file_not_landed"} <= checks(harness, con)
    finally:
        spec = {**harness.choose_cycle("after_commit"), "parts": [["drops"]]}
        assert run_child(spec, landed.parent / "runs", "drops", module=CHILD).returncode == 0


def test_the_checker_reports_a_store_behind_or_ahead_of_the_warehouse(harness, landed, tmp_path):
    store_copy = tmp_path / "store"
    shutil.copytree(harness.store_dir, store_copy)
    store = BronzeStore.from_url(str(store_copy))
    first, second = store.manifests()[:2]
    store.fs.rm_file(f"{first.prefix}/{MANIFEST}")  # a committed batch whose manifest is lost
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(landed, copy)
    with DuckDBBronzeWriter(copy) as writer:
        writer.con.execute("update audit.extract_batches set status = 'failed' where batch_id = ?",
                           [second.batch_id])  # a sealed batch the warehouse did not commit
        found = {v.check for v in check_store(_WriterReader(writer), store, writer.batch_statuses)}
    assert {"store_missing", "store_extra"} <= found
