"""The org's ASGI application: login, REST, Bulk API 2.0 and Bulk API 1.0 routes, Salesforce's error envelope
everywhere, paths accepted with or without a trailing slash, and around every data API call: the concurrent
long-running request limit, configured faults (``faults.py``) and ``Sforce-Limit-Info`` on the response. Login
calls get the faults that make sense there (429, 503, delay, dropped connection), answered with an HTML page."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import auth, bulk1, bulk2_ingest, bulk2_query, composite, rest
from .errors import SalesforceError
from .faults import HTTP_KINDS, LOGIN_KINDS, FaultRule
from .org import SalesforceOrg

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"
DATA_PREFIXES = ("/services/data/v", "/services/async/")
LOGIN_PATHS = ("/services/oauth2/token", "/")
_ERROR_KINDS = tuple(kind for kind in HTTP_KINDS if kind not in ("delay", "drop_connection"))
_LOGIN_ERROR_KINDS = tuple(kind for kind in LOGIN_KINDS if kind not in ("delay", "drop_connection"))
# What an org that cannot serve a login answers: its front end's HTML page, not a SOAP fault nor OAuth JSON (and not
# well-formed XML, so SOAP clients report the HTTP status). Each page is sandbox-made; real pages vary.
LOGIN_ERROR_PAGES = {
    503: ("Service Unavailable", "The server is temporarily unable to service your request due to maintenance "
                                 "downtime or capacity problems. Please try again later."),
    429: ("Too Many Requests", "You have sent too many requests in a given amount of time. Please try again later."),
}


class DroppedConnection(Exception):
    """Raised mid-response by the ``drop_connection`` fault: the server closes the connection."""


def _is_dropped(error: BaseException | None) -> bool:
    if isinstance(error, DroppedConnection):
        return True
    return isinstance(error, BaseExceptionGroup) and any(_is_dropped(e) for e in error.exceptions)


def _not_injected_drop(record: logging.LogRecord) -> bool:
    return not (record.exc_info and _is_dropped(record.exc_info[1]))


logging.getLogger("uvicorn.error").addFilter(_not_injected_drop)


def fault_error(kind: str) -> SalesforceError:
    return {
        "http_429": SalesforceError(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests. Retry after a short wait."),
        "http_503": SalesforceError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Retry later."),
        "request_limit_exceeded": SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
        "invalid_session": SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid"),
        "query_timeout": SalesforceError(
            400, "QUERY_TIMEOUT", "Your query request was running for too long."
        ),
    }[kind]


def is_login(method: str, path: str) -> bool:
    return method == "POST" and (path in LOGIN_PATHS or path.startswith("/services/Soap/u/"))


def login_error_page(status: int) -> bytes:
    title, text = LOGIN_ERROR_PAGES[status]
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{status} {title}</title></head>\n'
            f"<body><h1>{title}</h1><p>{text}<br>Error {status}</p></body></html>\n").encode()


def error_body(path: str, error: SalesforceError) -> list | dict:
    """REST/Bulk 2.0: the JSON array envelope; Bulk 1.0: ``{"exceptionCode", "exceptionMessage"}``."""
    if path.startswith("/services/async/"):
        return bulk1.exception_body(error)
    return error.envelope()


class _DataApiMiddleware:
    """Trailing slashes, and for data API paths: concurrency limit, HTTP faults and ``Sforce-Limit-Info``."""

    def __init__(self, app: ASGIApp, org: SalesforceOrg):
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/") or "/", raw_path=None)
            path = scope["path"]
        if not path.startswith(DATA_PREFIXES):
            if is_login(scope["method"], path):
                await self._serve_login(scope, receive, send, path)
            else:
                await self.app(scope, receive, send)
            return
        limits = self.org.limits
        try:
            number = limits.enter_request()
        except SalesforceError as error:
            await self._send_error(send, path, error)
            return
        try:
            await self._serve(scope, receive, send, path)
        finally:
            limits.leave_request(number)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        faults = self.org.faults
        method = scope["method"]
        delay = faults.take(("delay",), method, path)
        if delay is not None:
            await asyncio.sleep(delay.seconds)
        rule = faults.take(_ERROR_KINDS, method, path)
        if rule is not None:
            if rule.kind == "invalid_session":
                self.org.sessions.expire(auth.request_token(Request(scope)))
            await self._send_error(send, path, fault_error(rule.kind))
            return
        drop = faults.take(("drop_connection",), method, path)
        limits = self.org.limits
        await self.app(scope, receive, _wrapped_send(
            send, drop, lambda: (b"sforce-limit-info", limits.usage_header().encode())  # usage once the call ran
        ))

    async def _serve_login(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        faults = self.org.faults
        method = scope["method"]
        delay = faults.take(("delay",), method, path, login=True)
        if delay is not None:
            await asyncio.sleep(delay.seconds)
        rule = faults.take(_LOGIN_ERROR_KINDS, method, path, login=True)
        if rule is not None:
            status = 429 if rule.kind == "http_429" else 503
            body = login_error_page(status)
            headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
            if status == 429:
                headers.append((b"retry-after", b"1"))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        drop = faults.take(("drop_connection",), method, path, login=True)
        await self.app(scope, receive, _wrapped_send(send, drop, None))

    async def _send_error(self, send: Send, path: str, error: SalesforceError) -> None:
        body = json.dumps(error_body(path, error)).encode()
        headers = [(b"content-type", JSON_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                   (b"sforce-limit-info", self.org.limits.usage_header().encode())]
        if error.status == 429:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _wrapped_send(send: Send, drop: FaultRule | None,
                  extra_header: Callable[[], tuple[bytes, bytes]] | None) -> Send:
    """``send`` adding ``extra_header()`` (computed when the response starts) to the response and, for a
    ``drop_connection`` rule, closing the connection after ``drop.after_bytes`` of the body."""
    sent = 0

    async def send_wrapped(message) -> None:
        nonlocal sent
        if message["type"] == "http.response.start" and extra_header is not None:
            message = dict(message, headers=[*message.get("headers", []), extra_header()])
        elif message["type"] == "http.response.body" and drop is not None:
            body = message.get("body", b"")
            if sent + len(body) >= drop.after_bytes or not message.get("more_body", False):
                keep = max(0, min(len(body), drop.after_bytes - sent))
                await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
                raise DroppedConnection(f"connection dropped after {sent + keep} bytes (injected fault)")
            sent += len(body)
        await send(message)

    return send_wrapped


def _error_response(request: Request, error: SalesforceError) -> JSONResponse:
    return JSONResponse(error_body(request.url.path, error), status_code=error.status, media_type=JSON_MEDIA_TYPE)


def create_app(org: SalesforceOrg) -> ASGIApp:
    app = FastAPI(title="Salesforce sandbox org", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.org = org
    for router in (auth.router, rest.router, composite.router, bulk2_query.router, bulk2_ingest.router, bulk1.router):
        app.include_router(router)

    @app.exception_handler(SalesforceError)
    async def salesforce_error(request: Request, error: SalesforceError) -> JSONResponse:
        return _error_response(request, error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 405:
            return _error_response(request, SalesforceError(
                405, "METHOD_NOT_ALLOWED",
                f"HTTP Method '{request.method}' not allowed. Allowed are GET,HEAD,PATCH,POST,DELETE",
            ))
        if error.status_code == 404:
            return _error_response(request, SalesforceError(404, "NOT_FOUND", "The requested resource does not exist"))
        return _error_response(request, SalesforceError(error.status_code, "UNKNOWN_EXCEPTION", str(error.detail)))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        return _error_response(request, SalesforceError(500, "UNKNOWN_EXCEPTION",
                                                        f"An unexpected error occurred: {error}"))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(request, SalesforceError(400, "MALFORMED_REQUEST", str(error.errors())))

    return _DataApiMiddleware(app, org)
