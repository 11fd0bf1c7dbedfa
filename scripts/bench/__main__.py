"""``python -m scripts.bench`` (``make bench``): run the measurements, print the table, write the JSON.

See the package docstring (scripts/bench/__init__.py) for what is measured, the environment variables and how to
run the 1M/10M-row figures.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from scripts.bench import report
from scripts.bench.config import Config
from scripts.bench.runner import ROOT, Bench, ChildFailed, Org, median

NARROW, WIDE = "Bench_Narrow__c", "Bench_Wide__c"
HUGE = 1_000_000_000


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def summarise(runs: list[dict], rows_key=lambda r: r["rows"], bytes_key=lambda r: r.get("bytes")) -> dict:
    """Medians over repeated runs of one path."""
    seconds = median(r["seconds"] for r in runs)
    rows = rows_key(runs[0])
    size = bytes_key(runs[0])
    cpu = median(r["cpu_s"] for r in runs)
    return {
        "runs": len(runs), "rows": rows, "bytes": size, "seconds": seconds,
        "seconds_all": [round(r["seconds"], 3) for r in runs],
        "rows_per_s": rows / seconds if seconds else None,
        "mb_per_s": size / 1e6 / seconds if seconds and size else None,
        "peak_rss_mb": median(r["process"]["peak_rss_mb"] for r in runs),
        "peak_rss_mb_max": max(r["process"]["peak_rss_mb"] for r in runs),
        "cpu_s": cpu, "cpu_s_per_million_rows": cpu / rows * 1e6 if rows else None,
        "process_cpu_s": median(r["process"]["cpu_s"] for r in runs),
        "org_cpu_s": median(r.get("org_cpu_s") for r in runs),
    }


# --- 1. throughput -------------------------------------------------------------------------------------------------
def snowflake_args(fakesnow, database: str) -> dict:
    """The writer's connection to the bench's fakesnow server, in a database of its own (created on connect)."""
    env = fakesnow.profile_env()
    return {"account": env["MEDALLION_SF_ACCOUNT"], "user": env["MEDALLION_SF_USER"],
            "password": env["MEDALLION_SF_PASSWORD"], "host": env["MEDALLION_SF_HOST"],
            "port": int(env["MEDALLION_SF_PORT"]), "protocol": env["MEDALLION_SF_PROTOCOL"], "database": database}


def throughput(bench: Bench, cfg: Config, fakesnow=None) -> dict:
    from extract.options import ExtractOptions

    page_rows = cfg.page_rows or ExtractOptions().bulk_page_rows
    out: dict = {"page_rows": page_rows, "objects": {}}
    say(f"throughput: seeding an org with {NARROW} {cfg.narrow_rows:,} rows and {WIDE} {cfg.wide_rows:,} rows")
    with Org(bench, "throughput", ["--scale", "0.01", "--extra", "custom_scale=0", "recycle_bin=false",
                                   f"rows.{NARROW}={cfg.narrow_rows}", f"rows.{WIDE}={cfg.wide_rows}"]) as org:
        out["org_start_s"] = org.start_seconds
        for label, obj, rows, provider_rows in (("narrow", NARROW, cfg.narrow_rows, cfg.provider_narrow_rows),
                                                ("wide", WIDE, cfg.wide_rows, cfg.provider_wide_rows)):
            paths: dict = {}
            common = {"org": org.values, "object": obj, "work_dir": str(bench.work / "pages-ours"),
                      "warehouse": str(bench.work / "ours.duckdb"), "rest_max_rows": 0, "bulk_page_rows": cfg.page_rows}
            runs = []
            for rep in range(cfg.repeats):
                say(f"throughput {label}: ours (extract_object, Bulk API 2.0 -> DuckDB), run {rep + 1}/{cfg.repeats}")
                runs.append(bench.run("extract", common, org=org))
            paths["ours"] = summarise(runs, rows_key=lambda r: r["summary"]["rows"],
                                      bytes_key=lambda r: r["summary"]["bytes"])
            paths["ours"].update(
                api_calls=runs[0]["summary"]["api_calls"], pages=runs[0]["summary"]["pages"],
                phases=[r["phases"] for r in runs])
            runs = []
            try:
                for rep in range(cfg.repeats):
                    say(f"throughput {label}: ours into PostgreSQL (extract_object, Bulk API 2.0 -> COPY FROM STDIN), "
                        f"run {rep + 1}/{cfg.repeats}")
                    runs.append(bench.run("extract", {**common, "pg_dsn": cfg.pg_bench_dsn}, org=org))
                paths["ours_postgres"] = summarise(runs, rows_key=lambda r: r["summary"]["rows"],
                                                   bytes_key=lambda r: r["summary"]["bytes"])
            except ChildFailed as error:
                paths["ours_postgres"] = {"error": str(error)[-1000:]}
            if fakesnow is not None:  # a figure about fakesnow (DuckDB behind Snowflake's protocol), not Snowflake
                runs = []
                try:
                    for rep in range(cfg.repeats):
                        say(f"throughput {label}: ours into Snowflake as fakesnow serves it (PUT + COPY INTO), "
                            f"run {rep + 1}/{cfg.repeats}")
                        database = f"BENCH_{label.upper()}_{rep}"
                        runs.append(bench.run("extract", {**common, "snowflake": snowflake_args(fakesnow, database)},
                                              org=org))
                    paths["ours_fakesnow"] = summarise(runs, rows_key=lambda r: r["summary"]["rows"],
                                                       bytes_key=lambda r: r["summary"]["bytes"])
                except ChildFailed as error:
                    paths["ours_fakesnow"] = {"error": str(error)[-1000:]}
            say(f"throughput {label}: downloading the Bulk result pages once ({page_rows:,} rows a page)")
            pages = bench.run("download", {"org": org.values, "object": obj, "out": str(bench.work / f"pages-{label}"),
                                           "page_rows": page_rows}, org=org)
            out.setdefault("downloads", {})[label] = {k: pages[k] for k in ("seconds", "rows", "bytes", "pages")}
            copy_args = {"files": pages["files"], "columns": pages["columns"]}
            runs = []
            for rep in range(cfg.repeats):
                say(f"throughput {label}: raw DuckDB COPY, run {rep + 1}/{cfg.repeats}")
                runs.append(bench.run("duckdb_copy", {**copy_args, "warehouse": str(bench.work / "copy.duckdb")}))
            paths["raw_duckdb_copy"] = summarise(runs, bytes_key=lambda r: pages["bytes"])
            paths["raw_duckdb_copy"]["threads"] = runs[0]["threads"]
            runs = []
            try:
                for rep in range(cfg.repeats):
                    say(f"throughput {label}: raw PostgreSQL COPY FROM STDIN, run {rep + 1}/{cfg.repeats}")
                    runs.append(bench.run("pg_copy", {**copy_args, "dsn": cfg.pg_bench_dsn}))
                paths["raw_postgres_copy"] = summarise(runs, bytes_key=lambda r: pages["bytes"])
            except ChildFailed as error:
                paths["raw_postgres_copy"] = {"error": str(error)[-1000:]}
            for file in pages["files"]:
                Path(file).unlink(missing_ok=True)
            provider_rows = min(provider_rows, rows)
            runs = []
            try:
                for rep in range(cfg.repeats):
                    say(f"throughput {label}: Airflow provider REST (make_query + write_object_to_file), "
                        f"{provider_rows:,} rows, run {rep + 1}/{cfg.repeats}")
                    runs.append(bench.run("provider", {"object": obj, "rows": provider_rows,
                                                       "out": str(bench.work / "provider.csv")},
                                          env=org.env, org=org))
                paths["provider_rest"] = summarise(runs)
            except ChildFailed as error:
                paths["provider_rest"] = {"error": str(error)[-1000:], "rows": provider_rows}
            ours = paths["ours"]
            ratios = {}
            for other, key in (("raw_duckdb_copy", "ours_vs_raw_duckdb_copy"),
                               ("raw_postgres_copy", "ours_vs_raw_postgres_copy"),
                               ("provider_rest", "ours_vs_provider")):
                theirs = paths.get(other, {}).get("rows_per_s")
                ratios[key] = ours["rows_per_s"] / theirs if theirs else None
            theirs = paths.get("raw_postgres_copy", {}).get("rows_per_s")
            ours_pg = paths.get("ours_postgres", {}).get("rows_per_s")
            ratios["ours_postgres_vs_raw_postgres_copy"] = ours_pg / theirs if theirs and ours_pg else None
            out["objects"][label] = {"object": obj, "rows": rows, "provider_rows": provider_rows, "paths": paths,
                                     "ratios": ratios}
        out["org_peak_rss_mb"] = org.peak_rss_mb()
    return out


# --- 2. the unchanged cycle ----------------------------------------------------------------------------------------
def cycle(bench: Bench, cfg: Config) -> dict:
    say(f"cycle: seeding an org with every object (--scale {cfg.cycle_scale}, custom_scale={cfg.cycle_custom_scale})")
    with Org(bench, "cycle", ["--scale", str(cfg.cycle_scale), "--extra",
                              f"custom_scale={cfg.cycle_custom_scale}"]) as org:
        args = {"org": org.values, "warehouse": str(bench.work / "cycle.duckdb"),
                "work_dir": str(bench.work / "pages-cycle")}
        say("cycle: first cycle (full extraction of every object)")
        before = (org.used("DailyApiRequests"), org.used("DailyBulkV2QueryJobs"))
        first = bench.run("cycle", args, org=org)
        first["org_api_calls"] = org.used("DailyApiRequests") - before[0]
        first["org_bulk_jobs"] = org.used("DailyBulkV2QueryJobs") - before[1]
        runs = []
        for rep in range(cfg.repeats):
            say(f"cycle: unchanged cycle (plan_cycle + extract what it plans), run {rep + 1}/{cfg.repeats}")
            before = (org.used("DailyApiRequests"), org.used("DailyBulkV2QueryJobs"))
            run = bench.run("cycle", args, org=org)
            run["org_api_calls"] = org.used("DailyApiRequests") - before[0]
            run["org_bulk_jobs"] = org.used("DailyBulkV2QueryJobs") - before[1]
            runs.append(run)
    return {
        "first": first,
        "unchanged": {
            "runs": len(runs), "seconds": median(r["seconds"] for r in runs),
            "seconds_all": [round(r["seconds"], 3) for r in runs],
            "plan_seconds": median(r["plan_seconds"] for r in runs),
            "api_calls": median(r["org_api_calls"] for r in runs),
            "bulk_jobs": max(r["org_bulk_jobs"] for r in runs),
            "bulk_jobs_audit": max(r["bulk_jobs_audit"] for r in runs),
            "objects_seen": runs[0]["objects_seen"], "objects_probed": runs[0]["objects_probed"],
            "planned": max(r["planned"] for r in runs), "rows": max(r["rows"] for r in runs),
            "peak_rss_mb": median(r["process"]["peak_rss_mb"] for r in runs),
            "cpu_s": median(r["cpu_s"] for r in runs), "failures": runs[0]["failures"],
        },
    }


# --- 3. incremental cost at two table sizes, and 4. the REST/Bulk crossover -----------------------------------------
def incremental_and_crossover(bench: Bench, cfg: Config, sections: set[str]) -> tuple[dict | None, dict | None]:
    incremental: dict = {"changes": cfg.changes, "sizes": {}}
    crossover = None
    sizes = list(cfg.incremental_rows)
    if "incremental" not in sections:
        sizes = sizes[:1]
    for index, size in enumerate(sizes):
        say(f"incremental: seeding an org with {NARROW} {size:,} rows")
        with Org(bench, f"incremental-{size}", ["--scale", "0.01", "--extra", "custom_scale=0", "recycle_bin=false",
                                                f"rows.{NARROW}={size}"]) as org:
            base = bench.work / f"incremental-{size}.duckdb"
            common = {"org": org.values, "object": NARROW, "work_dir": str(bench.work / "pages-incremental")}
            say(f"incremental {size:,}: full extraction")
            full = bench.run("extract", {**common, "warehouse": str(base), "keep": True, "rest_max_rows": 0},
                             org=org)
            if "incremental" in sections:
                changed = org.mutate(NARROW, "update", cfg.changes)
                runs = []
                for rep in range(cfg.repeats):
                    say(f"incremental {size:,}: plan + incremental extract_object after {changed:,} updates, "
                        f"run {rep + 1}/{cfg.repeats}")
                    runs.append(bench.run("extract", {**common, "warehouse": str(bench.work / "incremental.duckdb"),
                                                      "copy_from": str(base), "plan": True,
                                                      "include": [NARROW]}, org=org))
                incremental["sizes"][str(size)] = {
                    "rows": size, "changed": changed, "full_seconds": full["seconds"],
                    "full_rows_per_s": full["summary"]["rows"] / full["seconds"],
                    "runs": len(runs), "seconds": median(r["seconds"] for r in runs),
                    "seconds_all": [round(r["seconds"], 3) for r in runs],
                    "plan_seconds": median(r["plan"]["seconds"] for r in runs),
                    "extract_seconds": median(r["extract_seconds"] for r in runs),
                    "rows_received": runs[0]["summary"]["rows_received"], "rows_landed": runs[0]["summary"]["rows"],
                    "routes": runs[0]["summary"]["routes"], "bulk_jobs": runs[0]["summary"]["bulk_jobs"],
                    "api_calls": runs[0]["summary"]["api_calls"] + runs[0]["plan"]["api_calls"],
                    "peak_rss_mb": median(r["process"]["peak_rss_mb"] for r in runs),
                    "cpu_s": median(r["cpu_s"] for r in runs),
                    "org_cpu_s": median(r["org_cpu_s"] for r in runs),
                }
            if index == 0 and "crossover" in sections:
                crossover = crossover_sweep(bench, cfg, org, base, common)
            base.unlink(missing_ok=True)
    small, large = (incremental["sizes"].get(str(s)) for s in (cfg.incremental_rows[0], cfg.incremental_rows[-1]))
    if small and large and small is not large:
        incremental["ratio_large_vs_small"] = large["seconds"] / small["seconds"]
    return (incremental if "incremental" in sections else None), crossover


def crossover_sweep(bench: Bench, cfg: Config, org: Org, base: Path, common: dict) -> dict:
    """REST (rest_max_rows huge) against Bulk (rest_max_rows=0) for deltas of several sizes, Bulk latency 0 and L."""
    from extract.options import ExtractOptions

    latencies = [0.0, cfg.bulk_latency_s]
    variants = [("rest", None)] + [("bulk", latency) for latency in latencies]
    rows: list[dict] = []
    for delta in cfg.crossover_deltas:
        # land everything so far, then one row, so that the measured window holds that row and the delta only
        org.advance_clock(600)
        org.mutate(NARROW, "update", 1)
        say(f"crossover: catching the base warehouse up, then {delta:,} updates")
        bench.run("extract", {**common, "warehouse": str(base), "keep": True}, org=org)
        org.advance_clock(600)
        org.mutate(NARROW, "update", delta)
        for route, latency in variants:
            org.set_bulk_latency(latency or 0)
            runs = []
            for rep in range(cfg.crossover_repeats):
                say(f"crossover: delta {delta:,} via {route}" + (f" (Bulk latency {latency:g} s)" if route == "bulk"
                                                                 else "") + f", run {rep + 1}/{cfg.crossover_repeats}")
                runs.append(bench.run("extract", {**common, "warehouse": str(bench.work / "crossover.duckdb"),
                                                  "copy_from": str(base),
                                                  "rest_max_rows": HUGE if route == "rest" else 0}, org=org))
            summary = runs[0]["summary"]
            rows.append({"delta": delta, "route": route, "bulk_latency_s": latency,
                         "seconds": median(r["extract_seconds"] for r in runs),
                         "seconds_all": [round(r["extract_seconds"], 3) for r in runs],
                         "rows_received": summary["rows_received"], "api_calls": summary["api_calls"],
                         "bulk_jobs": summary["bulk_jobs"], "routes": summary["routes"]})
        org.set_bulk_latency(0)
    result = {"object": NARROW, "object_rows": cfg.incremental_rows[0], "rows": rows,
              "default_rest_max_rows": ExtractOptions().rest_max_rows, "crossover_rows": {}}
    for latency in latencies:
        rest = {r["delta"]: r for r in rows if r["route"] == "rest"}
        bulk = {r["delta"]: r for r in rows if r["route"] == "bulk" and r["bulk_latency_s"] == latency}
        result["crossover_rows"][f"{latency:g}"] = report.crossover(
            [(d, rest[d]["rows_received"], rest[d]["seconds"], bulk[d]["seconds"]) for d in cfg.crossover_deltas])
    return result


# --- 5. DAG parse time ---------------------------------------------------------------------------------------------
def dagparse(bench: Bench, cfg: Config) -> dict:
    runs, split = [], []
    for rep in range(cfg.repeats):
        say(f"DAG parse: fresh interpreter, run {rep + 1}/{cfg.repeats}")
        runs.append(bench.run("dagparse", {}))
        split.append(bench.run("dagparse", {"cosmos_first": True}))
    return {
        "runs": len(runs), "airflow_s": median(r["airflow_s"] for r in runs),
        "ours_and_cosmos_s": median(r["dag_file_s"] for r in runs),
        "ours_and_cosmos_s_all": [round(r["dag_file_s"], 3) for r in runs],
        "cosmos_alone_s": median(r["cosmos_s"] for r in split),
        "ours_alone_s": median(r["dag_file_s"] for r in split),
        "tasks": runs[0]["tasks"], "peak_rss_mb": median(r["process"]["peak_rss_mb"] for r in runs),
    }


# --- the run -------------------------------------------------------------------------------------------------------
def create_pg_database(cfg: Config) -> str | None:
    import psycopg

    try:
        with psycopg.connect(cfg.pg_admin_dsn, autocommit=True) as con:
            con.execute(f"drop database if exists {cfg.pg_database}")
            con.execute(f"create database {cfg.pg_database}")
        return None
    except Exception as error:  # reported in the results; the other measurements still run
        return f"{type(error).__name__}: {error}"


def drop_pg_database(cfg: Config) -> None:
    import psycopg

    try:
        with psycopg.connect(cfg.pg_admin_dsn, autocommit=True) as con:
            con.execute(f"drop database if exists {cfg.pg_database}")
    except Exception as error:
        say(f"could not drop the PostgreSQL database {cfg.pg_database}: {error}")


def start_bench_fakesnow(bench: Bench):
    """`fakesnow -s` for the Snowflake row (scripts/fakesnow_server.py), or None when it cannot start."""
    from scripts.local_env import start_fakesnow

    try:
        return start_fakesnow(ROOT, bench.work / "fakesnow", bench.work / "fakesnow.log")
    except Exception as error:  # noqa: BLE001 - the other rows still run
        say(f"fakesnow did not start, no Snowflake row: {error}")
        return None


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def main() -> int:
    cfg = Config.from_env()
    state = ROOT / ".medallion" / "bench"
    bench = Bench.create(state)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict = {
        "started_at": stamp, "config": cfg.as_dict(), "git_commit": git_commit(),
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                    "python": platform.python_version(), "platform": platform.platform()},
        "note": "medians of repeated runs on a shared 2-core machine; wall times vary with the other work on it",
    }
    say(f"sections {', '.join(sorted(cfg.sections))}; repeats {cfg.repeats}; state {state}")
    try:
        if "dagparse" in cfg.sections:
            results["dag_parse"] = dagparse(bench, cfg)
        if "throughput" in cfg.sections:
            results["pg_error"] = create_pg_database(cfg)
            fakesnow = start_bench_fakesnow(bench)
            try:
                results["throughput"] = throughput(bench, cfg, fakesnow)
            finally:
                if results["pg_error"] is None:
                    drop_pg_database(cfg)
                if fakesnow is not None:
                    fakesnow.stop()
                    shutil.rmtree(fakesnow.db_dir, ignore_errors=True)
        if "cycle" in cfg.sections:
            results["cycle"] = cycle(bench, cfg)
        if cfg.sections & {"incremental", "crossover"}:
            results["incremental"], results["crossover"] = incremental_and_crossover(bench, cfg, cfg.sections)
    finally:
        results["seconds"] = time.monotonic() - started
        results["machine"]["load_average_at_end"] = os.getloadavg()
        results["targets"] = report.targets(results)
        path = state / f"results-{stamp}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        (state / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    print()
    print(report.table(results))
    print(f"\nJSON: {path} (and {state / 'latest.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
