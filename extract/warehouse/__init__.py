"""Warehouses extraction lands into, behind one contract (bronze.py, in SQL once in sql_bronze.py).

``open_bronze_writer(target)`` opens the writer of an explicit target: DuckDB (``local``, the embedded default),
PostgreSQL (``postgres``) or Snowflake (``snowflake``). Secrets come in the target (from the caller: the DAG reads
them from its environment at task run time); nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WarehouseTarget:
    """Where to land: ``kind`` and its location; ``password`` never printed."""

    kind: str  # local (DuckDB) | postgres | snowflake
    duckdb_path: str | None = None  # local
    host: str | None = None  # postgres (and snowflake's endpoint when not the default)
    port: int | None = None
    user: str | None = None
    database: str | None = None
    password: str | None = field(default=None, repr=False)
    options: dict[str, Any] = field(default_factory=dict)  # more connection settings (snowflake: account, role...)

    def postgres_conninfo(self) -> dict[str, Any]:
        """psycopg.connect keyword arguments (the password only when there is one)."""
        args = {"host": self.host or "127.0.0.1", "port": int(self.port or 5432), "user": self.user or "postgres",
                "dbname": self.database or "medallion", "application_name": "medallion-extract"}
        if self.password:
            args["password"] = self.password
        return args

    def snowflake_connect_args(self) -> dict[str, Any]:
        """snowflake.connector.connect keyword arguments: ``options`` (account, role, warehouse, protocol...) and
        the fields set here; host and port only when given (else the account's own endpoint)."""
        args = {**self.options, "user": self.user, "database": self.database or "MEDALLION",
                "application": "medallion-extract",
                "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False}}
        if self.host:
            args["host"] = self.host
        if self.port:
            args["port"] = int(self.port)
        if self.password:
            args["password"] = self.password
        return {key: value for key, value in args.items() if value is not None}


def _open_duckdb(target: WarehouseTarget):
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    if not target.duckdb_path:
        raise ValueError("a local (DuckDB) target needs duckdb_path")
    return DuckDBBronzeWriter(Path(target.duckdb_path))


def _open_postgres(target: WarehouseTarget):
    from extract.warehouse.postgres_bronze import PostgresBronzeWriter

    return PostgresBronzeWriter(**target.postgres_conninfo())


def _open_snowflake(target: WarehouseTarget):
    from extract.warehouse.snowflake_bronze import SnowflakeBronzeWriter

    return SnowflakeBronzeWriter(**target.snowflake_connect_args())


WRITERS: dict[str, Callable[[WarehouseTarget], Any]] = {
    "local": _open_duckdb,
    "duckdb": _open_duckdb,
    "postgres": _open_postgres,
    "snowflake": _open_snowflake,
}


def open_bronze_writer(target: WarehouseTarget):
    """The bronze writer of ``target`` (a context manager: ``with open_bronze_writer(t) as writer: ...``)."""
    opener = WRITERS.get(target.kind)
    if opener is None:
        raise ValueError(f"unknown warehouse kind {target.kind!r}: choose one of {', '.join(sorted(WRITERS))}")
    return opener(target)
