"""Source freshness: `dbt source freshness` on the loader timestamp (_extracted_at) of the bronze tables, run by
the DAG after extraction and before silver.

Thresholds are dbt vars (source_freshness in dbt_project.yml: warn_after_hours / error_after_hours per source
system). A source past its warn threshold is logged as a warning and the run goes on; past its error threshold the
task fails, so nothing is built or synced on data that old. Only tables that exist are checked: an ERP without a
connection, or a file drop that never came, has no table, and that is not staleness.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

BRONZE_SCHEMA = "bronze"


@dataclass(frozen=True)
class FreshnessResult:
    source: str  # source.table, e.g. salesforce.account
    status: str  # pass | warn | error | runtime error
    max_loaded_at: str | None
    age_hours: float | None
    message: str = ""


class StaleSourceError(RuntimeError):
    """A source is past its error threshold (or its freshness could not be computed)."""


def checked_sources(manifest_path: str | Path) -> list[tuple[str, str, str]]:
    """(source name, table name, identifier) of every bronze source with a freshness threshold and loaded_at_field."""
    manifest = json.loads(Path(manifest_path).read_text())
    out = []
    for source in manifest["sources"].values():
        freshness = source.get("freshness") or {}
        has_threshold = any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after"))
        if has_threshold and source.get("loaded_at_field") and source["schema"].lower() == BRONZE_SCHEMA:
            out.append((source["source_name"], source["name"], source["identifier"].lower()))
    return sorted(out)


def existing_bronze_tables(warehouse: dict) -> set[str]:
    """The bronze tables of the warehouse (lower case), through the same connection settings extraction uses."""
    from medallion.config import warehouse_target

    target = warehouse_target(warehouse)
    query = "select lower(table_name) from information_schema.tables where lower(table_schema) = 'bronze'"
    if target.kind == "local":
        import duckdb

        if not Path(target.duckdb_path).exists():
            return set()
        with duckdb.connect(target.duckdb_path) as con:
            return {name for (name,) in con.execute(query).fetchall()}
    if target.kind == "postgres":
        import psycopg

        with psycopg.connect(**target.postgres_conninfo()) as con:
            return {name for (name,) in con.execute(query).fetchall()}
    import snowflake.connector

    with snowflake.connector.connect(**target.snowflake_connect_args()) as con:
        return {name for (name,) in con.cursor().execute(query).fetchall()}


def check_source_freshness(warehouse: dict, dbt_env: dict[str, str], target: str, manifest_path: str,
                           profiles_dir: str, project_dir: str | None = None) -> dict:
    """Run `dbt source freshness` on the bronze sources that exist; warn on stale, fail past the error threshold.

    Returns {"checked": n, "warn": [...], "pass": n, "not_landed": [...]} (an XCom, no secrets)."""
    from dbt.cli.main import dbtRunner

    from medallion.config import PROJECT_ROOT
    from medallion.dbt_duckdb_lock import release_dbt_duckdb_lock

    sources = checked_sources(manifest_path)
    present = existing_bronze_tables(warehouse)
    selected = [f"source:{name}.{table}" for name, table, identifier in sources if identifier in present]
    not_landed = [f"{name}.{table}" for name, table, identifier in sources if identifier not in present]
    if not_landed:
        log.info("source freshness: not landed (yet), not checked: %s", ", ".join(not_landed))
    if not selected:
        log.info("source freshness: no bronze source table to check")
        return {"checked": 0, "pass": 0, "warn": [], "not_landed": not_landed}

    with tempfile.TemporaryDirectory(prefix="medallion-freshness-") as work_dir:
        args = ["source", "freshness", "--select", *selected,
                "--project-dir", str(project_dir or PROJECT_ROOT), "--profiles-dir", str(profiles_dir),
                "--target", target, "--target-path", str(Path(work_dir) / "target"),
                "--log-path", str(Path(work_dir) / "logs"), "--output", str(Path(work_dir) / "sources.json")]
        saved = {key: os.environ.get(key) for key in dbt_env}
        os.environ.update(dbt_env)
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            release_dbt_duckdb_lock()
    if outcome.result is None:
        raise StaleSourceError(f"dbt source freshness did not run: {outcome.exception!r}")

    results = []
    for result in outcome.result.results:
        node = result.node
        age = getattr(result, "age", None)
        results.append(FreshnessResult(
            source=f"{node.source_name}.{node.name}", status=str(result.status),
            max_loaded_at=str(getattr(result, "max_loaded_at", None) or "") or None,
            age_hours=round(age / 3600, 1) if age is not None else None, message=result.message or ""))
    for r in results:
        if r.status == "warn":
            log.warning("source freshness: %s is stale (latest batch %s, %s h ago): past its warn threshold",
                        r.source, r.max_loaded_at, r.age_hours)
    failed = [r for r in results if r.status not in ("pass", "warn")]
    if failed:
        raise StaleSourceError("source freshness past the error threshold (or not computable): " + "; ".join(
            f"{r.source} {r.status} (latest batch {r.max_loaded_at}, {r.age_hours} h ago) {r.message}".strip()
            for r in failed))
    summary = {"checked": len(results), "pass": sum(r.status == "pass" for r in results),
               "warn": [r.source for r in results if r.status == "warn"], "not_landed": not_landed}
    log.info("source freshness: %s", summary)
    return summary
