"""Crash safety: "Any crash, at any point, followed by a re-run, leaves exactly the right rows: none lost, none
twice." A few dozen trials of tests/extract/crash_harness.py (``make crash-trials`` runs hundreds), and proof that
its checker catches what it looks for."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from extract.salesforce.bulk2_query import Bulk2QueryJob
from tests.extract.crash_harness import (
    KILL_POINTS,
    CrashHarness,
    HarnessConfig,
    Record,
    check_org_jobs,
    check_warehouse,
    cycle_spec,
    list_query_jobs,
    open_reader,
    run_child,
)

TRIALS = 30
SEED = 20251203  # fixed: the same org changes, cycles and kill points on every run


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """A sandbox org in its own process (the extractor is killed, never the org) and a harness around it."""
    with CrashHarness(HarnessConfig(state_dir=tmp_path_factory.mktemp("crash-trials"), seed=SEED)) as h:
        yield h


def test_killed_anywhere_and_rerun_bronze_holds_exactly_the_right_rows(harness):
    summary = harness.run(TRIALS)
    print(summary.format())  # pytest -s shows kills per point; a failure shows it all
    assert summary.trials == TRIALS
    assert not summary.violations, summary.format()
    unexercised = [point for point in KILL_POINTS if summary.kills[point] == 0]
    assert not unexercised, f"kill points never hit: {unexercised}\n{summary.format()}"


PG_TRIALS = 8


def test_killed_anywhere_and_rerun_postgres_holds_exactly_the_right_rows(tmp_path_factory):
    """The same trials against PostgreSQL (a database the harness creates and drops): fewer, to keep CI time."""
    config = HarnessConfig(state_dir=tmp_path_factory.mktemp("crash-trials-pg"), seed=SEED + 1,
                           warehouse="postgres")
    with CrashHarness(config) as pg_harness:
        summary = pg_harness.run(PG_TRIALS)
    print(summary.format())
    assert summary.trials == PG_TRIALS
    assert not summary.violations, summary.format()
    assert sum(summary.kills.values()) >= PG_TRIALS // 2, summary.format()


SF_TRIALS = 2  # about 15 s each on fakesnow (with the sandbox and fakesnow started: about 45 s of CI)


def test_killed_anywhere_and_rerun_snowflake_holds_exactly_the_right_rows(tmp_path_factory):
    """The same trials against Snowflake: a fakesnow server the harness starts and stops, its databases in the
    harness's state directory. Fewer again: each batch is many round trips to fakesnow."""
    config = HarnessConfig(state_dir=tmp_path_factory.mktemp("crash-trials-sf"), seed=SEED + 2,
                           warehouse="snowflake", timer_share=0.0)
    with CrashHarness(config) as sf_harness:
        summary = sf_harness.run(SF_TRIALS)
        assert sf_harness.fakesnow.server.process.poll() is None, "fakesnow served every trial"
    print(summary.format())
    assert summary.trials == SF_TRIALS
    assert not summary.violations, summary.format()
    assert sum(summary.kills.values()) >= 1, summary.format()
    assert (config.state_dir / "fakesnow" / f"{config_database(sf_harness)}.db").exists(), \
        "the cycles landed into Snowflake (fakesnow's database file), not a DuckDB file"
    assert not (config.state_dir / "warehouse.duckdb").exists()


TWO_ORG_TRIALS = 2  # about 20 s each, with a sandbox of two orgs started: about 60 s of CI


def test_one_org_killed_while_both_run_leaves_each_org_exactly_its_rows(tmp_path_factory):
    """Two orgs (the sandbox's second one too), their cycles at once in two processes landing into one PostgreSQL
    warehouse, as the DAG's per-org task groups do; each trial kills one of them and re-runs it, and checks both,
    each against its own org under its own source (the orgs share record Ids)."""
    config = HarnessConfig(state_dir=tmp_path_factory.mktemp("crash-trials-orgs"), seed=SEED + 3,
                           warehouse="postgres", orgs=2, timer_share=0.0)
    with CrashHarness(config) as orgs_harness:
        summary = orgs_harness.run(TWO_ORG_TRIALS)
        with open_reader(orgs_harness.target) as con:
            orgs = con.execute("select source, org_id from state.salesforce_orgs order by source").fetchall()
            tables = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                                "where table_schema = 'bronze'").fetchall()}
    print(summary.format())
    assert summary.trials == TWO_ORG_TRIALS
    assert not summary.violations, summary.format()
    assert sum(summary.kills.values()) >= 1, summary.format()
    assert [source for source, _ in orgs] == ["salesforce", "salesforce_org2"] and orgs[0][1] != orgs[1][1]
    assert {"salesforce__account", "salesforce_org2__account"} <= tables


def config_database(harness: CrashHarness) -> str:
    return harness.fakesnow.database


@pytest.fixture(scope="module")
def landed(harness, tmp_path_factory) -> tuple[Path, dict[str, dict[str, Record]]]:
    """A warehouse of its own, landed by one clean cycle (Account via REST with a reconciliation, Task via Bulk API
    2.0 in pages of 100 rows), and the org's truth right after it."""
    directory = tmp_path_factory.mktemp("checked")
    warehouse = directory / "warehouse.duckdb"
    objects = [{"name": "Account", "route": "rest", "reconcile": True, "refresh": False},
               {"name": "Task", "route": "bulk", "reconcile": True, "refresh": True}]
    run = run_child(cycle_spec(harness.sandbox.values, warehouse, directory / "work", objects, bulk_page_rows=100),
                    directory, "clean")
    assert run.returncode == 0, run.log_tail()
    return warehouse, harness.truth(["Account", "Task"])


def corrupted(landed, tmp_path, *statements: str, params=()) -> duckdb.DuckDBPyConnection:
    copy = tmp_path / "corrupted.duckdb"
    shutil.copy(landed[0], copy)
    con = duckdb.connect(str(copy))
    for statement in statements:
        con.execute(statement, list(params))
    return con


def checks_reported(con, truth, reconciled=("Account", "Task")) -> set[str]:
    return {v.check for v in check_warehouse(con, truth, reconciled=reconciled)}


def test_the_checker_passes_a_clean_warehouse(landed):
    warehouse, truth = landed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert check_warehouse(con, truth, reconciled=("Account", "Task")) == []


def test_the_checker_reports_a_duplicated_row(landed, tmp_path):
    with corrupted(landed, tmp_path, "insert into bronze.salesforce__task select * from bronze.salesforce__task "
                                     "where _change_kind = 'change' limit 1") as con:
        assert "duplicate_version" in checks_reported(con, landed[1])


def test_the_checker_reports_a_missing_version(landed, tmp_path):
    with corrupted(landed, tmp_path, "delete from bronze.salesforce__account where id = "
                                     "(select max(id) from bronze.salesforce__account)") as con:
        found = check_warehouse(con, landed[1], reconciled=("Account",))
    missing = [v for v in found if v.check == "missing_version"]
    assert missing and missing[0].object_name == "Account" and "1 of" in missing[0].message


def test_the_checker_reports_a_cursor_moved_past_uncommitted_data(harness, landed, tmp_path):
    """The org changed; the cursor says those changes were landed, but their rows never committed."""
    harness.control.mutate("Account", "update", 3)
    truth = harness.truth(["Account", "Task"])
    newest = max(r.stamp for r in truth["Account"].values())
    with corrupted(landed, tmp_path, "update state.salesforce_objects set cursor_value = ? "
                                     "where object_name = 'Account'", params=[newest]) as con:
        found = checks_reported(con, truth)
    assert {"cursor", "missing_version"} <= found


def test_the_checker_reports_rows_whose_batch_did_not_succeed(landed, tmp_path):
    with corrupted(landed, tmp_path, "update audit.extract_batches set status = 'failed' where batch_id = "
                                     "(select max(_batch_id) from bronze.salesforce__task)") as con:
        assert "batch_without_audit" in checks_reported(con, landed[1])


def test_the_checker_reports_tombstones_wrong_or_missing(landed, tmp_path):
    warehouse, truth = landed
    live = next(i for i, r in sorted(truth["Account"].items()) if not r.deleted)
    with corrupted(landed, tmp_path, "insert into bronze.salesforce_tombstones values "
                                     "('Account', ?, null, 'id_scan', 'made-up', timestamp '2999-01-01', 'salesforce')",
                   params=[live]) as con:
        assert {"live_tombstoned", "batch_without_audit"} <= checks_reported(con, truth)
    hard_deleted = {**truth, "Account": {i: r for i, r in truth["Account"].items() if i != live}}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert "missing_tombstone" in checks_reported(con, hard_deleted)
        assert "missing_tombstone" not in checks_reported(con, hard_deleted, reconciled=("Task",))


def test_the_checker_reports_bulk_jobs_left_behind(harness, landed, tmp_path):
    with corrupted(landed, tmp_path, "insert into state.salesforce_open_jobs values "
                                     "('750000000000001AAA', 'salesforce', 'Task', 'incremental', now())") as con:
        assert "open_jobs" in checks_reported(con, landed[1])
    job = Bulk2QueryJob.create(harness.client, "SELECT Id FROM Task", "Task")
    try:
        job.wait()
        jobs = list_query_jobs(harness.client)
        violations, orphans = check_org_jobs(jobs, abandoned=[job.job_id])
        assert [v.check for v in violations] == ["abandoned_job"] and not orphans
        assert check_org_jobs(jobs, abandoned=[])[1] == [j for j in jobs if j["id"] == job.job_id]
        running = [{**j, "state": "InProgress"} if j["id"] == job.job_id else j for j in jobs]
        assert "running_job" in {v.check for v in check_org_jobs(running, abandoned=[])[0]}
    finally:
        job.delete()
