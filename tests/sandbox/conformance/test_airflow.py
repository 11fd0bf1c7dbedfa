"""Conformance: Airflow's unmodified SalesforceHook and SalesforceBulkOperator, configured only through the
``AIRFLOW_CONN_SALESFORCE_DEFAULT`` environment connection (SOAP login through the ``domain`` trick)."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture()
def connection(sf_sandbox, soap_domain, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
        "conn_type": "salesforce", "login": sf_sandbox.username, "password": sf_sandbox.password,
        "extra": {"security_token": sf_sandbox.security_token, "domain": soap_domain, "version": "59.0"},
    }))
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    return SalesforceHook.get_connection("salesforce_default")


def _execute(operator, connection) -> list:
    """Run ``execute`` with a task context carrying the env connection, as a worker would."""
    context = {"task": operator, "run_id": "conformance", "params": {}, "conn": {connection.conn_id: connection}}
    return operator.execute(context)


def test_hook_queries_describes_and_writes_files(connection, sf_sandbox, tmp_path):
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    hook = SalesforceHook(salesforce_conn_id=connection.conn_id)
    assert hook.test_connection() == (True, "Connection successfully tested")
    result = hook.make_query("SELECT Id, Name FROM Opportunity")
    assert result["totalSize"] == len(result["records"]) == sf_sandbox.org.count("Opportunity", 'NOT "IsDeleted"')
    deleted = hook.make_query("SELECT Id FROM Lead", include_deleted=True)
    assert deleted["totalSize"] == sf_sandbox.org.count("Lead")
    assert "Customer_Key__c" in hook.get_available_fields("Account")
    rows = hook.get_object_from_salesforce("Case", ["Id", "Subject", "CreatedDate"])
    assert rows["totalSize"] == sf_sandbox.org.count("Case", 'NOT "IsDeleted"')
    path = tmp_path / "cases.csv"
    hook.write_object_to_file(rows["records"], str(path), fmt="csv", coerce_to_timestamp=True,
                              record_time_added=True)
    frame = pd.read_csv(path)
    assert len(frame) == rows["totalSize"] and "time_fetched_from_salesforce" in frame.columns


def test_bulk_operator_insert_update_upsert_delete_hard_delete(connection, sf_sandbox):
    from airflow.providers.salesforce.operators.bulk import SalesforceBulkOperator

    org = sf_sandbox.org
    inserted = _execute(SalesforceBulkOperator(
        task_id="insert", operation="insert", object_name="Lead",
        payload=[{"LastName": "Op one", "Company": "Op Co"}, {"LastName": "Op two", "Company": "Op Co"},
                 {"Company": "No last name"}],
    ), connection)
    assert [r["success"] for r in inserted] == [True, True, False]
    assert inserted[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    first, second = inserted[0]["id"], inserted[1]["id"]
    updated = _execute(SalesforceBulkOperator(task_id="update", operation="update", object_name="Lead",
                                              payload=[{"Id": first, "Title": "Updated by operator"}]), connection)
    assert updated[0]["success"] and org.rows("Lead", f"\"Id\" = '{first}'")[0]["Title"] == "Updated by operator"
    upserted = _execute(SalesforceBulkOperator(
        task_id="upsert", operation="upsert", object_name="Account", external_id_field="Customer_Key__c",
        payload=[{"Customer_Key__c": "OP-KEY-1", "Name": "Operator upsert"}]), connection)
    assert upserted[0]["created"] and org.count("Account", "\"Customer_Key__c\" = 'OP-KEY-1'") == 1
    _execute(SalesforceBulkOperator(task_id="delete", operation="delete", object_name="Lead",
                                    payload=[{"Id": first}]), connection)
    assert org.rows("Lead", f"\"Id\" = '{first}'")[0]["IsDeleted"] is True
    _execute(SalesforceBulkOperator(task_id="hard_delete", operation="hard_delete", object_name="Lead",
                                    payload=[{"Id": second}]), connection)
    assert org.count("Lead", f"\"Id\" = '{second}'") == 0


def test_bulk_operator_retries_rows_that_could_not_be_locked(connection, sf_sandbox):
    from airflow.providers.salesforce.operators.bulk import SalesforceBulkOperator

    org = sf_sandbox.org
    rule = org.faults.add("unable_to_lock_row", "/services/async/*/job/*/batch", times=1, row_rate=0.5)
    try:
        payload = [{"LastName": f"Locked {i}", "Company": "Lock Co"} for i in range(4)]
        no_retry = _execute(SalesforceBulkOperator(task_id="no_retry", operation="insert", object_name="Lead",
                                                   payload=payload), connection)
        assert [r["errors"][0]["statusCode"] for r in no_retry if not r["success"]] == ["UNABLE_TO_LOCK_ROW"] * 2
        rule = org.faults.add("unable_to_lock_row", "/services/async/*/job/*/batch", times=1, row_rate=0.5)
        retried = _execute(SalesforceBulkOperator(
            task_id="retry", operation="insert", object_name="Lead", max_retries=2, bulk_retry_delay=0,
            payload=[{"LastName": f"Retried {i}", "Company": "Lock Co"} for i in range(4)]), connection)
        assert all(r["success"] for r in retried) and rule.hits == 1
        assert org.count("Lead", "\"LastName\" LIKE 'Retried %'") == 4
    finally:
        org.faults.clear()
