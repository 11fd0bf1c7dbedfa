"""Bulk API 2.0 query jobs: create, wait, stream every result page to disk, abort and delete.

Each page download is one retried call (a dropped connection re-asks for the same locator, so a job resumes where
it stopped instead of starting over). The pages must add up to the job's ``numberRecordsProcessed``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extract.errors import BulkJobError, IncompleteResultError, PermanentApiError, QueryTimeoutError
from extract.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)

TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
# Result pages: the first holds at most FIRST_PAGE_ROWS rows, later ones about PAGE_BYTES of CSV (measured, see
# `make bench`), within [MIN_PAGE_ROWS, the caller's maxRecords cap].
PAGE_BYTES = 64 << 20
FIRST_PAGE_ROWS = 25_000
MIN_PAGE_ROWS = 1_000


@dataclass(frozen=True)
class ResultPage:
    path: Path
    rows: int  # as announced by Sforce-NumberOfRecords
    bytes: int
    number: int


class BulkNotSupportedError(PermanentApiError):
    """The org says Bulk API 2.0 cannot query this object (REST can)."""


def is_bulk_unsupported(error: PermanentApiError) -> bool:
    text = f"{error.error_code} {error.api_message}".lower()
    return "not supported by the bulk api" in text or "invalidentity" in text.replace("_", "")


class Bulk2QueryJob:
    def __init__(self, client: SalesforceClient, job_id: str, object_name: str = ""):
        self.client = client
        self.job_id = job_id
        self.object_name = object_name
        self.info: dict = {}

    @property
    def path(self) -> str:
        return f"/jobs/query/{self.job_id}"

    @classmethod
    def create(cls, client: SalesforceClient, soql: str, object_name: str,
               include_deleted: bool = True) -> "Bulk2QueryJob":
        try:
            response = client.request(
                "POST", "/jobs/query", doing=f"create a Bulk API 2.0 query job for {object_name}",
                json={"operation": "queryAll" if include_deleted else "query", "query": soql,
                      "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"},
                headers={"Accept": "application/json"},
            )
        except PermanentApiError as exc:
            if is_bulk_unsupported(exc):
                raise BulkNotSupportedError(exc.doing, exc.status, exc.error_code, exc.api_message) from None
            raise
        return cls(client, response.json()["id"], object_name)

    def wait(self, timeout_s: float = 3600, first_poll_s: float = 0.05, max_poll_s: float = 2.0) -> dict:
        """Poll until the job is terminal (the interval grows 1.5x from first_poll_s up to max_poll_s)."""
        deadline = time.monotonic() + timeout_s
        interval = first_poll_s
        while True:
            info = self.client.get_json(self.path, doing=f"read the state of Bulk job {self.job_id}")
            self.info = info
            state = info.get("state")
            if state in TERMINAL_STATES:
                if state != "JobComplete":
                    message = info.get("errorMessage") or ""
                    if "QUERY_TIMEOUT" in message.upper():
                        raise QueryTimeoutError(f"run Bulk job {self.job_id}", 400, "QUERY_TIMEOUT", message)
                    raise BulkJobError(f"Bulk API 2.0 job {self.job_id} ({self.object_name}) ended {state}: {message}")
                return info
            if time.monotonic() > deadline:
                raise BulkJobError(f"Bulk API 2.0 job {self.job_id} still {state} after {timeout_s:.0f}s")
            time.sleep(interval)
            interval = min(interval * 1.5, max_poll_s)

    @property
    def records_processed(self) -> int | None:
        value = self.info.get("numberRecordsProcessed")
        return int(value) if value is not None else None

    def pages(self, directory: Path, page_rows: int, page_bytes: int = PAGE_BYTES) -> Iterator[ResultPage]:
        """Yield result pages as CSV files in ``directory``; the caller deletes each when done with it.

        Pages are sized in bytes, not rows: the first asks for at most FIRST_PAGE_ROWS rows (landing starts early),
        each later one for about ``page_bytes`` at the bytes per row seen so far, never more than ``page_rows``
        (the maxRecords cap). Narrow rows then come in few large pages (fewer calls and landing statements), wide
        ones in pages whose size on disk stays bounded.

        Raises IncompleteResultError when the pages add up to fewer rows than the job processed.
        """
        locator: str | None = None
        number = announced = received_bytes = 0
        max_records = max(1, min(page_rows, FIRST_PAGE_ROWS))
        while True:
            params = {"maxRecords": max_records}
            if locator:
                params["locator"] = locator
            path = directory / f"{self.job_id}-{number:06d}.csv"
            headers, size = self.client.download(
                f"{self.path}/results", path, params=params, headers={"Accept": "text/csv"},
                doing=f"download page {number} of Bulk job {self.job_id} ({self.object_name})",
            )
            rows = int(headers.get("Sforce-NumberOfRecords", -1))
            if rows < 0:
                raise IncompleteResultError(f"page {number} of Bulk job {self.job_id} has no Sforce-NumberOfRecords")
            announced += rows
            received_bytes += size
            locator = headers.get("Sforce-Locator")
            if announced > 0:
                per_row = max(received_bytes / announced, 1.0)
                max_records = max(1, min(page_rows, max(MIN_PAGE_ROWS, int(page_bytes / per_row))))
            yield ResultPage(path=path, rows=rows, bytes=size, number=number)
            number += 1
            if not locator or locator == "null":
                break
        expected = self.records_processed
        if expected is not None and announced != expected:
            raise IncompleteResultError(
                f"Bulk job {self.job_id} ({self.object_name}) processed {expected:,} records but its result pages "
                f"hold {announced:,}: the result is incomplete"
            )

    def abort(self) -> None:
        """Abort the job if it is still running, then delete it. Best effort: never masks the caller's error."""
        try:
            info = self.client.get_json(self.path, doing=f"read Bulk job {self.job_id}")
            if info.get("state") not in TERMINAL_STATES:
                self.client.request("PATCH", self.path, json={"state": "Aborted"},
                                    doing=f"abort Bulk job {self.job_id}")
                log.info("aborted Bulk job %s (%s)", self.job_id, self.object_name)
        except Exception as exc:  # e.g. it finished meanwhile (INVALIDJOBSTATE): deleting it is still right
            log.warning("could not abort Bulk job %s: %s", self.job_id, exc)
        try:
            self.delete()
        except Exception as exc:
            log.warning("could not delete Bulk job %s: %s", self.job_id, exc)

    def delete(self) -> None:
        """Delete the job and its stored results (Salesforce keeps them for days otherwise)."""
        self.client.request("DELETE", self.path, doing=f"delete Bulk job {self.job_id}", ok=(200, 204, 404))
