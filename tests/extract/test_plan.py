"""The cycle plan against the sandbox: every replicateable object by configuration, cheap change probes that skip
what did not change, late commits noticed, objects the integration user cannot see reported and skipped."""

from __future__ import annotations

import datetime as dt

import pytest

from extract.object_extraction import extract_objects
from extract.options import ExtractOptions
from extract.plan import ConfigurationError, plan_cycle, shard_work
from extract.object_extraction import ObjectWork
from tests.extract.conftest import FAST_RETRY, audit_rows

STANDARD = ("User", "Account", "Contact", "Lead", "Opportunity", "Case", "Task")


def options(tmp_path, **kwargs) -> ExtractOptions:
    return ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, reconcile_every=None, formula_refresh_every=None,
                          **kwargs)


def run_cycle(client, writer, opts):
    plan = plan_cycle(client, writer, opts)
    results = extract_objects(client, writer, plan.work, opts)
    failures = [(w.object_name, r) for w, r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return plan


def test_every_replicateable_object_is_selected_by_default(fresh_sandbox, client_for, writer, tmp_path):
    org = fresh_sandbox.org
    org.access.update(not_replicateable_objects="Payment_History__c", not_queryable_objects="Budget__c",
                      hidden_objects="Shipment__c")
    plan = plan_cycle(client_for(fresh_sandbox), writer, options(tmp_path))
    names = {w.object_name for w in plan.work}
    assert len(names) == len(org.object_names()) - 3 >= 200
    assert {"Account", "Invoice__c", "Bench_Wide__c"} <= names
    assert plan.skipped["Payment_History__c"] == "not replicateable"
    assert plan.skipped["Budget__c"] == "not queryable"
    assert "Shipment__c" not in names and "Shipment__c" not in plan.skipped, "an invisible object is not listed"
    assert all(w.reason == "first extraction" and w.extract_changes for w in plan.work)
    assert plan.api_calls <= 2 + -(-len(names) // 5), "limits + describe + one composite per 5 probes"


def test_include_and_exclude_patterns_and_explicit_names(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.access.update(hidden_objects="Shipment__c")
    opts = options(tmp_path, include=("Account", "Contact", "Invoice*", "Shipment__c", "Acount"),
                   exclude=("*_Snapshot__c",))
    plan = plan_cycle(client_for(fresh_sandbox), writer, opts)
    names = {w.object_name for w in plan.work}
    assert {"Account", "Contact", "Invoice__c", "Invoice_Line__c"} <= names
    assert not any(n.endswith("_Snapshot__c") for n in names)
    assert "not in the org's describe" in plan.skipped["Shipment__c"]
    assert "not in the org's describe" in plan.skipped["Acount"]
    skipped = {(a["object_name"], a["status"]) for a in audit_rows(writer) if a["kind"] == "plan"}
    assert {("Shipment__c", "skipped"), ("Acount", "skipped")} <= skipped


def test_an_object_the_models_read_cannot_be_left_out(fresh_sandbox, client_for, writer, tmp_path):
    with pytest.raises(ConfigurationError, match="Case: left out by the include/exclude configuration"):
        plan_cycle(client_for(fresh_sandbox), writer, options(tmp_path, exclude=("Case",)), required=STANDARD)
    fresh_sandbox.org.access.update(hidden_objects="Case")
    with pytest.raises(ConfigurationError, match="Case: not in the org's describe"):
        plan_cycle(client_for(fresh_sandbox), writer, options(tmp_path), required=STANDARD)


def test_an_unchanged_cycle_probes_cheaply_and_extracts_nothing(fresh_sandbox, client_for, writer, tmp_path):
    client = client_for(fresh_sandbox)
    opts = options(tmp_path)
    first = run_cycle(client, writer, opts)
    assert len(first.work) >= 200
    jobs_before = fresh_sandbox.org.usage()["limits"]["DailyBulkV2QueryJobs"]["Used"]
    before = client.stats.copy()
    second = plan_cycle(client, writer, opts)
    assert second.work == [] and len(second.unchanged) == len(first.work)
    spent = client.stats.since(before)
    assert spent.api_calls <= 2 + -(-2 * len(first.work) // 5), "two probes per object, five per composite call"
    assert fresh_sandbox.org.usage()["limits"]["DailyBulkV2QueryJobs"]["Used"] == jobs_before
    unchanged = [a for a in audit_rows(writer) if a["kind"] == "probe" and a["status"] == "unchanged"]
    assert len(unchanged) == len(first.work), "every object has its audit row for the cycle"


def test_changes_and_late_commits_are_what_the_plan_picks(fresh_sandbox, client_for, writer, tmp_path):
    client = client_for(fresh_sandbox)
    opts = options(tmp_path, include=STANDARD + ("Invoice__c",))
    run_cycle(client, writer, opts)
    org = fresh_sandbox.org
    org.mutate("Contact", "update", count=3)
    org.mutate("Invoice__c", "soft_delete", count=2)
    plan = plan_cycle(client, writer, opts)
    assert {w.object_name for w in plan.work} == {"Contact", "Invoice__c"}
    assert all(w.estimated_rows is not None and w.estimated_rows >= 2 for w in plan.work)
    extract_objects(client, writer, plan.work, opts)
    # a transaction that commits late is stamped behind the cursor: no change "since the cursor", but the lookback
    # window holds more than was landed, and the plan sees it
    org.clock.freeze(org.now())
    try:
        org.mutate("Opportunity", "update", count=1)
        run_cycle(client, writer, opts)
        org.clock.advance(dt.timedelta(seconds=10))
        late = org.mutate("Opportunity", "late_commit", count=2, lag_seconds=60)
        plan = plan_cycle(client, writer, opts)
    finally:
        org.clock.resume()
    assert [w.object_name for w in plan.work] == ["Opportunity"]
    assert "late commits in the lookback window" in plan.work[0].reason
    extract_objects(client, writer, plan.work, opts)
    landed = {r[0] for r in writer.query("select id from bronze.salesforce__opportunity where _batch_id = ?",
                                         [audit_rows(writer, "Opportunity")[-1]["batch_id"]])}
    assert set(late["ids"]) <= landed


def test_reconciliation_and_formula_refresh_come_due_on_their_schedule(fresh_sandbox, client_for, writer, tmp_path):
    client = client_for(fresh_sandbox)
    every = dt.timedelta(seconds=0)
    opts = options(tmp_path, include=("Invoice__c", "Account"))
    run_cycle(client, writer, opts)
    due = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, include=("Invoice__c", "Account"),
                         reconcile_every=every, formula_refresh_every=every)
    plan = plan_cycle(client, writer, due)
    work = {w.object_name: w for w in plan.work}
    assert set(work) == {"Invoice__c"}, "Account has no formula field; its live count matches: nothing to do"
    assert work["Invoice__c"].refresh_formulas and not work["Invoice__c"].reconcile
    fresh_sandbox.org.mutate("Account", "hard_delete", count=2, live=True)
    plan = plan_cycle(client, writer, due)
    assert {w.object_name: w.reconcile for w in plan.work}["Account"] is True, "the live count no longer matches"


def test_shards_pack_small_objects_and_isolate_large_ones():
    small = [ObjectWork(f"Small_{i}__c", estimated_rows=100) for i in range(60)]
    large = [ObjectWork("Big__c", estimated_rows=5_000_000), ObjectWork("Unknown__c", estimated_rows=None)]
    shards = shard_work(small + large, rest_max_rows=10_000, max_objects=25, max_rows=50_000)
    sizes = sorted(len(s.work) for s in shards)
    assert sizes == [1, 1, 10, 25, 25]
    assert {s.label for s in shards if len(s.work) == 1} == {"Big__c", "Unknown__c"}
    assert sum(len(s.work) for s in shards) == 62


def test_a_quiet_object_has_its_lookback_window_read_again(fresh_sandbox, client_for, writer, tmp_path):
    """A late commit that re-stamps a record already inside the lookback window changes neither count; reading
    the window again after a quiet spell bounds how late it lands."""
    client = client_for(fresh_sandbox)
    opts = options(tmp_path, include=("Account", "Contact"))
    run_cycle(client, writer, opts)
    org = fresh_sandbox.org
    org.clock.freeze(org.now())
    try:
        org.mutate("Contact", "update", count=2)
        run_cycle(client, writer, opts)
        org.clock.advance(dt.timedelta(seconds=5))
        in_window = [r["Id"] for r in org.rows("Contact", "\"SystemModstamp\" = (SELECT max(\"SystemModstamp\") "
                                                          "FROM \"Contact\")")][:1]
        with org.store.write() as cur:  # re-stamped inside the window, behind the cursor: a late commit
            cur.execute("UPDATE \"Contact\" SET \"Title\" = 'late', \"SystemModstamp\" = \"SystemModstamp\" "
                        f"- INTERVAL 2 SECOND WHERE \"Id\" = '{in_window[0]}'")
        assert plan_cycle(client, writer, opts).work == [], "the counts cannot see it"
        quiet = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, include=("Account", "Contact"),
                               reconcile_every=None, formula_refresh_every=None,
                               reread_quiet_every=dt.timedelta(seconds=0))
        plan = plan_cycle(client, writer, quiet)
    finally:
        org.clock.resume()
    assert {w.object_name for w in plan.work} == {"Account", "Contact"}
    assert all("quiet" in w.reason for w in plan.work)
    extract_objects(client, writer, plan.work, quiet)
    landed = writer.query("select title from bronze.salesforce__contact where id = ? "
                          "order by _extracted_at desc limit 1", in_window)
    assert landed == [("late",)]
