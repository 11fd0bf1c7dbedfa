"""Read a sync's model from the warehouse into a CSV file, as Hightouch queries the model before a sync."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb


class ModelReadError(Exception):
    pass


def export_model_to_csv(warehouse: Path | str, schema: str, table: str, out: Path, attempts: int = 20) -> list[str]:
    """Write the model's rows to `out` (CSV with header) and return the column names.

    ``warehouse``: a DuckDB file, a PostgreSQL URL or a Snowflake URL. DuckDB lets one process write a file; while
    a writer holds it, wait and try again.
    """
    if str(warehouse).startswith(("postgresql://", "postgres://")):
        return _export_postgres(str(warehouse), schema, table, out)
    if str(warehouse).startswith("snowflake://"):
        return _export_snowflake(str(warehouse), schema, table, out)
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise ModelReadError(f"warehouse {warehouse} does not exist: run the pipeline first")
    last_error: Exception | None = None
    for _ in range(attempts):
        try:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                relation = f'"{schema}"."{table}"'
                columns = [r[0] for r in con.execute(f"select * from {relation} limit 0").description]
                con.execute(f"copy (select * from {relation}) to '{out}' (format csv, header true)")
                return columns
        except duckdb.CatalogException as exc:
            raise ModelReadError(f"model {schema}.{table} not found in {warehouse}: {exc}") from None
        except duckdb.IOException as exc:  # locked by a writer
            last_error = exc
            time.sleep(0.5)
    raise ModelReadError(f"could not read {warehouse}: {last_error}")


def _export_postgres(url: str, schema: str, table: str, out: Path) -> list[str]:
    import psycopg
    from psycopg import sql

    relation = sql.Identifier(schema, table)
    try:
        with psycopg.connect(url) as con:
            columns = [d.name for d in con.execute(sql.SQL("select * from {} limit 0").format(relation)).description]
            with con.cursor().copy(sql.SQL("copy (select * from {}) to stdout with (format csv, header true)")
                                   .format(relation)) as copy, out.open("wb") as f:
                for data in copy:
                    f.write(data)
            return columns
    except psycopg.errors.UndefinedTable as exc:
        raise ModelReadError(f"model {schema}.{table} not found in the PostgreSQL warehouse: {exc}") from None
    except psycopg.OperationalError as exc:
        raise ModelReadError(f"could not read the PostgreSQL warehouse: {exc}") from None


def _export_snowflake(url: str, schema: str, table: str, out: Path) -> list[str]:
    """``snowflake://user@host:port/DATABASE?account=...&protocol=http`` (password: SNOWFLAKE_PASSWORD). Column names
    in lower case, values written as DuckDB's CSV writes them (true/false, plain decimals, empty for NULL)."""
    import csv
    import os
    from urllib.parse import parse_qsl, unquote, urlsplit

    import snowflake.connector

    parts = urlsplit(url)
    args = dict(parse_qsl(parts.query))
    args.update(user=unquote(parts.username or ""), host=parts.hostname, database=parts.path.strip("/"),
                password=os.environ.get("SNOWFLAKE_PASSWORD", ""))
    if parts.port:
        args["port"] = parts.port
    try:
        with snowflake.connector.connect(**args) as con:
            cursor = con.cursor()
            cursor.execute(f'select * from "{schema.upper()}"."{table.upper()}"')
            columns = [d[0].lower() for d in cursor.description]
            with out.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(columns)
                for row in cursor:
                    writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])
            return columns
    except snowflake.connector.errors.ProgrammingError as exc:
        raise ModelReadError(f"model {schema}.{table} not found in the Snowflake warehouse: {exc}") from None
    except snowflake.connector.errors.Error as exc:
        raise ModelReadError(f"could not read the Snowflake warehouse: {exc}") from None
