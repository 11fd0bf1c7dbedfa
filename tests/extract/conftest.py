from __future__ import annotations

import json

import pytest

from sandbox.server import Sandbox


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("extract-sandbox"), seed=7, scale=0.2) as sb:
        yield sb


@pytest.fixture
def salesforce_conn(sandbox, monkeypatch):
    """AIRFLOW_CONN_SALESFORCE_DEFAULT pointing at the sandbox, and its CA trusted the only way Airflow can."""
    def set_conn(password: str = sandbox.password) -> None:
        host = sandbox.salesforce_url.removeprefix("https://")
        monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps({
            "conn_type": "salesforce", "login": sandbox.username, "password": password,
            "extra": {"security_token": sandbox.security_token, "domain": f"{host}/services/Soap/u/59.0#"},
        }))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.ca_bundle)
    monkeypatch.setenv("CURL_CA_BUNDLE", sandbox.ca_bundle)
    set_conn()
    return set_conn
