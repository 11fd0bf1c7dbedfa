"""bronze.salesforce_fields: each extracted object's describe, landed for silver's types, on every warehouse.

Checked against the org's own describe (never a hard-coded field list): every field it lists with its type, label,
sizes, formula flag and lookups; whether it is extracted and, if not, why; rewritten only when the describe
changes; a field hidden by field-level security is absent."""

from __future__ import annotations

import pytest

from extract.object_extraction import extract_object
from extract.options import ExtractOptions
from extract.salesforce.describe import COMPOUND_TYPES, UNSUPPORTED_TYPES
from extract.warehouse.bronze import FIELDS_TABLE
from tests.extract.conftest import FAST_RETRY

COLUMNS = ("field_name", "column_name", "field_type", "soap_type", "field_label", "field_length", "field_precision",
           "field_scale", "is_calculated", "reference_to", "is_extracted", "left_out_reason", "describe_hash",
           "_extracted_at", "_source")


def metadata(writer, object_name: str) -> dict[str, dict]:
    rows = writer.query(f"select {', '.join(COLUMNS)} from bronze.{FIELDS_TABLE} where object_name = ?",
                        [object_name])
    return {row[0]: dict(zip(COLUMNS, row)) for row in rows}


@pytest.mark.parametrize("warehouse", ["duckdb", "postgres", "snowflake"], indirect=True)
def test_describe_lands_as_field_metadata_refreshed_when_it_changes(fresh_sandbox, client_for, writer, tmp_path):
    client = client_for(fresh_sandbox)
    options = ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path)
    run = extract_object(client, writer, "Account", options)
    described = client.get_json("/sobjects/Account/describe/", doing="describe Account")["fields"]
    fields = metadata(writer, "Account")
    assert set(fields) == {f["name"] for f in described}
    assert "field metadata updated from the describe" in run.notes
    landed = {r[0].lower() for r in writer.query(
        "select column_name from information_schema.columns where lower(table_schema) = 'bronze' "
        "and lower(table_name) = 'salesforce__account'")}
    for entry in described:
        row = fields[entry["name"]]
        assert row["column_name"] == entry["name"].lower()
        assert (row["field_type"], row["soap_type"], row["field_label"]) == (
            entry["type"], entry["soapType"], entry["label"])
        assert (row["field_length"], row["field_precision"], row["field_scale"]) == (
            entry["length"], entry["precision"], entry["scale"])
        assert bool(row["is_calculated"]) == bool(entry["calculated"])
        assert row["reference_to"] == (",".join(entry["referenceTo"]) or None)
        left_out = entry["type"] in COMPOUND_TYPES | UNSUPPORTED_TYPES
        assert bool(row["is_extracted"]) is not left_out
        assert (row["left_out_reason"] is not None) == left_out
        assert (row["column_name"] in landed) is not left_out, "is_extracted says which fields bronze holds"
        assert row["_source"] == "salesforce"
    kinds = {f["field_type"] for f in fields.values()}
    assert {"id", "datetime", "boolean", "reference"} <= kinds, "the describe must exercise several types"
    assert any(not f["is_extracted"] for f in fields.values()), "and a field left out (compound)"

    # the same describe: nothing rewritten
    fresh_sandbox.org.mutate("Account", "update", 3)
    run = extract_object(client, writer, "Account", options)
    assert "field metadata updated from the describe" not in run.notes
    assert metadata(writer, "Account") == fields

    # a field hidden by field-level security: simply absent from the next describe's metadata
    fresh_sandbox.org.access.hide_fields("Account.Description")
    fresh_sandbox.org.mutate("Account", "update", 2)
    run = extract_object(client, writer, "Account", options)
    after = metadata(writer, "Account")
    assert "field metadata updated from the describe" in run.notes
    assert set(after) == set(fields) - {"Description"}
    assert len({f["describe_hash"] for f in after.values()}) == 1
    assert {f["describe_hash"] for f in after.values()} != {f["describe_hash"] for f in fields.values()}
    assert [r[0] for r in writer.query(f"select distinct object_name from bronze.{FIELDS_TABLE}")] == ["Account"]
