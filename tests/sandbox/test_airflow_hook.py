"""Airflow's SalesforceHook, configured only through AIRFLOW_CONN_SALESFORCE_DEFAULT, against the org."""

from __future__ import annotations

import json

import pytest


@pytest.fixture()
def hook(sf_sandbox, soap_domain, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "login": sf_sandbox.username, "password": sf_sandbox.password,
        "extra": {"security_token": sf_sandbox.security_token, "domain": soap_domain},
    }))
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    return SalesforceHook(salesforce_conn_id="salesforce_default")


def test_hook_describe_query_and_test_connection(hook, sf_sandbox):
    described = hook.describe_object("Account")
    assert "Customer_Key__c" in [f["name"] for f in described["fields"]]
    result = hook.make_query("SELECT Id, Name FROM Opportunity")
    assert result["totalSize"] == len(result["records"]) == sf_sandbox.org.count("Opportunity", 'NOT "IsDeleted"')
    assert hook.test_connection() == (True, "Connection successfully tested")
    assert "CreatedDate" in hook.get_available_fields("Lead")
