"""One small sandbox shared by the ERP tests (DuckDB backend), with a generous REST rate limit."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.server import Sandbox

SEED = 5
SCALE = 0.1
RATE_LIMIT = 1000


@pytest.fixture(scope="session")
def erp_sandbox(tmp_path_factory):
    with Sandbox(tmp_path_factory.mktemp("erp-sandbox"), seed=SEED, scale=SCALE,
                 erp_api_rate_limit=RATE_LIMIT) as sb:
        yield sb


@pytest.fixture(scope="session")
def erp(erp_sandbox):
    return erp_sandbox.controller("erp")


@pytest.fixture()
def frozen_clock(erp_sandbox):
    """The org clock (which the ERP shares), pinned for one test then given back."""
    yield erp_sandbox.org.clock
    erp_sandbox.org.clock.resume()


class ApiClient:
    """GETs with the sandbox's bearer token, waiting out 429s the way a polite client does."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token
        self.session = requests.Session()

    def get(self, path: str, token: str | None = None, **params) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        while True:
            response = self.session.get(self.url + path, params=params, headers=headers, timeout=30)
            if response.status_code != 429:
                return response
            time.sleep(int(response.headers["Retry-After"]))


@pytest.fixture(scope="session")
def api(erp_sandbox) -> ApiClient:
    return ApiClient(erp_sandbox.erp_api_url, erp_sandbox.erp_api_token)
