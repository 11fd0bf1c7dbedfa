"""REST query/queryAll, page by page, each page written as a CSV file in the Bulk API 2.0 format.

Small deltas and objects Bulk API 2.0 cannot query come this way. Values are written as Bulk would write them, so
both routes land the same text: datetimes ``2024-01-31T12:34:56.000Z`` (REST says ``+0000``), booleans
``true``/``false``, numbers as plain decimals, null as an empty field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from extract.errors import IncompleteResultError
from extract.salesforce.bulk2_query import ResultPage
from extract.salesforce.client import SalesforceClient
from extract.salesforce.soql import format_landed, parse_landed

REST_BATCH_SIZE = 2000  # records per page: Salesforce's maximum for query batchSize


def csv_value(value, field_type: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if field_type == "datetime" and isinstance(value, str):
        return format_landed(parse_landed(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):  # a compound value never selected by extraction; keep it readable
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def query_pages(client: SalesforceClient, soql: str, fields: tuple[str, ...], field_types: dict[str, str],
                directory: Path, *, include_deleted: bool = True, prefix: str = "rest") -> Iterator[ResultPage]:
    """Yield each page of a REST query as a CSV file (header = ``fields``); the caller deletes each file."""
    resource = "/queryAll/" if include_deleted else "/query/"
    response = client.request("GET", resource, params={"q": soql}, doing=f"query: {soql[:150]}",
                              headers={"Sforce-Query-Options": f"batchSize={REST_BATCH_SIZE}"})
    number = received = 0
    total = None
    while True:
        body = response.json()
        total = body.get("totalSize") if total is None else total
        records = body.get("records", [])
        path = directory / f"{prefix}-{number:06d}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(fields)
            for record in records:
                writer.writerow([csv_value(record.get(f), field_types.get(f, "")) for f in fields])
        received += len(records)
        yield ResultPage(path=path, rows=len(records), bytes=path.stat().st_size, number=number)
        number += 1
        next_url = body.get("nextRecordsUrl")
        if body.get("done", True) or not next_url:
            if total is not None and received != int(total):
                raise IncompleteResultError(
                    f"the query announced {int(total):,} records but its pages held {received:,}: {soql[:150]}")
            return
        response = client.request("GET", urlsplit(next_url).path, doing=f"read the next page of: {soql[:150]}",
                                  headers={"Sforce-Query-Options": f"batchSize={REST_BATCH_SIZE}"})


def count(client: SalesforceClient, soql: str, *, include_deleted: bool = True) -> int:
    resource = "/queryAll/" if include_deleted else "/query/"
    return int(client.get_json(resource, params={"q": soql}, doing=f"count: {soql[:150]}")["totalSize"])


def first_value(client: SalesforceClient, soql: str, field: str, *, include_deleted: bool = True):
    """The field of the first record a query returns, or None."""
    resource = "/queryAll/" if include_deleted else "/query/"
    records = client.get_json(resource, params={"q": soql}, doing=f"query: {soql[:150]}").get("records", [])
    return records[0].get(field) if records else None
