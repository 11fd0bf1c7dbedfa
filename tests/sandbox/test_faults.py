"""Injected faults, configured through ``org.faults``, seen by the real clients over HTTPS."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceRefusedRequest,
)

from sandbox.salesforce.faults import parse_option


@pytest.fixture()
def org(sf_sandbox):
    yield sf_sandbox.org
    sf_sandbox.org.faults.clear()
    sf_sandbox.org.bulk_job_latency_seconds = 0
    sf_sandbox.org.limits.set_max("ConcurrentLongRunningRequests", 25)
    sf_sandbox.org.limits.set_max("LongRunningSeconds", 20)


def _url(sf: Salesforce, path: str) -> str:
    return sf.base_url + path


def test_next_n_calls_get_503_then_the_endpoint_recovers(sf, org):
    rule = org.faults.add("http_503", "/services/data/*/query", times=2)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as failure:
            sf.query("SELECT Id FROM Account LIMIT 1")
        assert failure.value.status == 503
        assert failure.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    assert rule.hits == 2 and rule.times == 0
    assert sf.limits()["DailyApiRequests"]["Max"] > 0  # other endpoints never matched


def test_429_with_retry_after_and_403_request_limit(sf, bearer, org):
    org.faults.add("http_429", "*/limits", times=1)
    response = requests.get(_url(sf, "limits/"), headers=bearer)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json() == [{"message": "Too many requests. Retry after a short wait.",
                                "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    org.faults.add("request_limit_exceeded", "*/sobjects/Account/describe", method="GET", times=1)
    with pytest.raises(SalesforceRefusedRequest) as failure:
        sf.Account.describe()
    assert failure.value.content == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert sf.Account.describe()["name"] == "Account"


def test_rate_one_hits_every_call_and_rate_zero_never(sf, bearer, org):
    org.faults.add("http_503", "*/limits", rate=0.0)
    assert requests.get(_url(sf, "limits"), headers=bearer).status_code == 200
    rule = org.faults.add("http_503", "*/limits", rate=1.0)
    assert [requests.get(_url(sf, "limits"), headers=bearer).status_code for _ in range(3)] == [503] * 3
    assert rule.hits == 3


def test_invalid_session_expires_the_token_and_a_relogin_works(sf_sandbox, soap_domain, org):
    client = Salesforce(username=sf_sandbox.username, password=sf_sandbox.password,
                        security_token=sf_sandbox.security_token, domain=soap_domain)
    old_token = client.session_id
    org.faults.add("invalid_session", "*/query", times=1)
    assert client.query("SELECT Id FROM Account LIMIT 2")["totalSize"] == 2  # re-logged in and retried
    assert client.session_id != old_token
    direct = Salesforce(session_id=old_token, instance_url=sf_sandbox.salesforce_url)
    with pytest.raises(SalesforceExpiredSession):
        direct.query("SELECT Id FROM Account LIMIT 1")


def test_query_timeout(sf, org):
    org.faults.add("query_timeout", "*/queryAll", times=1)
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query_all("SELECT Id FROM Contact", include_deleted=True)
    assert failure.value.content[0]["errorCode"] == "QUERY_TIMEOUT"


def test_dropped_connection_mid_download_then_a_retry_succeeds(sf, org):
    org.faults.add("drop_connection", "*/jobs/query/*/results", times=1, after_bytes=100)
    with pytest.raises(requests.exceptions.RequestException):
        list(sf.bulk2.Contact.query("SELECT Id, Email FROM Contact", wait=0.1))
    pages = list(sf.bulk2.Contact.query("SELECT Id, Email FROM Contact", wait=0.1))
    assert sum(page.count("\n") - 1 for page in pages) == sf.query("SELECT COUNT() FROM Contact")["totalSize"]


def test_bulk2_query_job_ends_failed(sf, org):
    org.faults.add("job_failed", "*/jobs/query", times=1, message="InternalServerError : injected")
    with pytest.raises(SalesforceOperationError, match="injected"):
        list(sf.bulk2.Account.query("SELECT Id FROM Account", wait=0.1))


def test_bulk2_ingest_job_fails_and_unable_to_lock_row_fails_some_rows(sf, sf_sandbox, org):
    org.faults.add("job_failed", "*/jobs/ingest", times=1)
    with pytest.raises(SalesforceOperationError, match="injected fault"):
        sf.bulk2.Account.insert(records=[{"Name": "Never written"}], wait=0.1)
    assert sf_sandbox.org.count("Account", "\"Name\" = 'Never written'") == 0

    org.faults.add("unable_to_lock_row", "*/jobs/ingest", times=1, row_rate=0.25)
    records = [{"Name": f"Lock test {i}"} for i in range(8)]
    (result,) = sf.bulk2.Account.insert(records=records, wait=0.1)
    assert result["numberRecordsProcessed"] == 8 and result["numberRecordsFailed"] == 2
    failed = sf.bulk2.Account.get_failed_records(result["job_id"])
    assert failed.count("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record") == 2
    assert sf_sandbox.org.count("Account", "\"Name\" LIKE 'Lock test %'") == 6


def test_bulk_job_latency_floor(sf, bearer, org):
    org.bulk_job_latency_seconds = 1.0
    job = requests.post(_url(sf, "jobs/query"), headers=bearer,
                        json={"operation": "query", "query": "SELECT Id FROM User"}).json()
    time.sleep(0.3)
    info = requests.get(_url(sf, f"jobs/query/{job['id']}"), headers=bearer).json()
    assert info["state"] == "InProgress"
    early = requests.get(_url(sf, f"jobs/query/{job['id']}/results"), headers=bearer)
    assert early.status_code == 400 and early.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    time.sleep(0.9)
    assert requests.get(_url(sf, f"jobs/query/{job['id']}"), headers=bearer).json()["state"] == "JobComplete"


def test_delay_and_the_concurrent_long_running_request_limit(sf, bearer, org):
    org.limits.set_max("ConcurrentLongRunningRequests", 1)
    org.limits.set_max("LongRunningSeconds", 0.2)
    org.faults.add("delay", "*/sobjects", times=1, seconds=1.5)
    slow: dict = {}
    worker = threading.Thread(target=lambda: slow.update(r=requests.get(_url(sf, "sobjects"), headers=bearer)))
    started = time.monotonic()
    worker.start()
    time.sleep(0.6)
    refused = requests.get(_url(sf, "limits"), headers=bearer)
    worker.join()
    assert refused.status_code == 403
    assert refused.json() == [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert slow["r"].status_code == 200 and time.monotonic() - started >= 1.5
    assert requests.get(_url(sf, "limits"), headers=bearer).status_code == 200


def test_option_syntax_and_bad_rules():
    rules = parse_option("http_503@/services/data/*/query*,times=2; job_failed@*/jobs/query,rate=0.5")
    assert [(r.kind, r.endpoint, r.times, r.rate) for r in rules] == [
        ("http_503", "/services/data/*/query*", 2, None), ("job_failed", "*/jobs/query", None, 0.5)]
    with pytest.raises(ValueError):
        parse_option("no_such_kind@*")
    with pytest.raises(ValueError):
        parse_option("http_503@*,rate=2")


def _finished_query_job(sf: Salesforce, bearer: dict, soql: str) -> dict:
    job = requests.post(_url(sf, "jobs/query"), headers=bearer, json={"operation": "query", "query": soql}).json()
    while (info := requests.get(_url(sf, f"jobs/query/{job['id']}"), headers=bearer).json())["state"] != "JobComplete":
        time.sleep(0.05)
    return info


def _pages(sf: Salesforce, bearer: dict, job_id: str, size: int) -> list[tuple[int, int, str]]:
    """Every page as (Sforce-NumberOfRecords, records in the body, Sforce-Locator)."""
    pages, locator = [], None
    while locator != "null":
        params = {"maxRecords": size, **({"locator": locator} if locator else {})}
        page = requests.get(_url(sf, f"jobs/query/{job_id}/results"), headers=bearer, params=params)
        assert page.status_code == 200
        locator = page.headers["Sforce-Locator"]
        pages.append((int(page.headers["Sforce-NumberOfRecords"]), len(page.text.splitlines()) - 1, locator))
    return pages


def test_short_page_holds_fewer_records_than_announced(sf, bearer, org):
    info = _finished_query_job(sf, bearer, "SELECT Id, Email FROM Contact")  # no value holds a line break
    org.faults.add("short_page", "*/jobs/query/*/results", rows=3, skip=1, times=1)
    pages = _pages(sf, bearer, info["id"], 400)
    assert sum(announced for announced, _, _ in pages) == info["numberRecordsProcessed"]
    assert [announced - held for announced, held, _ in pages] == [0, 3] + [0] * (len(pages) - 2)
    default = org.faults.add("short_page", "*/jobs/query/*/results", times=1)
    ((announced, held, _),) = _pages(sf, bearer, info["id"], 100_000)
    assert (announced, held) == (info["numberRecordsProcessed"], info["numberRecordsProcessed"] - 1)
    assert default.hits == 1


def test_early_end_stops_the_locator_chain_over_http(sf, sf_sandbox, bearer, org):
    info = _finished_query_job(sf, bearer, "SELECT Id FROM Lead")
    control = sf_sandbox.sandbox_control_url
    rule = requests.post(f"{control}/faults", json={"kind": "early_end", "endpoint": "*/jobs/query/*/results",
                                                    "skip": 1, "times": 1}).json()
    assert rule["skip"] == 1 and rule["kind"] == "early_end"
    pages = _pages(sf, bearer, info["id"], 300)
    assert [locator for _, _, locator in pages][-1] == "null" and len(pages) == 2
    assert sum(held for _, held, _ in pages) == 600 < info["numberRecordsProcessed"]
    assert requests.get(f"{control}/faults").json()[0]["hits"] == 1


def test_skip_lets_the_first_matching_calls_through(sf, org):
    rule = org.faults.add("http_503", "*/query", skip=2, times=1)
    outcomes = []
    for _ in range(4):
        try:
            sf.query("SELECT Id FROM Account LIMIT 1")
            outcomes.append(200)
        except SalesforceGeneralError as failure:
            outcomes.append(failure.status)
    assert outcomes == [200, 200, 503, 200]
    assert (rule.skip, rule.times, rule.hits) == (0, 0, 1)


def test_option_syntax_for_page_faults_and_skip():
    (short, early) = parse_option("short_page@*/jobs/query/*/results,rows=2,skip=1;early_end@*/results,times=1")
    assert (short.kind, short.rows, short.skip) == ("short_page", 2, 1)
    assert (early.kind, early.times, early.skip) == ("early_end", 1, 0)
    with pytest.raises(ValueError):
        parse_option("short_page@*,rows=0")
    with pytest.raises(ValueError):
        parse_option("http_503@*,skip=-1")


def test_transient_login_failures_soap_oauth_and_root(sf_sandbox, soap_domain, oauth_domain, org):
    credentials = {"username": sf_sandbox.username, "password": sf_sandbox.password,
                   "security_token": sf_sandbox.security_token}
    org.faults.add("http_503", "*", rate=1.0)  # "*" means data API paths: logins are not hit
    Salesforce(domain=soap_domain, **credentials)
    org.faults.clear()

    org.faults.add("http_503", "/services/Soap/u/*", times=1)
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(domain=soap_domain, **credentials)
    assert failure.value.code == 503 and "Service Unavailable" in failure.value.auth_message
    assert Salesforce(domain=soap_domain, **credentials).session_id  # the next login works

    org.faults.add("http_429", "*/oauth2/token", times=1)
    token_url = f"{sf_sandbox.salesforce_url}/services/oauth2/token"
    form = {"grant_type": "client_credentials", "client_id": sf_sandbox.client_id,
            "client_secret": sf_sandbox.client_secret}
    refused = requests.post(token_url, data=form)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"].startswith("text/html") and "Too Many Requests" in refused.text
    assert requests.post(token_url, data=form).status_code == 200

    org.faults.add("http_503", "*/oauth2/token", times=1)
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(domain=oauth_domain, username=sf_sandbox.username, password=sf_sandbox.password,
                   consumer_key=sf_sandbox.client_id, consumer_secret=sf_sandbox.client_secret)
    assert failure.value.code == 503

    org.faults.add("drop_connection", "/", times=1, after_bytes=10)
    with pytest.raises(requests.exceptions.RequestException):
        requests.post(f"{sf_sandbox.salesforce_url}/", data=form)
    assert requests.post(f"{sf_sandbox.salesforce_url}/", data=form).status_code == 200
