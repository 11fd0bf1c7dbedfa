"""Two orgs into one warehouse: the sandbox's two orgs (same Id sequences, different records and org ids), each
landed under its own source, with cursors, tombstones and audit that never move the other's."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from extract.errors import OrgMismatchError, SalesforceLoginError
from extract.object_extraction import extract_objects
from extract.options import ExtractOptions
from extract.orgs import confirm_org
from extract.plan import plan_cycle
from extract.salesforce.client import SalesforceClient
from extract.salesforce.credentials import SalesforceCredentials
from sandbox.salesforce_2.service import ORG_ID as SECOND_ORG_ID
from sandbox.server import Sandbox
from tests.extract.conftest import FAST_RETRY

TWO_ORGS = {"seed": 11, "scale": 0.1, "options": {"custom_scale": "0.05", "second_org": "true"}}
OBJECTS = ("User", "Account", "Contact", "Case")
FIRST, SECOND = "salesforce", "salesforce_org2"  # the sources: org names `salesforce` and `org2`


@pytest.fixture(scope="module")
def two_org_template(tmp_path_factory) -> Path:
    template = tmp_path_factory.mktemp("two-org-template") / "org"
    with Sandbox(template, **TWO_ORGS):
        pass
    return template


@pytest.fixture
def two_orgs(tmp_path, two_org_template):
    shutil.copytree(two_org_template, tmp_path / "org")
    with Sandbox(tmp_path / "org", **TWO_ORGS) as sb:
        yield sb


def login(sb: Sandbox, prefix: str = "SALESFORCE_", password: str | None = None) -> SalesforceClient:
    env = sb.env()
    host = env[prefix + "URL"].removeprefix("https://")
    return SalesforceClient(SalesforceCredentials(
        username=env[prefix + "USERNAME"], password=password or env[prefix + "PASSWORD"],
        security_token=env[prefix + "TOKEN"], domain=f"{host}/services/Soap/u/59.0#", ca_bundle=sb.ca_bundle),
        FAST_RETRY)


def org_options(tmp_path, source: str, **kwargs) -> ExtractOptions:
    return ExtractOptions(source=source, include=OBJECTS, retry=FAST_RETRY, work_dir=tmp_path / source,
                          formula_refresh_every=None, **kwargs)


def cycle(client, writer, opts: ExtractOptions):
    """What the DAG does per org: confirm the org, plan, extract the planned objects."""
    confirm_org(client, writer, opts.source)
    plan = plan_cycle(client, writer, opts)
    results = extract_objects(client, writer, plan.work, opts)
    failures = [(w.object_name, r) for w, r in results if isinstance(r, BaseException)]
    assert not failures, failures
    return plan


def landed(writer, source: str, object_name: str) -> set[tuple[str, str]]:
    return set(writer.con.execute(
        f'select id, systemmodstamp from bronze."{source}__{object_name.lower()}" where _change_kind = \'change\''
    ).fetchall())


def truth(org, object_name: str) -> set[tuple[str, str]]:
    return {(r["Id"], r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z")) for r in org.rows(object_name)}


def test_each_org_lands_into_its_own_tables_with_its_org_id(two_orgs, writer, tmp_path):
    first, second = two_orgs.org, two_orgs.controller("salesforce_2")
    cycle(login(two_orgs), writer, org_options(tmp_path, FIRST))
    cycle(login(two_orgs, "SALESFORCE_2_"), writer, org_options(tmp_path, SECOND))

    for name in OBJECTS:
        assert landed(writer, FIRST, name) == truth(first, name)
        assert landed(writer, SECOND, name) == truth(second, name)
    # the same Ids in both orgs (as in a sandbox copy), different records: only (Id, org) identifies one
    names = {org: dict(writer.con.execute(f'select id, name from bronze."{org}__account"').fetchall())
             for org in (FIRST, SECOND)}
    assert names[FIRST].keys() == names[SECOND].keys()
    assert any(names[FIRST][i] != names[SECOND][i] for i in names[FIRST])
    assert {s for (s,) in writer.con.execute('select distinct _source from bronze."salesforce_org2__account"')
            .fetchall()} == {SECOND}
    orgs = dict(writer.con.execute("select source, org_id from state.salesforce_orgs").fetchall())
    assert orgs == {FIRST: first.credentials.org_id, SECOND: SECOND_ORG_ID} and len(set(orgs.values())) == 2
    cursors = dict(writer.con.execute("select source || '.' || object_name, cursor_value "
                                      "from state.salesforce_objects").fetchall())
    assert set(cursors) == {f"{s}.{n}" for s in (FIRST, SECOND) for n in OBJECTS}
    audited = writer.con.execute("select source, count(*) from audit.extract_batches where status = 'succeeded' "
                                 "and kind = 'full' group by source order by source").fetchall()
    assert audited == [(FIRST, len(OBJECTS)), (SECOND, len(OBJECTS))]


def test_a_change_in_one_org_moves_only_its_cursor(two_orgs, writer, tmp_path):
    first, second = two_orgs.org, two_orgs.controller("salesforce_2")
    one, two = login(two_orgs), login(two_orgs, "SALESFORCE_2_")
    # reconcile every cycle: the other org's hard deletes must not count against this org's live records
    opts = {s: org_options(tmp_path, s, reconcile_every=timedelta(0)) for s in (FIRST, SECOND)}
    cycle(one, writer, opts[FIRST])
    cycle(two, writer, opts[SECOND])
    before = {s: dict(writer.con.execute("select object_name, cursor_value from state.salesforce_objects "
                                         "where source = ?", [s]).fetchall()) for s in (FIRST, SECOND)}
    rows_before = writer.con.execute('select count(*) from bronze."salesforce__account"').fetchone()[0]

    updated = set(second.mutate("Account", "update", 5)["ids"])
    gone = second.mutate("Contact", "hard_delete", 2)["ids"]
    assert {r["Id"] for r in first.rows("Contact") if r["Id"] in gone} == set(gone), "alive in the first org"

    quiet = cycle(one, writer, opts[FIRST])
    busy = cycle(two, writer, opts[SECOND])

    assert quiet.work == [] and sorted(quiet.unchanged) == sorted(OBJECTS), "the first org has nothing new"
    assert writer.con.execute('select count(*) from bronze."salesforce__account"').fetchone()[0] == rows_before
    after = {s: dict(writer.con.execute("select object_name, cursor_value from state.salesforce_objects "
                                        "where source = ?", [s]).fetchall()) for s in (FIRST, SECOND)}
    assert after[FIRST] == before[FIRST]
    assert after[SECOND]["Account"] > before[SECOND]["Account"]
    assert {w.object_name for w in busy.work} >= {"Account", "Contact"}
    new_rows = writer.con.execute('select id from bronze."salesforce_org2__account" where _batch_id in ('
                                  "select batch_id from audit.extract_batches where source = ? and "
                                  "object_name = 'Account' and kind = 'incremental')", [SECOND]).fetchall()
    assert {i for (i,) in new_rows} == updated
    tombstones = writer.con.execute("select _source, id from bronze.salesforce_tombstones "
                                    "where object_name = 'Contact'").fetchall()
    assert sorted(tombstones) == sorted((SECOND, i) for i in gone)
    for name in OBJECTS:
        assert landed(writer, FIRST, name) == truth(first, name)
        assert landed(writer, SECOND, name) >= truth(second, name)
    # the first org's own bookkeeping ignores the second org's tombstones on the same Ids
    assert writer.live_count("Contact", "salesforce__contact", "SystemModstamp", source=FIRST) == first.count(
        "Contact", 'NOT "IsDeleted"')


def test_bad_credentials_of_one_org_leave_the_other_untouched(two_orgs, writer, tmp_path):
    cycle(login(two_orgs), writer, org_options(tmp_path, FIRST))
    with pytest.raises(SalesforceLoginError):
        login(two_orgs, "SALESFORCE_2_", password="wrong")
    cycle(login(two_orgs), writer, org_options(tmp_path, FIRST))  # the next cycle of the first org runs as ever
    assert landed(writer, FIRST, "Account") == truth(two_orgs.org, "Account")
    assert writer.con.execute("select count(*) from state.salesforce_objects where source = ?",
                              [SECOND]).fetchone()[0] == 0
    tables = {t for (t,) in writer.con.execute("select table_name from duckdb_tables() "
                                               "where schema_name = 'bronze'").fetchall()}
    assert not any(t.startswith(SECOND + "__") for t in tables)


def test_a_source_never_takes_another_orgs_records(two_orgs, writer, tmp_path):
    """The first org's connection pointed at the second org: refused before anything is probed or landed."""
    cycle(login(two_orgs), writer, org_options(tmp_path, FIRST))
    batches = writer.con.execute("select count(*) from audit.extract_batches").fetchone()[0]
    with pytest.raises(OrgMismatchError, match="holds the records, cursors and audit of org 00D8d0000000001EAA"):
        confirm_org(login(two_orgs, "SALESFORCE_2_"), writer, FIRST)
    assert writer.con.execute("select count(*) from audit.extract_batches").fetchone()[0] == batches
    assert writer.org_id(FIRST) == two_orgs.org.credentials.org_id
