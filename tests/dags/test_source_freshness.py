"""The DAG's source_freshness task: real `dbt source freshness` on a DuckDB bronze whose batches are of known ages.
Thresholds are the project's vars (Salesforce: warn after 24 h, error after 168 h; ERP: 36 h / 168 h)."""

from __future__ import annotations

import datetime as dt
import sys

import duckdb
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "dags"))
sys.path.insert(0, str(ROOT / "tests" / "dbt_project"))

from medallion import config  # noqa: E402
from medallion.freshness import StaleSourceError, check_source_freshness, checked_sources  # noqa: E402
from warehouse_builds import land_bronze_duckdb, read_bronze_fixture  # noqa: E402


def landed_hours_ago(db_path, ages: dict[str, float]) -> None:
    """Every batch of each bronze table as landed `hours` ago (UTC, as extract/ stamps _extracted_at)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with duckdb.connect(str(db_path)) as con:
        for table, hours in ages.items():
            con.execute(f"update bronze.{table} set _extracted_at = ?", [now - dt.timedelta(hours=hours)])


@pytest.fixture
def warehouse(tmp_path):
    db_path = tmp_path / "warehouse.duckdb"
    # the Salesforce objects, and of the ERP only its database's customers table so far
    land_bronze_duckdb(db_path, [t for t in read_bronze_fixture()
                                 if not t.name.startswith("erp") or t.name == "erp__customers"])
    with duckdb.connect(str(db_path)) as con:  # every table just landed, unless a test ages it
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'bronze'").fetchall()]
    landed_hours_ago(db_path, {table: 0.5 for table in tables})
    settings = config.load({"MEDALLION_DUCKDB_PATH": str(db_path)})
    return {"db_path": db_path, "settings": settings}


def run_check(warehouse, manifest_path):
    settings = warehouse["settings"]
    return check_source_freshness(settings.warehouse(), settings.dbt_env(), settings.target, str(manifest_path),
                                  str(settings.profiles_path.parent))


def test_freshness_covers_the_salesforce_and_erp_sources(manifest_path):
    sources = {f"{name}.{table}" for name, table, _ in checked_sources(manifest_path)}
    assert {"salesforce.account", "salesforce.opportunity", "erp.customers", "erp_api.payments"} <= sources
    assert "salesforce.tombstones" not in sources  # empty for as long as nothing is hard-deleted


def test_a_stale_source_warns_and_the_run_goes_on(warehouse, manifest_path, caplog):
    ages = {"salesforce__account": 1, "salesforce__contact": 2, "salesforce__lead": 2, "salesforce__case": 3,
            "salesforce__task": 3, "salesforce__user": 5, "salesforce__opportunity": 30}  # past 24 h, not 168 h
    landed_hours_ago(warehouse["db_path"], ages)
    summary = run_check(warehouse, manifest_path)
    assert summary["warn"] == ["salesforce.opportunity"]
    # every landed Salesforce object and erp.customers passes, but the opportunity
    assert summary["checked"] >= 8 and summary["pass"] == summary["checked"] - 1
    assert "erp.invoices" in summary["not_landed"] and "erp.customers" not in summary["not_landed"]
    assert any("salesforce.opportunity is stale" in r.message for r in caplog.records)


def test_a_source_past_the_error_threshold_fails_the_task(warehouse, manifest_path):
    ages = {"salesforce__account": 1, "salesforce__contact": 2, "salesforce__lead": 2, "salesforce__case": 200,
            "salesforce__task": 3, "salesforce__user": 5, "salesforce__opportunity": 30}
    landed_hours_ago(warehouse["db_path"], ages)
    with pytest.raises(StaleSourceError, match=r"salesforce\.case error") as failure:
        run_check(warehouse, manifest_path)
    assert "salesforce.opportunity" not in str(failure.value)  # only warned

