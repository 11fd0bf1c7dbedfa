"""One ERP batch, whatever it lands: read its pages to disk, then land them and commit with the new state.

Pages are read completely before the batch opens (the source is held only while reading, the warehouse only while
landing), then landed through the writer contract (extract/warehouse/bronze.py): ``begin``, ``land_changes`` per
page, ``commit`` with the object's new state and the audit row, or ``rollback`` (nothing of the batch stays; its
audit row says failed).
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extract.errors import IncompleteResultError
from extract.object_extraction import _next_extracted_at, _utcnow
from extract.warehouse.bronze import Batch, BatchAudit, ObjectState, bronze_table_name

log = logging.getLogger(__name__)

Observer = Callable[[str], None]
WORK_DIR_PREFIX = "extract-"  # the same prefix as Salesforce pages: clean_stale_work_dirs removes what a kill left


@dataclass(frozen=True)
class Page:
    """A CSV file (UTF-8, ``,``, header = the batch's columns) waiting to land."""

    path: Path
    rows: int
    bytes: int
    number: int


@dataclass(frozen=True)
class BatchSpec:
    source: str
    object_name: str
    kind: str  # full | incremental | file | quarantine
    route: str  # sql | file | api
    key_field: str
    cursor_field: str | None
    dag_run_id: str | None = None
    cursor_from: str | None = None


def run_batch(writer, spec: BatchSpec, read: Callable[[Path], tuple[tuple[str, ...], list[Page]]],
              land: Callable[[Batch, Page], tuple[int, int]],
              on_success: Callable[[Batch, BatchAudit], ObjectState | None], *,
              work_dir: Path | None = None, observer: Observer | None = None,
              account: Callable[[BatchAudit], None] | None = None, store=None) -> BatchAudit:
    """Read ``read(directory)``'s (columns, pages), land each with ``land``, commit with ``on_success``'s state.

    Returns the audit row (status succeeded); on failure rolls back, records a failed audit row and raises.
    With a bronze ``store`` (extract/bronze_store.py), what the batch landed is staged there before the commit and
    its manifest sealed after it, as for Salesforce batches.
    """
    observe = observer or (lambda step: None)
    audit = BatchAudit(batch_id="", source=spec.source, object_name=spec.object_name, kind=spec.kind,
                       route=spec.route, dag_run_id=spec.dag_run_id,
                       bronze_table=bronze_table_name(spec.object_name, spec.source), started_at=_utcnow(),
                       cursor_field=spec.cursor_field, cursor_from=spec.cursor_from)
    batch: Batch | None = None
    archived = None
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-{spec.source}-{spec.object_name}-",
                                     dir=work_dir, ignore_cleanup_errors=True) as tmp:
        try:
            columns, pages = read(Path(tmp))
            observe("pages_read")
            batch = Batch(batch_id=f"{spec.source}-{spec.object_name}-{spec.kind}-{uuid.uuid4().hex[:12]}",
                          source=spec.source, object_name=spec.object_name, kind=spec.kind, columns=columns,
                          extracted_at=_next_extracted_at(), cursor_field=spec.cursor_field,
                          dag_run_id=spec.dag_run_id, key_field=spec.key_field)
            audit.batch_id, audit.extracted_at = batch.batch_id, batch.extracted_at
            writer.begin(batch)
            for page in pages:
                received, landed = land(batch, page)
                page.path.unlink(missing_ok=True)
                if received != page.rows:
                    raise IncompleteResultError(
                        f"page {page.number} of {spec.source}.{spec.object_name}: {page.rows:,} rows were read "
                        f"but the warehouse took in {received:,}")
                audit.rows_received += received
                audit.rows_landed += landed
                audit.bytes += page.bytes
                audit.pages += 1
                observe("page_landed")
            state = on_success(batch, audit)
            if account:
                account(audit)
            audit.finished_at = _utcnow()
            if store is not None:
                archived = store.stage(writer, batch, audit, state)
            observe("before_commit")
            writer.commit(batch, state, audit)
            observe("after_commit")
        except BaseException as error:
            audit.error = f"{type(error).__name__}: {error}"
            if account:
                account(audit)
            audit.finished_at = _utcnow()
            if not audit.batch_id:
                audit.batch_id = f"{spec.source}-{spec.object_name}-{spec.kind}-{uuid.uuid4().hex[:12]}"
            try:
                writer.rollback(batch, audit)
            except Exception as audit_error:  # never let the audit hide the real failure
                log.error("%s.%s: could not record the failed batch: %s", spec.source, spec.object_name, audit_error)
            raise
    if archived is not None:
        store.seal_or_warn(archived)
    log.info("%s.%s %s via %s: %d rows received, %d landed (%d deleted), %d pages, %d API calls, %d retries, "
             "cursor %s -> %s, %.2fs%s", spec.source, spec.object_name, audit.kind, audit.route, audit.rows_received,
             audit.rows_landed, audit.rows_deleted, audit.pages, audit.api_calls, audit.retries, audit.cursor_from,
             audit.cursor_to, audit.duration_s or 0.0, f"; {audit.notes}" if audit.notes else "")
    return audit


def summarise(source: str, object_name: str, audits: list[BatchAudit], status: str = "succeeded",
              error: str | None = None) -> dict:
    """One object's outcome for the task log and XCom (plain values)."""
    return {
        "source": source, "object": object_name, "status": status,
        "kinds": sorted({a.kind for a in audits}), "rows": sum(a.rows_landed for a in audits),
        "rows_received": sum(a.rows_received for a in audits), "deletes_seen": sum(a.rows_deleted for a in audits),
        "pages": sum(a.pages for a in audits), "bytes": sum(a.bytes for a in audits),
        "api_calls": sum(a.api_calls for a in audits), "retries": sum(a.retries for a in audits),
        "cursor_from": next((a.cursor_from for a in audits), None),
        "cursor_to": next((a.cursor_to for a in reversed(audits)), None),
        "notes": [a.notes for a in audits if a.notes], "batch_ids": [a.batch_id for a in audits],
        "error": error,
    }
