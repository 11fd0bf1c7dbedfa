"""The org's rolling 24-hour allocations (API requests, Bulk jobs and batches, ingest records) and /limits."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict

from .clock import OrgClock

WINDOW = dt.timedelta(hours=24)
# Maxima of an Enterprise Edition org with 50 licences.
MAXIMUMS = {
    "DailyApiRequests": 150_000,
    "DailyBulkApiBatches": 15_000,
    "DailyBulkV2QueryJobs": 10_000,
    "DailyBulkV2QueryFileStorageMB": 976_562,
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


class OrgLimits:
    """Usage counted in one-minute buckets so that the 24-hour window rolls."""

    def __init__(self, clock: OrgClock):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[dt.datetime, int]] = defaultdict(dict)

    def consume(self, limit_name: str, amount: int = 1) -> None:
        minute = self._clock.now().replace(second=0)
        with self._lock:
            buckets = self._buckets[limit_name]
            buckets[minute] = buckets.get(minute, 0) + amount

    def used(self, limit_name: str) -> int:
        cutoff = self._clock.now() - WINDOW
        with self._lock:
            buckets = self._buckets[limit_name]
            for minute in [m for m in buckets if m <= cutoff]:
                del buckets[minute]
            return sum(buckets.values())

    def remaining(self, limit_name: str) -> int:
        return max(0, MAXIMUMS[limit_name] - self.used(limit_name))

    def usage_header(self) -> str:
        """The ``Sforce-Limit-Info`` header value; ``api-usage=`` must come first."""
        return f"api-usage={self.used('DailyApiRequests')}/{MAXIMUMS['DailyApiRequests']}"

    def snapshot(self) -> dict[str, dict[str, int]]:
        report = {name: {"Max": maximum, "Remaining": self.remaining(name)} for name, maximum in MAXIMUMS.items()}
        report.update({name: {"Max": maximum, "Remaining": maximum} for name, maximum in STATIC.items()})
        return dict(sorted(report.items()))
