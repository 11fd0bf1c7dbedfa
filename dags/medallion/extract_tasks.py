"""The callables of the extraction tasks: plan a cycle, then extract one object per mapped task instance.

They turn task arguments (plain values from config.py) and the Airflow connection into the extract library's
explicit inputs, and its errors into Airflow's outcomes: a permanent error (bad credentials, an unknown object, a
used-up budget) fails at once without retries; an object the integration user cannot read is skipped, never
fatal for the others; anything else is raised for Airflow's retries with backoff.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)

_CLIENTS: dict[tuple, object] = {}  # one login per process and connection (`airflow dags test` runs every task in one)


def extract_options(args: dict):
    from extract.options import ExtractOptions
    from extract.salesforce.client import RetryPolicy

    def every(seconds):
        return None if seconds is None else timedelta(seconds=seconds)

    return ExtractOptions(
        include=tuple(args["include"]), exclude=tuple(args["exclude"]), lookback=timedelta(seconds=args["lookback_s"]),
        rest_max_rows=args["rest_max_rows"], bulk_page_rows=args["bulk_page_rows"],
        reserve_share=args["reserve_share"], retry=RetryPolicy(attempts=args["http_attempts"]),
        reconcile_every=every(args["reconcile_every_s"]), formula_refresh_every=every(args["formula_refresh_every_s"]),
        reread_quiet_every=every(args.get("reread_quiet_every_s")),
        work_dir=Path(args["work_dir"]) if args.get("work_dir") else None,
    )


def open_writer(warehouse: dict):
    """The bronze writer for the warehouse the DAG names (its secret read from the environment now)."""
    from extract.warehouse import open_bronze_writer
    from medallion.config import warehouse_target

    return open_bronze_writer(warehouse_target(warehouse))


def salesforce_client(conn_id: str, options: dict):
    from extract.salesforce.client import RetryPolicy, SalesforceClient
    from medallion.connections import salesforce_credentials

    credentials = salesforce_credentials(conn_id, options.get("ca_bundle"))
    key = (conn_id, credentials)
    client = _CLIENTS.get(key)
    if client is None:
        client = SalesforceClient(credentials, RetryPolicy(attempts=options["http_attempts"]),
                                  reserve_share=options["reserve_share"])
        _CLIENTS[key] = client
    return client


def _airflow_error(error: Exception):
    """Permanent library errors become AirflowFailException (no retries); the rest is raised as is."""
    from airflow.sdk.exceptions import AirflowFailException

    from extract.errors import PermanentError

    if isinstance(error, PermanentError):
        return AirflowFailException(str(error))
    return None


def plan_salesforce_cycle(extraction: dict, **context) -> list[dict]:
    """Probe the org and return the work of this cycle: one ``{"shard": ...}`` per extraction task to map."""
    from extract.plan import plan_cycle

    options = extraction["options"]
    try:
        client = salesforce_client(extraction["conn_id"], options)
        with open_writer(extraction["warehouse"]) as writer:
            plan = plan_cycle(client, writer, extract_options(options),
                              required=tuple(extraction.get("required_objects", ())), dag_run_id=context["run_id"])
    except Exception as error:
        replacement = _airflow_error(error)
        if replacement is not None:
            raise replacement from None
        raise
    for work in plan.work:
        log.info("to extract: %-40s %s", work.object_name, work.reason)
    if plan.skipped:
        log.warning("not extracted: %s", "; ".join(f"{k} ({v})" for k, v in plan.skipped.items()))
    shards = plan.shards(options["rest_max_rows"])
    log.info("%d objects to extract in %d tasks; %d unchanged; %d skipped", len(plan.work), len(shards),
             len(plan.unchanged), len(plan.skipped))
    return [{"shard": shard.as_dict()} for shard in shards]


def extract_salesforce_objects(extraction: dict, shard: dict, **context) -> list[dict]:
    """Extract the objects of one shard in turn; one object's failure never stops the others.

    An object the integration user cannot read is skipped (audited as such). When any object failed, the task
    fails after the others are done: at once for permanent errors, else through Airflow's retries (objects
    already landed are cheap no-ops the second time: their cursor has moved).
    """
    from airflow.sdk.exceptions import AirflowFailException

    from extract.errors import ObjectNotAccessibleError, PermanentError
    from extract.object_extraction import ObjectWork, extract_objects

    options = extraction["options"]
    summaries: list[dict] = []
    failures: list[tuple[str, Exception]] = []
    try:
        client = salesforce_client(extraction["conn_id"], options)
    except Exception as error:
        replacement = _airflow_error(error)
        if replacement is not None:
            raise replacement from None
        raise
    works = [ObjectWork.from_dict(item) for item in shard["work"]]
    with open_writer(extraction["warehouse"]) as writer:
        results = extract_objects(client, writer, works, extract_options(options), dag_run_id=context["run_id"],
                                  concurrency=options.get("concurrency", 4))
    for work, outcome in results:
        if isinstance(outcome, ObjectNotAccessibleError):  # audited as skipped by the library
            log.warning("%s: skipped: %s", work.object_name, outcome)
            summaries.append({"object": work.object_name, "status": "skipped", "rows": 0, "error": str(outcome)})
        elif isinstance(outcome, BaseException):
            log.error("%s: extraction failed: %s: %s", work.object_name, type(outcome).__name__, outcome,
                      exc_info=(type(outcome), outcome, outcome.__traceback__))
            failures.append((work.object_name, outcome))
            summaries.append({"object": work.object_name, "status": "failed", "rows": 0,
                              "error": f"{type(outcome).__name__}: {outcome}"})
        else:
            summary = outcome.summary()
            summaries.append(summary)
            log_object_summary(summary)
    if failures:
        message = "; ".join(f"{name}: {type(error).__name__}: {error}" for name, error in failures)
        if all(isinstance(error, PermanentError) for _, error in failures):
            raise AirflowFailException(f"{len(failures)} of {len(shard['work'])} objects failed: {message}")
        raise RuntimeError(f"{len(failures)} of {len(shard['work'])} objects failed (retried): {message}")
    return summaries


def log_object_summary(summary: dict) -> None:
    log.info(
        "AUDIT %s: %s; kinds %s via %s; %d rows landed of %d received, %.2f MB, %d pages; %d API calls, "
        "%d Bulk jobs, %d retries; deletes seen %d, tombstones %d; cursor %s -> %s; %.2fs%s",
        summary["object"], summary["status"], ",".join(summary["kinds"]), ",".join(summary["routes"]),
        summary["rows"], summary["rows_received"], summary["bytes"] / 1e6, summary["pages"], summary["api_calls"],
        summary["bulk_jobs"], summary["retries"], summary["deletes_seen"], summary["tombstones"],
        summary["cursor_from"], summary["cursor_to"], summary["seconds"],
        ("; " + "; ".join(summary["notes"])) if summary["notes"] else "",
    )
