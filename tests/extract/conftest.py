"""A sandbox org over real HTTPS, a client logged in to it, and a fresh warehouse per test.

The ``writer`` is DuckDB, and also PostgreSQL (a database of its own per test, created and dropped here) in the
modules of POSTGRES_MODULES: the landing, incremental, failure-path and delete tests run against both writers.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
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
    """An org seeded once; each test that changes an org gets a copy (seeding 218 objects costs seconds)."""
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


POSTGRES_MODULES = {"test_landing", "test_incremental", "test_failure_paths", "test_deletes_and_refreshes"}
PG_ADMIN = os.environ.get("MEDALLION_TEST_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def pytest_generate_tests(metafunc):
    uses_writer = "writer" in metafunc.fixturenames or "open_writer" in metafunc.fixturenames
    if uses_writer and metafunc.module.__name__.rsplit(".", 1)[-1] in POSTGRES_MODULES:
        metafunc.parametrize("warehouse", ["duckdb", "postgres", "snowflake"], indirect=True)


@pytest.fixture
def warehouse(request) -> str:
    """Which writer the ``writer`` fixture opens: duckdb, or postgres where the module is parametrized."""
    return getattr(request, "param", "duckdb")


class PostgresDatabases:
    """Databases created for one test (unique names), dropped when it ends."""

    def __init__(self):
        self.names: list[str] = []

    def create(self) -> str:
        import psycopg

        name = f"medallion_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'create database "{name}"')
        self.names.append(name)
        return name

    def conninfo(self, name: str) -> dict:
        parts = dict(p.split("=", 1) for p in PG_ADMIN.split())
        return {**parts, "dbname": name}

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            for name in self.names:
                con.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg_databases():
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture
def open_writer(warehouse, tmp_path, pg_databases, request):
    """Open a fresh, empty writer of the test's warehouse kind (closed by the test, or at its end)."""
    opened = []
    databases: dict[str, str] = {}

    def make(name: str = "warehouse"):
        if warehouse == "snowflake":  # a database of its own on the session's fakesnow server, per name
            from extract.warehouse.snowflake_bronze import SnowflakeBronzeWriter

            server = request.getfixturevalue("fakesnow_server")
            database = databases.setdefault(name, f"X_{uuid.uuid4().hex[:12].upper()}")
            w = SnowflakeBronzeWriter(**snowflake_connect_args(server.profile_env(), database))
        elif warehouse == "postgres":
            from extract.warehouse.postgres_bronze import PostgresBronzeWriter

            w = PostgresBronzeWriter(**pg_databases.conninfo(pg_databases.create()))
        else:
            w = DuckDBBronzeWriter(tmp_path / f"{name}.duckdb")
        opened.append(w)
        return w
    yield make
    for w in opened:
        try:
            w.close()
        except Exception:
            pass


def snowflake_connect_args(profile_env: dict[str, str], database: str) -> dict:
    """The writer's connection to a fakesnow server, built the way the DAG builds it (config.warehouse_target)."""
    from extract.warehouse import WarehouseTarget

    return WarehouseTarget(
        kind="snowflake", host=profile_env["MEDALLION_SF_HOST"], port=int(profile_env["MEDALLION_SF_PORT"]),
        user=profile_env["MEDALLION_SF_USER"], database=database, password=profile_env["MEDALLION_SF_PASSWORD"],
        # network_timeout: fakesnow answers what it cannot run with HTTP 500, which the client would retry for long
        options={"account": profile_env["MEDALLION_SF_ACCOUNT"], "protocol": profile_env["MEDALLION_SF_PROTOCOL"],
                 "network_timeout": 60},
    ).snowflake_connect_args()


@pytest.fixture
def writer(open_writer):
    return open_writer()


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


def sort_rows(rows: list[tuple]) -> list[tuple]:
    """Rows in a stable order whatever the warehouse (NULLs first)."""
    return sorted(rows, key=lambda row: tuple((v is not None, "" if v is None else v) for v in row))


def bronze_rows(writer, object_name: str, columns: str = "id, systemmodstamp") -> list[tuple]:
    table = f"salesforce__{object_name.lower()}"
    return sort_rows(writer.query(f'select {columns} from bronze."{table}"'))


def audit_rows(writer, object_name: str | None = None) -> list[dict]:
    where = "where object_name = ?" if object_name else ""
    return writer.query_dicts(f"select * from audit.extract_batches {where} order by started_at, finished_at",
                              [object_name] if object_name else [])


def truth(sb: Sandbox, object_name: str, where: str | None = None) -> dict[str, str]:
    """The org's records (Recycle Bin included) -> their SystemModstamp as landed text."""
    rows = sb.org.rows(object_name, where)
    return {r["Id"]: r["SystemModstamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z") for r in rows}


def wait_for_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file())
