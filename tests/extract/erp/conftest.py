"""The sandbox's ERP over its real protocols (DuckDB file, PostgreSQL, drop folder, REST API) for the ERP tests."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from extract.erp.options import ErpOptions
from sandbox.server import Sandbox

SEED, SCALE = 5, 0.1
RATE_LIMIT = 1000  # generous by default; the rate-limit test lowers it for itself


@pytest.fixture(scope="package")
def erp_sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("erp-extract-sandbox"), seed=SEED, scale=SCALE,
                 erp_api_rate_limit=RATE_LIMIT) as sb:
        yield sb


@pytest.fixture(scope="package")
def erp(erp_sandbox):
    return erp_sandbox.controller("erp")


@pytest.fixture
def erp_options(tmp_path) -> ErpOptions:
    return ErpOptions(work_dir=tmp_path / "work", api_wait_initial_s=0.01, api_wait_max_s=5.0)


@pytest.fixture
def drops(tmp_path):
    """A drop folder of this test's own: copy(*drop_files) puts the sandbox's files (and markers) into it."""
    folder = tmp_path / "drops"
    folder.mkdir()

    def copy(*paths: Path, marker: bool = True, name: str | None = None) -> list[Path]:
        copied = []
        for path in paths:
            target = folder / (name or path.name)
            shutil.copy(path, target)
            if marker:
                shutil.copy(path.with_name(path.name + ".done"), target.with_name(target.name + ".done"))
            copied.append(target)
        return copied

    copy.folder = folder
    return copy


def unique_database() -> str:
    return f"h_erp_test_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def frozen_clock(erp_sandbox):
    """The org clock (which the ERP shares), pinned for one test then given back."""
    yield erp_sandbox.org.clock
    erp_sandbox.org.clock.resume()
