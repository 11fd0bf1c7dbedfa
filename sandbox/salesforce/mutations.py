"""Changes to the org as users and system processes make them, on the org clock (``org.mutate(...)``).

=================  ===============================================================================================
``update``         N live rows get a new value in a text field (``field=``, default Description or the first
                   plain updateable text field); LastModifiedDate and SystemModstamp = now
``soft_delete``    N live rows: IsDeleted = true, SystemModstamp = now (Recycle Bin: query hides them, queryAll
                   and getDeleted show them), with Salesforce's cascade (``deletion.py``: an Account's Contacts,
                   Opportunities, Cases; Tasks of deleted Accounts/Contacts/Leads/Opportunities/Cases); the result's
                   ``cascade`` lists the other ids deleted, per object
``hard_delete``    N rows (live or in the bin; ``live=True``: live ones only) are purged, with the same cascade
``merge``          N losers are deleted with MasterRecordId = a winner (one winner per up to 3 losers) after their
                   related records are re-parented to the winner (``reparented``: ids per object, stamped now);
                   the winners' SystemModstamp is bumped too. Objects with a MasterRecordId field only
``formula_recalc`` a calculated field (describe ``calculated: true``; ``field=`` to choose) changes on N rows while
                   SystemModstamp stays (booleans flip, numbers + 1, text gets a suffix)
``late_commit``    N live rows are updated with LastModifiedDate = SystemModstamp = now - ``lag_seconds``
                   (default 300): a transaction committing late, older than rows already served; with
                   ``new_rows=True`` N new records appear instead (copies under new Ids, created at that time)
``tie``            N live rows are updated with one identical SystemModstamp: ``at=`` (ISO datetime), else the
                   newest SystemModstamp already in the object (so they tie with the last row a cursor saw)
=================  ===============================================================================================

Rows are picked deterministically (a hash of the Id and a per-org call counter), so repeated calls pick other rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import TYPE_CHECKING

from . import deletion, ids
from .schema import FieldDef, ObjectDef, get_object
from .store import OrgStore, quote

if TYPE_CHECKING:
    from .org import SalesforceOrg

KINDS = ("update", "soft_delete", "hard_delete", "merge", "formula_recalc", "late_commit", "tie")
MUTATION_USER = "005000000000002AAA"  # a "system" user id for changes made by the org itself
LOSERS_PER_WINNER = 3


def _ts(value: dt.datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def calculated_fields(obj: ObjectDef) -> list[FieldDef]:
    """Fields describe reports as ``calculated`` (see describe.py)."""
    return [f for f in obj.stored_fields if f.derived_sql is not None and f.name not in ("Name", "ClosedDate")]


def _text_field(obj: ObjectDef, name: str | None) -> FieldDef:
    if name:
        f = obj.field(name)
        if f is None or not f.stored:
            raise ValueError(f"no field {name!r} on {obj.name}")
        return f
    candidates = [
        f for f in obj.stored_fields
        if f.type in ("string", "textarea") and f.updateable and f.createable and not f.external_id
        and not f.unique and f.derived_sql is None and not f.auto_number and f.name not in ("FirstName", "LastName")
    ]
    preferred = [f for f in candidates if f.name == "Description"]
    if not (preferred or candidates):
        raise ValueError(f"{obj.name} has no plain text field to update; pass field=")
    return (preferred or candidates)[0]


class Mutations:
    def __init__(self, org: SalesforceOrg):
        self._org = org
        self._calls = itertools.count(1)
        self._lock = threading.Lock()

    def apply(self, object_name: str, kind: str, count: int = 1, **options) -> dict:
        with self._lock:
            call = next(self._calls)
        return self.apply_as_call(call, object_name, kind, count, **options)

    def apply_as_call(self, call: int, object_name: str, kind: str, count: int = 1, **options) -> dict:
        """``apply`` with the call number that salts the pick given (the same number picks the same rows of the
        same org state)."""
        obj = get_object(object_name)
        if obj is None:
            raise KeyError(f"unknown object {object_name!r}")
        if kind not in KINDS:
            raise ValueError(f"unknown mutation kind {kind!r}; one of {', '.join(KINDS)}")
        if count < 0:
            raise ValueError("count must be >= 0")
        now = self._org.clock.now()
        with self._org.store.write() as cur:
            result = getattr(self, f"_{kind}")(cur, obj, int(count), call, now, **options)
        return {"object": obj.name, "kind": kind, **result}

    # --- helpers ----------------------------------------------------------------------------------------------

    def _pick(self, cur, obj: ObjectDef, count: int, call: int, *, live: bool = True) -> list[str]:
        condition = 'WHERE NOT "IsDeleted"' if live and obj.has_soft_delete else ""
        rows = cur.execute(
            f'SELECT "Id" FROM {quote(obj.name)} {condition} ORDER BY hash("Id" || \'#{call}\'), "Id" LIMIT {count}'
        ).fetchall()
        return [row[0] for row in rows]

    @staticmethod
    def _in(ids: list[str]) -> str:
        return "(" + ", ".join("'" + i.replace("'", "''") + "'" for i in ids) + ")"

    def _touch(self, cur, obj: ObjectDef, ids: list[str], at: dt.datetime, extra: str = "") -> None:
        if not ids:
            return
        cur.execute(
            f'UPDATE {quote(obj.name)} SET {extra}"LastModifiedDate" = {_ts(at)}, "SystemModstamp" = {_ts(at)}, '
            f"\"LastModifiedById\" = '{MUTATION_USER}' WHERE \"Id\" IN {self._in(ids)}"
        )

    def _text_update(self, cur, obj: ObjectDef, ids: list[str], at: dt.datetime, call: int, field: str | None):
        f = _text_field(obj, field)
        stamp = at.strftime("%Y%m%dT%H%M%S")
        value = f"'mutation {call} at {stamp}'"
        limit = f.length or 255
        self._touch(cur, obj, ids, at, f"{quote(f.name)} = left({value}, {limit}), ")
        return f.name

    # --- kinds ------------------------------------------------------------------------------------------------

    def _update(self, cur, obj, count, call, now, field: str | None = None):
        ids = self._pick(cur, obj, count, call)
        name = self._text_update(cur, obj, ids, now, call, field)
        return {"ids": ids, "field": name, "system_modstamp": now.isoformat() + "Z"}

    def _soft_delete(self, cur, obj, count, call, now):
        if not obj.has_soft_delete:
            raise ValueError(f"{obj.name} has no IsDeleted field")
        ids = self._pick(cur, obj, count, call)
        deleted = deletion.soft_delete(cur, obj, deletion.ids_sql(ids, _ts(now)), MUTATION_USER)
        return {"ids": deleted.pop(obj.name), "cascade": deleted, "system_modstamp": now.isoformat() + "Z"}

    def _hard_delete(self, cur, obj, count, call, now, live: bool = False):
        ids = self._pick(cur, obj, count, call, live=bool(live))
        purged = deletion.hard_delete(cur, obj, deletion.ids_sql(ids, _ts(now)))
        return {"ids": purged.pop(obj.name), "cascade": purged}

    def _merge(self, cur, obj, count, call, now):
        if obj.field("MasterRecordId") is None:
            raise ValueError(f"{obj.name} cannot be merged (no MasterRecordId field)")
        winners_needed = -(-count // LOSERS_PER_WINNER)
        picked = self._pick(cur, obj, count + winners_needed, call)
        winners, losers = picked[:winners_needed], picked[winners_needed:]
        merges: dict[str, list[str]] = {}
        for index, loser in enumerate(losers):
            merges.setdefault(winners[index // LOSERS_PER_WINNER], []).append(loser)
        pairs = ", ".join(f"('{loser}', '{winner}')" for winner, group in merges.items() for loser in group)
        reparented = deletion.merge(
            cur, obj, f"SELECT loser, winner, {_ts(now)} AS stamp FROM (VALUES {pairs or '(NULL, NULL)'}) v(loser, winner) "
                      "WHERE loser IS NOT NULL", MUTATION_USER,
        ) if losers else {}
        return {"ids": losers, "merges": merges, "reparented": reparented, "system_modstamp": now.isoformat() + "Z"}

    def _formula_recalc(self, cur, obj, count, call, now, field: str | None = None):
        fields = calculated_fields(obj)
        if field:
            fields = [f for f in fields if f.name.lower() == field.lower()]
        if not fields:
            raise ValueError(f"{obj.name} has no calculated (formula) field" + (f" named {field}" if field else ""))
        f = fields[0]
        column = quote(f.name)
        if f.type == "boolean":
            new = f"NOT coalesce({column}, false)"
        elif f.sql_type in ("DOUBLE", "INTEGER", "BIGINT"):
            new = f"coalesce({column}, 0) + 1"
        elif f.sql_type == "VARCHAR":
            new = f"coalesce({column}, '') || '*'"
        else:
            raise ValueError(f"cannot recalculate {obj.name}.{f.name} of type {f.type}")
        ids = self._pick(cur, obj, count, call)
        if ids:
            cur.execute(f'UPDATE {quote(obj.name)} SET {column} = {new} WHERE "Id" IN {self._in(ids)}')
        return {"ids": ids, "field": f.name}

    def _late_commit(self, cur, obj, count, call, now, lag_seconds: float = 300, field: str | None = None,
                     new_rows: bool = False):
        at = now - dt.timedelta(seconds=float(lag_seconds))
        if new_rows:  # records that appear only now, stamped behind rows already served
            ids = self._insert_copies(cur, obj, self._pick(cur, obj, count, call), at)
            return {"ids": ids, "created": True, "system_modstamp": at.isoformat() + "Z"}
        ids = self._pick(cur, obj, count, call)
        name = self._text_update(cur, obj, ids, at, call, field)
        return {"ids": ids, "field": name, "system_modstamp": at.isoformat() + "Z"}

    def _insert_copies(self, cur, obj: ObjectDef, source_ids: list[str], at: dt.datetime) -> list[str]:
        """Insert a copy of each source record under a new Id, created and last modified at ``at``.

        Ids and auto numbers come from the same sequences the write path uses; unique fields (external ids) are
        left empty so they stay unique.
        """
        if not source_ids:
            return []
        first = OrgStore.reserve_sequence(cur, obj.key_prefix, len(source_ids))
        new_ids = [ids.make_id(obj.key_prefix, first + n) for n in range(len(source_ids))]
        numbered = ", ".join(f"({n}, '{old}', '{new}')" for n, (old, new) in enumerate(zip(source_ids, new_ids)))
        values = []
        for f in obj.stored_fields:
            if f.name == "Id":
                values.append('new."Id"')
            elif f.name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
                values.append(_ts(at))
            elif f.auto_number:
                start = OrgStore.reserve_sequence(cur, f"{obj.name}.{f.name}", len(source_ids))
                values.append(f"lpad(CAST({start} + new.n AS VARCHAR), 8, '0')")
            elif f.unique:
                values.append("NULL")
            else:
                values.append(f"src.{quote(f.name)}")
        columns = ", ".join(quote(f.name) for f in obj.stored_fields)
        cur.execute(
            f"INSERT INTO {quote(obj.name)} ({columns}) SELECT {', '.join(values)} FROM {quote(obj.name)} src "
            f'JOIN (VALUES {numbered}) new(n, "Source", "Id") ON src."Id" = new."Source" ORDER BY new.n'
        )
        return new_ids

    def _tie(self, cur, obj, count, call, now, at: str | None = None, field: str | None = None):
        if at:
            moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        else:
            (moment,) = cur.execute(f'SELECT max("SystemModstamp") FROM {quote(obj.name)}').fetchone()
            moment = moment or now
        moment = moment.replace(microsecond=0)
        ids = self._pick(cur, obj, count, call)
        name = self._text_update(cur, obj, ids, moment, call, field)
        return {"ids": ids, "field": name, "system_modstamp": moment.isoformat() + "Z"}
