"""The org's rolling 24-hour allocations, their enforcement, concurrent long-running requests, and /limits.

Maxima default to an Enterprise Edition org and can be lowered per org (``--extra limit_DailyApiRequests=20``, or
``org.limits.set_max("DailyApiRequests", 20)``) so tests reach them with a handful of calls.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping

from .clock import OrgClock
from .errors import SalesforceError

WINDOW = dt.timedelta(hours=24)
# Maxima of an Enterprise Edition org with 50 licences.
MAXIMUMS = {
    "DailyApiRequests": 150_000,
    "DailyBulkApiBatches": 15_000,
    "DailyBulkV2QueryJobs": 10_000,
    "DailyBulkV2QueryFileStorageMB": 976_562,
    "DailyBulkV2IngestRecords": 150_000_000,  # not a key real orgs list; the 150M records/24 h ingest allocation
    "DailyAsyncApexExecutions": 250_000,
    "DataStorageMB": 1_024,
    "FileStorageMB": 10_240,
}
# Static allocations that no API call here consumes, reported with Remaining == Max.
STATIC = {
    "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentSyncReportRuns": 20,
    "DailyStreamingApiEvents": 1_000_000,
    "HourlyTimeBasedWorkflow": 1_000,
    "SingleEmail": 5_000,
}
# Settings that are not rolling counters.
CONCURRENT_LONG_RUNNING_MAX = 25
LONG_RUNNING_SECONDS = 20.0
MAX_UPLOAD_MB = 150.0  # per Bulk 2.0 upload, measured after base64 encoding (4/3 of the raw size)
BULK1_BATCH_MAX_BYTES = 10_000_000
BULK1_BATCH_MAX_RECORDS = 10_000

_ID_SEGMENT = re.compile(r"/[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?(?=/|$)")


def endpoint_key(method: str, path: str) -> str:
    """``GET /services/data/v59.0/jobs/query/{id}/results``: a path with record/job ids replaced."""
    return f"{method} {_ID_SEGMENT.sub('/{id}', path)}"


class OrgLimits:
    """Usage counted in one-minute buckets (org clock) so that the 24-hour window rolls."""

    def __init__(self, clock: OrgClock, options: Mapping[str, str] | None = None):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[dt.datetime, int]] = defaultdict(dict)
        self.maximums = dict(MAXIMUMS)
        self.concurrent_long_running_max = CONCURRENT_LONG_RUNNING_MAX
        self.long_running_seconds = LONG_RUNNING_SECONDS
        self.max_upload_mb = MAX_UPLOAD_MB
        self._in_flight: dict[int, float] = {}
        self._request_numbers = iter(range(1, 1 << 62))
        self.requests_by_endpoint: Counter[str] = Counter()
        self.subrequests_by_endpoint: Counter[str] = Counter()  # composite subrequests (not API requests)
        self.rejections: Counter[str] = Counter()
        for key, value in (options or {}).items():
            if key.startswith("limit_"):
                self.set_max(key[len("limit_"):], float(value))

    # --- configuration ----------------------------------------------------------------------------------------

    def set_max(self, name: str, value: float) -> None:
        """Change a maximum: a rolling limit's name, ``ConcurrentLongRunningRequests``, ``LongRunningSeconds`` or
        ``MaxUploadMB``."""
        with self._lock:
            if name in self.maximums:
                self.maximums[name] = int(value)
            elif name == "ConcurrentLongRunningRequests":
                self.concurrent_long_running_max = int(value)
            elif name == "LongRunningSeconds":
                self.long_running_seconds = float(value)
            elif name == "MaxUploadMB":
                self.max_upload_mb = float(value)
            else:
                raise KeyError(f"unknown limit {name!r}")

    def reset(self) -> None:
        """Forget all usage (maxima stay)."""
        with self._lock:
            self._buckets.clear()
            self.requests_by_endpoint.clear()
            self.subrequests_by_endpoint.clear()
            self.rejections.clear()

    # --- counting ---------------------------------------------------------------------------------------------

    def consume(self, limit_name: str, amount: int = 1) -> None:
        minute = self._clock.now().replace(second=0)
        with self._lock:
            buckets = self._buckets[limit_name]
            buckets[minute] = buckets.get(minute, 0) + amount

    def used(self, limit_name: str) -> int:
        now = self._clock.now()
        cutoff = now - WINDOW
        with self._lock:
            buckets = self._buckets[limit_name]
            # the window is (now - 24 h, now]: usage stamped "in the future" (while the clock was moved ahead)
            # only counts once the clock reaches it again
            for minute in [m for m in buckets if m <= cutoff]:
                del buckets[minute]
            return sum(amount for minute, amount in buckets.items() if minute <= now)

    def remaining(self, limit_name: str) -> int:
        return max(0, self.maximums[limit_name] - self.used(limit_name))

    def check(self, limit_name: str, amount: int = 1) -> bool:
        """Whether ``amount`` more fit in the rolling window."""
        return self.used(limit_name) + amount <= self.maximums[limit_name]

    # --- enforcement ------------------------------------------------------------------------------------------

    def consume_api_request(self, method: str, path: str) -> None:
        """One API request: 403 REQUEST_LIMIT_EXCEEDED once DailyApiRequests is used up (the refused call is not
        counted, as in Salesforce)."""
        if not self.check("DailyApiRequests"):
            self._reject("DailyApiRequests")
            raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.consume("DailyApiRequests")
        with self._lock:
            self.requests_by_endpoint[endpoint_key(method, path)] += 1

    def count_subrequest(self, method: str, path: str) -> None:
        """A composite subrequest: listed per endpoint, not counted against DailyApiRequests (the composite call
        itself was)."""
        with self._lock:
            self.subrequests_by_endpoint[endpoint_key(method, path)] += 1

    def consume_query_job(self) -> None:
        if not self.check("DailyBulkV2QueryJobs"):
            self._reject("DailyBulkV2QueryJobs")
            raise SalesforceError(
                400, "LIMIT_EXCEEDED",
                f"ExceededQuota : Max number of Bulk API 2.0 query jobs in 24 hours exceeded "
                f"({self.maximums['DailyBulkV2QueryJobs']})",
            )
        self.consume("DailyBulkV2QueryJobs")

    def require_batches(self, batches: int = 1) -> None:
        if not self.check("DailyBulkApiBatches", batches):
            self._reject("DailyBulkApiBatches")
            raise SalesforceError(
                400, "LIMIT_EXCEEDED",
                f"ExceededQuota : Max number of batches in 24 hours exceeded ({self.maximums['DailyBulkApiBatches']})",
            )

    def require_ingest_records(self, records: int = 1) -> None:
        if not self.check("DailyBulkV2IngestRecords", records):
            self._reject("DailyBulkV2IngestRecords")
            raise SalesforceError(
                400, "LIMIT_EXCEEDED",
                f"ExceededQuota : Max number of records ingested in 24 hours exceeded "
                f"({self.maximums['DailyBulkV2IngestRecords']})",
            )

    def check_upload_size(self, raw_bytes: int) -> None:
        encoded_mb = raw_bytes * 4 / 3 / (1024 * 1024)
        if encoded_mb > self.max_upload_mb:
            self._reject("MaxUploadMB")
            raise SalesforceError(
                413, "REQUEST_ENTITY_TOO_LARGE",
                f"The upload is {encoded_mb:.1f} MB after base64 encoding; the maximum per upload is "
                f"{self.max_upload_mb:g} MB",
            )

    def _reject(self, name: str) -> None:
        with self._lock:
            self.rejections[name] += 1

    # --- concurrent long-running requests ---------------------------------------------------------------------

    def enter_request(self) -> int:
        """Register an in-flight data request; 403 when ``concurrent_long_running_max`` requests have already run
        for ``long_running_seconds`` or more."""
        now = time.monotonic()
        with self._lock:
            long_running = sum(1 for started in self._in_flight.values()
                               if now - started >= self.long_running_seconds)
            if long_running >= self.concurrent_long_running_max:
                self.rejections["ConcurrentLongRunningRequests"] += 1
                raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
            number = next(self._request_numbers)
            self._in_flight[number] = now
            return number

    def leave_request(self, number: int) -> None:
        with self._lock:
            self._in_flight.pop(number, None)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    # --- reporting --------------------------------------------------------------------------------------------

    def usage_header(self) -> str:
        """The ``Sforce-Limit-Info`` header value; ``api-usage=`` must come first."""
        return f"api-usage={self.used('DailyApiRequests')}/{self.maximums['DailyApiRequests']}"

    def snapshot(self) -> dict[str, dict[str, int]]:
        report = {name: {"Max": maximum, "Remaining": self.remaining(name)} for name, maximum in self.maximums.items()}
        report.update({name: {"Max": maximum, "Remaining": maximum} for name, maximum in STATIC.items()})
        return dict(sorted(report.items()))

    def usage(self) -> dict:
        """What the control API reports: used/max per rolling limit, settings, per-endpoint calls, refusals."""
        with self._lock:
            by_endpoint = dict(sorted(self.requests_by_endpoint.items()))
            subrequests = dict(sorted(self.subrequests_by_endpoint.items()))
            rejections = dict(self.rejections)
        return {
            "limits": {name: {"Max": m, "Used": self.used(name), "Remaining": self.remaining(name)}
                       for name, m in self.maximums.items()},
            "concurrent_long_running_max": self.concurrent_long_running_max,
            "long_running_seconds": self.long_running_seconds,
            "max_upload_mb": self.max_upload_mb,
            "in_flight_requests": self.in_flight(),
            "requests_by_endpoint": by_endpoint,
            "composite_subrequests_by_endpoint": subrequests,
            "rejections": rejections,
        }
