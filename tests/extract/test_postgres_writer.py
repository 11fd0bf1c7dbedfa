"""PostgreSQL-only behaviour of the writer: several writers at once on one database, placeholders, entry point."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import psycopg
import pytest

from extract.object_extraction import extract_object
from extract.warehouse import WarehouseTarget, open_bronze_writer
from extract.warehouse.bronze import Batch, BatchAudit
from extract.warehouse.postgres_bronze import PostgresBronzeWriter, to_pyformat
from tests.extract.conftest import audit_rows, truth


def test_placeholders_become_psycopg_style_and_percent_signs_stay_literal():
    assert to_pyformat("select ? where a like 'x%?' and \"odd?%\" = ?") == (
        "select %s where a like 'x%%?' and \"odd?%%\" = %s")


def test_open_bronze_writer_opens_postgres_from_an_explicit_target(pg_databases):
    name = pg_databases.create()
    with open_bronze_writer(WarehouseTarget(kind="postgres", host="127.0.0.1", port=5432, user="postgres",
                                            database=name)) as writer:
        assert isinstance(writer, PostgresBronzeWriter)
        assert {r[0] for r in writer.query("select schema_name from information_schema.schemata")} >= {
            "bronze", "state", "audit"}
    assert "password" not in repr(WarehouseTarget(kind="postgres", password="secret"))
    with pytest.raises(ValueError, match="unknown warehouse kind"):
        open_bronze_writer(WarehouseTarget(kind="oracle"))


def test_writers_in_parallel_land_different_objects_into_one_database(sandbox, client_for, pg_databases, tmp_path):
    """Two writers (two connections, as two Airflow tasks would hold) set up the same fresh database at once and
    land different objects concurrently: both commit, each object's rows and audit are its own."""
    conninfo = pg_databases.conninfo(pg_databases.create())
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def land(object_name: str) -> None:
        try:
            barrier.wait()
            with PostgresBronzeWriter(**conninfo) as writer:
                from extract.options import ExtractOptions
                from tests.extract.conftest import FAST_RETRY

                results[object_name] = extract_object(
                    client_for(sandbox), writer, object_name,
                    ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path / object_name)).summary()["rows"]
        except BaseException as error:  # reported below
            results[object_name] = error

    threads = [threading.Thread(target=land, args=(name,)) for name in ("Account", "Contact")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"Account": len(truth(sandbox, "Account")), "Contact": len(truth(sandbox, "Contact"))}
    with PostgresBronzeWriter(**conninfo) as writer:
        for name in ("Account", "Contact"):
            assert [(a["status"], a["rows_landed"]) for a in audit_rows(writer, name)] == [
                ("succeeded", results[name])]
            landed = writer.query(f'select count(distinct id) from bronze."salesforce__{name.lower()}"')[0][0]
            assert landed == results[name]


def test_a_second_writer_of_the_same_object_waits_for_the_first_batch(pg_databases):
    """The per-object advisory lock: a batch of the same object in another process waits until the first commits;
    another object does not wait."""
    conninfo = pg_databases.conninfo(pg_databases.create())

    def batch(object_name: str, batch_id: str) -> Batch:
        return Batch(batch_id, "salesforce", object_name, "full", ("Id", "SystemModstamp"),
                     datetime(2026, 1, 1, 0, 0, len(batch_id)), cursor_field="SystemModstamp")

    with PostgresBronzeWriter(**conninfo) as first, PostgresBronzeWriter(**conninfo) as second, \
            PostgresBronzeWriter(**conninfo) as other:
        first.begin(batch("Account", "a1"))
        other.begin(batch("Contact", "c1"))  # another object: no wait
        other.commit(batch("Contact", "c1"), None, BatchAudit("c1", "salesforce", "Contact", "full"))
        began = threading.Event()
        waiter = threading.Thread(target=lambda: (second.begin(batch("Account", "a22")), began.set()))
        pid = second.con.info.backend_pid
        waiter.start()
        with psycopg.connect(**conninfo, autocommit=True) as watch:
            for _ in range(600):  # until the second writer's backend waits on the advisory lock
                row = watch.execute("select wait_event_type, wait_event from pg_stat_activity where pid = %s",
                                    [pid]).fetchone()
                if row == ("Lock", "advisory"):
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"the second writer never waited on the object's lock: {row}")
        assert not began.is_set()
        first.commit(batch("Account", "a1"), None, BatchAudit("a1", "salesforce", "Account", "full"))
        waiter.join()
        assert began.is_set()
        second.commit(batch("Account", "a22"), None, BatchAudit("a22", "salesforce", "Account", "full"))
        assert {r[0] for r in second.query("select batch_id from audit.extract_batches")} == {"a1", "c1", "a22"}
