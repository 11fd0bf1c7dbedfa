"""Describe metadata through simple-salesforce."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceResourceNotFound


def test_global_describe_lists_the_objects(sf):
    described = sf.describe()
    names = {o["name"]: o for o in described["sobjects"]}
    assert {"User", "Account", "Contact", "Lead", "Opportunity", "Case", "Task"} <= set(names)
    assert names["Account"]["keyPrefix"] == "001" and names["Lead"]["keyPrefix"] == "00Q"
    assert names["Account"]["urls"]["describe"] == "/services/data/v59.0/sobjects/Account/describe"


def test_account_describe_has_real_field_metadata(sf):
    described = sf.Account.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["Id"]["type"] == "id" and not fields["Id"]["createable"]
    key = fields["Customer_Key__c"]
    assert key["externalId"] and key["unique"] and key["idLookup"] and key["custom"] and key["type"] == "string"
    assert fields["BillingAddress"]["type"] == "address"
    assert fields["BillingCity"]["compoundFieldName"] == "BillingAddress"
    assert fields["OwnerId"]["referenceTo"] == ["Group", "User"] and fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["ParentId"]["referenceTo"] == ["Account"]
    assert [p["value"] for p in fields["Type"]["picklistValues"]] == [
        "Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]
    assert fields["Customer_Health__c"]["restrictedPicklist"] and not fields["Industry"]["restrictedPicklist"]
    assert fields["SystemModstamp"]["type"] == "datetime" and fields["AnnualRevenue"]["type"] == "currency"
    children = {(c["childSObject"], c["field"]): c["relationshipName"] for c in described["childRelationships"]}
    assert children[("Contact", "AccountId")] == "Contacts"
    assert children[("Opportunity", "AccountId")] == "Opportunities"


def test_object_metadata_and_case_insensitive_names(sf):
    assert sf.Opportunity.metadata()["objectDescribe"]["name"] == "Opportunity"
    assert sf.restful("sobjects/lead/describe")["name"] == "Lead"


def test_unknown_object_describe_is_404_not_found(sf, bearer):
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Nope__c.describe()
    assert failure.value.content == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_versions_and_trailing_slashes(sf, sf_sandbox, bearer):
    versions = requests.get(f"{sf_sandbox.salesforce_url}/services/data/").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    for path in ("sobjects/Account/describe", "sobjects/Account/describe/"):
        response = requests.get(f"{sf.base_url}{path}", headers=bearer)
        assert response.status_code == 200
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 150000
    assert 0 < limits["DailyApiRequests"]["Remaining"] < 150000
    assert sf.api_usage["api-usage"].total == 150000
