"""Read a sync's model from the warehouse into a CSV file, as Hightouch queries the model before a sync."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb


class ModelReadError(Exception):
    pass


def export_model_to_csv(warehouse: Path | str, schema: str, table: str, out: Path, attempts: int = 20) -> list[str]:
    """Write the model's rows to `out` (CSV with header) and return the column names.

    ``warehouse``: a DuckDB file, or a PostgreSQL URL. DuckDB lets one process write a file; while a writer holds
    it, wait and try again.
    """
    if str(warehouse).startswith(("postgresql://", "postgres://")):
        return _export_postgres(str(warehouse), schema, table, out)
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
