"""Extract one Salesforce object into its bronze table: describe, one Bulk API 2.0 query job, pages streamed in.

Memory stays bounded whatever the row count: a page lives on disk only until DuckDB has read it.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from extract.salesforce.bulk2_query import Bulk2QueryJob
from extract.salesforce.connection import SalesforceSession
from extract.salesforce.describe import describe_extractable_fields
from extract.warehouse.duckdb_bronze import Batch, DuckDBBronzeWriter

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50_000


@dataclass(frozen=True)
class ExtractResult:
    object_name: str
    bronze_table: str
    batch_id: str
    bulk_job_id: str
    rows: int
    bytes: int
    pages: int
    fields: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def bronze_table_name(object_name: str) -> str:
    return f"salesforce__{object_name.lower()}"


def build_soql(object_name: str, fields: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(fields)} FROM {object_name}"


def extract_object(
    session: SalesforceSession,
    writer: DuckDBBronzeWriter,
    object_name: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    dag_run_id: str | None = None,
    work_dir: Path | None = None,
) -> ExtractResult:
    started = time.monotonic()
    described = describe_extractable_fields(session, object_name)
    batch = Batch(
        batch_id=f"{object_name.lower()}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        source="salesforce",
        object_name=described.object_name,
        bronze_table=bronze_table_name(described.object_name),
        columns=described.fields,
        extracted_at=datetime.now(UTC).replace(tzinfo=None),
        dag_run_id=dag_run_id,
    )
    rows = bytes_ = pages = 0
    job_id = ""
    writer.begin(batch)
    try:
        job = Bulk2QueryJob.create(session, build_soql(described.object_name, described.fields))
        job_id = job.job_id
        job.wait()
        with tempfile.TemporaryDirectory(prefix="bulk2-", dir=work_dir) as tmp:
            for page in job.download_pages(Path(tmp), page_size):
                landed = writer.land_page(batch, page.path)
                if landed != page.rows:
                    raise ValueError(
                        f"page {page.number} of Bulk job {job_id}: Salesforce announced {page.rows} rows "
                        f"(Sforce-NumberOfRecords) but the CSV held {landed}"
                    )
                rows += landed
                bytes_ += page.bytes
                pages += 1
                log.info("%s: page %d landed, %d rows (%d so far)", object_name, page.number, landed, rows)
        writer.commit(batch, datetime.now(UTC).replace(tzinfo=None), rows, bytes_, pages, job_id)
    except Exception as exc:
        writer.rollback_and_record_failure(batch, datetime.now(UTC).replace(tzinfo=None), f"{type(exc).__name__}: {exc}")
        raise
    result = ExtractResult(
        object_name=described.object_name, bronze_table=f"bronze.{batch.bronze_table}", batch_id=batch.batch_id,
        bulk_job_id=job_id, rows=rows, bytes=bytes_, pages=pages, fields=len(described.fields),
        seconds=round(time.monotonic() - started, 3),
    )
    log.info("extracted %s", result)
    return result
