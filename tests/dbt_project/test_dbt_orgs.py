"""Two orgs through dbt: the bronze fixture landed twice, as the default org (bronze.salesforce__*) and as org
`org2` (bronze.salesforce_org2__*: the same Ids, other names, one account hard-deleted there only), built with
MEDALLION_SALESFORCE_SOURCES=salesforce,salesforce_org2. Silver and gold hold both orgs, told apart by
source_relation; the default org's rows are exactly those of the one-org build; the sync writes the first org."""

from __future__ import annotations

from dataclasses import replace

import pytest
from warehouse_builds import (
    BronzeTable,
    BuiltWarehouse,
    failures,
    land_bronze_duckdb,
    run_dbt_build,
    snapshot_duckdb,
)

SECOND = "salesforce_org2"
ACME, BIG_CO, TOKYO = (f"00100000000000{i}AAA" for i in range(1, 4))


def second_org(tables: list[BronzeTable]) -> list[BronzeTable]:
    """The fixture as org2 landed it: tables renamed, _source and batch ids its own, account names prefixed, and
    a tombstone of its own for Big Co (alive in the default org)."""
    out = []
    for table in tables:
        columns = table.columns
        rows = [list(row) for row in table.rows]
        source, batch = columns.index("_source"), columns.index("_batch_id")
        if not table.name.startswith("salesforce__"):
            continue  # the tombstones (below), and the ERP's tables: one ERP, whatever the orgs
        for row in rows:
            row[source] = SECOND
            row[batch] = "org2-" + row[batch]  # batch ids are unique across orgs (each has a uuid)
            if table.name == "salesforce__account" and row[columns.index("name")]:
                row[columns.index("name")] = "EMEA " + row[columns.index("name")]
        out.append(BronzeTable(table.name.replace("salesforce__", SECOND + "__", 1), columns,
                               [tuple(r) for r in rows]))
    tombstones = next(t for t in tables if t.name == "salesforce_tombstones")
    gone = dict(zip(tombstones.columns, tombstones.rows[0]))
    gone.update(object_name="Account", id=BIG_CO, _batch_id="org2-account-reconcile",
                _extracted_at="2024-04-05 00:00:00", _source=SECOND)
    out.append(replace(tombstones, rows=[*tombstones.rows, tuple(gone[c] for c in tombstones.columns)]))
    return out


@pytest.fixture(scope="module")
def two_org_warehouse(tmp_path_factory, bronze_fixture) -> BuiltWarehouse:
    work_dir = tmp_path_factory.mktemp("dbt_two_orgs")
    db_path = work_dir / "warehouse.duckdb"
    default_org = [t for t in bronze_fixture if t.name != "salesforce_tombstones"]
    land_bronze_duckdb(db_path, default_org + second_org(bronze_fixture))
    result = run_dbt_build("local", work_dir, MEDALLION_DUCKDB_PATH=str(db_path),
                           MEDALLION_SALESFORCE_SOURCES=f"salesforce,{SECOND}")
    assert result.success, failures(result)
    return BuiltWarehouse("duckdb-two-orgs", result, snapshot_duckdb(db_path), db_path=db_path, work_dir=work_dir)


def of(rows: list[dict], source: str) -> list[dict]:
    return [row for row in rows if row["source_relation"] == source]


def sort_key(row: dict):
    return tuple(str(v) for v in row.values())


def test_silver_and_gold_hold_both_orgs_keyed_by_id_and_source_relation(two_org_warehouse):
    accounts = two_org_warehouse.by_key("silver.int_salesforce__accounts", "account_id", "source_relation")
    assert {k for k in accounts if k[1] == "salesforce"} == {(ACME, "salesforce"), (BIG_CO, "salesforce"),
                                                            (TOKYO, "salesforce")}
    # Big Co is gone from org2 only: its tombstone there leaves the default org's Big Co live
    assert {k for k in accounts if k[1] == SECOND} == {(ACME, SECOND), (TOKYO, SECOND)}
    assert accounts[(ACME, SECOND)]["account_name"] == "EMEA " + accounts[(ACME, "salesforce")]["account_name"]
    for model, key in (("silver.int_salesforce__contacts", "contact_id"), ("silver.int_salesforce__cases", "case_id"),
                       ("gold.fct_opportunities", "opportunity_id"), ("gold.dim_accounts", "account_id")):
        rows = two_org_warehouse.by_key(model, key, "source_relation")  # unique on (Id, org)
        assert {k[1] for k in rows} == {"salesforce", SECOND}, model
    quarantined = two_org_warehouse.table("silver.int_salesforce__quarantine")
    assert {r["source_relation"] for r in quarantined} == {"salesforce", SECOND}


def test_the_default_orgs_rows_are_those_of_the_one_org_build(two_org_warehouse, duckdb_warehouse):
    compared = []
    for name, rows in duckdb_warehouse.tables.items():
        if not rows or "source_relation" not in rows[0]:
            continue  # the seed; the sync model (its columns are the Account's fields: next test)
        # rows of no org (ERP invoices matched to no account: source_relation NULL) are compared by neither side
        assert sorted(of(two_org_warehouse.table(name), "salesforce"), key=sort_key) == sorted(
            of(rows, "salesforce"), key=sort_key), name
        compared.append(name)
    assert len(compared) >= 15, compared
    # joins stay inside an org: Big Co's opportunities resolve its key in the default org, not in org2
    opportunities = two_org_warehouse.table("silver.int_salesforce__opportunities")
    keys = {(o["source_relation"], o["account_customer_key"]) for o in opportunities if o["account_id"] == BIG_CO}
    assert keys == {("salesforce", "CK-0002"), (SECOND, None)}


def test_the_sync_writes_into_the_first_org_only(two_org_warehouse, duckdb_warehouse):
    synced = two_org_warehouse.table("gold.sync_salesforce__account_update")
    assert synced and sorted(synced, key=sort_key) == sorted(
        duckdb_warehouse.table("gold.sync_salesforce__account_update"), key=sort_key)
