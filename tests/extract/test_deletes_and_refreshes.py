"""Deletes, merges, hard deletes and formula fields against the sandbox: soft deletes and merge losers reach bronze
through queryAll with IsDeleted and MasterRecordId; records gone for good get a tombstone from the reconciliation;
formula values that change without a SystemModstamp bump are read again (the stated policy: a periodic refresh);
a field that appears in the describe later is backfilled."""

from __future__ import annotations

from extract.object_extraction import ObjectWork, extract_object
from extract.options import ExtractOptions
from tests.extract.conftest import FAST_RETRY, audit_rows, bronze_rows


def latest(writer, object_name: str, record_id: str) -> dict:
    table = f"salesforce__{object_name.lower()}"
    return writer.query_dicts(
        f'select * from bronze."{table}" where id = ? order by systemmodstamp desc, _extracted_at desc limit 1',
        [record_id])[0]


def test_soft_deletes_and_merges_land_with_is_deleted_and_master_record_id(fresh_sandbox, client_for, writer,
                                                                         options):
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    first = extract_object(client, writer, "Account", options)
    assert first.summary()["deletes_seen"] == org.count("Account", '"IsDeleted"') > 0, "the shipped Recycle Bin"
    deleted = org.mutate("Account", "soft_delete", count=2)
    merged = org.mutate("Account", "merge", count=3)
    run = extract_object(client, writer, "Account", options)
    assert run.summary()["deletes_seen"] >= 5
    for record_id in deleted["ids"]:
        assert latest(writer, "Account", record_id)["isdeleted"] == "true"
    for winner, losers in merged["merges"].items():
        for loser in losers:
            row = latest(writer, "Account", loser)
            assert (row["isdeleted"], row["masterrecordid"]) == ("true", winner)
        assert latest(writer, "Account", winner)["isdeleted"] == "false"
    # the cascades Salesforce applies (an account's contacts go to the bin with it) reach bronze the same way
    extract_object(client, writer, "Contact", options)
    cascaded = [c for c in org.rows("Contact", '"IsDeleted"') if c["AccountId"] in deleted["ids"]]
    for contact in cascaded:
        assert latest(writer, "Contact", contact["Id"])["isdeleted"] == "true"


def test_hard_deletes_are_found_by_reconciliation_and_recorded_once(fresh_sandbox, client_for, writer, options):
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    extract_object(client, writer, "Case", options)
    gone = org.mutate("Case", "hard_delete", count=3, live=True)["ids"]
    purged = org.mutate("Case", "soft_delete", count=1)["ids"]
    extract_object(client, writer, "Case", options)  # the soft delete lands as IsDeleted
    with org.store.write() as cur:  # the bin is emptied: the soft-deleted case is purged too
        cur.execute(f"DELETE FROM \"Case\" WHERE \"Id\" IN ({', '.join(repr(i) for i in purged)})")
    run = extract_object(client, writer, ObjectWork("Case", reconcile=True), options)
    reconcile = [b for b in run.batches if b.kind == "reconcile"][0]
    tombstones = {r[0] for r in writer.query(
        "select id from bronze.salesforce_tombstones where object_name = 'Case'")}
    assert tombstones == set(gone), "live records that vanished; the purged one was already known deleted"
    assert reconcile.tombstones == 3 and reconcile.rows_received == org.count("Case", 'NOT "IsDeleted"')
    again = extract_object(client, writer, ObjectWork("Case", reconcile=True), options)
    assert [b.tombstones for b in again.batches if b.kind == "reconcile"] == [0], "found once"
    assert writer.object_state("salesforce", "Case").last_reconciled_at is not None


def test_formula_values_are_refreshed_without_a_systemmodstamp_bump(fresh_sandbox, client_for, writer, options):
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    extract_object(client, writer, "Invoice__c", options)
    recalculated = org.mutate("Invoice__c", "formula_recalc", count=4, field="Total_Value__c")
    plain = extract_object(client, writer, "Invoice__c", options)
    assert plain.summary()["rows"] == 0, "SystemModstamp did not move: the incremental run cannot see it"
    run = extract_object(client, writer, ObjectWork("Invoice__c", refresh_formulas=True), options)
    refresh = [b for b in run.batches if b.kind == "formula_refresh"][0]
    assert refresh.rows_landed == 4
    truth = {r["Id"]: r for r in org.rows("Invoice__c")}
    for record_id in recalculated["ids"]:
        row = latest(writer, "Invoice__c", record_id)
        assert row["_change_kind"] == "formula_refresh"
        assert float(row["total_value__c"]) == truth[record_id]["Total_Value__c"]
        assert row["systemmodstamp"] == truth[record_id]["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    again = extract_object(client, writer, ObjectWork("Invoice__c", refresh_formulas=True), options)
    assert [b.rows_landed for b in again.batches if b.kind == "formula_refresh"] == [0]
    changes = writer.query("select id, systemmodstamp, count(*) from bronze.salesforce__invoice__c "
                           "where _change_kind = 'change' group by id, systemmodstamp having count(*) > 1")
    assert changes == [], "refreshes never duplicate a change row"


def test_a_field_that_appears_later_is_backfilled(fresh_sandbox, client_for, writer, options):
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    org.access.hide_fields("Lead.Title")
    extract_object(client, writer, "Lead", options)
    assert "title" not in writer.bronze_columns("salesforce__lead")
    org.access.reset()  # field-level security now lets the integration user read Title
    run = extract_object(client, writer, "Lead", options)
    backfill = [b for b in run.batches if b.kind == "column_backfill"][0]
    with_title = org.count("Lead", '"Title" IS NOT NULL AND NOT "IsDeleted"')
    assert backfill.rows_landed == with_title > 0
    truth = {r["Id"]: r["Title"] for r in org.rows("Lead", 'NOT "IsDeleted"')}
    for record_id, title in list(truth.items())[:20]:
        assert latest(writer, "Lead", record_id)["title"] == title


def test_reconciliation_and_refresh_are_audited(fresh_sandbox, client_for, writer, tmp_path):
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=0)  # through Bulk jobs too
    client = client_for(fresh_sandbox)
    extract_object(client, writer, "Invoice__c", options)
    extract_object(client, writer, ObjectWork("Invoice__c", reconcile=True, refresh_formulas=True), options)
    kinds = [(a["kind"], a["status"], a["route"]) for a in audit_rows(writer, "Invoice__c")]
    assert kinds == [("full", "succeeded", "bulk"), ("incremental", "succeeded", "bulk"),
                     ("reconcile", "succeeded", "bulk"), ("formula_refresh", "succeeded", "bulk")]
    assert all(a["api_calls"] > 0 and a["bulk_jobs"] == 1 for a in audit_rows(writer, "Invoice__c"))
    assert bronze_rows(writer, "Invoice__c")
