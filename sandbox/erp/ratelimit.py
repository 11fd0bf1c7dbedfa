"""A sliding-window rate limit per key (the REST API uses the bearer token): N requests per window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

DEFAULT_REQUESTS_PER_SECOND = 20


class RateLimiter:
    def __init__(self, requests: int = DEFAULT_REQUESTS_PER_SECOND, per_seconds: float = 1.0, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}
        self.configure(requests, per_seconds)

    def configure(self, requests: int, per_seconds: float = 1.0) -> None:
        if requests < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")
        with self._lock:
            self.requests, self.per_seconds = int(requests), float(per_seconds)
            self._seen.clear()

    def acquire(self, key: str) -> int | None:
        """Count a request; None when allowed, else the whole seconds to wait (the ``Retry-After`` value)."""
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.per_seconds:
                seen.popleft()
            if len(seen) >= self.requests:
                return max(1, math.ceil(seen[0] + self.per_seconds - now))
            seen.append(now)
            return None
