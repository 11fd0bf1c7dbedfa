"""What lands in bronze, field for field, and the errors a person meets first (bad password, unknown object)."""

from __future__ import annotations

import pytest

from extract.errors import SalesforceLoginError, UnknownSalesforceObjectError
from extract.object_extraction import extract_object
from extract.options import ExtractOptions
from extract.salesforce.client import SalesforceClient
from tests.extract.conftest import FAST_RETRY, audit_rows, credentials_for


@pytest.mark.parametrize("rest_max_rows", [0, 1_000_000], ids=["bulk", "rest"])
def test_account_lands_every_row_and_field_with_batch_metadata(sandbox, client_for, writer, tmp_path, rest_max_rows):
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=rest_max_rows, bulk_page_rows=50)
    run = extract_object(client_for(sandbox), writer, "Account", options, dag_run_id="run-1")
    batch = run.batches[0]
    truth = {r["Id"]: r for r in sandbox.org.rows("Account")}
    assert batch.rows_landed == len(truth) > 100
    assert batch.route == ("bulk" if rest_max_rows == 0 else "rest")
    if batch.route == "bulk":
        assert batch.pages == -(-len(truth) // 50), "pages of maxRecords=50 each"
    columns = [r[0] for r in writer.query(
        "select lower(column_name) from information_schema.columns where lower(table_schema) = 'bronze' "
        "and lower(table_name) = 'salesforce__account' order by ordinal_position")]
    assert columns[0] == "id" and {"systemmodstamp", "customer_key__c", "isdeleted", "masterrecordid", "_batch_id",
                                   "_extracted_at", "_source", "_change_kind"} <= set(columns)
    assert "billingaddress" not in columns, "compound fields are not selectable in Bulk API 2.0"
    landed = {r[0]: r for r in writer.query(
        "select id, name, description, systemmodstamp, isdeleted, annualrevenue, _batch_id, _source, _change_kind "
        "from bronze.salesforce__account")}
    assert set(landed) == set(truth)
    for record_id, (_, name, description, stamp, deleted, revenue, batch_id, source, kind) in landed.items():
        record = truth[record_id]
        assert name == record["Name"]
        assert description == (record["Description"] or None)
        assert stamp == record["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert deleted == ("true" if record["IsDeleted"] else "false")
        assert (revenue is None) == (record["AnnualRevenue"] is None)
        assert (batch_id, source, kind) == (batch.batch_id, "salesforce", "change")
    awkward = [n for n in (v[1] for v in landed.values()) if n and (any(c in n for c in "\",'\n") or not n.isascii())]
    assert awkward, "the seeded org must hold values that break naive CSV code"
    audit = audit_rows(writer, "Account")
    assert [(a["status"], a["rows_landed"], a["dag_run_id"], a["route"]) for a in audit] == [
        ("succeeded", len(truth), "run-1", batch.route)]


def test_rest_and_bulk_land_the_same_text(sandbox, client_for, tmp_path, open_writer):
    """Both routes write the Bulk API 2.0 CSV format, so a record lands as the same text whichever route read it."""
    landed = {}
    for route, rest_max_rows in (("bulk", 0), ("rest", 1_000_000)):
        options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=rest_max_rows)
        with open_writer(route) as w:
            for name in ("Opportunity", "Task", "Invoice__c"):
                extract_object(client_for(sandbox), w, name, options)
                table = f"salesforce__{name.lower()}"
                rows = w.query_dicts(f'select * from bronze."{table}" order by id')
                landed[route, name] = [{k: v for k, v in row.items() if k not in ("_batch_id", "_extracted_at")}
                                       for row in rows]
    for name in ("Opportunity", "Task", "Invoice__c"):
        assert landed["bulk", name] == landed["rest", name], name


def test_wrong_password_names_the_org_and_the_user_and_is_not_retried(sandbox):
    before = sandbox.org.usage()
    with pytest.raises(SalesforceLoginError) as raised:
        SalesforceClient(credentials_for(sandbox, password="not-the-password"), FAST_RETRY)
    message = str(raised.value)
    assert sandbox.salesforce_url in message and sandbox.username in message and "INVALID_LOGIN" in message
    assert "{" not in message, "the server's answer, not a template placeholder"
    del before


def test_unknown_object_is_named_with_a_suggestion(sandbox, client_for, writer, options):
    with pytest.raises(UnknownSalesforceObjectError) as raised:
        extract_object(client_for(sandbox), writer, "Acount", options)
    assert "'Acount'" in str(raised.value) and "Did you mean Account" in str(raised.value)
    assert [(a["kind"], a["status"]) for a in audit_rows(writer)] == [("describe", "skipped")]
    assert not writer.query("select count(*) from information_schema.tables "
                            "where lower(table_schema) = 'bronze' and lower(table_name) = 'salesforce__acount'")[0][0]
