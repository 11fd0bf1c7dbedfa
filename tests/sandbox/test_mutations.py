"""Time and change: mutations on the org clock, seen by real clients (REST query/queryAll, getDeleted, Bulk 2.0)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest


def _stamp(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").replace(tzinfo=None)


def _soql_time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _soon(minutes: int) -> dt.datetime:
    """A whole minute shortly ahead of real time: frozen there, the org keeps its sessions alive (they idle out
    after 2 h) and rows stamped then are newer than anything other tests wrote."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0) + dt.timedelta(minutes=minutes)


def _in(ids: list[str]) -> str:
    return "(" + ", ".join(f"'{i}'" for i in ids) + ")"


def test_update_bumps_system_modstamp_to_the_org_clock(sf, sf_sandbox, frozen_clock):
    at = _soon(50)
    frozen_clock.freeze(at)
    result = sf_sandbox.org.mutate("Contact", "update", count=4)
    assert len(result["ids"]) == 4 and result["field"]
    rows = sf.query_all(f"SELECT Id, SystemModstamp, LastModifiedDate FROM Contact "
                        f"WHERE SystemModstamp >= {_soql_time(at)}")["records"]
    assert sorted(r["Id"] for r in rows) == sorted(result["ids"])
    assert {r["SystemModstamp"] for r in rows} == {at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")}
    pages = list(sf.bulk2.Contact.query(
        f"SELECT Id FROM Contact WHERE SystemModstamp >= {_soql_time(at)}", wait=0.1))
    assert sorted(r["Id"] for p in pages for r in csv.DictReader(io.StringIO(p))) == sorted(result["ids"])


def test_soft_delete_goes_to_the_recycle_bin_and_hard_delete_purges(sf, sf_sandbox, frozen_clock):
    frozen_clock.freeze(sf_sandbox.org.now().replace(second=10))
    start = sf_sandbox.org.now().replace(tzinfo=dt.timezone.utc) - dt.timedelta(minutes=1)
    deleted = sf_sandbox.org.mutate("Lead", "soft_delete", count=3)["ids"]
    live = sf.query_all(f"SELECT Id FROM Lead WHERE Id IN {_in(deleted)}")
    everything = sf.query_all(f"SELECT Id, IsDeleted FROM Lead WHERE Id IN {_in(deleted)}", include_deleted=True)
    assert live["totalSize"] == 0
    assert sorted(r["Id"] for r in everything["records"]) == sorted(deleted)
    assert all(r["IsDeleted"] for r in everything["records"])
    frozen_clock.advance(dt.timedelta(minutes=2))
    in_bin = {d["id"] for d in sf.Lead.deleted(start, start + dt.timedelta(minutes=5))["deletedRecords"]}
    assert set(deleted) <= in_bin

    purged = sf_sandbox.org.mutate("Lead", "hard_delete", count=2)["ids"]
    assert sf.query_all(f"SELECT Id FROM Lead WHERE Id IN {_in(purged)}", include_deleted=True)["totalSize"] == 0
    assert sf_sandbox.org.count("Lead", f"\"Id\" IN {_in(purged)}") == 0


def test_merge_deletes_losers_with_master_record_id(sf, sf_sandbox):
    result = sf_sandbox.org.mutate("Account", "merge", count=4)
    losers = result["ids"]
    assert len(losers) == 4 and len(result["merges"]) == 2
    rows = sf.query_all(f"SELECT Id, IsDeleted, MasterRecordId FROM Account WHERE Id IN {_in(losers)}",
                        include_deleted=True)["records"]
    winner_of = {loser: winner for winner, group in result["merges"].items() for loser in group}
    assert {r["Id"]: (r["IsDeleted"], r["MasterRecordId"]) for r in rows} == {
        loser: (True, winner_of[loser]) for loser in losers}
    winners = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id IN {_in(list(result['merges']))}")
    assert winners["totalSize"] == 2
    with pytest.raises(ValueError):
        sf_sandbox.org.mutate("Opportunity", "merge", count=1)


def test_formula_recalc_changes_a_value_but_not_system_modstamp(sf, sf_sandbox):
    result = sf_sandbox.org.mutate("Opportunity", "formula_recalc", count=3, field="IsWon")
    assert result["field"] == "IsWon"
    described = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert described["IsWon"]["calculated"] is True
    before = {r["Id"]: r for r in sf_sandbox.org.rows("Opportunity", f"\"Id\" IN {_in(result['ids'])}")}
    after = sf.query_all(f"SELECT Id, IsWon, StageName, SystemModstamp FROM Opportunity "
                         f"WHERE Id IN {_in(result['ids'])}")["records"]
    for record in after:
        stored = before[record["Id"]]
        assert record["IsWon"] == stored["IsWon"]
        assert _stamp(record["SystemModstamp"]) == stored["SystemModstamp"]
    with pytest.raises(ValueError, match="no calculated"):
        sf_sandbox.org.mutate("Account", "formula_recalc", count=1)


def test_late_commit_and_same_second_ties(sf, sf_sandbox, frozen_clock):
    at = _soon(70)
    frozen_clock.freeze(at)
    served = sf_sandbox.org.mutate("Case", "update", count=2)
    cursor = max(_stamp(r["SystemModstamp"]) for r in sf.query_all(
        f"SELECT SystemModstamp FROM Case WHERE Id IN {_in(served['ids'])}")["records"])
    frozen_clock.advance(dt.timedelta(seconds=30))
    late = sf_sandbox.org.mutate("Case", "late_commit", count=2, lag_seconds=120)
    rows = sf.query_all(f"SELECT Id, SystemModstamp FROM Case WHERE Id IN {_in(late['ids'])}")["records"]
    assert all(_stamp(r["SystemModstamp"]) < cursor for r in rows)  # behind rows already served
    assert all(_stamp(r["SystemModstamp"]) == at - dt.timedelta(seconds=90) for r in rows)

    tie = sf_sandbox.org.mutate("Case", "tie", count=3)
    tied = sf.query_all(f"SELECT Id, SystemModstamp FROM Case WHERE SystemModstamp = {_soql_time(cursor)}")
    assert set(tie["ids"]) | set(served["ids"]) == {r["Id"] for r in tied["records"]}
    assert tied["totalSize"] == 5


def test_late_commit_of_new_records_appears_behind_the_cursor(sf, sf_sandbox, frozen_clock):
    at = _soon(70)
    frozen_clock.freeze(at)
    served = sf_sandbox.org.mutate("Account", "update", count=1)
    cursor = _stamp(sf.query(f"SELECT SystemModstamp FROM Account WHERE Id = '{served['ids'][0]}'")
                    ["records"][0]["SystemModstamp"])
    before = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    late = sf_sandbox.org.mutate("Account", "late_commit", count=3, lag_seconds=60, new_rows=True)
    assert late["created"] and len(late["ids"]) == 3
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == before + 3
    rows = sf.query_all(f"SELECT Id, Name, CreatedDate, SystemModstamp, Customer_Key__c FROM Account "
                        f"WHERE Id IN {_in(late['ids'])}")["records"]
    assert {r["Id"] for r in rows} == set(late["ids"])
    for row in rows:
        assert _stamp(row["SystemModstamp"]) == _stamp(row["CreatedDate"]) == at - dt.timedelta(seconds=60)
        assert _stamp(row["SystemModstamp"]) < cursor  # an incremental cursor past `cursor` would miss them
        assert row["Name"] and row["Customer_Key__c"] is None  # copied values, external id left unique
