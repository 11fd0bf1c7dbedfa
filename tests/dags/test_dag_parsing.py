"""Every DAG parses offline, with no connections or variables defined, into the shape the product promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def parsed(manifest_path, tmp_path_factory) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    env.update({"AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow_home")),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
                "MEDALLION_MANIFEST_PATH": str(manifest_path)})
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("parse_dags.py")), str(ROOT / "dags")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_import_errors(parsed):
    assert parsed["import_errors"] == {}
    assert "salesforce_medallion" in parsed["dags"]


def test_no_dag_file_is_named_like_a_dbt_plugin():
    assert not list((ROOT / "dags").glob("dbt_*.py")), "dbt's plugin discovery imports dbt_*.py files"


def test_one_extract_task_per_salesforce_source(parsed, manifest_path):
    manifest = json.loads(manifest_path.read_text())
    objects = {n["name"] for n in manifest["sources"].values() if n["source_name"] == "salesforce"}
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    extract = {t.removeprefix("extract.extract_") for t in tasks if t.startswith("extract.")}
    assert extract == objects
    for task_id in (f"extract.extract_{o}" for o in objects):
        assert tasks[task_id]["retries"] >= 3 and tasks[task_id]["exponential_backoff"]


def test_layers_run_in_order_with_tests_after_models(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    for layer in ("bronze", "silver", "gold"):
        assert any(t.startswith(f"{layer}.") for t in tasks), f"no {layer} tasks rendered"
    test_tasks = [t for t in tasks if t.endswith(".test")]
    assert test_tasks, "Cosmos rendered no test tasks"
    for test_task in test_tasks:
        node = test_task.removesuffix(".test")
        assert {f"{node}.run", f"{node}.seed"} & set(tasks[test_task]["upstream"]), f"{test_task} runs before {node}"
    first_bronze = [t for t, v in tasks.items() if t.startswith("bronze.") and
                    any(u.startswith("extract.") for u in v["upstream"])]
    assert first_bronze, "bronze does not wait for extraction"


def test_reverse_sync_runs_after_its_model_is_tested_and_audit_always_runs(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    sync = tasks["reverse_sync.hightouch_salesforce__account_update"]
    assert sync["type"] == "HightouchTriggerSyncOperator"
    assert "gold.sync_salesforce__account_update.test" in sync["upstream"]
    audit = tasks["audit"]
    assert audit["trigger_rule"] == "all_done"
    assert "reverse_sync.hightouch_salesforce__account_update" in audit["upstream"]


def test_writers_share_the_one_slot_duckdb_pool(parsed):
    tasks = parsed["dags"]["salesforce_medallion"]["tasks"]
    writers = [t for t in tasks if t.startswith(("extract.", "bronze.", "silver.", "gold."))]
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
