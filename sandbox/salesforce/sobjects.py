"""REST single-record operations (get, create, update, upsert by external id, delete) and getUpdated/getDeleted.

Writes stage the JSON body as one row of raw text and go through the same ``WriteBatch`` as Bulk ingest, so a
record written over REST is checked and stamped exactly like one written in bulk.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from . import ids
from .errors import SalesforceError, json_parser_error, not_found
from .formatting import RecordBuilder, json_value
from .query import compile_query
from .schema import ObjectDef
from .store import quote
from .writes import NULL_MARKER, BatchFailure, RowResult, WriteBatch, fetch_results, resolve_columns

if TYPE_CHECKING:
    from .org import SalesforceOrg

REPLICATION_ID_LIMIT = 600_000


def _raw_text(name: str, value) -> str:
    """A JSON value as Bulk-style raw text: null and '' clear the field."""
    if value is None or value == "":
        return NULL_MARKER
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise json_parser_error(f"Cannot deserialize instance of {name} from {type(value).__name__} value")


def parse_record_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise json_parser_error(f"Unexpected character: {error}")
    if not isinstance(body, dict):
        raise json_parser_error("Cannot deserialize instance of SObject from a non-object value")
    body.pop("attributes", None)
    return body


def write_record(org: SalesforceOrg, obj: ObjectDef, operation: str, values: dict, user_id: str,
                 external_id_field: str | None = None) -> RowResult:
    """Write one record; row errors become a 400 in the REST envelope."""
    headers = list(values)
    try:
        columns = resolve_columns(obj, headers, org.access)
    except BatchFailure as failure:
        name = str(failure).rsplit(": ", 1)[-1]
        raise SalesforceError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}")
    raw_values = [_raw_text(name, values[name]) for name in headers]
    external_id = obj.field(external_id_field) if external_id_field else None
    with org.store.write() as cur:
        column_defs = "".join(f", c{i} VARCHAR" for i in range(len(headers)))
        cur.execute(f"CREATE OR REPLACE TEMP TABLE __stage (__row BIGINT{column_defs})")
        cur.execute(f"INSERT INTO __stage VALUES (0{', ?' * len(headers)})", raw_values)
        WriteBatch(cur, "__stage", obj, operation, columns, external_id, org.clock.now(), user_id).run()
        (result,) = fetch_results(cur)
    if result.error is not None:
        raise SalesforceError(400, result.error.code, result.error.message, list(result.error.fields))
    return result


def get_record(org: SalesforceOrg, obj: ObjectDef, record_id: str, fields: list[str] | None, version: str) -> dict:
    normalized = ids.normalize_id(record_id)
    if normalized is None or not normalized.startswith(obj.key_prefix):
        raise not_found()
    return _single(org, obj, f"\"Id\" = '{normalized}'", f"Id = '{normalized}'", fields, version)


def get_record_by_external_id(
    org: SalesforceOrg, obj: ObjectDef, field_name: str, value: str, fields: list[str] | None, version: str
) -> dict:
    f = org.access.field(obj, field_name)
    if f is None or not f.external_id:
        raise not_found()
    literal = value.replace("'", "''")
    return _single(org, obj, f"{quote(f.name)} = '{literal}'", None, fields, version)


def _single(org, obj: ObjectDef, where_sql: str, soql_filter: str | None, fields, version: str) -> dict:
    with org.store.read() as cur:
        matches = [row[0] for row in cur.execute(
            f"SELECT \"Id\" FROM {quote(obj.name)} WHERE {where_sql}"
            + (' AND NOT "IsDeleted"' if obj.has_soft_delete else "")
        ).fetchall()]
    if not matches:
        raise not_found()
    if len(matches) > 1:
        urls = [f"/services/data/v{version}/sobjects/{obj.name}/{record_id}" for record_id in matches]
        raise SalesforceError(300, "MULTIPLE_CHOICES", "More than one record found", body=urls)
    names = fields or [f.name for f in org.access.fields(obj)]
    query = compile_query(
        f"SELECT {', '.join(names)} FROM {obj.name} WHERE Id = '{matches[0]}'",
        include_deleted=False, now=org.clock.now(), access=org.access,
    )
    with org.store.read() as cur:
        row = cur.execute(query.body_sql(query.select_expressions())).fetchone()
    return RecordBuilder(query, version).build(row)


def _parse_instant(name: str, value: str | None) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat((value or "").replace(" ", "+"))
    except ValueError:
        raise SalesforceError(400, "INVALID_REPLICATION_DATE", f"Invalid {name} date: {value}")
    if parsed.tzinfo is None:
        raise SalesforceError(400, "INVALID_REPLICATION_DATE", f"{name} date must include a time zone: {value}")
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _replication_window(org, start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    start_at, end_at = _parse_instant("start", start), _parse_instant("end", end)
    if start_at >= end_at:
        raise SalesforceError(400, "INVALID_REPLICATION_DATE", "start date must be before end date")
    return start_at.replace(second=0), min(end_at, org.clock.now()).replace(second=0)


def updated_ids(org: SalesforceOrg, obj: ObjectDef, start: str | None, end: str | None) -> dict:
    start_at, end_at = _replication_window(org, start, end)
    live = ' AND NOT "IsDeleted"' if obj.has_soft_delete else ""
    with org.store.read() as cur:
        rows = cur.execute(
            f'SELECT "Id" FROM {quote(obj.name)} WHERE "SystemModstamp" >= ? AND "SystemModstamp" < ?{live} '
            f"ORDER BY \"Id\" LIMIT {REPLICATION_ID_LIMIT + 1}",
            [start_at, end_at],
        ).fetchall()
    if len(rows) > REPLICATION_ID_LIMIT:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "too many ids to return; narrow the time window")
    return {"ids": [row[0] for row in rows], "latestDateCovered": json_value(end_at)}


def deleted_records(org: SalesforceOrg, obj: ObjectDef, start: str | None, end: str | None) -> dict:
    start_at, end_at = _replication_window(org, start, end)
    with org.store.read() as cur:
        rows = cur.execute(
            f'SELECT "Id", "SystemModstamp" FROM {quote(obj.name)} WHERE "IsDeleted" AND "SystemModstamp" >= ? '
            f'AND "SystemModstamp" < ? ORDER BY "SystemModstamp", "Id" LIMIT {REPLICATION_ID_LIMIT + 1}',
            [start_at, end_at],
        ).fetchall()
    if len(rows) > REPLICATION_ID_LIMIT:
        raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "too many ids to return; narrow the time window")
    return {
        "deletedRecords": [{"id": record_id, "deletedDate": json_value(when)} for record_id, when in rows],
        "earliestDateAvailable": json_value(org.clock.now() - dt.timedelta(days=15)),
        "latestDateCovered": json_value(end_at),
    }
