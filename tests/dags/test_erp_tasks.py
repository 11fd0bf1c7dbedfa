"""The ERP glue: connections read at run time become the library's inputs; a missing one skips its group."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "dags"))

from medallion import config  # noqa: E402
from medallion.connections import erp_api_config, erp_database_dsn  # noqa: E402
from medallion.erp_tasks import erp_connection_exists, erp_drop_dir_exists  # noqa: E402


def test_database_dsn_from_an_extra_or_a_postgres_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ERP_DATABASE", json.dumps(
        {"conn_type": "generic", "extra": {"dsn": "duckdb:////srv/erp.duckdb"}}))
    assert erp_database_dsn("erp_database") == "duckdb:////srv/erp.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_ERP_PG", json.dumps(
        {"conn_type": "postgres", "host": "db.internal", "port": 5433, "login": "reader", "password": "s3cret",
         "schema": "erp"}))
    dsn = erp_database_dsn("erp_pg")
    assert {"host=db.internal", "port=5433", "user=reader", "dbname=erp"} <= set(dsn.split())


def test_api_config_from_an_http_connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ERP_API", json.dumps(
        {"conn_type": "http", "host": "http://127.0.0.1:8123", "password": "erp-token"}))
    api = erp_api_config("erp_api")
    assert api.base_url == "http://127.0.0.1:8123" and api.token == "erp-token" and "erp-token" not in repr(api)
    monkeypatch.setenv("AIRFLOW_CONN_ERP_API", json.dumps(
        {"conn_type": "http", "host": "erp.example.com", "schema": "https", "port": 8443, "password": "t"}))
    assert erp_api_config("erp_api").base_url == "https://erp.example.com:8443"


def test_a_missing_connection_or_drop_folder_skips_the_group(monkeypatch, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_ERP_API", raising=False)
    assert erp_connection_exists("erp_api", "ERP REST API") is False
    monkeypatch.setenv("AIRFLOW_CONN_ERP_API", json.dumps({"conn_type": "http", "host": "http://h"}))
    assert erp_connection_exists("erp_api", "ERP REST API") is True
    assert erp_drop_dir_exists(None) is False and erp_drop_dir_exists(str(tmp_path / "absent")) is False
    assert erp_drop_dir_exists(str(tmp_path)) is True


@pytest.mark.parametrize("drop_dir", [None, "/data/erp/drops"])
def test_settings_carry_the_erp_as_task_arguments(drop_dir):
    env = {"MEDALLION_STATE_DIR": "/state"} | ({"MEDALLION_ERP_DROP_DIR": drop_dir} if drop_dir else {})
    erp = config.load(env).erp()
    assert erp["database_conn_id"] == "erp_database" and erp["api_conn_id"] == "erp_api"
    assert erp["drop_dir"] == drop_dir
    assert erp["archive_dir"] == (f"{drop_dir}/archive" if drop_dir else None)
    assert erp["options"]["lookback_s"] == 300 and erp["options"]["work_dir"] == "/state/tmp"
