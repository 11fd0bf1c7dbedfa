"""Conformance: unmodified simple-salesforce ``sf.bulk2`` (Bulk API 2.0 query paging and every ingest operation
with its result files) against the sandbox."""

from __future__ import annotations

import csv
import io

from simple_salesforce.bulk2 import Operation


def _rows(pages) -> list[dict]:
    return [row for page in pages for row in csv.DictReader(io.StringIO(page))]


def test_query_pages_by_max_records_and_download(sf, sf_sandbox, tmp_path):
    pages = list(sf.bulk2.Contact.query("SELECT Id, Email, Account.Name FROM Contact", max_records=40, wait=0.1))
    total = sf_sandbox.org.count("Contact", 'NOT "IsDeleted"')
    assert len(pages) == -(-total // 40) and all(page.startswith('"Id","Email","Account.Name"') for page in pages)
    assert len({row["Id"] for row in _rows(pages)}) == total
    everything = _rows(sf.bulk2.Contact.query_all("SELECT Id, IsDeleted FROM Contact", wait=0.1))
    assert len(everything) == sf_sandbox.org.count("Contact")
    files = sf.bulk2.Contact.download("SELECT Id FROM Contact", path=str(tmp_path), max_records=100, wait=0.1)
    assert sum(f["number_of_records"] for f in files) == total


def test_insert_upsert_update_delete_with_result_files(sf, sf_sandbox):
    (inserted,) = sf.bulk2.Account.insert(records=[{"Name": "Bulk2 A"}, {"Name": "Bulk2 B"}, {"Phone": "1"}],
                                          wait=0.1)
    assert (inserted["numberRecordsProcessed"], inserted["numberRecordsFailed"]) == (3, 1)
    successes = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_successful_records(inserted["job_id"]))))
    assert {r["Name"] for r in successes} == {"Bulk2 A", "Bulk2 B"} and all(r["sf__Created"] == "true"
                                                                              for r in successes)
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_failed_records(inserted["job_id"]))))
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING")
    assert sf.bulk2.Account.get_unprocessed_records(inserted["job_id"]).strip() != ""
    ids = [r["sf__Id"] for r in successes]

    (upserted,) = sf.bulk2.Account.upsert(records=[{"Customer_Key__c": "B2-1", "Name": "Bulk2 upsert"}],
                                          external_id_field="Customer_Key__c", wait=0.1)
    assert upserted["numberRecordsFailed"] == 0
    (updated,) = sf.bulk2.Account.update(records=[{"Id": ids[0], "Phone": "555"}], wait=0.1)
    assert updated["numberRecordsProcessed"] == 1
    assert sf_sandbox.org.rows("Account", f"\"Id\" = '{ids[0]}'")[0]["Phone"] == "555"
    (deleted,) = sf.bulk2.Account.delete(records=[{"Id": ids[0]}], wait=0.1)
    assert deleted["numberRecordsFailed"] == 0
    assert sf_sandbox.org.rows("Account", f"\"Id\" = '{ids[0]}'")[0]["IsDeleted"] is True
    (purged,) = sf.bulk2.Account.hard_delete(records=[{"Id": ids[1]}], wait=0.1)
    assert purged["numberRecordsFailed"] == 0 and sf_sandbox.org.count("Account", f"\"Id\" = '{ids[1]}'") == 0


def test_abort_an_open_job(sf):
    job = sf.bulk2.Account._client.create_job(Operation.insert, external_id_field=None)
    assert job["state"] == "Open"
    assert sf.bulk2.Account._client.abort_job(job["id"], is_query=False)["state"] == "Aborted"
