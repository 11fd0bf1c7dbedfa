"""The ERP REST API into bronze: full then incremental on the API's timestamps, both paging styles, 429 with
Retry-After honoured, a bad token refused at once, the token never logged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest

from extract.erp.api_client import ErpApiClient, ErpApiConfig, ErpApiRefusedError
from extract.erp.api_extraction import extract_resource, extract_resources
from extract.errors import PermanentError
from tests.extract.conftest import audit_rows
from tests.extract.erp.conftest import RATE_LIMIT


@pytest.fixture
def api_config(erp_sandbox) -> ErpApiConfig:
    return ErpApiConfig(erp_sandbox.erp_api_url, erp_sandbox.erp_api_token)


def count(writer, resource: str, what: str = "count(*)") -> int:
    return writer.con.execute(f'select {what} from bronze."erp_api__{resource}"').fetchone()[0]


def test_full_then_incremental_by_the_apis_own_timestamps(erp, writer, erp_options, api_config):
    options = dataclasses.replace(erp_options, api_page_size=7)  # many pages, both paging styles
    with ErpApiClient(api_config, options) as client:
        first = dict(extract_resources(client, writer, options=options))
        assert first["usage_events"]["rows"] == erp.count("api.usage_events") == count(writer, "usage_events")
        assert first["payments"]["rows"] == erp.count("api.payments") == count(writer, "payments")
        assert first["payments"]["api_calls"] > erp.count("api.payments") / 7
        assert count(writer, "payments", "count(distinct payment_id)") == erp.count("api.payments")

        late = erp.add_usage_events(12, occurred_at=erp.now() - dt.timedelta(days=3))
        paid = erp.pay_invoices(3)
        second = dict(extract_resources(client, writer, options=options))
        assert second["usage_events"]["rows"] == 12 and second["payments"]["rows"] == 3
        landed_late = {r[0] for r in writer.con.execute(
            "select event_id from bronze.erp_api__usage_events where occurred_at < received_at").fetchall()}
        assert set(late) <= landed_late, "late events come in: the cursor is received_at"
        assert set(paid) <= {r[0] for r in writer.con.execute("select payment_id from bronze.erp_api__payments")
                             .fetchall()}
        third = dict(extract_resources(client, writer, options=options))
        assert third["usage_events"]["rows"] == 0 and third["payments"]["rows"] == 0
        assert third["usage_events"]["rows_received"] >= 12, "the lookback reads the last minutes again"
    audit = [r for r in audit_rows(writer, "payments") if r["source"] == "erp_api"]
    assert [r["kind"] for r in audit] == ["full", "incremental", "incremental"]
    assert audit[-1]["cursor_to"] == count(writer, "payments", "max(updated_at)")
    assert count(writer, "usage_events", "count(*) - count(distinct (event_id, received_at))") == 0


def test_rate_limit_429_is_waited_out(erp, writer, erp_options, api_config, caplog):
    erp.set_rate_limit(4)
    try:
        options = dataclasses.replace(erp_options, api_page_size=100, api_wait_max_s=10.0)
        with caplog.at_level(logging.INFO), ErpApiClient(api_config, options) as client:
            audit = extract_resource(client, writer, "usage_events", options)
            assert client.stats.rate_limited > 0
    finally:
        erp.set_rate_limit(RATE_LIMIT)
    assert audit.status == "succeeded" and audit.rows_landed == erp.count("api.usage_events")
    assert audit.retries > 0 and "429" in audit.notes and "Retry-After" in audit.notes
    assert api_config.token not in caplog.text and api_config.token not in repr(api_config)


def test_a_bad_token_is_refused_at_once_and_lands_nothing(writer, erp_options, api_config):
    with ErpApiClient(ErpApiConfig(api_config.base_url, "not-the-token"), erp_options) as client:
        with pytest.raises(ErpApiRefusedError) as refused:
            extract_resource(client, writer, "payments", erp_options)
        assert client.stats.api_calls == 1, "permanent: no retries"
    assert isinstance(refused.value, PermanentError) and refused.value.status == 401
    failed = audit_rows(writer, "payments")[-1]
    assert failed["status"] == "failed" and failed["source"] == "erp_api" and failed["rows_landed"] == 0
    assert writer.object_state("erp_api", "payments") is None
