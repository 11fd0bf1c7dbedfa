"""Access restrictions (field-level security, unreadable objects, objects Bulk API cannot serve, not queryable or
not replicateable objects), set from Python, over the control API and as start options, seen by real clients."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceResourceNotFound,
)

from sandbox.server import Sandbox

V = "/services/data/v59.0"
NO_SUCH_COLUMN = ("No such column '{field}' on entity '{object}'. If you are attempting to use a custom field, be sure "
                  "to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
                  "for the appropriate names.")


@pytest.fixture()
def access(sf_sandbox):
    yield sf_sandbox.org.access
    sf_sandbox.org.access.reset()


def _query_error(sf: Salesforce, soql: str, include_deleted: bool = False) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql, include_deleted=include_deleted)
    assert failure.value.status == 400
    (error,) = failure.value.content
    return error


def _bulk_create(sf: Salesforce, bearer: dict, soql: str, operation: str = "query") -> requests.Response:
    return requests.post(f"{sf.base_url}jobs/query", headers=bearer, json={"operation": operation, "query": soql})


def _field_names(sf: Salesforce, name: str) -> set[str]:
    return {f["name"] for f in getattr(sf, name).describe()["fields"]}


def test_hidden_fields_vanish_from_describe_queries_and_writes(sf, bearer, access):
    access.hide_fields("Account.Description", "Contact.Birthdate")
    assert access.as_dict()["hidden_fields"] == ["Account.Description", "Contact.Birthdate"]
    assert "Description" not in _field_names(sf, "Account") and "Birthdate" not in _field_names(sf, "Contact")
    assert "Name" in _field_names(sf, "Account")
    expected = {"errorCode": "INVALID_FIELD", "message": NO_SUCH_COLUMN.format(field="Description", object="Account")}
    assert _query_error(sf, "SELECT Id, Description FROM Account") == expected
    assert _query_error(sf, "SELECT Id FROM Account WHERE Description != null", include_deleted=True) == expected
    assert _query_error(sf, "SELECT Id, Account.Description FROM Contact")["message"] == expected["message"]
    assert _query_error(sf, "SELECT Id FROM Contact ORDER BY Birthdate")["errorCode"] == "INVALID_FIELD"
    for operation in ("query", "queryAll"):
        job = _bulk_create(sf, bearer, "SELECT Id, Birthdate FROM Contact", operation)
        assert job.status_code == 400
        assert job.json() == [{"errorCode": "INVALID_FIELD",
                               "message": NO_SUCH_COLUMN.format(field="Birthdate", object="Contact")}]
    composite = requests.post(f"{sf.base_url}composite", headers=bearer, json={"compositeRequest": [
        {"method": "GET", "url": f"{V}/query?q=SELECT Description FROM Account", "referenceId": "a"}]}).json()
    assert composite["compositeResponse"][0]["httpStatusCode"] == 400
    assert composite["compositeResponse"][0]["body"] == [expected]
    # a record read leaves the field out; writes treat it as a field that does not exist
    record_id = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    record = sf.Account.get(record_id)
    assert "Description" not in record and "Name" in record
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.update(record_id, {"Description": "secret"})
    assert failure.value.content == [{"message": "No such column 'Description' on sobject of type Account",
                                      "errorCode": "INVALID_FIELD"}]
    with pytest.raises(SalesforceOperationError, match="InvalidBatch : Field name not found : Birthdate"):
        sf.bulk2.Contact.update(records=[{"Id": "003000000000001AAA", "Birthdate": "2000-01-01"}], wait=0.1)
    # the restriction is lifted at once
    access.show_fields("Contact.Birthdate")
    assert sf.query("SELECT Id, Birthdate FROM Contact LIMIT 1")["totalSize"] == 1
    access.reset()
    assert sf.query("SELECT Id, Description FROM Account LIMIT 1")["totalSize"] == 1


def test_hidden_compound_field_hides_its_components(sf, access):
    access.hide_fields("Account.BillingAddress")
    names = _field_names(sf, "Account")
    assert not names & {"BillingAddress", "BillingStreet", "BillingCity", "BillingPostalCode"}
    assert _query_error(sf, "SELECT BillingCity FROM Account")["errorCode"] == "INVALID_FIELD"
    with pytest.raises(ValueError):
        access.hide_fields("Account.Id")
    with pytest.raises(ValueError):
        access.hide_fields("Account.Nope")


def test_hidden_objects_over_the_control_api(sf, sf_sandbox, bearer, access):
    control = sf_sandbox.sandbox_control_url
    answer = requests.post(f"{control}/access", json={"hidden_objects": "Case,Invoice__c"})
    assert answer.status_code == 200 and answer.json()["hidden_objects"] == ["Case", "Invoice__c"]
    assert requests.get(f"{control}/access").json()["hidden_objects"] == ["Case", "Invoice__c"]
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert "Case" not in names and "Invoice__c" not in names and "Account" in names
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Case.describe()
    assert failure.value.content == [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
    message = ("sObject type 'Case' is not supported. If you are attempting to use a custom object, be sure to append "
               "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate "
               "names.")
    assert _query_error(sf, "SELECT Id FROM Case") == {"errorCode": "INVALID_TYPE", "message": message}
    assert _query_error(sf, "SELECT COUNT() FROM Invoice__c", include_deleted=True)["errorCode"] == "INVALID_TYPE"
    job = _bulk_create(sf, bearer, "SELECT Id FROM Case")
    assert job.status_code == 400 and job.json() == [{"errorCode": "INVALID_TYPE", "message": message}]
    assert _query_error(sf, "SELECT Id, Invoice__r.Name FROM Invoice_Line__c")["message"].startswith(
        "Didn't understand relationship 'Invoice__r' in field path.")
    children = {r["childSObject"] for r in sf.Account.describe()["childRelationships"]}
    assert "Case" not in children and "Contact" in children
    ingest = requests.post(f"{sf.base_url}jobs/ingest", headers=bearer, json={"object": "Case", "operation": "insert"})
    assert ingest.status_code == 400 and ingest.json()[0]["errorCode"] == "INVALIDENTITY"
    bad = requests.post(f"{control}/access", json={"hidden_objects": "Nope__c"})
    assert bad.status_code == 400 and "unknown object" in bad.json()["error"]
    assert requests.post(f"{control}/access/reset").json()["hidden_objects"] == []
    assert sf.Case.describe()["name"] == "Case"


def test_objects_bulk_api_cannot_serve(sf, bearer, access):
    access.update(bulk_unsupported_objects=["Lead", "Shipment__c"])
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] > 0  # REST still serves them
    assert "Lead" in {o["name"] for o in sf.describe()["sobjects"]}
    expected = [{"errorCode": "INVALIDENTITY", "message": "Entity 'Lead' is not supported by the Bulk API."}]
    for operation in ("query", "queryAll"):
        job = _bulk_create(sf, bearer, "SELECT Id FROM Lead", operation)
        assert job.status_code == 400 and job.json() == expected
    ingest = requests.post(f"{sf.base_url}jobs/ingest", headers=bearer, json={"object": "Lead", "operation": "insert"})
    assert ingest.status_code == 400 and ingest.json() == expected
    bulk1 = requests.post(f"{sf.bulk_url}job", headers={"X-SFDC-Session": sf.session_id},
                          json={"operation": "query", "object": "Shipment__c", "contentType": "JSON"})
    assert bulk1.status_code == 400 and bulk1.json() == {
        "exceptionCode": "InvalidEntity", "exceptionMessage": "Entity 'Shipment__c' is not supported by the Bulk API."}
    assert _bulk_create(sf, bearer, "SELECT Id FROM Account").status_code == 200


def test_not_queryable_and_not_replicateable_objects(sf, bearer, access):
    access.update(not_queryable_objects="Task", not_replicateable_objects="Task,Opportunity")
    summary = {o["name"]: o for o in sf.describe()["sobjects"]}
    assert (summary["Task"]["queryable"], summary["Task"]["replicateable"]) == (False, False)
    assert (summary["Opportunity"]["queryable"], summary["Opportunity"]["replicateable"]) == (True, False)
    assert summary["Account"]["replicateable"] and summary["Account"]["queryable"]
    described = sf.Task.describe()
    assert described["queryable"] is False and described["replicateable"] is False
    expected = {"errorCode": "INVALID_TYPE_FOR_OPERATION", "message": "entity type Task does not support query"}
    assert _query_error(sf, "SELECT Id FROM Task") == expected
    job = _bulk_create(sf, bearer, "SELECT Id FROM Task", "queryAll")
    assert job.status_code == 400 and job.json() == [expected]
    assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] > 0


def test_restrictions_as_start_options(tmp_path):
    options = {"hidden_fields": "Account.Description,Contact.Birthdate", "hidden_objects": "Case,Invoice__c",
               "bulk_unsupported_objects": "Lead", "not_replicateable_objects": "Task",
               "not_queryable_objects": "Shipment__c"}
    with Sandbox(tmp_path, seed=3, scale=0.02, options=options) as running:
        assert running.org.access.as_dict() == {
            "hidden_fields": ["Account.Description", "Contact.Birthdate"], "hidden_objects": ["Case", "Invoice__c"],
            "bulk_unsupported_objects": ["Lead"], "not_queryable_objects": ["Shipment__c"],
            "not_replicateable_objects": ["Task"]}
        session = requests.Session()
        session.trust_env = False
        session.verify = running.ca_bundle
        token = session.post(f"{running.salesforce_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": running.client_id,
            "client_secret": running.client_secret}).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        base = f"{running.salesforce_url}{V}"
        sobjects = {o["name"]: o for o in session.get(f"{base}/sobjects").json()["sobjects"]}
        assert "Case" not in sobjects and sobjects["Task"]["replicateable"] is False
        assert sobjects["Shipment__c"]["queryable"] is False
        fields = {f["name"] for f in session.get(f"{base}/sobjects/Account/describe").json()["fields"]}
        assert "Description" not in fields
        assert session.get(f"{base}/sobjects/Invoice__c/describe").status_code == 404
        refused = session.post(f"{base}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Lead"})
        assert refused.json()[0]["errorCode"] == "INVALIDENTITY"
        running.org.access.reset()
        assert session.get(f"{base}/sobjects/Invoice__c/describe").status_code == 200
    with pytest.raises(ValueError):
        Sandbox(tmp_path / "bad", scale=0.02, options={"hidden_objects": "Nope__c"}).start()
