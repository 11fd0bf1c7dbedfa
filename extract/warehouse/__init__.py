"""Warehouses the extractors land into. DuckDB is the embedded default; PostgreSQL and Snowflake follow."""

from __future__ import annotations

import os
from pathlib import Path

from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter


def duckdb_path() -> Path:
    return Path(os.environ.get("MEDALLION_DUCKDB_PATH", ".medallion/warehouse.duckdb")).resolve()


def open_bronze_writer() -> DuckDBBronzeWriter:
    """The bronze writer for the configured target (MEDALLION_TARGET, default local DuckDB)."""
    target = os.environ.get("MEDALLION_TARGET", "local")
    if target != "local":
        raise NotImplementedError(
            f"MEDALLION_TARGET={target!r}: landing into {target} is not built yet; only 'local' (DuckDB) lands today"
        )
    return DuckDBBronzeWriter(duckdb_path())
