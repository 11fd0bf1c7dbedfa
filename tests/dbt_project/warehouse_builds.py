"""Helpers to build the dbt project on a fresh warehouse loaded with the bronze fixture.

The fixture (fixtures/bronze/salesforce__<object>.csv, and the ERP's erp__<table>.csv, erp_files__<kind>.csv) follows the bronze landing contract of
docs/ARCHITECTURE.md: lower-case VARCHAR columns named as the Salesforce fields, "" as NULL, plus
_batch_id, _extracted_at (TIMESTAMP) and _source. Every warehouse is created by the fixture that uses it
(a DuckDB file in a tmp dir, a PostgreSQL database with a unique name) and nothing is read from an earlier run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from dbt.cli.main import dbtRunner, dbtRunnerResult

REPO_ROOT = Path(__file__).resolve().parents[2]
BRONZE_FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "bronze"
SNAPSHOT_SCHEMAS = ("silver", "gold")


@dataclass(frozen=True)
class BronzeTable:
    name: str  # e.g. salesforce__account
    columns: list[str]
    rows: list[tuple[Any, ...]]


def read_bronze_fixture() -> list[BronzeTable]:
    """Every fixture CSV, all values as text (NULL for empty), exactly as extract/ would land them."""
    tables = []
    with duckdb.connect() as con:
        for path in sorted([*BRONZE_FIXTURE_DIR.glob("salesforce_*.csv"), *BRONZE_FIXTURE_DIR.glob("erp*.csv")]):
            relation = con.sql(
                "select * from read_csv(?, all_varchar = true, header = true)", params=[str(path)]
            )
            tables.append(BronzeTable(path.stem, relation.columns, relation.fetchall()))
    assert tables, f"no bronze fixture in {BRONZE_FIXTURE_DIR}"
    return tables


# The next extraction after the fixture's two batches (batch 3, 2024-04-03): record id -> changed fields of its
# latest landed version; an Id the fixture lacks is a new record (based on the first row of its table).
NEXT_BATCH_CHANGES: dict[str, dict[str, dict[str, str]]] = {
    "salesforce__opportunity": {
        # Big Co's pilot is won at 5000; Tokyo gets a new opportunity in the pipeline
        "006000000000003AAA": {"stagename": "Closed Won", "amount": "5000.0", "probability": "100",
                               "isclosed": "true", "iswon": "true", "forecastcategoryname": "Closed"},
        "006000000000009AAA": {"accountid": "001000000000003AAA", "name": "Tokyo - Expansion", "description": "",
                               "stagename": "Prospecting", "amount": "2500.0", "probability": "10",
                               "isclosed": "false", "iswon": "false", "forecastcategoryname": "Pipeline",
                               "type": "", "leadsource": ""},
    },
    "salesforce__case": {
        # Acme's open High case (opened 2024-03-05 09:00) is closed after 169 hours (its SLA is 24)
        "500000000000002AAA": {"status": "Closed", "isclosed": "true", "closeddate": "2024-03-12T10:00:00.000Z"},
    },
    "salesforce__account": {
        '001000000000002AAA': {"name": "Big Co International"},
    },
}


def next_batch(tables: list[BronzeTable]) -> list[BronzeTable]:
    """NEXT_BATCH_CHANGES as extract/ would land them: new versions with a new SystemModstamp, in batch 3."""
    out = []
    for table in tables:
        changes = NEXT_BATCH_CHANGES.get(table.name)
        if not changes:
            continue
        rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
        landed = []
        for record_id, fields in changes.items():
            versions = [r for r in rows if r["id"] == record_id] or [dict(rows[0], id=record_id)]
            latest = max(versions, key=lambda r: (r["systemmodstamp"] or "", r["_extracted_at"]))
            version = latest | fields | {
                "lastmodifieddate": "2024-04-03T08:00:00.000Z", "systemmodstamp": "2024-04-03T08:00:00.000Z",
                "_batch_id": f"batch-3-{table.name.removeprefix('salesforce__')}",
                "_extracted_at": "2024-04-03 09:00:00"}
            landed.append(tuple(version[c] for c in table.columns))
        out.append(BronzeTable(table.name, table.columns, landed))
    return out


def _column_type(column: str) -> str:
    return "timestamp" if column == "_extracted_at" else "varchar"


def land_bronze_duckdb(db_path: Path, tables: list[BronzeTable], append: bool = False) -> None:
    """The tables into a new bronze schema; append=True adds the rows to the tables already there."""
    with duckdb.connect(str(db_path)) as con:
        if not append:
            con.execute("create schema bronze")
        for table in tables:
            ddl = ", ".join(f"{column} {_column_type(column)}" for column in table.columns)
            if not append:
                con.execute(f"create table bronze.{table.name} ({ddl})")
            placeholders = ", ".join("?" for _ in table.columns)
            con.executemany(f"insert into bronze.{table.name} ({', '.join(table.columns)}) values ({placeholders})",
                            table.rows)


def land_bronze_postgres(conninfo: str, tables: list[BronzeTable], append: bool = False) -> None:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    with psycopg.connect(conninfo) as con:
        # never land into a database this test did not create
        assert con.execute("select current_database()").fetchone()[0] == conninfo_to_dict(conninfo)["dbname"]
        if not append:
            con.execute("create schema bronze")
        for table in tables:
            ddl = ", ".join(f"{column} {_column_type(column)}" for column in table.columns)
            if not append:
                con.execute(f"create table bronze.{table.name} ({ddl})")
            with con.cursor().copy(
                f"copy bronze.{table.name} ({', '.join(table.columns)}) from stdin"
            ) as copy:
                for row in table.rows:
                    copy.write_row(row)


def snowflake_connect(profile_env: dict[str, str], database: str | None = None):
    """A Snowflake connection from the MEDALLION_SF_* settings of profiles.yml (a fakesnow server in tests)."""
    import snowflake.connector

    return snowflake.connector.connect(
        account=profile_env["MEDALLION_SF_ACCOUNT"], user=profile_env["MEDALLION_SF_USER"],
        password=profile_env["MEDALLION_SF_PASSWORD"], host=profile_env["MEDALLION_SF_HOST"],
        port=int(profile_env["MEDALLION_SF_PORT"]), protocol=profile_env["MEDALLION_SF_PROTOCOL"],
        database=database or profile_env["MEDALLION_SF_DATABASE"], schema="PUBLIC",
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False})


def land_bronze_snowflake(profile_env: dict[str, str], tables: list[BronzeTable], append: bool = False) -> None:
    """The fixture as extract/ lands it in Snowflake: unquoted (so upper-case) names, VARCHAR values."""
    with snowflake_connect(profile_env) as con:
        cursor = con.cursor()
        if not append:
            cursor.execute("create schema bronze")
        for table in tables:
            ddl = ", ".join(f"{column} {_column_type(column)}" for column in table.columns)
            if not append:
                cursor.execute(f"create table bronze.{table.name} ({ddl})")
            placeholders = ", ".join("%s" for _ in table.columns)
            cursor.executemany(f"insert into bronze.{table.name} ({', '.join(table.columns)}) values ({placeholders})",
                               table.rows)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# The fixture's "now" (dbt var as_of): gold's clocks (open case age, overdue tasks, the snapshot's last day) read
# it, so every build of the fixture computes the same numbers whenever and wherever it runs.
FIXTURE_AS_OF = "2024-04-02 12:00:00"


def run_dbt(command: list[str], target: str, work_dir: Path, **env: str) -> dbtRunnerResult:
    """A dbt command on the repo's project, artifacts and logs under work_dir (runs never collide), as of
    FIXTURE_AS_OF unless the command passes its own --vars."""
    if "--vars" not in command:
        command = [*command, "--vars", json.dumps({"as_of": FIXTURE_AS_OF})]
    args = [
        *command,
        "--project-dir", str(REPO_ROOT),
        "--profiles-dir", str(REPO_ROOT),
        "--target", target,
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
    ]
    with environment(MEDALLION_THREADS="4", **env):
        return dbtRunner().invoke(args)


# The generated silver of every extracted object (gitignored; present after a `make run`) is built and tested by
# tests/dbt_project/test_silver_objects.py against a bronze with field metadata, never by the fixture's builds.
GENERATED_MODELS = "path:dbt_project/silver/salesforce_objects"


def run_dbt_build(target: str, work_dir: Path, **env: str) -> dbtRunnerResult:
    return run_dbt(["build", "--exclude", GENERATED_MODELS], target, work_dir, **env)


def failures(result: dbtRunnerResult) -> list[tuple[str, str, str]]:
    if result.result is None:
        return [("dbt", "exception", repr(result.exception))]
    return [
        (r.node.unique_id, str(r.status), r.message or "")
        for r in result.result
        if str(r.status) not in ("pass", "success", "warn", "no-op")
    ]


def warned_tests(result: dbtRunnerResult) -> set[str]:
    return {r.node.name for r in result.result if str(r.status) == "warn"}


def _rows(cursor: Any) -> list[dict[str, Any]]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def snapshot_duckdb(db_path: Path) -> dict[str, list[dict[str, Any]]]:
    """All silver and gold tables: 'gold.dim_accounts' -> rows as dicts."""
    schemas = ", ".join(f"'{s}'" for s in SNAPSHOT_SCHEMAS)
    with duckdb.connect(str(db_path)) as con:
        names = con.execute(
            f"select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in ({schemas}) and table_type = 'BASE TABLE'"
        ).fetchall()
        return {name: _rows(con.execute(f"select * from {name}")) for (name,) in names}


def snapshot_postgres(conninfo: str) -> dict[str, list[dict[str, Any]]]:
    import psycopg

    with psycopg.connect(conninfo) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE'",
            [list(SNAPSHOT_SCHEMAS)],
        ).fetchall()
        return {name: _rows(con.execute(f"select * from {name}")) for (name,) in names}


def snapshot_snowflake(profile_env: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """All silver and gold tables, names and columns in lower case as on the other warehouses."""
    schemas = ", ".join(f"'{s.upper()}'" for s in SNAPSHOT_SCHEMAS)
    with snowflake_connect(profile_env) as con:
        cursor = con.cursor()
        names = cursor.execute(
            f"select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({schemas}) and table_type = 'BASE TABLE'").fetchall()
        tables = {}
        for schema, name in names:
            rows = _rows(cursor.execute(f'select * from "{schema}"."{name}"'))
            tables[f"{schema}.{name}".lower()] = [{k.lower(): v for k, v in row.items()} for row in rows]
        return tables


@dataclass
class BuiltWarehouse:
    """A warehouse after `dbt build` on the fixture; `tables` is its silver/gold content right after."""

    name: str
    result: dbtRunnerResult
    tables: dict[str, list[dict[str, Any]]]
    db_path: Path | None = None
    work_dir: Path | None = None
    env: dict[str, str] | None = None  # the MEDALLION_* settings dbt ran with (Snowflake: the fakesnow server)

    def table(self, name: str) -> list[dict[str, Any]]:
        assert name in self.tables, f"{name} not built on {self.name}: {sorted(self.tables)}"
        return self.tables[name]

    def by_key(self, name: str, *key: str) -> dict[Any, dict[str, Any]]:
        rows = self.table(name)
        keyed = {(row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)): row for row in rows}
        assert len(keyed) == len(rows), f"{name} is not unique on {key}"
        return keyed


def postgres_conninfo(dbname: str) -> str:
    """Connection string from the same MEDALLION_PG_* settings (and defaults) as profiles.yml."""
    from psycopg.conninfo import make_conninfo

    settings = {
        "host": os.environ.get("MEDALLION_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("MEDALLION_PG_PORT", "5432"),
        "user": os.environ.get("MEDALLION_PG_USER", "postgres"),
        "password": os.environ.get("MEDALLION_PG_PASSWORD", ""),
        "dbname": dbname,
        "connect_timeout": "5",
    }
    return make_conninfo(**{key: value for key, value in settings.items() if value})
