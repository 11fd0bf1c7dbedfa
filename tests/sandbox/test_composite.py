"""The Composite resource over HTTPS: subrequests answer what the standalone calls answer, the whole call counts
as one API request, Salesforce's limits and allOrNone semantics, faults on the composite call itself."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceGeneralError

V = "/services/data/v59.0"


@pytest.fixture()
def org(sf_sandbox):
    yield sf_sandbox.org
    sf_sandbox.org.faults.clear()


def _composite(sf, bearer, subrequests: list[dict], all_or_none: bool = False) -> requests.Response:
    return requests.post(f"{sf.base_url}composite", headers=bearer,
                         json={"allOrNone": all_or_none, "compositeRequest": subrequests})


def _get(ref: str, url: str) -> dict:
    return {"method": "GET", "url": url, "referenceId": ref}


def test_probe_counts_describe_and_limits_in_one_api_call(sf, bearer, org):
    objects = ["Account", "Contact", "Lead", "Case", "Invoice__c"]
    subrequests = [
        _get(f"c{i}", f"{V}/queryAll?q=SELECT COUNT() FROM {name} WHERE SystemModstamp >= 2024-01-01T00:00:00Z")
        for i, name in enumerate(objects)
    ]
    subrequests += [_get("describe", f"{V}/sobjects/Invoice__c/describe"), _get("global", f"{V}/sobjects/"),
                    _get("limits", f"{V}/limits")]
    used = org.limits.used("DailyApiRequests")
    response = _composite(sf, bearer, subrequests)
    assert org.limits.used("DailyApiRequests") == used + 1  # the composite call, not its 8 subrequests
    assert response.status_code == 200
    results = response.json()["compositeResponse"]
    assert [r["referenceId"] for r in results] == [s["referenceId"] for s in subrequests]
    assert all(r["httpStatusCode"] == 200 for r in results)
    for name, result in zip(objects, results):
        expected = org.count(name, "\"SystemModstamp\" >= TIMESTAMP '2024-01-01'")
        assert result["body"] == {"totalSize": expected, "done": True, "records": []}
        assert expected > 0
    by_ref = {r["referenceId"]: r["body"] for r in results}
    assert by_ref["describe"] == sf.Invoice__c.describe()
    assert by_ref["global"]["sobjects"] == sf.describe()["sobjects"]
    assert by_ref["limits"]["DailyApiRequests"]["Max"] == sf.limits()["DailyApiRequests"]["Max"]
    usage = org.usage()["composite_subrequests_by_endpoint"]
    assert usage[f"GET {V}/queryAll"] >= 5 and usage[f"GET {V}/sobjects/Invoice__c/describe"] >= 1


def test_query_pages_and_references_to_earlier_results(sf, bearer):
    soql = "SELECT Id, Subject FROM Task ORDER BY Id"
    response = _composite(sf, bearer, [
        _get("p0", f"{V}/query?q={soql}"),
        _get("p1", "@{p0.nextRecordsUrl}"),
        _get("first", f"{V}/sobjects/Task/@{{p0.records[0].Id}}"),
    ])
    first, second, record = response.json()["compositeResponse"]
    standalone = sf.query(soql)
    assert first["body"]["totalSize"] == standalone["totalSize"] > 2000
    assert [r["Id"] for r in first["body"]["records"]] == [r["Id"] for r in standalone["records"]]
    following = sf.query_more(standalone["nextRecordsUrl"], identifier_is_url=True)
    assert second["httpStatusCode"] == 200
    assert [r["Id"] for r in second["body"]["records"]] == [r["Id"] for r in following["records"]]
    assert record["body"]["Id"] == standalone["records"][0]["Id"]


def test_failing_subrequest_carries_its_error_and_all_or_none_halts_the_rest(sf, bearer):
    subrequests = [_get("ok", f"{V}/query?q=SELECT Id FROM Account LIMIT 1"),
                   _get("bad", f"{V}/query?q=SELECT Id, Nope FROM Account"),
                   _get("gone", f"{V}/sobjects/Nope__c/describe"),
                   _get("after", f"{V}/sobjects/Account/describe")]
    ok, bad, gone, after = _composite(sf, bearer, subrequests).json()["compositeResponse"]
    assert ok["httpStatusCode"] == 200 and after["httpStatusCode"] == 200
    assert bad["httpStatusCode"] == 400 and bad["body"][0]["errorCode"] == "INVALID_FIELD"
    assert bad["body"][0]["message"].startswith("No such column 'Nope' on entity 'Account'.")
    assert gone["httpStatusCode"] == 404 and gone["body"][0]["errorCode"] == "NOT_FOUND"

    halted = _composite(sf, bearer, subrequests, all_or_none=True).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in halted] == [400, 400, 400, 400]
    assert halted[1]["body"][0]["errorCode"] == "INVALID_FIELD"
    for result in (halted[0], halted[2], halted[3]):
        assert result["body"] == [{"errorCode": "PROCESSING_HALTED", "message": (
            "The transaction was rolled back since another operation in the same transaction failed.")}]

    dependent = _composite(sf, bearer, [subrequests[1], _get("next", "@{bad.nextRecordsUrl}")])
    assert dependent.json()["compositeResponse"][1]["body"][0]["errorCode"] == "PROCESSING_HALTED"


def test_salesforce_limits_25_subrequests_and_5_queries(sf, bearer, org):
    describe = [_get(f"d{i}", f"{V}/sobjects/Account/describe") for i in range(25)]
    assert all(r["httpStatusCode"] == 200 for r in _composite(sf, bearer, describe).json()["compositeResponse"])
    used = org.limits.used("DailyApiRequests")
    too_many = _composite(sf, bearer, describe + [_get("d25", f"{V}/limits")])
    assert too_many.status_code == 200 and too_many.json() == {"compositeResponse": [
        {"body": [{"errorCode": "LIMIT_EXCEEDED", "message": "The request can’t contain more than 25 operations."}],
         "httpHeaders": {}, "httpStatusCode": 400, "referenceId": None}]}
    queries = [_get(f"q{i}", f"{V}/queryAll?q=SELECT COUNT() FROM Account") for i in range(6)]
    (refused,) = _composite(sf, bearer, queries).json()["compositeResponse"]
    assert refused["body"][0] == {"errorCode": "LIMIT_EXCEEDED",
                                  "message": "The request can’t contain more than 5 query operations."}
    assert org.limits.used("DailyApiRequests") == used + 2  # refused composite calls count once each
    five = _composite(sf, bearer, queries[:5]).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in five] == [200] * 5


def test_unsupported_subrequests_answer_a_clear_400(sf, bearer):
    results = _composite(sf, bearer, [
        {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "create", "body": {"Name": "x"}},
        _get("jobs", f"{V}/jobs/query"),
    ]).json()["compositeResponse"]
    for result in results:
        assert result["httpStatusCode"] == 400
        assert result["body"][0]["errorCode"] == "INVALID_API_INPUT"
        assert "sandbox does not support" in result["body"][0]["message"]
    bad = requests.post(f"{sf.base_url}composite", headers=bearer, json={"compositeRequest": [{"method": "GET"}]})
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_API_INPUT"


def test_faults_apply_to_the_composite_call(sf, org):
    org.faults.add("http_503", "*/composite", times=1)
    body = {"compositeRequest": [_get("a", f"{V}/limits")]}
    with pytest.raises(SalesforceGeneralError) as failure:
        sf.restful("composite", method="POST", json=body)
    assert failure.value.status == 503
    assert sf.restful("composite", method="POST", json=body)["compositeResponse"][0]["httpStatusCode"] == 200


def test_url_encodings_clients_send(sf, bearer, org):
    """``+`` for spaces and ``%2B`` for an offset's plus, raw spaces, and non-ASCII text in a SOQL literal."""
    encoded = f"{V}/query/?q=SELECT+COUNT()+FROM+Case+WHERE+CreatedDate+>=+2024-06-01T02:00:00.000%2B02:00"
    raw = f"{V}/query?q=SELECT COUNT() FROM Case WHERE CreatedDate >= 2024-06-01T00:00:00Z"
    accented = f"{V}/query?q=SELECT COUNT() FROM Contact WHERE MailingCity = 'Zürich'"
    results = _composite(sf, bearer, [_get("a", encoded), _get("b", raw), _get("c", accented)]).json()
    a, b, c = (r["body"]["totalSize"] for r in results["compositeResponse"])
    assert a == b == org.count("Case", "\"CreatedDate\" >= TIMESTAMP '2024-06-01' AND NOT \"IsDeleted\"") > 0
    assert c == org.count("Contact", "\"MailingCity\" = 'Zürich' AND NOT \"IsDeleted\"") > 0
