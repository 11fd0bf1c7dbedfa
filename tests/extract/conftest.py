"""A sandbox org over real HTTPS, a client logged in to it, and a fresh DuckDB warehouse per test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extract.options import ExtractOptions
from extract.salesforce.client import RetryPolicy, SalesforceClient
from extract.salesforce.credentials import SalesforceCredentials
from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter
from sandbox.server import Sandbox

# Fast retries: the tests inject faults and must not sleep through real backoff.
FAST_RETRY = RetryPolicy(attempts=4, wait_initial_s=0.01, wait_max_s=0.05, connect_timeout_s=5, read_timeout_s=20)


def credentials_for(sb: Sandbox, password: str | None = None) -> SalesforceCredentials:
    host = sb.salesforce_url.removeprefix("https://")
    return SalesforceCredentials(username=sb.username, password=password or sb.password,
                                 security_token=sb.security_token, domain=f"{host}/services/Soap/u/59.0#",
                                 ca_bundle=sb.ca_bundle)


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """One org for the package's read-mostly tests (scale 0.2: Account 120, Task 1,000 rows)."""
    with Sandbox(tmp_path_factory.mktemp("extract-sandbox"), seed=7, scale=0.2) as sb:
        yield sb


FRESH_ORG = {"seed": 11, "scale": 0.1, "options": {"custom_scale": "0.05"}}


@pytest.fixture(scope="session")
def fresh_org_template(tmp_path_factory) -> Path:
    """An org seeded once; each test that changes an org gets a copy (seeding 209 objects costs seconds)."""
    template = tmp_path_factory.mktemp("org-template") / "org"
    with Sandbox(template, **FRESH_ORG):
        pass
    return template


@pytest.fixture
def fresh_sandbox(tmp_path, fresh_org_template):
    """An org of its own, for tests that change it (mutations, faults, limits, access)."""
    shutil.copytree(fresh_org_template, tmp_path / "org")
    with Sandbox(tmp_path / "org", **FRESH_ORG) as sb:
        yield sb


@pytest.fixture
def client_for():
    def make(sb: Sandbox, retry: RetryPolicy = FAST_RETRY, reserve_share: float = 0.2) -> SalesforceClient:
        return SalesforceClient(credentials_for(sb), retry, reserve_share=reserve_share)
    return make


@pytest.fixture
def writer(tmp_path):
    with DuckDBBronzeWriter(tmp_path / "warehouse.duckdb") as w:
        yield w


@pytest.fixture
def options(tmp_path) -> ExtractOptions:
    return ExtractOptions(retry=FAST_RETRY, work_dir=tmp_path)


@pytest.fixture
def salesforce_conn(sandbox, monkeypatch):
    """AIRFLOW_CONN_SALESFORCE_DEFAULT pointing at the sandbox, its CA trusted the only way Airflow can."""
    def set_conn(sb: Sandbox = sandbox, password: str | None = None) -> None:
        host = sb.salesforce_url.removeprefix("https://")
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "conn_type": "salesforce", "login": sb.username, "password": password or sb.password,
            "extra": {"security_token": sb.security_token, "domain": f"{host}/services/Soap/u/59.0#"},
        }))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", sb.ca_bundle)
        monkeypatch.setenv("CURL_CA_BUNDLE", sb.ca_bundle)
    set_conn()
    return set_conn


def bronze_rows(writer: DuckDBBronzeWriter, object_name: str, columns: str = "id, systemmodstamp") -> list[tuple]:
    table = f"salesforce__{object_name.lower()}"
    return writer.con.execute(f'select {columns} from bronze."{table}" order by all').fetchall()


def audit_rows(writer: DuckDBBronzeWriter, object_name: str | None = None) -> list[dict]:
    where = "where object_name = ?" if object_name else ""
    cursor = writer.con.execute(f"select * from audit.extract_batches {where} order by started_at",
                                [object_name] if object_name else [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def truth(sb: Sandbox, object_name: str, where: str | None = None) -> dict[str, str]:
    """The org's records (Recycle Bin included) -> their SystemModstamp as landed text."""
    rows = sb.org.rows(object_name, where)
    return {r["Id"]: r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z") for r in rows}


def wait_for_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file())
