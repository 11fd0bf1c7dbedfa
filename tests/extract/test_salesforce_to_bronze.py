"""Extraction against the sandbox org over HTTPS, landing into a real DuckDB file."""

from __future__ import annotations

import duckdb
import pytest

from extract.errors import SalesforceLoginError, UnknownSalesforceObjectError
from extract.salesforce.connection import session_from_airflow_connection
from extract.salesforce_to_bronze import extract_object
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter


@pytest.fixture
def writer(tmp_path):
    with DuckDBBronzeWriter(tmp_path / "warehouse.duckdb") as w:
        yield w


def test_account_lands_every_row_and_field_with_batch_metadata(sandbox, salesforce_conn, writer):
    session = session_from_airflow_connection("salesforce_default")
    result = extract_object(session, writer, "Account", page_size=100, dag_run_id="run-1")

    truth = {r["Id"]: r for r in sandbox.org.rows("Account")}
    assert result.rows == len(truth) > 100
    assert result.pages == -(-len(truth) // 100), "pages of maxRecords=100 each"
    con = writer.con
    columns = [r[0] for r in con.execute("describe bronze.salesforce__account").fetchall()]
    assert columns[0] == "id" and {"systemmodstamp", "customer_key__c", "_batch_id", "_extracted_at", "_source"} <= set(columns)
    assert "billingaddress" not in columns, "compound fields are not selectable in Bulk API 2.0"
    landed = {r[0]: r for r in con.execute("select id, name, description, _batch_id, _source from bronze.salesforce__account").fetchall()}
    assert set(landed) == set(truth)
    for record_id, (_, name, description, batch_id, source) in landed.items():
        assert name == truth[record_id]["Name"]
        assert description == (truth[record_id]["Description"] or None)
        assert batch_id == result.batch_id and source == "salesforce"
    awkward = [n for n in (v[1] for v in landed.values()) if n and any(c in n for c in "\",'\n") or (n and not n.isascii())]
    assert awkward, "the seeded org must hold values that break naive CSV code"
    batch = con.execute("select status, rows, pages, bulk_job_id, dag_run_id from audit.extract_batches").fetchall()
    assert batch == [("succeeded", result.rows, result.pages, result.bulk_job_id, "run-1")]


def test_each_run_appends_a_new_batch(sandbox, salesforce_conn, writer):
    session = session_from_airflow_connection("salesforce_default")
    first = extract_object(session, writer, "User")
    second = extract_object(session, writer, "User")
    counts = writer.con.execute(
        "select _batch_id, count(*) from bronze.salesforce__user group by 1 order by 1").fetchall()
    assert sorted(counts) == sorted([(first.batch_id, first.rows), (second.batch_id, second.rows)])


def test_wrong_password_names_the_org_and_the_user(sandbox, salesforce_conn):
    salesforce_conn(password="not-the-password")
    with pytest.raises(SalesforceLoginError) as raised:
        session_from_airflow_connection("salesforce_default")
    message = str(raised.value)
    assert sandbox.salesforce_url in message and sandbox.username in message and "INVALID_LOGIN" in message


def test_unknown_object_is_named_in_the_error(sandbox, salesforce_conn, writer):
    session = session_from_airflow_connection("salesforce_default")
    with pytest.raises(UnknownSalesforceObjectError) as raised:
        extract_object(session, writer, "Acount")
    assert "'Acount'" in str(raised.value) and "Account" in str(raised.value)
    assert writer.con.execute("select count(*) from audit.extract_batches").fetchone()[0] == 0


def test_airflow_task_fails_fast_without_retry_on_bad_credentials(sandbox, salesforce_conn):
    from airflow.sdk.exceptions import AirflowFailException

    from extract.airflow_tasks import extract_salesforce_object

    salesforce_conn(password="wrong")
    with pytest.raises(AirflowFailException, match="INVALID_LOGIN"):
        extract_salesforce_object("Account", "salesforce_default", 1000, run_id="manual")
