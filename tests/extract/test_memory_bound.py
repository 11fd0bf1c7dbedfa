"""Extraction never holds a whole result in memory: Python's peak stays far below the bytes extracted."""

from __future__ import annotations

import tracemalloc

import pytest

from extract.salesforce.connection import session_from_airflow_connection
from extract.salesforce_to_bronze import extract_object
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter
from scripts.local_env import start_sandbox
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def larger_org(tmp_path_factory, manifest_path):
    """A 20,000-Task org in its own process, so that only the extractor's memory is traced here."""
    state = tmp_path_factory.mktemp("larger-org")
    (state / "logs").mkdir()
    env = {"MEDALLION_MANIFEST_PATH": str(manifest_path), "MEDALLION_DUCKDB_PATH": str(state / "wh.duckdb")}
    sandbox = start_sandbox(ROOT, state, env, extra_args=["--scale", "4.0", "--seed", "5"])
    yield env
    sandbox.stop()


def test_python_peak_memory_is_a_small_fraction_of_the_result(larger_org, monkeypatch, tmp_path):
    for key in ("AIRFLOW_CONN_SALESFORCE_DEFAULT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(key, larger_org[key])
    session = session_from_airflow_connection("salesforce_default")
    with DuckDBBronzeWriter(tmp_path / "warehouse.duckdb") as writer:
        tracemalloc.start()
        try:
            result = extract_object(session, writer, "Task", page_size=1000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.rows == 20_000 and result.pages == 20
    # pages stream to disk in 64 KiB chunks and DuckDB reads them from there: Python never sees a whole page
    assert peak < result.bytes / 4, f"peak {peak} B of Python memory for a {result.bytes} B result"
