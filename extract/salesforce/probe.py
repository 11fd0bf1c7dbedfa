"""Cheap change probes: many ``SELECT COUNT()`` queries for the price of a few API calls.

The Composite API runs up to 25 subrequests, at most 5 of them queries, and the whole call counts as one request
against DailyApiRequests. Probing 200 objects with two counts each costs 80 calls, not 400.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from extract.errors import PermanentApiError, SalesforceApiError
from extract.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)

QUERIES_PER_COMPOSITE = 5


@dataclass(frozen=True)
class CountQuery:
    key: str  # the caller's name for the answer
    soql: str


@dataclass(frozen=True)
class CountAnswer:
    key: str
    count: int | None
    error: SalesforceApiError | None = None


def _composite_error(sub: dict, doing: str) -> SalesforceApiError:
    body = sub.get("body")
    entry = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    error = SalesforceApiError(doing, int(sub.get("httpStatusCode", 0)), str(entry.get("errorCode", "UNKNOWN")),
                               str(entry.get("message", body)))
    if error.status in (400, 403, 404):
        return PermanentApiError(doing, error.status, error.error_code, error.api_message)
    return error


def count_many(client: SalesforceClient, queries: list[CountQuery], *,
               include_deleted: bool = True) -> dict[str, CountAnswer]:
    """Run every count; an answer carries either its count or the error the org gave for that one query."""
    resource = "queryAll" if include_deleted else "query"
    answers: dict[str, CountAnswer] = {}
    for start in range(0, len(queries), QUERIES_PER_COMPOSITE):
        chunk = queries[start:start + QUERIES_PER_COMPOSITE]
        body = {"allOrNone": False, "compositeRequest": [
            {"method": "GET", "referenceId": f"q{index}",
             "url": f"/services/data/v{client.api_version}/{resource}/?q={quote(q.soql)}"}
            for index, q in enumerate(chunk)
        ]}
        response = client.request("POST", "/composite", json=body,
                                  doing=f"probe {len(chunk)} objects for changes (composite)")
        by_reference = {sub.get("referenceId"): sub for sub in response.json().get("compositeResponse", [])}
        for index, query in enumerate(chunk):
            sub = by_reference.get(f"q{index}")
            doing = f"count: {query.soql[:150]}"
            if sub is None:
                answers[query.key] = CountAnswer(query.key, None, SalesforceApiError(
                    doing, 0, "MISSING_SUBRESPONSE", "the composite response has no answer for this query"))
            elif int(sub.get("httpStatusCode", 0)) == 200:
                answers[query.key] = CountAnswer(query.key, int(sub["body"]["totalSize"]))
            else:
                answers[query.key] = CountAnswer(query.key, None, _composite_error(sub, doing))
    return answers

