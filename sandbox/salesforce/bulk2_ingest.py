"""Bulk API 2.0 ingest jobs: ``/services/data/vXX.X/jobs/ingest``.

Create (state ``Open``), one ``PUT`` of CSV data (201; a second PUT makes the close fail with INVALIDJOB),
``PATCH UploadComplete`` (processing starts in a worker thread), then ``successfulResults``, ``failedResults`` and
``unprocessedrecords`` as CSV. Whole-upload problems (line ending, unknown column) fail the job; row problems fail
the row (``JobComplete`` with ``numberRecordsFailed``).
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .auth import Session, require_session
from .bulk2_common import check_format_options, job_not_found, job_timestamp, new_job_id, read_json_body
from .errors import SalesforceError
from .faults import NO_JOB_FAULT, JobFault
from .formatting import COLUMN_DELIMITERS, LINE_ENDINGS, csv_quote_sql, sql_text_literal
from .results import ResultFile
from .query import bulk_unsupported
from .schema import get_object
from .writes import OPERATIONS, BatchFailure, WriteBatch, resolve_columns, validate_external_id_field

if TYPE_CHECKING:
    from .org import SalesforceOrg

RESULT_KINDS = {
    "successfulresults": "successfulResults",
    "failedresults": "failedResults",
    "unprocessedrecords": "unprocessedRecords",
}
FINISHED_STATES = ("JobComplete", "Failed", "Aborted")

router = APIRouter()


@dataclass
class IngestJob:
    id: str
    object: str
    operation: str
    external_id_field: str | None
    created_by: str
    created_date: str
    api_version: str
    column_delimiter: str
    line_ending: str
    directory: Path
    state: str = "Open"
    error_message: str | None = None
    uploads: int = 0
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    results: dict[str, ResultFile] = field(default_factory=dict)
    result_headers: dict[str, str] = field(default_factory=dict)
    fault: JobFault = NO_JOB_FAULT
    ready_at: float = 0.0  # time.monotonic() before which a finished job still reports InProgress (latency floor)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def visible_state(self) -> str:
        if self.state in ("JobComplete", "Failed") and time.monotonic() < self.ready_at:
            return "InProgress"
        return self.state

    @property
    def data_path(self) -> Path:
        return self.directory / "data.csv"

    def info(self, *, detailed: bool) -> dict:
        state = self.visible_state
        body = {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": self.created_by,
            "createdDate": self.created_date, "systemModstamp": self.created_date, "state": state,
        }
        if self.external_id_field:
            body["externalIdFieldName"] = self.external_id_field
        body.update({
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.api_version),
            "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending, "columnDelimiter": self.column_delimiter,
        })
        if detailed:
            body.update({
                "jobType": "V2Ingest", "numberRecordsProcessed": self.processed,
                "numberRecordsFailed": self.failed, "retries": 0, "totalProcessingTime": self.processing_ms,
                "apiActiveProcessingTime": self.processing_ms, "apexProcessingTime": 0,
            })
            if self.error_message and state == "Failed":
                body["errorMessage"] = self.error_message
        return body


class IngestJobs:
    def __init__(self, org: SalesforceOrg, directory: Path, executor: Executor):
        self._org = org
        self._directory = directory
        self._executor = executor
        self._lock = threading.Lock()
        self._jobs: dict[str, IngestJob] = {}

    def create(self, body: dict, version: str, user_id: str, path: str = "") -> IngestJob:
        access = self._org.access
        obj = access.object(str(body.get("object") or ""))
        if obj is None:
            raise SalesforceError(
                400, "INVALIDENTITY", f"InvalidEntity : Entity '{body.get('object')}' is not supported by the Bulk API."
            )
        if not access.bulk_supported(obj):
            raise bulk_unsupported(obj.name)
        operation = body.get("operation")
        if operation not in OPERATIONS:
            raise SalesforceError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        if operation in ("delete", "hardDelete") and not obj.has_soft_delete:
            raise SalesforceError(
                400, "INVALIDENTITY", f"InvalidEntity : Entity '{obj.name}' is not supported for {operation}"
            )
        external_id = None
        if operation == "upsert":
            external_id = validate_external_id_field(obj, body.get("externalIdFieldName"), access).name
        delimiter, line_ending = check_format_options(body)
        self._org.limits.require_batches(1)
        self._org.limits.require_ingest_records(1)
        job_id = new_job_id()
        job = IngestJob(
            id=job_id, object=obj.name, operation=operation, external_id_field=external_id, created_by=user_id,
            created_date=job_timestamp(self._org.clock.now()), api_version=version, column_delimiter=delimiter,
            line_ending=line_ending, directory=self._directory / job_id,
            fault=self._org.faults.job_fault("POST", path),
        )
        job.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> IngestJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise job_not_found()
        return job

    def all(self) -> list[IngestJob]:
        with self._lock:
            return list(self._jobs.values())

    def upload(self, job_id: str, data: bytes) -> None:
        job = self.get(job_id)
        with job.lock:
            if job.state != "Open":
                raise SalesforceError(
                    409, "INVALIDJOBSTATE", f"Job {job_id} is not open for uploads, its state is {job.state}"
                )
            self._org.limits.check_upload_size(len(data))
            job.uploads += 1
            with job.data_path.open("ab") as data_file:
                data_file.write(data)

    def change_state(self, job_id: str, state: str) -> IngestJob:
        job = self.get(job_id)
        with job.lock:
            if state == "UploadComplete":
                if job.state != "Open":
                    raise SalesforceError(400, "INVALIDJOBSTATE", f"Job {job_id} is already {job.state}")
                if job.uploads > 1:
                    raise SalesforceError(
                        400, "INVALIDJOB",
                        f"Found multipe contents for job: <{job_id}>, please 'Close' / 'Abort' / 'Delete' the "
                        "current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
                    )
                job.state = "UploadComplete"
                job.ready_at = time.monotonic() + self._org.bulk_job_latency_seconds
                self._executor.submit(self._process, job)
            elif state == "Aborted":
                if job.state in FINISHED_STATES:
                    raise SalesforceError(400, "INVALIDJOBSTATE", f"Aborting already {job.state} Job not allowed")
                job.state = "Aborted"
            else:
                raise SalesforceError(400, "INVALIDJOBSTATE", f"Invalid state for an ingest job: {state}")
        return job

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        with job.lock:
            if job.state in ("UploadComplete", "InProgress"):
                raise SalesforceError(400, "INVALIDJOBSTATE", "Deleting a job that is in progress is not allowed")
        with self._lock:
            del self._jobs[job_id]
        shutil.rmtree(job.directory, ignore_errors=True)

    # --- processing -------------------------------------------------------------------------------------------

    def _process(self, job: IngestJob) -> None:
        with job.lock:
            if job.state != "UploadComplete":
                return
            job.state = "InProgress"
        started = time.monotonic()
        delimiter = COLUMN_DELIMITERS[job.column_delimiter]
        try:
            if job.fault.failure:
                raise BatchFailure(job.fault.failure)
            headers, header_line = self._read_header(job, delimiter)
            obj = get_object(job.object)
            columns = resolve_columns(obj, headers, self._org.access)
            external_id = obj.field(job.external_id_field) if job.external_id_field else None
            limits = self._org.limits
            with self._org.store.write() as cur:
                self._stage(cur, job, len(headers), delimiter)
                (rows,) = cur.execute("SELECT count(*) FROM __stage").fetchone()
                if not limits.check("DailyBulkV2IngestRecords", rows):
                    raise BatchFailure(
                        f"ExceededQuota : Max number of records ingested in 24 hours exceeded "
                        f"({limits.maximums['DailyBulkV2IngestRecords']})"
                    )
                if not limits.check("DailyBulkApiBatches", max(1, -(-rows // 10_000))):
                    raise BatchFailure(
                        f"ExceededQuota : Max number of batches in 24 hours exceeded "
                        f"({limits.maximums['DailyBulkApiBatches']})"
                    )
                WriteBatch(
                    cur, "__stage", obj, job.operation, columns, external_id, self._org.clock.now(), job.created_by,
                    locked_rows=job.fault.locked_rows(rows),
                ).run()
                self._write_results(cur, job, len(headers), header_line)
                processed, failed = cur.execute(
                    "SELECT count(*), count(*) FILTER (WHERE __error IS NOT NULL) FROM __results"
                ).fetchone()
            limits.consume("DailyBulkApiBatches", max(1, -(-processed // 10_000)))
            limits.consume("DailyBulkV2IngestRecords", processed)
            outcome = ("JobComplete", None, processed, failed)
        except BatchFailure as failure:
            outcome = ("Failed", str(failure), 0, 0)
        except Exception as error:  # reported like Salesforce: the job fails with the reason
            outcome = ("Failed", f"InvalidBatch : {error}", 0, 0)
        with job.lock:
            job.state, job.error_message, job.processed, job.failed = outcome
            job.processing_ms = int((time.monotonic() - started) * 1000)

    def _read_header(self, job: IngestJob, delimiter: str) -> tuple[list[str], str]:
        """The header fields and raw header line; enforces the job's line ending on the header's terminator."""
        if not job.data_path.exists() or job.data_path.stat().st_size == 0:
            raise BatchFailure("InvalidBatch : No content was uploaded for the job")
        with job.data_path.open("rb") as data_file:
            head = data_file.read(1 << 20)
        newline = head.find(b"\n")
        crlf = newline > 0 and head[newline - 1:newline] == b"\r"
        if newline >= 0 and crlf != (job.line_ending == "CRLF"):
            raise BatchFailure(
                f"ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is "
                f"{job.line_ending}"
            )
        text = head.decode("utf-8", "replace")
        header_line = text.split(LINE_ENDINGS[job.line_ending], 1)[0]
        headers = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
        return headers, header_line

    def _stage(self, cur, job: IngestJob, width: int, delimiter: str) -> None:
        path = "'" + str(job.data_path).replace("'", "''") + "'"
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        delimiter_sql = "'" + delimiter.replace("'", "''") + "'"
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE __stage AS SELECT row_number() OVER () - 1 AS __row, * FROM "
            f"read_csv({path}, header=true, delim={delimiter_sql}, quote='\"', escape='\"', columns={columns}, "
            "auto_detect=false, parallel=false, allow_quoted_nulls=false, strict_mode=true)"
        )

    def _write_results(self, cur, job: IngestJob, width: int, header_line: str) -> None:
        delimiter = COLUMN_DELIMITERS[job.column_delimiter]
        line_ending = LINE_ENDINGS[job.line_ending]
        separator = f" || {sql_text_literal(delimiter)} || "
        originals = separator.join(csv_quote_sql(f"coalesce(s.c{i}, '')") for i in range(width))
        job.result_headers = {
            "successfulResults": f'"sf__Id"{delimiter}"sf__Created"{delimiter}{header_line}{line_ending}',
            "failedResults": f'"sf__Id"{delimiter}"sf__Error"{delimiter}{header_line}{line_ending}',
            "unprocessedRecords": f"{header_line}{line_ending}",
        }
        created = csv_quote_sql("CASE WHEN r.__created THEN 'true' ELSE 'false' END")
        record_id = csv_quote_sql("coalesce(r.__id, '')")
        error = csv_quote_sql(
            "r.__error.code || ':' || r.__error.message || ':' || "
            "CASE WHEN r.__error.fields = '' THEN '--' ELSE r.__error.fields || ' --' END"
        )
        outcomes = {
            "successfulResults": ("r.__error IS NULL", f"{csv_quote_sql('r.__id')}{separator}{created}"),
            "failedResults": (
                "r.__error IS NOT NULL", f"{record_id}{separator}{error}"
            ),
        }
        for kind, (condition, prefix) in outcomes.items():
            job.results[kind] = ResultFile.write(
                cur,
                f"SELECT {prefix}{separator}{originals} || {sql_text_literal(line_ending)} AS line FROM __results r "
                f"JOIN __stage s USING (__row) WHERE {condition} ORDER BY r.__row",
                job.directory / f"{kind}.parquet",
            )

    def result_chunks(self, job_id: str, kind: str) -> Iterator[str]:
        job = self.get(job_id)
        if job.visible_state not in FINISHED_STATES:
            raise SalesforceError(
                400, "INVALIDJOBSTATE", f"Job {job_id} is not finished, its state is {job.visible_state}"
            )
        return self._chunks(job, kind)

    def _chunks(self, job: IngestJob, kind: str) -> Iterator[str]:
        if kind == "unprocessedRecords" and job.state != "JobComplete" and job.data_path.exists():
            with job.data_path.open("r", encoding="utf-8", errors="replace", newline="") as data_file:
                while chunk := data_file.read(1 << 16):
                    yield chunk
            return
        yield job.result_headers.get(kind, "")
        result = job.results.get(kind)
        if result is not None and result.row_count:
            with self._org.store.read() as cur:
                yield from result.text_chunks(cur, 0, result.row_count)


def _jobs(request: Request) -> IngestJobs:
    return request.app.state.org.ingest_jobs


@router.post("/services/data/v{version}/jobs/ingest")
async def create_ingest_job(version: str, request: Request, session: Session = Depends(require_session)):
    body = await read_json_body(request)
    job = _jobs(request).create(body, version, session.user_id, request.url.path)
    return JSONResponse(job.info(detailed=False))


@router.get("/services/data/v{version}/jobs/ingest")
def list_ingest_jobs(version: str, request: Request, session: Session = Depends(require_session)):
    records = [job.info(detailed=False) for job in _jobs(request).all()]
    return JSONResponse({"done": True, "records": records, "nextRecordsUrl": None})


@router.get("/services/data/v{version}/jobs/ingest/{job_id}")
def get_ingest_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    return JSONResponse(_jobs(request).get(job_id).info(detailed=True))


@router.put("/services/data/v{version}/jobs/ingest/{job_id}/batches")
async def upload_ingest_data(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    _jobs(request).upload(job_id, await request.body())
    return Response(status_code=201)


@router.patch("/services/data/v{version}/jobs/ingest/{job_id}")
async def change_ingest_job_state(
    version: str, job_id: str, request: Request, session: Session = Depends(require_session)
):
    body = await read_json_body(request)
    return JSONResponse(_jobs(request).change_state(job_id, str(body.get("state"))).info(detailed=False))


@router.delete("/services/data/v{version}/jobs/ingest/{job_id}")
def delete_ingest_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    _jobs(request).delete(job_id)
    return Response(status_code=204)


@router.get("/services/data/v{version}/jobs/ingest/{job_id}/{kind}")
def ingest_job_results(
    version: str, job_id: str, kind: str, request: Request, session: Session = Depends(require_session)
):
    result_kind = RESULT_KINDS.get(kind.lower())
    if result_kind is None:
        raise job_not_found()
    return StreamingResponse(_jobs(request).result_chunks(job_id, result_kind), media_type="text/csv; charset=UTF-8")
