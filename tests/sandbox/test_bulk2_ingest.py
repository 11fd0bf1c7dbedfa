"""Bulk API 2.0 ingest: upsert by external id and update by Id with simple-salesforce, result files, job failures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import requests


def _results(sf, job_id: str, kind: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(getattr(sf.bulk2.Account, f"get_{kind}_records")(job_id))))


def test_upsert_by_external_id_with_a_failing_row(sf, sf_sandbox, frozen_clock):
    org = sf_sandbox.org
    written_at = org.now() - dt.timedelta(days=1)  # in the past, so open sessions stay valid
    frozen_clock.freeze(written_at)
    existing = org.rows("Account", "\"Customer_Key__c\" = 'CUST-000007'")[0]
    records = [
        {"Customer_Key__c": "CUST-000007", "Customer_Health__c": "At Risk", "Open_Pipeline_Amount__c": "1250.5"},
        {"Customer_Key__c": "NEW-UPSERT-1", "Name": 'Brand "New", Zürich', "Customer_Health__c": "Healthy"},
        {"Customer_Key__c": "CUST-000008", "Customer_Health__c": "Thriving"},  # not in the restricted picklist
    ]
    (summary,) = sf.bulk2.Account.upsert(records=records, external_id_field="Customer_Key__c", wait=0)
    assert summary["numberRecordsProcessed"] == 3 and summary["numberRecordsFailed"] == 1

    updated = org.rows("Account", f"\"Id\" = '{existing['Id']}'")[0]
    assert updated["Customer_Health__c"] == "At Risk" and updated["Open_Pipeline_Amount__c"] == 1250.5
    assert updated["Name"] == existing["Name"]  # absent from this row: unchanged
    assert updated["LastModifiedDate"] == updated["SystemModstamp"] == written_at
    assert updated["LastModifiedById"] == org.credentials.user_id
    created = org.rows("Account", "\"Customer_Key__c\" = 'NEW-UPSERT-1'")[0]
    assert created["Name"] == 'Brand "New", Zürich' and created["OwnerId"] == org.credentials.user_id
    assert created["CreatedDate"] == written_at and created["Id"].startswith("001")
    assert org.rows("Account", "\"Customer_Key__c\" = 'CUST-000008'")[0]["Customer_Health__c"] is None

    successes = {r["Customer_Key__c"]: r for r in _results(sf, summary["job_id"], "successful")}
    assert successes["CUST-000007"]["sf__Id"] == existing["Id"] and successes["CUST-000007"]["sf__Created"] == "false"
    assert successes["NEW-UPSERT-1"]["sf__Id"] == created["Id"] and successes["NEW-UPSERT-1"]["sf__Created"] == "true"
    (failure,) = _results(sf, summary["job_id"], "failed")
    assert failure["Customer_Key__c"] == "CUST-000008"
    assert failure["sf__Error"] == ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Customer Health: bad value for "
                                    "restricted picklist field: Thriving:Customer_Health__c --")
    assert _results(sf, summary["job_id"], "unprocessed") == []


def test_update_by_id_blank_keeps_and_na_clears(sf, sf_sandbox):
    org = sf_sandbox.org
    target = org.rows("Account", "\"Phone\" IS NOT NULL AND \"Website\" IS NOT NULL AND NOT \"IsDeleted\"")[0]
    records = [
        {"Id": target["Id"], "Phone": "#N/A", "Website": "", "Description": "line one\nline two, \"quoted\""},
        {"Id": "0018d00000zzzzzAAA", "Phone": "1"},
    ]
    (summary,) = sf.bulk2.Account.update(records=records, wait=0)
    assert summary["numberRecordsFailed"] == 1
    after = org.rows("Account", f"\"Id\" = '{target['Id']}'")[0]
    assert after["Phone"] is None and after["Website"] == target["Website"]
    assert after["Description"] == "line one\nline two, \"quoted\""
    (failure,) = _results(sf, summary["job_id"], "failed")
    assert failure["sf__Error"] == "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--"


def _ingest(sf, bearer, body: dict, data: bytes, puts: int = 1) -> tuple[str, requests.Response]:
    jobs_url = f"{sf.base_url}jobs/ingest"
    job = requests.post(jobs_url, headers=bearer, json={"object": "Contact", "contentType": "CSV", **body}).json()
    assert job["state"] == "Open" and job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    for _ in range(puts):
        put = requests.put(f"https://{sf.sf_instance}/{job['contentUrl']}", data=data,
                           headers={**bearer, "Content-Type": "text/csv"})
        assert put.status_code == 201
    closed = requests.patch(f"{jobs_url}/{job['id']}", headers=bearer, json={"state": "UploadComplete"})
    return job["id"], closed


def _finished(sf, bearer, job_id: str) -> dict:
    for _ in range(600):
        info = requests.get(f"{sf.base_url}jobs/ingest/{job_id}", headers=bearer).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        time.sleep(0.05)
    raise AssertionError("ingest job did not finish")


def test_line_ending_mismatch_fails_the_job(sf, bearer):
    job_id, closed = _ingest(sf, bearer, {"operation": "insert", "lineEnding": "LF"}, b"LastName\r\nCrlf\r\n")
    assert closed.status_code == 200 and closed.json()["state"] == "UploadComplete"
    info = _finished(sf, bearer, job_id)
    assert info["state"] == "Failed"
    assert info["errorMessage"] == ("ClientInputError : LineEnding is invalid on user data. "
                                    "Current LineEnding setting is LF")
    unprocessed = requests.get(f"{sf.base_url}jobs/ingest/{job_id}/unprocessedrecords/", headers=bearer)
    assert unprocessed.text == "LastName\r\nCrlf\r\n"


def test_unknown_column_fails_the_job(sf, bearer):
    job_id, _ = _ingest(sf, bearer, {"operation": "insert"}, b"LastName,Industryy\nX,Y\n")
    info = _finished(sf, bearer, job_id)
    assert info["state"] == "Failed" and info["errorMessage"] == "InvalidBatch : Field name not found : Industryy"


def test_second_put_makes_the_close_fail(sf, bearer):
    _, closed = _ingest(sf, bearer, {"operation": "insert"}, b"LastName\nTwice\n", puts=2)
    assert closed.status_code == 400 and closed.json()[0]["errorCode"] == "INVALIDJOB"


def test_insert_by_csv_with_parent_external_id_and_row_errors(sf, sf_sandbox, bearer):
    account = sf_sandbox.org.rows("Account", "\"Customer_Key__c\" LIKE 'CUST-%' AND NOT \"IsDeleted\"")[0]
    key = account["Customer_Key__c"]
    data = ("LastName,FirstName,Account.Customer_Key__c,Email,Birthdate\n"
            f"Ok,Row,{key},ok@example.com,1990-05-01\n"
            f",NoLastName,{key},,\n"
            "Bad,Parent,NO-SUCH-KEY,,\n"
            "Bad,Date,,,31/12/1990\n").encode()
    job_id, _ = _ingest(sf, bearer, {"operation": "insert"}, data)
    info = _finished(sf, bearer, job_id)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 4 and info["numberRecordsFailed"] == 3
    success = requests.get(f"{sf.base_url}jobs/ingest/{job_id}/successfulResults", headers=bearer).text
    header, row = success.strip("\n").split("\n")
    assert header == '"sf__Id","sf__Created",LastName,FirstName,Account.Customer_Key__c,Email,Birthdate'
    new_id = row.split(",")[0].strip('"')
    contact = sf_sandbox.org.rows("Contact", f"\"Id\" = '{new_id}'")[0]
    assert contact["AccountId"] == account["Id"] and contact["Name"] == "Row Ok"
    assert contact["Birthdate"] == dt.date(1990, 5, 1)
    failed = list(csv.DictReader(io.StringIO(
        requests.get(f"{sf.base_url}jobs/ingest/{job_id}/failedResults/", headers=bearer).text)))
    errors = {row["FirstName"]: row["sf__Error"] for row in failed}
    assert errors["NoLastName"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    assert errors["Parent"].startswith("INVALID_FIELD:Foreign key external ID: NO-SUCH-KEY not found")
    assert errors["Date"].startswith("INVALID_TYPE_ON_FIELD_IN_RECORD:Birthdate: value not of required type")


def test_duplicate_keys_in_one_upload_and_delete_then_hard_delete(sf, sf_sandbox):
    (summary,) = sf.bulk2.Account.upsert(records=[
        {"Customer_Key__c": "DUP-1", "Name": "First"}, {"Customer_Key__c": "DUP-1", "Name": "Second"},
    ], external_id_field="Customer_Key__c", wait=0)
    assert summary["numberRecordsFailed"] == 2
    errors = {row["sf__Error"] for row in _results(sf, summary["job_id"], "failed")}
    assert errors == {"DUPLICATE_VALUE:Duplicate external id specified: DUP-1:Customer_Key__c --"}

    ids = [sf.Contact.create({"LastName": f"Temp {n}"})["id"] for n in range(2)]
    (deleted,) = sf.bulk2.Contact.delete(records=[{"Id": ids[0]}], wait=0)
    assert deleted["numberRecordsFailed"] == 0
    assert sf_sandbox.org.rows("Contact", f"\"Id\" = '{ids[0]}'")[0]["IsDeleted"] is True
    (hard,) = sf.bulk2.Contact.hard_delete(records=[{"Id": ids[1]}], wait=0)
    assert hard["numberRecordsFailed"] == 0
    assert sf_sandbox.org.count("Contact", f"\"Id\" = '{ids[1]}'") == 0
