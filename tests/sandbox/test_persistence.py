"""The org persists across restarts, and seeding is deterministic in the seed number."""

from __future__ import annotations

import requests

from sandbox.salesforce.org import SalesforceOrg
from sandbox.salesforce.seed import object_counts
from sandbox.server import Sandbox


def _snapshot(org: SalesforceOrg) -> dict[str, list[dict]]:
    return {name: org.rows(name) for name in org.object_names()}


def test_same_seed_same_org_and_another_seed_another_org(tmp_path):
    first, second, other = (SalesforceOrg(tmp_path / name, seed=seed, scale=0.05)
                            for name, seed in (("a", 5), ("b", 5), ("c", 6)))
    try:
        assert _snapshot(first) == _snapshot(second)
        assert first.credentials == second.credentials
        assert _snapshot(first)["Account"] != _snapshot(other)["Account"]
        assert {name: first.count(name) for name in first.object_names()} == object_counts(0.05)
    finally:
        for org in (first, second, other):
            org.close()


def test_org_survives_a_restart_without_reseeding(tmp_path):
    with Sandbox(tmp_path, seed=3, scale=0.05) as running:
        token = requests.post(f"{running.salesforce_url}/services/oauth2/token", verify=running.ca_bundle, data={
            "grant_type": "client_credentials", "client_id": running.client_id, "client_secret": running.client_secret,
        }).json()["access_token"]
        created = requests.post(f"{running.salesforce_url}/services/data/v59.0/sobjects/Account/",
                                json={"Name": "Survivor"}, verify=running.ca_bundle,
                                headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201
        accounts = running.org.count("Account")
        credentials = running.env()
    with Sandbox(tmp_path, seed=99, scale=1.0) as restarted:
        assert restarted.org.count("Account") == accounts
        assert restarted.org.rows("Account", f"\"Id\" = '{created.json()['id']}'")[0]["Name"] == "Survivor"
        assert restarted.org.seed == 3
        # ports are chosen afresh at each start; everything else printed (credentials, CA) persists
        assert {k: v for k, v in restarted.env().items() if not k.endswith("_URL")} == {
            k: v for k, v in credentials.items() if not k.endswith("_URL")}
