"""REST API routes under ``/services/data``: versions, resources, describe, query/queryAll, limits and sObject rows."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from . import sobjects
from .auth import Session, instance_url, require_session
from .describe import global_describe, object_describe, sobject_metadata
from .errors import SalesforceError, not_found
from .query_cursors import page_size_from_header
from .schema import ObjectDef

API_VERSIONS = {
    "52.0": "Winter '22", "53.0": "Winter '22", "54.0": "Spring '22", "55.0": "Summer '22", "56.0": "Winter '23",
    "57.0": "Spring '23", "58.0": "Summer '23", "59.0": "Winter '24", "60.0": "Spring '24", "61.0": "Summer '24",
    "62.0": "Winter '25", "63.0": "Spring '25", "64.0": "Summer '25", "65.0": "Winter '26",
}

router = APIRouter()


def _version(version: str) -> str:
    if version not in API_VERSIONS:
        raise not_found()
    return version


def _object(name: str, request: Request) -> ObjectDef:
    """The object as the user sees it: unknown and hidden objects are 404 NOT_FOUND."""
    obj = request.app.state.org.access.object(name)
    if obj is None:
        raise not_found()
    return obj


def _fields_param(request: Request) -> list[str] | None:
    fields = request.query_params.get("fields")
    return [name.strip() for name in fields.split(",") if name.strip()] if fields else None


@router.get("/services/data")
def versions() -> JSONResponse:
    return JSONResponse(
        [{"label": label, "url": f"/services/data/v{number}", "version": number} for number, label in API_VERSIONS.items()]
    )


@router.get("/services/data/v{version}")
def resources(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    base = f"/services/data/v{_version(version)}"
    org = request.app.state.org
    names = ["sobjects", "query", "queryAll", "limits", "jobs", "search", "tooling", "recent", "composite"]
    body = {name: f"{base}/{name}" for name in names}
    body["identity"] = f"{instance_url(request)}/id/{org.credentials.org_id}/{session.user_id}"
    return JSONResponse(dict(sorted(body.items())))


@router.get("/services/data/v{version}/limits")
def limits(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    _version(version)
    return JSONResponse(request.app.state.org.limits.snapshot())


@router.get("/services/data/v{version}/sobjects")
def describe_global(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    return JSONResponse(global_describe(_version(version), request.app.state.org.access))


@router.get("/services/data/v{version}/sobjects/{object_name}")
def object_metadata(version: str, object_name: str, request: Request,
                    session: Session = Depends(require_session)) -> JSONResponse:
    access = request.app.state.org.access
    return JSONResponse(sobject_metadata(_object(object_name, request), _version(version), [], access))


@router.get("/services/data/v{version}/sobjects/{object_name}/describe")
def describe_object(version: str, object_name: str, request: Request,
                    session: Session = Depends(require_session)) -> JSONResponse:
    access = request.app.state.org.access
    return JSONResponse(object_describe(_object(object_name, request), _version(version), access))


@router.get("/services/data/v{version}/sobjects/{object_name}/updated")
def get_updated(version: str, object_name: str, request: Request, session: Session = Depends(require_session)):
    _version(version)
    params = request.query_params
    return JSONResponse(sobjects.updated_ids(request.app.state.org, _object(object_name, request), params.get("start"),
                                             params.get("end")))


@router.get("/services/data/v{version}/sobjects/{object_name}/deleted")
def get_deleted(version: str, object_name: str, request: Request, session: Session = Depends(require_session)):
    _version(version)
    params = request.query_params
    return JSONResponse(sobjects.deleted_records(request.app.state.org, _object(object_name, request), params.get("start"),
                                                 params.get("end")))


@router.post("/services/data/v{version}/sobjects/{object_name}")
async def create_record(version: str, object_name: str, request: Request, session: Session = Depends(require_session)):
    _version(version)
    obj = _object(object_name, request)
    values = sobjects.parse_record_body(await request.body())
    result = sobjects.write_record(request.app.state.org, obj, "insert", values, session.user_id)
    return JSONResponse({"id": result.record_id, "success": True, "errors": []}, status_code=201)


@router.get("/services/data/v{version}/sobjects/{object_name}/{record_id}")
def get_record(version: str, object_name: str, record_id: str, request: Request,
               session: Session = Depends(require_session)):
    org = request.app.state.org
    return JSONResponse(sobjects.get_record(org, _object(object_name, request), record_id, _fields_param(request),
                                            _version(version)))


@router.patch("/services/data/v{version}/sobjects/{object_name}/{record_id}")
async def update_record(version: str, object_name: str, record_id: str, request: Request,
                        session: Session = Depends(require_session)):
    _version(version)
    values = sobjects.parse_record_body(await request.body())
    values.pop("Id", None)
    sobjects.write_record(request.app.state.org, _object(object_name, request), "update", {"Id": record_id, **values},
                          session.user_id)
    return Response(status_code=204)


@router.delete("/services/data/v{version}/sobjects/{object_name}/{record_id}")
def delete_record(version: str, object_name: str, record_id: str, request: Request,
                  session: Session = Depends(require_session)):
    _version(version)
    sobjects.write_record(request.app.state.org, _object(object_name, request), "delete", {"Id": record_id}, session.user_id)
    return Response(status_code=204)


@router.get("/services/data/v{version}/sobjects/{object_name}/{field_name}/{value}")
def get_record_by_external_id(version: str, object_name: str, field_name: str, value: str, request: Request,
                              session: Session = Depends(require_session)):
    org = request.app.state.org
    return JSONResponse(sobjects.get_record_by_external_id(
        org, _object(object_name, request), field_name, value, _fields_param(request), _version(version)
    ))


@router.patch("/services/data/v{version}/sobjects/{object_name}/{field_name}/{value}")
async def upsert_record(version: str, object_name: str, field_name: str, value: str, request: Request,
                        session: Session = Depends(require_session)):
    _version(version)
    obj = _object(object_name, request)
    key = request.app.state.org.access.field(obj, field_name)
    if key is None or not (key.external_id or key.name == "Id"):
        raise SalesforceError(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field_name}")
    values = sobjects.parse_record_body(await request.body())
    values = {name: v for name, v in values.items() if name.lower() != key.name.lower()}
    update_only = request.query_params.get("updateOnly", "").lower() == "true"
    org = request.app.state.org
    if update_only:
        sobjects.get_record_by_external_id(org, obj, key.name, value, ["Id"], version)
    result = sobjects.write_record(org, obj, "upsert", {key.name: value, **values}, session.user_id, key.name)
    body = {"id": result.record_id, "success": True, "errors": [], "created": result.created}
    return JSONResponse(body, status_code=201 if result.created else 200)


def _query(request: Request, version: str, include_deleted: bool) -> JSONResponse:
    soql = request.query_params.get("q")
    if not soql:
        raise SalesforceError(400, "MALFORMED_QUERY", "A query string must be provided")
    page_size = page_size_from_header(request.headers.get("sforce-query-options"))
    cursors = request.app.state.org.query_cursors
    return JSONResponse(cursors.first_page(soql, include_deleted=include_deleted, version=version, page_size=page_size))


@router.get("/services/data/v{version}/query")
def query(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    return _query(request, _version(version), include_deleted=False)


@router.get("/services/data/v{version}/queryAll")
def query_all(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    return _query(request, _version(version), include_deleted=True)


@router.get("/services/data/v{version}/query/{locator}")
@router.get("/services/data/v{version}/queryAll/{locator}")
def query_more(version: str, locator: str, request: Request, session: Session = Depends(require_session)):
    return JSONResponse(request.app.state.org.query_cursors.next_page(locator, _version(version)))

