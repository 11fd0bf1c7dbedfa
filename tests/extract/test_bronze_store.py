"""The bronze store (extract/bronze_store.py) and replay (extract/replay.py) against the sandbox over HTTPS: every
committed batch archived as what it landed; bronze, state and silver rebuilt as of a past batch; a corrupt or
missing file refused loudly; a crash never lets replay land a batch the warehouse did not commit."""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from extract.bronze_store import MANIFEST, BronzeStore, StoreError
from extract.object_extraction import ObjectWork, extract_object, extract_objects
from extract.options import ExtractOptions
from extract.replay import replay, replay_duckdb, run
from extract.warehouse.bronze import FIELDS_TABLE
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter
from tests.dbt_project.warehouse_builds import GENERATED_MODELS, failures, run_dbt
from tests.extract.conftest import FAST_RETRY
from tests.extract.crash_harness import cycle_spec, run_child

# the objects silver is built from (dbt_project/bronze/_bronze__sources.yml)
SILVER_SOURCES = ("Account", "Contact", "Opportunity", "Case", "Lead", "Task", "User")
STATE_COLUMNS = ("source", "object_name", "cursor_field", "cursor_value", "window_start", "window_count",
                 "bulk_supported", "last_batch_id", "last_extracted_at", "last_reconciled_at",
                 "last_formula_refresh_at", "formula_fields")


def bronze_tables(path: Path) -> dict[str, list[tuple]]:
    """Every bronze base table: its rows (columns in name order), sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'bronze' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]
        # the field metadata is not a landed batch (the store does not archive it; each object's next extraction
        # writes it again): what the store holds is compared
        tables = [t for t in tables if t != FIELDS_TABLE]
        result = {}
        for table in tables:
            columns = sorted(r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'bronze' "
                "and table_name = ?", [table]).fetchall())
            names = ", ".join(f'"{c}"' for c in columns)
            result[table] = [tuple(columns)] + con.execute(
                f'select {names} from bronze."{table}" order by all').fetchall()
        return result


def object_states(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select {', '.join(STATE_COLUMNS)} from state.salesforce_objects order by all").fetchall()


def build_silver(path: Path, work_dir: Path) -> dict[str, list[tuple]]:
    """dbt seeds + the bronze and silver models on this warehouse; every silver table's rows, sorted."""
    for command in (["seed"], ["run", "--select", "+path:dbt_project/silver", "--exclude", GENERATED_MODELS]):
        result = run_dbt(command, "local", work_dir, MEDALLION_DUCKDB_PATH=str(path))
        assert result.success, failures(result)
    with duckdb.connect(str(path)) as con:  # dbt's own instance is still open: the same (default) config
        tables = [r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema like '%silver' and table_type = 'BASE TABLE' and table_name like 'int_%'"
        ).fetchall()]
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in sorted(tables)}


def versions(path: Path, object_name: str) -> Counter:
    with duckdb.connect(str(path), read_only=True) as con:
        return Counter(con.execute(
            f'select id, systemmodstamp from bronze."salesforce__{object_name.lower()}"').fetchall())


def extract_all(client, path: Path, works: list[ObjectWork], options: ExtractOptions) -> None:
    with DuckDBBronzeWriter(path) as writer:
        results = extract_objects(client, writer, works, options, concurrency=2)
    failed = [(w.object_name, r) for w, r in results if isinstance(r, BaseException)]
    assert not failed, failed


def test_replay_as_of_a_past_batch_rebuilds_bronze_state_and_silver_as_they_were(fresh_sandbox, client_for,
                                                                                   tmp_path):
    org = fresh_sandbox.org
    store = BronzeStore.from_url(str(tmp_path / "store"), work_dir=tmp_path / "work")
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store)
    client = client_for(fresh_sandbox)
    warehouse = tmp_path / "warehouse.duckdb"

    extract_all(client, warehouse, [ObjectWork(o) for o in SILVER_SOURCES], options)
    then = tmp_path / "then.duckdb"
    shutil.copy(warehouse, then)  # the warehouse as the first run left it
    first_run = store.manifests()
    assert sorted(m.object for m in first_run) == sorted(SILVER_SOURCES)
    assert {m.kind for m in first_run} == {"full"}
    as_of = first_run[-1].batch_id

    # the org changes; the second run reads a long lookback, so most rows it receives are deduplicated away
    org.mutate("Account", "update", count=5)
    org.mutate("Opportunity", "update", count=8)
    org.mutate("Contact", "soft_delete", count=3)
    org.mutate("Case", "hard_delete", count=2)
    long_lookback = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store,
                                   lookback=timedelta(days=3650))
    extract_all(client, warehouse, [ObjectWork(o, reconcile=(o == "Case")) for o in SILVER_SOURCES], long_lookback)
    later = store.manifests()[len(first_run):]
    assert [m.batch_id for m in store.manifests()[:len(first_run)]] == [m.batch_id for m in first_run]
    changes = [m for m in later if m.kind == "incremental"]
    assert len(changes) == len(SILVER_SOURCES)
    for m in changes:  # the store holds what landed, not what was received
        assert m.rows == m.audit["rows_landed"] < m.audit["rows_received"] or m.rows == m.audit["rows_received"] == 0
    assert sum(m.rows for m in changes) >= 5 + 8 + 3
    reconcile = next(m for m in later if m.kind == "reconcile")
    assert [(f.table, f.rows) for f in reconcile.files] == [("salesforce_tombstones", 2)]

    replayed = tmp_path / "replayed.duckdb"
    report = replay_duckdb(store, warehouse, as_of, into=replayed)
    assert report.batches == [m.batch_id for m in first_run]
    past, now = bronze_tables(then), bronze_tables(warehouse)
    assert past != now, "the second run changed bronze: the comparison below is not vacuous"
    assert bronze_tables(replayed) == past, "bronze replayed as of the first run is bronze as it was then"
    assert object_states(replayed) == object_states(then), "each object's cursor as it was then"

    latest = tmp_path / "latest.duckdb"
    replay_duckdb(store, warehouse, later[-1].batch_id, into=latest)
    assert bronze_tables(latest) == now
    assert object_states(latest) == object_states(warehouse)

    # extraction carries on from the replayed state: the later changes land once, as they did the first time
    carried_on = tmp_path / "carried-on.duckdb"
    shutil.copy(replayed, carried_on)
    extract_all(client, carried_on, [ObjectWork("Account"), ObjectWork("Opportunity")],
                ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work"))
    for object_name in ("Account", "Opportunity"):
        assert versions(carried_on, object_name) == versions(warehouse, object_name)
        assert max(versions(carried_on, object_name).values()) == 1

    # last (dbt keeps its DuckDB instance open in this process): silver then, and silver on the replayed bronze
    silver_then = build_silver(then, tmp_path / "dbt-then")
    assert sum(len(rows) for rows in silver_then.values()) > 0
    assert build_silver(replayed, tmp_path / "dbt-replayed") == silver_then, \
        "silver built on the replayed bronze is silver as it was built then"


def test_a_memory_store_holds_each_batch_under_its_prefix_and_a_corrupt_file_stops_replay(sandbox, client_for,
                                                                                          tmp_path):
    store = BronzeStore.from_url(f"memory://bronze-{uuid.uuid4().hex}/store")  # not a local folder
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, bronze_store=store)
    warehouse = tmp_path / "warehouse.duckdb"
    with DuckDBBronzeWriter(warehouse) as writer:
        extract_object(client_for(sandbox), writer, "Account", options)
        extract_object(client_for(sandbox), writer, "Contact", options)
        state = writer.object_state("salesforce", "Account")
        landed = writer.con.execute("select _batch_id, count(*) from bronze.salesforce__account group by 1").fetchall()

    manifests = store.manifests()
    assert [m.object for m in manifests] == ["Account", "Contact"]
    account = manifests[0]
    assert account.prefix == posixpath.join(store.root, "salesforce", "Account",
                                            f"dt={account.extracted_at:%Y-%m-%d}", account.batch_id)
    assert store.fs.ls(account.prefix, detail=False) == [posixpath.join(account.prefix, n) for n in
                                                         ("manifest.json", "salesforce__account.parquet")]
    assert (account.source, account.kind, account.cursor_field) == ("salesforce", "full", "SystemModstamp")
    assert account.cursor_to == state.cursor_value and account.state["cursor_value"] == state.cursor_value
    assert landed == [(account.batch_id, account.rows)]
    [archived] = account.files
    assert hashlib.sha256(store.fs.cat_file(posixpath.join(account.prefix, archived.name))).hexdigest() \
        == archived.sha256
    assert {"id", "systemmodstamp", "_batch_id", "_extracted_at"} <= {name for name, _ in archived.columns}

    rebuilt = tmp_path / "rebuilt.duckdb"
    with DuckDBBronzeWriter(rebuilt) as writer:
        replay(store, writer, manifests[-1].batch_id)
    assert bronze_tables(rebuilt) == bronze_tables(warehouse)

    # a corrupt file: replay stops, names it, and leaves nothing behind
    path = posixpath.join(account.prefix, archived.name)
    good = store.fs.cat_file(path)
    store.fs.pipe_file(path, good[:100] + bytes([good[100] ^ 0xFF]) + good[101:])
    with pytest.raises(StoreError, match=f"{archived.name} is corrupt: its sha256 is"):
        replay_duckdb(store, warehouse, manifests[-1].batch_id, into=tmp_path / "bad.duckdb")
    assert not (tmp_path / "bad.duckdb").exists()
    before = bronze_tables(warehouse)
    assert run(store, warehouse, manifests[-1].batch_id, None, False) == 2  # in place: the warehouse is kept
    assert bronze_tables(warehouse) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("warehouse.duckdb")) == ["warehouse.duckdb"]

    store.fs.rm_file(path)  # a missing file
    with pytest.raises(StoreError, match=f"{archived.name} is missing from the store"):
        replay_duckdb(store, warehouse, account.batch_id, into=tmp_path / "bad.duckdb")
    with pytest.raises(StoreError, match="neither a batch in the store"):
        replay_duckdb(store, warehouse, "no-such-batch", into=tmp_path / "bad.duckdb")


def sandbox_values(sb) -> dict:
    return {"SALESFORCE_URL": sb.salesforce_url, "SALESFORCE_USERNAME": sb.username,
            "SALESFORCE_PASSWORD": sb.password, "SALESFORCE_TOKEN": sb.security_token, "CA_BUNDLE": sb.ca_bundle}


def test_a_crash_never_lets_replay_land_an_uncommitted_batch_nor_lose_a_committed_one(fresh_sandbox, tmp_path):
    store_dir = tmp_path / "store"
    warehouse = tmp_path / "warehouse.duckdb"
    spec = {**cycle_spec(sandbox_values(fresh_sandbox), warehouse, tmp_path / "work",
                         [{"name": "Account", "route": "rest", "reconcile": False, "refresh": False}]),
            "bronze_store": str(store_dir)}
    store = BronzeStore.from_url(str(store_dir))

    # killed after the batch's files were staged, before the warehouse committed it
    killed = run_child({**spec, "kill": {"step": "before_commit", "nth": 1}}, tmp_path / "runs", "before-commit")
    assert killed.killed, killed.log_tail()
    [uncommitted] = store.pending()
    assert store.fs.glob(f"{store.root}/salesforce/Account/dt=*/{uncommitted}/*.parquet"), "its files were staged"
    assert store.manifests() == []
    with DuckDBBronzeWriter(warehouse) as writer:
        assert writer.batch_statuses([uncommitted]) == {}
        assert store.complete(writer.batch_statuses) == {"sealed": [], "discarded": [], "left": [uncommitted]}
    with pytest.raises(StoreError, match="no batch in the store"):
        replay_duckdb(store, warehouse, "2999-01-01T00:00:00", into=tmp_path / "never.duckdb")

    done = run_child(spec, tmp_path / "runs", "rerun")
    assert done.returncode == 0, done.log_tail()
    [committed] = store.manifests()
    assert committed.batch_id != uncommitted

    # killed after the warehouse committed, before the manifest was sealed: the store is behind until complete()
    fresh_sandbox.org.mutate("Account", "update", count=4)
    killed = run_child({**spec, "kill": {"step": "after_commit", "nth": 1}}, tmp_path / "runs", "after-commit")
    assert killed.killed, killed.log_tail()
    [late] = [b for b in store.pending() if b != uncommitted]
    assert store.fs.glob(f"{store.root}/*/*/dt=*/{late}/{MANIFEST}") == []
    behind = tmp_path / "behind.duckdb"
    replay_duckdb(store, warehouse, "2999-01-01T00:00:00", into=behind)
    assert bronze_tables(behind) != bronze_tables(warehouse)

    with DuckDBBronzeWriter(warehouse) as writer:
        assert writer.batch_statuses([late, uncommitted]) == {late: "succeeded"}
        assert store.complete(writer.batch_statuses) == {"sealed": [late], "discarded": [], "left": [uncommitted]}
    assert [m.batch_id for m in store.manifests()] == [committed.batch_id, late]
    assert store.manifests()[-1].rows == 4
    assert run(store, warehouse, late, None, False) == 0  # the warehouse rebuilt in place
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir() if p.name.startswith("warehouse.duckdb")) == [
        "warehouse.duckdb", "warehouse.duckdb.before"]
    aside = next(p for p in tmp_path.iterdir() if p.name.startswith("warehouse.duckdb.before-replay-"))
    assert bronze_tables(warehouse) == bronze_tables(aside)


def test_an_in_place_replay_takes_the_later_batches_off_the_history_so_nothing_lands_twice(sandbox, client_for,
                                                                                         tmp_path):
    store = BronzeStore.from_url(str(tmp_path / "store"))
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, bronze_store=store)
    warehouse = tmp_path / "warehouse.duckdb"
    with DuckDBBronzeWriter(warehouse) as writer:
        for object_name in ("Account", "Contact"):
            extract_object(client_for(sandbox), writer, object_name, options)
    account, contact = store.manifests()

    assert run(store, warehouse, account.batch_id, None, False) == 0  # the warehouse as of the Account batch
    assert [m.batch_id for m in store.manifests()] == [account.batch_id]
    assert [m.batch_id for m in store.manifests(include_superseded=True)] == [account.batch_id, contact.batch_id]
    with pytest.raises(StoreError, match=f"batch {contact.batch_id} was taken off the warehouse's history"):
        replay_duckdb(store, warehouse, contact.batch_id, into=tmp_path / "never.duckdb")

    with DuckDBBronzeWriter(warehouse) as writer:  # extraction carries on: Contact lands again, in a new batch
        assert writer.object_state("salesforce", "Contact") is None
        again = extract_object(client_for(sandbox), writer, "Contact", options)
    assert again.batches[0].kind == "full"
    rebuilt = tmp_path / "rebuilt.duckdb"
    replay_duckdb(store, warehouse, again.batches[0].batch_id, into=rebuilt)
    assert bronze_tables(rebuilt) == bronze_tables(warehouse)
    assert max(versions(rebuilt, "Contact").values()) == 1, "the superseded Contact batch is not replayed too"


@pytest.mark.parametrize("warehouse", ["postgres"], indirect=True)
def test_a_postgres_warehouse_archives_what_it_landed_and_replays_into_a_fresh_one(sandbox, client_for, tmp_path,
                                                                                    open_writer):
    """The store reads a batch back through the PostgreSQL writer (server-side cursor) and replay lands it with
    COPY into another PostgreSQL database: bronze there equals bronze here, row for row."""
    store = BronzeStore.from_url(str(tmp_path / "store"), work_dir=tmp_path / "work")
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / "work", bronze_store=store)
    source = open_writer()
    results = extract_objects(client_for(sandbox), source, [ObjectWork("Account"), ObjectWork("Contact")], options)
    assert all(not isinstance(outcome, BaseException) for _, outcome in results), results
    manifests = store.manifests()
    assert sorted(m.object for m in manifests) == ["Account", "Contact"]
    assert all(m.rows > 0 and m.rows == m.audit["rows_landed"] for m in manifests)

    target = open_writer("replayed")
    report = replay(store, target, manifests[-1].batch_id)
    assert report.batches == [m.batch_id for m in manifests]

    def table(writer, name):
        return sorted(writer.query(f"select * from bronze.{name}"), key=repr)
    for name in ("salesforce__account", "salesforce__contact"):
        assert table(target, name) == table(source, name) != []
    # each object's cursor as committed; the window keys are rebuilt from bronze at the next run (window_keyed)
    assert {k: v.with_(window_keyed=False) for k, v in target.object_states("salesforce").items()} == \
        {k: v.with_(window_keyed=False) for k, v in source.object_states("salesforce").items()}
