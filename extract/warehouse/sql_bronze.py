"""The landing contract (bronze.py) in SQL, once, for every warehouse: DuckDB, PostgreSQL, Snowflake subclass it.

``SqlBronzeWriter`` holds the Salesforce semantics: the bronze/state/audit DDL, append-only change rows deduplicated
on (key, cursor), the lookback window's keys, tombstones, formula refreshes and column backfills, open Bulk jobs,
live counts, and one transaction per batch carrying its rows, the object's new state (cursor) and its audit row.
A subclass says how its warehouse does a few things, through these hooks (SQL the base writes uses ``?``
placeholders; a subclass translates them in ``_execute`` when its driver wants another style):

Connection and statements
    ``_execute(sql, params) -> cursor``: run one statement on the writer's connection (autocommit outside an
        explicit ``begin``/``commit``, which the base issues itself as ``begin transaction`` / ``commit`` /
        ``rollback``). The cursor answers ``fetchone()``/``fetchall()``/``description``.
    ``_count(sql, params) -> int``: run an INSERT and return the rows it inserted.
    ``_autonomous(sql, params)``: run and commit one statement apart from any open batch (remember/forget a Bulk
        job while another object's batch is open), e.g. on a second connection.
    ``_rollback_quietly()``: roll back whatever is open; never raise when nothing is.
    ``close()``.

Landing a result page (CSV with a header, UTF-8, RFC 4180 quoting, empty -> NULL; the header was checked)
    ``_create_temp(name, columns)``: a session-local temp table of VARCHAR columns, replaced if it exists.
    ``_copy_into(name, batch, page, columns) -> int``: append the page's rows to the temp table (DuckDB:
        ``insert ... select from read_csv``; PostgreSQL: ``COPY FROM STDIN``; Snowflake: PUT + COPY INTO).
    ``_page_source(batch, page, columns) -> str | None``: a relation the page can be selected from as it is,
        without a temp table (DuckDB's ``read_csv(...)``: the fast path of a full extraction), else None.
    ``_drop_temp(name)``; ``_analyze_temp(name)``: statistics for a temp table about to be joined (PostgreSQL).

Dialect
    ``TYPES``: the warehouse's names of the neutral types varchar, timestamp, bigint, integer, double, boolean.
    ``_latest_per_id(columns, table, where, order)``: one row per ``id``, its latest landed version (row_number
        subquery by default; DuckDB/Snowflake: QUALIFY; PostgreSQL: DISTINCT ON).
    ``_upsert(table, columns, keys, rows)``: insert rows, replacing those with the same keys (default
        ``INSERT ... ON CONFLICT (keys) DO UPDATE``; Snowflake: MERGE).
    ``_lock_object(batch)``: serialise two processes landing the same object (PostgreSQL: an advisory
        transaction lock); a no-op where one process writes at a time (DuckDB).
    ``_setup()``: create the schemas and tables (the base's ``_create_tables``) under whatever lock concurrent
        writers need; ``_bronze_columns_sql``: (table, column) rows of schema bronze, in column order.
    ``OBJECT_RUNS_VIEW``: the audit view's SQL.

``query(sql, params)`` and ``execute(sql, params)`` are public, with ``?`` placeholders, for the DAG's run audit,
the tests and the benchmark: they read and write the same warehouse without knowing its driver.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from extract.warehouse.bronze import (
    AUDIT_COLUMNS,
    CHANGE,
    FIELDS_TABLE,
    METADATA_COLUMNS,
    TOMBSTONES_TABLE,
    Batch,
    BatchAudit,
    DedupWindow,
    ObjectState,
    audit_values,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from extract.salesforce.describe import ObjectSchema

log = logging.getLogger(__name__)
ARROW_CHUNK_ROWS = 50_000  # rows per Arrow batch when the store reads back what a batch landed

STATE_COLUMNS = (
    ("source", "varchar not null"), ("object_name", "varchar not null"), ("cursor_field", "varchar"),
    ("cursor_value", "varchar"), ("window_start", "varchar"), ("window_count", "bigint"),
    ("bulk_supported", "boolean not null default true"), ("last_batch_id", "varchar"),
    ("last_extracted_at", "timestamp"), ("last_reconciled_at", "timestamp"), ("last_formula_refresh_at", "timestamp"),
    ("formula_fields", "varchar"), ("window_keyed", "boolean not null default false"),
    ("updated_at", "timestamp not null"),
)
STATE_FIELDS = tuple(name for name, _ in STATE_COLUMNS[:-1])  # ObjectState's fields, in order
WINDOW_KEYS_COLUMNS = (("source", "varchar not null"), ("object_name", "varchar not null"),
                       ("id", "varchar not null"), ("cursor_value", "varchar not null"))
OPEN_JOBS_COLUMNS = (("job_id", "varchar primary key"), ("source", "varchar not null"),
                     ("object_name", "varchar not null"), ("purpose", "varchar"), ("created_at", "timestamp not null"))
ORGS_COLUMNS = (("source", "varchar primary key"), ("org_id", "varchar not null"), ("instance_url", "varchar"),
                ("first_seen_at", "timestamp not null"), ("last_seen_at", "timestamp not null"))
TOMBSTONES_COLUMNS = (("object_name", "varchar not null"), ("id", "varchar not null"), ("last_systemmodstamp", "varchar"),
                      ("detected_by", "varchar not null"), ("_batch_id", "varchar not null"),
                      ("_extracted_at", "timestamp not null"), ("_source", "varchar not null"))
# what an in-place replay rebuilds besides bronze (the org table and open Bulk jobs are kept as they are)
# bronze tables no batch carries, which an in-place replay keeps as they are: each object's latest describe
KEPT_BRONZE_TABLES = ("salesforce_fields",)
REPLAYED_STATE_TABLES = (("state", "salesforce_objects"), ("state", "salesforce_window_keys"),
                         ("audit", "extract_batches"))
# One row per (source, object, field) of the object's latest describe (fields hidden by field-level security are not
# in it): what silver types each column from (macros/salesforce_silver_object.sql). Replaced per object when the
# describe changes (describe_hash), in one transaction.
FIELDS_COLUMNS = (("object_name", "varchar not null"), ("field_name", "varchar not null"),
                  ("column_name", "varchar not null"), ("field_type", "varchar not null"), ("soap_type", "varchar"),
                  ("field_label", "varchar"), ("field_length", "bigint"), ("field_precision", "bigint"),
                  ("field_scale", "bigint"), ("is_calculated", "boolean not null"), ("reference_to", "varchar"),
                  ("is_extracted", "boolean not null"), ("left_out_reason", "varchar"),
                  ("field_position", "integer not null"), ("describe_hash", "varchar not null"),
                  ("_extracted_at", "timestamp not null"), ("_source", "varchar not null"))
AUDIT_TYPES = {
    "started_at": "timestamp", "finished_at": "timestamp", "extracted_at": "timestamp", "duration_s": "double",
    "rows_received": "bigint", "rows_landed": "bigint", "rows_deleted": "bigint", "tombstones": "bigint",
    "bytes": "bigint", "pages": "integer", "api_calls": "integer", "bulk_jobs": "integer", "retries": "integer",
    "window_splits": "integer",
}
OBJECT_RUNS_VIEW = """
create or replace view audit.salesforce_object_runs as
select dag_run_id, source, object_name,
       string_agg(distinct kind, ',') as kinds, string_agg(distinct route, ',') as routes,
       case when bool_or(status = 'failed') then 'failed'
            when bool_and(status = 'unchanged') then 'unchanged'
            when bool_and(status = 'skipped') then 'skipped' else 'succeeded' end as status,
       min(started_at) as started_at, max(finished_at) as finished_at, sum(duration_s) as duration_s,
       sum(rows_received) as rows_received, sum(rows_landed) as rows_landed, sum(rows_deleted) as rows_deleted,
       sum(tombstones) as tombstones, sum(bytes) as bytes, sum(api_calls) as api_calls,
       sum(bulk_jobs) as bulk_jobs, sum(retries) as retries, min(cursor_from) as cursor_from,
       max(cursor_to) as cursor_to, string_agg(error, ' | ') as errors
from audit.extract_batches
group by dag_run_id, source, object_name
"""


def describe_rows(schema: ObjectSchema) -> list[list]:
    """The describe of ``schema`` as bronze.salesforce_fields rows, up to (not including) describe_hash."""
    extracted = set(schema.fields)
    rows = []
    for info in schema.described:
        rows.append([schema.object_name, info.name, info.name.lower(), info.field_type, info.soap_type, info.label,
                     info.length, info.precision, info.scale, info.calculated, ",".join(info.reference_to) or None,
                     info.name in extracted, None if info.name in extracted else schema.left_out.get(info.name),
                     info.position])
    return rows


def describe_hash(rows: list[list]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()[:32]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def arrow_from_cursor(cursor, on_done=None) -> pa.RecordBatchReader:
    """A DB-API cursor's rows as Arrow batches: _extracted_at a timestamp, every other column text (bronze's types).
    ``on_done()`` runs once the rows are exhausted (e.g. to close a server-side cursor)."""
    import pyarrow as pa

    names = [d[0].lower() for d in cursor.description]  # bronze's names (Snowflake answers in upper case)
    schema = pa.schema([(n, pa.timestamp("us") if n == "_extracted_at" else pa.string()) for n in names])

    def batches():
        try:
            while rows := cursor.fetchmany(ARROW_CHUNK_ROWS):
                yield pa.RecordBatch.from_arrays(
                    [pa.array([r[i] for r in rows], type=f.type) for i, f in enumerate(schema)], schema=schema)
        finally:
            if on_done is not None:
                on_done()
    return pa.RecordBatchReader.from_batches(schema, batches())


class SqlBronzeWriter:
    """The dialect-neutral writer; see the module docstring for the hooks a warehouse implements."""

    TYPES = {"varchar": "varchar", "timestamp": "timestamp", "bigint": "bigint", "integer": "integer",
             "double": "double", "boolean": "boolean"}
    OBJECT_RUNS_VIEW = OBJECT_RUNS_VIEW

    def __init__(self) -> None:
        self._in_batch: Batch | None = None
        self._columns: dict[str, list[str]] | None = None  # bronze table -> columns, read once, kept on DDL
        self._setup()

    # --- hooks -------------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence = ()):
        raise NotImplementedError

    def _count(self, sql: str, params: Sequence = ()) -> int:
        raise NotImplementedError

    def _autonomous(self, sql: str, params: Sequence = ()) -> None:
        raise NotImplementedError

    def _rollback_quietly(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _create_temp(self, name: str, columns: Sequence[str]) -> None:
        raise NotImplementedError

    def _copy_into(self, name: str, batch: Batch, page: Path, columns: Sequence[str]) -> int:
        raise NotImplementedError

    def _page_source(self, batch: Batch, page: Path, columns: Sequence[str]) -> str | None:
        return None

    def _drop_temp(self, name: str) -> None:
        self._execute(f"drop table if exists {name}")

    def _analyze_temp(self, name: str) -> None:
        pass

    def _latest_per_id(self, columns: str, table: str, where: str, order: str) -> str:
        """One row per id (its latest version by ``order``) of ``table`` rows matching ``where``."""
        return (f"select {columns} from (select *, row_number() over (partition by id order by {order}) as _rn "
                f"from {table} where {where}) _v where _rn = 1")

    def _upsert(self, table: str, columns: Sequence[str], keys: Sequence[str], rows: Sequence[Sequence]) -> None:
        if not rows:
            return
        row = "(" + ", ".join("?" for _ in columns) + ")"
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
        self._execute(f"insert into {table} ({', '.join(columns)}) values {', '.join(row for _ in rows)} "
                      f"on conflict ({', '.join(keys)}) do update set {updates}", [v for r in rows for v in r])

    def _lock_object(self, batch: Batch) -> None:
        pass

    def _setup(self) -> None:
        self._create_tables()

    _bronze_columns_sql = ("select table_name, column_name from information_schema.columns "
                           "where table_schema = 'bronze' and table_catalog = current_database() "
                           "order by table_name, ordinal_position")

    # --- public SQL (run audit, tests, benchmark) ----------------------------------------------------------------
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._execute(sql, params).fetchall()

    def query_dicts(self, sql: str, params: Sequence = ()) -> list[dict]:
        cursor = self._execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self._execute(sql, params)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- schema ------------------------------------------------------------------------------------------------
    def _type(self, spec: str) -> str:
        name, _, rest = spec.partition(" ")
        return " ".join(x for x in (self.TYPES.get(name, name), rest) if x)

    def _table_ddl(self, table: str, columns, extra: str = "") -> str:
        body = ",\n    ".join(f"{name} {self._type(spec)}" for name, spec in columns)
        return f"create table if not exists {table} (\n    {body}{extra}\n)"

    def _table_columns(self, schema: str, table: str) -> list[str]:
        return [r[0] for r in self._execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "and table_catalog = current_database() order by ordinal_position", [schema, table]).fetchall()]

    def _create_tables(self) -> None:
        for schema in ("bronze", "state", "audit"):
            self._execute(f"create schema if not exists {schema}")
        state_ddl = self._table_ddl("state.salesforce_objects", STATE_COLUMNS, ",\n    primary key (source, object_name)")
        for ddl in (state_ddl, self._table_ddl("state.salesforce_window_keys", WINDOW_KEYS_COLUMNS),
                    self._table_ddl("state.salesforce_open_jobs", OPEN_JOBS_COLUMNS),
                    self._table_ddl("state.salesforce_orgs", ORGS_COLUMNS),
                    self._table_ddl(f"bronze.{TOMBSTONES_TABLE}", TOMBSTONES_COLUMNS),
                    self._table_ddl(f"bronze.{FIELDS_TABLE}", FIELDS_COLUMNS),
                    self._table_ddl("audit.extract_batches", [("batch_id", "varchar primary key")] + [
                        (c, AUDIT_TYPES.get(c, "varchar")) for c in AUDIT_COLUMNS[1:]])):
            self._execute(ddl)
        # State written by an earlier version lacks columns: it is dropped, so every object is read again in full
        # once, deduplicated against what bronze already holds (safe: nothing lands twice, nothing is missed).
        if "window_keyed" not in self._table_columns("state", "salesforce_objects"):
            self._execute("drop table state.salesforce_objects")
            self._execute(state_ddl)
        existing = set(self._table_columns("audit", "extract_batches"))
        for column in AUDIT_COLUMNS:  # a warehouse landed by an older version gains the new audit columns
            if column not in existing:
                self._execute(f"alter table audit.extract_batches add column {column} "
                              f"{self._type(AUDIT_TYPES.get(column, 'varchar'))}")
        self._execute(self.OBJECT_RUNS_VIEW)

    # --- field metadata ----------------------------------------------------------------------------------------
    def save_fields(self, source: str, schema: ObjectSchema) -> bool:
        """Keep bronze.salesforce_fields = ``schema``'s describe for (source, object): replaced in one transaction
        when the describe (or which fields are extracted) changed, untouched otherwise. True when it was written."""
        rows = describe_rows(schema)
        digest = describe_hash(rows)
        stored = self._execute(
            f"select max(describe_hash), count(*) from bronze.{FIELDS_TABLE} where _source = ? and object_name = ?",
            [source, schema.object_name]).fetchone()
        if stored[0] == digest and int(stored[1] or 0) == len(rows):
            return False
        now = _utcnow()
        names = [name for name, _ in FIELDS_COLUMNS]
        values = [[*row, digest, now, source] for row in rows]

        def write():
            self._execute(f"delete from bronze.{FIELDS_TABLE} where _source = ? and object_name = ?",
                          [source, schema.object_name])
            row_sql = "(" + ", ".join("?" for _ in names) + ")"
            for start in range(0, len(values), 100):
                chunk = values[start:start + 100]
                self._execute(f"insert into bronze.{FIELDS_TABLE} ({', '.join(names)}) values "
                              f"{', '.join(row_sql for _ in chunk)}", [v for r in chunk for v in r])
        self._transaction(write)
        return True

    # --- state -------------------------------------------------------------------------------------------------
    def object_states(self, source: str) -> dict[str, ObjectState]:
        rows = self._execute(f"select {', '.join(STATE_FIELDS)} from state.salesforce_objects where source = ?",
                             [source]).fetchall()
        return {row[1]: ObjectState(*row) for row in rows}

    def object_state(self, source: str, object_name: str) -> ObjectState | None:
        return self.object_states(source).get(object_name)

    def _state_rows(self, states: Sequence[ObjectState]) -> list[list]:
        now = _utcnow()
        return [[getattr(s, f) for f in STATE_FIELDS] + [now] for s in states]

    def _save_state(self, state: ObjectState) -> None:
        self._upsert("state.salesforce_objects", [*STATE_FIELDS, "updated_at"], ["source", "object_name"],
                     self._state_rows([state]))

    def save_state(self, state: ObjectState) -> None:
        """Save state outside a batch (e.g. that Bulk cannot query an object)."""
        self._save_state(state)

    def save_states(self, states: list[ObjectState]) -> None:
        """Several objects' state in one transaction (the plan's reconciliations that found nothing to do)."""
        if not states:
            return
        self._transaction(lambda: [self._save_state(state) for state in states])

    def org_id(self, source: str) -> str | None:
        """The organization Id whose records ``source`` holds (None before its first extraction)."""
        rows = self.query("select org_id from state.salesforce_orgs where source = ?", [source])
        return rows[0][0] if rows else None

    def remember_org(self, source: str, org_id: str, instance_url: str | None) -> None:
        """Record (outside any batch) that ``source`` holds org ``org_id``; an org id once recorded never changes."""
        now = _utcnow()
        if self.org_id(source) is None:
            self._execute("insert into state.salesforce_orgs (source, org_id, instance_url, first_seen_at, "
                          "last_seen_at) values (?, ?, ?, ?, ?)", [source, org_id, instance_url, now, now])
        else:
            self._execute("update state.salesforce_orgs set instance_url = ?, last_seen_at = ? where source = ?",
                          [instance_url, now, source])

    def open_jobs(self, source: str, object_name: str) -> list[str]:
        return [r[0] for r in self._execute(
            "select job_id from state.salesforce_open_jobs where source = ? and object_name = ? order by created_at",
            [source, object_name]).fetchall()]

    def remember_job(self, source: str, object_name: str, job_id: str, purpose: str) -> None:
        """Note a Bulk job as open (committed at once, outside any batch) so a crash cannot orphan it."""
        self._autonomous("insert into state.salesforce_open_jobs (job_id, source, object_name, purpose, created_at) "
                         "values (?, ?, ?, ?, ?)", [job_id, source, object_name, purpose, _utcnow()])

    def forget_job(self, job_id: str) -> None:
        self._autonomous("delete from state.salesforce_open_jobs where job_id = ?", [job_id])

    # --- bronze tables -----------------------------------------------------------------------------------------
    def bronze_columns(self, table: str) -> list[str]:
        if self._columns is None:
            self._columns = {}
            for name, column in self._execute(self._bronze_columns_sql).fetchall():
                self._columns.setdefault(name, []).append(column)
        return list(self._columns.get(table, []))

    def has_change_rows(self, table: str) -> bool:
        if not self.bronze_columns(table):
            return False
        return self._execute(
            f"select count(*) from (select 1 as x from bronze.{quote_ident(table)} "
            f"where _change_kind = '{CHANGE}' limit 1) _any").fetchone()[0] > 0

    def _ensure_table(self, table: str, columns: tuple[str, ...]) -> None:
        """Create the bronze table, or add the columns the describe gained since the last batch."""
        wanted = [c.lower() for c in columns]
        existing = self.bronze_columns(table)
        self._columns = None  # re-read after this DDL (and after a rollback undoes it)
        varchar = self.TYPES["varchar"]
        if not existing:
            cols = [f"{quote_ident(c)} {varchar}" for c in wanted]
            cols += [f"{quote_ident(c)} {self._type(t.lower())}" for c, t in METADATA_COLUMNS.items()]
            self._execute(f"create table bronze.{quote_ident(table)} ({', '.join(cols)})")
            return
        if "_change_kind" not in existing:  # landed by an older version: every row so far was a change
            self._execute(f"alter table bronze.{quote_ident(table)} add column _change_kind {varchar} "
                          f"default '{CHANGE}'")
        for column in wanted:
            if column not in existing:
                self._execute(f"alter table bronze.{quote_ident(table)} add column {quote_ident(column)} {varchar}")

    # --- batches -----------------------------------------------------------------------------------------------
    def begin(self, batch: Batch) -> None:
        if self._in_batch is not None:
            raise RuntimeError(f"batch {self._in_batch.batch_id} is still open")
        self._execute("begin transaction")
        self._in_batch = batch
        self._lock_object(batch)
        if batch.kind != "reconcile":
            self._ensure_table(batch.bronze_table, batch.columns)
        else:
            self._create_temp("_scan_ids", ["id"])

    def _check_header(self, batch: Batch, page: Path, columns: Sequence[str]) -> bool:
        """False for an empty page (no header); a header other than ``columns`` (any case) is an error."""
        with page.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), None)
        if header is None:
            return False
        if [h.lower() for h in header] != [c.lower() for c in columns]:
            raise ValueError(
                f"result page header of {batch.object_name} does not match the fields asked for: "
                f"got {header[:5]}..., expected {list(columns[:5])}...")
        return True

    def _stage(self, name: str, batch: Batch, page: Path, columns: Sequence[str], joined: bool = True) -> int:
        """The page as temp table ``name`` (its columns in lower case); returns its rows. ``joined``: it will be
        joined with bronze (the planner may need its statistics)."""
        self._create_temp(name, [c.lower() for c in columns])
        rows = self._copy_into(name, batch, page, columns)
        if joined:
            self._analyze_temp(name)
        return rows

    def _meta(self, batch: Batch, kind: str) -> str:
        return (f"{quote_literal(batch.batch_id)}, cast({quote_literal(batch.extracted_at.isoformat(sep=' '))} "
                f"as {self.TYPES['timestamp']}), {quote_literal(batch.source)}, {quote_literal(kind)}")

    def land_changes(self, batch: Batch, page: Path, dedup: DedupWindow | None) -> tuple[int, int]:
        """Append a page of changes; with ``dedup``, rows already landed (same key and cursor) are left out.

        Returns (rows in the page, rows landed).
        """
        if not self._check_header(batch, page, batch.columns):
            return 0, 0
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        target = ", ".join(quote_ident(c.lower()) for c in batch.columns) + ", " + ", ".join(METADATA_COLUMNS)
        if dedup is None or batch.cursor_field is None:
            source = self._page_source(batch, page, batch.columns)
            if source is not None:
                landed = self._count(f"insert into {table} ({target}) select *, {self._meta(batch, CHANGE)} "
                                     f"from {source}")
                return landed, landed
            self._stage("_page", batch, page, batch.columns, joined=False)
            landed = self._count(f"insert into {table} ({target}) select *, {self._meta(batch, CHANGE)} from _page")
            self._drop_temp("_page")
            return landed, landed
        received = self._stage("_page", batch, page, batch.columns)
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        newer = f"p.{c} > ? or " if dedup.cursor is not None else ""
        newer_params = [dedup.cursor] if dedup.cursor is not None else []
        if dedup.keyed:
            landed = self._count(
                f"""
                insert into {table} ({target})
                select p.*, {self._meta(batch, CHANGE)} from _page p
                where {newer} p.{c} is null or p.{k} is null or not exists (
                    select 1 from state.salesforce_window_keys w
                    where w.source = ? and w.object_name = ? and w.id = p.{k} and w.cursor_value = p.{c})
                """, newer_params + [batch.source, batch.object_name])
            self._drop_temp("_page")
            return received, landed
        conditions, params = [], []
        if dedup.since is not None:
            conditions.append("b._extracted_at >= ?")
            params.append(dedup.since)
        if dedup.window_start is not None:
            conditions.append(f"b.{c} >= ?")
            params.append(dedup.window_start)
        landed = self._count(
            f"""
            insert into {table} ({target})
            select p.*, {self._meta(batch, CHANGE)} from _page p
            where {newer} p.{c} is null or p.{k} is null or not exists (
                select 1 from {table} b
                where b._change_kind = '{CHANGE}' {''.join(' and ' + x for x in conditions)}
                  and b.{k} = p.{k} and b.{c} = p.{c})
            """, newer_params + params)
        self._drop_temp("_page")
        return received, landed

    def land_ids(self, batch: Batch, page: Path) -> int:
        """Reconciliation: add a page of live Ids (header Id) to the batch's scan."""
        if not self._check_header(batch, page, ("Id",)):
            return 0
        return self._copy_into("_scan_ids", batch, page, ("Id",))

    def _latest_order(self, cursor_column: str) -> str:
        return f"{cursor_column} desc nulls last, _extracted_at desc"

    def apply_tombstones(self, batch: Batch, has_is_deleted: bool) -> int:
        """Record a tombstone for every record whose latest landed version is live but the scan did not see."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        if not self.bronze_columns(batch.bronze_table):
            return 0
        c = quote_ident((batch.cursor_field or "id").lower())
        live = "and coalesce(lower(l.isdeleted), 'false') <> 'true'" if has_is_deleted else ""
        columns = f"id, {c} as stamp, {'isdeleted' if has_is_deleted else 'null as isdeleted'}, _extracted_at"
        latest = self._latest_per_id(columns, table, "id is not null", self._latest_order(c))
        self._analyze_temp("_scan_ids")
        inserted = self._count(
            f"""
            insert into bronze.{TOMBSTONES_TABLE}
                (object_name, id, last_systemmodstamp, detected_by, _batch_id, _extracted_at, _source)
            select ?, l.id, l.stamp, 'id_scan', ?, ?, ?
            from ({latest}) l
            where not exists (select 1 from _scan_ids s where s.id = l.id) {live}
              and not exists (select 1 from bronze.{TOMBSTONES_TABLE} t
                              where t.object_name = ? and t._source = ? and t.id = l.id
                                and t._extracted_at > l._extracted_at)
            """, [batch.object_name, batch.batch_id, batch.extracted_at, batch.source, batch.object_name,
                  batch.source])
        self._drop_temp("_scan_ids")
        return inserted

    def land_refresh(self, batch: Batch, page: Path, kind: str) -> tuple[int, int]:
        """Formula refresh / column backfill: ``batch.columns`` = Id, the cursor field, the refreshed fields.

        A new row (the record's latest landed version with the refreshed values) lands only where a value differs
        and the cursor value is the one landed; a newer version arrives through the incremental route instead.
        """
        if not self._check_header(batch, page, batch.columns):
            return 0, 0
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        received = self._stage("_refresh", batch, page, batch.columns)
        c = quote_ident(batch.cursor_field.lower())
        refreshed = [f.lower() for f in batch.columns[2:]]
        table_columns = [col for col in self.bronze_columns(batch.bronze_table) if col not in METADATA_COLUMNS]
        select = ", ".join(f"r.{quote_ident(col)}" if col in refreshed else f"l.{quote_ident(col)}"
                           for col in table_columns)
        differs = " or ".join(f"l.{quote_ident(f)} is distinct from r.{quote_ident(f)}" for f in refreshed)
        target = ", ".join(quote_ident(col) for col in table_columns) + ", " + ", ".join(METADATA_COLUMNS)
        all_columns = ", ".join(quote_ident(col) for col in self.bronze_columns(batch.bronze_table))
        latest = self._latest_per_id(all_columns, table, "id in (select id from _refresh)", self._latest_order(c))
        landed = self._count(
            f"""
            insert into {table} ({target})
            select {select}, {self._meta(batch, kind)}
            from _refresh r
            join ({latest}) l on l.id = r.id and l.{c} = r.{c}
            where {differs}
            """)
        self._drop_temp("_refresh")
        return received, landed

    def batch_summary(self, batch: Batch, has_is_deleted: bool) -> tuple[str | None, int]:
        """(highest cursor value landed by the batch, deleted versions it landed)."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower()) if batch.cursor_field else "null"
        deleted = "sum(case when lower(isdeleted) = 'true' then 1 else 0 end)" if has_is_deleted else "0"
        highest, deleted_rows = self._execute(
            f"select max({c}), {deleted} from {table} where _extracted_at = ? and _batch_id = ?",
            [batch.extracted_at, batch.batch_id]).fetchone()
        return highest, int(deleted_rows or 0)

    def live_count(self, object_name: str, table: str, cursor_field: str | None,
                   source: str = "salesforce") -> int | None:
        """Records whose latest landed version is live and not found gone: what the org's live count should be."""
        columns = self.bronze_columns(table)
        if not columns:
            return None
        where = (f"id is not null and id not in (select t.id from bronze.{TOMBSTONES_TABLE} t "
                 f"where t.object_name = ? and t._source = ?)")
        if "isdeleted" not in columns:
            return int(self._execute(f"select count(distinct id) from bronze.{quote_ident(table)} where {where}",
                                     [object_name, source]).fetchone()[0])
        c = quote_ident((cursor_field or "id").lower())
        latest = self._latest_per_id("id, isdeleted", f"bronze.{quote_ident(table)}", where, self._latest_order(c))
        return int(self._execute(
            f"select count(*) from ({latest}) l where coalesce(lower(l.isdeleted), 'false') <> 'true'",
            [object_name, source]).fetchone()[0])

    def update_window_keys(self, batch: Batch, window_start: str, rebuild: bool) -> int:
        """Keep state.salesforce_window_keys = the change keys with cursor >= window_start; return the records
        among them not found gone (the probe's baseline). ``rebuild`` reads them from bronze (the first time);
        otherwise only the batch's own rows are added and the keys that fell out of the window dropped."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        key = [batch.source, batch.object_name]
        if rebuild:
            self._execute("delete from state.salesforce_window_keys where source = ? and object_name = ?", key)
            rows, params = f"{table} where {c} >= ?", [window_start]
        else:
            self._execute("delete from state.salesforce_window_keys where source = ? and object_name = ? "
                          "and cursor_value < ?", key + [window_start])
            rows, params = f"{table} where _extracted_at = ? and _batch_id = ? and {c} >= ?", [
                batch.extracted_at, batch.batch_id, window_start]
        self._execute(
            f"insert into state.salesforce_window_keys (source, object_name, id, cursor_value) "
            f"select distinct ?, ?, {k}, {c} from {rows} "
            f"and _change_kind = '{CHANGE}' and {k} is not null and {c} is not null", key + params)
        return int(self._execute(
            f"select count(distinct id) from state.salesforce_window_keys where source = ? and object_name = ? "
            f"and id not in (select id from bronze.{TOMBSTONES_TABLE} where object_name = ? and _source = ?)",
            key + [batch.object_name, batch.source]).fetchone()[0])

    def dedup_since(self, source: str, object_name: str, window_start: str | None) -> datetime | None:
        """The earliest batch that may hold change rows with cursor >= window_start (None: look at all)."""
        if window_start is None:
            return None
        return self._execute(
            "select min(extracted_at) from audit.extract_batches where source = ? and object_name = ? "
            "and status = 'succeeded' and kind in ('full', 'incremental') and cursor_to >= ?",
            [source, object_name, window_start]).fetchone()[0]

    def window_count(self, batch: Batch, window_start: str, since: datetime | None) -> int:
        """Records with a landed change at or after window_start, less those found gone (the probe's baseline)."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        since_sql, params = ("and _extracted_at >= ?", [since]) if since is not None else ("", [])
        return int(self._execute(
            f"select count(distinct {k}) from {table} where _change_kind = '{CHANGE}' and {c} >= ? {since_sql} "
            f"and {k} not in (select id from bronze.{TOMBSTONES_TABLE} where object_name = ? and _source = ?)",
            [window_start, *params, batch.object_name, batch.source]).fetchone()[0])

    def commit(self, batch: Batch, state: ObjectState | None, audit: BatchAudit) -> None:
        """Commit the batch's rows, the object's new state and the batch's audit row together."""
        self._check_open(batch)
        if state is not None:
            self._save_state(state)
        audit.status = "succeeded"
        self._insert_audit(audit)
        self._execute("commit")
        self._in_batch = None

    def rollback(self, batch: Batch, audit: BatchAudit) -> None:
        """Drop every row of the batch; keep an audit row saying it failed and why."""
        self._rollback_quietly()
        self._in_batch = None
        self._columns = None
        audit.status = "failed"
        audit.rows_landed = 0
        self._insert_audit(audit)

    def record(self, audit: BatchAudit) -> None:
        """An audit row for work that landed nothing (an unchanged object, a skipped one), or a correction of one
        (a QUERY_TIMEOUT attempt whose window was then split: status 'split')."""
        self._insert_audit(audit)

    def record_many(self, audits: list[BatchAudit]) -> None:
        """Audit rows written in one transaction (a plan records one per object it probed)."""
        if not audits:
            return

        def write():
            for start in range(0, len(audits), 100):  # one statement per 100 rows: executemany is row by row
                self._upsert("audit.extract_batches", AUDIT_COLUMNS, ["batch_id"],
                             [audit_values(a) for a in audits[start:start + 100]])
        self._transaction(write)

    def _insert_audit(self, audit: BatchAudit) -> None:
        self._upsert("audit.extract_batches", AUDIT_COLUMNS, ["batch_id"], [audit_values(audit)])

    def _transaction(self, work) -> None:
        self._execute("begin transaction")
        try:
            work()
            self._execute("commit")
        except BaseException:
            self._rollback_quietly()
            raise

    # --- the bronze store (extract/bronze_store.py) and replay (extract/replay.py) ------------------------------
    def landed_rows(self, batch: Batch) -> Iterator[tuple[str, pa.RecordBatchReader]]:
        """What the open batch has landed, per bronze table, read inside its transaction (before commit): the rows
        it appended to its object's table and the tombstones it recorded. Consume each reader before the next."""
        for table in (batch.bronze_table, TOMBSTONES_TABLE):
            if not self.bronze_columns(table):
                continue
            yield table, self._arrow_reader(
                f"select * from bronze.{quote_ident(table)} where _extracted_at = ? and _batch_id = ?",
                [batch.extracted_at, batch.batch_id])

    def restore_rows(self, table: str, rows: pa.RecordBatchReader) -> int:
        """Replay: append archived rows to a bronze table (by column name), creating it or adding the columns it
        lacks (metadata columns with their types, the object's fields as VARCHAR). Returns the rows appended."""
        names = list(rows.schema.names)
        existing = self.bronze_columns(table)
        self._columns = None
        typed = {c: self._type(METADATA_COLUMNS.get(c, "VARCHAR").lower()) for c in names}
        if not existing:
            self._execute(f"create table bronze.{quote_ident(table)} ("
                          + ", ".join(f"{quote_ident(c)} {t}" for c, t in typed.items()) + ")")
        for column in names:
            if existing and column not in existing:
                self._execute(f"alter table bronze.{quote_ident(table)} add column {quote_ident(column)} "
                              f"{typed[column]}")
        return self._append_arrow(f"bronze.{quote_ident(table)}", names, rows)

    def replayed_tables(self) -> list[tuple[str, str]]:
        """(schema, table) of every table an in-place replay rebuilds: bronze's base tables (not dbt's staging
        views beside them), each object's state, the lookback window's keys and the batch audit. The org table
        and the open Bulk jobs are not history: they stay as they are; so is bronze.salesforce_fields, each
        object's latest describe (no batch carries it)."""
        bronze = [r[0] for r in self._execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "and table_catalog = current_database() order by table_name", [self._schema_name("bronze")]).fetchall()]
        return [("bronze", name.lower()) for name in bronze if name.lower() not in KEPT_BRONZE_TABLES] + list(
            REPLAYED_STATE_TABLES)

    def _schema_name(self, schema: str) -> str:
        """A schema's name as information_schema holds it (Snowflake: upper case)."""
        return schema

    def rebuild_in_place(self, backup_schema: str, rebuild: Callable[[], object]):
        """In-place replay: move every table ``replayed_tables`` names into the new schema ``backup_schema``,
        create them afresh and empty, run ``rebuild()`` (which lands into them) and return what it returns.

        Here (PostgreSQL) all of it is ONE transaction: DDL is transactional, so a failure anywhere (a store file,
        the server, a kill) leaves the warehouse exactly as it was and no backup schema. A warehouse whose DDL
        commits (Snowflake) overrides this."""
        self._execute("begin transaction")
        try:
            tables = self.replayed_tables()
            self._execute(f"create schema {backup_schema}")
            for schema, table in tables:
                self._execute(f"alter table {schema}.{quote_ident(table)} set schema {backup_schema}")
            self._columns = None
            self._create_tables()
            result = rebuild()
            self._execute("commit")
        except BaseException:
            self._rollback_quietly()
            raise
        finally:
            self._columns = None
        return result

    def batch_statuses(self, batch_ids: list[str]) -> dict[str, str]:
        """The audit status of each of these batches the warehouse knows (committed: 'succeeded')."""
        statuses: dict[str, str] = {}
        ids = list(batch_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            statuses.update(self.query(
                f"select batch_id, status from audit.extract_batches where batch_id in "
                f"({', '.join('?' for _ in chunk)})", chunk))
        return statuses

    def _arrow_reader(self, sql: str, params: Sequence) -> pa.RecordBatchReader:
        """Hook: a query's rows as Arrow batches (default: fetched in chunks through the driver's cursor)."""
        return arrow_from_cursor(self._execute(sql, params))

    def _append_arrow(self, table: str, names: Sequence[str], rows: pa.RecordBatchReader) -> int:
        """Hook: append Arrow batches to ``table``'s columns ``names`` (default: multi-row INSERTs)."""
        columns = ", ".join(quote_ident(c) for c in names)
        row = "(" + ", ".join("?" for _ in names) + ")"
        appended = 0
        for record_batch in rows:
            values = list(zip(*(column.to_pylist() for column in record_batch.columns)))
            for start in range(0, len(values), 500):
                chunk = values[start:start + 500]
                self._execute(f"insert into {table} ({columns}) values {', '.join(row for _ in chunk)}",
                              [v for r in chunk for v in r])
                appended += len(chunk)
        return appended

    def _check_open(self, batch: Batch) -> None:
        if self._in_batch is None or self._in_batch.batch_id != batch.batch_id:
            raise RuntimeError(f"batch {batch.batch_id} is not the open batch")
