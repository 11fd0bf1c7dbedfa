"""The relational ERP into bronze: each table by its ``modified_at`` watermark, one batch per table and run.

The first run of a table is full; later runs read ``cursor - lookback`` onwards, so late commits and same-second
ties are read again, and rows already landed (same key and ``modified_at``) are left out: bronze holds each
(key, modified_at) once. Soft deletes are changes like any other (``is_deleted = true``, ``deleted_at`` set, a new
``modified_at``) and land as such. The new cursor commits with the rows. ``bronze.erp__<table>``; state and audit
under source ``erp``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from extract.erp.database import DuckDBReader, PostgresReader, ReadResult
from extract.erp.landing import BatchSpec, Observer, Page, run_batch, summarise
from extract.erp.options import DATABASE_SOURCE, ErpOptions
from extract.erp.tables import CURSOR, TABLES, ErpTable
from extract.erp.tables import table as table_named
from extract.warehouse.bronze import Batch, BatchAudit, DedupWindow, ObjectState, bronze_table_name

log = logging.getLogger(__name__)

TEXT_FORMAT = "%Y-%m-%d %H:%M:%S"  # how both backends print a TIMESTAMP as text (the landed cursor's format)


def parse_cursor(text: str) -> datetime:
    return datetime.fromisoformat(text)


def format_cursor(value: datetime) -> str:
    return value.strftime(TEXT_FORMAT)


def extract_table(reader: DuckDBReader | PostgresReader, writer, table: ErpTable | str,
                  options: ErpOptions | None = None, *, dag_run_id: str | None = None,
                  observer: Observer | None = None) -> BatchAudit:
    """Land one table's changes since its cursor (all of it the first time) in one batch."""
    options = options or ErpOptions()
    table = table_named(table) if isinstance(table, str) else table
    source = DATABASE_SOURCE
    state = writer.object_state(source, table.name) or ObjectState(source, table.name, cursor_field=CURSOR)
    since = parse_cursor(state.cursor_value) - options.lookback if state.cursor_value else None
    window_start = format_cursor(since) if since else None
    dedup = None
    if writer.has_change_rows(bronze_table_name(table.name, source)):
        dedup = DedupWindow(state.cursor_value, window_start, writer.dedup_since(source, table.name, window_start))
    result = ReadResult([])

    def read(directory: Path) -> tuple[tuple[str, ...], list[Page]]:
        nonlocal result
        columns, result = reader.read(table, since, directory, options.page_rows, new_after=state.cursor_value)
        return columns, result.pages

    def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
        highest, _ = writer.batch_summary(batch, False)
        new_cursor = max(filter(None, [state.cursor_value, highest]), default=None)
        audit.rows_deleted = result.deleted
        audit.cursor_to = new_cursor
        return state.with_(cursor_field=CURSOR, cursor_value=new_cursor, last_batch_id=batch.batch_id,
                           last_extracted_at=batch.extracted_at,
                           window_start=format_cursor(parse_cursor(new_cursor) - options.lookback)
                           if new_cursor else None)

    spec = BatchSpec(source, table.name, "incremental" if state.cursor_value else "full", "sql",
                     table.key_field, CURSOR, dag_run_id, state.cursor_value)
    return run_batch(writer, spec, read, lambda batch, page: writer.land_changes(batch, page.path, dedup),
                     on_success, work_dir=options.work_dir, observer=observer, store=options.bronze_store)


def extract_tables(reader: DuckDBReader | PostgresReader, writer, tables: Iterable[str] | None = None,
                   options: ErpOptions | None = None, *, dag_run_id: str | None = None,
                   observer: Observer | None = None) -> list[tuple[str, dict | BaseException]]:
    """Every table (or those named), one after the other; one table's failure never stops the others."""
    results: list[tuple[str, dict | BaseException]] = []
    for table in [table_named(name) for name in tables] if tables is not None else TABLES:
        try:
            audit = extract_table(reader, writer, table, options, dag_run_id=dag_run_id, observer=observer)
            results.append((table.name, summarise(DATABASE_SOURCE, table.name, [audit])))
        except Exception as error:
            log.error("erp.%s: extraction failed: %s: %s", table.name, type(error).__name__, error)
            results.append((table.name, error))
    return results
