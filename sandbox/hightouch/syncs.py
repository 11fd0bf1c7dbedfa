"""Sync definitions: in real Hightouch they are configured in its UI; here they come from the dbt exposures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FIRST_SYNC_ID = 1001


@dataclass(frozen=True)
class SyncDefinition:
    id: str
    slug: str
    model_schema: str
    model_table: str
    destination_object: str
    mode: str  # insert | update | upsert
    external_id: str

    def as_api(self) -> dict:
        return {
            "id": self.id, "slug": self.slug, "workspaceId": "sandbox", "destinationId": "salesforce-sandbox",
            "modelId": f"{self.model_schema}.{self.model_table}", "primaryKey": self.external_id.lower(),
            "configuration": {"object": self.destination_object, "mode": self.mode,
                              "externalIdMapping": {"to": self.external_id}},
            "schedule": None, "disabled": False, "status": "pending",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        }


def syncs_from_manifest(manifest_path: Path) -> list[SyncDefinition]:
    """One sync per exposure whose meta names a hightouch_sync_slug, ids assigned in slug order."""
    manifest = json.loads(manifest_path.read_text())
    found = []
    for exposure in manifest.get("exposures", {}).values():
        meta = exposure.get("meta", {})
        if not meta.get("hightouch_sync_slug"):
            continue
        model_id = next(n for n in exposure["depends_on"]["nodes"] if n.startswith("model."))
        model = manifest["nodes"][model_id]
        found.append((meta["hightouch_sync_slug"], model["schema"], model.get("alias") or model["name"], meta))
    return [
        SyncDefinition(id=str(FIRST_SYNC_ID + i), slug=slug, model_schema=schema, model_table=table,
                       destination_object=meta["object"], mode=meta["mode"], external_id=meta["external_id"])
        for i, (slug, schema, table, meta) in enumerate(sorted(found))
    ]
