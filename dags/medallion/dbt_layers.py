"""Which dbt nodes each medallion layer holds, and which Airflow task runs each dbt test (no Cosmos import).

The DAG runs dbt in these tasks:

- ``bronze.build``: one ``dbt build`` of the whole bronze folder (staging views over the landed tables, their
  unit tests, their tests and the source tests): 20+ trivial views are one dbt start, not 20;
- ``silver.<model>_run`` / ``gold.<model>_run``: one Cosmos task per model (``dbt run``), in dependency order;
- ``silver.test`` / ``gold.test``: every test of the layer (data and unit tests), once the
  layer's models are built (one dbt test of the layer's selection); gold waits for silver's tests, the reverse syncs for
  gold's, so data that fails a test never reaches the next layer or Salesforce;
- ``silver.salesforce_objects``: the generated silver of every extracted object, built with its tests.

The audit (run_audit.dbt_test_counts) counts a test as passed when the task that runs it succeeded, and
tests/dbt_project/test_project_rules.py checks every test of the project has such a task.
"""

from __future__ import annotations

LAYERS = ("bronze", "silver", "gold")
LAYER_PATHS = {
    "bronze": ("dbt_project/bronze",),
    "silver": ("seeds", "dbt_project/silver"),
    "gold": ("dbt_project/gold",),
}
GENERATED_SILVER_PATH = "dbt_project/silver/salesforce_objects"
LAYER_SELECTORS = {layer: [f"path:{p}" for p in paths] for layer, paths in LAYER_PATHS.items()}
LAYER_EXCLUDES = {"silver": [f"path:{GENERATED_SILVER_PATH}"]}

BRONZE_BUILD_TASK = "build"
GENERATED_SILVER_TASK = "salesforce_objects"
TEST_TASK = "test"


def layer_of_path(path: str) -> str | None:
    """The layer a project file belongs to ('silver_objects' for the generated silver), or None."""
    if path == GENERATED_SILVER_PATH or path.startswith(GENERATED_SILVER_PATH + "/"):
        return "silver_objects"
    for layer, prefixes in LAYER_PATHS.items():
        if any(path == p or path.startswith(p + "/") for p in prefixes):
            return layer
    return None


def task_running_test(test: dict, manifest: dict) -> str | None:
    """The task id (``<group>.<task>``) that runs a test or unit test node, or None when no task runs it.

    A test runs where all of its parents are (the tasks select tests cautiously: every parent in the selection).
    A test whose parents span layers would run nowhere: the project rules forbid it.
    """
    layers = set()
    for parent in test["depends_on"]["nodes"]:
        node = manifest["nodes"].get(parent) or manifest["sources"].get(parent)
        if node is None:
            continue
        if node["resource_type"] == "source":  # sources are declared in the bronze folder
            layers.add(layer_of_path(node["original_file_path"]))
        elif node["resource_type"] in ("model", "seed", "snapshot"):
            layers.add(layer_of_path(node["original_file_path"]))
    if len(layers) != 1:
        return None
    (layer,) = layers
    if layer == "bronze":
        return f"bronze.{BRONZE_BUILD_TASK}"
    if layer == "silver_objects":
        return f"silver.{GENERATED_SILVER_TASK}"
    if layer in ("silver", "gold"):
        return f"{layer}.{TEST_TASK}"
    return None


def project_tests(manifest: dict) -> list[dict]:
    """Every data test and unit test of the manifest."""
    data_tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    return data_tests + list(manifest.get("unit_tests", {}).values())
