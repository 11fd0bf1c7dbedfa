"""The ERP's paged REST API (plain HTTP): product usage events (cursor paging) and payments (page numbers).

Every request needs ``Authorization: Bearer <ERP_API_TOKEN>`` (else 401) and counts against the token's rate limit
(else 429 with ``Retry-After``). Errors are JSON: ``{"error": <code>, "message": <text>}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from decimal import Decimal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .database import ErpDatabase
from .ratelimit import RateLimiter

MAX_LIMIT = 1000
MAX_PAGE_SIZE = 500
EPOCH = dt.datetime(1970, 1, 1)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


def create_erp_api(db: ErpDatabase, token: str, limiter: RateLimiter) -> FastAPI:
    app = FastAPI(title="ERP sandbox API", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.error, "message": error.message}, error.status, headers=error.headers)

    @app.middleware("http")
    async def authorize(request: Request, call_next):
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or given.strip() != token:
            return JSONResponse({"error": "unauthorized", "message": "missing or invalid bearer token"}, 401,
                                headers={"WWW-Authenticate": "Bearer"})
        wait = limiter.acquire(given.strip())
        if wait is not None:
            return JSONResponse(
                {"error": "rate_limited", "message": f"more than {limiter.requests} requests in "
                 f"{limiter.per_seconds:g} s; retry after {wait} s", "retry_after": wait},
                429, headers={"Retry-After": str(wait)})
        return await call_next(request)

    @app.get("/v1/usage-events")
    def usage_events(since: str | None = None, cursor: str | None = None, limit: str = "100") -> dict:
        """Events received at or after ``since``, oldest first by (received_at, event_id); ``next_cursor`` is
        null on the last page. A cursor carries the position and the original ``since``."""
        size = _int(limit, "limit", 1, MAX_LIMIT)
        after = None
        if cursor:
            position = _decode_cursor(cursor)
            since, after = position.get("since"), (position["received_at"], position["event_id"])
        since_at = _timestamp(since, "since") if since else None
        sql = "SELECT * FROM api.usage_events WHERE received_at >= %s"
        params: list = [since_at or EPOCH]
        if after:
            received = _timestamp(after[0], "cursor")
            sql += " AND (received_at > %s OR (received_at = %s AND event_id > %s))"
            params += [received, received, after[1]]
        rows = db.query(sql + " ORDER BY received_at, event_id LIMIT %s", params + [size + 1])
        page, more = rows[:size], len(rows) > size
        next_cursor = None
        if more:
            last = page[-1]
            next_cursor = _encode_cursor({"since": since, "received_at": _iso(last["received_at"]),
                                          "event_id": last["event_id"]})
        return {"data": [_json_row(row) for row in page], "next_cursor": next_cursor, "has_more": more}

    @app.get("/v1/payments")
    def payments(page: str = "1", page_size: str = "50", updated_since: str | None = None) -> dict:
        """Payments updated at or after ``updated_since``, by (updated_at, payment_id), one page of them."""
        number = _int(page, "page", 1, 10**9)
        size = _int(page_size, "page_size", 1, MAX_PAGE_SIZE)
        since_at = _timestamp(updated_since, "updated_since") if updated_since else None
        where, since_at = "WHERE updated_at >= %s", since_at or EPOCH
        total = db.scalar(f"SELECT count(*) FROM api.payments {where}", (since_at,))
        rows = db.query(f"SELECT * FROM api.payments {where} ORDER BY updated_at, payment_id LIMIT %s OFFSET %s",
                        (since_at, size, (number - 1) * size))
        return {"data": [_json_row(row) for row in rows], "page": number, "page_size": size, "total": total,
                "total_pages": math.ceil(total / size)}

    return app


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer from {low} to {high}")
    return number


def _timestamp(value: str, name: str) -> dt.datetime:
    """An ISO 8601 time (``Z`` or an offset allowed; naive means UTC) as naive UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def _encode_cursor(position: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(position, dict) or not {"received_at", "event_id"} <= set(position):
            raise ValueError
        return position
    except ValueError:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from None


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def _json_row(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            value = _iso(value)
        elif isinstance(value, Decimal):
            value = float(value)
        out[key] = value
    return out
