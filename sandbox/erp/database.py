"""The ERP's storage: a DuckDB file (embedded, the default) or a PostgreSQL database, behind one small API.

SQL is written with ``%s`` placeholders (psycopg style); for DuckDB they become ``?``. One connection per
database, used under a lock, so the control API (test thread) and the REST API (server thread) can share it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_PG_DATABASE = "medallion_erp_sandbox"
LOCK_WAIT_SECONDS = 30
INSERT_CHUNK_ROWS = 500
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Cursor:
    """A cursor inside a transaction: ``execute`` then ``all()`` (dicts) or ``one()`` (a tuple)."""

    def __init__(self, raw: Any, backend: str):
        self.raw = raw
        self.backend = backend

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self.backend == "duckdb":
            sql = sql.replace("%s", "?")
        self.raw.execute(sql, list(params))
        return self

    def all(self) -> list[dict]:
        names = [d[0] for d in self.raw.description]
        return [dict(zip(names, row)) for row in self.raw.fetchall()]

    def one(self) -> tuple | None:
        rows = self.raw.fetchall()  # fetch everything: DuckDB refuses new work while a result is unfinished
        return rows[0] if rows else None

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert (DuckDB: multi-row ``VALUES`` in chunks; PostgreSQL: ``COPY ... FROM STDIN``)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.backend == "duckdb":
            row_marks = "(" + ", ".join("?" * len(columns)) + ")"
            for start in range(0, len(rows), INSERT_CHUNK_ROWS):
                chunk = rows[start:start + INSERT_CHUNK_ROWS]
                self.raw.execute(f"INSERT INTO {table} ({names}) VALUES " + ", ".join([row_marks] * len(chunk)),
                                 [value for row in chunk for value in row])
        else:
            with self.raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


class ErpDatabase:
    """Open with ``ErpDatabase.duckdb(path)`` or ``ErpDatabase.postgres(database, ...)``; ``dsn`` is printed.

    DuckDB lets one process write a file (or several only read it), so the embedded backend opens the file only
    for the length of each transaction (read-only when nothing is written) and retries while another process holds
    it: clients can read the file between the sandbox's operations (open it ``read_only=True``, close it promptly).
    PostgreSQL keeps one connection.
    """

    def __init__(self, backend: str, dsn: str, *, path: Path | None = None, connection: Any = None):
        self.backend = backend
        self.dsn = dsn
        self.path = path
        self._connection = connection
        self._lock = threading.RLock()

    @classmethod
    def duckdb(cls, path: Path) -> ErpDatabase:
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls("duckdb", f"duckdb:///{path}", path=path)

    @classmethod
    def postgres(cls, database: str = DEFAULT_PG_DATABASE, *, host: str = "127.0.0.1", port: int = 5432,
                 user: str = "postgres") -> ErpDatabase:
        """Connect to ``database``, creating it first if the server lacks it (no other database is touched)."""
        import psycopg

        ensure_pg_database(database, host=host, port=port, user=user)
        dsn = f"postgresql://{user}@{host}:{port}/{database}"
        return cls("postgres", dsn, connection=psycopg.connect(dsn))

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Cursor]:
        with self._lock:
            if self.backend == "duckdb":
                connection = self._open_duckdb(read_only=not write)
                try:
                    connection.execute("BEGIN TRANSACTION")
                    try:
                        yield Cursor(connection, self.backend)
                        connection.execute("COMMIT")
                    except BaseException:
                        connection.execute("ROLLBACK")
                        raise
                finally:
                    connection.close()
            else:
                with self._connection.transaction(), self._connection.cursor() as raw:
                    yield Cursor(raw, self.backend)

    def _open_duckdb(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        read_only = read_only and self.path.exists()
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException as error:  # another process holds the file
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        with self.transaction(write=False) as cur:
            return cur.execute(sql, params).all()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.transaction(write=False) as cur:
            row = cur.execute(sql, params).one()
            return None if row is None else row[0]

    def table_exists(self, table: str) -> bool:
        schema, _, name = table.rpartition(".")
        default_schema = "main" if self.backend == "duckdb" else "public"
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (schema or default_schema, name),
        ))

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _check_name(database: str) -> str:
    if not _DATABASE_NAME.match(database):
        raise ValueError(f"not a plain PostgreSQL database name: {database!r}")
    return database


def ensure_pg_database(database: str, *, host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> bool:
    """Create ``database`` if missing; True when it was created."""
    import psycopg

    _check_name(database)
    with psycopg.connect(f"postgresql://{user}@{host}:{port}/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            return False
        admin.execute(f'CREATE DATABASE "{database}"')
        return True


def drop_pg_database(database: str, *, host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> None:
    """Drop ``database`` (for tests that created their own; closes other sessions on it)."""
    import psycopg

    _check_name(database)
    with psycopg.connect(f"postgresql://{user}@{host}:{port}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
