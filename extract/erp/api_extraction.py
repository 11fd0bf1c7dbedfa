"""The ERP's REST API into bronze, incremental on the API's own timestamps, one batch per resource and run.

- usage events (``/v1/usage-events``, opaque cursor paging): ``since`` = the highest ``received_at`` landed less
  the lookback (inclusive), then ``next_cursor`` until it is null; deduplicated on (``event_id``, ``received_at``).
  Late events (``occurred_at`` days back) are found because the cursor is ``received_at``.
- payments (``/v1/payments``, page numbers): ``updated_since`` = the highest ``updated_at`` landed less the
  lookback. Pages are walked by moving ``updated_since`` to the last ``updated_at`` seen and starting again at
  page 1 (rows at that instant come again and are left out), and by page number only while a whole page shares
  one ``updated_at``: a payment updated during the walk moves behind it and is read there, instead of shifting an
  unread one onto a page already read.

Every page is checked, every row landed once per (key, timestamp): ``bronze.erp_api__usage_events``,
``bronze.erp_api__payments``; state and audit under source ``erp_api``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from extract.erp.api_client import ErpApiClient
from extract.erp.landing import BatchSpec, Observer, Page, run_batch, summarise
from extract.erp.options import API_SOURCE, ErpOptions
from extract.warehouse.bronze import Batch, BatchAudit, DedupWindow, ObjectState, bronze_table_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resource:
    name: str  # bronze.erp_api__<name>
    path: str
    key: str
    cursor: str
    columns: tuple[str, ...]


USAGE_EVENTS = Resource("usage_events", "/v1/usage-events", "event_id", "received_at",
                        ("event_id", "customer_number", "sku", "event_type", "quantity", "occurred_at",
                         "received_at"))
PAYMENTS = Resource("payments", "/v1/payments", "payment_id", "updated_at",
                    ("payment_id", "invoice_number", "customer_number", "amount", "currency", "method", "status",
                     "paid_at", "updated_at"))
RESOURCES = {r.name: r for r in (USAGE_EVENTS, PAYMENTS)}


def parse_api_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def format_api_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _usage_event_pages(client: ErpApiClient, since: str | None, size: int) -> Iterator[list[dict]]:
    params: dict = {"limit": size}
    if since:
        params["since"] = since
    while True:
        answer = client.get(USAGE_EVENTS.path, params)
        yield answer.get("data") or []
        cursor = answer.get("next_cursor")
        if not cursor:
            return
        params = {"limit": size, "cursor": cursor}


def _payment_pages(client: ErpApiClient, since: str | None, size: int) -> Iterator[list[dict]]:
    page = 1
    while True:
        params: dict = {"page": page, "page_size": size}
        if since:
            params["updated_since"] = since
        data = client.get(PAYMENTS.path, params).get("data") or []
        yield data
        if len(data) < size:
            return
        last = data[-1]["updated_at"]
        if last != since:
            since, page = last, 1  # walk on from the last instant seen (its rows come again, left out)
        else:
            page += 1  # a whole page at one instant: only page numbers move on


PAGERS: dict[str, Callable[[ErpApiClient, str | None, int], Iterator[list[dict]]]] = {
    USAGE_EVENTS.name: _usage_event_pages, PAYMENTS.name: _payment_pages}


def extract_resource(client: ErpApiClient, writer, resource: Resource | str, options: ErpOptions | None = None, *,
                     dag_run_id: str | None = None, observer: Observer | None = None) -> BatchAudit:
    """Land one resource's rows since its cursor (all of them the first time) in one batch."""
    options = options or ErpOptions()
    resource = RESOURCES[resource] if isinstance(resource, str) else resource
    source = API_SOURCE
    state = writer.object_state(source, resource.name) or ObjectState(source, resource.name,
                                                                     cursor_field=resource.cursor)
    since = (format_api_time(parse_api_time(state.cursor_value) - options.lookback) if state.cursor_value
             else None)
    dedup = DedupWindow(None, None, None)  # pages overlap (payments): compare even within the first batch
    if writer.has_change_rows(bronze_table_name(resource.name, source)):
        dedup = DedupWindow(state.cursor_value, since, writer.dedup_since(source, resource.name, since))
    before = client.stats.copy()
    highest: str | None = None

    def read(directory: Path) -> tuple[tuple[str, ...], list[Page]]:
        nonlocal highest
        pages: list[Page] = []
        seen: set[tuple[str, str]] = set()
        rows: list[dict] = []

        def flush() -> None:
            if not rows:
                return
            path = directory / f"{resource.name}-{len(pages) + 1:05d}.csv"
            table = pa.table({c: pa.array([_text(r.get(c)) for r in rows], pa.string()) for c in resource.columns})
            pacsv.write_csv(table, path)
            pages.append(Page(path, len(rows), path.stat().st_size, len(pages) + 1))
            rows.clear()

        size = min(options.api_page_size, 1000 if resource is USAGE_EVENTS else 500)
        for data in PAGERS[resource.name](client, since, size):
            for row in data:
                identity = (str(row[resource.key]), str(row[resource.cursor]))
                if identity in seen:
                    continue
                seen.add(identity)
                rows.append(row)
                highest = max(filter(None, [highest, row[resource.cursor]]), default=None)
            if len(rows) >= options.page_rows:
                flush()
        flush()
        return resource.columns, pages

    def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
        new_cursor = max(filter(None, [state.cursor_value, highest]), default=None)
        audit.cursor_to = new_cursor
        return state.with_(cursor_field=resource.cursor, cursor_value=new_cursor, window_start=since,
                           last_batch_id=batch.batch_id, last_extracted_at=batch.extracted_at)

    def account(audit: BatchAudit) -> None:
        spent = client.stats.since(before)
        audit.api_calls, audit.retries = spent.api_calls, spent.retries
        if spent.rate_limited:
            audit.notes = f"{spent.rate_limited} answers HTTP 429 waited out (Retry-After honoured)"

    spec = BatchSpec(source, resource.name, "incremental" if state.cursor_value else "full", "api", resource.key,
                     resource.cursor, dag_run_id, state.cursor_value)
    return run_batch(writer, spec, read, lambda batch, page: writer.land_changes(batch, page.path, dedup),
                     on_success, work_dir=options.work_dir, observer=observer, store=options.bronze_store, account=account)


def extract_resources(client: ErpApiClient, writer, resources: list[str] | None = None,
                      options: ErpOptions | None = None, *, dag_run_id: str | None = None,
                      observer: Observer | None = None) -> list[tuple[str, dict | BaseException]]:
    """Every resource (or those named); one resource's failure never stops the other."""
    results: list[tuple[str, dict | BaseException]] = []
    for name in resources or list(RESOURCES):
        try:
            audit = extract_resource(client, writer, name, options, dag_run_id=dag_run_id, observer=observer)
            results.append((name, summarise(API_SOURCE, name, [audit])))
        except Exception as error:
            log.error("erp_api.%s: extraction failed: %s: %s", name, type(error).__name__, error)
            results.append((name, error))
    return results


