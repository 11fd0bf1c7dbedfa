"""The generated silver's glue (dags/medallion/silver_objects.py): which model files it writes, and which objects a
cycle rebuilds (those whose bronze is newer than their silver), on a real DuckDB warehouse."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import duckdb

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "dags"))

from medallion import silver_objects  # noqa: E402

T1 = datetime(2024, 5, 1, 10)


def test_one_model_file_per_object_rewritten_only_when_it_changes(tmp_path):
    models = tmp_path / "salesforce_objects"
    assert silver_objects.write_models(["Account", "Invoice__c", "bad name;"], models) == (3, 0)
    assert sorted(p.name for p in models.iterdir()) == [
        "_salesforce_objects__models.yml", "int_salesforce_object__account.sql",
        "int_salesforce_object__invoice__c.sql"]
    sql = (models / "int_salesforce_object__invoice__c.sql").read_text()
    assert "{{ salesforce_silver_object('Invoice__c') }}" in sql and "materialized='incremental'" in sql
    assert "unique_key=['id', 'source_relation']" in sql
    stamp = (models / "int_salesforce_object__account.sql").stat().st_mtime_ns
    assert silver_objects.write_models(["Account", "Invoice__c"], models) == (0, 0), "unchanged: nothing written"
    assert (models / "int_salesforce_object__account.sql").stat().st_mtime_ns == stamp
    assert silver_objects.write_models(["Account"], models) == (1, 1), "an object gone: its model removed"
    assert not (models / "int_salesforce_object__invoice__c.sql").exists()
    assert silver_objects.model_name("Invoice__c") not in (models / "_salesforce_objects__models.yml").read_text()


def test_only_objects_with_bronze_newer_than_their_silver_are_rebuilt():
    con = duckdb.connect()
    con.execute("create schema audit; create schema silver")
    con.execute("create table audit.extract_batches (batch_id varchar, source varchar, object_name varchar, "
                "status varchar, extracted_at timestamp, rows_landed bigint, tombstones bigint)")
    batches = [
        ("Account", "succeeded", T1, 5, 0),  # silver read it
        ("Account", "failed", T1 + timedelta(hours=9), 5, 0),  # failed: nothing landed
        ("Account", "succeeded", T1 + timedelta(hours=8), 0, 0),  # a probe: nothing landed
        ("Contact", "succeeded", T1 + timedelta(hours=2), 3, 0),  # newer than its silver
        ("Case", "succeeded", T1 + timedelta(hours=2), 0, 1),  # a tombstone newer than its silver
        ("Task", "succeeded", T1, 0, 0),  # never landed a row: its (empty) silver is current
        ("Lead", "succeeded", T1, 4, 0),  # no silver yet
        ("Account", "succeeded", T1 + timedelta(hours=5), 7, 0),  # another org's batch: not this source
    ]
    for i, (name, status, at, rows, tombstones) in enumerate(batches):
        source = "salesforce_emea" if i == len(batches) - 1 else "salesforce"
        con.execute("insert into audit.extract_batches values (?, ?, ?, ?, ?, ?, ?)",
                    [f"b{i}", source, name, status, at, rows, tombstones])
    for name, through in (("account", T1), ("contact", T1), ("case", T1), ("task", None), ("widget__c", T1)):
        con.execute(f"create table silver.int_salesforce_object__{name} as "
                    f"select cast(? as timestamp) as _bronze_extracted_at", [through])

    def query(sql, params):
        return con.execute(sql, params).fetchall()
    objects = ["Account", "Contact", "Case", "Task", "Lead", "Widget__c"]
    # Widget__c has silver but no audit rows (bronze landed by other means): always rebuilt
    assert silver_objects.stale_objects(query, objects, ["salesforce"]) == ["Case", "Contact", "Lead", "Widget__c"]
    assert silver_objects.stale_objects(query, objects, ["salesforce", "salesforce_emea"]) == [
        "Account", "Case", "Contact", "Lead", "Widget__c"]
