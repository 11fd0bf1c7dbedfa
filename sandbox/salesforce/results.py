"""Query results materialised on disk (Parquet, rows in result order), so pages are served without re-running
queries and without holding a whole result in memory.

Rows are addressed by their position in the result (DuckDB's ``file_row_number`` within each part file, whose range
filters skip whole row groups), so writing a result is one streaming ``COPY`` (no window function over the result)
and reading a page is a streaming scan of the row groups it spans (no sort): memory stays bounded whatever the
result's size.

Wide results (many columns, or CSV lines of 100+ fields) are written in parts, one ``COPY`` per range of the base
table's row ids (``write_ranges``): DuckDB's order-preserving ``COPY`` buffers a whole source row group (122,880
rows, about 280 MB of 150-field CSV lines) per thread before writing it, which overran the memory limit. A range of
``WIDE_RANGE_ROWS`` rows keeps that buffer around 70 MB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from .query import CompiledQuery

ROW_GROUP_SIZE = 100_000
ROW_GROUP_BYTES = "16MB"  # wide rows: smaller row groups, so the writer's buffers stay well inside the memory limit
FETCH_CHUNK = 10_000
TEXT_CHUNK_CHARS = 1_000_000  # characters per yielded text chunk (the rows fetched at once adapt to their width);
# below store.MMAP_THRESHOLD_BYTES, so these short-lived strings come from (and go back to) malloc's heap
MAX_CHUNK_ROWS = 50_000
WIDE_RANGE_ROWS = 30_720  # base-table rows per part of a wide result (a quarter of a DuckDB row group)


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy(cur: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> int:
    cur.execute(
        f"COPY ({select_sql}) TO {_path_literal(path)} "
        f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_SIZE}, ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}')"
    )
    (row_count,) = cur.execute(f"SELECT num_rows FROM parquet_file_metadata({_path_literal(path)})").fetchone()
    return row_count


@dataclass(frozen=True)
class ResultFile:
    """A result in one or more Parquet part files, in order; ``counts`` are their row counts."""

    parts: tuple[Path, ...]
    counts: tuple[int, ...]

    @property
    def path(self) -> Path:
        return self.parts[0]

    @property
    def row_count(self) -> int:
        return sum(self.counts)

    @classmethod
    def write(cls, cur: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> ResultFile:
        """Run ``select_sql`` once and store its rows, in order (the store keeps ``preserve_insertion_order``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls((path,), (_copy(cur, select_sql, path),))

    @classmethod
    def write_ranges(cls, cur: duckdb.DuckDBPyConnection, range_sql: Callable[[int, int, int | None], str],
                     row_ids: int, path: Path, limit: int | None = None, step: int | None = None) -> ResultFile:
        """Store the rows of ``range_sql(first, end, rows_left)`` for the base-table row id ranges ``[0, row_ids)``
        in steps of ``step``, one part file each (empty parts are dropped), stopping after ``limit`` rows: the
        same rows, in the same order, as one ``COPY`` of the whole query when it has no ORDER BY or OFFSET."""
        path.parent.mkdir(parents=True, exist_ok=True)
        step = step or WIDE_RANGE_ROWS
        parts, counts = [], []
        for first in range(0, max(row_ids, 1), step):
            left = None if limit is None else limit - sum(counts)
            if left is not None and left <= 0:
                break
            part = path.with_name(f"{path.stem}-{len(parts):05d}{path.suffix}")
            count = _copy(cur, range_sql(first, first + step, left), part)
            if count:
                parts.append(part)
                counts.append(count)
            else:
                part.unlink(missing_ok=True)
        if not parts:  # an empty result still has a file
            return cls.write(cur, range_sql(0, 0, None), path)
        return cls(tuple(parts), tuple(counts))

    def _ranges(self, start: int, count: int) -> Iterator[tuple[Path, int, int]]:
        """(part, first row within it, rows) covering result rows ``[start, start + count)``."""
        offset = 0
        end = start + count
        for part, rows in zip(self.parts, self.counts):
            low, high = max(start, offset), min(end, offset + rows)
            if low < high:
                yield part, low - offset, high - low
            offset += rows
            if offset >= end:
                return

    @staticmethod
    def _range_sql(part: Path, start: int, count: int, columns: str = "* EXCLUDE (file_row_number)") -> str:
        return (
            f"SELECT {columns} FROM read_parquet({_path_literal(part)}, file_row_number = true) "
            f"WHERE file_row_number >= {int(start)} AND file_row_number < {int(start) + int(count)}"
        )

    def rows(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[tuple]:
        """Rows ``[start, start + count)``, fetched in chunks."""
        for part, first, rows in self._ranges(start, count):
            cur.execute(self._range_sql(part, first, rows))
            while chunk := cur.fetchmany(FETCH_CHUNK):
                yield from chunk

    def text_chunks(self, cur: duckdb.DuckDBPyConnection, start: int, count: int) -> Iterator[str]:
        """For single-column text results (CSV lines): the concatenated text of rows in the range, chunk by chunk."""
        fetch = 1000
        for part, first, rows in self._ranges(start, count):
            cur.execute(self._range_sql(part, first, rows))
            while chunk := cur.fetchmany(fetch):
                text = "".join([row[0] for row in chunk])
                yield text
                # about TEXT_CHUNK_CHARS per chunk whatever the width of the rows: memory stays bounded for wide rows
                fetch = max(100, min(MAX_CHUNK_ROWS, TEXT_CHUNK_CHARS * len(chunk) // max(1, len(text))))

    @classmethod
    def write_query(cls, cur: duckdb.DuckDBPyConnection, query: CompiledQuery, expressions: list[str],
                    path: Path) -> ResultFile:
        """The rows of ``query`` as ``expressions``: wide results (``query.wide``) range by range when the query
        allows it, others in one ``COPY``."""
        if query.rangeable and query.wide:
            (row_ids,) = cur.execute(query.row_ids_sql()).fetchone()
            return cls.write_ranges(
                cur, lambda first, end, left: query.range_sql(expressions, first, end, left), row_ids, path, query.limit
            )
        return cls.write(cur, query.body_sql(expressions), path)

    def delete(self) -> None:
        for part in self.parts:
            part.unlink(missing_ok=True)
