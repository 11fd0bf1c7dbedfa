"""The Hightouch REST API subset the Airflow provider uses (api/v1), on top of a SyncRunner."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sandbox.hightouch.runs import SyncRunner


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "details": {}}, status_code=status)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _endpoint_of(request: Request) -> str:
    parts = request.url.path.rstrip("/").split("/")  # /api/v1/syncs[/<id>[/runs]] or /api/v1/syncs/trigger
    if parts[-1] == "trigger":
        return "trigger"
    if parts[-1] == "runs":
        return "list_runs"
    return "get_sync" if len(parts) > 4 else "list_syncs"


def create_hightouch_app(runner: SyncRunner, token: str) -> FastAPI:
    app = FastAPI(title="Sandbox Hightouch API", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def require_bearer_token(request: Request, call_next):
        if request.headers.get("authorization") != f"Bearer {token}":
            return _error(401, "Unauthorized: a valid API key is required as a Bearer token")
        injected = runner.faults.take_http_error(_endpoint_of(request))
        if injected is not None:
            return _error(injected, f"injected fault: HTTP {injected}")
        return await call_next(request)

    @app.post("/api/v1/syncs/trigger")
    async def trigger(request: Request):
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
        else:
            body = dict(await request.form())
        sync = runner.find(sync_id=body.get("syncId")) if body.get("syncId") else runner.find(slug=body.get("syncSlug"))
        if sync is None:
            return _error(404, f"sync not found: {body.get('syncId') or body.get('syncSlug')}")
        return {"id": runner.trigger(sync).id}

    @app.get("/api/v1/syncs")
    async def list_syncs(slug: str | None = None):
        syncs = [s for s in runner.syncs.values() if slug is None or s.slug == slug]
        return {"data": [s.as_api() for s in syncs], "hasMore": False}

    @app.get("/api/v1/syncs/{sync_id}")
    async def get_sync(sync_id: str):
        sync = runner.find(sync_id=sync_id)
        if sync is None:
            return _error(404, f"sync not found: {sync_id}")
        body = sync.as_api()
        runs = runner.runs_of(sync.id)
        if runs:
            body["status"], body["lastRunAt"] = runs[0].status, runs[0].as_api()["createdAt"]
        return body

    @app.get("/api/v1/syncs/{sync_id}/runs")
    async def list_runs(sync_id: str, runId: str | None = None, after: str | None = None,
                        limit: int = 5, offset: int = 0, orderBy: str | None = None):
        if runner.find(sync_id=sync_id) is None:
            return _error(404, f"sync not found: {sync_id}")
        runs = runner.runs_of(sync_id)
        if runId is not None:
            runs = [r for r in runs if r.id == str(runId)]
        if after is not None:
            since = _parse_time(after)
            runs = [r for r in runs if r.created_at >= since]
        page = runs[offset:offset + limit]
        return {"data": [r.as_api() for r in page], "hasMore": len(runs) > offset + limit}

    return app
