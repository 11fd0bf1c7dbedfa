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
