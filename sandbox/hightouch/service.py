"""The fake Hightouch API as a sandbox service: plain HTTP, syncs from the dbt manifest's exposures."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ..server import SandboxContext, Service
from .app import create_hightouch_app
from .runs import SyncRunner
from .salesforce_destination import SalesforceCredentials
from .syncs import syncs_from_manifest

log = logging.getLogger(__name__)


def build_service(context: SandboxContext) -> Service:
    manifest = context.options.get("manifest")
    syncs = []
    if manifest and Path(manifest).exists():
        syncs = syncs_from_manifest(Path(manifest))
    else:
        log.warning("no dbt manifest given (--manifest): the fake Hightouch API serves no syncs")
    warehouse = context.options.get("warehouse") or context.state_dir.parent / "warehouse.duckdb"
    if "://" not in str(warehouse):  # a file (DuckDB); else a database URL (postgresql://..., snowflake://...)
        warehouse = Path(warehouse)
    org = context.services["salesforce"].controller  # the persisted org: its seed outlives --seed on restarts
    token = "ht-sandbox-" + hashlib.sha256(f"hightouch:{org.seed}".encode()).hexdigest()[:24]

    def salesforce() -> SalesforceCredentials:  # the org's URL is known once its port is bound
        env = context.env
        return SalesforceCredentials(
            instance_url=env["SALESFORCE_URL"], username=env["SALESFORCE_USERNAME"],
            password=env["SALESFORCE_PASSWORD"], security_token=env["SALESFORCE_TOKEN"],
            ca_file=str(context.tls.ca_bundle),
        )

    runner = SyncRunner(syncs, warehouse, salesforce, log_path=context.state_dir / "hightouch_runs.jsonl")
    return Service(
        name="hightouch", app=create_hightouch_app(runner, token), tls=False, port=context.port("hightouch"),
        env=lambda url: {"HIGHTOUCH_URL": url, "HIGHTOUCH_TOKEN": token}, controller=runner,
    )
