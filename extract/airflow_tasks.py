"""The callables Airflow tasks run. DAG files only wire these; nothing here runs at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from extract.errors import SalesforceLoginError, UnknownSalesforceObjectError

log = logging.getLogger(__name__)


def extract_salesforce_object(object_name: str, conn_id: str, page_size: int, **context) -> dict:
    """Land one Salesforce object into bronze. Login and unknown-object errors fail at once (no retries)."""
    from airflow.sdk.exceptions import AirflowFailException

    from extract.salesforce.connection import session_from_airflow_connection
    from extract.salesforce_to_bronze import extract_object
    from extract.warehouse import open_bronze_writer

    try:
        session = session_from_airflow_connection(conn_id)
        with open_bronze_writer() as writer:
            result = extract_object(
                session, writer, object_name, page_size=page_size, dag_run_id=context["run_id"]
            )
    except (SalesforceLoginError, UnknownSalesforceObjectError) as exc:
        raise AirflowFailException(str(exc)) from None  # retrying cannot fix bad credentials or a wrong name
    log.info(
        "%s: %d rows, %d pages, %.1f MB in %.2fs into %s (batch %s, Bulk job %s)",
        result.object_name, result.rows, result.pages, result.bytes / 1e6, result.seconds,
        result.bronze_table, result.batch_id, result.bulk_job_id,
    )
    return result.as_dict()


def audit_dag_run(manifest_path: str, hightouch_conn_id: str | None, sync_slugs: list[str], **context) -> dict:
    """Record the run in audit.dag_runs, log a summary, and fail if any task of the run failed."""
    from airflow.sdk.exceptions import AirflowException

    from extract.audit import summarise_run
    from extract.hightouch_runs import sync_runs_since

    sync_runs: list[dict] = []
    if hightouch_conn_id and sync_slugs:
        try:
            sync_runs = sync_runs_since(hightouch_conn_id, sync_slugs, context["dag_run"].start_date)
        except Exception as exc:  # the audit must still be written when Hightouch cannot be read
            log.warning("could not read Hightouch sync runs: %s", exc)
    summary = summarise_run(context, Path(manifest_path), sync_runs)
    log.info(
        "run %s: %s; rows bronze=%d silver=%d gold=%d (quarantined %d); dbt tests %d/%d; synced %d (failed %d)",
        summary.run_id, summary.outcome, summary.rows_per_layer["bronze"], summary.rows_per_layer["silver"],
        summary.rows_per_layer["gold"], summary.quarantined_rows, summary.dbt_tests_passed,
        summary.dbt_tests_total, summary.records_synced, summary.records_failed_to_sync,
    )
    if summary.tasks_failed:
        raise AirflowException(f"tasks failed in this run: {', '.join(summary.tasks_failed)}")
    return {"outcome": summary.outcome, "records_synced": summary.records_synced}
