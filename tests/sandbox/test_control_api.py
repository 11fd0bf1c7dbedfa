"""The control interface over HTTP (SANDBOX_CONTROL_URL): mutations, clock, faults, usage, true contents."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceRefusedRequest

from sandbox.salesforce.limits import MAXIMUMS


@pytest.fixture()
def control(sf_sandbox):
    url = sf_sandbox.sandbox_control_url
    assert url.startswith("http://127.0.0.1:")
    yield url
    requests.delete(f"{url}/faults")
    requests.post(f"{url}/limits", json=MAXIMUMS)
    requests.post(f"{url}/clock", json={"resume": True})


def test_mutation_over_http_and_true_contents(sf, control):
    response = requests.post(f"{control}/orgs/salesforce/mutations",
                             json={"object": "Contact", "kind": "soft_delete", "count": 2})
    assert response.status_code == 200
    ids = response.json()["ids"]
    where = f"\"Id\" IN ('{ids[0]}', '{ids[1]}')"
    rows = requests.get(f"{control}/objects/Contact/rows", params={"where": where, "limit": 10}).json()
    assert sorted(r["Id"] for r in rows) == sorted(ids) and all(r["IsDeleted"] for r in rows)
    assert requests.get(f"{control}/objects/Contact/count", params={"where": where}).json() == {"count": 2}
    assert sf.query(f"SELECT COUNT() FROM Contact WHERE Id IN ('{ids[0]}', '{ids[1]}')")["totalSize"] == 0
    bad = requests.post(f"{control}/orgs/salesforce/mutations", json={"object": "Contact", "kind": "explode"})
    assert bad.status_code == 400 and "unknown mutation kind" in bad.json()["error"]
    assert requests.get(f"{control}/objects/Nope/rows").status_code == 404


def test_clock_freeze_advance_and_records_stamped_with_it(sf, sf_sandbox, control):
    # within the sessions' 2-hour idle timeout, so the suite's shared tokens stay valid
    at = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)).replace(microsecond=0, tzinfo=None)
    frozen = requests.post(f"{control}/clock", json={"freeze_at": at.isoformat() + "Z"}).json()
    assert frozen == {"now": at.isoformat() + "Z"}
    moved = requests.post(f"{control}/clock", json={"advance_seconds": 60}).json()
    later = at + dt.timedelta(seconds=60)
    assert moved == {"now": later.isoformat() + "Z"} == requests.get(f"{control}/clock").json()
    created = sf.Account.create({"Name": "Clocked"})["id"]
    assert sf.Account.get(created)["CreatedDate"] == later.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def test_faults_over_http(sf, control):
    rule = requests.post(f"{control}/faults", json={"kind": "http_503", "endpoint": "*/limits", "times": 1})
    assert rule.status_code == 201 and rule.json()["id"] > 0
    with pytest.raises(SalesforceGeneralError):
        sf.limits()
    assert sf.limits()["DailyApiRequests"]["Max"] > 0
    listed = requests.get(f"{control}/faults").json()
    assert listed[0]["hits"] == 1 and listed[0]["times"] == 0
    assert requests.delete(f"{control}/faults/{listed[0]['id']}").json() == {"removed": listed[0]["id"]}
    assert requests.post(f"{control}/faults", json={"kind": "nope"}).status_code == 400


def test_usage_and_limits_over_http_roll_with_the_clock(sf, sf_sandbox, soap_domain, control):
    sf.query("SELECT Id FROM User LIMIT 1")
    usage = requests.get(f"{control}/usage").json()
    used = usage["limits"]["DailyApiRequests"]["Used"]
    assert used >= 1 and usage["requests_by_endpoint"]["GET /services/data/v59.0/query"] >= 1
    requests.post(f"{control}/limits", json={"DailyApiRequests": used})
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM User LIMIT 1")
    # 26 h later it has rolled out of the 24-hour window (except calls other tests made with the clock moved
    # ahead); a fresh login, as tokens idle-expire after 2 h
    requests.post(f"{control}/clock", json={"freeze_at": sf_sandbox.org.now().isoformat()})
    requests.post(f"{control}/clock", json={"advance_seconds": 26 * 3600})
    later = Salesforce(username=sf_sandbox.username, password=sf_sandbox.password,
                       security_token=sf_sandbox.security_token, domain=soap_domain)
    assert later.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1
    in_window = requests.get(f"{control}/usage").json()["limits"]["DailyApiRequests"]["Used"]
    assert in_window < used
    assert later.limits()["DailyApiRequests"]["Remaining"] == used - in_window - 1
