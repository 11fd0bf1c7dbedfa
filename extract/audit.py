"""Audit in the warehouse: one row per task attempt (written by task callbacks) and one per DAG run.

Tables (schema `audit`): `task_runs` (outcome and duration of every task attempt, rows where a task moves rows),
`dag_runs` (the run's outcome with rows per layer, dbt tests passed and records synced back), next to
`extract_batches` that the extractors write.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extract.warehouse import duckdb_path

log = logging.getLogger(__name__)

TASK_RUNS_DDL = """
create table if not exists audit.task_runs (
    dag_id varchar, run_id varchar, task_id varchar, map_index integer, try_number integer,
    state varchar, started_at timestamp, finished_at timestamp, duration_s double, rows bigint, error varchar
)
"""

DAG_RUNS_DDL = """
create table if not exists audit.dag_runs (
    dag_id varchar, run_id varchar, started_at timestamp, finished_at timestamp, duration_s double,
    outcome varchar, tasks_succeeded integer, tasks_failed integer,
    bronze_rows bigint, silver_rows bigint, gold_rows bigint, quarantined_rows bigint,
    dbt_tests_passed integer, dbt_tests_total integer, records_synced bigint, records_failed_to_sync bigint,
    summary_json varchar
)
"""

LAYERS = ("bronze", "silver", "gold")


def _connect(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(duckdb_path()), read_only=read_only)
    if not read_only:
        con.execute("create schema if not exists audit")
        con.execute(TASK_RUNS_DDL)
        con.execute(DAG_RUNS_DDL)
    return con


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def record_task_run(context) -> None:
    """Airflow on_success/on_failure callback: one audit row for this task attempt."""
    ti = context["ti"]
    finished = datetime.now(UTC)
    started = ti.start_date or finished
    exception = context.get("exception")
    result = None
    # Only Python callables (the extract tasks) return their rows; asking other operators logs a needless error.
    if exception is None and getattr(context.get("task"), "python_callable", None) is not None:
        try:
            result = ti.xcom_pull(task_ids=ti.task_id, map_indexes=ti.map_index)
        except Exception:  # no XCom backend reachable in a callback must not break the task
            result = None
    rows = result.get("rows") if isinstance(result, dict) else None
    state = "failed" if exception is not None else "success"
    with _connect() as con:
        con.execute(
            "insert into audit.task_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number, state,
             _naive_utc(started), _naive_utc(finished), (finished - started).total_seconds(), rows,
             None if exception is None else f"{type(exception).__name__}: {exception}"[:4000]],
        )


@dataclass
class RunSummary:
    dag_id: str
    run_id: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    tasks_succeeded: int
    tasks_failed: list[str]
    rows_per_layer: dict[str, int]
    rows_per_table: dict[str, int]
    quarantined_rows: int
    dbt_tests_passed: int
    dbt_tests_total: int
    records_synced: int
    records_failed_to_sync: int
    syncs: list[dict] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(asdict(self), default=str, sort_keys=True)


def rows_per_table(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('bronze', 'silver', 'gold') order by 1, 2"
    ).fetchall()
    return {
        f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        for schema, name in tables
    }


def dbt_test_counts(manifest_path: Path, succeeded_test_tasks: set[str]) -> tuple[int, int]:
    """(passed, total) dbt tests: a test passed when the test task of every model it tests succeeded.

    Cosmos renders each model's tests as the task `<model>.test`, which runs `dbt test --select <model>`.
    """
    manifest = json.loads(manifest_path.read_text())
    passed = total = 0
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        models = [n.split(".")[-1] for n in node["depends_on"]["nodes"] if n.startswith("model.")]
        if not models:
            continue
        total += 1
        if all(any(t.endswith(f"{m}.test") for t in succeeded_test_tasks) for m in models):
            passed += 1
    return passed, total


def summarise_run(context, manifest_path: Path, sync_runs: list[dict]) -> RunSummary:
    """Write audit.dag_runs for this run (and return it); tasks' rows come from audit.task_runs."""
    ti = context["ti"]
    dag_run = context["dag_run"]
    with _connect() as con:
        latest = con.execute(
            """
            select task_id, state from (
                select task_id, state, row_number() over (partition by task_id, map_index
                                                          order by try_number desc, finished_at desc) as rn
                from audit.task_runs where dag_id = ? and run_id = ?
            ) where rn = 1
            """,
            [ti.dag_id, ti.run_id],
        ).fetchall()
        succeeded = {t for t, s in latest if s == "success"}
        failed = sorted(t for t, s in latest if s != "success")
        per_table = rows_per_table(con)
        per_layer = {layer: sum(v for k, v in per_table.items() if k.startswith(layer + ".")) for layer in LAYERS}
        quarantined = sum(v for k, v in per_table.items() if k.endswith("quarantine"))
        passed, total = dbt_test_counts(manifest_path, {t for t in succeeded if t.endswith(".test")})
        synced = sum(int(r.get("successful_rows", 0)) for r in sync_runs)
        sync_failed = sum(int(r.get("failed_rows", 0)) for r in sync_runs)
        started = _naive_utc(dag_run.start_date) or _naive_utc(datetime.now(UTC))
        finished = _naive_utc(datetime.now(UTC))
        summary = RunSummary(
            dag_id=ti.dag_id, run_id=ti.run_id, started_at=started, finished_at=finished,
            outcome="failed" if failed else "success", tasks_succeeded=len(succeeded), tasks_failed=failed,
            rows_per_layer=per_layer, rows_per_table=per_table, quarantined_rows=quarantined,
            dbt_tests_passed=passed, dbt_tests_total=total, records_synced=synced,
            records_failed_to_sync=sync_failed, syncs=sync_runs,
        )
        con.execute(
            "insert into audit.dag_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [summary.dag_id, summary.run_id, started, finished, (finished - started).total_seconds(),
             summary.outcome, len(succeeded), len(failed), per_layer["bronze"], per_layer["silver"],
             per_layer["gold"], quarantined, passed, total, synced, sync_failed, summary.as_json()],
        )
    return summary


def latest_run_summary(dag_id: str) -> dict | None:
    """The newest audit.dag_runs row of `dag_id`, as the summary dict, or None."""
    path = duckdb_path()
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema='audit' and table_name='dag_runs'"
        ).fetchone()[0]
        if not exists:
            return None
        row = con.execute(
            "select summary_json from audit.dag_runs where dag_id = ? order by finished_at desc limit 1", [dag_id]
        ).fetchone()
    return json.loads(row[0]) if row else None
