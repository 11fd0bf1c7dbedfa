"""Extract one Salesforce object into bronze: its changes since the cursor, and when due a hard-delete
reconciliation and a formula refresh.

Changes: the first run of an object is full; later runs read ``cursor - lookback`` onwards through ``queryAll``
(soft deletes and merge losers included), REST for small deltas and Bulk API 2.0 for large ones. Pages download in
a background thread while earlier pages land. Rows already landed (same Id and cursor value) are recognised and
left out, so bronze holds each (Id, SystemModstamp) once however often a window is read. The new cursor commits
in the same transaction as the rows; QUERY_TIMEOUT halves the window (up to ``query_timeout_splits`` times).

``observer(step)`` is called at named steps (``job_created``, ``page_downloaded``, ``page_landed``,
``before_commit``, ``after_commit``, ...): the crash-safety harness kills the process there.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

from extract.errors import IncompleteResultError, ObjectNotAccessibleError, PermanentApiError, QueryTimeoutError
from extract.options import ExtractOptions
from extract.prefetch import Prefetch
from extract.salesforce import rest_query, soql
from extract.salesforce.bulk2_query import Bulk2QueryJob, BulkNotSupportedError, ResultPage
from extract.salesforce.client import SalesforceClient
from extract.salesforce.describe import ObjectSchema, describe_object
from extract.warehouse.bronze import (
    COLUMN_BACKFILL,
    FORMULA_REFRESH,
    Batch,
    BatchAudit,
    DedupWindow,
    ObjectState,
    bronze_table_name,
)

log = logging.getLogger(__name__)

Observer = Callable[[str], None]
_REFUSED_FIELD = re.compile(r"No such column '([A-Za-z0-9_]+)'")


@dataclass(frozen=True)
class ObjectWork:
    """What one cycle asks of one object (the plan decides; see extract/plan.py)."""

    object_name: str
    extract_changes: bool = True
    estimated_rows: int | None = None  # from the probe: routes the delta (REST or Bulk)
    reconcile: bool = False
    refresh_formulas: bool = False
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ObjectWork":
        return cls(**data)


@dataclass
class ObjectRun:
    """What extracting one object did: one audit row per batch, plus notes for the log."""

    object_name: str
    status: str = "succeeded"
    fields: int = 0
    batches: list[BatchAudit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        batches = self.batches
        cursor_from = next((b.cursor_from for b in batches if b.kind in ("full", "incremental")), None)
        cursor_to = next((b.cursor_to for b in reversed(batches) if b.kind in ("full", "incremental")), None)
        return {
            "object": self.object_name, "status": self.status, "fields": self.fields,
            "kinds": sorted({b.kind for b in batches}), "routes": sorted({b.route for b in batches}),
            "rows": sum(b.rows_landed for b in batches), "rows_received": sum(b.rows_received for b in batches),
            "bytes": sum(b.bytes for b in batches), "pages": sum(b.pages for b in batches),
            "api_calls": sum(b.api_calls for b in batches), "bulk_jobs": sum(b.bulk_jobs for b in batches),
            "retries": sum(b.retries for b in batches), "deletes_seen": sum(b.rows_deleted for b in batches),
            "tombstones": sum(b.tombstones for b in batches), "window_splits": max(
                [b.window_splits for b in batches] or [0]),
            "seconds": round(sum(b.duration_s or 0 for b in batches), 3),
            "cursor_from": cursor_from, "cursor_to": cursor_to, "notes": self.notes,
            "batch_ids": [b.batch_id for b in batches],
        }


_last_extracted_at = datetime.min
WORK_DIR_PREFIX = "extract-"  # result pages wait in <work_dir>/extract-<pid>-<object>-*/ until landed


def clean_stale_work_dirs(work_dir: Path | None) -> int:
    """Remove the page directories of extractions whose process is gone (killed mid-download, say)."""
    if work_dir is None or not work_dir.is_dir():
        return 0
    removed = 0
    for directory in work_dir.glob(f"{WORK_DIR_PREFIX}*-*"):
        pid = directory.name.removeprefix(WORK_DIR_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # that process still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed += 1
    if removed:
        log.warning("removed %d page directories left by extractions that were killed", removed)
    return removed


def _next_extracted_at() -> datetime:
    """Now (naive UTC), strictly after the previous batch's: it tells one batch's rows from another's."""
    global _last_extracted_at
    now = datetime.now(UTC).replace(tzinfo=None)
    _last_extracted_at = max(now, _last_extracted_at + timedelta(microseconds=1))
    return _last_extracted_at


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _Extraction:
    """One object's run: the client, the writer, the options, and what has been done so far."""

    def __init__(self, client: SalesforceClient, writer, work: ObjectWork, options: ExtractOptions,
                 dag_run_id: str | None, observer: Observer | None):
        self.client, self.writer, self.work, self.options = client, writer, work, options
        self.dag_run_id = dag_run_id
        self.observe = observer or (lambda step: None)
        self.run = ObjectRun(work.object_name)
        self.source = options.source
        self.object_name = work.object_name
        self.bulk_unsupported = False  # learned during this run: Bulk API 2.0 refused the object

    # --- the whole run ---------------------------------------------------------------------------------------
    def execute(self) -> ObjectRun:
        state = self.writer.object_state(self.source, self.object_name) or ObjectState(self.source, self.object_name)
        self._abort_abandoned_jobs()
        schema = self._describe()
        self.object_name = schema.object_name
        self.run.object_name = schema.object_name
        self.run.fields = len(schema.fields)
        for name, why in schema.left_out.items():
            self.run.notes.append(f"field {name} left out: {why}")
        state = state.with_(cursor_field=schema.cursor_field,
                            formula_fields=",".join(schema.formula_fields) or None)
        table = bronze_table_name(self.object_name, self.source)
        landed_columns = self.writer.bronze_columns(table)
        new_fields = [f for f in schema.fields if landed_columns and f.lower() not in landed_columns]
        if self.work.extract_changes or state.cursor_value is None:
            state, schema = self._changes(schema, state)
        # the fields as extracted (less any the org refused), for silver's types: rewritten only when they changed
        if self.writer.save_fields(self.source, schema):
            self.run.notes.append("field metadata updated from the describe")
        if new_fields and state.cursor_value is not None:
            self.run.notes.append(f"new fields backfilled: {', '.join(new_fields)}")
            state = self._refresh(schema, state, tuple(f for f in new_fields if f in schema.fields),
                                  COLUMN_BACKFILL)
        if self.work.reconcile:
            state = self._reconcile(schema, state)
        if self.work.refresh_formulas:
            state = self._refresh(schema, state, schema.formula_fields, FORMULA_REFRESH)
        return self.run

    def _describe(self) -> ObjectSchema:
        """The object's schema; a failure is audited (skipped when the user cannot read it, else failed)."""
        before = self.client.stats.copy()
        started = _utcnow()
        try:
            return describe_object(self.client, self.object_name)
        except BaseException as error:
            audit = BatchAudit(
                batch_id=f"{self.object_name.lower()}-describe-{uuid.uuid4().hex[:12]}", source=self.source,
                object_name=self.object_name, kind="describe", dag_run_id=self.dag_run_id, started_at=started,
                status="skipped" if isinstance(error, ObjectNotAccessibleError) else "failed",
                error=f"{type(error).__name__}: {error}")
            self._account(audit, before)
            try:
                self.writer.record(audit)
            except Exception as audit_error:
                log.error("%s: could not record the failure: %s", self.object_name, audit_error)
            self.run.status = audit.status
            self.run.batches.append(audit)
            raise

    def _abort_abandoned_jobs(self) -> None:
        for job_id in self.writer.open_jobs(self.source, self.object_name):
            Bulk2QueryJob(self.client, job_id, self.object_name).abort()
            self.writer.forget_job(job_id)
            self.run.notes.append(f"abandoned Bulk job {job_id} aborted and deleted")
            log.warning("%s: Bulk job %s was left open by an earlier attempt: aborted and deleted",
                        self.object_name, job_id)

    # --- changes ---------------------------------------------------------------------------------------------
    def _changes(self, schema: ObjectSchema, state: ObjectState) -> tuple[ObjectState, ObjectSchema]:
        start = None
        if state.cursor_value is not None:
            start = soql.parse_landed(state.cursor_value) - self.options.lookback
        kind = "incremental" if state.cursor_value is not None else "full"
        return self._window(schema, state, soql.Window(start, None), kind, self.work.estimated_rows, depth=0)

    def _window(self, schema, state, window, kind, estimate, depth) -> tuple[ObjectState, ObjectSchema]:
        try:
            return self._land_changes(schema, state, window, kind, estimate, depth)
        except QueryTimeoutError as timeout:
            if depth >= self.options.query_timeout_splits or schema.cursor_field is None:
                raise QueryTimeoutError(timeout.doing, timeout.status, timeout.error_code,
                                        f"{timeout.api_message} (still timing out after halving the window "
                                        f"{depth} times)") from None
            if self.run.batches and self.run.batches[-1].status == "failed":
                attempt = self.run.batches[-1]  # not a failure of the object: the window is about to be split
                attempt.status = "split"
                self.writer.record(attempt)
            bounded = self._bounded(schema, window)
            if bounded is None:
                raise
            first, second = bounded.halves()
            log.warning("%s: QUERY_TIMEOUT over %s: splitting into %s and %s", self.object_name,
                        window.describe(), first.describe(), second.describe())
            state, schema = self._window(schema, state, first, kind, None, depth + 1)
            kind = "incremental" if state.cursor_value is not None else kind
            return self._window(schema, state, second, kind, None, depth + 1)

    def _bounded(self, schema: ObjectSchema, window: soql.Window) -> soql.Window | None:
        """The window with both ends set: the first and last cursor values the org holds in it."""
        cursor_field = schema.cursor_field
        start, end = window.start, window.end
        if start is None:
            first = rest_query.first_value(
                self.client, f"SELECT {cursor_field} FROM {self.object_name} ORDER BY {cursor_field} ASC LIMIT 1",
                cursor_field)
            if first is None:
                return None
            start = soql.parse_landed(first).replace(microsecond=0)
        if end is None:
            last = rest_query.first_value(
                self.client, f"SELECT {cursor_field} FROM {self.object_name}"
                f"{soql.Window(start).where(cursor_field)} ORDER BY {cursor_field} DESC LIMIT 1", cursor_field)
            if last is None:
                return None
            end = soql.parse_landed(last).replace(microsecond=0) + timedelta(seconds=1)
        return soql.Window(start, end)

    def _route(self, schema: ObjectSchema, state: ObjectState, count_soql: str, estimate: int | None,
               include_deleted: bool) -> tuple[str, int | None]:
        if not state.bulk_supported or self.bulk_unsupported:
            return "rest", estimate
        if estimate is None:
            estimate = rest_query.count(self.client, count_soql, include_deleted=include_deleted)
        return ("rest" if estimate <= self.options.rest_max_rows else "bulk"), estimate

    def _land_changes(self, schema, state, window, kind, estimate, depth) -> tuple[ObjectState, ObjectSchema]:
        before = self.client.stats.copy()
        cursor_field = schema.cursor_field
        window = window if cursor_field else soql.Window()
        count_soql = f"SELECT COUNT() FROM {self.object_name}{window.where(cursor_field)}"
        table = bronze_table_name(self.object_name, self.source)
        dedup = None

        def route() -> str:
            nonlocal dedup
            if self.writer.has_change_rows(table):
                window_start = soql.format_landed(window.start) if window.start else None
                if (state.window_keyed and window_start is not None and state.window_start is not None
                        and window_start >= state.window_start):
                    dedup = DedupWindow(state.cursor_value, window_start, None, keyed=True)
                else:  # a window reaching back further than the kept keys (a longer lookback): read bronze
                    dedup = DedupWindow(state.cursor_value, window_start,
                                        self.writer.dedup_since(self.source, self.object_name, window_start))
            return self._route(schema, state, count_soql, estimate, include_deleted=True)[0]

        def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
            highest, deleted = self.writer.batch_summary(batch, schema.has_is_deleted)
            audit.rows_deleted = deleted
            new_cursor = max(filter(None, [state.cursor_value, highest]), default=None)
            audit.cursor_to = new_cursor
            window_start, window_count, keyed = None, None, False
            if new_cursor is not None and cursor_field:
                window_start = soql.format_landed(soql.parse_landed(new_cursor) - self.options.lookback)
                keys_valid = state.window_keyed and state.window_start is not None and (
                    window_start >= state.window_start)
                window_count = self.writer.update_window_keys(batch, window_start, rebuild=not keys_valid)
                keyed = True
                exact = (new_cursor == state.cursor_value and audit.rows_landed == 0 and window.end is None
                         and window.start is not None and soql.format_landed(window.start) == window_start)
                if exact:  # nothing new: what the org returned for the window is its count right now
                    window_count = audit.rows_received
            changes = {"cursor_value": new_cursor, "window_start": window_start, "window_count": window_count,
                       "window_keyed": keyed,
                       "last_batch_id": batch.batch_id, "last_extracted_at": batch.extracted_at}
            if kind == "full" and window.start is None and window.end is None:
                # a full read is a complete picture: nothing to reconcile or refresh yet
                changes.update(last_reconciled_at=batch.extracted_at, last_formula_refresh_at=batch.extracted_at)
            return state.with_(**changes)

        return self._batch(schema, kind, route, window, before=before,
                           cursor_from=state.cursor_value, depth=depth, include_deleted=True,
                           land=lambda batch, page: self.writer.land_changes(batch, page.path, dedup),
                           on_success=on_success, state=state)

    # --- reconciliation and refreshes ------------------------------------------------------------------------
    def _reconcile(self, schema: ObjectSchema, state: ObjectState) -> ObjectState:
        """Id-only scan of the live records: landed records the org no longer has get a tombstone."""
        before = self.client.stats.copy()
        count_soql = f"SELECT COUNT() FROM {self.object_name}"
        route = lambda: self._route(schema, state, count_soql, None, include_deleted=False)[0]  # noqa: E731
        id_schema = ObjectSchema(schema.object_name, ("Id",), {"Id": "id"})

        def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
            self.observe("before_tombstones")
            audit.tombstones = self.writer.apply_tombstones(batch, schema.has_is_deleted)
            audit.cursor_to = state.cursor_value
            return state.with_(last_reconciled_at=batch.extracted_at)

        new_state, _ = self._batch(id_schema, "reconcile", route, soql.Window(), before=before, cursor_from=None,
                                   depth=0, include_deleted=False,
                                   land=lambda batch, page: (lambda n: (n, 0))(self.writer.land_ids(batch, page.path)),
                                   on_success=on_success, state=state, landed_counts_rows=False)
        return new_state

    def _refresh(self, schema: ObjectSchema, state: ObjectState, fields: tuple[str, ...], kind: str) -> ObjectState:
        """Read Id, cursor and ``fields`` of every live record; land a new version where a value changed."""
        stamp_key = "last_formula_refresh_at" if kind == FORMULA_REFRESH else None
        if not fields or schema.cursor_field is None:
            return state.with_(**{stamp_key: _utcnow()}) if stamp_key else state
        columns = ("Id", schema.cursor_field, *fields)
        refresh_schema = ObjectSchema(schema.object_name, columns, {c: schema.field_types[c] for c in columns})
        before = self.client.stats.copy()
        count_soql = f"SELECT COUNT() FROM {self.object_name}"
        route = lambda: self._route(schema, state, count_soql, None, include_deleted=False)[0]  # noqa: E731

        def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
            audit.cursor_to = state.cursor_value
            return state.with_(**{stamp_key: batch.extracted_at}) if stamp_key else state

        new_state, _ = self._batch(refresh_schema, kind, route, soql.Window(), before=before, cursor_from=None, depth=0,
                                   include_deleted=False,
                                   land=lambda batch, page: self.writer.land_refresh(batch, page.path, kind),
                                   on_success=on_success, state=state)
        return new_state

    # --- one batch, whatever it lands --------------------------------------------------------------------------
    def _batch(self, schema: ObjectSchema, kind: str, route_for: Callable[[], str], window: soql.Window, *, before,
               cursor_from: str | None, depth: int, include_deleted: bool,
               land: Callable[[Batch, ResultPage], tuple[int, int]],
               on_success: Callable[[Batch, BatchAudit], ObjectState], state: ObjectState,
               landed_counts_rows: bool = True) -> tuple[ObjectState, ObjectSchema]:
        """Open the result (dropping fields the org refuses), land every page, commit with the new state."""
        audit = BatchAudit(batch_id="", source=self.source, object_name=self.object_name, kind=kind, route="none",
                           dag_run_id=self.dag_run_id, bronze_table=bronze_table_name(self.object_name, self.source),
                           started_at=_utcnow(), cursor_field=schema.cursor_field, cursor_from=cursor_from,
                           window_splits=depth)
        job: Bulk2QueryJob | None = None
        batch: Batch | None = None
        tmp_dir = None
        archived = None  # the batch's files in the bronze store, staged before its commit, sealed after
        try:
            if self.options.work_dir is not None:
                self.options.work_dir.mkdir(parents=True, exist_ok=True)
            tmp_dir = tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-{self.object_name}-",
                                                  dir=self.options.work_dir, ignore_cleanup_errors=True)
            tmp = tmp_dir.name
            route = route_for()
            for attempt in range(4):
                try:
                    route, schema, pages, job = self._open_result(schema, kind, route, window, state,
                                                                  include_deleted, Path(tmp))
                    break
                except PermanentApiError as refused:
                    field_name = self._refused_field(refused, schema)
                    if field_name is None or attempt == 3:
                        raise
                    schema = schema.without({field_name}, f"refused by the org ({refused.error_code}): "
                                                          f"hidden by field-level security?")
                    self.run.notes.append(f"field {field_name} left out: the org refused it "
                                          f"({refused.error_code}) although the describe listed it")
                    log.warning("%s: the org refused field %s (%s); extracting without it", self.object_name,
                                field_name, refused.error_code)
            audit.route = route
            if job is not None:
                audit.bulk_jobs, audit.bulk_job_ids = 1, [job.job_id]
                job.wait(max_poll_s=self.options.bulk_poll_max_s)
                pages = job.pages(Path(tmp), self.options.bulk_page_rows)
            else:
                # REST results are small (rest_max_rows): read every page before the batch opens, so other
                # objects can land while this one downloads (see extract_objects)
                pages = iter(list(pages))
            batch = Batch(
                batch_id=f"{self.object_name.lower()}-{kind}-{uuid.uuid4().hex[:12]}", source=self.source,
                object_name=self.object_name, kind=kind, columns=schema.fields,
                extracted_at=_next_extracted_at(), cursor_field=schema.cursor_field, dag_run_id=self.dag_run_id,
            )
            audit.batch_id, audit.extracted_at = batch.batch_id, batch.extracted_at
            self.writer.begin(batch)
            with Prefetch(self._observed(pages)) as ahead:
                for page in ahead:
                    received, landed = land(batch, page)
                    page.path.unlink(missing_ok=True)
                    if received != page.rows:
                        raise IncompleteResultError(
                            f"page {page.number} of {self.object_name} ({route}): the org announced "
                            f"{page.rows:,} rows but the page held {received:,}")
                    audit.rows_received += received
                    audit.rows_landed += landed if landed_counts_rows else 0
                    audit.bytes += page.bytes
                    audit.pages += 1
                    self.observe("page_landed")
            new_state = on_success(batch, audit)
            if self.bulk_unsupported:
                new_state = new_state.with_(bulk_supported=False)
            self._account(audit, before)
            if self.options.bronze_store is not None:
                archived = self.options.bronze_store.stage(self.writer, batch, audit, new_state)
            self.observe("before_commit")
            self.writer.commit(batch, new_state, audit)
            self.observe("after_commit")
        except BaseException as error:
            audit.error = f"{type(error).__name__}: {error}"
            self._account(audit, before)
            if not audit.batch_id:
                audit.batch_id = f"{self.object_name.lower()}-{kind}-{uuid.uuid4().hex[:12]}"
            try:
                self.writer.rollback(batch, audit)
            except Exception as audit_error:  # never let the audit hide the real failure
                log.error("%s: could not record the failed batch: %s", self.object_name, audit_error)
            if job is not None:
                job.abort()
                self.writer.forget_job(job.job_id)
            self.run.batches.append(audit)
            self.run.status = "failed"
            raise
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()
        if archived is not None:
            self.options.bronze_store.seal_or_warn(archived)
        if job is not None:
            try:
                job.delete()
            except Exception as cleanup_error:
                log.warning("%s: could not delete Bulk job %s: %s", self.object_name, job.job_id, cleanup_error)
            self.writer.forget_job(job.job_id)
        self.run.batches.append(audit)
        self._log_batch(audit)
        return new_state, schema

    def _open_result(self, schema: ObjectSchema, kind: str, route: str, window: soql.Window, state: ObjectState,
                     include_deleted: bool, directory: Path):
        """Start reading: a Bulk job created and finished, or the first REST page fetched."""
        text = soql.select(self.object_name, schema.fields, window, schema.cursor_field)
        if route == "bulk":
            try:
                limits = self.client.limits()
                self.client.check_limit(limits, "DailyBulkV2QueryJobs", 1,
                                        f"create a Bulk API 2.0 query job for {self.object_name}")
                job = Bulk2QueryJob.create(self.client, text, self.object_name, include_deleted=include_deleted)
            except BulkNotSupportedError as unsupported:
                log.warning("%s: Bulk API 2.0 cannot query it (%s): REST from now on", self.object_name,
                            unsupported.api_message)
                self.run.notes.append("Bulk API 2.0 cannot query this object: extracted through REST")
                self.bulk_unsupported = True
                route = "rest"
            else:
                self.writer.remember_job(self.source, self.object_name, job.job_id, kind)
                self.observe("job_created")
                return route, schema, None, job
        pages = rest_query.query_pages(self.client, text, schema.fields, schema.field_types, directory,
                                       include_deleted=include_deleted, prefix=f"{kind}")
        first = next(pages)  # the first request: an INVALID_FIELD surfaces here, before any batch opens
        return route, schema, chain([first], pages), None

    def _observed(self, pages: Iterator[ResultPage]) -> Iterator[ResultPage]:
        for page in pages:
            self.observe("page_downloaded")
            yield page

    @staticmethod
    def _refused_field(error: PermanentApiError, schema: ObjectSchema) -> str | None:
        if "INVALID_FIELD" not in error.error_code.upper().replace("INVALIDFIELD", "INVALID_FIELD"):
            return None
        match = _REFUSED_FIELD.search(error.api_message)
        if not match:
            return None
        name = next((f for f in schema.fields if f.lower() == match.group(1).lower()), None)
        return name if name and name not in ("Id", schema.cursor_field) else None

    def _account(self, audit: BatchAudit, before) -> None:
        spent = self.client.stats.since(before)
        audit.api_calls, audit.retries = spent.api_calls, spent.retries
        audit.finished_at = _utcnow()
        if spent.errors:
            audit.notes = "; ".join(spent.errors)[:2000]

    def _log_batch(self, audit: BatchAudit) -> None:
        log.info(
            "%s %s via %s: %d rows received, %d landed (%d deleted, %d tombstones), %.1f MB in %d pages, "
            "%d API calls, %d Bulk jobs, %d retries, cursor %s -> %s, %.2fs",
            self.object_name, audit.kind, audit.route, audit.rows_received, audit.rows_landed, audit.rows_deleted,
            audit.tombstones, audit.bytes / 1e6, audit.pages, audit.api_calls, audit.bulk_jobs, audit.retries,
            audit.cursor_from, audit.cursor_to, audit.duration_s or 0.0,
        )


def extract_object(client: SalesforceClient, writer, work: ObjectWork | str, options: ExtractOptions | None = None,
                   *, dag_run_id: str | None = None, observer: Observer | None = None) -> ObjectRun:
    """Extract one object (its changes; a reconciliation and formula refresh when ``work`` asks for them)."""
    if isinstance(work, str):
        work = ObjectWork(work)
    clean_stale_work_dirs((options or ExtractOptions()).work_dir)
    return _Extraction(client, writer, work, options or ExtractOptions(), dag_run_id, observer).execute()


class LockedWriter:
    """A writer shared by threads: one batch at a time holds it from ``begin`` to ``commit``/``rollback``; every
    other call holds it for its own duration. Downloads run outside it, in parallel."""

    def __init__(self, writer):
        self._writer = writer
        self._lock = threading.RLock()
        self._holding = threading.local()  # does this thread hold the lock for an open batch?

    def begin(self, batch):
        self._lock.acquire()
        try:
            result = self._writer.begin(batch)
        except BaseException:
            self._lock.release()
            raise
        self._holding.batch = True
        return result

    def commit(self, *args, **kwargs):
        with self._lock:
            try:
                return self._writer.commit(*args, **kwargs)
            finally:
                self._end_batch()

    def rollback(self, *args, **kwargs):
        with self._lock:
            try:
                return self._writer.rollback(*args, **kwargs)
            finally:
                self._end_batch()

    def _end_batch(self):
        if getattr(self._holding, "batch", False):
            self._holding.batch = False
            self._lock.release()

    def __getattr__(self, name):
        method = getattr(self._writer, name)
        if not callable(method):
            return method

        def locked(*args, **kwargs):
            with self._lock:
                return method(*args, **kwargs)
        return locked


def extract_objects(client: SalesforceClient, writer, works: list[ObjectWork], options: ExtractOptions | None = None,
                    *, dag_run_id: str | None = None, concurrency: int = 4,
                    observer: Observer | None = None) -> list[tuple[ObjectWork, ObjectRun | BaseException]]:
    """Extract several objects, ``concurrency`` at a time: their downloads overlap while one lands at a time.

    Returns each work item with its ObjectRun, or the exception that stopped it: one object's failure never
    stops the others.
    """
    options = options or ExtractOptions()
    clean_stale_work_dirs(options.work_dir)
    if concurrency <= 1 or len(works) <= 1:
        results: list[tuple[ObjectWork, ObjectRun | BaseException]] = []
        for work in works:
            try:
                results.append((work, extract_object(client, writer, work, options, dag_run_id=dag_run_id,
                                                     observer=observer)))
            except Exception as error:
                results.append((work, error))
        return results
    shared = LockedWriter(writer)
    local = threading.local()

    def run(work: ObjectWork):
        if not hasattr(local, "client"):
            local.client = client.clone()
        try:
            return work, extract_object(local.client, shared, work, options, dag_run_id=dag_run_id,
                                        observer=observer)
        except Exception as error:
            return work, error

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="extract") as pool:
        return list(pool.map(run, works))
