"""Bulk API 2.0 query jobs: create, wait with growing poll intervals, and stream every result page to a file.

No page is ever held in memory: each is written to disk in chunks as it arrives, handed to the caller, and deleted
once the caller is done with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extract.errors import BulkJobError
from extract.salesforce.api_errors import raise_for_salesforce_error
from extract.salesforce.connection import SalesforceSession

TERMINAL_STATES = {"JobComplete", "Failed", "Aborted"}
CHUNK_BYTES = 1 << 16  # 64 KiB: what a page costs in Python memory while it streams to disk


@dataclass(frozen=True)
class ResultPage:
    path: Path
    rows: int
    bytes: int
    number: int


class Bulk2QueryJob:
    def __init__(self, session: SalesforceSession, job_id: str):
        self.session = session
        self.job_id = job_id

    @property
    def url(self) -> str:
        return f"{self.session.data_url}/jobs/query/{self.job_id}"

    @classmethod
    def create(cls, session: SalesforceSession, soql: str, include_deleted: bool = False) -> "Bulk2QueryJob":
        response = session.http.post(
            f"{session.data_url}/jobs/query",
            json={
                "operation": "queryAll" if include_deleted else "query",
                "query": soql,
                "contentType": "CSV",
                "columnDelimiter": "COMMA",
                "lineEnding": "LF",
            },
            headers=session.headers(Accept="application/json"),
        )
        raise_for_salesforce_error(response, f"create a Bulk API 2.0 query job for: {soql[:200]}")
        return cls(session, response.json()["id"])

    def wait(self, timeout_s: float = 3600, first_poll_s: float = 0.05, max_poll_s: float = 5.0) -> dict:
        """Poll until the job is terminal; the interval doubles from first_poll_s up to max_poll_s."""
        deadline = time.monotonic() + timeout_s
        interval = first_poll_s
        while True:
            response = self.session.http.get(self.url, headers=self.session.headers())
            raise_for_salesforce_error(response, f"read the state of Bulk job {self.job_id}")
            info = response.json()
            if info["state"] in TERMINAL_STATES:
                if info["state"] != "JobComplete":
                    raise BulkJobError(
                        f"Bulk API 2.0 job {self.job_id} ended {info['state']}: {info.get('errorMessage', '')}"
                    )
                return info
            if time.monotonic() > deadline:
                raise BulkJobError(f"Bulk API 2.0 job {self.job_id} still {info['state']} after {timeout_s:.0f}s")
            time.sleep(interval)
            interval = min(interval * 2, max_poll_s)

    def download_pages(self, directory: Path, page_size: int) -> Iterator[ResultPage]:
        """Yield result pages as CSV files in `directory`; each file is removed when the caller moves on."""
        locator: str | None = None
        number = 0
        while True:
            params = {"maxRecords": page_size}
            if locator:
                params["locator"] = locator
            path = directory / f"{self.job_id}-{number:06d}.csv"
            with self.session.http.get(
                f"{self.url}/results", params=params, stream=True,
                headers=self.session.headers(Accept="text/csv"),
            ) as response:
                raise_for_salesforce_error(response, f"download results of Bulk job {self.job_id}")
                size = 0
                with path.open("wb") as out:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        out.write(chunk)
                        size += len(chunk)
                rows = int(response.headers["Sforce-NumberOfRecords"])
                locator = response.headers.get("Sforce-Locator")
            try:
                yield ResultPage(path=path, rows=rows, bytes=size, number=number)
            finally:
                path.unlink(missing_ok=True)
            number += 1
            if not locator or locator == "null":
                return
