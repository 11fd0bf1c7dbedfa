"""Every DAG parses offline into the shape the product promises, in every configuration a user can pick.

The parse runs in a subprocess the way Airflow's dag-processor does, with no Airflow connections or variables
unless the configuration defines them, and a throwaway AIRFLOW_HOME.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SANDBOX_ORG = json.dumps({"conn_type": "salesforce", "login": "u@example.com", "password": "p",
                          "extra": {"security_token": "t", "domain": "127.0.0.1:8443/services/Soap/u/59.0#"}})
REAL_ORG = json.dumps({"conn_type": "salesforce", "login": "integration@acme.example", "password": "p",
                       "extra": {"security_token": "t", "domain": "login"}})
HIGHTOUCH = json.dumps({"conn_type": "http", "host": "https://api.hightouch.com", "password": "k"})

# (name, environment): the org (sandbox or a real one), Hightouch (a connection, none, or syncs off), the target
CONFIGURATIONS = {
    "sandbox-hightouch-local": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": SANDBOX_ORG,
                                "AIRFLOW_CONN_HIGHTOUCH_DEFAULT": HIGHTOUCH},
    "real-org-no-hightouch-local": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": REAL_ORG},
    "real-org-syncs-off-local": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": REAL_ORG, "MEDALLION_REVERSE_SYNC": "off"},
    "real-org-hightouch-postgres": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": REAL_ORG,
                                    "AIRFLOW_CONN_HIGHTOUCH_DEFAULT": HIGHTOUCH, "MEDALLION_TARGET": "postgres"},
    "real-org-no-hightouch-snowflake": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": REAL_ORG, "MEDALLION_TARGET": "snowflake"},
    "no-connections-manual-schedule": {"MEDALLION_SCHEDULE": "none"},
    "sandbox-erp-local": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": SANDBOX_ORG, "MEDALLION_ERP_DROP_DIR": "/nonexistent/drops",
                          "AIRFLOW_CONN_ERP_DATABASE": json.dumps({"conn_type": "generic",
                                                                   "extra": {"dsn": "duckdb:////nonexistent.duckdb"}}),
                          "AIRFLOW_CONN_ERP_API": json.dumps({"conn_type": "http", "host": "http://127.0.0.1:1",
                                                              "password": "t"})},
    "two-orgs-local": {"AIRFLOW_CONN_SALESFORCE_DEFAULT": REAL_ORG, "AIRFLOW_CONN_SF_EMEA": REAL_ORG,
                       "MEDALLION_SALESFORCE_ORGS": "salesforce_default:salesforce,sf_emea:emea"},
}
ERP_GROUPS = {"erp_database": "connection", "erp_files": "drop_folder", "erp_api": "connection"}


def parse(manifest_path: Path, airflow_home: Path, extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_", "MEDALLION_"))}
    env.update({"AIRFLOW_HOME": str(airflow_home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False", "MEDALLION_MANIFEST_PATH": str(manifest_path),
                **extra_env})
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("parse_dags.py")), str(ROOT / "dags")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parsed(manifest_path, tmp_path_factory) -> dict:
    return parse(manifest_path, tmp_path_factory.mktemp("airflow_home"), {})


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def configured(request, manifest_path, tmp_path_factory) -> tuple[str, dict]:
    name = request.param
    return name, parse(manifest_path, tmp_path_factory.mktemp("airflow_home"), CONFIGURATIONS[name])


def test_every_configuration_parses_into_the_same_pipeline(configured):
    name, result = configured
    assert result["import_errors"] == {}, name
    tasks = result["dags"]["salesforce_medallion"]["tasks"]
    assert {"extract.plan", "extract.objects", "extract.done", "audit"} <= set(tasks)
    assert any(t.startswith("gold.") for t in tasks)
    syncs = {t for t in tasks if t.startswith("reverse_sync.")}
    if CONFIGURATIONS[name].get("MEDALLION_REVERSE_SYNC") == "off":
        assert not syncs
    else:  # with or without a Hightouch connection: decided at run time by reverse_sync.hightouch_connection
        assert {"reverse_sync.hightouch_connection", "reverse_sync.hightouch_salesforce__account_update"} <= syncs
    pool = "duckdb_writer" if "MEDALLION_TARGET" not in CONFIGURATIONS[name] else "default_pool"
    assert tasks["extract.objects"]["pool"] == pool


def test_erp_groups_run_beside_salesforce_and_converge_before_bronze(configured):
    """Each ERP source is a group in every configuration (connections are looked up at run time, by its guard);
    the groups run in parallel with Salesforce extraction and bronze waits for all of them."""
    name, result = configured
    tasks = result["dags"]["salesforce_medallion"]["tasks"]
    pool = "duckdb_writer" if "MEDALLION_TARGET" not in CONFIGURATIONS[name] else "default_pool"
    bronze_upstream = set().union(*(set(v["upstream"]) for t, v in tasks.items() if t.startswith("bronze.")))
    for group, guard in ERP_GROUPS.items():
        assert {f"{group}.{guard}", f"{group}.extract", f"{group}.done"} <= set(tasks), name
        assert tasks[f"{group}.{guard}"]["type"] == "ShortCircuitOperator"
        assert tasks[f"{group}.extract"]["upstream"] == [f"{group}.{guard}"]
        assert tasks[f"{group}.extract"]["pool"] == pool and tasks[f"{group}.extract"]["retries"] >= 3
        assert tasks[f"{group}.done"]["trigger_rule"] == "none_failed", "a skipped group lets the layers run"
        assert f"{group}.done" in bronze_upstream
        assert not tasks[f"{group}.{guard}"]["upstream"], "in parallel with the Salesforce extraction"
    assert "extract.done" in bronze_upstream


def test_no_import_errors(parsed):
    assert parsed["import_errors"] == {}
    assert "salesforce_medallion" in parsed["dags"]


def test_no_dag_file_is_named_like_a_dbt_plugin():
    assert not list((ROOT / "dags").glob("dbt_*.py")), "dbt's plugin discovery imports dbt_*.py files"


def test_extraction_is_a_plan_then_tasks_mapped_over_its_result(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    assert tasks["extract.objects"]["mapped"] is True, "one task definition, expanded at run time"
    assert tasks["extract.objects"]["upstream"] == ["extract.plan"]
    for task_id in ("extract.plan", "extract.objects"):
        assert tasks[task_id]["retries"] >= 3 and tasks[task_id]["exponential_backoff"]
    assert tasks["extract.done"]["trigger_rule"] == "none_failed", "a cycle with nothing to extract goes on"
    assert len([t for t in tasks if t.startswith("extract.")]) == 3, "no task per object"


def test_bronze_is_one_build_then_silver_and_gold_run_each_model_then_test_the_layer(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    assert [t for t in tasks if t.startswith("bronze.")] == ["bronze.build"], "bronze is one dbt start"
    assert tasks["bronze.build"]["type"] == "DbtBuildLocalOperator"
    assert "extract.done" in tasks["bronze.build"]["upstream"], "bronze waits for extraction"
    for layer in ("silver", "gold"):
        runs = [t for t in tasks if t.startswith(f"{layer}.") and t.endswith("_run")]
        assert runs and all(tasks[t]["type"] == "DbtRunLocalOperator" for t in runs)
        test = tasks[f"{layer}.test"]
        assert test["type"] == "DbtTestLocalOperator"
        leaves = [t for t in runs if not any(t in tasks[u]["upstream"] for u in runs)]
        assert leaves and set(leaves) <= set(test["upstream"]), "the layer's tests run after all its models"
        assert not [t for t in tasks if t.startswith(f"{layer}.") and t.endswith("_test")
                    and t != f"{layer}.test"], "no per-test tasks"
    first_gold = [t for t, v in tasks.items() if t.startswith("gold.") and "silver.test" in v["upstream"]]
    assert first_gold, "gold waits for silver's tests"


def test_source_freshness_runs_after_extraction_and_before_silver(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    freshness = tasks["source_freshness"]
    assert freshness["type"] == "PythonOperator"
    assert "extract.done" in freshness["upstream"]
    first_silver = [t for t, v in tasks.items() if t.startswith("silver.") and "source_freshness" in v["upstream"]]
    assert first_silver, "silver waits for the freshness check"


def test_reverse_sync_runs_after_its_model_is_tested_and_audit_always_runs(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    sync = tasks["reverse_sync.hightouch_salesforce__account_update"]
    assert sync["type"] == "HightouchTriggerSyncOperator"
    assert {"gold.sync_salesforce__account_update_run", "gold.test",
            "reverse_sync.hightouch_connection"} <= set(sync["upstream"]), "after its model and gold's tests"
    assert tasks["reverse_sync.hightouch_connection"]["type"] == "ShortCircuitOperator"
    audit = tasks["audit"]
    assert audit["trigger_rule"] == "all_done"
    assert "reverse_sync.hightouch_salesforce__account_update" in audit["upstream"]
    leaves = [t for t, v in tasks.items() if not any(t in w["upstream"] for w in tasks.values())]
    assert leaves == ["audit"], "the audit is the only leaf, so its outcome is the run's"


def test_two_orgs_extract_in_parallel_groups_converging_before_bronze(manifest_path, tmp_path):
    result = parse(manifest_path, tmp_path / "airflow_home", {
        "MEDALLION_SALESFORCE_ORGS": "salesforce_default:salesforce,sf_emea:emea"})
    assert result["import_errors"] == {}
    tasks = result["dags"]["salesforce_medallion"]["tasks"]
    for group in ("extract", "extract_emea"):
        assert tasks[f"{group}.objects"]["mapped"] is True
        assert tasks[f"{group}.objects"]["upstream"] == [f"{group}.plan"]
        assert tasks[f"{group}.done"]["trigger_rule"] == "none_failed"
        assert not any(t.startswith("extract") for t in tasks[f"{group}.plan"]["upstream"]), "orgs run in parallel"
    first_bronze = [t for t, v in tasks.items() if t.startswith("bronze.") and "extract.done" in v["upstream"]]
    assert first_bronze and all("extract_emea.done" in tasks[t]["upstream"] for t in first_bronze)


def test_a_bad_org_list_fails_the_parse_with_its_reason(manifest_path, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "MEDALLION_"))}
    env.update({"AIRFLOW_HOME": str(tmp_path), "MEDALLION_MANIFEST_PATH": str(manifest_path),
                "MEDALLION_SALESFORCE_ORGS": "salesforce_default:salesforce,sf_emea:EMEA"})
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("parse_dags.py")), str(ROOT / "dags")],
                          env=env, capture_output=True, text=True, timeout=300)
    errors = json.loads(done.stdout.strip().splitlines()[-1])["import_errors"]
    assert any("org name 'EMEA' must be lower-case" in e for e in errors.values()), errors


def test_writers_share_the_one_slot_duckdb_pool(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    writers = [t for t in tasks if t.startswith(("extract.plan", "extract.objects", "bronze.", "silver.", "gold."))]
    assert writers and all(tasks[t]["pool"] == "duckdb_writer" for t in writers)


def test_every_test_has_its_parents_in_one_layer(manifest_path):
    """Cosmos renders a multi-parent test in every group that builds one of its parents; a test reaching into a
    later layer would run before that layer exists. Keep each test's parents within one layer."""
    manifest = json.loads(manifest_path.read_text())
    nodes = manifest["nodes"]

    def layer(node_id: str) -> str:
        node = nodes[node_id]
        return "silver" if node["resource_type"] == "seed" else node["original_file_path"].split("/")[1]

    spanning = {
        node["name"]: sorted({layer(p) for p in node["depends_on"]["nodes"] if p in nodes})
        for node in nodes.values()
        if node["resource_type"] == "test" and len({layer(p) for p in node["depends_on"]["nodes"] if p in nodes}) > 1
    }
    assert spanning == {}


def _as_of_template() -> str:
    sys.path.insert(0, str(ROOT / "dags"))
    from medallion.dbt_groups import AS_OF_TEMPLATE

    return AS_OF_TEMPLATE


def test_gold_tasks_pass_the_runs_logical_date_as_dbt_var_as_of(parsed):
    """Gold reads "now" from dbt var as_of: every gold dbt task carries it, templated from the DAG run's logical
    date (rendered when the task runs); bronze and silver read no clock and get no var."""
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    dbt_tasks = {t: v for t, v in tasks.items() if t.startswith(("bronze.", "silver.", "gold."))}
    gold = {t: v["dbt_vars"] for t, v in dbt_tasks.items() if t.startswith("gold.")}
    assert gold and all(v == {"as_of": _as_of_template()} for v in gold.values()), gold
    assert all(not v["dbt_vars"] for t, v in dbt_tasks.items() if not t.startswith("gold."))


def test_the_as_of_template_renders_the_logical_date_or_the_run_after(tmp_path):
    """Rendered as Airflow renders templated fields (its own Jinja environment, undefined names are errors)."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from airflow.sdk.definitions._internal.templater import SandboxedEnvironment
    from jinja2 import StrictUndefined

    template = SandboxedEnvironment(undefined=StrictUndefined, cache_size=0).from_string(_as_of_template())
    run = SimpleNamespace(run_after=datetime(2026, 3, 1, 0, 15, tzinfo=timezone.utc))
    logical = datetime(2026, 2, 28, 23, 45, 30, tzinfo=timezone.utc)
    assert template.render(logical_date=logical, dag_run=run) == "2026-02-28 23:45:30"
    assert template.render(logical_date=None, dag_run=run) == "2026-03-01 00:15:00"
    assert template.render(dag_run=run) == "2026-03-01 00:15:00"
def test_generated_silver_is_one_task_not_one_per_model(manifest_path, tmp_path):
    """The generated silver of every extracted object (dbt_project/silver/salesforce_objects/) is built by ONE task of
    the silver group, beside gold: with generated models in the manifest, Cosmos renders none of them."""
    manifest = json.loads(manifest_path.read_text())
    template = next(n for n in manifest["nodes"].values()
                    if n["resource_type"] == "model" and n["original_file_path"].startswith("dbt_project/silver/"))
    for name in ("widget__c", "gadget__c", "account"):
        model = f"int_salesforce_object__{name}"
        path = f"silver/salesforce_objects/{model}.sql"
        manifest["nodes"][f"model.medallion.{model}"] = {
            **template, "unique_id": f"model.medallion.{model}", "name": model, "alias": model,
            "path": path, "original_file_path": f"dbt_project/{path}", "fqn": ["medallion", *path[:-4].split("/")],
            "depends_on": {"macros": [], "nodes": []}}
    with_generated = tmp_path / "manifest.json"
    with_generated.write_text(json.dumps(manifest))
    result = parse(with_generated, tmp_path / "airflow_home", {})
    assert result["import_errors"] == {}
    tasks = result["dags"]["salesforce_medallion"]["tasks"]
    assert not [t for t in tasks if "int_salesforce_object__" in t], "no Cosmos task per generated model"
    one = tasks["silver.salesforce_objects"]
    assert one["type"] == "PythonOperator" and one["pool"] == "duckdb_writer"
    assert one["upstream"] and all(t.startswith("bronze.") for t in one["upstream"]), "after bronze"
    assert "silver.salesforce_objects" in tasks["audit"]["upstream"]
    assert not any("silver.salesforce_objects" in v["upstream"] for t, v in tasks.items() if t.startswith("gold.")), \
        "gold reads none of it: it never waits for it"
