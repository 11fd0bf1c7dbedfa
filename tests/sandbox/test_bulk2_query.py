"""Bulk API 2.0 query jobs via simple-salesforce and via raw HTTP: paging, CSV format, errors."""

from __future__ import annotations

import csv
import io
import time

import pytest
import requests


def _wait_for(url: str, headers: dict, state: str = "JobComplete") -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = requests.get(url, headers=headers).json()
        if info["state"] in (state, "Failed", "Aborted"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"job did not reach {state}")


def test_simple_salesforce_bulk2_query_yields_csv_pages(sf, sf_sandbox):
    pages = list(sf.bulk2.Account.query("SELECT Id, Name, Customer_Key__c FROM Account", max_records=100, wait=0))
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(pages) == -(-len(rows) // 100)
    live = sf_sandbox.org.rows("Account", 'NOT "IsDeleted"')
    assert [r["Id"] for r in rows] == [a["Id"] for a in live]
    assert [r["Name"] for r in rows] == [a["Name"] for a in live]
    assert [r["Customer_Key__c"] for r in rows] == [a["Customer_Key__c"] or "" for a in live]


def test_raw_bulk2_query_paging_headers_and_exact_format(sf, sf_sandbox, bearer):
    jobs_url = f"{sf.base_url}jobs/query"
    soql = ("SELECT Id, Name, Description, BillingStreet, BillingCity, AnnualRevenue, NumberOfEmployees, "
            "CreatedDate, IsDeleted, Owner.Email FROM Account ORDER BY Id")
    created = requests.post(jobs_url, json={"operation": "query", "query": soql},
                            headers={**bearer, "Accept": "text/csv; charset=UTF-8"})
    assert created.status_code == 200
    job = created.json()
    assert job["state"] == "UploadComplete" and job["object"] == "Account" and job["id"].startswith("750")
    assert isinstance(job["apiVersion"], float)
    info = _wait_for(f"{jobs_url}/{job['id']}", bearer)
    live = sf_sandbox.org.rows("Account", 'NOT "IsDeleted"')
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == len(live)

    header_line = ('"Id","Name","Description","BillingStreet","BillingCity","AnnualRevenue","NumberOfEmployees",'
                   '"CreatedDate","IsDeleted","Owner.Email"\n')
    bodies, locator, counts = [], None, []
    while True:
        params = {"maxRecords": 70, **({"locator": locator} if locator else {})}
        page = requests.get(f"{jobs_url}/{job['id']}/results", params=params, headers=bearer)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/csv")
        assert page.text.startswith(header_line)
        counts.append(int(page.headers["Sforce-NumberOfRecords"]))
        bodies.append(page.text)
        locator = page.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert sum(counts) == len(live) and max(counts) == 70 and len(counts) == -(-len(live) // 70)

    rows = [row for body in bodies for row in csv.reader(io.StringIO(body, newline=""))
            if row[0] != "Id"]
    by_id = {a["Id"]: a for a in live}
    for row in rows:
        stored = by_id[row[0]]
        assert row[1] == stored["Name"]
        assert row[2] == (stored["Description"] or "")
        assert row[3] == (stored["BillingStreet"] or "")
        assert row[5] == ("" if stored["AnnualRevenue"] is None else repr(float(stored["AnnualRevenue"])))
        assert row[6] == ("" if stored["NumberOfEmployees"] is None else str(stored["NumberOfEmployees"]))
        assert row[7] == stored["CreatedDate"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert row[8] == "false"
    for body in bodies:  # every value, header included, is double-quoted: re-quoting all gives the same bytes
        requoted = io.StringIO()
        csv.writer(requoted, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
            csv.reader(io.StringIO(body, newline="")))
        assert requoted.getvalue() == body
    text = "".join(bodies)
    assert '"Big"" Co' in text or "O'Brien" in text  # quotes survive
    assert any("\n" in row[2] or "\n" in row[3] for row in rows)  # embedded newlines
    assert any(not row[4].isascii() for row in rows)  # Zürich, São Paulo, 東京...

    again = requests.get(f"{jobs_url}/{job['id']}/results", params={"maxRecords": 70}, headers=bearer)
    assert again.text == bodies[0]  # pages can be fetched again
    assert requests.delete(f"{jobs_url}/{job['id']}", headers=bearer).status_code == 204
    assert requests.get(f"{jobs_url}/{job['id']}", headers=bearer).status_code == 404


def test_query_all_job_includes_deleted_and_uses_job_options(sf, bearer):
    victim = sf.Case.create({"Subject": "to delete"})["id"]
    sf.Case.delete(victim)
    jobs_url = f"{sf.base_url}jobs/query"
    for operation, expected in (("query", False), ("queryAll", True)):
        job = requests.post(jobs_url, headers=bearer, json={
            "operation": operation, "query": f"SELECT Id, IsDeleted FROM Case WHERE Id = '{victim}'",
            "columnDelimiter": "PIPE", "lineEnding": "CRLF"}).json()
        _wait_for(f"{jobs_url}/{job['id']}", bearer)
        body = requests.get(f"{jobs_url}/{job['id']}/results", headers=bearer).text
        assert body == ('"Id"|"IsDeleted"\r\n' + (f'"{victim}"|"true"\r\n' if expected else ""))


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
    ("SELECT Id, Bogus__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ("SELECT Id, BillingAddress FROM Account", "INVALIDJOB"),
])
def test_invalid_soql_is_rejected_when_the_job_is_created(sf, bearer, soql, code):
    response = requests.post(f"{sf.base_url}jobs/query", headers=bearer, json={"operation": "query", "query": soql})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == code


def test_aborting_a_completed_job_is_refused(sf, bearer):
    jobs_url = f"{sf.base_url}jobs/query"
    job = requests.post(jobs_url, headers=bearer, json={"operation": "query", "query": "SELECT Id FROM User"}).json()
    _wait_for(f"{jobs_url}/{job['id']}", bearer)
    response = requests.patch(f"{jobs_url}/{job['id']}", headers=bearer, json={"state": "Aborted"})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    listed = requests.get(jobs_url, headers=bearer).json()
    assert job["id"] in {j["id"] for j in listed["records"]} and listed["done"] is True
