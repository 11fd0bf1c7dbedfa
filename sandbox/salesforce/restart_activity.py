"""Org activity between two runs: option ``restart_activity=true`` (default false).

Whenever the sandbox opens an org that was already seeded (the second and later starts on one state directory), it
applies ``PLAN`` before serving, through the mutations (``mutations.py``), as users and the platform would between
two pipeline runs: updates on standard and custom objects, soft deletes (with Salesforce's cascades), merges, hard
deletes of live records, a formula recalculation and a late commit. A few hundred rows in all.

Picks are deterministic: restart number ``n`` (kept in the org, 1 for the second start) salts every pick, so the
same org state gives the same changes. Each mutation is appended to ``state_dir/activity.jsonl`` as one JSON line:
``{"restart": n, "org_time": "2026-...Z", "kind", "object", "ids", ...}`` plus what the mutation returns
(``cascade``, ``merges``, ``reparented``, ``field``, ``system_modstamp``), so tests know the truth.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .store import OrgStore

if TYPE_CHECKING:
    from .org import SalesforceOrg

ACTIVITY_FILE = "activity.jsonl"
# (kind, object, count, options), applied in this order
PLAN: tuple[tuple[str, str, int, dict], ...] = (
    ("update", "Account", 20, {}),
    ("update", "Contact", 40, {}),
    ("update", "Lead", 30, {}),
    ("update", "Opportunity", 30, {}),
    ("update", "Case", 30, {}),
    ("update", "Task", 40, {}),
    ("update", "Invoice__c", 20, {}),
    ("update", "Shipment__c", 20, {}),
    ("update", "Subscription__c", 15, {}),
    ("soft_delete", "Account", 2, {}),
    ("soft_delete", "Contact", 5, {}),
    ("soft_delete", "Lead", 4, {}),
    ("soft_delete", "Opportunity", 4, {}),
    ("soft_delete", "Case", 4, {}),
    ("soft_delete", "Task", 8, {}),
    ("soft_delete", "Invoice__c", 5, {}),
    ("merge", "Account", 2, {}),
    ("merge", "Contact", 3, {}),
    ("hard_delete", "Lead", 2, {"live": True}),
    ("hard_delete", "Task", 3, {"live": True}),
    ("formula_recalc", "Invoice__c", 10, {"field": "Total_Value__c"}),
    ("late_commit", "Opportunity", 5, {"lag_seconds": 300}),
)
CALL_BASE = 1_000_000  # call numbers n * CALL_BASE + i stay clear of the per-process counter of org.mutate


def enabled(options) -> bool:
    return str((options or {}).get("restart_activity", "false")).strip().lower() in ("true", "1", "yes")


def apply(org: SalesforceOrg) -> list[dict]:
    """Apply ``PLAN`` for the next restart number and append it to ``activity.jsonl``; returns the lines."""
    with org.store.write() as cur:
        (restart,) = cur.execute(
            "SELECT coalesce(max(CAST(value AS INTEGER)), 0) + 1 FROM meta.settings WHERE key = 'restart_count'"
        ).fetchone()
        OrgStore.put_settings(cur, {"restart_count": str(restart)})
    lines = []
    for index, (kind, object_name, count, options) in enumerate(PLAN):
        org_time = org.clock.now().isoformat() + "Z"
        result = org.mutations.apply_as_call(restart * CALL_BASE + index, object_name, kind, count, **options)
        lines.append({"restart": restart, "org_time": org_time, **result})
    with (org.state_dir / ACTIVITY_FILE).open("a", encoding="utf-8") as activity:
        for line in lines:
            activity.write(json.dumps(line, default=str) + "\n")
    return lines
