"""The REST Composite resource: ``POST /services/data/vXX.X/composite`` runs up to 25 subrequests in one call.

The whole call counts as ONE request against ``DailyApiRequests`` (Salesforce: "The entire series of requests counts
as a single call toward your API limits"); subrequests are not counted, only listed in ``org.usage()`` under
``composite_subrequests_by_endpoint``. Faults and limits act on the composite call itself (its path is
``/services/data/vXX.X/composite``), not on the subrequests.

Every subrequest is dispatched, in order, through the org's own REST routes (the same ASGI app, minus the data API
middleware), so a subrequest answers exactly what the standalone call answers: the same records, paging, access
restrictions and errors. Supported subrequests (all ``GET``): ``query``, ``queryAll`` and their locators
(``/query/{locator}``, e.g. ``"url": "@{p0.nextRecordsUrl}"``), ``sobjects`` (global describe), ``sobjects/{O}``,
``sobjects/{O}/describe``, ``sobjects/{O}/{id}``, ``sobjects/{O}/{field}/{value}``, ``sobjects/{O}/updated`` and
``/deleted``, and ``limits``. Anything else (another method, Bulk jobs, a nested composite) answers a 400 subrequest
result saying the sandbox does not support it in a composite request (``INVALID_API_INPUT``; a sandbox-only answer).

Limits, with Salesforce's answer (a real trace: top-level 200, one result with ``referenceId`` null):
  - more than 25 subrequests: ``LIMIT_EXCEEDED`` "The request can’t contain more than 25 operations.";
  - more than 5 query operations (query, queryAll and query locators): ``LIMIT_EXCEEDED`` "The request can’t contain
    more than 5 query operations." (same shape; the wording of this one is modelled on the 25-operation message).

References ``@{refId.path}`` (``path`` with ``.`` and ``[n]``, e.g. ``@{p0.records[0].Id}``) are replaced in a
subrequest's url by values of earlier results. With ``allOrNone: true`` the first failing subrequest stops the
call and every other subrequest answers 400 ``PROCESSING_HALTED`` "The transaction was rolled back since another
operation in the same transaction failed." (Salesforce's documented behaviour); with ``allOrNone: false`` the others
run, and a subrequest whose reference cannot be resolved answers 400 ``PROCESSING_HALTED``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from .auth import SUBREQUEST_SCOPE_KEY, Session, require_session
from .bulk2_common import read_json_body
from .errors import SalesforceError

MAX_SUBREQUESTS = 25
MAX_QUERY_SUBREQUESTS = 5
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."

_DATA = r"^/services/data/v\d+\.\d+"
_QUERY_PATH = re.compile(_DATA + r"/(query|queryAll)(/[^/]+)?$")
_SUPPORTED_PATHS = (
    _QUERY_PATH,
    re.compile(_DATA + r"/sobjects(/[^/]+(/[^/]+(/[^/]+)?)?)?$"),
    re.compile(_DATA + r"/limits$"),
)
_REFERENCE = re.compile(r"@\{([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_REFERENCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# characters kept as they are when a subrequest's query string is passed on (everything else is percent-encoded)
_QUERY_SAFE = "=&+%/:,()'*!$;?@[]~-._"
_PASSED_HEADERS = {"authorization", "host", "user-agent", "x-sfdc-session", "accept-language"}

router = APIRouter()


def _error(status: int, code: str, message: str) -> dict:
    return {"status": status, "body": [{"errorCode": code, "message": message}], "headers": {}}


def _refused(message: str) -> JSONResponse:
    """A whole composite request refused: top-level 200 with one 400 result without a referenceId."""
    return JSONResponse({"compositeResponse": [
        {"body": [{"errorCode": "LIMIT_EXCEEDED", "message": message}], "httpHeaders": {}, "httpStatusCode": 400,
         "referenceId": None}
    ]})


def _path_of(url: str) -> str:
    path = unquote(url.split("?", 1)[0])
    return path.rstrip("/") if len(path) > 1 else path


def _is_query(url: str) -> bool:
    return bool(_QUERY_PATH.match(_path_of(url)))


def _validate(body: dict) -> list[dict]:
    requests_ = body.get("compositeRequest")
    if not isinstance(requests_, list) or not requests_:
        raise SalesforceError(400, "INVALID_API_INPUT", "compositeRequest must be a non-empty array of subrequests")
    seen = set()
    for index, sub in enumerate(requests_):
        if not isinstance(sub, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"compositeRequest[{index}] must be a JSON object")
        for key in ("method", "url", "referenceId"):
            if not isinstance(sub.get(key), str) or not sub.get(key):
                raise SalesforceError(400, "INVALID_API_INPUT", f"compositeRequest[{index}]: {key} is required")
        if not _REFERENCE_ID.match(sub["referenceId"]):
            raise SalesforceError(400, "INVALID_API_INPUT",
                                  f"Invalid referenceId '{sub['referenceId']}': it must start with a letter and "
                                  "hold only letters, digits and underscores")
        if sub["referenceId"] in seen:
            raise SalesforceError(400, "INVALID_API_INPUT", f"Duplicate referenceId: {sub['referenceId']}")
        seen.add(sub["referenceId"])
        headers = sub.get("httpHeaders")
        if headers is not None and not isinstance(headers, dict):
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"compositeRequest[{index}].httpHeaders must be an object")
    return requests_


def _lookup(value: Any, path: str) -> Any:
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        name, index = step
        if name:
            if not isinstance(value, dict) or name not in value:
                raise KeyError(name)
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(index)
            value = value[int(index)]
    if value is None or isinstance(value, (dict, list)):
        raise KeyError(path)
    return value


def _resolve(url: str, results: dict[str, dict]) -> str:
    """``url`` with every ``@{ref.path}`` replaced; ``LookupError`` names the first that cannot be resolved."""

    def replace(match: re.Match) -> str:
        reference, path = match.group(1), match.group(2)
        result = results.get(reference)
        if result is None or result["status"] >= 400:
            raise LookupError(reference + path, reference)
        try:
            value = _lookup(result["body"], path)
        except KeyError:
            raise LookupError(reference + path, reference)
        return "true" if value is True else "false" if value is False else str(value)

    return _REFERENCE.sub(replace, url)


async def _dispatch(request: Request, url: str, extra_headers: dict) -> dict:
    """Run one GET through the org's own routes; the subrequest is not counted as an API request."""
    path_part, _, query = url.partition("?")
    path = _path_of(path_part)
    headers = [(k, v) for k, v in request.headers.raw if k.decode("latin-1").lower() in _PASSED_HEADERS]
    for name, value in extra_headers.items():
        headers.append((str(name).lower().encode("latin-1"), str(value).encode("latin-1")))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": request.scope.get("scheme", "https"), "path": path, "raw_path": quote(path).encode(),
        "query_string": quote(query, safe=_QUERY_SAFE).encode("ascii"), "root_path": "", "headers": headers,
        "server": request.scope.get("server"), "client": request.scope.get("client"),
        SUBREQUEST_SCOPE_KEY: True,
    }
    messages: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    try:
        await request.app(scope, receive, send)
    except Exception:  # the app's error handler has answered already (Starlette re-raises after it)
        pass
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    if start is None:
        return _error(500, "UNKNOWN_EXCEPTION", "The subrequest did not produce a response")
    raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    kept = {}
    for key, value in start.get("headers", []):
        name = key.decode("latin-1")
        if name.lower() not in ("content-type", "content-length", "sforce-limit-info"):
            kept[name] = value.decode("latin-1")
    return {"status": start["status"], "body": body, "headers": kept}


@router.get("/services/data/v{version}/composite")
def composite_resources(version: str, session: Session = Depends(require_session)) -> JSONResponse:
    base = f"/services/data/v{version}/composite"
    return JSONResponse({"batch": f"{base}/batch", "graph": f"{base}/graph", "sobjects": f"{base}/sobjects",
                         "tree": f"{base}/tree"})


@router.post("/services/data/v{version}/composite")
async def composite(version: str, request: Request, session: Session = Depends(require_session)) -> JSONResponse:
    body = await read_json_body(request)
    subrequests = _validate(body)
    if len(subrequests) > MAX_SUBREQUESTS:
        return _refused(f"The request can’t contain more than {MAX_SUBREQUESTS} operations.")
    if sum(1 for sub in subrequests if _is_query(sub["url"])) > MAX_QUERY_SUBREQUESTS:
        return _refused(f"The request can’t contain more than {MAX_QUERY_SUBREQUESTS} query operations.")
    all_or_none = body.get("allOrNone") is True
    results: dict[str, dict] = {}
    failed: str | None = None
    for sub in subrequests:
        reference = sub["referenceId"]
        if failed is not None and all_or_none:
            break
        try:
            url = _resolve(sub["url"], results)
        except LookupError as missing:
            expression, target = missing.args
            results[reference] = _error(
                400, "PROCESSING_HALTED",
                f"Invalid reference specified. No value for {expression} found in {target}. Provided referenceId "
                f"('{target}') must be a successful subrequest executed before this one.",
            )
        else:
            method = sub["method"].upper()
            path = _path_of(url)
            if method != "GET" or not any(pattern.match(path) for pattern in _SUPPORTED_PATHS):
                results[reference] = _error(
                    400, "INVALID_API_INPUT",
                    f"The sandbox does not support {method} {path} in a composite request; it supports GET of "
                    "query, queryAll, query locators, sobjects (global describe, describe, metadata, records, "
                    "updated, deleted) and limits.",
                )
            else:
                results[reference] = await _dispatch(request, url, sub.get("httpHeaders") or {})
        if results[reference]["status"] >= 400 and failed is None:
            failed = reference
    answers = []
    for sub in subrequests:
        reference = sub["referenceId"]
        result = results.get(reference)
        if all_or_none and failed is not None and reference != failed:
            result = _error(400, "PROCESSING_HALTED", ROLLED_BACK)
        answers.append({"body": result["body"], "httpHeaders": result["headers"],
                        "httpStatusCode": result["status"], "referenceId": reference})
    return JSONResponse({"compositeResponse": answers})
