"""Deletes and merges as Salesforce makes them: the Recycle Bin and merged records a new org ships with (seen by a
first full extraction through Bulk queryAll), and the cascades of deletes and merges, at seed time, in mutations
and in API writes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import requests

from sandbox.salesforce.org import SalesforceOrg

# (rows, soft-deleted rows, merge losers) per object in the default org (seed 42, scale 1.0), as docs/SANDBOX.md says
DEFAULT_ORG_BIN = {
    "Account": (600, 9, 3), "Contact": (1800, 44, 9), "Lead": (2500, 37, 12), "Opportunity": (1500, 29, 0),
    "Case": (2000, 38, 0), "Task": (5000, 181, 0), "Invoice__c": (1000, 10, 0), "Shipment__c": (2000, 20, 0),
    "Subscription__c": (5000, 50, 0), "Invoice_Line__c": (5000, 50, 0), "Payment_History__c": (500, 5, 0),
}
ACTIVITY_PARENTS = ("Account", "Contact", "Lead", "Opportunity", "Case")


def _in(ids) -> str:
    return "(" + ", ".join(f"'{i}'" for i in ids) + ")"


def _stamp(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").replace(tzinfo=None)


def _bin_counts(org: SalesforceOrg) -> dict[str, tuple[int, int, int]]:
    return {
        name: (org.count(name), org.count(name, '"IsDeleted"'),
               org.count(name, '"MasterRecordId" IS NOT NULL') if name in ("Account", "Contact", "Lead") else 0)
        for name in DEFAULT_ORG_BIN
    }


def _orphans(org: SalesforceOrg) -> dict[str, int]:
    """Live records still pointing at a deleted parent that Salesforce would have deleted or re-parented with it."""
    found = {}
    for child in ("Contact", "Opportunity", "Case"):
        found[f"{child}.AccountId"] = org.count(
            child, 'NOT "IsDeleted" AND "AccountId" IN (SELECT "Id" FROM "Account" WHERE "IsDeleted")')
    for field in ("WhoId", "WhatId"):
        union = " UNION ALL ".join(f'SELECT "Id" FROM "{p}" WHERE "IsDeleted"' for p in ACTIVITY_PARENTS)
        found[f"Task.{field}"] = org.count("Task", f'NOT "IsDeleted" AND "{field}" IN ({union})')
    found["Case.ContactId (merged)"] = org.count(
        "Case", 'NOT "IsDeleted" AND "ContactId" IN (SELECT "Id" FROM "Contact" WHERE "MasterRecordId" IS NOT NULL)')
    found["Account.ParentId (merged)"] = org.count(
        "Account", 'NOT "IsDeleted" AND "ParentId" IN (SELECT "Id" FROM "Account" WHERE "MasterRecordId" IS NOT NULL)')
    return found


def test_the_default_org_ships_with_a_recycle_bin_and_merged_records(tmp_path):
    org = SalesforceOrg(tmp_path / "default", seed=42, scale=1.0)
    again = SalesforceOrg(tmp_path / "again", seed=42, scale=1.0)
    try:
        assert org.rows("Task", '"IsDeleted"') == again.rows("Task", '"IsDeleted"')  # deterministic
        assert _bin_counts(org) == DEFAULT_ORG_BIN
        assert set(_orphans(org).values()) == {0}
        losers = org.rows("Account", '"MasterRecordId" IS NOT NULL')
        winners = {r["Id"]: r for r in org.rows("Account", f'"Id" IN {_in({r["MasterRecordId"] for r in losers})}')}
        assert all(r["IsDeleted"] for r in losers) and not any(w["IsDeleted"] for w in winners.values())
        for loser in losers:  # the winner was stamped by the merge, after everything the seed wrote
            assert winners[loser["MasterRecordId"]]["SystemModstamp"] >= loser["SystemModstamp"]
        # an Account's cascade shares its deletion stamp
        deleted = org.rows("Account", '"IsDeleted" AND "MasterRecordId" IS NULL')
        stamps = {r["Id"]: r["SystemModstamp"] for r in deleted}
        for contact in org.rows("Contact", f'"AccountId" IN {_in(stamps)}'):
            assert contact["IsDeleted"] and contact["SystemModstamp"] == stamps[contact["AccountId"]]
    finally:
        org.close()
        again.close()
    off = SalesforceOrg(tmp_path / "off", seed=42, scale=1.0, options={"recycle_bin": "false"})
    try:
        assert {name: deleted for name, (_, deleted, _) in _bin_counts(off).items()} == dict.fromkeys(DEFAULT_ORG_BIN, 0)
    finally:
        off.close()


def test_a_first_full_extraction_meets_the_bin_through_bulk_query_all(sf, sf_sandbox):
    for name in ("Account", "Contact", "Task", "Invoice__c"):
        pages = list(getattr(sf.bulk2, name).query_all(f"SELECT Id, IsDeleted FROM {name}", wait=0.1))
        rows = [r for page in pages for r in csv.DictReader(io.StringIO(page))]
        assert len(rows) == sf_sandbox.org.count(name)
        assert sum(r["IsDeleted"] == "true" for r in rows) == sf_sandbox.org.count(name, '"IsDeleted"') >= 3
    merged = sf.query_all("SELECT Id, MasterRecordId FROM Lead WHERE MasterRecordId != null", include_deleted=True)
    assert merged["totalSize"] >= 2 and sf.query("SELECT COUNT() FROM Lead WHERE MasterRecordId != null")["totalSize"] == 0
    assert set(_orphans(sf_sandbox.org).values()) == {0}


def test_soft_deleting_accounts_cascades_to_children_and_tasks(sf, sf_sandbox):
    org = sf_sandbox.org
    result = org.mutate("Account", "soft_delete", count=4)
    cascade = result["cascade"]
    assert cascade["Contact"] and cascade["Task"] and cascade.get("Opportunity") and cascade.get("Case")
    stamp = result["system_modstamp"]
    for name, ids in cascade.items():
        rows = sf.query_all(f"SELECT Id, IsDeleted, SystemModstamp FROM {name} WHERE Id IN {_in(ids)}",
                            include_deleted=True)["records"]
        assert len(rows) == len(ids)
        assert all(r["IsDeleted"] and _stamp(r["SystemModstamp"]).isoformat() + "Z" == stamp for r in rows)
    assert set(_orphans(org).values()) == {0}

    lead = org.mutate("Lead", "soft_delete", count=5)
    assert set(lead["cascade"]) <= {"Task"}
    assert set(_orphans(org).values()) == {0}


def test_hard_delete_purges_the_cascade(sf, sf_sandbox):
    org = sf_sandbox.org
    result = org.mutate("Account", "hard_delete", count=3, live=True)
    assert len(result["ids"]) == 3 and result["cascade"]["Contact"]
    for name, ids in [("Account", result["ids"]), *result["cascade"].items()]:
        assert sf.query_all(f"SELECT Id FROM {name} WHERE Id IN {_in(ids)}", include_deleted=True)["totalSize"] == 0
    assert set(_orphans(org).values()) == {0}


def test_merges_reparent_the_losers_related_records(sf, sf_sandbox, frozen_clock):
    org = sf_sandbox.org
    # in the past (open sessions stay valid): a stamp ahead of real time would sit above the rows other tests of
    # this session's org stamp shortly ahead of it (test_mutations) and show up in their queries
    at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=1)
    frozen_clock.freeze(at)
    result = org.mutate("Account", "merge", count=6)
    winner_of = {loser: winner for winner, group in result["merges"].items() for loser in group}
    reparented = result["reparented"]
    assert reparented["Contact"] and reparented["Task"]
    for name, field in (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId"),
                        ("Task", "WhatId")):
        ids = reparented.get(name, [])
        rows = sf.query_all(f"SELECT Id, {field}, SystemModstamp, LastModifiedDate FROM {name} "
                            f"WHERE Id IN {_in(ids)}")["records"] if ids else []
        assert len(rows) == len(ids)
        for row in rows:
            assert row[field] in result["merges"]
            assert _stamp(row["SystemModstamp"]) == _stamp(row["LastModifiedDate"]) == at
    for loser in result["ids"]:
        left = sf.query(f"SELECT COUNT() FROM Contact WHERE AccountId = '{loser}'")["totalSize"]
        assert left == 0, f"{loser} (merged into {winner_of[loser]}) still has contacts"

    contacts = org.mutate("Contact", "merge", count=6)
    for task_id in contacts["reparented"].get("Task", []):
        (task,) = sf.query(f"SELECT WhoId FROM Task WHERE Id = '{task_id}'")["records"]
        assert task["WhoId"] in contacts["merges"]
    leads = org.mutate("Lead", "merge", count=3)
    assert set(leads["reparented"]) <= {"Task"}
    assert set(_orphans(org).values()) == {0}


def test_deletes_through_the_api_cascade_too(sf, sf_sandbox):
    org = sf_sandbox.org
    account = org.rows("Account", 'NOT "IsDeleted" AND "Id" IN (SELECT "AccountId" FROM "Contact" WHERE NOT "IsDeleted")',
                       limit=1)[0]["Id"]
    contacts = [r["Id"] for r in org.rows("Contact", f"\"AccountId\" = '{account}' AND NOT \"IsDeleted\"")]
    sf.Account.delete(account)
    rows = sf.query_all(f"SELECT Id, IsDeleted FROM Contact WHERE Id IN {_in(contacts)}", include_deleted=True)
    assert rows["totalSize"] == len(contacts) and all(r["IsDeleted"] for r in rows["records"])
    assert set(_orphans(org).values()) == {0}
    (result,) = sf.bulk2.Account.hard_delete(records=[{"Id": account}], wait=0.1)
    assert result["numberRecordsFailed"] == 0
    assert sf.query_all(f"SELECT COUNT() FROM Contact WHERE Id IN {_in(contacts)}", include_deleted=True)[
        "totalSize"] == 0


@pytest.mark.parametrize("kind", ["soft_delete", "hard_delete", "merge"])
def test_mutation_results_over_http_name_the_cascade(sf_sandbox, kind):
    response = requests.post(f"{sf_sandbox.sandbox_control_url}/orgs/salesforce/mutations",
                             json={"object": "Account", "kind": kind, "count": 2})
    assert response.status_code == 200
    body = response.json()
    assert len(body["ids"]) == 2
    assert ("reparented" if kind == "merge" else "cascade") in body
