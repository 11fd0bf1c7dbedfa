"""The README's real-org path, end to end through Airflow: an AIRFLOW_CONN_SALESFORCE_DEFAULT pointing at an org the
platform does not own (the sandbox, started as if it were a customer's org, with a field and an object the
integration user cannot see), no Hightouch connection. And a run whose extraction fails while every audit write
of the task callbacks is lost: the run must still fail, because its outcome comes from Airflow's task states.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from scripts.local_env import start_sandbox
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

OBJECTS = "User,Account,Contact,Lead,Opportunity,Case,Task,Invoice__c,Shipment__c"


def customer_org(state, manifest_path, extra: list[str]):
    env = {"MEDALLION_MANIFEST_PATH": str(manifest_path), "MEDALLION_DUCKDB_PATH": str(state / "unused.duckdb")}
    return start_sandbox(ROOT, state, env, extra_args=extra)


def run_against(org, state, **overrides) -> subprocess.CompletedProcess:
    values = org.values
    host = values["SALESFORCE_URL"].removeprefix("https://")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "MEDALLION_"))}
    env.update({
        "MEDALLION_STATE_DIR": str(state / "platform"),
        "AIRFLOW_CONN_SALESFORCE_DEFAULT": json.dumps({
            "conn_type": "salesforce", "login": values["SALESFORCE_USERNAME"],
            "password": values["SALESFORCE_PASSWORD"],
            "extra": {"security_token": values["SALESFORCE_TOKEN"], "domain": f"{host}/services/Soap/u/59.0#"}}),
        "REQUESTS_CA_BUNDLE": values["CA_BUNDLE"], "CURL_CA_BUNDLE": values["CA_BUNDLE"],
        "MEDALLION_SALESFORCE_INCLUDE": OBJECTS,
        **overrides,
    })
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_local.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)


def test_a_real_org_without_hightouch_runs_end_to_end(manifest_path, tmp_path):
    org = customer_org(tmp_path, manifest_path, ["--scale", "0.3", "--extra",
                                                 "hidden_fields=Account.Description,Contact.Birthdate",
                                                 "hidden_objects=Shipment__c"])
    try:
        done = run_against(org, tmp_path)
        again = run_against(org, tmp_path)  # nothing changed in between: nothing to extract, the layers still run
    finally:
        org.stop()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    unchanged = json.loads((tmp_path / "platform" / "last_run.json").read_text())
    assert unchanged["extraction"]["objects_extracted"] == 0 and unchanged["extraction"]["bulk_jobs"] == 0
    assert unchanged["extraction"]["objects_unchanged"] == len(OBJECTS.split(",")) - 1
    assert unchanged["dbt_tests_passed"] == unchanged["dbt_tests_total"] > 0
    assert "extracting from that org, not the sandbox" in done.stdout
    assert "reverse sync is skipped" in done.stdout
    with duckdb.connect(str(tmp_path / "platform" / "warehouse.duckdb"), read_only=True) as con:
        summary = json.loads(con.execute("select summary_json from audit.dag_runs order by finished_at "
                                         "limit 1").fetchone()[0])
    assert summary["outcome"] == "success"
    assert summary["extraction"]["objects_extracted"] == len(OBJECTS.split(",")) - 1
    assert summary["extraction"]["objects_skipped"] == 1, "Shipment__c: not visible to the integration user"
    assert summary["records_synced"] == 0 and summary["syncs"] == []
    assert summary["dbt_tests_passed"] == summary["dbt_tests_total"] > 0
    with duckdb.connect(str(tmp_path / "platform" / "warehouse.duckdb"), read_only=True) as con:
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns where "
                                             "table_schema='bronze' and table_name='salesforce__account'").fetchall()}
        assert "description" not in columns and "name" in columns, "a hidden field is never asked for"
        assert con.execute("select count(*) from gold.dim_accounts").fetchone()[0] > 0
        states = dict(con.execute(
            "select task_id, state from audit.task_runs where task_id like 'reverse_sync.%'").fetchall())
    assert "reverse_sync.hightouch_salesforce__account_update" not in states, "skipped, never run"


def test_a_failed_extraction_fails_the_run_even_when_every_audit_write_is_lost(manifest_path, tmp_path):
    org = customer_org(tmp_path, manifest_path, [
        "--scale", "0.2", "--extra", "faults=http_503@/services/data/*/sobjects/Lead/describe*"])
    warehouse = tmp_path / "platform" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:  # the callbacks' table cannot take their rows: every write is lost
        con.execute("create schema audit")
        con.execute("create table audit.task_runs (unexpected integer)")
    try:
        done = run_against(org, tmp_path, MEDALLION_SALESFORCE_HTTP_ATTEMPTS="2", MEDALLION_EXTRACT_RETRIES="0")
    finally:
        org.stop()
    assert done.returncode != 0, done.stdout[-3000:]
    assert "FAILED" in done.stdout + done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from audit.task_runs").fetchone()[0] == 0, "the callbacks' rows were lost"
        outcome, summary = con.execute("select outcome, summary_json from audit.dag_runs").fetchone()
        failed_batches = con.execute("select object_name, error from audit.extract_batches "
                                     "where status = 'failed'").fetchall()
    assert outcome == "failed"
    assert any(task.startswith("extract.objects") for task in json.loads(summary)["tasks_failed"])
    assert [name for name, _ in failed_batches] == ["Lead"] and "503" in failed_batches[0][1]
