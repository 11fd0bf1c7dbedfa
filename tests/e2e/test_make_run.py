"""`make run`'s runner, end to end through Airflow, twice on the same state: the whole product in one test.

Between the runs the sandbox org changes as real orgs do (restart_activity: updates, soft deletes with their
cascades, merges, hard deletes, a late commit, a formula recalculation), and the first run's reverse sync wrote
account rollups into it. The second run must land exactly those changes, find the hard deletes, drop the deleted
and merged records from silver and gold, and sync back only what changed.

It runs once per target: ``local`` (DuckDB) and ``postgres`` (a database of its own, created by run_local.py and
dropped here; dbt builds silver and gold in it, the fake Hightouch reads the sync models from it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def run_pipeline(state, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "MEDALLION_"))}
    env["MEDALLION_STATE_DIR"] = str(state)
    env.update(env_overrides)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_local.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)


PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


class Warehouse:
    """Read the warehouse a run landed and built (``?`` placeholders whatever the target)."""

    def __init__(self, target: str, state, database: str | None):
        self.target, self.state, self.database = target, state, database

    def env(self) -> dict[str, str]:
        if self.target == "local":
            return {}
        return {"MEDALLION_TARGET": "postgres", "MEDALLION_PG_DATABASE": self.database}

    def query(self, sql: str, params=()) -> list[tuple]:
        if self.target == "local":
            with duckdb.connect(str(self.state / "warehouse.duckdb"), read_only=True) as con:
                return con.execute(sql, list(params)).fetchall()
        import psycopg

        from extract.warehouse.postgres_bronze import to_pyformat

        with psycopg.connect(**PG_ADMIN, dbname=self.database) as con:
            return con.execute(to_pyformat(sql), list(params)).fetchall()


@pytest.fixture(scope="module", params=["local", "postgres"])
def warehouse(request, tmp_path_factory):
    state = tmp_path_factory.mktemp(f"medallion-state-{request.param}")
    database = f"medallion_e2e_{uuid.uuid4().hex[:10]}" if request.param == "postgres" else None
    yield Warehouse(request.param, state, database)
    if database:
        import psycopg

        with psycopg.connect(**PG_ADMIN, dbname="postgres", autocommit=True) as con:
            con.execute(f'drop database if exists "{database}" with (force)')


@pytest.fixture(scope="module")
def two_runs(manifest_path, warehouse):
    state = warehouse.state
    first = run_pipeline(state, **warehouse.env())
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    first_summary = json.loads((state / "last_run.json").read_text())
    second = run_pipeline(state, **warehouse.env())
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    second_summary = json.loads((state / "last_run.json").read_text())
    activity = [json.loads(line) for line in (state / "sandbox" / "activity.jsonl").read_text().splitlines()]
    return state, first, first_summary, second, second_summary, activity


@pytest.fixture(scope="module")
def org_truth(two_runs):
    """The org's true contents after both runs (the sandbox reopened on its state, with no further activity)."""
    from sandbox.server import Sandbox

    state = two_runs[0]
    with Sandbox(state / "sandbox") as sb:
        objects = sb.org.object_names()
        current = {name: {(r["Id"], r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z"))
                          for r in sb.org.rows(name)} for name in objects}
        accounts = {r["Id"]: r for r in sb.org.rows("Account")}
    return current, accounts


def test_first_run_extracts_every_object_and_fills_every_layer(two_runs):
    state, first, summary, *_ = two_runs
    extraction = summary["extraction"]
    assert summary["outcome"] == "success"
    assert extraction["objects_extracted"] >= 200 and extraction["objects_failed"] == 0
    assert extraction["rows_landed"] == extraction["rows_received"] > 300_000
    assert extraction["deletes_seen"] > 0, "the org ships records in the Recycle Bin and merged ones"
    assert all(summary["rows_per_layer"][layer] > 0 for layer in ("bronze", "silver", "gold"))
    assert summary["dbt_tests_total"] > 0 and summary["dbt_tests_passed"] == summary["dbt_tests_total"]
    assert summary["records_synced"] > 0 and summary["records_failed_to_sync"] == 0
    assert "objects extracted" in first.stdout and "dbt tests passed" in first.stdout


def test_second_run_lands_only_the_changes(two_runs, org_truth, warehouse):
    state, _, first_summary, second, summary, activity = two_runs
    current, _ = org_truth
    extraction = summary["extraction"]
    assert summary["outcome"] == "success"
    assert 0 < extraction["rows_landed"] < 2_000, "only what changed since the first run"
    assert extraction["objects_unchanged"] > 150 and extraction["bulk_jobs"] == 0
    run_id = summary["run_id"]
    changed_ids = {i for line in activity if line["kind"] in ("update", "soft_delete", "merge", "late_commit")
                   for i in line["ids"]}
    landed_now = Counter()
    for (table,) in warehouse.query("select distinct bronze_table from audit.extract_batches "
                                     "where dag_run_id = ? and rows_landed > 0", [run_id]):
        for (record_id,) in warehouse.query(f'select id from bronze."{table}" where _batch_id in '
                                             f"(select batch_id from audit.extract_batches where dag_run_id = ?)",
                                  [run_id]):
            landed_now[record_id] += 1
    assert changed_ids <= set(landed_now), f"changes never landed: {sorted(changed_ids - set(landed_now))[:5]}"
    assert sum(landed_now.values()) == extraction["rows_landed"]


def test_bronze_holds_every_current_version_once(two_runs, org_truth, warehouse):
    """Every record's current version is in bronze, once; the only exceptions are the accounts the second run's
    own reverse sync wrote after it had extracted (the next run lands them)."""
    state = two_runs[0]
    current, _ = org_truth
    synced_after_extraction = {r[0] for r in warehouse.query("select id from gold.sync_salesforce__account_update")}
    for object_name, versions in current.items():
        table = f"salesforce__{object_name.lower()}"
        landed = Counter(warehouse.query(f"select id, systemmodstamp from bronze.\"{table}\" "
                                          f"where _change_kind = 'change'"))
        assert not [k for k, n in landed.items() if n > 1], f"{object_name}: a version landed twice"
        missing = versions - set(landed)
        if object_name == "Account":
            missing = {(i, stamp) for i, stamp in missing if i not in synced_after_extraction}
        assert not missing, f"{object_name}: {len(missing)} current versions missing, e.g. {sorted(missing)[:3]}"


def test_deletes_merges_and_hard_deletes_leave_silver_and_gold(two_runs, warehouse):
    state, *_, summary, activity = two_runs
    hard_deleted = {i for line in activity if line["kind"] == "hard_delete" for i in line["ids"]}
    tombstoned = {r[0] for r in warehouse.query("select id from bronze.salesforce_tombstones")}
    assert hard_deleted and hard_deleted <= tombstoned, "reconciliation found every hard delete"
    assert summary["extraction"]["tombstones"] == len(tombstoned)
    deleted_accounts = {i for line in activity if line["object"] == "Account"
                        and line["kind"] in ("soft_delete", "merge") for i in line["ids"]}
    assert deleted_accounts
    live = {r[0] for r in warehouse.query("select account_id from silver.int_salesforce__accounts")}
    gold = {r[0] for r in warehouse.query("select account_id from gold.dim_accounts")}
    assert not deleted_accounts & live and not deleted_accounts & gold
    hard_deleted_leads = {i for line in activity if line["kind"] == "hard_delete" and line["object"] == "Lead"
                          for i in line["ids"]}
    leads = {r[0] for r in warehouse.query("select lead_id from silver.int_salesforce__leads")}
    assert hard_deleted_leads and not hard_deleted_leads & leads
    synced = {r[0] for r in warehouse.query("select id from gold.sync_salesforce__account_update")}
    assert not synced & deleted_accounts, "a deleted account is never synced back (ENTITY_IS_DELETED)"


def test_the_org_holds_the_synced_account_values(two_runs, org_truth, warehouse):
    state = two_runs[0]
    _, accounts = org_truth
    gold = warehouse.query(
                 "select account_id, open_pipeline_amount, open_case_count, customer_health from gold.dim_accounts")
    assert len(gold) > 500
    for account_id, pipeline, open_cases, health in gold:
        org = accounts[account_id]
        assert org["Open_Pipeline_Amount__c"] == pytest.approx(float(pipeline), abs=0.01), account_id
        assert org["Open_Case_Count__c"] == pytest.approx(float(open_cases), abs=0.01), account_id
        assert org["Customer_Health__c"] == health, account_id


def test_audit_records_every_object_and_task_of_both_runs(two_runs, warehouse):
    state, _, first_summary, _, second_summary, _ = two_runs
    runs = warehouse.query("select run_id, outcome from audit.dag_runs order by finished_at")
    assert [o for _, o in runs] == ["success", "success"]
    per_object = warehouse.query("select dag_run_id, count(*), sum(api_calls), sum(rows_landed) "
                                  "from audit.salesforce_object_runs group by 1 order by 1")
    assert len(per_object) == 2 and all(n >= 200 for _, n, _, _ in per_object)
    extract_tasks = warehouse.query("select count(*) from audit.task_runs where task_id like 'extract.%'")[0][0]
    assert extract_tasks > 0
