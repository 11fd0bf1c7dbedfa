"""The paged REST API: cursor and page-number paging, bearer auth, rate limiting."""

from __future__ import annotations

import datetime as dt

import requests


def test_usage_events_page_through_every_row_exactly_once(api, erp):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 150} | ({"cursor": cursor} if cursor else {})
        body = api.get("/v1/usage-events", **params).json()
        seen += [event["event_id"] for event in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages > 5
    assert len(seen) == len(set(seen)) == erp.count("api.usage_events")
    event = erp.rows("api.usage_events", "event_id = %s", (seen[0],))[0]
    assert set(body["data"][0]) == set(event)


def test_usage_events_since(api, erp):
    events = erp.rows("api.usage_events", order_by="received_at, event_id")
    middle = events[len(events) // 2]["received_at"]
    since = middle.isoformat() + "Z"
    seen, cursor = [], None
    while True:
        body = api.get("/v1/usage-events", since=since, limit=200, **({"cursor": cursor} if cursor else {})).json()
        seen += [e["event_id"] for e in body["data"]]
        assert all(e["received_at"] >= since for e in body["data"])
        if not (cursor := body["next_cursor"]):
            break
    assert seen == [e["event_id"] for e in events if e["received_at"] >= middle]


def test_payments_page_numbers(api, erp):
    first = api.get("/v1/payments", page=1, page_size=40).json()
    total = first["total"]
    assert total == erp.count("api.payments") and first["total_pages"] == -(-total // 40)
    seen = []
    for page in range(1, first["total_pages"] + 1):
        body = api.get("/v1/payments", page=page, page_size=40).json()
        assert body["page"] == page and len(body["data"]) <= 40
        seen += [p["payment_id"] for p in body["data"]]
    assert len(seen) == len(set(seen)) == total
    assert api.get("/v1/payments", page=first["total_pages"] + 1, page_size=40).json()["data"] == []


def test_payments_updated_since(api, erp):
    cut = dt.datetime(2025, 1, 1)
    body = api.get("/v1/payments", updated_since="2025-01-01T00:00:00Z", page_size=500).json()
    assert body["total"] == erp.count("api.payments", "updated_at >= %s", (cut,))
    assert all(p["updated_at"] >= "2025-01-01T00:00:00Z" for p in body["data"])


def test_bad_requests(api, erp_sandbox):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": erp_sandbox.erp_api_token}):
        response = requests.get(erp_sandbox.erp_api_url + "/v1/payments", headers=headers, timeout=10)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert api.get("/v1/usage-events", cursor="not-a-cursor").status_code == 400
    assert api.get("/v1/payments", page=0).json()["error"] == "invalid_parameter"
    assert api.get("/v1/usage-events", since="yesterday").status_code == 400


def test_rate_limit_answers_429_with_retry_after(api, erp):
    erp.set_rate_limit(3, per_seconds=1)
    try:
        session, headers = requests.Session(), {"Authorization": f"Bearer {api.token}"}
        responses = [session.get(api.url + "/v1/payments", headers=headers, params={"page_size": 1}, timeout=10)
                     for _ in range(6)]
        statuses = [r.status_code for r in responses]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
        limited = next(r for r in responses if r.status_code == 429)
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"] == "rate_limited"
        assert api.get("/v1/payments", page_size=1).status_code == 200  # after waiting Retry-After
    finally:
        erp.set_rate_limit(1000)
