"""Bulk API 2.0 query jobs: ``/services/data/vXX.X/jobs/query``.

Create validates the SOQL at once (400 on errors) and runs the query in a worker thread, which writes every result
row as a finished CSV line into a Parquet file. A results page is then a range of row numbers streamed from that
file: header first, ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (``null`` on the last page) as headers.
"""

from __future__ import annotations

import base64
import binascii
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .auth import Session, require_session
from .bulk2_common import check_format_options, job_not_found, job_timestamp, new_job_id, read_json_body
from .errors import SalesforceError
from .faults import NO_JOB_FAULT, PAGE_KINDS, JobFault
from .formatting import COLUMN_DELIMITERS, LINE_ENDINGS, csv_header, csv_line_sql
from .query import CompiledQuery, compile_query
from .results import ResultFile

if TYPE_CHECKING:
    from .org import SalesforceOrg

DEFAULT_PAGE_SIZE = 100_000
FINISHED_STATES = ("JobComplete", "Failed", "Aborted")

router = APIRouter()


@dataclass
class QueryJob:
    id: str
    operation: str
    object: str
    soql: str
    query: CompiledQuery
    created_by: str
    created_date: str
    api_version: str
    column_delimiter: str
    line_ending: str
    state: str = "UploadComplete"
    error_message: str | None = None
    result: ResultFile | None = None
    processing_ms: int = 0
    fault: JobFault = NO_JOB_FAULT
    ready_at: float = 0.0  # time.monotonic() before which a finished job still reports InProgress (latency floor)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def visible_state(self) -> str:
        if self.state in ("JobComplete", "Failed") and time.monotonic() < self.ready_at:
            return "InProgress"
        return self.state

    def info(self, *, detailed: bool) -> dict:
        state = self.visible_state
        body = {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": self.created_by,
            "createdDate": self.created_date, "systemModstamp": self.created_date, "state": state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.api_version),
            "lineEnding": self.line_ending, "columnDelimiter": self.column_delimiter,
        }
        if detailed:
            body.update({
                "jobType": "V2Query",
                "numberRecordsProcessed": self.result.row_count if self.result else 0,
                "retries": 0,
                "totalProcessingTime": self.processing_ms,
                "isPkChunkingSupported": True,
            })
            if self.error_message and state == "Failed":
                body["errorMessage"] = self.error_message
        return body


def encode_locator(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        text = base64.urlsafe_b64decode(locator + "=" * (-len(locator) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isdigit():
        raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
    return int(text)


class QueryJobs:
    def __init__(self, org: SalesforceOrg, directory: Path, executor: Executor):
        self._org = org
        self._directory = directory
        self._executor = executor
        self._lock = threading.Lock()
        self._jobs: dict[str, QueryJob] = {}

    def create(self, body: dict, version: str, user_id: str, path: str = "") -> QueryJob:
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise SalesforceError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        soql = body.get("query")
        if not isinstance(soql, str) or not soql.strip():
            raise SalesforceError(400, "INVALIDJOB", "InvalidJob : The query is required")
        delimiter, line_ending = check_format_options(body)
        query = compile_query(soql, include_deleted=operation == "queryAll", now=self._org.clock.now(), bulk=True,
                              access=self._org.access)
        self._org.limits.consume_query_job()
        job = QueryJob(
            id=new_job_id(), operation=operation, object=query.object.name, soql=soql, query=query,
            created_by=user_id, created_date=job_timestamp(self._org.clock.now()), api_version=version,
            column_delimiter=delimiter, line_ending=line_ending, fault=self._org.faults.job_fault("POST", path),
            ready_at=time.monotonic() + self._org.bulk_job_latency_seconds,
        )
        with self._lock:
            self._jobs[job.id] = job
        self._executor.submit(self._run, job)
        return job

    def _run(self, job: QueryJob) -> None:
        with job.lock:
            if job.state != "UploadComplete":
                return
            job.state = "InProgress"
        started = time.monotonic()
        if job.fault.failure:
            with job.lock:
                if job.state == "InProgress":
                    job.state, job.error_message = "Failed", job.fault.failure
            return
        line_sql = csv_line_sql(job.query, COLUMN_DELIMITERS[job.column_delimiter], LINE_ENDINGS[job.line_ending])
        store = self._org.store
        try:
            with store.wide_operation() if job.query.wide else nullcontext(), store.read() as cur:
                result = ResultFile.write_query(
                    cur, job.query, [f"{line_sql} AS line"], self._directory / job.id / "result.parquet"
                )
        except Exception as error:  # the job fails, as a real one does, with the reason in errorMessage
            with job.lock:
                job.state, job.error_message = "Failed", f"InternalServerError : {error}"
            return
        with job.lock:
            job.processing_ms = int((time.monotonic() - started) * 1000)
            if job.state == "Aborted":
                result.delete()
                return
            job.result, job.state = result, "JobComplete"

    def get(self, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise job_not_found()
        return job

    def all(self) -> list[QueryJob]:
        with self._lock:
            return list(self._jobs.values())

    def abort(self, job_id: str) -> QueryJob:
        job = self.get(job_id)
        with job.lock:
            if job.state in FINISHED_STATES:
                finished = "Completed" if job.state == "JobComplete" else job.state
                raise SalesforceError(400, "INVALIDJOBSTATE", f"Aborting already {finished} Job not allowed")
            job.state = "Aborted"
        return job

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        with job.lock:
            if job.state not in FINISHED_STATES:
                raise SalesforceError(400, "INVALIDJOBSTATE", "Deleting a job that is in progress is not allowed")
        with self._lock:
            del self._jobs[job_id]
        shutil.rmtree(self._directory / job_id, ignore_errors=True)

    def page(self, job_id: str, locator: str | None, max_records: int | None,
             path: str = "") -> tuple[int, str, Iterator[str]]:
        """(rows in the page, next locator or 'null', CSV text chunks beginning with the header). ``path``: the
        request path page faults (``short_page``, ``early_end``) are matched against."""
        job = self.get(job_id)
        if job.visible_state != "JobComplete" or job.result is None:
            raise SalesforceError(
                400, "INVALIDJOBSTATE", f"Job {job_id} is not complete, its state is {job.visible_state}"
            )
        start = decode_locator(locator) if locator else 0
        size = max_records if max_records and max_records > 0 else DEFAULT_PAGE_SIZE
        count = max(0, min(size, job.result.row_count - start))
        following = start + count
        next_locator = encode_locator(following) if following < job.result.row_count else "null"
        header = csv_header(
            [c.label for c in job.query.columns], COLUMN_DELIMITERS[job.column_delimiter], LINE_ENDINGS[job.line_ending]
        )
        served = count
        fault = self._org.faults.take(PAGE_KINDS, "GET", path) if path else None
        if fault is not None and fault.kind == "short_page":
            served = max(0, count - fault.rows)  # the header still announces `count`
        elif fault is not None and fault.kind == "early_end":
            next_locator = "null"
        return count, next_locator, self._chunks(job.result, header, start, served, job.query.wide)

    def _chunks(self, result: ResultFile, header: str, start: int, count: int, wide: bool) -> Iterator[str]:
        yield header
        if count:
            store = self._org.store
            with store.wide_operation() if wide else nullcontext(), store.read() as cur:
                yield from result.text_chunks(cur, start, count)


def _jobs(request: Request) -> QueryJobs:
    return request.app.state.org.query_jobs


@router.post("/services/data/v{version}/jobs/query")
async def create_query_job(version: str, request: Request, session: Session = Depends(require_session)):
    body = await read_json_body(request)
    job = _jobs(request).create(body, version, session.user_id, request.url.path)
    return JSONResponse(job.info(detailed=False))


@router.get("/services/data/v{version}/jobs/query")
def list_query_jobs(version: str, request: Request, session: Session = Depends(require_session)):
    records = [job.info(detailed=False) for job in _jobs(request).all()]
    return JSONResponse({"done": True, "records": records, "nextRecordsUrl": None})


@router.get("/services/data/v{version}/jobs/query/{job_id}")
def get_query_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    return JSONResponse(_jobs(request).get(job_id).info(detailed=True))


@router.patch("/services/data/v{version}/jobs/query/{job_id}")
async def abort_query_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    body = await read_json_body(request)
    if body.get("state") != "Aborted":
        raise SalesforceError(400, "INVALIDJOBSTATE", f"Invalid job state for a query job: {body.get('state')}")
    return JSONResponse(_jobs(request).abort(job_id).info(detailed=False))


@router.delete("/services/data/v{version}/jobs/query/{job_id}")
def delete_query_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    _jobs(request).delete(job_id)
    return Response(status_code=204)


@router.get("/services/data/v{version}/jobs/query/{job_id}/results")
def query_job_results(
    version: str, job_id: str, request: Request, locator: str | None = None, maxRecords: str | None = None,
    session: Session = Depends(require_session),
):
    if maxRecords is not None and not maxRecords.isdigit():
        raise SalesforceError(400, "INVALIDJOB", f"Invalid maxRecords: {maxRecords}")
    count, next_locator, chunks = _jobs(request).page(
        job_id, locator if locator not in (None, "", "null") else None, int(maxRecords) if maxRecords else None,
        request.url.path,
    )
    return StreamingResponse(
        chunks, media_type="text/csv; charset=UTF-8",
        headers={"Sforce-NumberOfRecords": str(count), "Sforce-Locator": next_locator},
    )
