"""restart_activity=true: a reopened org changes as users would have changed it between two runs, before it
serves, and activity.jsonl tells tests the truth."""

from __future__ import annotations

import datetime as dt
import json

import requests

from sandbox.salesforce.restart_activity import ACTIVITY_FILE, PLAN
from sandbox.server import Sandbox

V = "/services/data/v59.0"
OPTIONS = {"restart_activity": "true"}


def _read(state_dir) -> list[dict]:
    path = state_dir / ACTIVITY_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _client(running: Sandbox) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.trust_env = False
    session.verify = running.ca_bundle
    token = session.post(f"{running.salesforce_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": running.client_id,
        "client_secret": running.client_secret}).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session, f"{running.salesforce_url}{V}"


def _query_all(session: requests.Session, base: str, soql: str) -> list[dict]:
    page = session.get(f"{base}/queryAll", params={"q": soql}).json()
    records = page["records"]
    while not page["done"]:
        page = session.get(f"{base.split('/services/')[0]}{page['nextRecordsUrl']}").json()
        records += page["records"]
    return records


def _in(ids) -> str:
    return "(" + ", ".join(f"'{i}'" for i in ids) + ")"


def _touched(line: dict) -> set[str]:
    ids = set(line["ids"]) | set(line.get("merges", {}))
    for group in (line.get("cascade", {}), line.get("reparented", {})):
        ids |= {i for found in group.values() for i in found}
    return ids


def _stamp(value: str) -> str:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").strftime("%Y-%m-%dT%H:%M:%SZ")


def test_restarts_apply_users_changes_before_serving(tmp_path):
    state = tmp_path / "org"
    with Sandbox(state, seed=11, scale=0.05, options=OPTIONS) as first:  # a new org: nothing happened yet
        assert first.org.activity == []
    assert _read(state) == []

    with Sandbox(state, seed=11, scale=0.05, options=OPTIONS) as second:
        lines = _read(state)
        assert lines == json.loads(json.dumps(second.org.activity, default=str))
        assert [(line["kind"], line["object"]) for line in lines] == [(k, o) for k, o, _, _ in PLAN]
        assert {line["restart"] for line in lines} == {1}
        touched = sum(len(line["ids"]) + sum(map(len, line.get("cascade", {}).values()))
                      + sum(map(len, line.get("reparented", {}).values())) for line in lines)
        assert 250 <= touched <= 600  # a few hundred rows in all
        session, base = _client(second)
        by_kind = {}
        for line in lines:
            by_kind.setdefault(line["kind"], []).append(line)
        for position, line in enumerate(lines):
            if line["kind"] != "update":
                continue
            later = set().union(*(_touched(after) for after in lines[position + 1:]))
            kept = [i for i in line["ids"] if i not in later]  # later lines may delete or re-stamp some
            rows = _query_all(session, base, f"SELECT Id, SystemModstamp FROM {line['object']} WHERE Id IN {_in(kept)}")
            assert len(rows) == len(kept) > len(line["ids"]) // 2
            assert {_stamp(r["SystemModstamp"]) for r in rows} == {line["system_modstamp"][:19] + "Z"}
        purged = {i for line in by_kind["hard_delete"] for i in _touched(line)}
        for line in by_kind["soft_delete"]:
            for name, ids in [(line["object"], line["ids"]), *line["cascade"].items()]:
                ids = [i for i in ids if i not in purged]
                if not ids:
                    continue
                rows = _query_all(session, base, f"SELECT Id, IsDeleted FROM {name} WHERE Id IN {_in(ids)}")
                assert len(rows) == len(ids) and all(r["IsDeleted"] for r in rows)
        for line in by_kind["hard_delete"]:
            assert len(line["ids"]) > 0
            assert _query_all(session, base, f"SELECT Id FROM {line['object']} WHERE Id IN {_in(line['ids'])}") == []
        for line in by_kind["merge"]:
            rows = _query_all(session, base, f"SELECT Id, MasterRecordId FROM {line['object']} "
                                             f"WHERE Id IN {_in(line['ids'])}")
            winner_of = {loser: winner for winner, group in line["merges"].items() for loser in group}
            assert {r["Id"]: r["MasterRecordId"] for r in rows} == winner_of
        (late,) = by_kind["late_commit"]
        rows = _query_all(session, base, f"SELECT SystemModstamp FROM Opportunity WHERE Id IN {_in(late['ids'])}")
        lagged = dt.datetime.fromisoformat(late["org_time"][:-1]) - dt.timedelta(seconds=300)
        assert {_stamp(r["SystemModstamp"]) for r in rows} <= {
            (lagged + dt.timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in (0, 1, 2)}
        (recalc,) = by_kind["formula_recalc"]
        assert recalc["field"] == "Total_Value__c" and len(recalc["ids"]) == 10
        first_ids = {(line["kind"], line["object"]): line["ids"] for line in lines}

    with Sandbox(state, seed=11, scale=0.05) as quiet:  # without the option nothing changes
        assert quiet.org.activity == []
    assert len(_read(state)) == len(PLAN)

    with Sandbox(state, seed=11, scale=0.05, options=OPTIONS):
        third = _read(state)[len(PLAN):]
    assert {line["restart"] for line in third} == {2}
    assert {(line["kind"], line["object"]): line["ids"] for line in third}[("update", "Account")] != \
        first_ids[("update", "Account")]


def test_the_same_org_state_gives_the_same_activity(tmp_path):
    results = []
    for name in ("a", "b"):
        with Sandbox(tmp_path / name, seed=5, scale=0.05):
            pass
        with Sandbox(tmp_path / name, seed=5, scale=0.05, options=OPTIONS) as running:
            results.append([{k: v for k, v in line.items() if k not in ("org_time", "system_modstamp")}
                            for line in running.org.activity])
    assert results[0] == results[1]
