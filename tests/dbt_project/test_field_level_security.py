"""Field-level security: a real org hides fields from the integration user (they are never asked for, so never
landed), and orgs differ in the fields they have. The whole project -- models, data tests and unit tests -- must
build on a bronze that lacks such fields, stage them as NULL of their staged type, and carry NULL into silver.

The bronze fixture is landed with some non-key fields of every object dropped (strings, numbers, integers,
dates, booleans; Opportunity.Description is the one a unit test used to trip over: "Values list ... does not
have a column named description").
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from warehouse_builds import REPO_ROOT, BronzeTable, failures, land_bronze_duckdb, run_dbt, run_dbt_build

# bronze table -> landed columns the integration user cannot see in this org
HIDDEN_FIELDS = {
    "salesforce__account": ["description", "website", "annualrevenue", "numberofemployees", "customer_health__c"],
    "salesforce__opportunity": ["description", "leadsource", "forecastcategoryname"],
    "salesforce__contact": ["leadsource", "mailingcity", "birthdate", "hasoptedoutofemail"],
    "salesforce__lead": ["rating", "converteddate"],
    "salesforce__case": ["description", "origin"],
    "salesforce__task": ["description", "activitydate"],
    "salesforce__user": ["title", "department"],
}
STAGED_FIELD = re.compile(r"\(\s*'(\w+)'\s*,\s*'(\w+)'\s*,\s*'(\w+)'\s*\)")


def staged_fields() -> dict[str, dict[str, tuple[str, str]]]:
    """bronze table -> {landed column: (staging model, staged column)}, read from the stg_salesforce__* models."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for path in sorted((REPO_ROOT / "dbt_project" / "bronze").glob("stg_salesforce__*.sql")):
        text = path.read_text()
        table = re.search(r"source\('salesforce',\s*'(\w+)'\)", text)
        if table:
            out[f"salesforce__{table.group(1)}"] = {
                landed: (path.stem, staged) for landed, staged, _ in STAGED_FIELD.findall(text)}
    return out


def without_hidden_fields(tables: list[BronzeTable]) -> list[BronzeTable]:
    out = []
    for table in tables:
        keep = [i for i, column in enumerate(table.columns) if column not in HIDDEN_FIELDS.get(table.name, ())]
        out.append(BronzeTable(table.name, [table.columns[i] for i in keep],
                               [tuple(row[i] for i in keep) for row in table.rows]))
    return out


def column_types(db_path: Path, schema: str) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(db_path)) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = ?",
            [schema]).fetchall()
    return {(table, column): data_type for table, column, data_type in rows}


@pytest.fixture(scope="module")
def hidden_field_build(tmp_path_factory, bronze_fixture):
    work_dir = tmp_path_factory.mktemp("dbt_hidden_fields")
    db_path = work_dir / "warehouse.duckdb"
    landed = without_hidden_fields(bronze_fixture)
    assert {t.name: len(t.columns) for t in landed} != {t.name: len(t.columns) for t in bronze_fixture}
    land_bronze_duckdb(db_path, landed)
    result = run_dbt_build("local", work_dir, MEDALLION_DUCKDB_PATH=str(db_path))
    return result, db_path


def test_the_whole_project_builds_with_its_unit_tests_on_a_bronze_lacking_fields(hidden_field_build, bronze_fixture):
    result, _ = hidden_field_build
    assert result.success, failures(result)
    unit_tests = {r.node.name: str(r.status) for r in result.result if str(r.node.resource_type) == "unit_test"}
    staging_tests = {"test_safe_parsing_of_landed_text", "test_staging_selects_only_the_fields_that_landed"}
    assert staging_tests <= set(unit_tests) and len(unit_tests) >= 6, unit_tests
    assert set(unit_tests.values()) == {"pass"}, unit_tests
    # every hidden field exists in the full fixture with values, so the NULLs below are the hiding's doing
    full = {t.name: t for t in bronze_fixture}
    for table, columns in HIDDEN_FIELDS.items():
        for column in columns:
            index = full[table].columns.index(column)
            assert any(row[index] not in (None, "") for row in full[table].rows), (table, column)


def test_hidden_fields_are_null_in_silver(hidden_field_build):
    _, db_path = hidden_field_build
    staged = staged_fields()
    checked = []
    with duckdb.connect(str(db_path)) as con:
        silver_columns = {(t, c) for t, c in con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'silver'"
        ).fetchall()}
        for table, columns in HIDDEN_FIELDS.items():
            for landed in columns:
                model, column = staged[table][landed]
                silver_models = [m for m in (model.replace("stg_", "int_", 1),
                                             model.replace("stg_", "int_", 1).rstrip("s") + "_versions",
                                             model.replace("stg_", "int_", 1)[:-3] + "y_versions")
                                 if (m, column) in silver_columns]
                assert silver_models, f"{table}.{landed} ({column}) reaches no silver model"
                for silver_model in silver_models:
                    count, non_null = con.execute(
                        f"select count(*), count({column}) from silver.{silver_model}").fetchone()
                    assert count > 0 and non_null == 0, (silver_model, column, count, non_null)
                    checked.append((silver_model, column))
    assert len(checked) >= len(HIDDEN_FIELDS), checked


def test_hidden_fields_keep_their_staged_type(hidden_field_build, bronze_fixture, tmp_path):
    """The staging views over the full bronze and over the bronze lacking fields have the same columns and types."""
    _, db_path = hidden_field_build
    reference = tmp_path / "full.duckdb"
    land_bronze_duckdb(reference, bronze_fixture)
    result = run_dbt(["run", "--select", "path:dbt_project/bronze"], "local", tmp_path, MEDALLION_DUCKDB_PATH=str(reference))
    assert result.success, failures(result)
    expected = column_types(reference, "bronze")
    actual = column_types(db_path, "bronze")
    staging = {key: value for key, value in expected.items() if key[0].startswith("stg_")}
    assert staging and {key: actual.get(key) for key in staging} == staging
    hidden = {staged_fields()[table][landed] for table, columns in HIDDEN_FIELDS.items() for landed in columns}
    assert {staging[key] for key in hidden} >= {"VARCHAR", "DATE", "BOOLEAN"}  # typed, not all text
