"""The landing contract every warehouse writer keeps, as values: batches, per-object state, audit rows.

A writer lands a batch's pages and commits, in ONE transaction, the rows, the object's new state (its cursor) and
the batch's audit row. Nothing of a failed batch stays; its audit row says failed. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

# Metadata columns on every bronze row, after the object's fields.
METADATA_COLUMNS = {"_batch_id": "VARCHAR", "_extracted_at": "TIMESTAMP", "_source": "VARCHAR",
                    "_change_kind": "VARCHAR"}
CHANGE = "change"  # a version the org served as a change (full or incremental): (Id, cursor) lands once
FORMULA_REFRESH = "formula_refresh"  # formula values refreshed without a SystemModstamp bump
COLUMN_BACKFILL = "column_backfill"  # values of a field that appeared in the describe after the record landed
TOMBSTONES_TABLE = "salesforce_tombstones"  # bronze: records found gone by reconciliation
FIELDS_TABLE = "salesforce_fields"  # bronze: every extracted object's fields as its latest describe listed them

_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,127}")


def bronze_table_name(object_name: str, source: str = "salesforce") -> str:
    """``salesforce__account``, ``salesforce__invoice__c``: lower case, never a metadata table's name."""
    name = f"{source}__{object_name.lower()}"
    if not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"cannot name a bronze table after {object_name!r}")
    return name


@dataclass(frozen=True)
class Batch:
    """One landing unit: rows of one object that commit together with the object's state and an audit row."""

    batch_id: str
    source: str
    object_name: str
    kind: str  # full | incremental | reconcile | formula_refresh | column_backfill
    columns: tuple[str, ...]  # source field names, in CSV header order (Id first)
    extracted_at: datetime  # naive UTC, unique per object: stamped on every row as _extracted_at
    cursor_field: str | None = None
    dag_run_id: str | None = None
    key_field: str = "Id"  # the record key a change is deduplicated on, with the cursor (an ERP table's own key)

    @property
    def key(self) -> str:
        """The key column's name in bronze (lower case)."""
        return self.key_field.lower()

    @property
    def bronze_table(self) -> str:
        return bronze_table_name(self.object_name, self.source)


@dataclass(frozen=True)
class DedupWindow:
    """Which landed change rows a new page may repeat: those with cursor >= window_start, landed since ``since``.

    A row whose cursor value is above ``cursor`` is new by definition and never compared.
    """

    cursor: str | None
    window_start: str | None
    since: datetime | None
    # True: compare with state.salesforce_window_keys (the change keys landed at or after the object's window
    # start, kept per batch), so the cost follows the window, not the table.
    keyed: bool = False


@dataclass(frozen=True)
class ObjectState:
    """What the warehouse remembers of one object between runs; committed with the rows it describes."""

    source: str
    object_name: str
    cursor_field: str | None = None
    cursor_value: str | None = None  # the highest cursor value landed, as landed text
    window_start: str | None = None  # cursor_value - lookback, when last extracted
    window_count: int | None = None  # records the org had with cursor >= window_start, when last extracted
    bulk_supported: bool = True
    last_batch_id: str | None = None
    last_extracted_at: datetime | None = None
    last_reconciled_at: datetime | None = None
    last_formula_refresh_at: datetime | None = None
    formula_fields: str | None = None  # comma-separated, from the last describe: what a formula refresh reads
    window_keyed: bool = False  # state.salesforce_window_keys holds every change key at or after window_start

    def with_(self, **changes) -> "ObjectState":
        return replace(self, **changes)


@dataclass
class BatchAudit:
    """One row of audit.extract_batches: what a batch (or a probe that found nothing) cost and did."""

    batch_id: str
    source: str
    object_name: str
    kind: str
    status: str = "running"  # succeeded | failed | unchanged | skipped
    route: str = "none"  # bulk | rest | composite | none
    dag_run_id: str | None = None
    bronze_table: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    extracted_at: datetime | None = None
    rows_received: int = 0
    rows_landed: int = 0
    rows_deleted: int = 0
    tombstones: int = 0
    bytes: int = 0
    pages: int = 0
    api_calls: int = 0
    bulk_jobs: int = 0
    bulk_job_ids: list[str] = field(default_factory=list)
    retries: int = 0
    cursor_field: str | None = None
    cursor_from: str | None = None
    cursor_to: str | None = None
    window_splits: int = 0
    error: str | None = None
    notes: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 3)
        return None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["duration_s"] = self.duration_s
        return data


AUDIT_COLUMNS = (
    "batch_id", "source", "object_name", "kind", "status", "route", "dag_run_id", "bronze_table", "started_at",
    "finished_at", "duration_s", "extracted_at", "rows_received", "rows_landed", "rows_deleted", "tombstones",
    "bytes", "pages", "api_calls", "bulk_jobs", "bulk_job_ids", "retries", "cursor_field", "cursor_from",
    "cursor_to", "window_splits", "error", "notes",
)


def audit_values(audit: BatchAudit) -> list:
    data = audit.as_dict()
    data["bulk_job_ids"] = ",".join(audit.bulk_job_ids) or None
    data["error"] = (audit.error or None) and audit.error[:4000]
    return [data[c] for c in AUDIT_COLUMNS]
