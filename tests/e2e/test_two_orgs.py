"""Two Salesforce orgs through Airflow, end to end: the sandbox's two orgs (same Ids, different records and org
ids) extracted by one DAG run into their own bronze tables, unioned by dbt with source_relation; then a run in
which the second org's credentials are wrong: the first org's extraction still lands its changes, the run fails.
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

OBJECTS = "User,Account,Contact,Lead,Opportunity,Case,Task"
ORGS = f"salesforce_default:salesforce,{SECOND_ORG_CONN_ID}:org2"


def run(org, state, second_org_password: str | None = None) -> subprocess.CompletedProcess:
    values = dict(org.values)
    if second_org_password:
        values["SALESFORCE_2_PASSWORD"] = second_org_password
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "MEDALLION_"))}
    env.update({
        "MEDALLION_STATE_DIR": str(state / "platform"),
        "AIRFLOW_CONN_SALESFORCE_DEFAULT": salesforce_connection(values),
        "AIRFLOW_CONN_" + SECOND_ORG_CONN_ID.upper(): salesforce_connection(values, "SALESFORCE_2_"),
        "REQUESTS_CA_BUNDLE": values["CA_BUNDLE"], "CURL_CA_BUNDLE": values["CA_BUNDLE"],
        "MEDALLION_SALESFORCE_INCLUDE": OBJECTS, "MEDALLION_SALESFORCE_ORGS": ORGS,
        "MEDALLION_EXTRACT_RETRIES": "0",
    })
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run_local.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)


def test_two_orgs_in_one_run_then_one_org_failing(manifest_path, tmp_path):
    env = {"MEDALLION_MANIFEST_PATH": str(manifest_path), "MEDALLION_DUCKDB_PATH": str(tmp_path / "unused.duckdb")}
    org = start_sandbox(ROOT, tmp_path, env, ["--scale", "0.1", "--extra", "second_org=true", "custom_scale=0.02"])
    try:
        first = run(org, tmp_path)
        request = urllib.request.Request(  # the first org changes; the second does not
            org.values["SANDBOX_CONTROL_URL"] + "/orgs/salesforce/mutations", method="POST",
            data=json.dumps({"object": "Account", "kind": "update", "count": 3}).encode())
        changed = {i for i in json.load(urllib.request.urlopen(request, timeout=30))["ids"]}
        second = run(org, tmp_path, second_org_password="wrong")
    finally:
        org.stop()
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    summary = json.loads((tmp_path / "platform" / "last_run.json").read_text())
    sources = summary["extraction"]["sources"]
    assert set(sources) == {"salesforce", "salesforce_org2"}
    assert sources["salesforce"]["org_id"] == "00D8d0000000001EAA"
    assert sources["salesforce_org2"]["org_id"] == org.values["SALESFORCE_2_ORG_ID"] == "00D8d0000000002EAA"
    assert all(s["objects_extracted"] == len(OBJECTS.split(",")) and s["objects_failed"] == 0
               for s in sources.values())
    assert summary["dbt_tests_passed"] == summary["dbt_tests_total"] > 0
    assert "salesforce_org2" in first.stdout and "00D8d0000000002EAA" in first.stdout, "the summary shows each org"

    assert second.returncode != 0, second.stdout[-3000:]
    warehouse = tmp_path / "platform" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        silver = dict(con.execute("select source_relation, count(*) from silver.int_salesforce__accounts "
                                  "group by all").fetchall())
        gold = dict(con.execute("select source_relation, count(*) from gold.dim_accounts group by all").fetchall())
        outcome, failed_run = con.execute("select outcome, summary_json from audit.dag_runs "
                                          "order by finished_at desc limit 1").fetchone()
        landed = {i for (i,) in con.execute(
            "select id from bronze.salesforce__account where _batch_id in (select batch_id from "
            "audit.extract_batches where source = 'salesforce' and kind = 'incremental' and dag_run_id = ?)",
            [json.loads(failed_run)["run_id"]]).fetchall()}
        org2_batches = con.execute("select count(*) from audit.extract_batches where source = 'salesforce_org2' "
                                   "and dag_run_id = ?", [json.loads(failed_run)["run_id"]]).fetchone()[0]
    assert silver.keys() == gold.keys() == {"salesforce", "salesforce_org2"}
    assert all(n > 0 for n in silver.values())
    assert outcome == "failed"
    assert "extract_org2.plan" in json.loads(failed_run)["tasks_failed"]
    assert not any(t.startswith("extract.") for t in json.loads(failed_run)["tasks_failed"])
    assert landed == changed, "the first org's extraction ran and landed its changes"
    assert org2_batches == 0, "the second org landed nothing"
