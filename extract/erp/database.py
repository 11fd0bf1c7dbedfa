"""Read the relational ERP in pages: a DuckDB file (opened read-only, closed as soon as a table is read) or
PostgreSQL (psycopg 3, a server-side cursor in one read-only transaction).

Every column is read as text the way both databases print it, so bronze looks the same whichever backend the ERP
runs on: timestamps ``2025-05-31 11:04:46``, dates ``2025-05-31``, decimals ``1500.00``, booleans ``true``/``false``.
A page is a CSV file written by pyarrow from one Arrow batch of at most ``page_rows`` rows: a table is never held
in memory whole.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from extract.erp.landing import Page
from extract.erp.tables import CURSOR, ROW_KEY, ErpTable
from extract.errors import ExtractError, PermanentError

log = logging.getLogger(__name__)

DUCKDB_LOCK_WAIT_S = 30.0  # the ERP's own process may hold its DuckDB file for the length of one change


class ErpDatabaseError(ExtractError):
    """The ERP database could not be read (worth retrying later)."""


class ErpConfigurationError(PermanentError):
    """The ERP database's DSN or catalog is not what extraction needs."""


def redact(dsn: str) -> str:
    """The DSN without its password, for logs and errors."""
    if "://" not in dsn:  # key=value conninfo
        return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", dsn)
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return dsn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class ReadResult:
    pages: list[Page]
    highest: str | None = None  # the highest cursor value read
    deleted: int = 0  # soft-deleted versions read with a cursor above ``new_after``


def _select(table: ErpTable, columns: tuple[str, ...], placeholder: str, since: datetime | None) -> str:
    select = [f"cast({_quote(c)} as varchar) as {_quote(c)}" for c in columns if c != ROW_KEY]
    if ROW_KEY in columns:
        select.append(" || ':' || ".join(f"cast({_quote(k)} as varchar)" for k in table.key) + f" as {ROW_KEY}")
    where = f" where {_quote(CURSOR)} >= {placeholder}" if since is not None else ""
    order = ", ".join(_quote(c) for c in (CURSOR, *table.key))
    return f"select {', '.join(select)} from {_quote(table.name)}{where} order by {order}"


def _write_pages(batches: Iterator[pa.RecordBatch], table: ErpTable, directory: Path,
                 new_after: str | None) -> ReadResult:
    """Each Arrow batch to one CSV page; the highest cursor and the new soft-deleted versions on the way."""
    result = ReadResult([])
    for number, batch in enumerate(batches, start=1):
        if batch.num_rows == 0:
            continue
        path = directory / f"{table.name}-{number:05d}.csv"
        pacsv.write_csv(pa.Table.from_batches([batch]), path)
        result.pages.append(Page(path, batch.num_rows, path.stat().st_size, number))
        highest = pc.max(batch.column(CURSOR)).as_py()
        result.highest = max(filter(None, [result.highest, highest]), default=None)
        if table.soft_delete:
            deleted = pc.equal(batch.column("is_deleted"), "true")
            if new_after is not None:
                deleted = pc.and_(deleted, pc.greater(batch.column(CURSOR), new_after))
            result.deleted += int(pc.sum(pc.cast(deleted, pa.int64())).as_py() or 0)
    return result


def _columns_of(table: ErpTable, found: list[str]) -> tuple[str, ...]:
    if not found:
        raise ErpConfigurationError(f"the ERP database has no table {table.name!r}")
    missing = [c for c in (CURSOR, *table.key) if c not in found]
    if missing:
        raise ErpConfigurationError(f"ERP table {table.name!r} lacks {', '.join(missing)}: it cannot be read "
                                    f"incrementally by {CURSOR}")
    return tuple(found) + ((ROW_KEY,) if len(table.key) > 1 else ())


class DuckDBReader:
    """The ERP's DuckDB file, opened read-only per table and closed as soon as its pages are on disk."""

    backend = "duckdb"

    def __init__(self, path: Path, lock_wait_s: float = DUCKDB_LOCK_WAIT_S):
        self.path, self.lock_wait_s = path, lock_wait_s

    def _connect(self):
        import duckdb

        if not self.path.exists():
            raise ErpConfigurationError(f"the ERP DuckDB file {self.path} does not exist")
        deadline = time.monotonic() + self.lock_wait_s
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=True)
            except duckdb.IOException as error:  # another process writes the file right now
                if time.monotonic() >= deadline:
                    raise ErpDatabaseError(f"the ERP DuckDB file {self.path} stayed locked for "
                                           f"{self.lock_wait_s:.0f}s: {error}") from None
                time.sleep(0.2)

    def read(self, table: ErpTable, since: datetime | None, directory: Path, page_rows: int,
             new_after: str | None = None) -> tuple[tuple[str, ...], ReadResult]:
        con = self._connect()
        try:
            found = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main' "
                "and table_name = ? order by ordinal_position", [table.name]).fetchall()]
            columns = _columns_of(table, found)
            relation = con.sql(_select(table, columns, "?", since), params=[since] if since is not None else None)
            reader = relation.to_arrow_reader(page_rows)
            return columns, _write_pages(reader, table, directory, new_after)
        finally:
            con.close()


class PostgresReader:
    """The ERP in PostgreSQL: one read-only REPEATABLE READ transaction per table, a server-side cursor."""

    backend = "postgres"

    def __init__(self, conninfo: str):
        self.conninfo = conninfo

    def read(self, table: ErpTable, since: datetime | None, directory: Path, page_rows: int,
             new_after: str | None = None) -> tuple[tuple[str, ...], ReadResult]:
        import psycopg

        try:
            con = psycopg.connect(self.conninfo, connect_timeout=10)
        except psycopg.OperationalError as error:
            raise ErpDatabaseError(f"cannot connect to the ERP database {redact(self.conninfo)}: "
                                   f"{str(error).strip()}") from None
        try:
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            con.read_only = True
            con.execute("set datestyle = 'ISO, YMD'")
            con.execute("set timezone = 'UTC'")
            found = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = current_schema() "
                "and table_name = %s order by ordinal_position", [table.name]).fetchall()]
            columns = _columns_of(table, found)

            def batches() -> Iterator[pa.RecordBatch]:
                with con.cursor(name=f"erp_{table.name}") as cur:
                    cur.execute(_select(table, columns, "%s", since), [since] if since is not None else [])
                    while rows := cur.fetchmany(page_rows):
                        arrays = [pa.array(values, pa.string()) for values in zip(*rows)]
                        yield pa.RecordBatch.from_arrays(arrays, names=list(columns))

            result = _write_pages(batches(), table, directory, new_after)
            con.rollback()
            return columns, result
        except psycopg.OperationalError as error:
            raise ErpDatabaseError(f"reading {table.name} from {redact(self.conninfo)} failed: "
                                   f"{str(error).strip()}") from None
        finally:
            con.close()


def open_reader(dsn: str) -> DuckDBReader | PostgresReader:
    """``duckdb:///<absolute path>``, ``postgresql://user[:password]@host:port/database`` (as the ERP prints) or
    a libpq ``key=value`` conninfo."""
    if dsn.startswith("duckdb://"):
        return DuckDBReader(Path(dsn.removeprefix("duckdb:///")))
    if dsn.startswith(("postgresql://", "postgres://")) or ("://" not in dsn and "=" in dsn):
        return PostgresReader(dsn)
    raise ErpConfigurationError(f"unsupported ERP database DSN {redact(dsn)!r}: expected duckdb:///<path> or "
                                f"postgresql://user@host:port/database")
