"""Configured faults: rules that make matching calls or Bulk jobs fail the way real orgs do.

A rule names a ``kind``, an ``endpoint`` pattern (``fnmatch`` over the request path, e.g.
``/services/data/*/query*``; ``*``, the default, = every data API path), an optional HTTP ``method``, and either a
``rate`` (probability per matching call, 0..1, drawn from a seeded generator) or ``times`` (the next N matching
calls), or neither (every matching call until removed). ``skip=N`` lets the first N matching calls that reach the
rule pass untouched before it starts firing (``skip=2, times=1``: only the 3rd call fails). Rules are tried in the
order they were added; the first that fires acts.

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

``http_429``, ``http_503``, ``delay`` and ``drop_connection`` also fire on the login endpoints
(``/services/Soap/u/*``, ``/services/oauth2/token``, ``/``) for a pattern that names them (``*`` alone does not):
the 429/503 answer there is an HTML error page, as an unavailable org's front end serves it (neither a SOAP fault nor
OAuth JSON), so simple-salesforce raises ``SalesforceAuthenticationFailed(503, <html>)``.

Page kinds act on ``GET .../jobs/query/{id}/results`` (pattern e.g. ``*/jobs/query/*/results``):

============================  =====================================================================================
``short_page``                the CSV body holds ``rows`` (default 1) fewer records than ``Sforce-NumberOfRecords``
                              announces: the page's last records are left out; the locator is unchanged, so they
                              are lost
``early_end``                 the page answers ``Sforce-Locator: null`` although records remain, so the pages add up
                              to fewer records than the job's ``numberRecordsProcessed``
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
LOGIN_KINDS = ("http_429", "http_503", "delay", "drop_connection")  # the HTTP kinds that also act on logins
JOB_KINDS = ("job_failed", "unable_to_lock_row")
PAGE_KINDS = ("short_page", "early_end")
KINDS = HTTP_KINDS + JOB_KINDS + PAGE_KINDS
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
    rows: int = 1  # short_page: records left out of the page
    skip: int = 0  # matching calls still to let through before the rule fires
    id: int = 0
    hits: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def matches(self, method: str, path: str, login: bool = False) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if login and self.endpoint == "*":  # "*" means every data API path; logins need a pattern naming them
            return False
        return fnmatch.fnmatchcase(path, self.endpoint) or fnmatch.fnmatchcase(path.rstrip("/") or "/", self.endpoint)


def parse_rule(spec: dict) -> FaultRule:
    """A rule from a JSON-like mapping; ``ValueError`` on unknown kinds, keys or bad numbers."""
    allowed = {
        "kind", "endpoint", "method", "rate", "times", "seconds", "after_bytes", "row_rate", "message", "rows", "skip",
    }
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
        rows=int(spec.get("rows", 1)), skip=int(spec.get("skip", 0)),
    )
    if rule.rate is not None and not 0 <= rule.rate <= 1:
        raise ValueError("rate must be between 0 and 1")
    if rule.times is not None and rule.times < 0:
        raise ValueError("times must be >= 0")
    if not 0 < rule.row_rate <= 1:
        raise ValueError("row_rate must be in (0, 1]")
    if rule.skip < 0:
        raise ValueError("skip must be >= 0")
    if rule.rows < 1:
        raise ValueError("rows must be >= 1")
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

    def take(self, kinds: tuple[str, ...], method: str, path: str, login: bool = False) -> FaultRule | None:
        """The first rule of one of ``kinds`` that fires for this call (consuming one of its ``skip`` or ``times``);
        ``login``: the call is a login (``*`` does not match it)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind not in kinds or not rule.matches(method, path, login):
                    continue
                if rule.times is not None and rule.times <= 0:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
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
