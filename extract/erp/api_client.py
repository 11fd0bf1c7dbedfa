"""The ERP's REST API: one requests session with a Bearer token, timeouts on every call, and retries.

Transient failures (429, 5xx, dropped or stalled connections) are retried through tenacity: a 429 waits what its
``Retry-After`` says (capped at ``api_wait_max_s``), the rest back off exponentially with jitter. A 401/403 (bad
token) and a 400 (a bad parameter) are permanent: raised at once. The token is never logged nor shown in a repr.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extract.erp.options import ErpOptions
from extract.errors import ExtractError, PermanentError

log = logging.getLogger(__name__)

TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass(frozen=True)
class ErpApiConfig:
    base_url: str  # e.g. http://127.0.0.1:8123 (the paths /v1/... are appended)
    token: str = field(repr=False)


class ErpApiError(ExtractError):
    """The ERP API kept failing with transient errors after every retry."""


class ErpApiRefusedError(PermanentError):
    """The ERP API refused the request itself (bad token, bad parameter): retrying cannot help."""

    def __init__(self, path: str, status: int, error: str, message: str):
        self.status, self.error = status, error
        super().__init__(f"the ERP API refused GET {path}: HTTP {status} {error}: {message}")


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ApiStats:
    api_calls: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers waited out

    def copy(self) -> "ApiStats":
        return ApiStats(self.api_calls, self.retries, self.rate_limited)

    def since(self, earlier: "ApiStats") -> "ApiStats":
        return ApiStats(self.api_calls - earlier.api_calls, self.retries - earlier.retries,
                        self.rate_limited - earlier.rate_limited)


class ErpApiClient:
    def __init__(self, config: ErpApiConfig, options: ErpOptions | None = None):
        self.config = config
        self.options = options or ErpOptions()
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {config.token}", "Accept": "application/json"})
        self.stats = ApiStats()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "ErpApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, path: str, params: dict) -> dict:
        """GET ``base_url + path`` as JSON, retrying transient failures."""
        options = self.options
        backoff = wait_random_exponential(multiplier=options.api_wait_initial_s, max=options.api_wait_max_s)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Transient) and error.retry_after is not None:
                return min(max(error.retry_after, 0.0), options.api_wait_max_s)
            return backoff(state)

        def before_sleep(state: RetryCallState) -> None:
            self.stats.retries += 1
            log.warning("ERP API GET %s %s: %s; attempt %d of %d, retrying in %.1fs", path, params,
                        state.outcome.exception(), state.attempt_number, options.api_attempts,
                        state.next_action.sleep if state.next_action else 0.0)

        retrying = Retrying(stop=stop_after_attempt(options.api_attempts), wait=wait, before_sleep=before_sleep,
                            retry=retry_if_exception_type(_Transient), reraise=True)
        try:
            return retrying(self._get_once, path, params)
        except _Transient as error:
            raise ErpApiError(f"the ERP API at {self.config.base_url} kept failing on GET {path} after "
                              f"{options.api_attempts} attempts: {error}") from None

    def _get_once(self, path: str, params: dict) -> dict:
        self.stats.api_calls += 1
        url = self.config.base_url.rstrip("/") + path
        try:
            response = self.session.get(url, params=params, timeout=(self.options.api_connect_timeout_s,
                                                                     self.options.api_read_timeout_s))
        except TRANSPORT_ERRORS as error:
            raise _Transient(f"{type(error).__name__}: {error}") from None
        if response.status_code == 429:
            self.stats.rate_limited += 1
            header = response.headers.get("Retry-After", "")
            retry_after = float(header) if header.replace(".", "", 1).isdigit() else None
            raise _Transient(f"HTTP 429 rate limited (Retry-After {header or '-'})", retry_after)
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise ErpApiRefusedError(path, response.status_code, str(body.get("error", "error")),
                                     str(body.get("message", response.text[:200])))
        try:
            return response.json()
        except ValueError:
            raise _Transient(f"HTTP {response.status_code} with a body that is not JSON: "
                             f"{response.text[:200]!r}") from None
