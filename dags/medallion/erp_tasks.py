"""The callables of the ERP task groups: a run-time guard per source, then its extraction.

Each group (erp_database, erp_files, erp_api) starts with a ShortCircuit guard: without its Airflow connection (or
drop folder) the group's tasks are skipped, never failed, and the DAG goes on. Errors map as for Salesforce: a
permanent error fails at once without retries; anything else is raised for Airflow's retries (tables, resources
and files already landed are cheap no-ops the second time: their cursor or checksum has moved on).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)


def erp_options(args: dict, store: dict | None = None):
    """The library's ErpOptions from the task argument; ``store``: the bronze store every batch is archived in."""
    from extract.erp.options import ErpOptions
    from medallion.extract_tasks import open_bronze_store

    return ErpOptions(lookback=timedelta(seconds=args["lookback_s"]), page_rows=args["page_rows"],
                      api_attempts=args["http_attempts"],
                      work_dir=Path(args["work_dir"]) if args.get("work_dir") else None,
                      bronze_store=open_bronze_store(store, args))


def erp_connection_exists(conn_id: str, what: str) -> bool:
    """A group's guard: False (skip the group) when the connection is not defined."""
    from medallion.connections import connection_exists

    if connection_exists(conn_id):
        return True
    log.warning("no Airflow connection %r: the %s is not extracted in this run (define it to extract it)",
                conn_id, what)
    return False


def erp_drop_dir_exists(drop_dir: str | None) -> bool:
    if drop_dir and Path(drop_dir).is_dir():
        return True
    log.warning("no ERP drop folder (%s): the ERP files are not landed in this run (set MEDALLION_ERP_DROP_DIR)",
                drop_dir or "MEDALLION_ERP_DROP_DIR is unset")
    return False


def _outcome(what: str, results: list[tuple[str, dict | BaseException]]) -> list[dict]:
    """Log one AUDIT line per item; fail (permanent: at once, else for a retry) when any item failed."""
    from airflow.sdk.exceptions import AirflowFailException

    from extract.errors import PermanentError

    summaries, failures = [], []
    for name, outcome in results:
        if isinstance(outcome, BaseException):
            failures.append((name, outcome))
            summaries.append({"object": name, "status": "failed", "rows": 0,
                              "error": f"{type(outcome).__name__}: {outcome}"})
            continue
        summaries.append(outcome)
        log.info("AUDIT %s.%s: %s; %d rows landed of %d received (%d deleted versions), %d pages, %d API calls, "
                 "%d retries; cursor %s -> %s%s", outcome["source"], outcome["object"], outcome["status"],
                 outcome["rows"], outcome["rows_received"], outcome["deletes_seen"], outcome["pages"],
                 outcome["api_calls"], outcome["retries"], outcome["cursor_from"], outcome["cursor_to"],
                 ("; " + "; ".join(outcome["notes"])) if outcome["notes"] else "")
    if failures:
        message = "; ".join(f"{name}: {type(error).__name__}: {error}" for name, error in failures)
        if all(isinstance(error, PermanentError) for _, error in failures):
            raise AirflowFailException(f"{what}: {len(failures)} of {len(results)} failed: {message}")
        raise RuntimeError(f"{what}: {len(failures)} of {len(results)} failed (retried): {message}")
    return summaries


def _fail_permanent(error: Exception):
    from medallion.extract_tasks import _airflow_error

    replacement = _airflow_error(error)
    if replacement is not None:
        raise replacement from None
    raise error


def _complete_store(options, writer) -> None:
    """Seal the bronze store's manifests of batches a crash left committed but unsealed (as the Salesforce plan
    does), so a deployment that runs only the ERP keeps its store complete too."""
    if options.bronze_store is not None:
        options.bronze_store.complete(writer.batch_statuses)


def extract_erp_database(erp: dict, warehouse: dict, **context) -> list[dict]:
    """Every ERP table by its modified_at watermark, one batch per table."""
    from extract.erp.database import open_reader
    from extract.erp.db_extraction import extract_tables
    from medallion.connections import erp_database_dsn
    from medallion.extract_tasks import open_writer

    try:
        reader = open_reader(erp_database_dsn(erp["database_conn_id"]))
    except Exception as error:
        _fail_permanent(error)
    options = erp_options(erp["options"], erp.get("bronze_store"))
    with open_writer(warehouse) as writer:
        _complete_store(options, writer)
        results = extract_tables(reader, writer, options=options, dag_run_id=context["run_id"])
    return _outcome("ERP tables", results)


def extract_erp_files(erp: dict, warehouse: dict, **context) -> list[dict]:
    """Every ready file of the drop folder: landed once by checksum, malformed records quarantined, archived."""
    from extract.erp.file_extraction import extract_drops
    from medallion.extract_tasks import open_writer

    options = erp_options(erp["options"], erp.get("bronze_store"))
    with open_writer(warehouse) as writer:
        _complete_store(options, writer)
        results = extract_drops(writer, Path(erp["drop_dir"]), Path(erp["archive_dir"]), options,
                                dag_run_id=context["run_id"])
    if not results:
        log.info("no ready ERP file in %s", erp["drop_dir"])
    return _outcome("ERP files", results)


def extract_erp_api(erp: dict, warehouse: dict, **context) -> list[dict]:
    """Usage events and payments from the ERP REST API, incremental on the API's own timestamps."""
    from extract.erp.api_client import ErpApiClient
    from extract.erp.api_extraction import extract_resources
    from medallion.connections import erp_api_config
    from medallion.extract_tasks import open_writer

    options = erp_options(erp["options"], erp.get("bronze_store"))
    try:
        config = erp_api_config(erp["api_conn_id"])
    except Exception as error:
        _fail_permanent(error)
    with ErpApiClient(config, options) as client, open_writer(warehouse) as writer:
        _complete_store(options, writer)
        results = extract_resources(client, writer, options=options, dag_run_id=context["run_id"])
    return _outcome("ERP API", results)
