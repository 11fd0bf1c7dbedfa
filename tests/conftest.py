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


# Longest first (make test: `--dist loadfile --no-loadscope-reorder`). Each worker starts with two files, then takes
# the next in this order as it frees up; xdist's default order (files with the most tests first) started the
# end-to-end DAG runs, minutes each and one test apiece, last, and the suite waited on them at its end. The three
# longest open a worker each; the next three are each worker's second file (a short one behind the longest run).
SLOW_FIRST = (
    "tests/e2e/test_make_run.py",
    "tests/e2e/test_make_run_snowflake.py",
    "tests/e2e/test_real_org_path.py",
    "tests/dags/test_dag_parsing.py",
    "tests/e2e/test_make_run_postgres.py",
    "tests/dbt_project/test_dbt_build.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST)))  # stable: the rest keep order


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
