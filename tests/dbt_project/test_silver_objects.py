"""Generated silver for every extracted object (macros/salesforce_silver_object.sql, dags/medallion/silver_objects.py)
on DuckDB, PostgreSQL and Snowflake (fakesnow).

Bronze is landed with the extractor's own writer (its tables, tombstones and field metadata from a describe), for
two objects and two orgs; the models are generated from that metadata into a copy of the project and built
incrementally round after round (updates, a late older version, a formula refresh tie, a soft delete, a merge,
hard deletes in one org only). Each incremental result must equal a --full-refresh of the same bronze; a record
with no new bronze row is not recomputed; a field the metadata lists but bronze lacks is a typed NULL."""

from __future__ import annotations

import shutil
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from warehouse_builds import REPO_ROOT, environment, failures

from extract.salesforce.describe import schema_from_describe
from extract.warehouse.bronze import bronze_table_name

sys.path.insert(0, str(REPO_ROOT / "dags"))
from medallion import silver_objects  # noqa: E402

ORG1, ORG2 = "salesforce", "salesforce_org2"
A1, A2, A3, A4 = (f"0010000000000{i}0AAA" for i in range(1, 5))
W1, W2 = (f"a0100000000000{i}AAA" for i in range(1, 3))
T1 = datetime(2024, 5, 1, 10, 0, 0)
T2, T3 = T1 + timedelta(hours=1), T1 + timedelta(hours=2)


def field(name, kind, **extra):
    return {"name": name, "type": kind, "soapType": "xsd:string", "label": name, "length": 0, "precision": 0,
            "scale": 0, "calculated": False, "referenceTo": [], **extra}


DESCRIBES = {
    "Account": {"name": "Account", "fields": [
        field("Id", "id"), field("IsDeleted", "boolean"), field("MasterRecordId", "reference", referenceTo=["Account"]),
        field("Name", "string", length=255), field("AnnualRevenue", "currency", precision=18),
        field("NumberOfEmployees", "int", precision=8), field("CreatedDate", "datetime"),
        field("SystemModstamp", "datetime"), field("BillingAddress", "address")]},
    "Widget__c": {"name": "Widget__c", "fields": [
        field("Id", "id"), field("IsDeleted", "boolean"), field("Name", "string"),
        field("Amount__c", "currency", precision=18, scale=2, calculated=True), field("Due__c", "date"),
        field("SystemModstamp", "datetime")]},
}
# the bronze tables' columns: org2 cannot see Account.AnnualRevenue; Widget__c.Amount__c is in the describe but not
# (yet) a column of bronze
COLUMNS = {
    (ORG1, "Account"): ["id", "isdeleted", "masterrecordid", "name", "annualrevenue", "numberofemployees",
                        "createddate", "systemmodstamp"],
    (ORG2, "Account"): ["id", "isdeleted", "masterrecordid", "name", "numberofemployees", "createddate",
                        "systemmodstamp"],
    (ORG1, "Widget__c"): ["id", "isdeleted", "name", "due__c", "systemmodstamp"],
}


def stamp(day: int) -> str:
    return f"2024-04-{day:02d}T00:00:00.000Z"


def account(record_id, name, day, deleted="false", master=None, revenue="1000.0", employees="12"):
    return {"id": record_id, "isdeleted": deleted, "masterrecordid": master, "name": name, "annualrevenue": revenue,
            "numberofemployees": employees, "createddate": stamp(1), "systemmodstamp": stamp(day)}


class Bronze:
    """Lands rows with the extractor's writer, as extraction would."""

    def __init__(self, silver: "Silver"):
        self.silver = silver
        writer = silver.writer
        self.batches = 0
        for (source, name), columns in COLUMNS.items():
            body = ", ".join(f"{c} varchar" for c in columns)
            writer.execute(f"create table bronze.{bronze_table_name(name, source)} ({body}, _batch_id varchar, "
                           f"_extracted_at timestamp, _source varchar, _change_kind varchar)")
            schema = schema_from_describe(DESCRIBES[name])
            if source == ORG2:  # field-level security: the field is absent from org2's describe
                schema = schema_from_describe({"name": name, "fields": [
                    f for f in DESCRIBES[name]["fields"] if f["name"] != "AnnualRevenue"]})
            writer.save_fields(source, schema)

    def land(self, source, name, rows, extracted_at, kind="change"):
        self.batches += 1
        columns = COLUMNS[(source, name)]
        names = [*columns, "_batch_id", "_extracted_at", "_source", "_change_kind"]
        for row in rows:
            self.silver.writer.execute(
                f"insert into bronze.{bronze_table_name(name, source)} ({', '.join(names)}) values "
                f"({', '.join('?' for _ in names)})",
                [row.get(c) for c in columns] + [f"{name.lower()}-{kind}-{self.batches}", extracted_at, source, kind])

    def tombstone(self, source, name, record_id, extracted_at):
        self.batches += 1
        self.silver.writer.execute(
            "insert into bronze.salesforce_tombstones (object_name, id, last_systemmodstamp, detected_by, _batch_id, "
            "_extracted_at, _source) values (?, ?, ?, ?, ?, ?, ?)",
            [name, record_id, None, "id_scan", f"{name.lower()}-reconcile-{self.batches}", extracted_at, source])


def round_one(bronze: Bronze) -> None:
    bronze.land(ORG1, "Account", [account(A1, "Acme", 1), account(A2, "Big Co", 1), account(A3, "Dup Co", 1),
                                  account(A4, "Late Co", 3)], T1)
    bronze.land(ORG2, "Account", [account(A1, "EMEA Acme", 1), account(A2, "EMEA Big Co", 1)], T1)
    bronze.land(ORG1, "Widget__c", [{"id": W1, "isdeleted": "false", "name": "W-1", "due__c": "2024-06-30",
                                     "systemmodstamp": stamp(1)},
                                    {"id": W2, "isdeleted": "false", "name": "W-2", "due__c": "not a date",
                                     "systemmodstamp": stamp(1)}], T1)


def round_two(bronze: Bronze) -> None:
    bronze.land(ORG1, "Account", [
        account(A1, "Acme Corp", 10, employees="twelve"),  # an unparseable number: NULL, never a failed build
        account(A2, "Big Co", 10, deleted="true"),  # soft delete
        account(A3, "Dup Co", 10, deleted="true", master=A1),  # a merge loser
        account(A4, "Stale Co", 2),  # a late commit of an older version: never wins
    ], T2)
    # a formula refresh of A1's latest version (same SystemModstamp, landed later): it wins the tie
    bronze.land(ORG1, "Account", [account(A1, "Acme Corp", 10, revenue="2000.0", employees="twelve")],
                T2 + timedelta(seconds=1), kind="formula_refresh")
    bronze.tombstone(ORG1, "Widget__c", W2, T2)  # hard-deleted
    bronze.tombstone(ORG2, "Account", A1, T2)  # hard-deleted in org2 only


def round_three(bronze: Bronze) -> None:
    bronze.land(ORG1, "Account", [account(A2, "Big Co", 11, deleted="false")], T3)  # undeleted from the bin
    bronze.land(ORG2, "Account", [account(A2, "EMEA Big Co Ltd", 5)], T3)


def project_copy(tmp: Path) -> Path:
    """The project's macros, seeds and sources, with the generated models only (the hand-written ones read objects
    this bronze does not hold)."""
    root = tmp / "project"
    root.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "macros", root / "macros")
    shutil.copytree(REPO_ROOT / "seeds", root / "seeds")
    (root / "dbt_project" / "bronze").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "dbt_project" / "bronze" / "_bronze__sources.yml", root / "dbt_project" / "bronze")
    return root


class Silver:
    """The generated models in a project copy, built with dbt on one warehouse."""

    def __init__(self, tmp: Path, target: str, env: dict[str, str], open_writer):
        self.root = project_copy(tmp)
        self.models = self.root / "dbt_project" / "silver" / "salesforce_objects"
        self.target, self.env = target, env | {"MEDALLION_THREADS": "4"}
        self.open_writer = open_writer
        self.writer = open_writer()
        self.work = tmp

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def generate(self) -> list[str]:
        return silver_objects.generate(self.writer.query, [ORG1, ORG2], self.models)

    def build(self, *extra: str) -> None:
        from dbt.cli.main import dbtRunner

        args = ["build", "--select", "path:dbt_project/silver/salesforce_objects", "--project-dir", str(self.root),
                "--profiles-dir", str(self.root), "--target", self.target, "--target-path",
                str(self.work / "target"), "--log-path", str(self.work / "logs"),
                "--vars", f"{{salesforce_sources: '{ORG1},{ORG2}'}}", *extra]
        reopen = self.target == "local"  # DuckDB: one process opens a file with one configuration at a time
        if reopen:
            self.close()
        with environment(**self.env):
            result = dbtRunner().invoke(args)
        if reopen:
            self.writer = self.open_writer()
        assert result.success, failures(result)

    def rows(self, name: str) -> dict[tuple, dict]:
        table = f"silver.{silver_objects.model_name(name)}"
        cursor_rows = self.writer.query_dicts(f"select * from {table}")
        rows = [{k.lower(): v for k, v in row.items()} for row in cursor_rows]
        keyed = {(row["id"], row["source_relation"]): row for row in rows}
        assert len(keyed) == len(rows), f"{table} is not unique on (id, source_relation)"
        return keyed

    def column_type(self, name: str, column: str) -> str:
        return self.writer.query(
            "select data_type from information_schema.columns where lower(table_schema) = 'silver' "
            "and lower(table_name) = ? and lower(column_name) = ?",
            [silver_objects.model_name(name), column])[0][0].lower()


@pytest.fixture(params=["duckdb", "postgres", "snowflake"])
def silver(request, tmp_path):
    kind = request.param
    if kind == "duckdb":
        from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

        path = tmp_path / "warehouse.duckdb"
        opened = []

        def open_duckdb():  # the writer lands the tables; after dbt opened the file, a connection like dbt's
            opened.append(path)
            return DuckDBBronzeWriter(path) if len(opened) == 1 else DuckDBConnection(path)
        built = Silver(tmp_path, "local", {"MEDALLION_DUCKDB_PATH": str(path)}, open_duckdb)
        yield built
        built.close()
    elif kind == "postgres":
        import psycopg
        from warehouse_builds import postgres_conninfo

        from extract.warehouse.postgres_bronze import PostgresBronzeWriter

        dbname = f"medallion_test_silverobj_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'create database "{dbname}"')
        built = Silver(tmp_path, "postgres", {"MEDALLION_PG_DATABASE": dbname},
                       lambda: PostgresBronzeWriter(postgres_conninfo(dbname)))
        try:
            yield built
        finally:
            built.close()
            with psycopg.connect(postgres_conninfo("postgres"), autocommit=True) as admin:
                admin.execute(f'drop database if exists "{dbname}" with (force)')
    else:
        from tests.extract.conftest import snowflake_connect_args

        from extract.warehouse.snowflake_bronze import SnowflakeBronzeWriter

        server = request.getfixturevalue("fakesnow_server")
        env = server.profile_env() | {"MEDALLION_SF_DATABASE": f"S_{uuid.uuid4().hex[:12].upper()}"}
        built = Silver(tmp_path, "snowflake", env, lambda: SnowflakeBronzeWriter(
            **snowflake_connect_args(env, env["MEDALLION_SF_DATABASE"])))
        yield built
        built.close()


class DuckDBConnection:
    """The writer's query methods on a plain connection (dbt-duckdb keeps the file open in this process with its
    own configuration, which a second connection must share)."""

    def __init__(self, path: Path):
        import duckdb

        self.con = duckdb.connect(str(path))

    def execute(self, sql, params=()):
        return self.con.execute(sql, list(params))

    def query(self, sql, params=()):
        return self.execute(sql, params).fetchall()

    def query_dicts(self, sql, params=()):
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self):
        self.con.close()


def comparable(rows: dict[tuple, dict]) -> dict[tuple, dict]:
    """Values as text (engines return numerics as Decimal or float)."""
    def text(value):
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
            return str(float(value))
        return str(value)
    return {key: {k: text(v) for k, v in row.items()} for key, row in rows.items()}


def test_generated_silver_incremental_equals_full_refresh(silver):
    bronze = Bronze(silver)
    assert silver.generate() == ["Account", "Widget__c"]
    assert sorted(p.name for p in silver.models.iterdir()) == [
        "_salesforce_objects__models.yml", "int_salesforce_object__account.sql", "int_salesforce_object__widget__c.sql"]

    round_one(bronze)
    silver.build()
    first = {name: silver.rows(name) for name in DESCRIBES}
    accounts = first["Account"]
    assert accounts[(A1, ORG1)]["name"] == "Acme" and accounts[(A1, ORG2)]["name"] == "EMEA Acme"
    assert float(accounts[(A1, ORG1)]["annualrevenue"]) == 1000.0 and accounts[(A1, ORG1)]["numberofemployees"] == 12
    assert accounts[(A1, ORG2)]["annualrevenue"] is None, "a field org2 cannot see is NULL there"
    widgets = first["Widget__c"]
    assert str(widgets[(W1, ORG1)]["due__c"]) == "2024-06-30" and widgets[(W2, ORG1)]["due__c"] is None
    # typed from the describe: a field bronze lacks is a typed NULL, not text
    assert all(row["amount__c"] is None for row in widgets.values())
    for name, column, kinds in (("Widget__c", "amount__c", ("numeric", "decimal", "number")),
                                ("Widget__c", "due__c", ("date",)), ("Account", "isdeleted", ("boolean",)),
                                ("Account", "systemmodstamp", ("timestamp",)),
                                ("Account", "numberofemployees", ("bigint", "integer", "number", "int64"))):
        assert silver.column_type(name, column).startswith(kinds), (name, column, silver.column_type(name, column))
    assert not any(row["is_deleted"] for rows in first.values() for row in rows.values())

    # a record without new bronze rows is not recomputed: mark it, and it keeps the mark through the next build
    widget_table = f"silver.{silver_objects.model_name('Widget__c')}"
    silver.writer.execute(f"update {widget_table} set name = 'untouched' where id = ?", [W1])
    round_two(bronze)
    silver.build()
    widgets = silver.rows("Widget__c")
    assert widgets[(W1, ORG1)]["name"] == "untouched"
    silver.writer.execute(f"update {widget_table} set name = 'W-1' where id = ?", [W1])
    accounts = silver.rows("Account")
    acme = accounts[(A1, ORG1)]
    assert (acme["name"], float(acme["annualrevenue"]), acme["numberofemployees"]) == ("Acme Corp", 2000.0, None)
    assert (acme["is_deleted"], acme["deletion_kind"], acme["master_id"], acme["_version_count"]) == (
        False, None, A1, 3)
    big = accounts[(A2, ORG1)]
    assert (big["is_deleted"], big["deletion_kind"], str(big["deleted_at"])[:10]) == (True, "soft_delete", "2024-04-10")
    dup = accounts[(A3, ORG1)]
    assert (dup["is_deleted"], dup["deletion_kind"], dup["master_id"]) == (True, "merge", A1)
    assert accounts[(A4, ORG1)]["name"] == "Late Co", "an older version landed late never replaces the latest"
    gone = accounts[(A1, ORG2)]
    assert (gone["is_deleted"], gone["deletion_kind"], gone["deleted_at"]) == (True, "hard_delete", T2)
    assert widgets[(W2, ORG1)]["deletion_kind"] == "hard_delete" and widgets[(W2, ORG1)]["deleted_at"] == T2

    round_three(bronze)
    silver.build()
    incremental = {name: comparable(silver.rows(name)) for name in DESCRIBES}
    assert incremental["Account"][(A2, ORG1)]["is_deleted"] is False, "undeleted: live again"
    assert incremental["Account"][(A2, ORG2)]["name"] == "EMEA Big Co Ltd"
    silver.build("--full-refresh")
    assert {name: comparable(silver.rows(name)) for name in DESCRIBES} == incremental

    if silver.target == "local":  # silver as of the first round's bronze: by time, and by a batch id the audit holds
        expected = {name: comparable(rows) for name, rows in first.items()}
        silver.build("--full-refresh", "--vars", f"{{salesforce_sources: '{ORG1},{ORG2}', bronze_as_of: '{T1}'}}")
        assert {name: comparable(silver.rows(name)) for name in DESCRIBES} == expected
        silver.writer.execute("insert into audit.extract_batches (batch_id, source, object_name, kind, status, "
                              "extracted_at) values ('account-full-1', 'salesforce', 'Account', 'full', "
                              "'succeeded', ?)", [T1])
        silver.build("--full-refresh", "--vars",
                     f"{{salesforce_sources: '{ORG1},{ORG2}', bronze_as_of: 'account-full-1'}}")
        assert {name: comparable(silver.rows(name)) for name in DESCRIBES} == expected
