"""Shared fixtures: a running sandbox org (real HTTPS), environment hygiene for Airflow-based tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "target" / "manifest.json"

os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def manifest_path() -> Path:
    assert MANIFEST.exists(), "build the dbt manifest first: make manifest (make test does it)"
    return MANIFEST


@pytest.fixture(scope="session")
def fakesnow_server(tmp_path_factory):
    """`fakesnow -s` (scripts/fakesnow_server.py) on a free port, its databases in a directory of its own; stopped
    at the end of the session. Tests isolate themselves by database: see ``snowflake_env``."""
    from scripts.local_env import start_fakesnow

    work = tmp_path_factory.mktemp("fakesnow")
    server = start_fakesnow(ROOT, work / "db", work / "fakesnow.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def snowflake_env(fakesnow_server) -> dict[str, str]:
    """MEDALLION_SF_* pointing at the session's fakesnow server and at a database no other test uses."""
    import uuid

    return fakesnow_server.profile_env() | {"MEDALLION_SF_DATABASE": f"T_{uuid.uuid4().hex[:12].upper()}"}
