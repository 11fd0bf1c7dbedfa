"""Scripted faults of the fake Hightouch API: HTTP errors on an endpoint, runs that end failed, slow runs.

    faults.http_error("trigger", status=503, times=2)   # the next 2 triggers answer 503
    faults.fail_runs(times=1, error="Destination rejected the batch")
    faults.slow_runs(seconds=5)                          # runs stay 'processing' this long before finishing
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ENDPOINTS = ("trigger", "list_syncs", "get_sync", "list_runs")


@dataclass
class _HttpError:
    endpoint: str
    status: int
    remaining: int


class HightouchFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http: list[_HttpError] = []
        self._failed_runs: list[str] = []
        self.run_delay_seconds = 0.0

    def http_error(self, endpoint: str, status: int = 500, times: int = 1) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown Hightouch endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        with self._lock:
            self._http.append(_HttpError(endpoint, status, times))

    def fail_runs(self, times: int = 1, error: str = "Sync failed: injected fault") -> None:
        with self._lock:
            self._failed_runs.extend([error] * times)

    def slow_runs(self, seconds: float) -> None:
        self.run_delay_seconds = seconds

    def clear(self) -> None:
        with self._lock:
            self._http.clear()
            self._failed_runs.clear()
            self.run_delay_seconds = 0.0

    def take_http_error(self, endpoint: str) -> int | None:
        """The status to answer this call with, consuming one scripted error; None when the call goes through."""
        with self._lock:
            for fault in self._http:
                if fault.endpoint == endpoint and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault.status
        return None

    def take_run_failure(self) -> str | None:
        with self._lock:
            return self._failed_runs.pop(0) if self._failed_runs else None
