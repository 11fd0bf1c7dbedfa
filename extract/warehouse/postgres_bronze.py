"""Bronze, extraction state and extraction audit in a PostgreSQL database (psycopg 3).

The landing semantics live in sql_bronze.SqlBronzeWriter. Here: a result page goes into a temp table with
``COPY ... FROM STDIN`` (the file's bytes streamed as they are, quoted empty values read as NULL like DuckDB does),
then the same set SQL lands it; each batch is one transaction with its state and audit rows. Several writer
processes may land at once: the setup DDL runs under an advisory lock, and a batch holds an advisory transaction
lock on its (source, object), so two processes never land the same object's batches interleaved. Bulk job ids are
committed on a second connection, apart from the open batch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import psycopg

from extract.warehouse.bronze import Batch
from extract.warehouse.sql_bronze import SqlBronzeWriter, quote_ident

SETUP_LOCK = 0x6D65_6401  # pg_advisory_xact_lock key of the schema setup (any constant, shared by every writer)
OBJECT_LOCK_CLASS = 0x6D65_6402  # first key of an object's batch lock (the second: hashtext(source.object))
COPY_CHUNK = 1 << 20

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def to_pyformat(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s``, and a literal ``%`` to ``%%`` (inside quotes too)."""
    def swap(match: re.Match) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        return text.replace("%", "%%")
    return _TOKENS.sub(swap, sql)


class PostgresBronzeWriter(SqlBronzeWriter):
    TYPES = {**SqlBronzeWriter.TYPES, "double": "double precision"}

    def __init__(self, conninfo: str = "", **connect_kwargs):
        """``conninfo``/``connect_kwargs`` as psycopg.connect takes them (host, port, user, dbname, password)."""
        self._connect_args = (conninfo, connect_kwargs)
        self.con = psycopg.connect(conninfo, autocommit=True, **connect_kwargs)
        self._side: psycopg.Connection | None = None
        self._side_lock = threading.Lock()
        super().__init__()

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
        self.con.close()

    # --- hooks -------------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence = ()):
        return self.con.execute(to_pyformat(sql), list(params))

    def _count(self, sql: str, params: Sequence = ()) -> int:
        return self._execute(sql, params).rowcount

    def _autonomous(self, sql: str, params: Sequence = ()) -> None:
        with self._side_lock:
            if self._side is None or self._side.closed:
                conninfo, kwargs = self._connect_args
                self._side = psycopg.connect(conninfo, autocommit=True, **kwargs)
            self._side.execute(to_pyformat(sql), list(params))

    def _rollback_quietly(self) -> None:
        try:
            self.con.execute("rollback")  # a warning, not an error, when nothing is open
        except psycopg.Error:
            pass

    def _setup(self) -> None:
        self._execute("begin transaction")
        try:
            self._execute("select pg_advisory_xact_lock(?)", [SETUP_LOCK])
            self._create_tables()
            self._execute("commit")
        except BaseException:
            self._rollback_quietly()
            raise

    def _lock_object(self, batch: Batch) -> None:
        self._execute("select pg_advisory_xact_lock(?, hashtext(?))",
                      [OBJECT_LOCK_CLASS, f"{batch.source}.{batch.object_name}"])

    def _latest_per_id(self, columns: str, table: str, where: str, order: str) -> str:
        return f"select distinct on (id) {columns} from {table} where {where} order by id, {order}"

    def _create_temp(self, name: str, columns: Sequence[str]) -> None:
        cols = ", ".join(f"{quote_ident(c)} varchar" for c in columns)
        self.con.execute(f"drop table if exists pg_temp.{name}")
        self.con.execute(f"create temp table {name} ({cols})")

    def _drop_temp(self, name: str) -> None:
        self.con.execute(f"drop table if exists pg_temp.{name}")

    def _copy_into(self, name: str, batch: Batch, page: Path, columns: Sequence[str]) -> int:
        names = ", ".join(quote_ident(c.lower()) for c in columns)
        statement = (f"copy {name} ({names}) from stdin with (format csv, header true, encoding 'UTF8', "
                     f"force_null ({names}))")
        with self.con.cursor() as cursor:
            with page.open("rb") as f, cursor.copy(statement) as copy:
                while chunk := f.read(COPY_CHUNK):
                    copy.write(chunk)
            return cursor.rowcount

    def _analyze_temp(self, name: str) -> None:
        self.con.execute(f"analyze pg_temp.{name}")  # a temp table has no statistics: the planner needs them
