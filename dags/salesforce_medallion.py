"""salesforce_medallion: Salesforce -> bronze -> silver -> gold -> back into Salesforce, then an audit.

plan (org identity, limits, describe, change probes) >> extract (mapped over the objects with work, resolved at
run time; a large object per task, small ones packed together): one such group per configured org (`extract` for
the default org, `extract_<name>` for the others, MEDALLION_SALESFORCE_ORGS), in parallel with each other and with
the ERP's groups (erp_database, erp_files, erp_api: each skipped at run time without its connection or drop
folder), all converging
>> bronze (one dbt build of the staging views with their tests; and source_freshness beside it: dbt source
freshness on the loader timestamp; a stale source warns, one past its error threshold fails the run) >> silver
(Cosmos: a task per model, then the layer's tests; plus one task building the generated silver of every extracted
object) >> gold (the same) >> reverse syncs (one per sync_ exposure, after gold's tests; skipped at run time without
a Hightouch connection) >> audit (always runs; the run fails when any task
failed). Settings come from dags/medallion/config.py; the callables live in dags/medallion/.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator
from airflow.sdk import DAG, TaskGroup

from medallion import config
from medallion.dbt_groups import bronze_group, dbt_layer_group
from medallion.dbt_layers import TEST_TASK
from medallion.erp_tasks import (
    erp_connection_exists,
    erp_drop_dir_exists,
    extract_erp_api,
    extract_erp_database,
    extract_erp_files,
)
from medallion.extract_tasks import extract_salesforce_objects, plan_salesforce_cycle
from medallion.freshness import check_source_freshness
from medallion.hightouch import hightouch_connection_exists
from medallion.manifest import reverse_syncs, salesforce_sources
from medallion.run_audit import TaskRunRecorder, audit_dag_run
from medallion.silver_objects import build_silver_objects

settings = config.SETTINGS
record_task_run = TaskRunRecorder(settings.warehouse())
DEFAULT_ARGS = {"owner": "data-platform", "on_success_callback": [record_task_run],
                "on_failure_callback": [record_task_run]}
required_objects = sorted({s.object_name for s in salesforce_sources(settings.manifest_path)})

with DAG(
    dag_id=config.DAG_ID,
    description="Salesforce through the bronze/silver/gold medallion and back into Salesforce",
    schedule=settings.schedule,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["salesforce", "medallion", "reverse-etl"],
) as dag:
    extract_groups = []
    for org in settings.salesforce_orgs:
        extraction = settings.salesforce_extraction(org, required_objects)
        with TaskGroup(org.group_id, tooltip=f"org {org.name} (connection {org.conn_id}): probe the org, then "
                                             "mapped tasks over the objects with work") as extract:
            plan = PythonOperator(task_id="plan", python_callable=plan_salesforce_cycle,
                                  op_kwargs={"extraction": extraction}, pool=settings.writer_pool,
                                  **settings.extract_retry_policy)
            objects = PythonOperator.partial(
                task_id="objects", python_callable=extract_salesforce_objects, op_args=[extraction],
                pool=settings.writer_pool, map_index_template="{{ task.op_kwargs['shard']['label'] }}",
                **settings.extract_retry_policy,
            ).expand(op_kwargs=plan.output)
            # Zero objects with changes is a normal cycle: the layers run after a skipped mapping too.
            done = EmptyOperator(task_id="done", trigger_rule="none_failed")
            plan >> objects >> done
        extract_groups.append(extract)

    erp = settings.erp()
    erp_groups = []
    for group_id, tooltip, guard_id, guard, guard_args, extract_erp in (
        ("erp_database", "ERP tables by their modified_at watermark", "connection", erp_connection_exists,
         [settings.erp_database_conn_id, "ERP database"], extract_erp_database),
        ("erp_files", "ERP flat-file drops: once by checksum, quarantine, archive", "drop_folder",
         erp_drop_dir_exists, [erp["drop_dir"]], extract_erp_files),
        ("erp_api", "ERP REST API: usage events and payments", "connection", erp_connection_exists,
         [settings.erp_api_conn_id, "ERP REST API"], extract_erp_api),
    ):
        with TaskGroup(group_id, tooltip=tooltip) as erp_group:
            configured = ShortCircuitOperator(task_id=guard_id, python_callable=guard, op_args=guard_args,
                                              ignore_downstream_trigger_rules=False)
            erp_extract = PythonOperator(task_id="extract", python_callable=extract_erp,
                                         op_kwargs={"erp": erp, "warehouse": settings.warehouse()},
                                         pool=settings.writer_pool, **settings.extract_retry_policy)
            # skipped (no connection) is a normal cycle: the layers run after it
            erp_done = EmptyOperator(task_id="done", trigger_rule="none_failed")
            configured >> erp_extract >> erp_done
        erp_groups.append(erp_group)

    bronze = bronze_group(settings, DEFAULT_ARGS)
    silver = dbt_layer_group("silver", settings, DEFAULT_ARGS)
    gold = dbt_layer_group("gold", settings, DEFAULT_ARGS)
    [*extract_groups, *erp_groups] >> bronze
    bronze >> silver >> gold
    # dbt source freshness on _extracted_at: stale warns, past the error threshold fails (silver never builds)
    freshness = PythonOperator(
        task_id="source_freshness", python_callable=check_source_freshness, pool=settings.writer_pool,
        op_kwargs={"warehouse": settings.warehouse(), "dbt_env": settings.dbt_env(), "target": settings.target,
                   "manifest_path": str(settings.manifest_path),
                   "profiles_dir": str(settings.profiles_path.parent)},
    )
    [*extract_groups, *erp_groups] >> freshness >> silver

    syncs = reverse_syncs(settings.manifest_path) if settings.reverse_sync != "off" else []
    audit = PythonOperator(
        task_id="audit", python_callable=audit_dag_run, trigger_rule="all_done", pool=settings.writer_pool,
        op_kwargs={"warehouse": settings.warehouse(), "manifest_path": str(settings.manifest_path),
                   "hightouch_conn_id": settings.hightouch_conn_id,
                   "sync_slugs": [s.hightouch_sync_slug for s in syncs if s.hightouch_sync_slug]},
    )
    gold >> audit
    if settings.silver_objects_threads > 0:
        # every extracted object's generated silver: one task, one dbt build (not 200 Cosmos tasks); gold reads
        # none of it, so it neither waits for gold nor holds gold up
        with silver:
            silver_objects = PythonOperator(task_id="salesforce_objects", python_callable=build_silver_objects,
                                            op_kwargs=settings.silver_objects(), pool=settings.writer_pool)
        bronze >> silver_objects >> audit
    if syncs:  # an empty group wired into a dependency would make a cycle: only build it with syncs in it
        from airflow_provider_hightouch.operators.hightouch import HightouchTriggerSyncOperator

        with TaskGroup("reverse_sync", tooltip="gold sync_ models back into Salesforce") as reverse_sync:
            hightouch = ShortCircuitOperator(
                task_id="hightouch_connection", python_callable=hightouch_connection_exists,
                op_args=[settings.hightouch_conn_id], ignore_downstream_trigger_rules=False)
            gold >> hightouch
            for sync in syncs:
                sync_task = HightouchTriggerSyncOperator(
                    task_id=f"hightouch_{sync.exposure}", sync_slug=sync.hightouch_sync_slug,
                    connection_id=settings.hightouch_conn_id, synchronous=True, wait_seconds=1, timeout=1800)
                hightouch >> sync_task
                [gold.tasks_map[sync.model_unique_id], gold.tasks_map[TEST_TASK]] >> sync_task
        reverse_sync >> audit
