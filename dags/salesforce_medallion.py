"""salesforce_medallion: Salesforce -> bronze -> silver -> gold -> back into Salesforce, then an audit.

Extract (one task per object named in the dbt sources) >> bronze >> silver >> gold (Cosmos, tests after each
model) >> reverse syncs (one per sync_ model exposure, after its tests) >> audit (always runs; fails the run when
any task failed). Configuration lives in dags/medallion/config.py.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, TaskGroup
from airflow_provider_hightouch.operators.hightouch import HightouchTriggerSyncOperator

from extract.airflow_tasks import audit_dag_run, extract_salesforce_object
from extract.audit import record_task_run
from extract.warehouse.dbt_duckdb_lock import release_dbt_duckdb_lock
from medallion import config
from medallion.dbt_groups import dbt_layer_group
from medallion.manifest import reverse_syncs, salesforce_sources

# After every task: let go of DuckDB's file lock if dbt left it held, then record the attempt in audit.task_runs.
TASK_CALLBACKS = [release_dbt_duckdb_lock, record_task_run]
DEFAULT_ARGS = {"owner": "data-platform", "on_success_callback": TASK_CALLBACKS,
                "on_failure_callback": TASK_CALLBACKS}

with DAG(
    dag_id="salesforce_medallion",
    description="Salesforce through the bronze/silver/gold medallion and back into Salesforce",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["salesforce", "medallion", "reverse-etl"],
) as dag:
    with TaskGroup("extract", tooltip="Bulk API 2.0 -> bronze, one task per object") as extract:
        for source in salesforce_sources(config.MANIFEST_PATH):
            PythonOperator(
                task_id=f"extract_{source.source_table}",
                python_callable=extract_salesforce_object,
                op_kwargs={"object_name": source.object_name, "conn_id": config.SALESFORCE_CONN_ID,
                           "page_size": config.BULK_PAGE_SIZE},
                pool=config.WRITER_POOL,
                **config.EXTRACT_RETRY_POLICY,
            )

    bronze = dbt_layer_group("bronze", DEFAULT_ARGS)
    silver = dbt_layer_group("silver", DEFAULT_ARGS)
    gold = dbt_layer_group("gold", DEFAULT_ARGS)

    syncs = reverse_syncs(config.MANIFEST_PATH) if config.REVERSE_SYNC == "hightouch" else []
    audit = PythonOperator(
        task_id="audit",
        python_callable=audit_dag_run,
        op_kwargs={"manifest_path": str(config.MANIFEST_PATH), "hightouch_conn_id": config.HIGHTOUCH_CONN_ID,
                   "sync_slugs": [s.hightouch_sync_slug for s in syncs if s.hightouch_sync_slug]},
        trigger_rule="all_done",
        pool=config.WRITER_POOL,
    )

    extract >> bronze >> silver >> gold >> audit
    with TaskGroup("reverse_sync", tooltip="gold sync_ models back into Salesforce") as reverse_sync:
        for sync in syncs:
            sync_task = HightouchTriggerSyncOperator(
                task_id=f"hightouch_{sync.exposure}",
                sync_slug=sync.hightouch_sync_slug,
                connection_id=config.HIGHTOUCH_CONN_ID,
                synchronous=True,
                wait_seconds=1,
                timeout=1800,
            )
            gold.tasks_map[sync.model_unique_id] >> sync_task
    reverse_sync >> audit
