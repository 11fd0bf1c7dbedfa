"""Wide results (Bench_Wide__c's 150 fields) are written range by range of row ids (results.py): the same rows in
the same order as one statement, through REST paging and Bulk 2.0 pages, with WHERE, LIMIT and row id gaps."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from sandbox.salesforce import results
from sandbox.salesforce.benchmark_objects import BENCH_WIDE

FIELDS = [f.name for f in BENCH_WIDE.fields]


@pytest.fixture()
def small_ranges(monkeypatch, sf_sandbox):
    monkeypatch.setattr(results, "WIDE_RANGE_ROWS", 37)  # many parts, some of them empty after the deletes
    org = sf_sandbox.org
    if org.count("Bench_Wide__c", '"IsDeleted"') == 0:
        org.mutate("Bench_Wide__c", "hard_delete", count=60)  # gaps in the row ids
        org.mutate("Bench_Wide__c", "soft_delete", count=25)
    return org


def _bulk_rows(sf, bearer, soql: str, operation: str = "query") -> list[dict]:
    job = requests.post(f"{sf.base_url}jobs/query", headers=bearer,
                        json={"operation": operation, "query": soql}).json()
    while requests.get(f"{sf.base_url}jobs/query/{job['id']}", headers=bearer).json()["state"] != "JobComplete":
        pass
    rows, locator = [], None
    while locator != "null":
        page = requests.get(f"{sf.base_url}jobs/query/{job['id']}/results", headers=bearer,
                            params={"maxRecords": 50, **({"locator": locator} if locator else {})})
        locator = page.headers["Sforce-Locator"]
        rows += list(csv.DictReader(io.StringIO(page.text)))
    return rows


def test_rest_paging_of_a_wide_result(sf, small_ranges):
    org = small_ranges
    soql = f"SELECT {', '.join(FIELDS)} FROM Bench_Wide__c"
    headers = {"Sforce-Query-Options": "batchSize=200"}
    response = requests.get(f"{sf.base_url}queryAll", params={"q": soql}, headers={**headers, **sf.headers})
    page = response.json()
    ids = [r["Id"] for r in page["records"]]
    while not page["done"]:
        page = requests.get(f"https://{sf.sf_instance}{page['nextRecordsUrl']}", headers={**headers, **sf.headers}).json()
        ids += [r["Id"] for r in page["records"]]
    assert ids == [r["Id"] for r in org.rows("Bench_Wide__c")]
    live = sf.query_all(f"{soql} WHERE Double_001__c > 5000 LIMIT 123")
    expected = org.rows("Bench_Wide__c", 'NOT "IsDeleted" AND "Double_001__c" > 5000', limit=123)
    assert [r["Id"] for r in live["records"]] == [r["Id"] for r in expected] and live["totalSize"] == 123
    assert live["records"][5]["String_013__c"] == expected[5]["String_013__c"]


def test_bulk_pages_of_a_wide_result(sf, bearer, small_ranges):
    org = small_ranges
    rows = _bulk_rows(sf, bearer, f"SELECT {', '.join(FIELDS)} FROM Bench_Wide__c", "queryAll")
    stored = org.rows("Bench_Wide__c")
    assert [r["Id"] for r in rows] == [r["Id"] for r in stored]
    assert list(rows[0]) == FIELDS
    assert rows[3]["Textarea_012__c"] == (stored[3]["Textarea_012__c"] or "")
    limited = _bulk_rows(sf, bearer, f"SELECT Id, {', '.join(FIELDS[9:60])} FROM Bench_Wide__c LIMIT 77")
    assert [r["Id"] for r in limited] == [r["Id"] for r in org.rows("Bench_Wide__c", 'NOT "IsDeleted"', limit=77)]
