"""The API budget: the platform reads /limits and Sforce-Limit-Info, and never spends the reserve of a daily
limit; it stops before it would, loudly, with the figures."""

from __future__ import annotations

import pytest

from extract.errors import BudgetExhaustedError
from extract.object_extraction import extract_object
from extract.options import ExtractOptions
from extract.plan import plan_cycle
from tests.extract.conftest import FAST_RETRY


def test_sforce_limit_info_is_read_after_every_call(sandbox, client_for):
    client = client_for(sandbox)
    client.get_json("/sobjects/Account/describe/", doing="describe Account")
    usage = sandbox.org.usage()["limits"]["DailyApiRequests"]
    assert client.stats.api_max == usage["Max"] and 0 < client.stats.api_used <= usage["Used"]


def test_the_daily_api_reserve_is_never_spent(fresh_sandbox, client_for, writer, tmp_path):
    org = fresh_sandbox.org
    org.limits.set_max("DailyApiRequests", 40)
    client = client_for(fresh_sandbox, reserve_share=0.25)  # 10 of 40 calls are left for others
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, reserve_share=0.25)
    with pytest.raises(BudgetExhaustedError) as raised:
        for name in ("Account", "Contact", "Lead", "Opportunity", "Case", "Task", "User", "Invoice__c") * 3:
            extract_object(client, writer, name, options)
    message = str(raised.value)
    assert "DailyApiRequests" in message and "of 40 used" in message and "reserve keeps 10 (25%)" in message
    assert org.usage()["limits"]["DailyApiRequests"]["Used"] <= 30, "the reserve was not touched"
    assert org.usage()["rejections"] == {} or "DailyApiRequests" not in org.usage()["rejections"]


def test_a_cycle_that_would_touch_the_bulk_job_reserve_stops_before_creating_one(fresh_sandbox, client_for,
                                                                                writer, tmp_path):
    org = fresh_sandbox.org
    org.limits.set_max("DailyBulkV2QueryJobs", 10)
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=0, reserve_share=0.2)
    client = client_for(fresh_sandbox)
    with pytest.raises(BudgetExhaustedError, match="DailyBulkV2QueryJobs"):
        plan_cycle(client, writer, options)  # 200+ objects would need 200+ Bulk jobs
    extract_object(client, writer, "Account", options)  # one job fits: 8 of 10 may be spent
    for name in ("Contact", "Lead", "Opportunity", "Case", "Task", "User", "Invoice__c"):
        extract_object(client, writer, name, options)
    with pytest.raises(BudgetExhaustedError, match="DailyBulkV2QueryJobs: 8 of 10 used"):
        extract_object(client, writer, "Shipment__c", options)
    assert org.usage()["limits"]["DailyBulkV2QueryJobs"]["Used"] == 8
