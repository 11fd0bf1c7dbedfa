"""Query results materialised on disk (Parquet with a row number), so pages are served without re-running queries
and without holding a whole result in memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROW_GROUP_SIZE = 100_000
FETCH_CHUNK = 10_000


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class ResultFile:
    path: Path
    row_count: int

    @classmethod
    def write(cls, cur: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> ResultFile:
        """Run ``select_sql`` once and store its rows, in order, with a 0-based ``__rn``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        cur.execute(
            f"COPY (SELECT row_number() OVER () - 1 AS __rn, * FROM ({select_sql})) TO {_path_literal(path)} "
            f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
        )
        (row_count,) = cur.execute(
            f"SELECT num_rows FROM parquet_file_metadata({_path_literal(path)})"
        ).fetchone()
        return cls(path, row_count)

    def rows(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[tuple]:
        """Rows ``[start, start + count)`` without ``__rn``, fetched in chunks."""
        cur.execute(
            f"SELECT * EXCLUDE (__rn) FROM read_parquet({_path_literal(self.path)}) "
            f"WHERE __rn >= {int(start)} AND __rn < {int(start) + int(count)} ORDER BY __rn"
        )
        while chunk := cur.fetchmany(FETCH_CHUNK):
            yield from chunk

    def text_chunks(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[str]:
        """For single-column text results (CSV lines): the concatenated text of rows in the range, chunk by chunk."""
        cur.execute(
            f"SELECT * EXCLUDE (__rn) FROM read_parquet({_path_literal(self.path)}) "
            f"WHERE __rn >= {int(start)} AND __rn < {int(start) + int(count)} ORDER BY __rn"
        )
        while chunk := cur.fetchmany(FETCH_CHUNK):
            yield "".join(row[0] for row in chunk)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
