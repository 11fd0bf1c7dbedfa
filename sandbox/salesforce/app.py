"""The org's ASGI application: login, REST and Bulk API 2.0 routes, Salesforce's error envelope everywhere,
paths accepted with or without a trailing slash, and ``Sforce-Limit-Info`` on every data API response."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import auth, bulk2_ingest, bulk2_query, rest
from .errors import SalesforceError
from .org import SalesforceOrg

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


class _TrailingSlashAndLimits:
    """Strips a trailing slash from the path before routing and adds ``Sforce-Limit-Info`` to data API answers."""

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
        if not scope["path"].startswith("/services/data/v"):
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"sforce-limit-info", self.org.limits.usage_header().encode()))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _error_response(status: int, error_code: str, message: str) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": error_code}], status_code=status,
                        media_type=JSON_MEDIA_TYPE)


def create_app(org: SalesforceOrg) -> ASGIApp:
    app = FastAPI(title="Salesforce sandbox org", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.org = org
    for router in (auth.router, rest.router, bulk2_query.router, bulk2_ingest.router):
        app.include_router(router)

    @app.exception_handler(SalesforceError)
    async def salesforce_error(request: Request, error: SalesforceError) -> JSONResponse:
        return JSONResponse(error.envelope(), status_code=error.status, media_type=JSON_MEDIA_TYPE)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 405:
            return _error_response(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. "
                                                              "Allowed are GET,HEAD,PATCH,POST,DELETE")
        if error.status_code == 404:
            return _error_response(404, "NOT_FOUND", "The requested resource does not exist")
        return _error_response(error.status_code, "UNKNOWN_EXCEPTION", str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        return _error_response(500, "UNKNOWN_EXCEPTION", f"An unexpected error occurred: {error}")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(400, "MALFORMED_REQUEST", str(error.errors()))

    return _TrailingSlashAndLimits(app, org)
