"""Bronze, extraction state and extraction audit in a Snowflake database (snowflake-connector-python).

The landing semantics live in sql_bronze.SqlBronzeWriter. Here: a result page is PUT to a temporary internal stage
and loaded with COPY INTO a temporary staging table; the COPY's own result (per file: status, rows parsed, rows
loaded, errors seen) is checked before anything else runs, so a page that did not load whole fails its batch and
the object's cursor is never committed past it. Then the same set SQL as every warehouse lands the staged rows;
each batch is one transaction with its state and audit rows.

Snowflake specifics:
- DDL commits any open transaction, so everything a batch creates (its bronze table or new columns, its staging
  tables) is created before ``begin transaction``; inside a batch a staging table is only emptied (DML). A DDL
  statement issued inside a batch is refused here, loudly, rather than silently splitting the batch.
- Unquoted names are stored in upper case. The contract's names are lower case and dbt's sources name them
  unquoted, so every quoted identifier the writer sends is folded to upper case as Snowflake folds unquoted ones:
  ``bronze."salesforce__account"."id"`` is BRONZE.SALESFORCE__ACCOUNT.ID, the table dbt reads. Names read back from
  Snowflake (columns, result keys) are lower-cased again.
- Upserts (state, audit) delete and insert in one transaction; Bulk job ids are committed on a second connection.
"""

from __future__ import annotations

import csv
import itertools
import logging
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from extract.warehouse.bronze import METADATA_COLUMNS, Batch
from extract.warehouse.sql_bronze import (
    OBJECT_RUNS_VIEW,
    REPLAYED_STATE_TABLES,
    SqlBronzeWriter,
    quote_ident,
    quote_literal,
)

log = logging.getLogger(__name__)

STAGE = "medallion_landing"  # a temporary internal stage: gone with the session, files purged as they load
STAGING_SCHEMA = "state"  # where the session's temporary staging tables and stage live
# Bulk API 2.0 CSV: RFC 4180 quoting, UTF-8, a header row, empty (quoted or not) = NULL; no backslash escapes.
# (UTF-8 is the default encoding.)
CSV_FORMAT = ("type = csv skip_header = 1 field_delimiter = ',' field_optionally_enclosed_by = '\"' "
              "escape_unenclosed_field = none empty_field_as_null = true null_if = ('')")

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_DDL = re.compile(r"\s*(create|alter|drop)\b", re.IGNORECASE)


def fold_identifiers(sql: str) -> str:
    """Every double-quoted identifier in upper case (string literals untouched): Snowflake's unquoted names."""
    return _TOKENS.sub(lambda m: m.group(0).upper() if m.group(0).startswith('"') else m.group(0), sql)


def pa_is_string(arrow_type) -> bool:
    import pyarrow as pa

    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _single(record_batch):
    import pyarrow as pa

    return pa.RecordBatchReader.from_batches(record_batch.schema, [record_batch])


class SnowflakeCopyError(RuntimeError):
    """COPY INTO did not load a staged page whole: the batch fails, its cursor stays where it was."""


def rows_loaded_whole(results: list[dict], what: str) -> int:
    """The rows COPY INTO loaded from one staged file, when its result says the file loaded whole: exactly one
    file, status LOADED, no error seen, every row parsed loaded. Anything else raises SnowflakeCopyError."""
    if (len(results) != 1 or results[0].get("status") != "LOADED" or results[0].get("errors_seen")
            or results[0].get("rows_parsed") != results[0].get("rows_loaded")):
        raise SnowflakeCopyError(f"COPY INTO did not load {what} whole: {results}")
    return int(results[0]["rows_loaded"])


class SnowflakeBronzeWriter(SqlBronzeWriter):
    TYPES = {**SqlBronzeWriter.TYPES, "timestamp": "timestamp_ntz"}
    OBJECT_RUNS_VIEW = (OBJECT_RUNS_VIEW.replace("string_agg(", "listagg(").replace("bool_or(", "boolor_agg(")
                        .replace("bool_and(", "booland_agg("))

    def __init__(self, **connect_kwargs):
        """``connect_kwargs`` as snowflake.connector.connect takes them (account, user, password, database, role,
        warehouse, host, port, protocol...); the writer sets its own paramstyle and autocommit."""
        import snowflake.connector

        self._connect_kwargs = {**connect_kwargs, "paramstyle": "qmark", "autocommit": True}
        self._connect = snowflake.connector.connect
        self.con = self._connect(**self._connect_kwargs)
        self._side = None
        self._side_lock = threading.Lock()
        self._in_transaction = False  # a begin was sent and no commit/rollback yet
        self._prepared: dict[str, tuple[str, ...]] = {}  # staging table -> its columns, created before the batch
        self._pages = itertools.count(1)
        super().__init__()
        self._execute(f"use schema {STAGING_SCHEMA}")
        self._execute(f"create temporary stage if not exists {STAGE}")

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
        self.con.close()

    # --- hooks -------------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence = ()):
        if self._in_batch is not None and _DDL.match(sql):
            raise RuntimeError(f"DDL inside batch {self._in_batch.batch_id} would commit it on Snowflake: "
                               f"{sql.strip()[:120]}")
        cursor = self.con.cursor()
        cursor.execute(fold_identifiers(sql), list(params) if params else None)
        verb = sql.strip().split(None, 1)[0].lower() if sql.strip() else ""
        if verb == "begin":
            self._in_transaction = True
        elif verb in ("commit", "rollback"):
            self._in_transaction = False
        return cursor

    def _count(self, sql: str, params: Sequence = ()) -> int:
        return int(self._execute(sql, params).rowcount or 0)

    def _autonomous(self, sql: str, params: Sequence = ()) -> None:
        with self._side_lock:
            if self._side is None or self._side.is_closed():
                self._side = self._connect(**self._connect_kwargs)
                self._side.cursor().execute(f"use schema {STAGING_SCHEMA}")
            self._side.cursor().execute(fold_identifiers(sql), list(params) if params else None)

    def _rollback_quietly(self) -> None:
        self._in_transaction = False
        try:
            self.con.cursor().execute("rollback")
        except Exception:  # noqa: BLE001 - nothing was open, or the session is gone (the batch is lost either way)
            pass

    def _schema_name(self, schema: str) -> str:
        return schema.upper()

    _bronze_columns_sql = ("select lower(table_name), lower(column_name) from information_schema.columns "
                           "where table_schema = 'BRONZE' and table_catalog = current_database() "
                           "order by table_name, ordinal_position")

    def _table_columns(self, schema: str, table: str) -> list[str]:
        return [r[0] for r in self._execute(
            "select lower(column_name) from information_schema.columns where table_schema = ? and table_name = ? "
            "and table_catalog = current_database() order by ordinal_position",
            [schema.upper(), table.upper()]).fetchall()]

    def _latest_per_id(self, columns: str, table: str, where: str, order: str) -> str:
        return (f"select {columns} from {table} where {where} "
                f"qualify row_number() over (partition by id order by {order}) = 1")

    def _upsert(self, table: str, columns: Sequence[str], keys: Sequence[str], rows: Sequence[Sequence]) -> None:
        """Delete the rows with these keys, insert the new ones: in the open transaction, else in one of its own.

        Not MERGE: fakesnow runs a MERGE as a CREATE TABLE AS, which it cannot do inside a transaction that already
        wrote another table (a batch's rows); a delete and an insert in one transaction mean the same on Snowflake.
        """
        if not rows:
            return
        match = " or ".join("(" + " and ".join(f"{k} = ?" for k in keys) + ")" for _ in rows)
        positions = [columns.index(k) for k in keys]
        row = "(" + ", ".join("?" for _ in columns) + ")"

        def write():
            self._execute(f"delete from {table} where {match}", [r[i] for r in rows for i in positions])
            self._execute(f"insert into {table} ({', '.join(columns)}) values {', '.join(row for _ in rows)}",
                          [v for r in rows for v in r])
        if self._in_transaction:
            write()
        else:
            self._transaction(write)

    # --- staging: created before the batch (DDL), emptied inside it (DML) ----------------------------------------
    def begin(self, batch: Batch) -> None:
        if self._in_batch is not None:
            raise RuntimeError(f"batch {self._in_batch.batch_id} is still open")
        if batch.kind == "reconcile":
            self._prepare("_scan_ids", ("id",))
        else:
            self._ensure_table(batch.bronze_table, batch.columns)
            staging = "_refresh" if batch.kind in ("formula_refresh", "column_backfill") else "_page"
            self._prepare(staging, tuple(c.lower() for c in batch.columns))
        self._execute("begin transaction")
        self._in_batch = batch
        self._lock_object(batch)

    def _prepare(self, name: str, columns: tuple[str, ...]) -> None:
        cols = ", ".join(f"{quote_ident(c)} varchar" for c in columns)
        self._execute(f"create or replace temporary table {name} ({cols})")
        self._prepared[name] = columns

    def _create_temp(self, name: str, columns: Sequence[str]) -> None:
        if self._in_batch is None:
            self._prepare(name, tuple(columns))
            return
        if self._prepared.get(name) != tuple(columns):
            raise RuntimeError(f"staging table {name} was not prepared for batch {self._in_batch.batch_id} "
                               f"with these columns (creating it now would commit the batch on Snowflake)")
        self._execute(f"delete from {name}")

    def _drop_temp(self, name: str) -> None:
        if self._in_batch is not None:
            self._execute(f"delete from {name}")
        else:
            self._execute(f"drop table if exists {name}")
            self._prepared.pop(name, None)

    def _copy_into(self, name: str, batch: Batch, page: Path, columns: Sequence[str]) -> int:
        """PUT the page to the stage, COPY it into ``name``; returns the rows loaded once COPY confirms them all.

        A page with a header and no rows (an incremental window with nothing new) loads nothing: no round trip.
        """
        with page.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader, None)
            if next(reader, None) is None:
                return 0
        return self._put_and_copy(name, page, batch.batch_id, f"{page.name} ({batch.object_name}, batch "
                                                              f"{batch.batch_id})")

    def _put_and_copy(self, name: str, page: Path, prefix: str, what: str) -> int:
        prefix = f"{prefix}/{next(self._pages)}"
        uploaded = self._execute(f"put {quote_literal(page.resolve().as_uri())} @{STAGE}/{prefix} "
                                 f"auto_compress = true overwrite = true parallel = 1").fetchall()
        if len(uploaded) != 1 or uploaded[0][6] != "UPLOADED":
            raise SnowflakeCopyError(f"PUT of {what} did not upload it: {uploaded}")
        # By position: the staging table's columns are the page's, in the header's order (checked before).
        cursor = self._execute(f"copy into {name} from @{STAGE}/{prefix}/ "
                               f"file_format = ({CSV_FORMAT}) on_error = abort_statement purge = true force = true")
        header = [d[0].lower() for d in cursor.description]
        return rows_loaded_whole([dict(zip(header, row)) for row in cursor.fetchall()], what)

    # --- replay (extract/replay.py) ----------------------------------------------------------------------------
    def _append_arrow(self, table: str, names: Sequence[str], rows) -> int:
        """Replay's rows through the landing path: each Arrow batch written as a CSV page, PUT, COPY INTO a
        staging table of text columns (its result checked like a page's), then inserted by name with the metadata
        columns typed. A batch holding an empty string (which the CSV format reads as NULL) goes through INSERTs
        instead, so every value lands as it was archived."""
        import pyarrow.compute as pc

        appended = 0
        staging = "_restore"
        self._prepare(staging, tuple(names))
        columns = ", ".join(quote_ident(c) for c in names)
        select = ", ".join(f"cast({quote_ident(c)} as {self._type(METADATA_COLUMNS[c].lower())})"
                           if c in METADATA_COLUMNS and METADATA_COLUMNS[c] != "VARCHAR" else quote_ident(c)
                           for c in names)
        with tempfile.TemporaryDirectory(prefix="replay-page-") as tmp:
            for number, record_batch in enumerate(rows):
                if record_batch.num_rows == 0:
                    continue
                texts = [col.to_pylist() for col in record_batch.columns]
                if any(pc.any(pc.equal(col, "")).as_py() for col in record_batch.columns
                       if pa_is_string(col.type)):
                    appended += super()._append_arrow(table, names, _single(record_batch))
                    continue
                page = Path(tmp) / f"{number}.csv"
                with page.open("w", newline="", encoding="utf-8") as f:
                    out = csv.writer(f)
                    out.writerow(names)
                    for row in zip(*texts):
                        out.writerow(["" if v is None else v.isoformat(sep=" ") if hasattr(v, "isoformat") else v
                                      for v in row])
                self._execute(f"delete from {staging}")
                loaded = self._put_and_copy(staging, page, f"replay/{table}", f"{page.name} (replay of {table})")
                page.unlink()
                inserted = self._count(f"insert into {table} ({columns}) select {select} from {staging}")
                if inserted != loaded:
                    raise SnowflakeCopyError(f"replay of {table}: {loaded} rows staged, {inserted} inserted")
                appended += inserted
        self._drop_temp(staging)
        return appended

    def rebuild_in_place(self, backup_schema: str, rebuild):
        """In-place replay on Snowflake, where DDL commits: no single transaction can hold it. Instead every
        table to rebuild is first CLONEd into ``backup_schema`` (zero-copy on Snowflake) before anything is
        touched; then the tables are dropped, created afresh and ``rebuild()`` lands into them. If that fails,
        each table is put back from its clone (and the backup schema stays, named in the error); a process killed
        mid-rebuild leaves the clones, from which ``restore_from_backup(backup_schema)`` puts the warehouse back."""
        tables = self.replayed_tables()
        self._execute(f"create schema {backup_schema}")
        for schema, table in tables:
            self._execute(f"create table {backup_schema}.{quote_ident(table)} clone {schema}.{quote_ident(table)}")
        try:
            for schema, table in tables:
                self._execute(f"drop table {schema}.{quote_ident(table)}")
            self._columns = None
            self._create_tables()
            self._execute(f"use schema {STAGING_SCHEMA}")  # CREATE SCHEMA made another one current
            return rebuild()
        except BaseException:
            log.error("replay failed: putting the warehouse back from %s", backup_schema)
            self._rollback_quietly()
            self.restore_from_backup(backup_schema, tables)
            raise
        finally:
            self._columns = None

    def restore_from_backup(self, backup_schema: str, tables: Sequence[tuple[str, str]] | None = None) -> None:
        """Put ``tables`` (default: every table in ``backup_schema``, each back in its schema) back as their clones
        in ``backup_schema`` hold them; tables replay created that the backup lacks are dropped."""
        if tables is None:
            home = {table: schema for schema, table in REPLAYED_STATE_TABLES}
            tables = [(home.get(name, "bronze"), name) for name in (r[0].lower() for r in self._execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_catalog = current_database()", [backup_schema.upper()]).fetchall())]
        for schema, table in self.replayed_tables():
            if (schema, table) not in tables:
                self._execute(f"drop table if exists {schema}.{quote_ident(table)}")
        for schema, table in tables:
            self._execute(f"drop table if exists {schema}.{quote_ident(table)}")
            self._execute(f"create table {schema}.{quote_ident(table)} clone {backup_schema}.{quote_ident(table)}")
        self._columns = None
        self._execute(self.OBJECT_RUNS_VIEW)
        self._execute(f"use schema {STAGING_SCHEMA}")

    # --- public SQL --------------------------------------------------------------------------------------------
    def query_dicts(self, sql: str, params: Sequence = ()) -> list[dict]:
        """Rows as dicts keyed by lower-case column names, as on the other warehouses."""
        return [{k.lower(): v for k, v in row.items()} for row in super().query_dicts(sql, params)]
