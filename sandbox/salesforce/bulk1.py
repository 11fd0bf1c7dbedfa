"""Bulk API 1.0 with JSON content, as simple-salesforce's ``sf.bulk`` and Airflow's SalesforceBulkOperator use it:
``/services/async/{version}/job`` (create, get, close/abort), ``.../batch`` (add, list, get) and batch results.

Batches are processed while they are added (the job stays ``Open``), so clients never sleep between polls unless
the org's Bulk job latency floor is set. DML batches (insert, update, upsert, delete, hardDelete) go through the
same ``WriteBatch`` as Bulk 2.0 and REST; results come back in input order. Query batches (query, queryAll) take
raw SOQL and return one result set whose date/datetime values are epoch milliseconds, like real Bulk 1.0 JSON.
Errors use Bulk 1.0's ``{"exceptionCode", "exceptionMessage"}`` body.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import ids
from .auth import Session, require_session
from .bulk2_common import job_timestamp
from .errors import SalesforceError
from .faults import JobFault
from .formatting import RecordBuilder
from .limits import BULK1_BATCH_MAX_BYTES, BULK1_BATCH_MAX_RECORDS
from .query import compile_query
from .schema import get_object
from .writes import NULL_MARKER, BatchFailure, WriteBatch, fetch_results, resolve_columns, validate_external_id_field

if TYPE_CHECKING:
    from .org import SalesforceOrg

DML_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
EXCEPTION_CODES = {
    "INVALID_SESSION_ID": "InvalidSessionId", "NOT_FOUND": "InvalidJob", "LIMIT_EXCEEDED": "ExceededQuota",
    "REQUEST_LIMIT_EXCEEDED": "ExceededQuota", "JSON_PARSER_ERROR": "ClientInputError",
}

router = APIRouter()


def exception_body(error: SalesforceError) -> dict:
    code = EXCEPTION_CODES.get(error.error_code, error.error_code)
    if code.isupper():
        code = "".join(part.capitalize() for part in code.lower().split("_"))
    return {"exceptionCode": code, "exceptionMessage": error.message}


def _bulk1_error(code: str, message: str, status: int = 400) -> SalesforceError:
    return SalesforceError(status, code, message)


@dataclass
class Batch:
    id: str
    job_id: str
    created_date: str
    state: str = "Queued"
    state_message: str = ""
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    ready_at: float = 0.0
    results: list = field(default_factory=list)  # DML: row results; query: records
    result_id: str | None = None

    @property
    def visible_state(self) -> str:
        if self.state in ("Completed", "Failed") and time.monotonic() < self.ready_at:
            return "InProgress"
        return self.state

    def info(self) -> dict:
        return {
            "id": self.id, "jobId": self.job_id, "state": self.visible_state, "stateMessage": self.state_message,
            "createdDate": self.created_date, "systemModstamp": self.created_date,
            "numberRecordsProcessed": self.processed, "numberRecordsFailed": self.failed,
            "totalProcessingTime": self.processing_ms, "apiActiveProcessingTime": self.processing_ms,
            "apexProcessingTime": 0,
        }


@dataclass
class Bulk1Job:
    id: str
    operation: str
    object: str
    external_id_field: str | None
    concurrency_mode: str
    created_by: str
    created_date: str
    api_version: str
    state: str = "Open"
    batches: dict[str, Batch] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def info(self) -> dict:
        batches = list(self.batches.values())
        states = [b.visible_state for b in batches]
        body = {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": self.created_by,
            "createdDate": self.created_date, "systemModstamp": self.created_date, "state": self.state,
            "concurrencyMode": self.concurrency_mode, "contentType": "JSON",
            "numberBatchesQueued": states.count("Queued"), "numberBatchesInProgress": states.count("InProgress"),
            "numberBatchesCompleted": states.count("Completed"), "numberBatchesFailed": states.count("Failed"),
            "numberBatchesTotal": len(batches),
            "numberRecordsProcessed": sum(b.processed for b in batches), "numberRetries": 0,
            "apiVersion": float(self.api_version), "numberRecordsFailed": sum(b.failed for b in batches),
            "totalProcessingTime": sum(b.processing_ms for b in batches),
            "apiActiveProcessingTime": sum(b.processing_ms for b in batches), "apexProcessingTime": 0,
        }
        if self.external_id_field:
            body["externalIdFieldName"] = self.external_id_field
        return body


class Bulk1Jobs:
    def __init__(self, org: SalesforceOrg):
        self._org = org
        self._lock = threading.Lock()
        self._jobs: dict[str, Bulk1Job] = {}
        self._numbers = iter(range(1, 1 << 40))

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            number = next(self._numbers)
        return ids.make_id(prefix, int(time.time()) % 100_000 * 100_000 + number)

    def create(self, body: dict, version: str, user_id: str) -> Bulk1Job:
        operation = body.get("operation")
        if operation not in DML_OPERATIONS + QUERY_OPERATIONS:
            raise _bulk1_error("InvalidJob", f"Invalid operation: {operation}")
        access = self._org.access
        obj = access.object(str(body.get("object") or ""))
        if obj is None or not access.bulk_supported(obj):
            name = obj.name if obj is not None else body.get("object")
            raise _bulk1_error("InvalidEntity", f"Entity '{name}' is not supported by the Bulk API.")
        if (body.get("contentType") or "JSON") != "JSON":
            raise _bulk1_error("InvalidJob", "This sandbox serves Bulk API 1.0 with contentType JSON only")
        external_id = None
        if operation == "upsert":
            try:
                external_id = validate_external_id_field(obj, body.get("externalIdFieldName"), access).name
            except SalesforceError as error:
                raise _bulk1_error("InvalidJob", error.message.removeprefix("InvalidJob : "))
        mode = body.get("concurrencyMode", "Parallel")
        concurrency = {0: "Parallel", 1: "Serial", "0": "Parallel", "1": "Serial"}.get(mode, mode)
        if concurrency not in ("Parallel", "Serial"):
            raise _bulk1_error("InvalidJob", f"Invalid concurrency mode: {mode}")
        job = Bulk1Job(
            id=self._new_id("750"), operation=operation, object=obj.name, external_id_field=external_id,
            concurrency_mode=concurrency, created_by=user_id, created_date=job_timestamp(self._org.clock.now()),
            api_version=version,
        )
        with self._lock:
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Bulk1Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise _bulk1_error("InvalidJob", f"Unable to find job with id {job_id}")
        return job

    def batch(self, job_id: str, batch_id: str) -> Batch:
        batch = self.get(job_id).batches.get(batch_id)
        if batch is None:
            raise _bulk1_error("InvalidBatch", f"Unable to find batch with id {batch_id}")
        return batch

    def change_state(self, job_id: str, state: str) -> Bulk1Job:
        job = self.get(job_id)
        with job.lock:
            if state not in ("Closed", "Aborted"):
                raise _bulk1_error("InvalidJobState", f"Invalid state: {state}")
            if job.state != "Open":
                raise _bulk1_error("InvalidJobState", f"Job {job_id} is not open, its state is {job.state}")
            job.state = state
        return job

    def add_batch(self, job_id: str, raw: bytes, path: str) -> Batch:
        job = self.get(job_id)
        if job.state != "Open":
            raise _bulk1_error("InvalidJobState", f"Job {job_id} is not open, its state is {job.state}")
        if len(raw) > BULK1_BATCH_MAX_BYTES:
            raise _bulk1_error("InvalidBatch", f"Exceeded max size limit of {BULK1_BATCH_MAX_BYTES}")
        limits = self._org.limits
        limits.require_batches(1)
        batch = Batch(id=self._new_id("751"), job_id=job.id, created_date=job_timestamp(self._org.clock.now()))
        fault = self._org.faults.job_fault("POST", path)
        started = time.monotonic()
        try:
            if fault.failure:
                raise BatchFailure(fault.failure)
            if job.operation in QUERY_OPERATIONS:
                self._run_query(job, batch, raw.decode("utf-8", "replace"))
            else:
                self._run_dml(job, batch, raw, fault)
            batch.state = "Completed"
        except BatchFailure as failure:
            batch.state, batch.state_message = "Failed", str(failure)
        limits.consume("DailyBulkApiBatches")
        batch.processing_ms = int((time.monotonic() - started) * 1000)
        batch.ready_at = time.monotonic() + self._org.bulk_job_latency_seconds
        with job.lock:
            job.batches[batch.id] = batch
        return batch

    def _run_dml(self, job: Bulk1Job, batch: Batch, raw: bytes, fault: JobFault) -> None:
        try:
            records = json.loads(raw or b"[]")
        except ValueError as error:
            raise BatchFailure(f"InvalidBatch : Failed to parse JSON: {error}")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise BatchFailure("InvalidBatch : The batch must be a JSON array of records")
        if len(records) > BULK1_BATCH_MAX_RECORDS:
            raise BatchFailure(f"InvalidBatch : Records exceeds batch limit {BULK1_BATCH_MAX_RECORDS}")
        flat = [_flatten(record) for record in records]
        headers: list[str] = []
        for record in flat:
            headers += [name for name in record if name not in headers]
        obj = get_object(job.object)
        columns = resolve_columns(obj, headers, self._org.access)
        external_id = obj.field(job.external_id_field) if job.external_id_field else None
        rows = [[0] for _ in flat]
        for index, record in enumerate(flat):
            rows[index] = [index] + [record.get(name, "") for name in headers]
        with self._org.store.write() as cur:
            column_defs = "".join(f", c{i} VARCHAR" for i in range(len(headers)))
            cur.execute(f"CREATE OR REPLACE TEMP TABLE __stage (__row BIGINT{column_defs})")
            if rows:
                cur.executemany(f"INSERT INTO __stage VALUES (?{', ?' * len(headers)})", rows)
            WriteBatch(
                cur, "__stage", obj, job.operation, columns, external_id, self._org.clock.now(), job.created_by,
                locked_rows=fault.locked_rows(len(rows)),
            ).run()
            results = fetch_results(cur)
        batch.results = [
            {"success": r.error is None, "created": r.created, "id": r.record_id if r.error is None else None,
             "errors": [] if r.error is None else [
                 {"statusCode": r.error.code, "message": r.error.message, "fields": list(r.error.fields)}
             ]}
            for r in results
        ]
        batch.processed = len(results)
        batch.failed = sum(1 for r in results if r.error is not None)

    def _run_query(self, job: Bulk1Job, batch: Batch, soql: str) -> None:
        try:
            query = compile_query(soql, include_deleted=job.operation == "queryAll", now=self._org.clock.now(),
                                  bulk=True, access=self._org.access)
        except SalesforceError as error:
            raise BatchFailure(f"{error.error_code}: {error.message}")
        if query.object.name != job.object:
            raise BatchFailure(f"InvalidBatch : The query object {query.object.name} is not the job's {job.object}")
        with self._org.store.read() as cur:
            rows = cur.execute(query.body_sql(query.select_expressions())).fetchall()
        builder = RecordBuilder(query, job.api_version)
        timed = [c.key_path for c in query.columns if c.field.type in ("date", "datetime")]
        records = []
        for row in rows:
            record = builder.build(row)
            for key_path in timed:
                _to_epoch_ms(record, key_path)
            records.append(record)
        batch.results = records
        batch.result_id = self._new_id("752")
        batch.processed = len(records)


def _flatten(record: dict) -> dict[str, str]:
    """A Bulk 1.0 JSON record as raw text by column: ``None`` clears a field, nested parents become dotted."""
    flat = {}
    for name, value in record.items():
        if name == "attributes":
            continue
        if isinstance(value, dict):
            for child, child_value in value.items():
                if child != "attributes":
                    flat[f"{name}.{child}"] = _raw(child_value)
        else:
            flat[name] = _raw(value)
    return flat


def _raw(value) -> str:
    if value is None:
        return NULL_MARKER
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_epoch_ms(record: dict, key_path: tuple[str, ...]) -> None:
    node = record
    for key in key_path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return
    value = node.get(key_path[-1])
    if not isinstance(value, str):
        return
    if len(value) == 10:
        moment = dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
    else:
        moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    node[key_path[-1]] = int(moment.timestamp() * 1000)


def _jobs(request: Request) -> Bulk1Jobs:
    return request.app.state.org.bulk1_jobs


async def _json_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as error:
        raise _bulk1_error("ClientInputError", f"Failed to parse the request: {error}")
    if not isinstance(body, dict):
        raise _bulk1_error("ClientInputError", "The request body must be a JSON object")
    return body


@router.post("/services/async/{version}/job")
async def create_job(version: str, request: Request, session: Session = Depends(require_session)):
    job = _jobs(request).create(await _json_body(request), version, session.user_id)
    return JSONResponse(job.info(), status_code=201)


@router.get("/services/async/{version}/job/{job_id}")
def get_job(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    return JSONResponse(_jobs(request).get(job_id).info())


@router.post("/services/async/{version}/job/{job_id}")
async def change_job_state(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    body = await _json_body(request)
    return JSONResponse(_jobs(request).change_state(job_id, str(body.get("state"))).info())


@router.post("/services/async/{version}/job/{job_id}/batch")
async def add_batch(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    batch = _jobs(request).add_batch(job_id, await request.body(), request.url.path)
    return JSONResponse(batch.info(), status_code=201)


@router.get("/services/async/{version}/job/{job_id}/batch")
def list_batches(version: str, job_id: str, request: Request, session: Session = Depends(require_session)):
    return JSONResponse({"batchInfo": [b.info() for b in _jobs(request).get(job_id).batches.values()]})


@router.get("/services/async/{version}/job/{job_id}/batch/{batch_id}")
def get_batch(version: str, job_id: str, batch_id: str, request: Request,
              session: Session = Depends(require_session)):
    return JSONResponse(_jobs(request).batch(job_id, batch_id).info())


def _finished(batch: Batch) -> Batch:
    if batch.visible_state == "Failed":
        raise _bulk1_error("InvalidBatch", f"Batch {batch.id} failed: {batch.state_message}")
    if batch.visible_state != "Completed":
        raise _bulk1_error("InvalidBatch", f"Batch {batch.id} is not complete, its state is {batch.visible_state}")
    return batch


@router.get("/services/async/{version}/job/{job_id}/batch/{batch_id}/result")
def batch_result(version: str, job_id: str, batch_id: str, request: Request,
                 session: Session = Depends(require_session)):
    batch = _finished(_jobs(request).batch(job_id, batch_id))
    if batch.result_id is not None:
        return JSONResponse([batch.result_id])
    return JSONResponse(batch.results)


@router.get("/services/async/{version}/job/{job_id}/batch/{batch_id}/result/{result_id}")
def query_result(version: str, job_id: str, batch_id: str, result_id: str, request: Request,
                 session: Session = Depends(require_session)):
    batch = _finished(_jobs(request).batch(job_id, batch_id))
    if batch.result_id != result_id:
        raise _bulk1_error("InvalidBatch", f"Unable to find result with id {result_id}")
    return JSONResponse(batch.results)
