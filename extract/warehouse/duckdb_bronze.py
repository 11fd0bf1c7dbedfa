"""Land CSV pages into append-only bronze tables in DuckDB, one batch per transaction.

A batch's rows and its audit row are committed together, so a crash mid-batch leaves neither behind.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

METADATA_COLUMNS = {"_batch_id": "VARCHAR", "_extracted_at": "TIMESTAMP", "_source": "VARCHAR"}

EXTRACT_BATCHES_DDL = """
create table if not exists audit.extract_batches (
    batch_id varchar primary key,
    source varchar not null,
    object_name varchar not null,
    bronze_table varchar not null,
    dag_run_id varchar,
    status varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    rows bigint,
    bytes bigint,
    pages integer,
    bulk_job_id varchar,
    error varchar
)
"""


@dataclass(frozen=True)
class Batch:
    batch_id: str
    source: str
    object_name: str
    bronze_table: str  # unqualified, e.g. salesforce__account
    columns: tuple[str, ...]  # source field names, in CSV header order
    extracted_at: datetime  # naive UTC
    dag_run_id: str | None = None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBBronzeWriter:
    def __init__(self, path: Path, memory_limit: str = "256MB"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = duckdb.connect(str(path), config={"memory_limit": memory_limit, "threads": 2})
        self.con.execute("create schema if not exists bronze")
        self.con.execute("create schema if not exists audit")
        self.con.execute(EXTRACT_BATCHES_DDL)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "DuckDBBronzeWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------------------
    def existing_columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_schema='bronze' and table_name=? "
            "order by ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def ensure_table(self, table: str, columns: tuple[str, ...]) -> None:
        """Create the bronze table, or add the columns describe gained since the last batch."""
        wanted = [c.lower() for c in columns]
        existing = self.existing_columns(table)
        if not existing:
            cols = [f"{quote_ident(c)} VARCHAR" for c in wanted]
            cols += [f"{quote_ident(c)} {t}" for c, t in METADATA_COLUMNS.items()]
            self.con.execute(f"create table bronze.{quote_ident(table)} ({', '.join(cols)})")
            return
        for column in wanted:
            if column not in existing:
                self.con.execute(f"alter table bronze.{quote_ident(table)} add column {quote_ident(column)} VARCHAR")

    # -- batches --------------------------------------------------------------------------------------------
    def begin(self, batch: Batch) -> None:
        self.ensure_table(batch.bronze_table, batch.columns)
        self.con.execute("begin transaction")

    def land_page(self, batch: Batch, page: Path) -> int:
        """Append one CSV page (header row = batch.columns) to the batch; return rows landed."""
        with page.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), None)
        if header is None:  # an empty page: no header, no rows
            return 0
        if tuple(header) != batch.columns:
            raise ValueError(
                f"result page header of {batch.object_name} does not match the fields asked for: "
                f"got {header[:5]}..., expected {list(batch.columns[:5])}..."
            )
        target = ", ".join(quote_ident(c.lower()) for c in batch.columns)
        csv_columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in batch.columns) + "}"
        inserted = self.con.execute(
            f"""
            insert into bronze.{quote_ident(batch.bronze_table)} ({target}, _batch_id, _extracted_at, _source)
            select *, ?, ?, ? from read_csv(?, header=true, auto_detect=false, columns={csv_columns},
                                            delim=',', quote='"', escape='"', strict_mode=true,
                                            parallel=false)
            """,
            [batch.batch_id, batch.extracted_at, batch.source, str(page)],
        ).fetchone()
        return int(inserted[0])

    def commit(self, batch: Batch, finished_at: datetime, rows: int, bytes_: int, pages: int,
               bulk_job_id: str | None) -> None:
        self.con.execute(
            "insert into audit.extract_batches values (?, ?, ?, ?, ?, 'succeeded', ?, ?, ?, ?, ?, ?, null)",
            [batch.batch_id, batch.source, batch.object_name, batch.bronze_table, batch.dag_run_id,
             batch.extracted_at, finished_at, rows, bytes_, pages, bulk_job_id],
        )
        self.con.execute("commit")

    def rollback_and_record_failure(self, batch: Batch, finished_at: datetime, error: str) -> None:
        """Drop the batch's rows and keep a 'failed' audit row saying why."""
        try:
            self.con.execute("rollback")
        except duckdb.Error:
            pass  # the transaction never started
        self.con.execute(
            "insert into audit.extract_batches values (?, ?, ?, ?, ?, 'failed', ?, ?, 0, 0, 0, null, ?)",
            [batch.batch_id, batch.source, batch.object_name, batch.bronze_table, batch.dag_run_id,
             batch.extracted_at, finished_at, error[:4000]],
        )
