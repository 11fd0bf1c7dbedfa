"""The medallion layers' dbt tasks: Cosmos groups for silver and gold (rendered from the manifest the Makefile
builds), one dbt build task for bronze. Which task runs which test: dags/medallion/dbt_layers.py."""

from __future__ import annotations

from airflow.sdk import TaskGroup
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection
from cosmos.operators.local import DbtBuildLocalOperator, DbtTestLocalOperator

from medallion.config import DBT_PROFILE, PROJECT_ROOT, Settings
from medallion.dbt_layers import BRONZE_BUILD_TASK, LAYER_EXCLUDES, LAYER_SELECTORS, TEST_TASK

# Silver and gold: one Cosmos task per model (`dbt run`), in dependency order, then one task running every test
# of the layer (one `dbt test` task; cautious selection: the tests whose parents are all in the layer). A failing
# test stops the next layer (gold waits for silver's tests; the reverse syncs for gold's), so bad data never reaches
# gold or Salesforce. Per-model tests (BUILD) cost a dbt start per model and one more per multi-parent test: 130
# tasks and two thirds of a run's dbt time for ~70 models (DECISIONLOG). Bronze is one `dbt build` task
# (bronze_group): its staging views are trivial, and 20 dbt starts were a minute of every run.
EXECUTION = ExecutionConfig(
    execution_mode=ExecutionMode.LOCAL,
    invocation_mode=InvocationMode.DBT_RUNNER,
    test_indirect_selection=TestIndirectSelection.CAUTIOUS,
)


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


def _profile(settings: Settings) -> ProfileConfig:
    return ProfileConfig(profile_name=DBT_PROFILE, target_name=settings.target,
                         profiles_yml_filepath=settings.profiles_path)


def dbt_layer_group(layer: str, settings: Settings, default_args: dict) -> DbtTaskGroup:
    """Silver or gold: a task per model (``dbt run``), then the layer's tests in one task (``<layer>.test``).

    The test task is ours, not Cosmos's TestBehavior.AFTER_ALL task: that one is named after the checkout's folder.
    """
    project = ProjectConfig(
        dbt_project_path=PROJECT_ROOT,
        manifest_path=settings.manifest_path,
        models_relative_path="dbt_project",  # the design card's layout: models in dbt_project/, not models/
        install_dbt_deps=False,
        env_vars=settings.dbt_env(),
    )
    # --no-populate-cache: dbt would list every relation of bronze (one table per extracted object, 200+) at the
    # start of each task; a task only needs the relations it builds.
    operator_args = {"pool": settings.writer_pool, "dbt_cmd_flags": ["--no-populate-cache"],
                     "pre_execute": freeze_heap_before_dbt,
                     **({"vars": LAYER_VARS[layer]} if layer in LAYER_VARS else {})}
    group = DbtTaskGroup(
        group_id=layer,
        project_config=project,
        profile_config=_profile(settings),
        execution_config=EXECUTION,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=LAYER_SELECTORS[layer],
            exclude=LAYER_EXCLUDES.get(layer, []),
            test_behavior=TestBehavior.NONE,
            emit_datasets=layer == "gold",
        ),
        operator_args=operator_args,
        default_args=default_args,
    )
    models = list(group.get_leaves())
    with group:
        tests = DbtTestLocalOperator(
            task_id=TEST_TASK,
            project_dir=str(PROJECT_ROOT),
            profile_config=_profile(settings),
            invocation_mode=InvocationMode.DBT_RUNNER,
            install_deps=False,
            select=LAYER_SELECTORS[layer],
            exclude=LAYER_EXCLUDES.get(layer, []),
            indirect_selection=TestIndirectSelection.CAUTIOUS.value,
            env=settings.dbt_env(),
            default_args=default_args,
            **operator_args,
        )
    models >> tests
    group.tasks_map[TEST_TASK] = tests
    return group


def bronze_group(settings: Settings, default_args: dict) -> TaskGroup:
    """Bronze: one ``dbt build`` of the staging views, their unit tests, their tests and the source tests."""
    with TaskGroup("bronze", tooltip="dbt build of the staging views over the landed tables, with their tests "
                                     "and the source tests (one dbt start)") as group:
        DbtBuildLocalOperator(
            task_id=BRONZE_BUILD_TASK,
            project_dir=str(PROJECT_ROOT),
            profile_config=_profile(settings),
            invocation_mode=InvocationMode.DBT_RUNNER,
            install_deps=False,
            select=LAYER_SELECTORS["bronze"],
            indirect_selection=TestIndirectSelection.CAUTIOUS.value,
            env=settings.dbt_env(),
            pool=settings.writer_pool,
            pre_execute=freeze_heap_before_dbt,
            default_args=default_args,
        )
    return group
