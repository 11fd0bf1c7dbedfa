"""One measured path, run in a process of its own: ``python -m scripts.bench.child TASK ARGS_JSON RESULT_PATH``.

The parent (``scripts/bench/__main__.py``) starts one child per measurement, so the child's peak RSS and CPU seconds
(``os.wait4``) are that path's alone. Inside, each task also times its measured section itself (wall clock and the
process's CPU seconds, DuckDB's threads included) so interpreter start-up and imports are left out of the rates.
The result is written as JSON to RESULT_PATH.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self) -> "Timer":
        self.wall0, self.cpu0 = time.monotonic(), _cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self.wall0
        self.cpu = _cpu() - self.cpu0


def _client(org: dict, attempts: int = 6):
    from extract.salesforce.client import RetryPolicy, SalesforceClient
    from extract.salesforce.credentials import SalesforceCredentials

    host = org["SALESFORCE_URL"].removeprefix("https://")
    return SalesforceClient(SalesforceCredentials(
        username=org["SALESFORCE_USERNAME"], password=org["SALESFORCE_PASSWORD"],
        security_token=org["SALESFORCE_TOKEN"], domain=f"{host}/services/Soap/u/59.0#",
        ca_bundle=org["CA_BUNDLE"]), RetryPolicy(attempts=attempts))


def _options(args: dict):
    from datetime import timedelta

    from extract.options import ExtractOptions

    values = {}
    for name in ("rest_max_rows", "bulk_page_rows"):
        if args.get(name) is not None:
            values[name] = int(args[name])
    if args.get("include"):
        values["include"] = tuple(args["include"])
    if args.get("lookback_s") is not None:
        values["lookback"] = timedelta(seconds=args["lookback_s"])
    return ExtractOptions(work_dir=Path(args["work_dir"]), **values)


def _fresh(path: Path, copy_from: str | None) -> None:
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    if copy_from:
        shutil.copyfile(copy_from, path)
        if Path(copy_from + ".wal").exists():
            shutil.copyfile(copy_from + ".wal", str(path) + ".wal")


# --- tasks ---------------------------------------------------------------------------------------------------------
def _fresh_postgres(dsn: str) -> None:
    """An empty PostgreSQL warehouse: the writer's schemas dropped."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        for schema in ("bronze", "state", "audit"):
            con.execute(f"drop schema if exists {schema} cascade")


def _writer(args: dict):
    """The writer the task lands into: DuckDB (``warehouse``: a file), PostgreSQL (``pg_dsn``) or Snowflake
    (``snowflake``: connection arguments, a fresh database on a fakesnow server)."""
    if args.get("snowflake"):
        from extract.warehouse.snowflake_bronze import SnowflakeBronzeWriter

        return SnowflakeBronzeWriter(**args["snowflake"])
    if args.get("pg_dsn"):
        from extract.warehouse.postgres_bronze import PostgresBronzeWriter

        return PostgresBronzeWriter(args["pg_dsn"])
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    return DuckDBBronzeWriter(Path(args["warehouse"]))


def extract(args: dict) -> dict:
    """extract_object of one object (after plan_cycle over that object when ``plan``), into a DuckDB warehouse
    (or a PostgreSQL database, with ``pg_dsn``: emptied first, and after unless ``keep``)."""
    from extract.object_extraction import ObjectWork, extract_object
    from extract.plan import plan_cycle

    warehouse = Path(args["warehouse"])
    if args.get("snowflake"):
        pass  # a database of its own, named by the caller, created empty on connect
    elif args.get("pg_dsn"):
        if not args.get("keep"):
            _fresh_postgres(args["pg_dsn"])
    elif args.get("copy_from") or not args.get("keep"):  # keep: go on from the warehouse as it is, and keep it
        _fresh(warehouse, args.get("copy_from"))
    options = _options(args)
    client = _client(args["org"])
    phases: dict[str, float] = {}
    out: dict = {}
    with _writer(args) as writer:
        with Timer() as total:
            work: ObjectWork | str = args["object"]
            if args.get("plan"):
                with Timer() as planned:
                    plan = plan_cycle(client, writer, options)
                out["plan"] = {"seconds": planned.wall, "cpu_s": planned.cpu, "api_calls": plan.api_calls,
                               "work": [w.as_dict() for w in plan.work], "unchanged": len(plan.unchanged)}
                work = next((w for w in plan.work if w.object_name.lower() == args["object"].lower()), None)
            started = time.monotonic()

            def observe(step: str) -> None:
                now = round(time.monotonic() - started, 3)
                phases.setdefault(f"first_{step}", now)
                phases[f"last_{step}"] = now

            with Timer() as extracted:
                run = extract_object(client, writer, work, options, observer=observe) if work is not None else None
    summary = run.summary() if run is not None else {"rows": 0, "rows_received": 0, "bytes": 0, "pages": 0,
                                                     "api_calls": 0, "bulk_jobs": 0, "routes": []}
    out.update({"seconds": total.wall, "cpu_s": total.cpu, "extract_seconds": extracted.wall,
                "extract_cpu_s": extracted.cpu, "summary": summary, "phases": phases, "vm_hwm_mb": _vm_hwm_mb()})
    if args.get("snowflake"):
        pass  # the bench removes the fakesnow directory at the end
    elif not args.get("keep"):
        _fresh_postgres(args["pg_dsn"]) if args.get("pg_dsn") else _fresh(warehouse, None)
    return out


def provider(args: dict) -> dict:
    """Airflow's Salesforce provider as its transfer operators use it: make_query, then write_object_to_file."""
    import logging

    logging.disable(logging.WARNING)  # the hook logs through Airflow's structlog; keep the child quiet
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    hook = SalesforceHook(salesforce_conn_id="salesforce_default")
    fields = [f["name"] for f in hook.describe_object(args["object"])["fields"]
              if f["type"] not in ("address", "location", "base64")]
    query = f"SELECT {', '.join(fields)} FROM {args['object']} LIMIT {int(args['rows'])}"
    target = Path(args["out"])
    with Timer() as total:
        response = hook.make_query(query, include_deleted=True)
        with Timer() as written:
            hook.write_object_to_file(query_results=response["records"], filename=str(target), fmt="csv")
    size = target.stat().st_size
    target.unlink(missing_ok=True)
    return {"seconds": total.wall, "cpu_s": total.cpu, "write_seconds": written.wall, "rows": len(response["records"]),
            "bytes": size, "fields": len(fields), "vm_hwm_mb": _vm_hwm_mb()}


def download(args: dict) -> dict:
    """The Bulk API 2.0 result pages of a full query, downloaded once to files (the raw COPY's input)."""
    from extract.salesforce import soql
    from extract.salesforce.bulk2_query import Bulk2QueryJob
    from extract.salesforce.describe import describe_object

    client = _client(args["org"])
    schema = describe_object(client, args["object"])
    directory = Path(args["out"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    text = soql.select(schema.object_name, schema.fields, soql.Window(), schema.cursor_field)
    with Timer() as total:
        job = Bulk2QueryJob.create(client, text, schema.object_name)
        job.wait()
        pages = list(job.pages(directory, int(args["page_rows"])))
    job.delete()
    return {"seconds": total.wall, "columns": [f.lower() for f in schema.fields],
            "rows": sum(p.rows for p in pages), "bytes": sum(p.bytes for p in pages), "pages": len(pages),
            "files": [str(p.path) for p in pages]}


def duckdb_copy(args: dict) -> dict:
    """DuckDB's own CSV load of the same files into a fresh table of a fresh database file (default settings)."""
    import duckdb

    path = Path(args["warehouse"])
    _fresh(path, None)
    columns = ", ".join(f'"{c}" VARCHAR' for c in args["columns"])
    with duckdb.connect(str(path)) as con:
        con.execute(f"create table bronze_copy ({columns})")
        with Timer() as total:
            rows = 0
            con.execute("begin transaction")
            for file in args["files"]:
                rows += con.execute(f"copy bronze_copy from '{file}' (format csv, header true, quote '\"', "
                                    f"escape '\"')").fetchone()[0]
            con.execute("commit")
        threads = con.execute("select current_setting('threads')").fetchone()[0]
    _fresh(path, None)
    return {"seconds": total.wall, "cpu_s": total.cpu, "rows": rows, "threads": threads, "vm_hwm_mb": _vm_hwm_mb()}


def pg_copy(args: dict) -> dict:
    """PostgreSQL COPY ... FROM STDIN (psycopg 3) of the same files into a fresh table of the same columns."""
    import psycopg

    columns = ", ".join(f'"{c}" text' for c in args["columns"])
    with psycopg.connect(args["dsn"]) as con:
        con.execute("drop table if exists bronze_copy")
        con.execute(f"create table bronze_copy ({columns})")
        con.commit()
        with Timer() as total:
            with con.cursor() as cursor:
                for file in args["files"]:
                    with open(file, "rb") as source, cursor.copy(
                            "copy bronze_copy from stdin (format csv, header true)") as copy:
                        while chunk := source.read(1 << 20):
                            copy.write(chunk)
            con.commit()
        rows = con.execute("select count(*) from bronze_copy").fetchone()[0]
        con.execute("drop table bronze_copy")
        con.commit()
    return {"seconds": total.wall, "cpu_s": total.cpu, "rows": rows, "vm_hwm_mb": _vm_hwm_mb()}


def cycle(args: dict) -> dict:
    """plan_cycle over every object of the org, then extract_objects over what it planned."""
    from extract.object_extraction import extract_objects
    from extract.plan import plan_cycle
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    options = _options(args)
    client = _client(args["org"])
    from datetime import UTC, datetime

    since = datetime.now(UTC).replace(tzinfo=None)
    with DuckDBBronzeWriter(Path(args["warehouse"])) as writer:
        with Timer() as total:
            with Timer() as planned:
                plan = plan_cycle(client, writer, options)
            results = extract_objects(client, writer, plan.work, options, concurrency=int(args.get("concurrency", 4)))
        bulk_jobs_audit = int(writer.query(
            "select coalesce(sum(bulk_jobs), 0) from audit.extract_batches where started_at >= ?", [since])[0][0])
    failures = {w.object_name: f"{type(r).__name__}: {r}" for w, r in results if isinstance(r, BaseException)}
    runs = [r for _, r in results if not isinstance(r, BaseException)]
    return {
        "seconds": total.wall, "cpu_s": total.cpu, "plan_seconds": planned.wall, "plan_api_calls": plan.api_calls,
        "objects_seen": plan.objects_seen, "objects_probed": len(plan.work) + len(plan.unchanged),
        "planned": len(plan.work), "unchanged": len(plan.unchanged), "skipped": len(plan.skipped),
        "extract_api_calls": sum(r.summary()["api_calls"] for r in runs),
        "bulk_jobs": sum(r.summary()["bulk_jobs"] for r in runs), "rows": sum(r.summary()["rows"] for r in runs),
        "failures": failures, "bulk_jobs_audit": bulk_jobs_audit, "vm_hwm_mb": _vm_hwm_mb(),
    }


def dagparse(args: dict) -> dict:
    """Import what Airflow needs anyway, then the DAG file, in this fresh interpreter (MEDALLION_MANIFEST_PATH set)."""
    import importlib.util

    started = time.perf_counter()
    import airflow.sdk  # noqa: F401
    from airflow.providers.standard.operators.empty import EmptyOperator  # noqa: F401
    from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator  # noqa: F401
    airflow_s = time.perf_counter() - started
    cosmos_s = None
    if args.get("cosmos_first"):
        started = time.perf_counter()
        from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig  # noqa: F401
        from cosmos.constants import ExecutionMode, LoadMode, TestBehavior  # noqa: F401
        cosmos_s = time.perf_counter() - started
    dags = ROOT / "dags"
    sys.path.insert(0, str(dags))
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("salesforce_medallion", dags / "salesforce_medallion.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag_s = time.perf_counter() - started
    return {"airflow_s": airflow_s, "cosmos_s": cosmos_s, "dag_file_s": dag_s, "tasks": len(module.dag.tasks)}


TASKS = {f.__name__: f for f in (extract, provider, download, duckdb_copy, pg_copy, cycle, dagparse)}


def main(argv: list[str]) -> int:
    task, args, result_path = argv[1], json.loads(argv[2]), Path(argv[3])
    result = TASKS[task](args)
    result_path.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
