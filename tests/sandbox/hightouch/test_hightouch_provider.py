"""airflow-provider-hightouch 5.0, unmodified, against the fake Hightouch API that syncs into the sandbox org."""

from __future__ import annotations

import json

import duckdb
import pytest
from airflow.exceptions import AirflowException
from airflow_provider_hightouch.hooks.hightouch import HightouchHook
from airflow_provider_hightouch.operators.hightouch import HightouchTriggerSyncOperator

from sandbox.server import Sandbox

SLUG = "salesforce-account-update"
SYNC_COLUMNS = ("id", "open_pipeline_amount__c", "closed_won_amount__c", "open_case_count__c",
                "avg_case_resolution_hours__c", "customer_health__c")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("hightouch-wh") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema gold")
        con.execute("create table gold.sync_salesforce__account_update (id varchar, open_pipeline_amount__c double, "
                    "closed_won_amount__c double, open_case_count__c double, avg_case_resolution_hours__c double, "
                    "customer_health__c varchar)")
    return path


@pytest.fixture(scope="module")
def hightouch_sandbox(tmp_path_factory, manifest_path, warehouse):
    with Sandbox(tmp_path_factory.mktemp("hightouch-sandbox"), seed=11, scale=0.1,
                 manifest=manifest_path, warehouse=warehouse) as sb:
        yield sb


@pytest.fixture
def hightouch_conn(hightouch_sandbox, monkeypatch):
    def set_conn(token: str = hightouch_sandbox.hightouch_token) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_HIGHTOUCH_DEFAULT", json.dumps(
            {"conn_type": "http", "host": hightouch_sandbox.hightouch_url, "password": token}))
    set_conn()
    return set_conn


def stage_sync_rows(warehouse, rows) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from gold.sync_salesforce__account_update")
        if rows:
            con.executemany("insert into gold.sync_salesforce__account_update values (?, ?, ?, ?, ?, ?)", rows)


def operator(**kwargs) -> HightouchTriggerSyncOperator:
    return HightouchTriggerSyncOperator(task_id="sync", connection_id="hightouch_default", wait_seconds=0.2,
                                        timeout=60, **kwargs)


def test_sync_by_slug_updates_the_org_through_bulk_upsert(hightouch_sandbox, hightouch_conn, warehouse):
    accounts = hightouch_sandbox.org.rows("Account")[:5]
    rows = [(a["Id"], 1000.0 + i, 50.5, float(i), None, "Healthy") for i, a in enumerate(accounts)]
    stage_sync_rows(warehouse, rows)

    operator(sync_slug=SLUG, synchronous=True).execute(context={})

    after = {a["Id"]: a for a in hightouch_sandbox.org.rows("Account")}
    for account_id, pipeline, won, cases, hours, health in rows:
        assert after[account_id]["Open_Pipeline_Amount__c"] == pytest.approx(pipeline)
        assert after[account_id]["Closed_Won_Amount__c"] == pytest.approx(won)
        assert after[account_id]["Open_Case_Count__c"] == pytest.approx(cases)
        assert after[account_id]["Avg_Case_Resolution_Hours__c"] is None
        assert after[account_id]["Customer_Health__c"] == health
    hook = HightouchHook(hightouch_conn_id="hightouch_default")
    sync_id = hook.get_sync_from_slug(SLUG)
    run = hook.make_request(method="GET", endpoint=f"syncs/{sync_id}/runs", data={"limit": 1})[0]
    assert run["status"] == "success"
    assert run["plannedRows"]["changedCount"] == 5 and run["successfulRows"]["changedCount"] == 5
    assert run["failedRows"] == {"addedCount": 0, "changedCount": 0, "removedCount": 0}


def test_trigger_by_id_asynchronously_returns_the_run_id(hightouch_sandbox, hightouch_conn, warehouse):
    stage_sync_rows(warehouse, [])
    hook = HightouchHook(hightouch_conn_id="hightouch_default")
    sync_id = hook.get_sync_from_slug(SLUG)
    run_id = operator(sync_id=sync_id, synchronous=False).execute(context={})
    assert run_id
    details = hook.sync_and_poll(sync_id, None, poll_interval=0.2, poll_timeout=30)
    assert details.sync_run_details["status"] == "success"


def test_rows_salesforce_rejects_make_a_warning_with_the_reason(hightouch_sandbox, hightouch_conn, warehouse):
    good = hightouch_sandbox.org.rows("Account")[0]["Id"]
    missing = good[:3] + "000000000000000"  # an Account id prefix, but no such record
    stage_sync_rows(warehouse, [(good, 1.0, 2.0, 3.0, 4.0, "At Risk"), (missing, 1.0, 2.0, 3.0, 4.0, "At Risk")])

    operator(sync_slug=SLUG, synchronous=True, error_on_warning=False).execute(context={})
    with pytest.raises(AirflowException, match="warning"):
        operator(sync_slug=SLUG, synchronous=True, error_on_warning=True).execute(context={})

    hook = HightouchHook(hightouch_conn_id="hightouch_default")
    run = hook.make_request(method="GET", endpoint=f"syncs/{hook.get_sync_from_slug(SLUG)}/runs",
                            data={"limit": 1})[0]
    assert run["status"] == "warning"
    assert run["successfulRows"]["changedCount"] == 1 and run["failedRows"]["changedCount"] == 1
    assert missing[:15] in run["error"]


def test_unknown_sync_and_bad_token_fail_the_task(hightouch_sandbox, hightouch_conn):
    with pytest.raises(AirflowException, match="Exceeded max number of retries"):
        operator(sync_slug="no-such-sync", synchronous=True).execute(context={})
    hightouch_conn(token="wrong-token")
    with pytest.raises(AirflowException):
        operator(sync_slug=SLUG, synchronous=True).execute(context={})


@pytest.fixture
def faults(hightouch_sandbox):
    runner = hightouch_sandbox.controller("hightouch")
    yield runner.faults
    runner.faults.clear()


def test_http_errors_are_retried_by_the_provider_until_its_retries_run_out(hightouch_conn, warehouse, faults):
    stage_sync_rows(warehouse, [])
    faults.http_error("trigger", status=503, times=2)  # the hook retries 3 times, 0.5 s apart
    operator(sync_slug=SLUG, synchronous=True).execute(context={})
    faults.http_error("list_runs", status=500, times=4)
    with pytest.raises(AirflowException, match="Exceeded max number of retries"):
        operator(sync_slug=SLUG, synchronous=True).execute(context={})


def test_a_failed_run_fails_the_task_with_hightouchs_error(hightouch_conn, warehouse, faults):
    stage_sync_rows(warehouse, [])
    faults.fail_runs(times=1, error="Destination rejected the batch")
    with pytest.raises(AirflowException, match="failed with status: failed.*Destination rejected the batch"):
        operator(sync_slug=SLUG, synchronous=True).execute(context={})


def test_a_run_slower_than_the_timeout_fails_the_task_and_reports_its_last_status(hightouch_conn, warehouse, faults):
    stage_sync_rows(warehouse, [])
    faults.slow_runs(seconds=3)
    with pytest.raises(AirflowException, match="time out.*Last status was processing"):
        HightouchTriggerSyncOperator(task_id="sync", connection_id="hightouch_default", sync_slug=SLUG,
                                     synchronous=True, wait_seconds=0.2, timeout=1).execute(context={})
