"""What the DAG reads from dbt's manifest: the Salesforce objects to extract and the reverse syncs to run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class SalesforceSource:
    object_name: str  # API name, e.g. Account
    source_table: str  # dbt source table, e.g. account


@dataclass(frozen=True)
class ReverseSync:
    exposure: str
    model_unique_id: str
    destination: str
    object_name: str
    mode: str
    external_id: str
    hightouch_sync_slug: str | None


@cache
def load_manifest(path: Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(f"dbt manifest not found at {path}: build it with `make manifest`")
    return json.loads(path.read_text())


def salesforce_sources(path: Path) -> list[SalesforceSource]:
    sources = [
        SalesforceSource(node["meta"]["salesforce_object"], node["name"])
        for node in load_manifest(path)["sources"].values()
        if node["source_name"] == "salesforce" and node.get("meta", {}).get("salesforce_object")
    ]
    return sorted(sources, key=lambda s: s.object_name)


def reverse_syncs(path: Path) -> list[ReverseSync]:
    syncs = []
    for exposure in load_manifest(path)["exposures"].values():
        meta = exposure.get("meta", {})
        if "destination" not in meta:
            continue
        models = [n for n in exposure["depends_on"]["nodes"] if n.startswith("model.")]
        if len(models) != 1:
            raise ValueError(f"exposure {exposure['name']} must depend on exactly one sync_ model, got {models}")
        syncs.append(ReverseSync(
            exposure=exposure["name"], model_unique_id=models[0], destination=meta["destination"],
            object_name=meta["object"], mode=meta["mode"], external_id=meta["external_id"],
            hightouch_sync_slug=meta.get("hightouch_sync_slug"),
        ))
    return sorted(syncs, key=lambda s: s.exposure)
