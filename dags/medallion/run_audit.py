"""The run's audit in the warehouse: a row per task attempt (task callbacks) and a row per DAG run (the audit task).

The run's outcome comes from Airflow's own task states, read by the audit task through the Task SDK, never from
rows the callbacks wrote: Airflow swallows callback errors, so a lost callback row must not turn a failed run
green. The audit task fails when any task of the run failed, which fails the DAG run (it is the only leaf).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from medallion.dbt_layers import project_tests, task_running_test

log = logging.getLogger(__name__)

TASK_RUNS_DDL = """
create table if not exists audit.task_runs (
    dag_id varchar, run_id varchar, task_id varchar, map_index integer, try_number integer,
    state varchar, started_at timestamp, finished_at timestamp, duration_s double precision, rows bigint,
    error varchar
)
"""
DAG_RUNS_DDL = """
create table if not exists audit.dag_runs (
    dag_id varchar, run_id varchar, started_at timestamp, finished_at timestamp, duration_s double precision,
    outcome varchar, tasks_succeeded integer, tasks_failed integer,
    bronze_rows bigint, silver_rows bigint, gold_rows bigint, quarantined_rows bigint,
    dbt_tests_passed integer, dbt_tests_total integer, records_synced bigint, records_failed_to_sync bigint,
    summary_json varchar
)
"""
LAYERS = ("bronze", "silver", "gold")
FAILED_STATES = frozenset({"failed", "upstream_failed"})


def _connect(warehouse: dict):
    """The warehouse's writer (any kind: its ``query``/``execute`` take ``?`` placeholders), with the run audit's
    tables; its secret is read from the environment now, at task run time."""
    from extract.warehouse import open_bronze_writer
    from medallion.config import warehouse_target

    con = open_bronze_writer(warehouse_target(warehouse))
    try:
        con.execute(TASK_RUNS_DDL)
        con.execute(DAG_RUNS_DDL)
    except BaseException:
        con.close()
        raise
    return con


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


class TaskRunRecorder:
    """on_success/on_failure callback: release dbt-duckdb's file lock, then one audit.task_runs row.

    Best effort by design (Airflow ignores callback errors); the run's outcome never depends on these rows.
    """

    def __init__(self, warehouse: dict | None):
        self.warehouse = warehouse

    def __call__(self, context) -> None:
        from medallion.dbt_duckdb_lock import release_dbt_duckdb_lock

        release_dbt_duckdb_lock()
        if self.warehouse is None:
            return
        try:
            self._record(context)
        except Exception as error:
            log.warning("could not write audit.task_runs for %s: %s", context.get("ti"), error)

    def _record(self, context) -> None:
        ti = context["ti"]
        finished = datetime.now(UTC)
        started = ti.start_date or finished
        exception = context.get("exception")
        result = None
        if exception is None and getattr(context.get("task"), "python_callable", None) is not None:
            try:
                result = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
            except Exception:
                result = None
        if isinstance(result, list):  # an extraction shard: one summary per object
            rows = sum(int(r.get("rows") or 0) for r in result if isinstance(r, dict))
        else:
            rows = result.get("rows") if isinstance(result, dict) else None
        with _connect(self.warehouse) as con:
            con.execute(
                "insert into audit.task_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number,
                 "failed" if exception is not None else "success", _naive_utc(started), _naive_utc(finished),
                 (finished - started).total_seconds(), rows,
                 None if exception is None else f"{type(exception).__name__}: {exception}"[:4000]])


@dataclass
class RunSummary:
    dag_id: str
    run_id: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    tasks_succeeded: int
    tasks_failed: list[str]  # failed in their own right (or never ran); tasks_upstream_failed only waited on them
    tasks_upstream_failed: int
    tasks_skipped: int
    rows_per_layer: dict[str, int]
    rows_per_table: dict[str, int]
    quarantined_rows: int
    dbt_tests_passed: int
    dbt_tests_total: int
    records_synced: int
    records_failed_to_sync: int
    extraction: dict = field(default_factory=dict)
    erp: dict = field(default_factory=dict)  # per ERP source (erp, erp_files, erp_api): what its batches did
    syncs: list[dict] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), default=str, sort_keys=True)


def rows_per_table(con) -> dict[str, int]:
    """Rows of every base table (views left out, so nothing is counted twice) of bronze, silver and gold."""
    # lower(): Snowflake stores the (unquoted) names in upper case; the writer folds quoted names back
    tables = con.query(
        "select lower(table_schema), lower(table_name) from information_schema.tables "
        "where lower(table_schema) in ('bronze', 'silver', 'gold') and table_type = 'BASE TABLE' "
        "and lower(table_catalog) = lower(current_database()) order by 1, 2")
    return {f"{schema}.{name}": int(con.query(f'select count(*) from "{schema}"."{name}"')[0][0])
            for schema, name in tables}


ERP_SOURCES = ("erp", "erp_files", "erp_api")  # extract/erp/options.py: summed apart from Salesforce


def erp_summary(con, run_id: str) -> dict:
    """Per run and ERP source, from audit.extract_batches (the same SQL on DuckDB, PostgreSQL and Snowflake)."""
    exists = _table_exists(con, "audit", "extract_batches")
    if not exists:
        return {}
    ok, rows_of = "status = 'succeeded'", "status = 'succeeded' and kind <> 'quarantine'"
    rows = con.query(
        f"""
        select source,
               count(distinct case when {rows_of} then object_name end),
               coalesce(sum(case when {rows_of} then rows_landed end), 0),
               coalesce(sum(case when {rows_of} then rows_received end), 0),
               coalesce(sum(case when {ok} then rows_deleted end), 0),
               coalesce(sum(case when {ok} and kind = 'quarantine' then rows_received end), 0),
               count(case when {ok} and kind = 'file' then 1 end),
               count(case when status = 'unchanged' and kind = 'file' then 1 end),
               coalesce(sum(api_calls), 0), coalesce(sum(retries), 0), count(case when status = 'failed' then 1 end)
        from audit.extract_batches where dag_run_id = ? and source in ({', '.join(repr(s) for s in ERP_SOURCES)})
        group by source
        """, [run_id])
    keys = ("objects", "rows_landed", "rows_received", "deletes_seen", "quarantined", "files_landed",
            "files_unchanged", "api_calls", "retries", "failed")
    return {row[0]: {k: int(v or 0) for k, v in zip(keys, row[1:])} for row in rows}


EXTRACTION_KEYS = ("objects_extracted", "objects_unchanged", "objects_skipped", "objects_failed", "rows_landed",
                   "rows_received", "bytes", "api_calls", "bulk_jobs", "deletes_seen", "tombstones",
                   "formula_rows_refreshed", "retries", "reconciliations")
_OK, _CHANGES = "status = 'succeeded'", "kind in ('full', 'incremental')"
# An object is one per source (org): Account of two orgs is two objects. Case expressions rather than FILTER: the
# same SQL on DuckDB, PostgreSQL and Snowflake.
EXTRACTION_FIGURES = f"""
    count(distinct case when {_OK} and {_CHANGES} then source || '.' || object_name end),
    count(distinct case when kind = 'probe' and status = 'unchanged' then source || '.' || object_name end),
    count(distinct case when status = 'skipped' then source || '.' || object_name end),
    count(distinct case when status = 'failed' then source || '.' || object_name end),
    coalesce(sum(case when {_OK} then rows_landed end), 0),
    coalesce(sum(case when {_OK} and {_CHANGES} then rows_received end), 0),
    coalesce(sum(bytes), 0), coalesce(sum(api_calls), 0), coalesce(sum(bulk_jobs), 0),
    coalesce(sum(case when {_OK} then rows_deleted end), 0),
    coalesce(sum(case when {_OK} then tombstones end), 0),
    coalesce(sum(case when {_OK} and kind = 'formula_refresh' then rows_landed end), 0),
    coalesce(sum(retries), 0),
    count(case when {_OK} and kind = 'reconcile' then 1 end)
"""
_SALESFORCE = f"source not in ({', '.join(repr(s) for s in ERP_SOURCES)})"


def _table_exists(con, schema: str, table: str) -> bool:
    """Names compared in lower case: Snowflake's information_schema holds them in upper case."""
    return bool(con.query("select count(*) from information_schema.tables where lower(table_schema) = ? "
                          "and lower(table_name) = ? and lower(table_catalog) = lower(current_database())",
                          [schema, table])[0][0])


def _figures(row) -> dict:
    return {k: int(v or 0) for k, v in zip(EXTRACTION_KEYS, row)}


def extraction_summary(con, run_id: str) -> dict:
    """Per run, from audit.extract_batches: what Salesforce extraction did, summed over every object of every org,
    and under ``sources`` per org (with its organization Id from state.salesforce_orgs). The ERP's batches are
    summed apart: erp_summary."""
    if not _table_exists(con, "audit", "extract_batches"):
        return {}
    where = f"dag_run_id = ? and {_SALESFORCE}"
    summary = _figures(con.query(f"select {EXTRACTION_FIGURES} from audit.extract_batches where {where}",
                                 [run_id])[0])
    routes: dict[str, set[str]] = {}
    for source, route in con.query(f"select distinct source, route from audit.extract_batches where {where} "
                                   f"and {_OK} and {_CHANGES}", [run_id]):
        routes.setdefault(source, set()).add(route)
    summary["routes"] = ",".join(sorted(set().union(*routes.values()))) if routes else None
    org_ids = dict(con.query("select source, org_id from state.salesforce_orgs")) if _table_exists(
        con, "state", "salesforce_orgs") else {}
    summary["sources"] = {
        source: {**_figures(figures), "routes": ",".join(sorted(routes.get(source, ()))) or None,
                 "org_id": org_ids.get(source)}
        for source, *figures in con.query(
            f"select source, {EXTRACTION_FIGURES} from audit.extract_batches where {where} "
            "group by source order by source", [run_id])}
    return summary


def dbt_test_counts(manifest_path: Path, succeeded_tasks: set[str]) -> tuple[int, int]:
    """(passed, total) over every data test and unit test of the project: a test passed when the task that runs it
    (dbt_layers.task_running_test: bronze.build, <layer>.test, silver.salesforce_objects) succeeded."""
    manifest = json.loads(manifest_path.read_text())
    tests = project_tests(manifest)
    passed = sum(1 for test in tests if task_running_test(test, manifest) in succeeded_tasks)
    return passed, len(tests)


def summarise_run(warehouse: dict, manifest_path: Path, dag_id: str, run_id: str, run_started: datetime | None,
                  states: dict[str, str | None], sync_runs: list[dict], own_task_id: str) -> RunSummary:
    """Write audit.dag_runs for this run (and return it). ``states``: Airflow's state of every task instance."""
    states = {task: state for task, state in states.items() if task != own_task_id}
    failed = sorted(task for task, state in states.items() if state == "failed")
    upstream_failed = sum(1 for state in states.values() if state == "upstream_failed")
    never_ran = sorted(task for task, state in states.items() if state in (None, "none", "scheduled", "queued"))
    succeeded = {task for task, state in states.items() if state == "success"}
    skipped = sum(1 for state in states.values() if state == "skipped")
    with _connect(warehouse) as con:
        per_table = rows_per_table(con)
        per_layer = {layer: sum(v for k, v in per_table.items() if k.startswith(layer + ".")) for layer in LAYERS}
        quarantined = sum(v for k, v in per_table.items() if k.endswith("quarantine"))
        passed, total = dbt_test_counts(manifest_path, succeeded)
        synced = sum(int(r.get("successful_rows", 0)) for r in sync_runs)
        sync_failed = sum(int(r.get("failed_rows", 0)) for r in sync_runs)
        started = _naive_utc(run_started) or _naive_utc(datetime.now(UTC))
        finished = _naive_utc(datetime.now(UTC))
        outcome = "failed" if failed or upstream_failed or never_ran else "success"
        summary = RunSummary(
            dag_id=dag_id, run_id=run_id, started_at=started, finished_at=finished, outcome=outcome,
            tasks_succeeded=len(succeeded), tasks_failed=failed + [f"{t} (never ran)" for t in never_ran],
            tasks_upstream_failed=upstream_failed, tasks_skipped=skipped, rows_per_layer=per_layer, rows_per_table=per_table, quarantined_rows=quarantined,
            dbt_tests_passed=passed, dbt_tests_total=total, records_synced=synced,
            records_failed_to_sync=sync_failed, extraction=extraction_summary(con, run_id),
            erp=erp_summary(con, run_id), syncs=sync_runs,
        )
        con.execute(
            "insert into audit.dag_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [dag_id, run_id, started, finished, (finished - started).total_seconds(), outcome, len(succeeded),
             len(summary.tasks_failed), per_layer["bronze"], per_layer["silver"], per_layer["gold"], quarantined,
             passed, total, synced, sync_failed, summary.as_json()])
    return summary


def audit_dag_run(warehouse: dict, manifest_path: str, hightouch_conn_id: str | None, sync_slugs: list[str],
                  **context) -> dict:
    """The audit task: Airflow's task states -> audit.dag_runs and a summary in the log; fails if any task failed."""
    from airflow.sdk.exceptions import AirflowException

    from medallion.hightouch import sync_runs_since

    ti, dag_run = context["ti"], context["dag_run"]
    states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
    sync_runs: list[dict] = []
    if hightouch_conn_id and sync_slugs:
        try:
            sync_runs = sync_runs_since(hightouch_conn_id, sync_slugs, dag_run.start_date)
        except Exception as error:  # the audit must still be written when Hightouch cannot be read
            log.warning("could not read Hightouch sync runs: %s", error)
    summary = summarise_run(warehouse, Path(manifest_path), ti.dag_id, ti.run_id,
                            dag_run.start_date, states, sync_runs, ti.task_id)
    extraction = summary.extraction
    log.info(
        "run %s: %s; extraction: %s objects extracted, %s unchanged, %s skipped, %s failed; %s rows landed "
        "(%s deletes seen, %s tombstones, %s formula rows), %s API calls, %s Bulk jobs, %s retries; "
        "rows bronze=%d silver=%d gold=%d (quarantined %d); dbt tests %d/%d; synced %d (failed %d)",
        summary.run_id, summary.outcome, extraction.get("objects_extracted"), extraction.get("objects_unchanged"),
        extraction.get("objects_skipped"), extraction.get("objects_failed"), extraction.get("rows_landed"),
        extraction.get("deletes_seen"), extraction.get("tombstones"), extraction.get("formula_rows_refreshed"),
        extraction.get("api_calls"), extraction.get("bulk_jobs"), extraction.get("retries"),
        summary.rows_per_layer["bronze"], summary.rows_per_layer["silver"], summary.rows_per_layer["gold"],
        summary.quarantined_rows, summary.dbt_tests_passed, summary.dbt_tests_total, summary.records_synced,
        summary.records_failed_to_sync)
    for source, figures in (extraction.get("sources") or {}).items():
        log.info("source %s (org %s): %s objects extracted, %s unchanged, %s skipped, %s failed; %s rows landed; "
                 "%s API calls, %s Bulk jobs", source, figures.get("org_id") or "-", figures["objects_extracted"],
                 figures["objects_unchanged"], figures["objects_skipped"], figures["objects_failed"],
                 figures["rows_landed"], figures["api_calls"], figures["bulk_jobs"])
    if summary.outcome != "success":
        raise AirflowException(f"tasks failed in this run: {', '.join(summary.tasks_failed)} "
                               f"({summary.tasks_upstream_failed} more did not run because of them)")
    return {"outcome": summary.outcome, "records_synced": summary.records_synced}


def latest_run_summary(warehouse: dict, dag_id: str, run_id: str | None = None) -> dict | None:
    """The audit.dag_runs row of ``run_id`` (else the newest of ``dag_id``), as the summary dict, or None."""
    if warehouse["target"] == "local" and not Path(warehouse["duckdb_path"]).exists():
        return None
    with _connect(warehouse) as con:
        if run_id:
            rows = con.query("select summary_json from audit.dag_runs where dag_id = ? and run_id = ? "
                             "order by finished_at desc limit 1", [dag_id, run_id])
        else:
            rows = con.query("select summary_json from audit.dag_runs where dag_id = ? "
                             "order by finished_at desc limit 1", [dag_id])
    return json.loads(rows[0][0]) if rows else None
