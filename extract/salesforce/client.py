"""An authenticated Salesforce org and every HTTP call made to it.

One place decides, for every call: the timeouts (no call can hang on a stalled socket), the CA to trust, whether an
error is transient (429, 5xx, dropped connections, UNABLE_TO_LOCK_ROW, an expired session: retried here with
exponential backoff and jitter through tenacity, after a re-login for an expired session) or permanent
(INVALID_FIELD, MALFORMED_QUERY, ...: raised at once), what the org's ``Sforce-Limit-Info`` says about the daily
API budget (the reserve is never spent), and how many calls and retries a piece of work cost.

Login goes through simple-salesforce (SOAP, OAuth password, client credentials or JWT, chosen by which
credentials are set), with this module's session, timeouts and retries.
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from extract.errors import (
    BudgetExhaustedError,
    PermanentApiError,
    QueryTimeoutError,
    SalesforceApiError,
    SalesforceLoginError,
    SalesforceUnavailableError,
)
from extract.salesforce.credentials import SalesforceCredentials

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 16  # 64 KiB: what a streamed body costs in Python memory on its way to disk
TRANSIENT_ERROR_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"})
TRANSIENT_LOGIN_CODES = frozenset({"SERVER_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "UNKNOWN_EXCEPTION"})
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
# The connection failed, stalled or broke off mid-answer: worth another attempt.
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per call, backoff (exponential with full jitter) and socket timeouts."""

    attempts: int = 6
    wait_initial_s: float = 0.5
    wait_max_s: float = 30.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0


@dataclass
class CallStats:
    """What the calls of one piece of work cost. ``api_usage`` is the org's own count (Sforce-Limit-Info)."""

    api_calls: int = 0
    retries: int = 0
    relogins: int = 0
    api_used: int | None = None
    api_max: int | None = None
    errors: list[str] = field(default_factory=list)

    def copy(self) -> "CallStats":
        return CallStats(self.api_calls, self.retries, self.relogins, self.api_used, self.api_max, list(self.errors))

    def since(self, earlier: "CallStats") -> "CallStats":
        return CallStats(
            self.api_calls - earlier.api_calls, self.retries - earlier.retries, self.relogins - earlier.relogins,
            self.api_used, self.api_max, self.errors[len(earlier.errors):],
        )


class _Transient(Exception):
    """A failure worth retrying; ``error`` is what to raise once the retries are spent."""

    def __init__(self, error: Exception, retry_after: float | None = None, relogin: bool = False):
        super().__init__(str(error))
        self.error, self.retry_after, self.relogin = error, retry_after, relogin


class OrgHttpSession(requests.Session):
    """A requests session whose every call has a connect and read timeout and, when given, trusts ``ca_bundle``.

    ``verify`` is passed per call on purpose: requests lets REQUESTS_CA_BUNDLE override ``Session.verify``.
    """

    def __init__(self, timeout: tuple[float, float], ca_bundle: str | None):
        super().__init__()
        self._default_timeout = timeout
        self._ca_bundle = ca_bundle

    def request(self, method, url, **kwargs):  # noqa: D102 - requests' signature
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._default_timeout
        if self._ca_bundle and kwargs.get("verify") is None:
            kwargs["verify"] = self._ca_bundle
        return super().request(method, url, **kwargs)


def readable(text: str, limit: int = 500) -> str:
    """A server's answer for a log line: an HTML page reduced to its text, whitespace collapsed, cut short."""
    if "<" in text and ">" in text:
        text = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", text)
        text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(text).split())[:limit]


def error_details(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) of a Salesforce error response, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP_{response.status_code}", readable(response.text or "") or response.reason or ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        codes = "; ".join(str(e.get("errorCode")) for e in body)
        return codes if len(body) > 1 else str(first.get("errorCode")), "; ".join(str(e.get("message")) for e in body)
    if isinstance(body, dict):
        return str(body.get("errorCode") or body.get("error") or f"HTTP_{response.status_code}"), str(
            body.get("message") or body.get("error_description") or body)
    return f"HTTP_{response.status_code}", str(body)[:500]


def classify(response: requests.Response, doing: str) -> Exception:
    """The exception an error response stands for (``_Transient`` when a retry may succeed)."""
    code, message = error_details(response)
    status = response.status_code
    if status == 401 and "INVALID_SESSION_ID" in code:
        return _Transient(SalesforceApiError(doing, status, code, message), relogin=True)
    if status == 429 or status >= 500 or code in TRANSIENT_ERROR_CODES:
        retry_after = response.headers.get("Retry-After")
        return _Transient(SalesforceApiError(doing, status, code, message),
                          retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED" and "ConcurrentPerOrgLongTxn" in message:
        return _Transient(SalesforceApiError(doing, status, code, message), retry_after=1.0)
    if code == "QUERY_TIMEOUT":
        return QueryTimeoutError(doing, status, code, message)
    return PermanentApiError(doing, status, code, message)


class SalesforceClient:
    """A logged-in org. Every call goes through ``request`` (or ``download``), which retries what is transient."""

    def __init__(self, credentials: SalesforceCredentials, retry: RetryPolicy | None = None,
                 reserve_share: float = 0.2, *, login: bool = True):
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.reserve_share = reserve_share
        self.stats = CallStats()
        self.http = OrgHttpSession((self.retry.connect_timeout_s, self.retry.read_timeout_s), credentials.ca_bundle)
        self.instance_url = ""
        self.api_version = credentials.version
        self._token = ""
        if login:
            self.login()

    def clone(self) -> "SalesforceClient":
        """A client of its own (HTTP session, call counts) on the same login, for another thread."""
        twin = SalesforceClient(self.credentials, self.retry, self.reserve_share, login=False)
        twin.instance_url, twin.api_version, twin._token = self.instance_url, self.api_version, self._token
        twin.stats.api_used, twin.stats.api_max = self.stats.api_used, self.stats.api_max
        return twin

    # --- login ---------------------------------------------------------------------------------------------------
    def login(self) -> None:
        """Log in (again), retrying transient failures; SalesforceLoginError when the org refuses for good."""
        from simple_salesforce import Salesforce
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed

        creds = self.credentials
        doing = f"log in to {creds.org_url}"

        def attempt():
            try:
                return Salesforce(session=self.http, **creds.simple_salesforce_kwargs())
            except SalesforceAuthenticationFailed as exc:
                code, message = str(exc.code), readable(exc.auth_message or "")
                if self._login_failure_is_transient(code, message):
                    who = f"user {creds.username!r}" if creds.username else "the connection's client credentials"
                    raise _Transient(SalesforceUnavailableError(
                        f"Salesforce login to {creds.org_url} as {who} failed: {code}: {message[:500]}"))
                raise SalesforceLoginError(creds.org_url, creds.username, code, message[:500]) from None
            except requests.exceptions.SSLError as exc:
                raise SalesforceLoginError(
                    creds.org_url, creds.username, "TLS_ERROR",
                    f"{exc} (trust the org's CA: set REQUESTS_CA_BUNDLE or the connection's ca_bundle)") from None
            except TRANSPORT_ERRORS as exc:
                raise _Transient(SalesforceUnavailableError(f"could not {doing}: {type(exc).__name__}: {exc}"))

        sf = self._with_retries(attempt, doing)
        self.instance_url = f"https://{sf.sf_instance}"
        self.api_version = sf.sf_version
        self._token = sf.session_id

    @staticmethod
    def _login_failure_is_transient(code: str, message: str) -> bool:
        if code.isdigit():  # not a SOAP fault / OAuth error: the HTTP status of a page in front of the org
            return int(code) == 429 or int(code) >= 500
        return code in TRANSIENT_LOGIN_CODES or "unavailable" in message.lower()

    # --- calls ---------------------------------------------------------------------------------------------------
    @property
    def data_url(self) -> str:
        return f"{self.instance_url}/services/data/v{self.api_version}"

    def url(self, path: str) -> str:
        """An absolute URL for a path under the data API (``/sobjects``), the instance (``/services/...``) or as is."""
        if path.startswith("https://"):
            return path
        if path.startswith("/services/"):
            return self.instance_url + path
        return self.data_url + path

    def request(self, method: str, path: str, *, doing: str, params=None, json=None,
                headers: dict | None = None, ok: tuple[int, ...] = (200, 201, 204)) -> requests.Response:
        """One API call, retried while transient; the response of a success, or the classified error."""

        def attempt() -> requests.Response:
            response = self._send(method, path, doing, params=params, json=json, headers=headers)
            if response.status_code in ok:
                return response
            raise classify(response, doing)

        return self._with_retries(attempt, doing)

    def get_json(self, path: str, *, doing: str, params=None) -> dict | list:
        return self.request("GET", path, doing=doing, params=params).json()

    def download(self, path: str, destination: Path, *, doing: str, params=None,
                 headers: dict | None = None) -> tuple[requests.structures.CaseInsensitiveDict, int]:
        """Stream a response body to ``destination`` in 64 KiB chunks; a dropped connection retries the whole call.

        Returns the response headers and the bytes written.
        """

        def attempt():
            response = self._send("GET", path, doing, params=params, headers=headers, stream=True)
            with response:
                if response.status_code != 200:
                    raise classify(response, doing)
                size = 0
                try:
                    with destination.open("wb") as out:
                        for chunk in response.iter_content(CHUNK_BYTES):
                            out.write(chunk)
                            size += len(chunk)
                except TRANSPORT_ERRORS as exc:
                    raise _Transient(SalesforceUnavailableError(
                        f"the connection dropped while {doing} after {size:,} bytes: {type(exc).__name__}: {exc}"))
                return response.headers, size

        return self._with_retries(attempt, doing)

    def _send(self, method: str, path: str, doing: str, **kwargs) -> requests.Response:
        self._check_api_budget(doing)
        headers = {"Authorization": f"Bearer {self._token}", **(kwargs.pop("headers", None) or {})}
        self.stats.api_calls += 1
        try:
            response = self.http.request(method, self.url(path), headers=headers, **kwargs)
        except requests.exceptions.SSLError:
            raise
        except TRANSPORT_ERRORS as exc:
            raise _Transient(SalesforceUnavailableError(f"could not {doing}: {type(exc).__name__}: {exc}"))
        self._note_limit_info(response.headers.get("Sforce-Limit-Info"))
        return response

    # --- budget --------------------------------------------------------------------------------------------------
    def _note_limit_info(self, value: str | None) -> None:
        match = _LIMIT_INFO.search(value or "")
        if match:
            self.stats.api_used, self.stats.api_max = int(match.group(1)), int(match.group(2))

    def _check_api_budget(self, doing: str) -> None:
        used, maximum = self.stats.api_used, self.stats.api_max
        if used is not None and maximum and used + 1 > maximum * (1 - self.reserve_share):
            raise BudgetExhaustedError("DailyApiRequests", used, maximum, self.reserve_share, doing)

    def check_limit(self, limits: dict, name: str, needed: int, doing: str) -> None:
        """Raise BudgetExhaustedError if spending ``needed`` of ``name`` (from ``/limits``) would touch the reserve."""
        entry = limits.get(name)
        if not entry:
            return
        maximum, remaining = int(entry["Max"]), int(entry["Remaining"])
        if remaining - needed < maximum * self.reserve_share:
            raise BudgetExhaustedError(name, maximum - remaining, maximum, self.reserve_share, doing)

    def limits(self) -> dict:
        """``/limits``, and the API usage it shows."""
        limits = self.get_json("/limits", doing="read the org's limits")
        api = limits.get("DailyApiRequests")
        if api:
            self.stats.api_used, self.stats.api_max = int(api["Max"]) - int(api["Remaining"]), int(api["Max"])
        return limits

    # --- retries -------------------------------------------------------------------------------------------------
    def _with_retries(self, attempt, doing: str):
        policy = self.retry
        backoff = wait_random_exponential(multiplier=policy.wait_initial_s, max=policy.wait_max_s)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception()
            if isinstance(error, _Transient) and error.retry_after is not None:
                return min(max(error.retry_after, 0.0), policy.wait_max_s)
            return backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception()
            self.stats.retries += 1
            self.stats.errors.append(f"{type(error.error).__name__}: {error.error}"[:500])
            log.warning("%s: attempt %d failed (%s); retrying in %.1fs", doing, state.attempt_number, error.error,
                        state.next_action.sleep if state.next_action else 0.0)
            if error.relogin:
                self.stats.relogins += 1
                self.login()

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient), stop=stop_after_attempt(policy.attempts), wait=wait,
            before_sleep=before_sleep, reraise=True, sleep=time.sleep,
        )
        try:
            return retrying(attempt)
        except _Transient as exc:  # still failing after the last attempt: the org is unavailable, say how
            raise SalesforceUnavailableError(f"{exc.error} (gave up after {policy.attempts} attempts)") from None
