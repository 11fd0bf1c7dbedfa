"""`make run TARGET=postgres` end to end on the sandbox: PostgreSQL is the warehouse.

run_local.py creates the database (a name of this test's own, dropped at the end); extraction lands the org and the
ERP into it with COPY (one transaction per batch with its cursor), every batch is archived in the bronze store, dbt
builds bronze, silver and gold in it through Cosmos, the fake Hightouch reads the sync model from it and the run
audit is written into it. To stay within a few minutes the org's objects are narrowed to those the dbt sources read
and the DAG runs once; the whole 218-object org twice is tests/e2e/test_make_run.py on DuckDB (the same DAG and
writer contract), and incremental landing on PostgreSQL is tested at the writer level in tests/extract.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest

from tests.e2e.test_make_run import PG_ADMIN, Warehouse, run_pipeline

pytestmark = pytest.mark.e2e

OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Case", "Task", "User")


@pytest.fixture(scope="module")
def one_run(manifest_path, tmp_path_factory):
    import psycopg

    state = tmp_path_factory.mktemp("medallion-state-postgres")
    warehouse = Warehouse("postgres", state, f"medallion_e2e_{uuid.uuid4().hex[:10]}")
    try:
        done = run_pipeline(state, **warehouse.env(), MEDALLION_SALESFORCE_INCLUDE=",".join(OBJECTS))
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        yield warehouse, done, json.loads((state / "last_run.json").read_text())
    finally:
        with psycopg.connect(**PG_ADMIN, dbname="postgres", autocommit=True) as con:
            con.execute(f'drop database if exists "{warehouse.database}" with (force)')


@pytest.fixture(scope="module")
def org_truth(one_run):
    from sandbox.server import Sandbox

    with Sandbox(one_run[0].state / "sandbox") as sb:  # reopened on its state: the org as the run left it
        return {name: {(r["Id"], r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z")) for r in sb.org.rows(name)}
                for name in OBJECTS}


def test_the_run_lands_builds_and_syncs_in_postgres(one_run):
    warehouse, done, summary = one_run
    assert f"PostgreSQL database {warehouse.database}" in done.stdout
    extraction = summary["extraction"]
    assert summary["outcome"] == "success"
    assert extraction["objects_extracted"] == len(OBJECTS) and extraction["objects_failed"] == 0
    assert extraction["rows_landed"] == extraction["rows_received"] > 10_000
    assert {"erp", "erp_api", "erp_files"} <= set(summary["erp"])
    assert all(figures["failed"] == 0 and figures["rows_landed"] > 0 for figures in summary["erp"].values())
    assert all(summary["rows_per_layer"][layer] > 0 for layer in ("bronze", "silver", "gold"))
    assert summary["dbt_tests_total"] > 0 and summary["dbt_tests_passed"] == summary["dbt_tests_total"]
    assert summary["records_synced"] > 0 and summary["records_failed_to_sync"] == 0


def test_bronze_holds_every_current_version_once(one_run, org_truth):
    warehouse = one_run[0]
    synced_after_extraction = {r[0] for r in warehouse.query("select id from gold.sync_salesforce__account_update")}
    for object_name, versions in org_truth.items():
        landed = Counter(warehouse.query(f'select id, systemmodstamp from bronze."salesforce__{object_name.lower()}" '
                                         f"where _change_kind = 'change'"))
        assert not [k for k, n in landed.items() if n > 1], f"{object_name}: a version landed twice"
        missing = versions - set(landed)
        if object_name == "Account":
            missing = {(i, s) for i, s in missing if i not in synced_after_extraction}
        assert not missing, f"{object_name}: {len(missing)} current versions missing, e.g. {sorted(missing)[:3]}"


def test_every_batch_is_archived_and_the_audit_is_in_postgres(one_run):
    from extract.bronze_store import BronzeStore

    warehouse, _, summary = one_run
    committed = {r[0] for r in warehouse.query("select batch_id from audit.extract_batches "
                                               "where status = 'succeeded' and rows_landed > 0")}
    archived = {m.batch_id for m in BronzeStore.from_url(str(warehouse.state / "bronze_store")).manifests()}
    assert committed and committed <= archived
    assert [o for (o,) in warehouse.query("select outcome from audit.dag_runs")] == ["success"]
    gold = warehouse.query("select count(*) from gold.dim_accounts")[0][0]
    assert gold == summary["rows_per_table"]["gold.dim_accounts"] > 0
