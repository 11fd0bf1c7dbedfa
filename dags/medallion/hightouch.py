"""Read back what Hightouch syncs did during a DAG run, through the provider's HightouchHook (its real API)."""

from __future__ import annotations

import logging
from datetime import datetime


def sync_runs_since(conn_id: str, sync_slugs: list[str], since: datetime) -> list[dict]:
    """One dict per sync run created at or after `since`, for each slug: status and row counts."""
    from airflow_provider_hightouch.hooks.hightouch import HightouchHook

    hook = HightouchHook(hightouch_conn_id=conn_id)
    runs: list[dict] = []
    for slug in sync_slugs:
        sync_id = hook.get_sync_from_slug(slug)
        listed = hook.make_request(
            method="GET", endpoint=f"syncs/{sync_id}/runs",
            data={"after": since.isoformat(), "limit": 100, "orderBy": "createdAt"},
        )
        for run in listed:
            runs.append({
                "slug": slug, "sync_id": str(sync_id), "run_id": str(run["id"]), "status": run["status"],
                "planned_rows": sum(run["plannedRows"].values()),
                "successful_rows": sum(run["successfulRows"].values()),
                "failed_rows": sum(run["failedRows"].values()),
                "error": run.get("error"),
            })
    return runs


def hightouch_connection_exists(conn_id: str) -> bool:
    """The reverse sync's guard: without a Hightouch connection the sync tasks are skipped, and say why."""
    from medallion.connections import connection_exists

    if connection_exists(conn_id):
        return True
    logging.getLogger(__name__).warning(
        "no Airflow connection %r: the Hightouch syncs are skipped in this run (define it to sync gold back)", conn_id)
    return False
