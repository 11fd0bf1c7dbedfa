"""Snowflake-only behaviour of the writer, against `fakesnow -s`: names as dbt reads them, COPY's result checked,
a page that does not load failing its whole batch, no DDL inside a batch, the entry point."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest
import snowflake.connector

from extract.warehouse import WarehouseTarget, open_bronze_writer
from extract.warehouse.bronze import Batch, BatchAudit, ObjectState
from extract.warehouse.snowflake_bronze import (
    SnowflakeBronzeWriter,
    SnowflakeCopyError,
    fold_identifiers,
    rows_loaded_whole,
)
from tests.extract.conftest import snowflake_connect_args

COLUMNS = ("Id", "Name", "SystemModstamp")


@pytest.fixture
def connect_args(fakesnow_server, snowflake_env) -> dict:
    return snowflake_connect_args(fakesnow_server.profile_env(), snowflake_env["MEDALLION_SF_DATABASE"])


@pytest.fixture
def sf_writer(connect_args):
    with SnowflakeBronzeWriter(**connect_args) as writer:
        yield writer


def page(path, rows, header=COLUMNS):
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)
    return path


def batch(batch_id: str, second: int) -> Batch:
    return Batch(batch_id, "salesforce", "Account", "incremental", COLUMNS, datetime(2026, 1, 1, 0, 0, second),
                 cursor_field="SystemModstamp")


def land(writer: SnowflakeBronzeWriter, b: Batch, *pages) -> None:
    writer.begin(b)
    for p in pages:
        writer.land_changes(b, p, None)
    highest, _ = writer.batch_summary(b, has_is_deleted=False)
    writer.commit(b, ObjectState("salesforce", "Account", "SystemModstamp", highest, last_batch_id=b.batch_id),
                  BatchAudit(b.batch_id, "salesforce", "Account", b.kind))


def test_quoted_names_are_folded_to_snowflake_case_and_literals_kept():
    assert fold_identifiers('select "id", \'"keep" me\' from bronze."salesforce__account" where x = \'a"b\'') == (
        'select "ID", \'"keep" me\' from bronze."SALESFORCE__ACCOUNT" where x = \'a"b\'')


def test_bronze_is_named_as_dbt_reads_it_unquoted(sf_writer, connect_args, tmp_path):
    """The contract's lower-case names, stored as Snowflake stores unquoted ones: plain SQL (dbt's sources) reads
    them, values exactly as the CSV held them (text never typed: 00123, ISO datetimes; empty is NULL)."""
    land(sf_writer, batch("b1", 1), page(tmp_path / "p1.csv", [
        ["001A", "O'Brien \"Big\", Co\nline 2", "2024-01-31T12:34:56.000Z"],
        ["001B", "", "2024-01-31T12:34:57.000Z"],
        ["00123", "東京 🚀", "2024-01-31T12:34:58.000Z"]]))
    with snowflake.connector.connect(**connect_args) as con:
        rows = con.cursor().execute("select id, name, systemmodstamp, _batch_id, _change_kind "
                                    "from bronze.salesforce__account order by id").fetchall()
    assert rows == [("00123", "東京 🚀", "2024-01-31T12:34:58.000Z", "b1", "change"),
                    ("001A", "O'Brien \"Big\", Co\nline 2", "2024-01-31T12:34:56.000Z", "b1", "change"),
                    ("001B", None, "2024-01-31T12:34:57.000Z", "b1", "change")]
    assert sf_writer.bronze_columns("salesforce__account")[:3] == ["id", "name", "systemmodstamp"]
    assert sf_writer.object_state("salesforce", "Account").cursor_value == "2024-01-31T12:34:58.000Z"


def test_a_page_that_does_not_load_fails_the_batch_and_leaves_nothing(sf_writer, tmp_path):
    """A batch whose second page cannot be loaded: the first page's rows, the new cursor and a succeeded audit row
    never commit; the batch's audit row says failed; the next batch lands as if nothing had happened."""
    land(sf_writer, batch("b1", 1), page(tmp_path / "p1.csv", [["001A", "a", "2024-01-01T00:00:00.000Z"]]))
    before = sf_writer.object_state("salesforce", "Account")
    failing = batch("b2", 2)
    sf_writer.begin(failing)
    good = page(tmp_path / "p2.csv", [["001B", "b", "2024-02-01T00:00:00.000Z"]])
    assert sf_writer.land_changes(failing, good, None) == (1, 1)
    broken = tmp_path / "p3.csv"
    broken.write_text("Id,Name,SystemModstamp\n001C,\"unterminated,2024-03-01T00:00:00.000Z\n", encoding="utf-8")
    with pytest.raises(Exception):
        sf_writer.land_changes(failing, broken, None)
    sf_writer.rollback(failing, BatchAudit("b2", "salesforce", "Account", "incremental", error="page 3"))
    assert sf_writer.query("select id from bronze.salesforce__account order by id") == [("001A",)]
    assert sf_writer.object_state("salesforce", "Account") == before
    assert sf_writer.query("select batch_id, status from audit.extract_batches order by batch_id") == [
        ("b1", "succeeded"), ("b2", "failed")]
    land(sf_writer, batch("b3", 3), good)
    assert sf_writer.query("select id from bronze.salesforce__account order by id") == [("001A",), ("001B",)]


def test_copy_results_count_only_a_file_loaded_whole():
    loaded = {"file": "x/1/p.csv.gz", "status": "LOADED", "rows_parsed": 3, "rows_loaded": 3, "errors_seen": 0}
    assert rows_loaded_whole([loaded], "p.csv") == 3
    for results in ([], [loaded, loaded], [{**loaded, "status": "LOAD_SKIPPED", "rows_loaded": 0}],
                    [{**loaded, "status": "PARTIALLY_LOADED", "rows_loaded": 2, "errors_seen": 1}],
                    [{**loaded, "rows_loaded": 2}], [{"status": "Copy executed with 0 files processed."}]):
        with pytest.raises(SnowflakeCopyError, match="did not load p.csv whole"):
            rows_loaded_whole(results, "p.csv")


def test_ddl_inside_a_batch_is_refused_because_snowflake_would_commit_the_batch(sf_writer, tmp_path):
    b = batch("b1", 1)
    sf_writer.begin(b)
    with pytest.raises(RuntimeError, match="would commit it on Snowflake"):
        sf_writer.execute("create table state.anything (a varchar)")
    sf_writer.rollback(b, BatchAudit("b1", "salesforce", "Account", "incremental"))
    assert not sf_writer.query("select count(*) from information_schema.tables where table_name = 'ANYTHING'")[0][0]


def test_open_bronze_writer_opens_snowflake_from_an_explicit_target(fakesnow_server, snowflake_env):
    env = fakesnow_server.profile_env()
    target = WarehouseTarget(kind="snowflake", host=env["MEDALLION_SF_HOST"], port=int(env["MEDALLION_SF_PORT"]),
                             user="medallion", database=snowflake_env["MEDALLION_SF_DATABASE"], password="secret",
                             options={"account": "fakesnow", "protocol": "http", "role": "SYSADMIN",
                                      "warehouse": "COMPUTE_WH"})
    assert "secret" not in repr(target)
    with open_bronze_writer(target) as writer:
        assert isinstance(writer, SnowflakeBronzeWriter)
        assert {r[0] for r in writer.query("select lower(schema_name) from information_schema.schemata")} >= {
            "bronze", "state", "audit"}
