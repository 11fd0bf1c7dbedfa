"""HTTP routes over the org's Python control API (``SalesforceOrg``); see docs/SANDBOX.md.

    POST   /orgs/salesforce/mutations  {"object", "count", "kind", ...options}
    GET    /clock                       POST /clock {"advance_seconds": S} | {"freeze_at": ISO} | {"resume": true}
    GET    /faults                      POST /faults {rule}   DELETE /faults   DELETE /faults/{id}
    GET    /usage                       POST /limits {"DailyApiRequests": 20, ...}   POST /limits/reset
    POST   /settings {"bulk_job_latency_seconds": S}         POST /sessions/expire
    GET    /access                      POST /access {"hidden_fields": [...], ...}   POST /access/reset (DELETE /access)
    GET    /objects                     GET /objects/{name}/rows?where=<DuckDB SQL>&limit=N   GET /objects/{name}/count
"""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ..salesforce.schema import get_object


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(org) -> FastAPI:
    app = FastAPI(title="Sandbox control API", openapi_url=None, docs_url=None, redoc_url=None)

    async def body_of(request: Request) -> dict:
        raw = await request.body()
        if not raw:
            return {}
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data

    @app.exception_handler(ValueError)
    async def value_error(request: Request, error: ValueError) -> JSONResponse:
        return _bad(str(error))

    @app.exception_handler(KeyError)
    async def key_error(request: Request, error: KeyError) -> JSONResponse:
        return _bad(str(error.args[0] if error.args else error), 404)

    @app.post("/orgs/salesforce/mutations")
    async def mutate(request: Request) -> JSONResponse:
        body = await body_of(request)
        object_name, kind = body.pop("object", None), body.pop("kind", None)
        if not object_name or not kind:
            return _bad("object and kind are required")
        count = int(body.pop("count", 1))
        return JSONResponse(jsonable_encoder(org.mutate(object_name, kind, count, **body)))

    def clock_state() -> dict:
        return {"now": org.clock.now().isoformat() + "Z"}

    @app.get("/clock")
    def get_clock() -> JSONResponse:
        return JSONResponse(clock_state())

    @app.post("/clock")
    async def set_clock(request: Request) -> JSONResponse:
        body = await body_of(request)
        if body.get("resume"):
            org.clock.resume()
        if body.get("freeze_at"):
            org.clock.freeze(dt.datetime.fromisoformat(str(body["freeze_at"]).replace("Z", "+00:00")))
        if body.get("advance_seconds") is not None:
            org.clock.advance(dt.timedelta(seconds=float(body["advance_seconds"])))
        return JSONResponse(clock_state())

    @app.get("/faults")
    def list_faults() -> JSONResponse:
        return JSONResponse([rule.as_dict() for rule in org.faults.rules()])

    @app.post("/faults")
    async def add_fault(request: Request) -> JSONResponse:
        body = await body_of(request)
        rules = body.get("rules") if "rules" in body else [body]
        added = [org.faults.add(dict(rule)).as_dict() for rule in rules]
        return JSONResponse(added if "rules" in body else added[0], status_code=201)

    @app.delete("/faults")
    def clear_faults() -> JSONResponse:
        org.faults.clear()
        return JSONResponse([])

    @app.delete("/faults/{rule_id}")
    def remove_fault(rule_id: int) -> JSONResponse:
        if not org.faults.remove(rule_id):
            return _bad(f"no fault rule {rule_id}", 404)
        return JSONResponse({"removed": rule_id})

    @app.get("/usage")
    def usage() -> JSONResponse:
        return JSONResponse(jsonable_encoder(org.usage()))

    @app.post("/limits")
    async def set_limits(request: Request) -> JSONResponse:
        for name, value in (await body_of(request)).items():
            org.limits.set_max(name, float(value))
        return JSONResponse(jsonable_encoder(org.usage()))

    @app.post("/limits/reset")
    def reset_limits() -> JSONResponse:
        org.limits.reset()
        return JSONResponse(jsonable_encoder(org.usage()))

    @app.post("/settings")
    async def settings(request: Request) -> JSONResponse:
        body = await body_of(request)
        if "bulk_job_latency_seconds" in body:
            org.bulk_job_latency_seconds = float(body["bulk_job_latency_seconds"])
        return JSONResponse({"bulk_job_latency_seconds": org.bulk_job_latency_seconds})

    @app.get("/access")
    def get_access() -> JSONResponse:
        return JSONResponse(org.access.as_dict())

    @app.post("/access")
    async def set_access(request: Request) -> JSONResponse:
        """Replace the restrictions named in the body (lists or comma-separated strings); the others stay."""
        return JSONResponse(org.access.update(**(await body_of(request))))

    @app.post("/access/reset")
    @app.delete("/access")
    def reset_access() -> JSONResponse:
        return JSONResponse(org.access.reset())

    @app.post("/sessions/expire")
    def expire_sessions() -> JSONResponse:
        org.expire_sessions()
        return JSONResponse({"expired": True})

    @app.get("/objects")
    def objects() -> JSONResponse:
        return JSONResponse(org.object_names())

    @app.get("/objects/{name}/rows")
    def rows(name: str, where: str | None = None, limit: int = 1000) -> JSONResponse:
        if get_object(name) is None:
            return _bad(f"unknown object {name!r}", 404)
        try:
            found = org.rows(name, where, limit)
        except Exception as error:  # a bad DuckDB condition
            return _bad(f"bad where condition: {error}")
        return JSONResponse(jsonable_encoder(found))

    @app.get("/objects/{name}/count")
    def count(name: str, where: str | None = None) -> JSONResponse:
        if get_object(name) is None:
            return _bad(f"unknown object {name!r}", 404)
        try:
            return JSONResponse({"count": org.count(name, where)})
        except Exception as error:
            return _bad(f"bad where condition: {error}")

    return app
