"""An in-place replay of a PostgreSQL and a Snowflake (fakesnow) warehouse (extract/replay.py replay_in_place):
several batches land, the warehouse is rebuilt as of an earlier one, and its bronze, cursors and batch audit are
what they were right after that batch (a snapshot taken then), the org table is kept, the warehouse as it was
before the replay is kept in a backup schema, and a corrupt file or a failed rebuild leaves the warehouse as it was.
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

import pytest

from extract.bronze_store import BronzeStore, StoreError
from extract.object_extraction import ObjectWork, extract_objects
from extract.options import ExtractOptions
from extract.replay import replay_in_place, run
from extract.warehouse.bronze import TOMBSTONES_TABLE
from extract.warehouse.sql_bronze import quote_ident
from tests.extract.conftest import FAST_RETRY, sort_rows

OBJECTS = ("Account", "Contact", "Case")
STATE = ("source", "object_name", "cursor_field", "cursor_value", "window_start", "window_count", "bulk_supported",
         "last_batch_id", "last_extracted_at", "last_reconciled_at", "last_formula_refresh_at", "formula_fields")


def bronze(writer, schema: str = "bronze") -> dict[str, list]:
    """Every bronze base table of ``schema``: its column names (sorted) and its rows in that column order."""
    tables = [t for s, t in writer.replayed_tables() if s == "bronze"] if schema == "bronze" else [
        r[0].lower() for r in writer.query(
            "select table_name from information_schema.tables where lower(table_schema) = ? "
            "and table_type = 'BASE TABLE' and lower(table_name) not in ('salesforce_objects', "
            "'salesforce_window_keys', 'extract_batches')", [schema.lower()])]
    result = {}
    for table in sorted(tables):
        columns = sorted(r[0].lower() for r in writer.query(
            "select column_name from information_schema.columns where lower(table_schema) = ? "
            "and lower(table_name) = ?", [schema.lower(), table]))
        names = ", ".join(quote_ident(c) for c in columns)
        result[table] = [tuple(columns)] + sort_rows(writer.query(f"select {names} from {schema}.{quote_ident(table)}"))
    return result


def cursors(writer, schema: str = "state") -> list[tuple]:
    return sort_rows(writer.query(f"select {', '.join(STATE)} from {schema}.salesforce_objects"))


def audited(writer, schema: str = "audit") -> list[str]:
    return sorted(r[0] for r in writer.query(
        f"select batch_id from {schema}.extract_batches where status = 'succeeded' and rows_landed > 0"))


def snapshot(writer) -> dict:
    return {"bronze": bronze(writer), "cursors": cursors(writer), "audit": audited(writer),
            "orgs": writer.query("select source, org_id from state.salesforce_orgs")}


def extract(client, writer, works, options) -> None:
    results = extract_objects(client, writer, works, options, concurrency=1)
    assert all(not isinstance(outcome, BaseException) for _, outcome in results), results


def backup_schemas(writer) -> list[str]:
    return sorted(r[0].lower() for r in writer.query(
        "select schema_name from information_schema.schemata where lower(schema_name) like 'replay_backup_%'"))


@pytest.mark.parametrize("warehouse", ["postgres", "snowflake"], indirect=True)
def test_an_in_place_replay_rebuilds_the_warehouse_as_it_was_after_that_batch_and_keeps_what_was_there(
        fresh_sandbox, client_for, tmp_path, open_writer, warehouse):
    store = BronzeStore.from_url(str(tmp_path / "store"), work_dir=tmp_path / "work")
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store)
    client = client_for(fresh_sandbox)
    writer = open_writer()
    writer.remember_org("salesforce", "00DREPLAYTEST0001", fresh_sandbox.salesforce_url)

    extract(client, writer, [ObjectWork(o) for o in OBJECTS], options)
    then = snapshot(writer)
    first = store.manifests()
    assert sorted(m.object for m in first) == sorted(OBJECTS)

    # the org changes; the next batches add versions, tombstones (Case's reconciliation) and rows deduplicated away
    org = fresh_sandbox.org
    org.mutate("Account", "update", count=4)
    org.mutate("Contact", "soft_delete", count=2)
    org.mutate("Case", "hard_delete", count=2)
    extract(client, writer, [ObjectWork(o, reconcile=(o == "Case")) for o in OBJECTS],
            ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store,
                           lookback=timedelta(days=3650)))
    before = snapshot(writer)
    later = store.manifests()[len(first):]
    assert later and before["bronze"] != then["bronze"], "the later batches changed bronze: the test is not vacuous"
    assert len(before["bronze"][TOMBSTONES_TABLE]) == 1 + 2 and len(then["bronze"][TOMBSTONES_TABLE]) == 1
    assert before["cursors"] != then["cursors"]

    # a corrupt file: replay stops before touching the warehouse (every file is verified first)
    archived = later[-1].files[0]
    path = posixpath.join(later[-1].prefix, archived.name)
    good = store.fs.cat_file(path)
    store.fs.pipe_file(path, good[:-20] + bytes(b ^ 0xFF for b in good[-20:]))
    with pytest.raises(StoreError, match="is corrupt"):
        replay_in_place(store, writer, later[-1].batch_id, work_dir=tmp_path / "work")
    store.fs.pipe_file(path, good)
    assert snapshot(writer) == before and backup_schemas(writer) == []

    # a rebuild that fails part way: the warehouse is as it was (PostgreSQL: one transaction; Snowflake: clones)
    def fails_part_way():  # lands a tombstone into the fresh (empty) tables, then fails
        writer.execute(f"insert into bronze.{TOMBSTONES_TABLE} (object_name, id, detected_by, _batch_id, "
                       f"_extracted_at, _source) values ('Case', 'x', 'test', 'y', ?, 'salesforce')",
                       [first[0].extracted_at])
        assert len(bronze(writer)[TOMBSTONES_TABLE]) == 2
        raise RuntimeError("the rebuild failed")
    with pytest.raises(RuntimeError, match="the rebuild failed"):
        writer.rebuild_in_place("replay_backup_failed", fails_part_way)
    assert snapshot(writer)["bronze"] == before["bronze"]
    assert snapshot(writer) == before
    assert backup_schemas(writer) == ([] if warehouse == "postgres" else ["replay_backup_failed"])

    # in place, as of the first run's last batch
    report = replay_in_place(store, writer, first[-1].batch_id, work_dir=tmp_path / "work")
    assert report.batches == [m.batch_id for m in first]
    after = snapshot(writer)
    assert after["bronze"] == then["bronze"], "bronze as it was right after that batch, row for row"
    assert after["cursors"] == then["cursors"], "each object's cursor as that batch committed it"
    assert after["audit"] == then["audit"]
    assert after["orgs"] == then["orgs"] == [("salesforce", "00DREPLAYTEST0001")], "the org table is kept"

    # what was there before the replay is kept, whole, in the backup schema
    assert report.kept and report.kept in backup_schemas(writer)
    assert bronze(writer, report.kept) == before["bronze"]
    assert cursors(writer, report.kept) == before["cursors"]
    assert audited(writer, report.kept) == before["audit"]

    # the later batches left the history; extraction carries on from the replayed cursors
    assert [m.batch_id for m in store.manifests()] == [m.batch_id for m in first]
    extract(client, writer, [ObjectWork("Account")], ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work",
                                                                     bronze_store=store))
    versions = bronze(writer)["salesforce__account"]
    columns = versions[0]
    keys = [(r[columns.index("id")], r[columns.index("systemmodstamp")]) for r in versions[1:]]
    assert len(keys) == len(set(keys)) == len(then["bronze"]["salesforce__account"]) - 1 + 4

    if warehouse == "snowflake":  # what an operator runs after a replay killed mid-rebuild: the clones put back
        writer.restore_from_backup(report.kept)
        assert snapshot(writer) == before


@pytest.mark.parametrize("warehouse", ["postgres"], indirect=True)
def test_make_replay_takes_the_warehouse_target_and_reports_where_the_old_one_is(sandbox, client_for, tmp_path,
                                                                               open_writer, capsys):
    """``run`` (scripts/replay.py's body) with a WarehouseTarget: rebuilt in place, the backup schema named."""
    from extract.warehouse import WarehouseTarget

    store = BronzeStore.from_url(str(tmp_path / "store"), work_dir=tmp_path / "work")
    writer = open_writer()
    extract(client_for(sandbox), writer, [ObjectWork("Account"), ObjectWork("User")],
            ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store))
    account, user = store.manifests()
    info = writer.con.info
    target = WarehouseTarget(kind="postgres", host=info.host, port=info.port, user=info.user, database=info.dbname)
    assert run(store, target, account.batch_id, None, False) == 0
    out = capsys.readouterr().out
    assert f"replayed 1 batches as of {account.batch_id} into postgres database {info.dbname}" in out
    [kept] = backup_schemas(writer)
    assert f"kept in {kept}" in out
    assert [t for s, t in writer.replayed_tables() if s == "bronze"] == ["salesforce__account", TOMBSTONES_TABLE]
    assert writer.object_state("salesforce", "User") is None
    assert run(store, target, user.batch_id, None, False) == 2, "a superseded batch is refused"
