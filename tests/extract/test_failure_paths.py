"""Every failure path, injected through the sandbox's faults over real HTTPS: transient errors are retried with
backoff (and resume where they stopped), permanent ones fail at once, and a batch that fails leaves no row behind,
an audit row that says failed, and no Bulk job running in the org. Never success with 0 rows after an error."""

from __future__ import annotations

import datetime
import json

import pytest

from extract.errors import (
    BulkJobError,
    IncompleteResultError,
    PermanentApiError,
    QueryTimeoutError,
    SalesforceUnavailableError,
)
from extract.object_extraction import extract_object
from extract.options import ExtractOptions
from extract.salesforce.client import RetryPolicy, SalesforceClient
from extract.salesforce.describe import schema_from_describe
from extract.warehouse.bronze import Batch
from tests.extract.conftest import FAST_RETRY, audit_rows, bronze_rows, credentials_for

RESULTS = "*/jobs/query/*/results"
PAGE = 20  # rows per Bulk result page: the small org's 60 accounts come in 3 pages


def bulk(tmp_path, **kwargs) -> ExtractOptions:
    return ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path, rest_max_rows=0, bulk_page_rows=PAGE, **kwargs)


def org_jobs(sb) -> list[dict]:
    return [job.info(detailed=True) for job in sb.org.query_jobs.all()]


def assert_failed_cleanly(writer, sb, object_name: str, error_fragment: str) -> None:
    """No row of the failed batch stayed, its audit row says failed and why, and no job is left running."""
    if writer.bronze_columns(f"salesforce__{object_name.lower()}"):  # its creation was rolled back with the rows
        assert bronze_rows(writer, object_name) == []
    last = audit_rows(writer, object_name)[-1]
    assert last["status"] == "failed" and last["rows_landed"] == 0 and error_fragment in last["error"]
    assert writer.object_state("salesforce", object_name) is None, "no cursor for a batch that failed"
    assert writer.open_jobs("salesforce", object_name) == []
    running = [j for j in org_jobs(sb) if j["state"] in ("UploadComplete", "InProgress")]
    assert running == [], f"Bulk jobs left running: {running}"


# --- Bulk API 2.0 jobs and pages --------------------------------------------------------------------------------

def test_a_failed_bulk_job_raises_and_leaves_nothing(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("job_failed", "*/jobs/query", method="POST")
    with pytest.raises(BulkJobError, match="ended Failed"):
        extract_object(client_for(fresh_sandbox), writer, "Account", bulk(tmp_path))
    assert_failed_cleanly(writer, fresh_sandbox, "Account", "BulkJobError")


def test_a_page_shorter_than_announced_fails_the_batch(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("short_page", RESULTS, skip=1)  # the second page lies about its rows
    with pytest.raises(IncompleteResultError, match=f"announced {PAGE} rows but the page held {PAGE - 1}"):
        extract_object(client_for(fresh_sandbox), writer, "Account", bulk(tmp_path))
    assert_failed_cleanly(writer, fresh_sandbox, "Account", "IncompleteResultError")


def test_pages_that_add_up_to_less_than_the_job_processed_fail_the_batch(fresh_sandbox, client_for, writer,
                                                                        tmp_path):
    fresh_sandbox.org.faults.add("early_end", RESULTS, skip=1)
    with pytest.raises(IncompleteResultError, match="processed .* records but its result pages hold"):
        extract_object(client_for(fresh_sandbox), writer, "Account", bulk(tmp_path))
    assert_failed_cleanly(writer, fresh_sandbox, "Account", "IncompleteResultError")


def test_a_failure_on_the_last_page_drops_every_page_already_landed(fresh_sandbox, client_for, writer, tmp_path):
    pages = -(-fresh_sandbox.org.count("Account") // PAGE)
    fresh_sandbox.org.faults.add("http_503", RESULTS, skip=pages - 1)  # the last page fails on every retry
    with pytest.raises(SalesforceUnavailableError, match="503"):
        extract_object(client_for(fresh_sandbox), writer, "Account", bulk(tmp_path))
    assert_failed_cleanly(writer, fresh_sandbox, "Account", "503")


def test_a_connection_dropped_mid_page_resumes_that_page_of_the_same_job(fresh_sandbox, client_for, writer,
                                                                        tmp_path):
    fresh_sandbox.org.faults.add("drop_connection", RESULTS, skip=1, times=2, after_bytes=2048)
    run = extract_object(client_for(fresh_sandbox), writer, "Account", bulk(tmp_path))
    batch = run.batches[0]
    assert batch.bulk_jobs == 1 and batch.retries == 2, "the same job, the same page asked for again"
    assert batch.rows_landed == fresh_sandbox.org.count("Account") == len(set(bronze_rows(writer, "Account")))
    assert len(org_jobs(fresh_sandbox)) == 0, "the finished job was deleted"


def test_an_abandoned_job_is_aborted_by_the_next_run(fresh_sandbox, client_for, writer, tmp_path):
    """A crash between creating a job and landing it leaves the job running; the next run aborts and deletes it."""
    from extract.salesforce.bulk2_query import Bulk2QueryJob

    fresh_sandbox.org.bulk_job_latency_seconds = 30
    client = client_for(fresh_sandbox)
    orphan = Bulk2QueryJob.create(client, "SELECT Id FROM Account", "Account")
    writer.remember_job("salesforce", "Account", orphan.job_id, "full")  # as extraction does before waiting
    fresh_sandbox.org.bulk_job_latency_seconds = 0
    run = extract_object(client, writer, "Account", ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path))
    assert any(orphan.job_id in note for note in run.notes)
    assert writer.open_jobs("salesforce", "Account") == []
    assert orphan.job_id not in {j["id"] for j in org_jobs(fresh_sandbox)}


# --- transient and permanent HTTP errors --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["http_503", "http_429", "drop_connection"])
def test_transient_errors_are_retried_with_backoff_and_counted(fresh_sandbox, client_for, writer, tmp_path, kind):
    fresh_sandbox.org.faults.add(kind, "*/query*", times=2, after_bytes=8)
    run = extract_object(client_for(fresh_sandbox), writer, "Contact",
                         ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path))
    assert run.summary()["retries"] == 2
    assert run.summary()["rows"] == fresh_sandbox.org.count("Contact")
    assert audit_rows(writer, "Contact")[-1]["retries"] == 2


def test_an_expired_session_logs_in_again(fresh_sandbox, client_for, writer, tmp_path):
    client = client_for(fresh_sandbox)
    fresh_sandbox.org.expire_sessions()
    run = extract_object(client, writer, "Lead", ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path))
    assert client.stats.relogins == 1 and run.summary()["rows"] == fresh_sandbox.org.count("Lead")


def test_transient_errors_that_do_not_stop_fail_after_the_last_attempt(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("http_503", "*/query*")
    with pytest.raises(SalesforceUnavailableError, match=r"gave up after 4 attempts"):
        extract_object(client_for(fresh_sandbox), writer, "Contact", ExtractOptions(retry=FAST_RETRY,
                                                                                    work_dir=tmp_path))
    assert audit_rows(writer, "Contact")[-1]["retries"] == 3


def test_a_stalled_socket_times_out_instead_of_hanging(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("delay", "*/query*", seconds=5)
    quick = RetryPolicy(attempts=2, wait_initial_s=0.01, wait_max_s=0.02, connect_timeout_s=2, read_timeout_s=0.5)
    with pytest.raises(SalesforceUnavailableError, match="ReadTimeout"):
        extract_object(client_for(fresh_sandbox, retry=quick), writer, "Contact",
                       ExtractOptions(retry=quick, work_dir=tmp_path))


@pytest.mark.parametrize("soql, code", [
    ("SELECT Id, NoSuchField__c FROM Account", "INVALID_FIELD"),
    ("SELEKT Id FROM Account", "MALFORMED_QUERY"),
])
def test_permanent_errors_are_not_retried(sandbox, client_for, soql, code):
    client = client_for(sandbox)
    before = client.stats.copy()
    with pytest.raises(PermanentApiError) as raised:
        client.get_json("/query/", params={"q": soql}, doing="run a bad query")
    assert code in raised.value.error_code
    spent = client.stats.since(before)
    assert spent.api_calls == 1 and spent.retries == 0


def test_query_timeout_halves_the_window_until_it_fits(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("query_timeout", "*/jobs/query", method="POST", times=2)
    run = extract_object(client_for(fresh_sandbox), writer, "Case", bulk(tmp_path))
    kinds = [b.window_splits for b in run.batches]
    assert max(kinds) == 2, "timed out twice: the window was halved twice"
    assert sum(b.rows_landed for b in run.batches) == fresh_sandbox.org.count("Case")
    assert len(set(bronze_rows(writer, "Case"))) == fresh_sandbox.org.count("Case")


def test_a_query_that_always_times_out_fails_after_three_halvings(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("query_timeout", "*/jobs/query", method="POST")
    with pytest.raises(QueryTimeoutError, match="after halving the window 3 times"):
        extract_object(client_for(fresh_sandbox), writer, "Case", bulk(tmp_path))


# --- login ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["http_503", "http_429", "drop_connection"])
def test_transient_login_failures_are_retried(fresh_sandbox, kind):
    fresh_sandbox.org.faults.add(kind, "/services/Soap/u/*", times=2)
    client = SalesforceClient(credentials_for(fresh_sandbox), FAST_RETRY)
    assert client.stats.retries == 2 and client.instance_url == fresh_sandbox.salesforce_url


def test_a_login_that_stays_unavailable_says_what_the_server_answered(fresh_sandbox):
    fresh_sandbox.org.faults.add("http_503", "/services/Soap/u/*")
    with pytest.raises(SalesforceUnavailableError) as raised:
        SalesforceClient(credentials_for(fresh_sandbox), FAST_RETRY)
    message = str(raised.value)
    assert "503" in message and fresh_sandbox.username in message and "gave up after 4 attempts" in message
    assert "{" not in message, "the server's answer, never a template placeholder"


# --- what the org says about objects and fields ----------------------------------------------------------------

def test_a_field_hidden_after_the_describe_is_left_out_and_said(fresh_sandbox, client_for, writer, tmp_path,
                                                                monkeypatch):
    import extract.object_extraction as extraction

    real_describe = extraction.describe_object

    def describe_then_hide(client, name):  # field-level security changes between the describe and the query
        schema = real_describe(client, name)
        fresh_sandbox.org.access.hide_fields("Account.Description")
        return schema

    monkeypatch.setattr(extraction, "describe_object", describe_then_hide)
    run = extract_object(client_for(fresh_sandbox), writer, "Account", ExtractOptions(retry=FAST_RETRY,
                                                                                      work_dir=tmp_path))
    assert run.summary()["rows"] == fresh_sandbox.org.count("Account")
    assert any("Description" in note and "INVALID_FIELD" in note for note in run.notes)
    assert "description" not in writer.bronze_columns("salesforce__account")


def test_an_object_bulk_cannot_query_goes_through_rest_from_then_on(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.access.update(bulk_unsupported_objects="Opportunity")
    client = client_for(fresh_sandbox)
    run = extract_object(client, writer, "Opportunity", bulk(tmp_path))
    assert run.batches[-1].route == "rest" and run.summary()["rows"] == fresh_sandbox.org.count("Opportunity")
    assert writer.object_state("salesforce", "Opportunity").bulk_supported is False
    fresh_sandbox.org.mutate("Opportunity", "update", count=3)
    again = extract_object(client, writer, "Opportunity", bulk(tmp_path))
    assert again.batches[-1].route == "rest" and again.summary()["rows"] == 3


def test_names_from_the_describe_never_reach_sql_or_soql_unchecked(tmp_path):
    """A hostile field name in a describe (it once read a local file into bronze) is left out, and the CSV
    reader's column list is quoted whatever the names."""
    described = {"name": "Account", "fields": [
        {"name": "Id", "type": "id"},
        {"name": "Name': 'VARCHAR'}, filename=true, columns={'x", "type": "string"},
        {"name": "Evil__c FROM Account; --", "type": "string"},
        {"name": "Website", "type": "url"},
    ]}
    schema = schema_from_describe(described)
    assert schema.fields == ("Id", "Website")
    assert len(schema.left_out) == 2
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    page = tmp_path / "page.csv"
    odd = ("Id", "it's")
    page.write_text('"Id","it\'s"\n"001","x"\n')
    with DuckDBBronzeWriter(tmp_path / "w.duckdb") as writer:
        batch = Batch("b", "salesforce", "Account", "full", odd, datetime.datetime(2026, 1, 1))
        reader = writer._csv(batch, page, odd)
        assert writer.con.execute(f"select * from {reader}").fetchall() == [("001", "x")]


def test_the_audit_row_of_a_failure_carries_the_cost(fresh_sandbox, client_for, writer, tmp_path):
    fresh_sandbox.org.faults.add("job_failed", "*/jobs/query", method="POST",
                                 message="InternalServerError : injected")
    with pytest.raises(BulkJobError):
        extract_object(client_for(fresh_sandbox), writer, "User", bulk(tmp_path))
    failed = audit_rows(writer, "User")[-1]
    assert failed["api_calls"] >= 3 and failed["bulk_jobs"] == 1 and failed["route"] == "bulk"
    assert json.dumps(failed, default=str)  # a plain row


def test_pages_left_by_a_killed_extraction_are_removed_by_the_next(fresh_sandbox, client_for, writer, tmp_path):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"extract-{dead.pid}-Account-abc"
    stale.mkdir()
    (stale / "page-000000.csv").write_text("Id\n001\n")
    alive = tmp_path / f"extract-{__import__('os').getppid()}-Account-def"  # a process that still runs
    alive.mkdir()
    extract_object(client_for(fresh_sandbox), writer, "User", ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path))
    assert not stale.exists() and alive.exists()
