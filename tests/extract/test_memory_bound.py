"""Extraction never holds a whole result in memory: Python's peak stays far below the bytes extracted."""

from __future__ import annotations

import tracemalloc

import pytest

from extract.object_extraction import extract_object
from extract.options import ExtractOptions
from extract.salesforce.client import SalesforceClient
from extract.salesforce.credentials import SalesforceCredentials
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter
from scripts.local_env import start_sandbox
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def larger_org(tmp_path_factory, manifest_path):
    """A 20,000-Task org in its own process, so that only the extractor's memory is traced here."""
    state = tmp_path_factory.mktemp("larger-org")
    (state / "logs").mkdir()
    env = {"MEDALLION_MANIFEST_PATH": str(manifest_path), "MEDALLION_DUCKDB_PATH": str(state / "wh.duckdb")}
    sandbox = start_sandbox(ROOT, state, env, extra_args=["--scale", "4.0", "--seed", "5", "--extra", "custom_scale=0.01"])
    yield sandbox.values
    sandbox.stop()


def test_python_peak_memory_is_a_small_fraction_of_the_result(larger_org, tmp_path):
    host = larger_org["SALESFORCE_URL"].removeprefix("https://")
    client = SalesforceClient(SalesforceCredentials(
        username=larger_org["SALESFORCE_USERNAME"], password=larger_org["SALESFORCE_PASSWORD"],
        security_token=larger_org["SALESFORCE_TOKEN"], domain=f"{host}/services/Soap/u/59.0#",
        ca_bundle=larger_org["CA_BUNDLE"]))
    options = ExtractOptions(rest_max_rows=0, bulk_page_rows=1000, work_dir=tmp_path)
    with DuckDBBronzeWriter(tmp_path / "warehouse.duckdb") as writer:
        tracemalloc.start()
        try:
            result = extract_object(client, writer, "Task", options).batches[0]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.route == "bulk" and result.rows_landed == 20_000 and result.pages == 20
    # pages stream to disk in 64 KiB chunks and DuckDB reads them from there: Python never sees a whole page
    assert peak < result.bytes / 4, f"peak {peak} B of Python memory for a {result.bytes} B result"
