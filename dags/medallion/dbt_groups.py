"""Cosmos task groups for the medallion layers, all rendered from the manifest the Makefile builds."""

from __future__ import annotations

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

from medallion.config import DBT_PROFILE, PROJECT_ROOT, Settings

# One task per model: `dbt build` runs the model, then its tests (TestBehavior.BUILD), so a model whose tests fail
# stops everything downstream. Cautious selection: a model's task runs only the tests whose parents have all been
# built; tests with several parents (relationships, seed-backed picklist checks) get their own task after every
# parent.
EXECUTION = ExecutionConfig(
    execution_mode=ExecutionMode.LOCAL,
    invocation_mode=InvocationMode.DBT_RUNNER,
    test_indirect_selection=TestIndirectSelection.CAUTIOUS,
)

# Which dbt nodes each layer's group renders (Cosmos selectors on the project's paths).
LAYER_SELECTORS = {
    "bronze": ["path:dbt_project/bronze"],
    "silver": ["path:seeds", "path:dbt_project/silver"],
    "gold": ["path:dbt_project/gold"],
}
# The generated silver of every extracted object (200+ models) is one task of the silver group, not one per model
# (dags/medallion/silver_objects.py): Cosmos leaves its folder out.
LAYER_EXCLUDES = {"silver": ["path:dbt_project/silver/salesforce_objects"]}


# dbt var as_of (macros/as_of.sql): the instant gold treats as "now" (open case age, overdue tasks, the as-of month,
# the last day of the opportunity snapshot) is the DAG run's logical date, in UTC, so re-running a past DAG run
# rebuilds gold as of that run. A run without a logical date (Airflow 3 allows manual runs without one) uses its
# run_after. `vars` is one of Cosmos's templated operator fields: Airflow renders this when the task runs. Only
# the gold layer reads the clock; bronze and silver get no var (a var changes dbt's parse state: a full re-parse).
AS_OF_TEMPLATE = (
    "{{ (logical_date if logical_date is defined and logical_date else dag_run.run_after)"
    ".strftime('%Y-%m-%d %H:%M:%S') }}"
)
LAYER_VARS = {"gold": {"as_of": AS_OF_TEMPLATE}}


def freeze_heap_before_dbt(context=None) -> None:
    """Move every object alive before the dbt command to the collector's permanent generation.

    Cosmos runs ``gc.collect()`` after every dbt invocation (to release dbt adapters' semaphores, cosmos#2334).
    A full collection walks the whole heap, Airflow's and the parsed DAG's included: about a second per task,
    and a third of a `make run`. Frozen objects are skipped, so the collection only walks what dbt created.
    """
    import gc

    gc.freeze()


def dbt_layer_group(layer: str, settings: Settings, default_args: dict) -> DbtTaskGroup:
    project = ProjectConfig(
        dbt_project_path=PROJECT_ROOT,
        manifest_path=settings.manifest_path,
        models_relative_path="dbt_project",  # the design card's layout: models in dbt_project/, not models/
        install_dbt_deps=False,
        env_vars=settings.dbt_env(),
    )
    profile = ProfileConfig(profile_name=DBT_PROFILE, target_name=settings.target,
                            profiles_yml_filepath=settings.profiles_path)
    return DbtTaskGroup(
        group_id=layer,
        project_config=project,
        profile_config=profile,
        execution_config=EXECUTION,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=LAYER_SELECTORS[layer],
            exclude=LAYER_EXCLUDES.get(layer, []),
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            emit_datasets=layer == "gold",
        ),
        # --no-populate-cache: dbt would list every relation of bronze (one table per extracted object, 200+) at
        # the start of each task; a task only needs the relations it builds.
        operator_args={"pool": settings.writer_pool, "dbt_cmd_flags": ["--no-populate-cache"],
                       "pre_execute": freeze_heap_before_dbt,
                       **({"vars": LAYER_VARS[layer]} if layer in LAYER_VARS else {})},
        default_args=default_args,
    )
