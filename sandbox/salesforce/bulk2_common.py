"""What Bulk API 2.0 query and ingest jobs share: job ids, timestamps, option checks and the JSON body reader."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets

from fastapi import Request

from . import ids
from .errors import SalesforceError, json_parser_error
from .formatting import COLUMN_DELIMITERS, LINE_ENDINGS

_job_numbers = itertools.count(1)


def new_job_id() -> str:
    """A fresh ``750`` id; the random part keeps ids unique across restarts of the same org."""
    return ids.make_id("750", secrets.randbelow(62 ** 7) * 1000 + next(_job_numbers) % 1000)


def job_timestamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


async def read_json_body(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise json_parser_error(f"Unexpected character in the request body: {error}")
    if not isinstance(body, dict):
        raise json_parser_error("The request body must be a JSON object")
    return body


def check_format_options(body: dict) -> tuple[str, str]:
    """(columnDelimiter, lineEnding) with their defaults; 400 on unknown values or a content type other than CSV."""
    delimiter = body.get("columnDelimiter") or "COMMA"
    line_ending = body.get("lineEnding") or "LF"
    content_type = body.get("contentType") or "CSV"
    if delimiter not in COLUMN_DELIMITERS:
        raise SalesforceError(400, "INVALIDJOB", f"InvalidJob : Invalid column delimiter: {delimiter}")
    if line_ending not in LINE_ENDINGS:
        raise SalesforceError(400, "INVALIDJOB", f"InvalidJob : Invalid line ending: {line_ending}")
    if content_type != "CSV":
        raise SalesforceError(400, "INVALIDJOB", f"InvalidJob : Unsupported content type: {content_type}")
    return delimiter, line_ending


def job_not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
