"""The README's real-org path, end to end through Airflow: Airflow connections pointing at orgs the platform does not
own (the sandbox's two orgs, started as if they were a customer's, with fields and an object the integration user
cannot see), no Hightouch connection. Three runs: the first lands both orgs into their own bronze tables and dbt
unions them (source_relation); the second finds nothing changed and still runs the layers; in the third the first
org has changed and the second org's credentials are wrong: the first org still lands its changes, the run fails.
And a run whose extraction fails while every audit write of the task callbacks is lost: the run must still fail,
because its outcome comes from Airflow's task states.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import duckdb
import pytest

from scripts.local_env import SECOND_ORG_CONN_ID, salesforce_connection, start_sandbox
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

OBJECTS = "User,Account,Contact,Lead,Opportunity,Case,Task,Invoice__c,Shipment__c"
VISIBLE = len(OBJECTS.split(",")) - 1  # Shipment__c is hidden from the integration user
ORGS = f"salesforce_default:salesforce,{SECOND_ORG_CONN_ID}:org2"


def customer_org(state, manifest_path, extra: list[str]):
    env = {"MEDALLION_MANIFEST_PATH": str(manifest_path), "MEDALLION_DUCKDB_PATH": str(state / "unused.duckdb")}
    return start_sandbox(ROOT, state, env, extra_args=extra)


def run_against(org, state, second_org_password: str | None = None, **overrides) -> subprocess.CompletedProcess:
    values = dict(org.values)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "MEDALLION_"))}
    env.update({
        "MEDALLION_STATE_DIR": str(state / "platform"),
        "AIRFLOW_CONN_SALESFORCE_DEFAULT": salesforce_connection(values),
        "REQUESTS_CA_BUNDLE": values["CA_BUNDLE"], "CURL_CA_BUNDLE": values["CA_BUNDLE"],
        "MEDALLION_SALESFORCE_INCLUDE": OBJECTS,
    })
    if "SALESFORCE_2_URL" in values:
        if second_org_password:
            values["SALESFORCE_2_PASSWORD"] = second_org_password
        env.update({"AIRFLOW_CONN_" + SECOND_ORG_CONN_ID.upper(): salesforce_connection(values, "SALESFORCE_2_"),
                    "MEDALLION_SALESFORCE_ORGS": ORGS})
    env.update(overrides)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_local.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)


def test_a_customers_two_orgs_without_hightouch_run_end_to_end_then_one_org_fails(manifest_path, tmp_path):
    org = customer_org(tmp_path, manifest_path, ["--scale", "0.2", "--extra",
                                                 "hidden_fields=Account.Description,Contact.Birthdate",
                                                 "hidden_objects=Shipment__c", "second_org=true",
                                                 "custom_scale=0.02"])
    try:
        done = run_against(org, tmp_path)
        again = run_against(org, tmp_path)  # nothing changed in between: nothing to extract, the layers still run
        request = urllib.request.Request(  # the first org changes; the second does not
            org.values["SANDBOX_CONTROL_URL"] + "/orgs/salesforce/mutations", method="POST",
            data=json.dumps({"object": "Account", "kind": "update", "count": 3}).encode())
        changed = {i for i in json.load(urllib.request.urlopen(request, timeout=30))["ids"]}
        failing = run_against(org, tmp_path, second_org_password="wrong", MEDALLION_EXTRACT_RETRIES="0")
    finally:
        org.stop()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "extracting from that org, not the sandbox" in done.stdout
    assert "reverse sync is skipped" in done.stdout
    assert "salesforce_org2" in done.stdout and "00D8d0000000002EAA" in done.stdout, "the summary shows each org"
    warehouse = tmp_path / "platform" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summaries = [json.loads(s) for (s,) in con.execute(
            "select summary_json from audit.dag_runs order by finished_at").fetchall()]
    assert len(summaries) == 3
    first = summaries[0]
    assert first["outcome"] == "success"
    sources = first["extraction"]["sources"]
    assert set(sources) == {"salesforce", "salesforce_org2"}
    assert sources["salesforce"]["org_id"] == "00D8d0000000001EAA"
    assert sources["salesforce_org2"]["org_id"] == org.values["SALESFORCE_2_ORG_ID"] == "00D8d0000000002EAA"
    assert all(s["objects_extracted"] == VISIBLE and s["objects_failed"] == 0 for s in sources.values())
    assert first["extraction"]["objects_skipped"] == 2, "Shipment__c: not visible to the integration user"
    assert first["records_synced"] == 0 and first["syncs"] == []
    assert first["dbt_tests_passed"] == first["dbt_tests_total"] > 0

    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    unchanged = summaries[1]
    assert unchanged["outcome"] == "success"
    assert unchanged["extraction"]["objects_extracted"] == 0 and unchanged["extraction"]["bulk_jobs"] == 0
    assert unchanged["extraction"]["objects_unchanged"] == 2 * VISIBLE
    assert unchanged["dbt_tests_passed"] == unchanged["dbt_tests_total"] > 0

    assert failing.returncode != 0, failing.stdout[-3000:]
    failed_run = summaries[2]
    assert failed_run["outcome"] == "failed"
    assert "extract_org2.plan" in failed_run["tasks_failed"]
    assert not any(t.startswith("extract.") for t in failed_run["tasks_failed"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns where "
                                             "table_schema='bronze' and table_name='salesforce__account'").fetchall()}
        silver = dict(con.execute("select source_relation, count(*) from silver.int_salesforce__accounts "
                                  "group by all").fetchall())
        gold = dict(con.execute("select source_relation, count(*) from gold.dim_accounts group by all").fetchall())
        states = dict(con.execute(
            "select task_id, state from audit.task_runs where task_id like 'reverse_sync.%'").fetchall())
        landed = {i for (i,) in con.execute(
            "select id from bronze.salesforce__account where _batch_id in (select batch_id from "
            "audit.extract_batches where source = 'salesforce' and kind = 'incremental' and dag_run_id = ?)",
            [failed_run["run_id"]]).fetchall()}
        org2_batches = con.execute("select count(*) from audit.extract_batches where source = 'salesforce_org2' "
                                   "and dag_run_id = ?", [failed_run["run_id"]]).fetchone()[0]
    assert "description" not in columns and "name" in columns, "a hidden field is never asked for"
    assert silver.keys() == gold.keys() == {"salesforce", "salesforce_org2"}
    assert all(n > 0 for n in [*silver.values(), *gold.values()])
    assert "reverse_sync.hightouch_salesforce__account_update" not in states, "skipped, never run"
    assert landed == changed, "the first org's extraction ran and landed its changes"
    assert org2_batches == 0, "the second org landed nothing"


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
