"""Bronze, extraction state and extraction audit in one DuckDB file.

Every batch runs in one transaction: its rows, the object's new state (cursor) and its audit row commit together,
so a crash leaves either all of them or none. Identifiers reaching SQL are quoted; names coming from the org are
checked to be API names before they get here.
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from pathlib import Path

import duckdb

from extract.warehouse.bronze import (
    AUDIT_COLUMNS,
    CHANGE,
    METADATA_COLUMNS,
    TOMBSTONES_TABLE,
    Batch,
    BatchAudit,
    DedupWindow,
    ObjectState,
    audit_values,
)

log = logging.getLogger(__name__)

STATE_DDL = """
create table if not exists state.salesforce_objects (
    source varchar not null,
    object_name varchar not null,
    cursor_field varchar,
    cursor_value varchar,
    window_start varchar,
    window_count bigint,
    bulk_supported boolean not null default true,
    last_batch_id varchar,
    last_extracted_at timestamp,
    last_reconciled_at timestamp,
    last_formula_refresh_at timestamp,
    formula_fields varchar,
    window_keyed boolean not null default false,
    updated_at timestamp not null,
    primary key (source, object_name)
)
"""
WINDOW_KEYS_DDL = """
create table if not exists state.salesforce_window_keys (
    source varchar not null,
    object_name varchar not null,
    id varchar not null,
    cursor_value varchar not null
)
"""
OPEN_JOBS_DDL = """
create table if not exists state.salesforce_open_jobs (
    job_id varchar primary key,
    source varchar not null,
    object_name varchar not null,
    purpose varchar,
    created_at timestamp not null
)
"""
TOMBSTONES_DDL = f"""
create table if not exists bronze.{TOMBSTONES_TABLE} (
    object_name varchar not null,
    id varchar not null,
    last_systemmodstamp varchar,
    detected_by varchar not null,
    _batch_id varchar not null,
    _extracted_at timestamp not null,
    _source varchar not null
)
"""
ORGS_DDL = """
create table if not exists state.salesforce_orgs (
    source varchar primary key,
    org_id varchar not null,
    instance_url varchar,
    first_seen_at timestamp not null,
    last_seen_at timestamp not null
)
"""
AUDIT_TYPES = {
    "started_at": "timestamp", "finished_at": "timestamp", "extracted_at": "timestamp", "duration_s": "double",
    "rows_received": "bigint", "rows_landed": "bigint", "rows_deleted": "bigint", "tombstones": "bigint",
    "bytes": "bigint", "pages": "integer", "api_calls": "integer", "bulk_jobs": "integer", "retries": "integer",
    "window_splits": "integer",
}
AUDIT_DDL = "create table if not exists audit.extract_batches (\n    batch_id varchar primary key,\n" + ",\n".join(
    f"    {c} {AUDIT_TYPES.get(c, 'varchar')}" for c in AUDIT_COLUMNS[1:]) + "\n)"
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
group by all
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBBronzeWriter:
    def __init__(self, path: Path, memory_limit: str = "256MB", threads: int = 2):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = duckdb.connect(str(path), config={
            "memory_limit": memory_limit, "threads": threads, "preserve_insertion_order": True,
        })
        self.con.execute("set enable_progress_bar = false")
        for schema in ("bronze", "state", "audit"):
            self.con.execute(f"create schema if not exists {schema}")
        for ddl in (STATE_DDL, WINDOW_KEYS_DDL, OPEN_JOBS_DDL, TOMBSTONES_DDL, AUDIT_DDL, ORGS_DDL):
            self.con.execute(ddl)
        # State written by an earlier version lacks columns: it is dropped, so every object is read again in full
        # once, deduplicated against what bronze already holds (safe: nothing lands twice, nothing is missed).
        state_columns = [r[0] for r in self.con.execute(
            "select column_name from information_schema.columns where table_schema = 'state' "
            "and table_name = 'salesforce_objects' order by ordinal_position").fetchall()]
        if "window_keyed" not in state_columns:
            self.con.execute("drop table state.salesforce_objects")
            self.con.execute(STATE_DDL)
        existing = {r[0] for r in self.con.execute(
            "select column_name from information_schema.columns where table_schema='audit' "
            "and table_name='extract_batches'").fetchall()}
        for column in AUDIT_COLUMNS:  # a warehouse landed by an older version gains the new audit columns
            if column not in existing:
                self.con.execute(f"alter table audit.extract_batches add column {column} "
                                 f"{AUDIT_TYPES.get(column, 'varchar')}")
        self.con.execute(OBJECT_RUNS_VIEW)
        self._in_batch: Batch | None = None
        self._columns: dict[str, list[str]] | None = None  # bronze table -> columns, read once, kept on DDL

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "DuckDBBronzeWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- state -------------------------------------------------------------------------------------------------
    def object_states(self, source: str) -> dict[str, ObjectState]:
        cursor = self.con.execute(
            "select source, object_name, cursor_field, cursor_value, window_start, window_count, bulk_supported, "
            "last_batch_id, last_extracted_at, last_reconciled_at, last_formula_refresh_at, formula_fields, window_keyed "
            "from state.salesforce_objects where source = ?", [source])
        return {row[1]: ObjectState(*row) for row in cursor.fetchall()}

    def object_state(self, source: str, object_name: str) -> ObjectState | None:
        return self.object_states(source).get(object_name)

    def _save_state(self, state: ObjectState) -> None:
        self.con.execute(
            "insert or replace into state.salesforce_objects values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [state.source, state.object_name, state.cursor_field, state.cursor_value, state.window_start,
             state.window_count, state.bulk_supported, state.last_batch_id, state.last_extracted_at,
             state.last_reconciled_at, state.last_formula_refresh_at, state.formula_fields, state.window_keyed])

    def save_state(self, state: ObjectState) -> None:
        """Save state outside a batch (e.g. that Bulk cannot query an object)."""
        self._save_state(state)

    def org_id(self, source: str) -> str | None:
        """The organization Id whose records ``source`` holds (None before its first extraction)."""
        row = self.con.execute("select org_id from state.salesforce_orgs where source = ?", [source]).fetchone()
        return row[0] if row else None

    def remember_org(self, source: str, org_id: str, instance_url: str | None) -> None:
        """Record (committed at once, outside any batch) that ``source`` holds org ``org_id``; never changes it."""
        self.con.execute(
            "insert into state.salesforce_orgs values (?, ?, ?, now(), now()) on conflict (source) do update "
            "set instance_url = excluded.instance_url, last_seen_at = excluded.last_seen_at",
            [source, org_id, instance_url])

    def open_jobs(self, source: str, object_name: str) -> list[str]:
        return [r[0] for r in self.con.execute(
            "select job_id from state.salesforce_open_jobs where source = ? and object_name = ? order by created_at",
            [source, object_name]).fetchall()]

    def remember_job(self, source: str, object_name: str, job_id: str, purpose: str) -> None:
        """Note a Bulk job as open (committed at once, outside any batch) so a crash cannot orphan it."""
        cursor = self.con.cursor()
        try:
            cursor.execute("insert or replace into state.salesforce_open_jobs values (?, ?, ?, ?, now())",
                           [job_id, source, object_name, purpose])
        finally:
            cursor.close()

    def forget_job(self, job_id: str) -> None:
        cursor = self.con.cursor()
        try:
            cursor.execute("delete from state.salesforce_open_jobs where job_id = ?", [job_id])
        finally:
            cursor.close()

    # --- bronze tables -----------------------------------------------------------------------------------------
    def bronze_columns(self, table: str) -> list[str]:
        if self._columns is None:
            self._columns = {}
            for name, column in self.con.execute(
                    "select table_name, column_name from duckdb_columns() where schema_name = 'bronze' "
                    "and database_name = current_database() order by table_name, column_index").fetchall():
                self._columns.setdefault(name, []).append(column)
        return list(self._columns.get(table, []))

    def has_change_rows(self, table: str) -> bool:
        if not self.bronze_columns(table):
            return False
        return self.con.execute(
            f"select count(*) > 0 from (select 1 from bronze.{quote_ident(table)} "
            f"where _change_kind = '{CHANGE}' limit 1)").fetchone()[0]

    def _ensure_table(self, table: str, columns: tuple[str, ...]) -> None:
        """Create the bronze table, or add the columns the describe gained since the last batch."""
        wanted = [c.lower() for c in columns]
        existing = self.bronze_columns(table)
        self._columns = None  # re-read after this DDL (and after a rollback undoes it)
        if not existing:
            cols = [f"{quote_ident(c)} VARCHAR" for c in wanted]
            cols += [f"{quote_ident(c)} {t}" for c, t in METADATA_COLUMNS.items()]
            self.con.execute(f"create table bronze.{quote_ident(table)} ({', '.join(cols)})")
            return
        if "_change_kind" not in existing:  # landed by an older version: every row so far was a change
            self.con.execute(f"alter table bronze.{quote_ident(table)} add column _change_kind VARCHAR "
                             f"default '{CHANGE}'")
        for column in wanted:
            if column not in existing:
                self.con.execute(f"alter table bronze.{quote_ident(table)} add column {quote_ident(column)} VARCHAR")

    # --- batches -----------------------------------------------------------------------------------------------
    def begin(self, batch: Batch) -> None:
        if self._in_batch is not None:
            raise RuntimeError(f"batch {self._in_batch.batch_id} is still open")
        self.con.execute("begin transaction")
        self._in_batch = batch
        if batch.kind != "reconcile":
            self._ensure_table(batch.bronze_table, batch.columns)
        else:
            self.con.execute("create or replace temp table _scan_ids (id varchar)")

    def _csv(self, batch: Batch, page: Path, columns: tuple[str, ...]) -> str:
        """The read_csv(...) of one result page whose header must be ``columns`` (compared case-insensitively)."""
        with page.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), None)
        if header is None:
            return ""
        if [h.lower() for h in header] != [c.lower() for c in columns]:
            raise ValueError(
                f"result page header of {batch.object_name} does not match the fields asked for: "
                f"got {header[:5]}..., expected {list(columns[:5])}...")
        struct = "{" + ", ".join(f"{quote_literal(c.lower())}: 'VARCHAR'" for c in columns) + "}"
        return (f"read_csv({quote_literal(str(page))}, header=true, auto_detect=false, columns={struct}, "
                f"delim=',', quote='\"', escape='\"', strict_mode=true, parallel=false)")

    def _meta(self, batch: Batch, kind: str) -> str:
        return (f"{quote_literal(batch.batch_id)}, {quote_literal(batch.extracted_at.isoformat(sep=' '))}::timestamp, "
                f"{quote_literal(batch.source)}, {quote_literal(kind)}")

    def land_changes(self, batch: Batch, page: Path, dedup: DedupWindow | None) -> tuple[int, int]:
        """Append a page of changes; with ``dedup``, rows already landed (same Id and cursor) are left out.

        Returns (rows in the page, rows landed).
        """
        reader = self._csv(batch, page, batch.columns)
        if not reader:
            return 0, 0
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        target = ", ".join(quote_ident(c.lower()) for c in batch.columns) + ", " + ", ".join(METADATA_COLUMNS)
        if dedup is None or batch.cursor_field is None:
            landed = self.con.execute(
                f"insert into {table} ({target}) select *, {self._meta(batch, CHANGE)} from {reader}").fetchone()[0]
            return int(landed), int(landed)
        self.con.execute(f"create or replace temp table _page as select * from {reader}")
        received = self.con.execute("select count(*) from _page").fetchone()[0]
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        newer = f"p.{c} > ? or " if dedup.cursor is not None else ""
        if dedup.keyed:
            landed = self.con.execute(
                f"""
                insert into {table} ({target})
                select p.*, {self._meta(batch, CHANGE)} from _page p
                where {newer} p.{c} is null or p.{k} is null or not exists (
                    select 1 from state.salesforce_window_keys w
                    where w.source = ? and w.object_name = ? and w.id = p.{k} and w.cursor_value = p.{c})
                """, ([dedup.cursor] if dedup.cursor is not None else []) + [batch.source, batch.object_name]
            ).fetchone()[0]
            self.con.execute("drop table _page")
            return int(received), int(landed)
        conditions, params = [], []
        if dedup.since is not None:
            conditions.append("b._extracted_at >= ?")
            params.append(dedup.since)
        if dedup.window_start is not None:
            conditions.append(f"b.{c} >= ?")
            params.append(dedup.window_start)
        landed = self.con.execute(
            f"""
            insert into {table} ({target})
            select p.*, {self._meta(batch, CHANGE)} from _page p
            where {newer} p.{c} is null or p.{k} is null or not exists (
                select 1 from {table} b
                where b._change_kind = '{CHANGE}' {''.join(' and ' + x for x in conditions)}
                  and b.{k} = p.{k} and b.{c} = p.{c})
            """, ([dedup.cursor] if dedup.cursor is not None else []) + params).fetchone()[0]
        self.con.execute("drop table _page")
        return int(received), int(landed)

    def land_ids(self, batch: Batch, page: Path) -> int:
        """Reconciliation: add a page of live Ids (header Id) to the batch's scan."""
        reader = self._csv(batch, page, ("Id",))
        if not reader:
            return 0
        return int(self.con.execute(f"insert into _scan_ids select * from {reader}").fetchone()[0])

    def apply_tombstones(self, batch: Batch, has_is_deleted: bool) -> int:
        """Record a tombstone for every record whose latest landed version is live but the scan did not see."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        if not self.bronze_columns(batch.bronze_table):
            return 0
        c = quote_ident((batch.cursor_field or "id").lower())
        live = "and coalesce(lower(l.isdeleted), 'false') <> 'true'" if has_is_deleted else ""
        inserted = self.con.execute(
            f"""
            insert into bronze.{TOMBSTONES_TABLE}
            select ?, l.id, l.stamp, 'id_scan', ?, ?, ?
            from (
                select id, {c} as stamp, {'isdeleted' if has_is_deleted else 'null as isdeleted'}, _extracted_at
                from {table} where id is not null
                qualify row_number() over (partition by id order by {c} desc nulls last, _extracted_at desc) = 1
            ) l
            where not exists (select 1 from _scan_ids s where s.id = l.id) {live}
              and not exists (select 1 from bronze.{TOMBSTONES_TABLE} t
                              where t.object_name = ? and t._source = ? and t.id = l.id
                                and t._extracted_at > l._extracted_at)
            """, [batch.object_name, batch.batch_id, batch.extracted_at, batch.source,
                  batch.object_name, batch.source]).fetchone()[0]
        return int(inserted)

    def land_refresh(self, batch: Batch, page: Path, kind: str) -> tuple[int, int]:
        """Formula refresh / column backfill: ``batch.columns`` = Id, the cursor field, the refreshed fields.

        A new row (the record's latest landed version with the refreshed values) lands only where a value differs
        and the cursor value is the one landed; a newer version arrives through the incremental route instead.
        """
        reader = self._csv(batch, page, batch.columns)
        if not reader:
            return 0, 0
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        self.con.execute(f"create or replace temp table _refresh as select * from {reader}")
        received = self.con.execute("select count(*) from _refresh").fetchone()[0]
        c = quote_ident(batch.cursor_field.lower())
        refreshed = [f.lower() for f in batch.columns[2:]]
        table_columns = [col for col in self.bronze_columns(batch.bronze_table) if col not in METADATA_COLUMNS]
        select = ", ".join(f"r.{quote_ident(col)}" if col in refreshed else f"l.{quote_ident(col)}"
                           for col in table_columns)
        differs = " or ".join(f"l.{quote_ident(f)} is distinct from r.{quote_ident(f)}" for f in refreshed)
        target = ", ".join(quote_ident(col) for col in table_columns) + ", " + ", ".join(METADATA_COLUMNS)
        landed = self.con.execute(
            f"""
            insert into {table} ({target})
            select {select}, {self._meta(batch, kind)}
            from _refresh r
            join (select * from {table} where id in (select id from _refresh)
                  qualify row_number() over (partition by id order by {c} desc nulls last, _extracted_at desc) = 1) l
              on l.id = r.id and l.{c} = r.{c}
            where {differs}
            """).fetchone()[0]
        self.con.execute("drop table _refresh")
        return int(received), int(landed)

    def batch_summary(self, batch: Batch, has_is_deleted: bool) -> tuple[str | None, int]:
        """(highest cursor value landed by the batch, deleted versions it landed)."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower()) if batch.cursor_field else "null"
        deleted = "count(*) filter (where lower(isdeleted) = 'true')" if has_is_deleted else "0"
        highest, deleted_rows = self.con.execute(
            f"select max({c}), {deleted} from {table} where _extracted_at = ? and _batch_id = ?",
            [batch.extracted_at, batch.batch_id]).fetchone()
        return highest, int(deleted_rows or 0)

    def live_count(self, object_name: str, table: str, cursor_field: str | None,
                   source: str = "salesforce") -> int | None:
        """Records whose latest landed version is live and not found gone: what the org's live count should be."""
        columns = self.bronze_columns(table)
        if not columns:
            return None
        c = quote_ident((cursor_field or "id").lower())
        live = ("having arg_max(coalesce(lower(isdeleted), 'false'), ({c}, _extracted_at)) <> 'true'".format(c=c)
                if "isdeleted" in columns else "")
        return int(self.con.execute(
            f"""
            select count(*) from (
                select id from bronze.{quote_ident(table)}
                where id is not null
                  and id not in (select t.id from bronze.{TOMBSTONES_TABLE} t
                                 where t.object_name = ? and t._source = ?)
                group by id {live}
            )
            """, [object_name, source]).fetchone()[0])

    def save_states(self, states: list[ObjectState]) -> None:
        """Several objects' state in one transaction (the plan's reconciliations that found nothing to do)."""
        if not states:
            return
        self.con.execute("begin transaction")
        try:
            for state in states:
                self._save_state(state)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise

    def update_window_keys(self, batch: Batch, window_start: str, rebuild: bool) -> int:
        """Keep state.salesforce_window_keys = the change keys with cursor >= window_start; return the records
        among them not found gone (the probe's baseline). ``rebuild`` reads them from bronze (the first time);
        otherwise only the batch's own rows are added and the keys that fell out of the window dropped."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        key = [batch.source, batch.object_name]
        if rebuild:
            self.con.execute("delete from state.salesforce_window_keys where source = ? and object_name = ?", key)
            rows, params = f"{table} where {c} >= ?", [window_start]
        else:
            self.con.execute("delete from state.salesforce_window_keys where source = ? and object_name = ? "
                             "and cursor_value < ?", key + [window_start])
            rows, params = f"{table} where _extracted_at = ? and _batch_id = ? and {c} >= ?", [
                batch.extracted_at, batch.batch_id, window_start]
        self.con.execute(
            f"insert into state.salesforce_window_keys select distinct ?, ?, {k}, {c} from {rows} "
            f"and _change_kind = '{CHANGE}' and {k} is not null and {c} is not null", key + params)
        return int(self.con.execute(
            f"select count(distinct id) from state.salesforce_window_keys where source = ? and object_name = ? "
            f"and id not in (select id from bronze.{TOMBSTONES_TABLE} where object_name = ? and _source = ?)",
            key + [batch.object_name, batch.source]).fetchone()[0])

    def dedup_since(self, source: str, object_name: str, window_start: str | None) -> datetime | None:
        """The earliest batch that may hold change rows with cursor >= window_start (None: look at all)."""
        if window_start is None:
            return None
        return self.con.execute(
            "select min(extracted_at) from audit.extract_batches where source = ? and object_name = ? "
            "and status = 'succeeded' and kind in ('full', 'incremental') and cursor_to >= ?",
            [source, object_name, window_start]).fetchone()[0]

    def window_count(self, batch: Batch, window_start: str, since: datetime | None) -> int:
        """Records with a landed change at or after window_start, less those found gone (the probe's baseline)."""
        table = f"bronze.{quote_ident(batch.bronze_table)}"
        c = quote_ident(batch.cursor_field.lower())
        k = quote_ident(batch.key)
        since_sql, params = ("and _extracted_at >= ?", [since]) if since is not None else ("", [])
        return int(self.con.execute(
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
        self.con.execute("commit")
        self._in_batch = None

    def rollback(self, batch: Batch, audit: BatchAudit) -> None:
        """Drop every row of the batch; keep an audit row saying it failed and why."""
        try:
            self.con.execute("rollback")
        except duckdb.Error:
            pass  # nothing was open
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
        row = "(" + ", ".join("?" for _ in AUDIT_COLUMNS) + ")"
        self.con.execute("begin transaction")
        try:
            for start in range(0, len(audits), 100):  # one statement per 100 rows: executemany is row by row
                chunk = audits[start:start + 100]
                self.con.execute(
                    f"insert or replace into audit.extract_batches ({', '.join(AUDIT_COLUMNS)}) values "
                    + ", ".join(row for _ in chunk), [v for a in chunk for v in audit_values(a)])
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise

    def _insert_audit(self, audit: BatchAudit) -> None:
        placeholders = ", ".join("?" for _ in AUDIT_COLUMNS)
        self.con.execute(f"insert or replace into audit.extract_batches ({', '.join(AUDIT_COLUMNS)}) "
                         f"values ({placeholders})", audit_values(audit))

    def _check_open(self, batch: Batch) -> None:
        if self._in_batch is None or self._in_batch.batch_id != batch.batch_id:
            raise RuntimeError(f"batch {batch.batch_id} is not the open batch")
