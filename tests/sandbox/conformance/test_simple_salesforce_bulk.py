"""Conformance: Bulk API 1.0 (JSON) through simple-salesforce's unmodified ``sf.bulk``, and its error body."""

from __future__ import annotations

import requests


def test_insert_update_upsert_delete_hard_delete_in_input_order(sf, sf_sandbox):
    org = sf_sandbox.org
    inserted = sf.bulk.Account.insert([{"Name": "B1 one"}, {"Name": None}, {"Name": "B1 two"}], batch_size=2)
    assert [r["success"] for r in inserted] == [True, False, True]
    assert inserted[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert inserted[0]["created"] and inserted[0]["id"].startswith("001")
    first, second = inserted[0]["id"], inserted[2]["id"]
    updated = sf.bulk.Account.update([{"Id": first, "Phone": "555-0101"}])
    assert updated == [{"success": True, "created": False, "id": first, "errors": []}]
    assert org.rows("Account", f"\"Id\" = '{first}'")[0]["Phone"] == "555-0101"
    upserted = sf.bulk.Account.upsert([{"Customer_Key__c": "B1-KEY", "Name": "B1 upserted"},
                                       {"Customer_Key__c": "B1-KEY-2", "Name": "B1 upserted 2"}],
                                      external_id_field="Customer_Key__c")
    assert [r["created"] for r in upserted] == [True, True]
    again = sf.bulk.Account.upsert([{"Customer_Key__c": "B1-KEY", "Name": "B1 renamed"}],
                                   external_id_field="Customer_Key__c")
    assert again[0]["created"] is False and again[0]["id"] == upserted[0]["id"]
    assert sf.bulk.Account.delete([{"Id": first}])[0]["success"]
    assert org.rows("Account", f"\"Id\" = '{first}'")[0]["IsDeleted"] is True
    assert sf.bulk.Account.hard_delete([{"Id": second}])[0]["success"]
    assert org.count("Account", f"\"Id\" = '{second}'") == 0


def test_query_and_query_all_return_records_with_epoch_milliseconds(sf, sf_sandbox):
    live = sf.bulk.Lead.query("SELECT Id, Email, CreatedDate, ConvertedDate FROM Lead")
    assert len(live) == sf_sandbox.org.count("Lead", 'NOT "IsDeleted"')
    record = live[0]
    assert record["attributes"]["type"] == "Lead" and isinstance(record["CreatedDate"], int)
    everything = sf.bulk.Lead.query_all("SELECT Id FROM Lead")
    assert len(everything) == sf_sandbox.org.count("Lead")


def test_errors_use_the_bulk1_body(sf):
    headers = {"X-SFDC-Session": "not-a-session", "Content-Type": "application/json"}
    response = requests.post(sf.bulk_url + "job", headers=headers, json={"operation": "insert", "object": "Account"})
    assert response.status_code == 401
    assert response.json() == {"exceptionCode": "InvalidSessionId", "exceptionMessage": "Session expired or invalid"}
    headers["X-SFDC-Session"] = sf.session_id
    bad = requests.post(sf.bulk_url + "job", headers=headers, json={"operation": "insert", "object": "Nope__c"})
    assert bad.status_code == 400 and bad.json()["exceptionCode"] == "InvalidEntity"
    job = requests.post(sf.bulk_url + "job", headers=headers,
                        json={"operation": "insert", "object": "Account", "concurrencyMode": 0}).json()
    assert job["state"] == "Open" and job["concurrencyMode"] == "Parallel"
    batch = requests.post(sf.bulk_url + f"job/{job['id']}/batch", headers=headers, data=b"[{not json").json()
    assert batch["state"] == "Failed" and batch["stateMessage"].startswith("InvalidBatch : Failed to parse JSON")
    unknown = requests.post(sf.bulk_url + f"job/{job['id']}/batch", headers=headers, json=[{"Bogus__c": 1}]).json()
    assert unknown["stateMessage"] == "InvalidBatch : Field name not found : Bogus__c"
    closed = requests.post(sf.bulk_url + f"job/{job['id']}", headers=headers, json={"state": "Closed"}).json()
    assert closed["state"] == "Closed" and closed["numberBatchesFailed"] == 2
    late = requests.post(sf.bulk_url + f"job/{job['id']}/batch", headers=headers, json=[{"Name": "late"}])
    assert late.status_code == 400 and late.json()["exceptionCode"] == "InvalidJobState"
