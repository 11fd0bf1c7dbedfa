"""The org's allocations: counted per rolling 24 h, reported by /limits and Sforce-Limit-Info, enforced with
Salesforce's errors. Maxima are lowered per test so a handful of calls reaches them."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceOperationError, SalesforceRefusedRequest

from sandbox.salesforce.limits import MAXIMUMS


@pytest.fixture()
def limits(sf_sandbox):
    yield sf_sandbox.org.limits
    for name, maximum in MAXIMUMS.items():
        sf_sandbox.org.limits.set_max(name, maximum)
    sf_sandbox.org.limits.set_max("MaxUploadMB", 150)


def test_api_requests_are_counted_reported_and_refused_past_the_maximum(sf, bearer, limits):
    before = sf.limits()["DailyApiRequests"]
    sf.query("SELECT Id FROM Account LIMIT 1")
    after = sf.limits()["DailyApiRequests"]
    assert before["Remaining"] - after["Remaining"] == 2  # the query and the first /limits call
    used = limits.used("DailyApiRequests")
    assert sf.api_usage["api-usage"].used == used and sf.api_usage["api-usage"].total == after["Max"]

    limits.set_max("DailyApiRequests", used + 2)
    assert requests.get(sf.base_url + "limits", headers=bearer).json()["DailyApiRequests"] == {
        "Max": used + 2, "Remaining": 1}
    response = requests.get(sf.base_url + "sobjects", headers=bearer)
    assert response.status_code == 200 and response.headers["Sforce-Limit-Info"] == f"api-usage={used + 2}/{used + 2}"
    with pytest.raises(SalesforceRefusedRequest) as failure:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert failure.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert limits.used("DailyApiRequests") == used + 2  # refusals are not counted
    assert limits.usage()["rejections"]["DailyApiRequests"] >= 1


def test_bulk2_query_jobs_limit_is_400_limit_exceeded(sf, bearer, limits):
    limits.set_max("DailyBulkV2QueryJobs", limits.used("DailyBulkV2QueryJobs") + 1)
    pages = list(sf.bulk2.User.query("SELECT Id FROM User", wait=0.1))
    assert pages and pages[0].startswith('"Id"')
    response = requests.post(sf.base_url + "jobs/query", headers=bearer,
                             json={"operation": "query", "query": "SELECT Id FROM User"})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
    assert sf.limits()["DailyBulkV2QueryJobs"]["Remaining"] == 0


def test_batches_limit_refuses_new_bulk_work(sf, bearer, limits):
    limits.set_max("DailyBulkApiBatches", limits.used("DailyBulkApiBatches"))
    response = requests.post(sf.base_url + "jobs/ingest", headers=bearer,
                             json={"object": "Account", "operation": "insert"})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
    job = requests.post(sf.bulk_url + "job", headers={"X-SFDC-Session": sf.session_id},
                        json={"operation": "insert", "object": "Account", "contentType": "JSON"}).json()
    refused = requests.post(sf.bulk_url + f"job/{job['id']}/batch", headers={"X-SFDC-Session": sf.session_id},
                            json=[{"Name": "x"}])
    assert refused.status_code == 400 and refused.json()["exceptionCode"] == "ExceededQuota"


def test_ingest_records_limit_fails_the_job_and_batches_are_counted(sf, sf_sandbox, limits):
    batches = limits.used("DailyBulkApiBatches")
    records = limits.used("DailyBulkV2IngestRecords")
    (result,) = sf.bulk2.Account.insert(records=[{"Name": "Counted 1"}, {"Name": "Counted 2"}], wait=0.1)
    assert result["numberRecordsProcessed"] == 2
    assert limits.used("DailyBulkApiBatches") == batches + 1
    assert limits.used("DailyBulkV2IngestRecords") == records + 2
    limits.set_max("DailyBulkV2IngestRecords", records + 3)
    with pytest.raises(SalesforceOperationError, match="ExceededQuota : Max number of records ingested"):
        sf.bulk2.Account.insert(records=[{"Name": f"Over {i}"} for i in range(2)], wait=0.1)
    assert sf_sandbox.org.count("Account", "\"Name\" LIKE 'Over %'") == 0


def test_upload_size_limit_is_refused_in_the_envelope(sf, bearer, limits):
    limits.set_max("MaxUploadMB", 0.001)  # ~1 KB after base64
    job = requests.post(sf.base_url + "jobs/ingest", headers=bearer,
                        json={"object": "Account", "operation": "insert"}).json()
    data = "Name\n" + "".join(f"Big upload {i}\n" for i in range(200))
    response = requests.put(sf.base_url + f"jobs/ingest/{job['id']}/batches", data=data.encode(),
                            headers={**bearer, "Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.json()[0]["errorCode"] == "REQUEST_ENTITY_TOO_LARGE"
    small = requests.put(sf.base_url + f"jobs/ingest/{job['id']}/batches", data=b"Name\nSmall upload\n",
                         headers={**bearer, "Content-Type": "text/csv"})
    assert small.status_code == 201
