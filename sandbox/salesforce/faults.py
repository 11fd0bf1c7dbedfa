"""Configured faults: rules that make matching calls or Bulk jobs fail the way real orgs do.

A rule names a ``kind``, an ``endpoint`` pattern (``fnmatch`` over the request path, e.g.
``/services/data/*/query*``; ``*`` = every path), an optional HTTP ``method``, and either a ``rate`` (probability
per matching call, 0..1, drawn from a seeded generator) or ``times`` (the next N matching calls), or neither
(every matching call until removed).

HTTP kinds act before the route runs (``delay`` and ``drop_connection`` act around it):

============================  =====================================================================================
``http_429``                  429 ``REQUEST_LIMIT_EXCEEDED`` with ``Retry-After``
``http_503``                  503 ``SERVER_UNAVAILABLE``
``request_limit_exceeded``    403 ``REQUEST_LIMIT_EXCEEDED`` "TotalRequests Limit exceeded."
``invalid_session``           the caller's token is expired, then 401 ``INVALID_SESSION_ID`` (a re-login works)
``query_timeout``             400 ``QUERY_TIMEOUT``
``delay``                     the call takes ``seconds`` longer (counts as a long-running request meanwhile)
``drop_connection``           the response starts, ``after_bytes`` of the body are sent, then the connection drops
============================  =====================================================================================

Job kinds are matched against the path of the call that creates the work (``POST .../jobs/query``,
``POST .../jobs/ingest``, ``POST /services/async/{v}/job/{id}/batch``):

============================  =====================================================================================
``job_failed``                the Bulk job (Bulk 1.0: the batch) ends ``Failed`` with ``message``
``unable_to_lock_row``        a ``row_rate`` share (default 0.1, at least one row) of the job's rows fails with
                              ``UNABLE_TO_LOCK_ROW``; the other rows are written
============================  =====================================================================================
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from dataclasses import asdict, dataclass

HTTP_KINDS = (
    "http_429", "http_503", "request_limit_exceeded", "invalid_session", "query_timeout", "delay", "drop_connection",
)
JOB_KINDS = ("job_failed", "unable_to_lock_row")
KINDS = HTTP_KINDS + JOB_KINDS
DEFAULT_JOB_FAILURE = "InternalServerError : The job failed because of an internal error (injected fault)"


@dataclass
class FaultRule:
    kind: str
    endpoint: str = "*"
    method: str | None = None
    rate: float | None = None
    times: int | None = None
    seconds: float = 1.0  # delay
    after_bytes: int = 64  # drop_connection
    row_rate: float = 0.1  # unable_to_lock_row
    message: str | None = None  # job_failed
    id: int = 0
    hits: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.endpoint) or fnmatch.fnmatchcase(path.rstrip("/"), self.endpoint)


def parse_rule(spec: dict) -> FaultRule:
    """A rule from a JSON-like mapping; ``ValueError`` on unknown kinds, keys or bad numbers."""
    allowed = {"kind", "endpoint", "method", "rate", "times", "seconds", "after_bytes", "row_rate", "message"}
    unknown = set(spec) - allowed
    if unknown:
        raise ValueError(f"unknown fault keys: {sorted(unknown)}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
    rule = FaultRule(
        kind=kind, endpoint=str(spec.get("endpoint") or "*"), method=spec.get("method"),
        rate=None if spec.get("rate") is None else float(spec["rate"]),
        times=None if spec.get("times") is None else int(spec["times"]),
        seconds=float(spec.get("seconds", 1.0)), after_bytes=int(spec.get("after_bytes", 64)),
        row_rate=float(spec.get("row_rate", 0.1)), message=spec.get("message"),
    )
    if rule.rate is not None and not 0 <= rule.rate <= 1:
        raise ValueError("rate must be between 0 and 1")
    if rule.times is not None and rule.times < 0:
        raise ValueError("times must be >= 0")
    if not 0 < rule.row_rate <= 1:
        raise ValueError("row_rate must be in (0, 1]")
    return rule


def parse_option(text: str) -> list[FaultRule]:
    """``--extra faults=...``: rules separated by ``;``, each ``kind@endpoint`` plus ``,key=value`` pairs, e.g.
    ``http_503@/services/data/*/query*,times=2;job_failed@*/jobs/query,rate=0.5``."""
    rules = []
    for chunk in filter(None, (part.strip() for part in text.split(";"))):
        head, *pairs = chunk.split(",")
        kind, _, endpoint = head.partition("@")
        spec: dict = {"kind": kind.strip(), "endpoint": endpoint.strip() or "*"}
        for pair in pairs:
            key, _, value = pair.partition("=")
            spec[key.strip()] = value.strip()
        rules.append(parse_rule(spec))
    return rules


class Faults:
    """The org's fault rules (``org.faults``). Thread-safe; every decision is counted in ``rule.hits``."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, kind: str | None = None, endpoint: str = "*", **options) -> FaultRule:
        """Add a rule: ``org.faults.add("http_503", "/services/data/*/query*", times=3)``; or pass a ``FaultRule``
        or a mapping as ``kind``."""
        if isinstance(kind, FaultRule):
            rule = kind
        elif isinstance(kind, dict):
            rule = parse_rule(kind)
        else:
            rule = parse_rule({"kind": kind, "endpoint": endpoint, **options})
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, kinds: tuple[str, ...], method: str, path: str) -> FaultRule | None:
        """The first rule of one of ``kinds`` that fires for this call (consuming one of its ``times``)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind not in kinds or not rule.matches(method, path):
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                rule.hits += 1
                return rule
        return None

    def job_fault(self, method: str, path: str) -> JobFault:
        """The job-level faults that apply to work created by this call."""
        failed = self.take(("job_failed",), method, path)
        locked = self.take(("unable_to_lock_row",), method, path)
        return JobFault(
            failure=(failed.message or DEFAULT_JOB_FAILURE) if failed else None,
            lock_row_rate=locked.row_rate if locked else 0.0,
        )


@dataclass(frozen=True)
class JobFault:
    failure: str | None = None
    lock_row_rate: float = 0.0

    def locked_rows(self, row_count: int) -> list[int]:
        """Input positions (0-based) that fail with UNABLE_TO_LOCK_ROW: evenly spread, at least one."""
        if not self.lock_row_rate or not row_count:
            return []
        rows = [i for i in range(row_count) if int((i + 1) * self.lock_row_rate) > int(i * self.lock_row_rate)]
        return rows or [0]


NO_JOB_FAULT = JobFault()
