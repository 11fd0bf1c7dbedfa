"""REST sObject rows with simple-salesforce: create, get, update, upsert by external id, delete, getUpdated/Deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


def test_create_get_update_delete_round_trip(sf, sf_sandbox):
    account_id = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    created = sf.Contact.create({"FirstName": "Zoë", "LastName": "O'Brien", "AccountId": account_id[:15]})
    assert created["success"] and created["id"].startswith("003")
    record = sf.Contact.get(created["id"])
    assert record["Name"] == "Zoë O'Brien" and record["AccountId"] == account_id
    assert record["attributes"]["type"] == "Contact" and record["IsDeleted"] is False
    assert sf.Contact.update(created["id"], {"Email": "zoe@example.com", "Title": None}) == 204
    assert sf_sandbox.org.rows("Contact", f"\"Id\" = '{created['id']}'")[0]["Email"] == "zoe@example.com"
    assert sf.Contact.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(created["id"])


def test_upsert_by_external_id_creates_then_updates(sf, sf_sandbox):
    assert sf.Account.upsert("Customer_Key__c/REST-KEY-1", {"Name": "Rest One"}) == 201
    assert sf.Account.upsert("Customer_Key__c/REST-KEY-1", {"Name": "Rest One, renamed"}) == 200
    record = sf.Account.get_by_custom_id("Customer_Key__c", "REST-KEY-1")
    assert record["Name"] == "Rest One, renamed"
    assert sf_sandbox.org.count("Account", "\"Customer_Key__c\" = 'REST-KEY-1'") == 1


def test_write_errors_use_the_envelope_with_fields(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Opportunity.create({"Name": "No stage"})
    (error,) = failure.value.content
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING" and set(error["fields"]) == {"StageName", "CloseDate"}
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.create({"LastName": "X", "AccountId": "0018d00000zzzzzAAA"})
    assert failure.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_derived_fields_follow_the_stage(sf, sf_sandbox):
    created = sf.Opportunity.create({"Name": "Derived", "StageName": "closed won", "CloseDate": "2025-01-31"})
    stored = sf_sandbox.org.rows("Opportunity", f"\"Id\" = '{created['id']}'")[0]
    assert stored["IsClosed"] and stored["IsWon"] and stored["CloseDate"] == dt.date(2025, 1, 31)
    sf.Opportunity.update(created["id"], {"StageName": "Prospecting"})
    stored = sf_sandbox.org.rows("Opportunity", f"\"Id\" = '{created['id']}'")[0]
    assert not stored["IsClosed"] and not stored["IsWon"]


def test_get_updated_and_get_deleted(sf, sf_sandbox, frozen_clock):
    frozen_clock.freeze(sf_sandbox.org.now().replace(second=30))
    start = sf_sandbox.org.now().replace(tzinfo=dt.timezone.utc) - dt.timedelta(minutes=1)
    lead = sf.Lead.create({"LastName": "Replicated", "Company": "Rep Co"})["id"]
    gone = sf.Lead.create({"LastName": "Removed", "Company": "Rep Co"})["id"]
    sf.Lead.delete(gone)
    end = start + dt.timedelta(minutes=5)
    assert lead not in sf.Lead.updated(start, end)["ids"]  # the current minute is not covered yet
    frozen_clock.advance(dt.timedelta(minutes=2))
    assert lead in sf.Lead.updated(start, end)["ids"]
    assert gone not in sf.Lead.updated(start, end)["ids"]
    assert gone in [d["id"] for d in sf.Lead.deleted(start, end)["deletedRecords"]]
