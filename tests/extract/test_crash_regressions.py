"""What the crash-safety harness (tests/extract/crash_harness.py) found, pinned down without killing anything."""

from __future__ import annotations

import datetime as dt

import pytest

from extract.object_extraction import extract_objects
from extract.options import ExtractOptions
from extract.plan import plan_cycle
from extract.salesforce.bulk2_query import Bulk2QueryJob
from sandbox.server import Sandbox
from tests.extract.conftest import FAST_RETRY, audit_rows


@pytest.fixture(scope="module")
def org_for_regressions(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("regressions-org"), seed=11, scale=0.1,
                 options={"custom_scale": "0.05"}) as sb:
        yield sb


def cycle(client, writer, opts):
    plan = plan_cycle(client, writer, opts)
    failures = [(w.object_name, r) for w, r in extract_objects(client, writer, plan.work, opts)
                if isinstance(r, BaseException)]
    assert not failures, failures
    return plan


def test_a_planned_cycle_aborts_the_bulk_jobs_a_killed_run_left_open(org_for_regressions, client_for, writer,
                                                                      tmp_path):
    """Killed after its batch committed but before it deleted its Bulk job, a run leaves the job noted open. The
    next cycle finds the object unchanged; it must still abort and delete the job (it used to stay open for good)."""
    client = client_for(org_for_regressions)
    opts = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, include=("Task",), rest_max_rows=0,
                          reconcile_every=None, formula_refresh_every=None)
    cycle(client, writer, opts)
    job = Bulk2QueryJob.create(client, "SELECT Id FROM Task", "Task")  # what the killed run left behind
    writer.remember_job("salesforce", "Task", job.job_id, "incremental")

    plan = cycle(client, writer, opts)
    assert [(w.object_name, w.extract_changes) for w in plan.work] == [("Task", False)]
    assert writer.open_jobs("salesforce", "Task") == []
    listed = client.get_json("/jobs/query", doing="list jobs")["records"]
    assert job.job_id not in {j["id"] for j in listed}, "aborted and deleted in the org"
    assert cycle(client, writer, opts).work == [], "nothing left to do afterwards"


def test_a_new_record_does_not_hide_a_hard_delete_from_the_reconciliation(org_for_regressions, client_for, writer,
                                                                          tmp_path):
    """One record hard-deleted and one created: the live counts match although a landed record is gone. The plan
    used to mark the object reconciled without an Id scan, so the deleted record never got its tombstone."""
    client = client_for(org_for_regressions)
    org = org_for_regressions.org
    opts = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, include=("Lead",), reconcile_every=None,
                          formula_refresh_every=None)
    cycle(client, writer, opts)
    gone = org.mutate("Lead", "hard_delete", count=1, live=True)["ids"]
    org.mutate("Lead", "late_commit", count=1, new_rows=True, lag_seconds=0)
    assert org.count("Lead", 'NOT "IsDeleted"') == writer.live_count("Lead", "salesforce__lead", "SystemModstamp")

    plan = cycle(client, writer, ExtractOptions(
        retry=FAST_RETRY, work_dir=tmp_path, include=("Lead",), reconcile_every=dt.timedelta(0),
        formula_refresh_every=None))
    assert [(w.object_name, w.extract_changes, w.reconcile) for w in plan.work] == [("Lead", True, True)]
    tombstoned = {r[0] for r in writer.query(
        "select id from bronze.salesforce_tombstones where object_name = 'Lead'")}
    assert tombstoned == set(gone)
    assert [a["tombstones"] for a in audit_rows(writer, "Lead") if a["kind"] == "reconcile"] == [1]
