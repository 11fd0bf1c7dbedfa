"""`make run`'s runner, end to end through Airflow, twice on the same state: the whole product in one test."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def run_pipeline(state) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env["MEDALLION_STATE_DIR"] = str(state)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_local.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def gold_numbers(warehouse) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema='gold' "
            "and table_name not like 'sync_%' order by 1").fetchall()]
        return {t: con.execute(f'select * from gold."{t}" order by all').fetchall() for t in tables}


@pytest.fixture(scope="module")
def two_runs(manifest_path, tmp_path_factory):
    state = tmp_path_factory.mktemp("medallion-state")
    first = run_pipeline(state)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    first_gold = gold_numbers(state / "warehouse.duckdb")
    first_summary = json.loads((state / "last_run.json").read_text())
    second = run_pipeline(state)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    return state, first, first_gold, first_summary, second


def test_first_run_fills_every_layer_and_syncs_back(two_runs):
    _, first, first_gold, summary, _ = two_runs
    assert summary["outcome"] == "success"
    assert all(summary["rows_per_layer"][layer] > 0 for layer in ("bronze", "silver", "gold"))
    assert first_gold and all(rows for rows in first_gold.values()), "every gold table has rows"
    assert summary["dbt_tests_total"] > 0 and summary["dbt_tests_passed"] == summary["dbt_tests_total"]
    assert summary["records_synced"] > 0 and summary["records_failed_to_sync"] == 0
    assert "records synced back" in first.stdout and "dbt tests passed" in first.stdout


def test_second_run_leaves_the_same_gold_numbers_and_syncs_nothing_new(two_runs):
    state, _, first_gold, _, second = two_runs
    assert gold_numbers(state / "warehouse.duckdb") == first_gold
    summary = json.loads((state / "last_run.json").read_text())
    assert summary["records_synced"] == 0, "diff-only: the org already holds the synced values"


def test_audit_records_every_task_with_duration_and_outcome(two_runs):
    state = two_runs[0]
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("select count(distinct run_id), min(duration_s) from audit.task_runs").fetchone()
        extract_rows = con.execute(
            "select sum(rows) from audit.task_runs where task_id like 'extract.%' and state='success'").fetchone()[0]
        dag_runs = con.execute("select outcome from audit.dag_runs order by finished_at").fetchall()
    assert runs[0] == 2 and runs[1] >= 0
    assert extract_rows > 0
    assert dag_runs == [("success",), ("success",)]


def test_the_org_holds_the_synced_account_values(two_runs):
    from sandbox.server import Sandbox
    from simple_salesforce import Salesforce
    import requests

    state = two_runs[0]
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as con:
        expected = dict(con.execute(
            "select id, open_pipeline_amount__c from gold.dim_accounts where open_pipeline_amount__c > 0 limit 20"
        ).fetchall()) if con.execute(
            "select count(*) from information_schema.columns where table_schema='gold' and table_name='dim_accounts' "
            "and column_name='open_pipeline_amount__c'").fetchone()[0] else {}
    with Sandbox(state / "sandbox") as sb:
        session = requests.Session()
        session.verify, session.trust_env = sb.ca_bundle, False
        host = sb.salesforce_url.removeprefix("https://")
        sf = Salesforce(username=sb.username, password=sb.password, security_token=sb.security_token,
                        domain=f"{host}/services/Soap/u/59.0#", session=session)
        records = sf.query_all(
            "SELECT Id, Open_Pipeline_Amount__c, Open_Case_Count__c FROM Account "
            "WHERE Open_Pipeline_Amount__c != null")["records"]
    assert records, "no Account carries the synced pipeline amount"
    by_id = {r["Id"]: r for r in records}
    for account_id, amount in expected.items():
        assert by_id[account_id]["Open_Pipeline_Amount__c"] == pytest.approx(float(amount), abs=0.01)
