"""The org's data in one DuckDB file: a table per object named and columned exactly as the API names them.

Readers take a cursor of their own (``store.cursor()``); writers go through ``store.write()``, which serialises
them with a lock and runs each in one transaction. Key-value settings (credentials, seed facts) and per-prefix id
sequences live in the ``meta`` schema.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from . import ids
from .schema import OBJECTS, ObjectDef

MEMORY_LIMIT = "256MB"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class OrgStore:
    def __init__(self, path: Path, temp_dir: Path):
        temp_dir.mkdir(parents=True, exist_ok=True)
        self._db = duckdb.connect(
            str(path),
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": str(temp_dir),
                "preserve_insertion_order": True,
            },
        )
        self._write_lock = threading.Lock()
        self._cursor_lock = threading.Lock()
        self._create_catalog()

    def _create_catalog(self) -> None:
        with self.write() as cur:
            for macro in ids.sql_macros():
                cur.execute(macro)
            cur.execute("CREATE SCHEMA IF NOT EXISTS meta")
            cur.execute("CREATE TABLE IF NOT EXISTS meta.settings (key VARCHAR PRIMARY KEY, value VARCHAR)")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS meta.sequences (key_prefix VARCHAR PRIMARY KEY, next_value BIGINT)"
            )
            for obj in OBJECTS.values():
                cur.execute(create_table_sql(obj))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cursor_lock:
            cur = self._db.cursor()
        cur.execute("SET enable_progress_bar = false")
        return cur

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside a transaction, holding the org's write lock; commits on success, rolls back on error."""
        with self._write_lock:
            cur = self.cursor()
            cur.begin()
            try:
                yield cur
                cur.commit()
            except BaseException:
                cur.rollback()
                raise
            finally:
                cur.close()

    def setting(self, key: str) -> str | None:
        with self.read() as cur:
            row = cur.execute("SELECT value FROM meta.settings WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @staticmethod
    def put_settings(cur: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
        cur.executemany("INSERT OR REPLACE INTO meta.settings VALUES (?, ?)", list(values.items()))

    @staticmethod
    def reserve_sequence(cur: duckdb.DuckDBPyConnection, key_prefix: str, count: int) -> int:
        """Reserve ``count`` consecutive id sequence numbers for ``key_prefix``; returns the first."""
        cur.execute(
            "INSERT INTO meta.sequences VALUES (?, 1) ON CONFLICT DO NOTHING", [key_prefix]
        )
        (first,) = cur.execute(
            "SELECT next_value FROM meta.sequences WHERE key_prefix = ?", [key_prefix]
        ).fetchone()
        cur.execute("UPDATE meta.sequences SET next_value = ? WHERE key_prefix = ?", [first + count, key_prefix])
        return first

    def close(self) -> None:
        self._db.close()


def create_table_sql(obj: ObjectDef) -> str:
    columns = ", ".join(f"{quote(f.name)} {f.sql_type}" for f in obj.stored_fields)
    return f"CREATE TABLE IF NOT EXISTS {quote(obj.name)} ({columns})"
