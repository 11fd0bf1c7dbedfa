"""The Recycle Bin and merged records a new org ships with, so a first full extraction (Bulk ``queryAll``) meets
them. Deterministic in the seed number; option ``recycle_bin=false`` leaves them out.

After the seeded history (which ends by ``SEED_END`` + 1 h), starting at ``BIN_START``:
1. merges: about 0.5% (at least 2) of the Accounts, Contacts and Leads are merge losers (up to 3 per winner), through
   ``deletion.merge`` (their related records are re-parented to the winner first);
2. soft deletes: about 1% (at least 3) of the live records of each standard object with IsDeleted (Account, Contact,
   Opportunity, Case, Lead, Task, in that order) and of ``CUSTOM_OBJECTS``, through ``deletion.soft_delete`` (so an
   Account takes its Contacts, Opportunities, Cases and their Tasks with it, at the same SystemModstamp).
Each step has its own base time (6 h apart); records within a step are ``RECORD_SPACING`` apart.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from . import deletion, ids
from .schema import get_object
from .store import quote

SEED_END = dt.datetime(2025, 6, 1)
BIN_START = SEED_END + dt.timedelta(hours=2)
STEP = dt.timedelta(hours=6)
RECORD_SPACING_SECONDS = 61
DELETED_SHARE = 0.01
MIN_DELETED = 3
MERGED_SHARE = 0.005
MIN_MERGED = 2
LOSERS_PER_WINNER = 3
MERGED_OBJECTS = ("Account", "Contact", "Lead")
STANDARD_OBJECTS = ("Account", "Contact", "Opportunity", "Case", "Lead", "Task")
CUSTOM_OBJECTS = ("Invoice__c", "Shipment__c", "Subscription__c", "Invoice_Line__c", "Payment_History__c")
DELETING_USER = ids.make_id("005", 2)


def _ts(value: dt.datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _live(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    return cur.execute(f'SELECT count(*) FROM {quote(name)} WHERE NOT "IsDeleted"').fetchone()[0]


def _ranked(name: str, seed: int, salt: str) -> str:
    """Live records of ``name`` numbered from 0 in a deterministic pseudo-random order."""
    return (f'SELECT "Id", row_number() OVER (ORDER BY hash({int(seed)}, \'{salt}\', "Id"), "Id") - 1 AS k '
            f'FROM {quote(name)} WHERE NOT "IsDeleted"')


def seed_recycle_bin(cur: duckdb.DuckDBPyConnection, seed: int, counts: dict[str, int]) -> dict[str, dict]:
    """Merge and delete as described above; returns per object the losers merged and the ids deleted (cascades
    included), e.g. ``{"Account": {"merged": 3, "deleted": 9}, ...}``."""
    summary: dict[str, dict] = {}
    step = 0
    for name in MERGED_OBJECTS:
        obj = get_object(name)
        losers = max(MIN_MERGED, round(counts.get(name, 0) * MERGED_SHARE))
        winners = -(-losers // LOSERS_PER_WINNER)
        if _live(cur, name) < losers + winners:
            continue
        base = BIN_START + step * STEP
        step += 1
        deletion.merge(cur, obj, (
            f"SELECT l.\"Id\" AS loser, w.\"Id\" AS winner, "
            f"{_ts(base)} + to_seconds((l.k - {winners}) * {RECORD_SPACING_SECONDS}) AS stamp "
            f"FROM ({_ranked(name, seed, 'merge')}) l JOIN ({_ranked(name, seed, 'merge')}) w "
            f"ON w.k = (l.k - {winners}) // {LOSERS_PER_WINNER} WHERE l.k >= {winners} AND l.k < {winners + losers}"
        ), DELETING_USER)
        summary.setdefault(name, {})["merged"] = losers
    for name in STANDARD_OBJECTS + CUSTOM_OBJECTS:
        obj = get_object(name)
        wanted = min(_live(cur, name), max(MIN_DELETED, round(counts.get(name, 0) * DELETED_SHARE)))
        if wanted <= 0:
            continue
        base = BIN_START + step * STEP
        step += 1
        deleted = deletion.soft_delete(cur, obj, (
            f"SELECT \"Id\", {_ts(base)} + to_seconds(k * {RECORD_SPACING_SECONDS}) AS stamp "
            f"FROM ({_ranked(name, seed, 'bin')}) WHERE k < {wanted}"
        ), DELETING_USER)
        for deleted_name, found in deleted.items():
            entry = summary.setdefault(deleted_name, {})
            entry["deleted"] = entry.get("deleted", 0) + len(found)
    return summary
