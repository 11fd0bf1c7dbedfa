"""Incremental extraction against the sandbox over HTTPS: full first, then only changes; each (Id, SystemModstamp)
lands once however often a window is read; late commits and same-second ties are not lost."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from extract.object_extraction import ObjectWork, extract_object
from extract.options import ExtractOptions
from tests.extract.conftest import FAST_RETRY, audit_rows, bronze_rows, truth


def landed_versions(writer, object_name: str) -> Counter:
    return Counter(bronze_rows(writer, object_name))


def assert_bronze_matches_org(sb, writer, object_name: str) -> None:
    """Every record's current (Id, SystemModstamp) is in bronze, and no (Id, SystemModstamp) is there twice."""
    versions = landed_versions(writer, object_name)
    duplicates = {key: n for key, n in versions.items() if n > 1}
    assert not duplicates, f"landed more than once: {list(duplicates)[:5]}"
    missing = set(truth(sb, object_name).items()) - set(versions)
    assert not missing, f"{len(missing)} current versions never landed, e.g. {sorted(missing)[:3]}"


def test_first_run_is_full_then_only_changes_land(fresh_sandbox, client_for, writer, options):
    client = client_for(fresh_sandbox)
    first = extract_object(client, writer, "Account", options)
    total = fresh_sandbox.org.count("Account")
    assert first.summary()["rows"] == total and first.batches[0].kind == "full"
    assert_bronze_matches_org(fresh_sandbox, writer, "Account")

    again = extract_object(client, writer, "Account", options)
    assert again.batches[0].kind == "incremental"
    assert again.summary()["rows"] == 0, "nothing changed: nothing lands"
    assert again.batches[0].rows_received < total, "an incremental run reads the lookback window, not the table"

    changed = fresh_sandbox.org.mutate("Account", "update", count=7)["ids"]
    third = extract_object(client, writer, "Account", options)
    assert third.summary()["rows"] == 7
    landed_now = {r[0] for r in writer.query(
        "select id from bronze.salesforce__account where _batch_id = ?", [third.batches[0].batch_id])}
    assert landed_now == set(changed)
    assert_bronze_matches_org(fresh_sandbox, writer, "Account")
    state = writer.object_state("salesforce", "Account")
    assert state.cursor_value == max(truth(fresh_sandbox, "Account").values())
    audits = audit_rows(writer, "Account")
    assert [a["kind"] for a in audits] == ["full", "incremental", "incremental"]
    assert audits[-1]["cursor_from"] < audits[-1]["cursor_to"] == state.cursor_value


def test_rerunning_a_window_lands_nothing_twice(fresh_sandbox, client_for, writer, tmp_path):
    """A long lookback re-reads everything each run: still each (Id, SystemModstamp) once."""
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, lookback=dt.timedelta(days=3650))
    client = client_for(fresh_sandbox)
    extract_object(client, writer, "Contact", options)
    fresh_sandbox.org.mutate("Contact", "update", count=3)
    for _ in range(3):
        run = extract_object(client, writer, "Contact", options)
    assert run.batches[0].rows_received == fresh_sandbox.org.count("Contact")
    assert run.summary()["rows"] == 0
    assert_bronze_matches_org(fresh_sandbox, writer, "Contact")


@pytest.mark.parametrize("route_rows", [0, 10_000], ids=["bulk", "rest"])
def test_late_commits_within_the_lookback_are_caught(fresh_sandbox, client_for, writer, tmp_path, route_rows):
    """A transaction committing late is stamped behind rows already served; the lookback reads it again."""
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=route_rows)
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    extract_object(client, writer, "Opportunity", options)
    org.mutate("Opportunity", "update", count=5)  # moves the cursor to now
    extract_object(client, writer, "Opportunity", options)
    late = org.mutate("Opportunity", "late_commit", count=4, lag_seconds=120)
    late_new = org.mutate("Opportunity", "late_commit", count=2, lag_seconds=60, new_rows=True)
    run = extract_object(client, writer, "Opportunity", options)
    landed = {r[0] for r in writer.query(
        "select id from bronze.salesforce__opportunity where _batch_id = ?", [run.batches[0].batch_id])}
    assert set(late["ids"]) | set(late_new["ids"]) <= landed
    assert_bronze_matches_org(fresh_sandbox, writer, "Opportunity")


def test_a_late_commit_older_than_the_lookback_needs_a_longer_lookback(fresh_sandbox, client_for, writer, tmp_path):
    """The lookback is the longest transaction the platform waits for: a commit 20 minutes late is missed by
    the 5-minute default and caught by a 30-minute lookback. This is why the lookback is configurable."""
    client = client_for(fresh_sandbox)
    short = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path)
    extract_object(client, writer, "Case", short)
    fresh_sandbox.org.mutate("Case", "update", count=1)
    extract_object(client, writer, "Case", short)
    late = fresh_sandbox.org.mutate("Case", "late_commit", count=2, lag_seconds=1200)["ids"]
    extract_object(client, writer, "Case", short)
    current = truth(fresh_sandbox, "Case")
    assert not {(i, current[i]) for i in late} & set(bronze_rows(writer, "Case"))
    extract_object(client, writer, "Case", ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path,
                                                          lookback=dt.timedelta(minutes=30)))
    assert {(i, current[i]) for i in late} <= set(bronze_rows(writer, "Case"))
    assert_bronze_matches_org(fresh_sandbox, writer, "Case")


def test_same_second_ties_with_the_cursor_are_not_lost(fresh_sandbox, client_for, writer, options):
    """Rows stamped in the very second the cursor points at, appearing after it was taken, still land."""
    client = client_for(fresh_sandbox)
    org = fresh_sandbox.org
    org.clock.freeze(org.now())
    try:
        extract_object(client, writer, "Lead", options)
        org.mutate("Lead", "update", count=3)
        extract_object(client, writer, "Lead", options)
        cursor = writer.object_state("salesforce", "Lead").cursor_value
        tied = org.mutate("Lead", "tie", count=5)
        assert tied["system_modstamp"].replace("Z", "") == cursor.removesuffix(".000Z")
        run = extract_object(client, writer, "Lead", options)
    finally:
        org.clock.resume()
    assert run.summary()["rows"] == 5
    assert_bronze_matches_org(fresh_sandbox, writer, "Lead")


def test_the_cursor_never_passes_rows_that_were_not_committed(fresh_sandbox, client_for, writer, options):
    """A batch that fails leaves neither rows nor a moved cursor; the next run lands what it would have."""
    client = client_for(fresh_sandbox)
    extract_object(client, writer, "Account", options)
    before = writer.object_state("salesforce", "Account")
    changed = fresh_sandbox.org.mutate("Account", "update", count=4)["ids"]
    fresh_sandbox.org.faults.add("http_503", "*/query*", times=100)
    with pytest.raises(Exception):
        extract_object(client, writer, "Account", options)
    fresh_sandbox.org.faults.clear()
    assert writer.object_state("salesforce", "Account") == before
    assert audit_rows(writer, "Account")[-1]["status"] == "failed"
    run = extract_object(client, writer, "Account", options)
    assert {r[0] for r in writer.query("select id from bronze.salesforce__account where _batch_id = ?",
                                       [run.batches[0].batch_id])} == set(changed)
    assert_bronze_matches_org(fresh_sandbox, writer, "Account")
