"""Query results materialised on disk (Parquet, rows in result order), so pages are served without re-running
queries and without holding a whole result in memory.

Rows are addressed by their position in the file (DuckDB's ``file_row_number``, whose range filters skip whole row
groups), so writing a result is one streaming ``COPY`` (no window function over the result) and reading a page is a
streaming scan of the row groups it spans (no sort): memory stays bounded whatever the result's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROW_GROUP_SIZE = 100_000
ROW_GROUP_BYTES = "16MB"  # wide rows: smaller row groups, so the writer's buffers stay well inside the memory limit
FETCH_CHUNK = 10_000
TEXT_CHUNK_CHARS = 4_000_000  # characters per yielded text chunk (the rows fetched at once adapt to their width)
MAX_CHUNK_ROWS = 50_000


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class ResultFile:
    path: Path
    row_count: int

    @classmethod
    def write(cls, cur: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> ResultFile:
        """Run ``select_sql`` once and store its rows, in order (the store keeps ``preserve_insertion_order``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        cur.execute(
            f"COPY ({select_sql}) TO {_path_literal(path)} "
            f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}')"
        )
        (row_count,) = cur.execute(
            f"SELECT num_rows FROM parquet_file_metadata({_path_literal(path)})"
        ).fetchone()
        return cls(path, row_count)

    def _range_sql(self, start: int, count: int, columns: str = "* EXCLUDE (file_row_number)") -> str:
        return (
            f"SELECT {columns} FROM read_parquet({_path_literal(self.path)}, file_row_number = true) "
            f"WHERE file_row_number >= {int(start)} AND file_row_number < {int(start) + int(count)}"
        )

    def rows(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[tuple]:
        """Rows ``[start, start + count)``, fetched in chunks."""
        cur.execute(self._range_sql(start, count))
        while chunk := cur.fetchmany(FETCH_CHUNK):
            yield from chunk

    def text_chunks(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[str]:
        """For single-column text results (CSV lines): the concatenated text of rows in the range, chunk by chunk."""
        cur.execute(self._range_sql(start, count))
        fetch = 1000
        while chunk := cur.fetchmany(fetch):
            text = "".join([row[0] for row in chunk])
            yield text
            # about TEXT_CHUNK_CHARS per chunk whatever the width of the rows: memory stays bounded for wide rows
            fetch = max(100, min(MAX_CHUNK_ROWS, TEXT_CHUNK_CHARS * len(chunk) // max(1, len(text))))

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
