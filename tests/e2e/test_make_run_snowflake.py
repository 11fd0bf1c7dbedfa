"""`make run TARGET=snowflake` end to end on the sandbox: fakesnow stands in for Snowflake.

run_local.py starts `fakesnow -s` itself (no MEDALLION_SF_HOST set: no account), with its databases under the run's
state directory, and stops it after reading the summary. Extraction lands into it through PUT and COPY INTO, dbt
builds bronze, silver and gold in it through Cosmos, the fake Hightouch reads the sync model from it, and the run
audit is written into it. To stay within a few minutes, the org's objects are narrowed to those the dbt sources
read and the DAG runs once (the whole 218-object org, twice, is `make run TARGET=snowflake`; incremental landing on
Snowflake is tested at the writer level in tests/extract). Afterwards the test reopens the same databases on a
fakesnow of its own and checks them against the org's true contents.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.conftest import ROOT
from tests.e2e.test_make_run import run_pipeline

pytestmark = pytest.mark.e2e

OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Case", "Task", "User")
ENV = {"MEDALLION_TARGET": "snowflake", "MEDALLION_SALESFORCE_INCLUDE": ",".join(OBJECTS)}


@pytest.fixture(scope="module")
def one_run(manifest_path, tmp_path_factory):
    state = tmp_path_factory.mktemp("medallion-state-snowflake")
    done = run_pipeline(state, **ENV)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return state, done, json.loads((state / "last_run.json").read_text())


@pytest.fixture(scope="module")
def warehouse(one_run):
    """The databases the runs left, served again by a fakesnow of the test's own."""
    from extract.warehouse.snowflake_bronze import SnowflakeBronzeWriter
    from scripts.local_env import start_fakesnow
    from tests.extract.conftest import snowflake_connect_args

    state = one_run[0]
    server = start_fakesnow(ROOT, state / "fakesnow", state / "logs" / "fakesnow-check.log")
    try:
        with SnowflakeBronzeWriter(**snowflake_connect_args(server.profile_env(), "MEDALLION")) as writer:
            yield writer
    finally:
        server.stop()


@pytest.fixture(scope="module")
def org_truth(one_run):
    from sandbox.server import Sandbox

    with Sandbox(one_run[0] / "sandbox") as sb:  # reopened on its state: the org as the run left it
        return {name: {(r["Id"], r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z")) for r in sb.org.rows(name)}
                for name in OBJECTS}


def test_the_run_lands_builds_and_syncs_in_snowflake(one_run):
    _, done, summary = one_run
    assert "Snowflake as fakesnow serves it" in done.stdout
    extraction = summary["extraction"]
    assert summary["outcome"] == "success"
    assert extraction["objects_extracted"] == len(OBJECTS) and extraction["objects_failed"] == 0
    assert extraction["rows_landed"] == extraction["rows_received"] > 10_000
    assert all(summary["rows_per_layer"][layer] > 0 for layer in ("bronze", "silver", "gold"))
    assert summary["dbt_tests_total"] > 0 and summary["dbt_tests_passed"] == summary["dbt_tests_total"]
    assert summary["records_synced"] > 0 and summary["records_failed_to_sync"] == 0


def test_bronze_holds_every_current_version_once(warehouse, org_truth):
    synced_after_extraction = {r[0] for r in warehouse.query("select id from gold.sync_salesforce__account_update")}
    for object_name, versions in org_truth.items():
        landed = Counter(warehouse.query(f'select id, systemmodstamp from bronze."salesforce__{object_name.lower()}" '
                                         f"where _change_kind = 'change'"))
        assert not [k for k, n in landed.items() if n > 1], f"{object_name}: a version landed twice"
        missing = versions - set(landed)
        if object_name == "Account":
            missing = {(i, s) for i, s in missing if i not in synced_after_extraction}
        assert not missing, f"{object_name}: {len(missing)} current versions missing, e.g. {sorted(missing)[:3]}"


def test_the_audit_and_the_layers_are_in_snowflake(warehouse, one_run):
    runs = warehouse.query("select run_id, outcome from audit.dag_runs order by finished_at")
    assert [o for _, o in runs] == ["success"]
    assert warehouse.query("select count(*) from audit.task_runs where task_id like 'extract.%'")[0][0] > 0
    gold = warehouse.query("select count(*) from gold.dim_accounts")[0][0]
    assert gold == one_run[2]["rows_per_table"]["gold.dim_accounts"] > 0
