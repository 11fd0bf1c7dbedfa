"""REST ``query``/``queryAll``: the first page, and server-side cursors behind ``nextRecordsUrl``.

A result larger than one page is materialised once on disk; later pages read it by row number, so they are
consistent with the first page even if the org changes meanwhile. The cursor keeps the queryAll flag, so
``/query/{locator}`` continues a queryAll as Salesforce does.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SalesforceError
from .formatting import RecordBuilder
from .query import CompiledQuery, compile_query
from .results import ResultFile

if TYPE_CHECKING:
    from .org import SalesforceOrg

MAX_PAGE_SIZE = 2000
MIN_PAGE_SIZE = 200
MAX_OPEN_CURSORS = 100


@dataclass
class _Cursor:
    query: CompiledQuery
    result: ResultFile
    page_size: int


def page_size_from_header(value: str | None) -> int:
    """``Sforce-Query-Options: batchSize=N`` (200..2000), else 2000."""
    for option in (value or "").split(","):
        key, _, number = option.strip().partition("=")
        if key.strip().lower() == "batchsize" and number.strip().isdigit():
            return max(MIN_PAGE_SIZE, min(MAX_PAGE_SIZE, int(number)))
    return MAX_PAGE_SIZE


class QueryCursors:
    def __init__(self, org: SalesforceOrg, directory: Path):
        self._org = org
        self._directory = directory
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()

    def first_page(self, soql: str, *, include_deleted: bool, version: str, page_size: int) -> dict:
        query = compile_query(soql, include_deleted=include_deleted, now=self._org.clock.now(),
                              access=self._org.access)
        store = self._org.store
        with store.wide_operation() if query.wide else nullcontext(), store.read() as cur:
            (total,) = cur.execute(query.count_sql()).fetchone()
            if query.count_only:
                return {"totalSize": total, "done": True, "records": []}
            expressions = [f"{sql} AS c{i}" for i, sql in enumerate(query.select_expressions())]
            if total <= page_size:
                rows = cur.execute(query.body_sql(expressions)).fetchall()
                return self._page(query, rows, total, version, None)
            cursor_id = "01g8d" + secrets.token_hex(6)
            result = ResultFile.write_query(cur, query, expressions, self._directory / f"{cursor_id}.parquet")
            rows = list(result.rows(cur, 0, page_size))
        self._remember(cursor_id, _Cursor(query, result, page_size))
        return self._page(query, rows, result.row_count, version, f"{cursor_id}-{page_size}")

    def next_page(self, locator: str, version: str) -> dict:
        cursor_id, _, offset_text = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(cursor_id)
        if cursor is None or not offset_text.isdigit():
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        offset = int(offset_text)
        store = self._org.store
        with store.wide_operation() if cursor.query.wide else nullcontext(), store.read() as cur:
            rows = list(cursor.result.rows(cur, offset, cursor.page_size))
        following = offset + cursor.page_size
        next_locator = f"{cursor_id}-{following}" if following < cursor.result.row_count else None
        return self._page(cursor.query, rows, cursor.result.row_count, version, next_locator)

    def _remember(self, cursor_id: str, cursor: _Cursor) -> None:
        with self._lock:
            self._cursors[cursor_id] = cursor
            while len(self._cursors) > MAX_OPEN_CURSORS:
                _, oldest = self._cursors.popitem(last=False)
                oldest.result.delete()

    @staticmethod
    def _page(query: CompiledQuery, rows: list[tuple], total: int, version: str, next_locator: str | None) -> dict:
        builder = RecordBuilder(query, version)
        page: dict = {"totalSize": total, "done": next_locator is None}
        if next_locator is not None:
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{next_locator}"
        page["records"] = [builder.build(row) for row in rows]
        return page
