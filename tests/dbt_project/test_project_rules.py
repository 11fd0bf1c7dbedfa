"""The project's modelling rules (common to every contributor), checked over the manifest dbt writes
(target/manifest.json) and, for the columns gold models really have, over a DuckDB build of the bronze fixture.

Every failure names the model and the rule it breaks, e.g.
    gold/fct_orders: description does not state the grain ("One row per ...")
The rules:
- prefixes per folder: bronze stg_, silver int_, gold fct_ / dim_ / sync_ (no model outside these folders);
- every model's description states its grain: "One row per ..." (any case, e.g. "Grain: one row per ...");
- every column of a gold model is documented (and every documented gold column exists);
- every model has at least one test: a data test on it or on one of its columns, a singular test reading it,
  or a unit test of it;
- every test runs in a task of the DAG: its parents all sit in one layer (a test across layers would be selected by
  no layer's test task, dags/medallion/dbt_layers.py);
- every sync_ model is an exposure's dependency (the DAG syncs exposures, docs/ARCHITECTURE.md);
- every gold model has a row in the README's table of gold models (what it answers).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from typing import Any

import duckdb
import pytest
from warehouse_builds import REPO_ROOT, failures, land_bronze_duckdb, run_dbt

PREFIXES = {"bronze": ("stg_",), "silver": ("int_",), "gold": ("fct_", "dim_", "sync_")}
GRAIN = re.compile(r"\bone row per\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def project(tmp_path_factory, bronze_fixture) -> dict[str, Any]:
    """The manifest of the project as it is now, and the columns of every gold table built from the fixture."""
    work_dir = tmp_path_factory.mktemp("dbt_rules")
    db_path = work_dir / "warehouse.duckdb"
    land_bronze_duckdb(db_path, bronze_fixture)
    command = ["build", "--select", "+path:dbt_project/gold", "--resource-type", "model", "--resource-type", "seed"]
    result = run_dbt(command, "local", work_dir, MEDALLION_DUCKDB_PATH=str(db_path))
    # a model that fails to build fails the gold-column rule only (the manifest rules need no build)
    assert result.result is not None, failures(result)
    build_errors = {unique_id: message for unique_id, _, message in failures(result)}
    manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    with duckdb.connect(str(db_path)) as con:
        rows = con.execute("select table_name, column_name from information_schema.columns "
                           "where table_schema = 'gold'").fetchall()
    gold_columns: dict[str, set[str]] = defaultdict(set)
    for table, column in rows:
        gold_columns[table].add(column.lower())
    return {"manifest": manifest, "gold_columns": gold_columns, "build_errors": build_errors}


def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model" and node["package_name"] == "medallion"}


def layer(node: dict) -> str:
    parts = node["original_file_path"].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "dbt_project" else ""


def label(node: dict) -> str:
    return f"{layer(node) or '?'}/{node['name']}"


def assert_no_violations(violations: list[str], rule: str) -> None:
    assert not violations, f"{len(violations)} violation(s) of the rule '{rule}':\n  " + "\n  ".join(sorted(violations))


def test_models_are_prefixed_by_their_folder(project):
    violations = []
    for node in models(project["manifest"]).values():
        folder = layer(node)
        if folder not in PREFIXES:
            violations.append(f"{label(node)}: lives outside dbt_project/bronze, silver or gold "
                              f"({node['original_file_path']})")
        elif not node["name"].startswith(PREFIXES[folder]):
            violations.append(
                f"{label(node)}: name must start with {' or '.join(PREFIXES[folder])} (the {folder} prefix)")
    assert_no_violations(violations, "prefix per folder")


def test_every_model_states_its_grain(project):
    violations = [
        f"{label(node)}: description does not state the grain (\"One row per ...\")"
        for node in models(project["manifest"]).values() if not GRAIN.search(node.get("description") or "")
    ]
    assert_no_violations(violations, "description states the grain")


def test_every_gold_column_is_documented(project):
    violations = []
    gold = [node for node in models(project["manifest"]).values() if layer(node) == "gold"]
    assert gold, "no gold model in the manifest"
    for node in gold:
        built = project["gold_columns"].get(node["alias"] or node["name"])
        if not built:
            error = project["build_errors"].get(node["unique_id"], "an upstream model failed")
            violations.append(f"{label(node)}: could not be built on the bronze fixture (tests/dbt_project/"
                              f"fixtures/bronze) to read its columns: {error[:300]}")
            continue
        documented = {name.lower(): column for name, column in node["columns"].items()}
        for column in sorted(built):
            if not (documented.get(column, {}).get("description") or "").strip():
                violations.append(f"{label(node)}: column {column} is not documented")
        for column in sorted(set(documented) - built):
            violations.append(f"{label(node)}: documented column {column} does not exist")
    assert_no_violations(violations, "every gold column documented")


def test_every_model_has_a_test(project):
    manifest = project["manifest"]
    tested: set[str] = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            if node.get("attached_node"):
                tested.add(node["attached_node"])
            tested.update(node["depends_on"]["nodes"])
    for unit_test in manifest.get("unit_tests", {}).values():
        tested.add(f"model.{unit_test['package_name']}.{unit_test['model']}")
    violations = [f"{label(node)}: has no test (data test, singular test or unit test)"
                  for uid, node in models(manifest).items() if uid not in tested]
    assert_no_violations(violations, "at least one test on every model")


def test_every_test_runs_in_a_task_of_the_dag(project):
    sys.path.insert(0, str(REPO_ROOT / "dags"))
    from medallion.dbt_layers import project_tests, task_running_test

    manifest = project["manifest"]
    tests = project_tests(manifest)
    violations = [f"{test['unique_id']}: its parents span layers ({', '.join(test['depends_on']['nodes'])}), so no "
                  "task of the DAG runs it" for test in tests if task_running_test(test, manifest) is None]
    assert tests and not violations, "\n".join(violations)


def test_every_sync_model_has_an_exposure(project):
    manifest = project["manifest"]
    exposed = {uid for exposure in manifest["exposures"].values() for uid in exposure["depends_on"]["nodes"]}
    sync_models = {uid: node for uid, node in models(manifest).items() if node["name"].startswith("sync_")}
    assert sync_models, "no sync_ model in the manifest"
    violations = [f"{label(node)}: no exposure depends on it (the DAG syncs exposures)"
                  for uid, node in sync_models.items() if uid not in exposed]
    assert_no_violations(violations, "every sync_ model has an exposure")


def test_every_gold_model_is_in_the_readme(project):
    readme = (REPO_ROOT / "README.md").read_text()
    rows = set(re.findall(r"^\|\s*`(\w+)`\s*\|", readme, flags=re.MULTILINE))
    violations = [f"{label(node)}: no row in README.md's table of gold models (grain, what it answers)"
                  for node in models(project["manifest"]).values()
                  if layer(node) == "gold" and node["name"] not in rows]
    assert_no_violations(violations, "every gold model in the README")
