"""The org's data in one DuckDB file: a table per object named and columned exactly as the API names them.

Readers take a cursor of their own (``store.cursor()``); writers go through ``store.write()``, which serialises
them with a lock and runs each in one transaction. Key-value settings (credentials, seed facts) and per-prefix id
sequences live in the ``meta`` schema.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from . import ids
from .schema import OBJECTS, ObjectDef

MEMORY_LIMIT = "256MB"  # DuckDB's buffer pool; DuckDB needs more outside it (docs/SANDBOX_SCALE.md)
# while a wide operation runs (wide_operation()): scanning, writing and reading 100+ columns costs DuckDB memory
# outside its buffer pool, so the pool gives way (a smaller pool slows narrow Bulk jobs by ~20%, hence not always)
WIDE_MEMORY_LIMIT = "128MB"
# glibc's malloc serves allocations this big with mmap, so they go back to the system when freed: otherwise its
# threshold follows the largest freed block up to 32 MB, and big short-lived buffers (Parquet row groups, text chunks
# of wide CSV pages) stay in the heap, fragmented, raising the peak RSS by 40+ MB per phase
MMAP_THRESHOLD_BYTES = 2 * 1024 * 1024
# objects with this many stored fields or more are "wide": stored with uncompressed text, and their results are
# written in row ranges (results.py); Bench_Wide__c (150 fields) is the one; the widest generated object has 31
WIDE_OBJECT_FIELDS = 60
WIDE_RESULT_COLUMNS = 40


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_malloc_tuned = False


def tune_malloc() -> None:
    """Fix glibc's mmap threshold (``MMAP_THRESHOLD_BYTES``), once per process; a no-op elsewhere."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, MMAP_THRESHOLD_BYTES)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


class OrgStore:
    def __init__(self, path: Path, temp_dir: Path):
        tune_malloc()
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
        self._wide_lock = threading.Lock()
        self._wide_operations = 0
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

    @contextmanager
    def wide_operation(self) -> Iterator[None]:
        """DuckDB's memory limit is ``WIDE_MEMORY_LIMIT`` while at least one wide operation runs (seeding, writing
        or reading the results of a wide object), ``MEMORY_LIMIT`` otherwise."""
        with self._wide_lock:
            self._wide_operations += 1
            if self._wide_operations == 1:
                self._set_memory_limit(WIDE_MEMORY_LIMIT)
        try:
            yield
        finally:
            with self._wide_lock:
                self._wide_operations -= 1
                if self._wide_operations == 0:
                    self._set_memory_limit(MEMORY_LIMIT)

    def _set_memory_limit(self, value: str) -> None:
        with self.read() as cur:
            try:
                cur.execute(f"SET memory_limit = '{value}'")
            except duckdb.Error:  # buffers pinned by other queries: keep the current limit
                pass

    @contextmanager
    def uncompressed_strings(self) -> Iterator[None]:
        """Text written meanwhile (and checkpointed at the end) is stored uncompressed. DuckDB's setting is global:
        use it only while nothing else writes (seeding). Checkpoints before and after keep other rows out of it."""
        cur = self.cursor()
        try:
            cur.execute("CHECKPOINT")
            cur.execute("SET disabled_compression_methods = 'dict_fsst,fsst'")
            yield
            cur.execute("CHECKPOINT")
        finally:
            cur.execute("RESET disabled_compression_methods")
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


def is_wide(obj: ObjectDef) -> bool:
    return len(obj.stored_fields) >= WIDE_OBJECT_FIELDS


def create_table_sql(obj: ObjectDef) -> str:
    columns = ", ".join(f"{quote(f.name)} {f.sql_type}" for f in obj.stored_fields)
    return f"CREATE TABLE IF NOT EXISTS {quote(obj.name)} ({columns})"
