"""Conformance: unmodified simple-salesforce REST calls (every login flow, versions, describe, query/queryAll with
nextRecordsUrl, limits, getUpdated/getDeleted, sObject CRUD and upsert by external id) against the sandbox."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


def test_every_login_flow_yields_a_working_session(sf_sandbox, soap_domain, oauth_domain, jwt_private_key):
    sb = sf_sandbox
    clients = [
        Salesforce(username=sb.username, password=sb.password, security_token=sb.security_token, domain=soap_domain),
        Salesforce(username=sb.username, password=sb.password, consumer_key=sb.client_id,
                   consumer_secret=sb.client_secret, domain=oauth_domain),
        Salesforce(consumer_key=sb.client_id, consumer_secret=sb.client_secret, domain=oauth_domain),
        Salesforce(username=sb.username, consumer_key=sb.client_id, privatekey=jwt_private_key[0].decode(),
                   domain=oauth_domain),
    ]
    for client in clients:
        assert client.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1
    assert len({client.session_id for client in clients}) == 4
    forged = jwt.encode({"iss": sb.client_id, "sub": sb.username, "aud": "x", "exp": 9_999_999_999},
                        "not-the-signing-key-of-this-org-at-all", algorithm="HS256")
    refused = requests.post(sb.salesforce_url + "/services/oauth2/token",
                            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": forged})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_versions_resources_describe_and_limits(sf, sf_sandbox):
    versions = requests.get(sf_sandbox.salesforce_url + "/services/data/").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    assert sf.restful("")["query"] == "/services/data/v59.0/query"
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Lead", "Opportunity", "Case", "Task", "User"} <= names
    assert sf.Account.metadata()["objectDescribe"]["keyPrefix"] == "001"
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert fields["Customer_Key__c"]["externalId"] and fields["SystemModstamp"]["type"] == "datetime"
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"] > 0
    assert sf.api_usage["api-usage"].total == limits["DailyApiRequests"]["Max"]


def test_query_pages_with_next_records_url_and_query_all(sf, sf_sandbox):
    first = sf.query("SELECT Id, Subject FROM Task")
    total = sf_sandbox.org.count("Task", 'NOT "IsDeleted"')
    assert first["totalSize"] == total > 2000 and not first["done"] and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["done"] and len(second["records"]) == total - 2000
    assert len(list(sf.query_all_iter("SELECT Id FROM Task", include_deleted=True))) == sf_sandbox.org.count("Task")
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query("SELECT Id FROM Nope__c")
    assert failure.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_sobject_crud_upsert_and_replication(sf, sf_sandbox, frozen_clock):
    frozen_clock.freeze(sf_sandbox.org.now().replace(second=5))
    start = sf_sandbox.org.now().replace(tzinfo=dt.timezone.utc) - dt.timedelta(minutes=1)
    created = sf.Contact.create({"LastName": "Conformance", "Email": "c@example.com"})
    assert created["success"] and created["id"].startswith("003")
    assert sf.Contact.update(created["id"], {"Title": "Tester"}) == 204
    assert sf.Contact.get(created["id"])["Title"] == "Tester"
    inserted = sf.Account.upsert("Customer_Key__c/CONF-1", {"Name": "Conformance Co"})
    assert inserted == 201
    assert sf.Account.upsert("Customer_Key__c/CONF-1", {"Name": "Conformance Co 2"}) == 200
    assert sf.Account.get_by_custom_id("Customer_Key__c", "CONF-1")["Name"] == "Conformance Co 2"
    assert sf.Contact.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(created["id"])
    frozen_clock.advance(dt.timedelta(minutes=2))
    end = start + dt.timedelta(minutes=5)
    assert created["id"] in {d["id"] for d in sf.Contact.deleted(start, end)["deletedRecords"]}
    account = sf.Account.get_by_custom_id("Customer_Key__c", "CONF-1")["Id"]
    assert account in sf.Account.updated(start, end)["ids"]
