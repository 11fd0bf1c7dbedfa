"""Deletes and merges with Salesforce's side effects, set-based, inside a write transaction.

What the org models (Salesforce Help, "Delete Accounts", "Merge Duplicate Accounts/Contacts/Leads", and the
Recycle Bin rules):

- **Deleting an Account** also deletes its Contacts, Opportunities and Cases (``AccountId``), with the account's
  deletion time as their SystemModstamp. Child accounts (``ParentId``) are not deleted.
- **Deleting an Account, Contact, Lead, Opportunity or Case** (directly or by that cascade) deletes the Tasks whose
  ``WhoId`` or ``WhatId`` names it, at the same time.
- Soft deletes (``IsDeleted = true``, LastModifiedDate = SystemModstamp = the deletion time) touch live records only:
  a record already in the Recycle Bin keeps its own deletion stamp. Hard deletes purge the records and the same
  cascade, whether live or in the bin (they disappear from queryAll and getDeleted).
- **Merging** (Account, Contact, Lead, Case: the objects with ``MasterRecordId``) re-parents the losers' live related
  records to the winner first, stamping them (LastModifiedDate = SystemModstamp = the merge time): an Account's
  Contacts, Opportunities, Cases (``AccountId``), Tasks (``WhatId``) and child Accounts (``ParentId``); a Contact's
  Tasks (``WhoId``) and Cases (``ContactId``); a Lead's Tasks (``WhoId``); a Case's Tasks (``WhatId``). Then the losers
  are deleted with ``MasterRecordId`` = winner (nothing left to cascade) and the winners' stamps are bumped.
- Not modelled: lookups to a deleted record being cleared (e.g. a child account's ``ParentId``, custom lookups), the
  15-day purge of the bin, undelete, and cascades on custom objects (their relationships are lookups, which do not
  cascade).

Each function takes SQL selecting the records to act on with a timestamp per record, so seeding can give every
deletion its own time, and returns the ids affected per object.
"""

from __future__ import annotations

import itertools

import duckdb

from .schema import ObjectDef, get_object
from .store import quote

CASCADE_CHILDREN = {"Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId"))}
ACTIVITY_PARENTS = ("Account", "Contact", "Lead", "Opportunity", "Case")
ACTIVITY_FIELDS = ("WhoId", "WhatId")
REPARENT_ON_MERGE = {
    "Account": (("Contact", "AccountId"), ("Opportunity", "AccountId"), ("Case", "AccountId"), ("Task", "WhatId"),
                ("Account", "ParentId")),
    "Contact": (("Task", "WhoId"), ("Case", "ContactId")),
    "Lead": (("Task", "WhoId"),),
    "Case": (("Task", "WhatId"),),
}

_numbers = itertools.count(1)


def _temp(name: str) -> str:
    return f'"__deletion_{next(_numbers)}_{name}"'


def _stamp(at: str, user: str) -> str:
    return f"\"LastModifiedDate\" = {at}, \"SystemModstamp\" = {at}, \"LastModifiedById\" = '{user}'"


def _ids(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in cur.execute(f'SELECT "Id" FROM {table} ORDER BY "Id"').fetchall()]


def ids_sql(ids: list[str], at_sql: str) -> str:
    """SQL selecting ``"Id", stamp`` for a list of ids and one timestamp expression."""
    values = ", ".join("('" + i.replace("'", "''") + "')" for i in ids) or "(NULL)"
    return f'SELECT v."Id", {at_sql} AS stamp FROM (VALUES {values}) v("Id") WHERE v."Id" IS NOT NULL'


def _plan(cur, obj: ObjectDef, source_sql: str, live_only: bool) -> dict[str, str]:
    """Temp tables ``("Id", stamp)`` per object: the records themselves and everything that goes with them."""
    live = 'AND NOT t."IsDeleted"' if live_only else ""
    tables = {obj.name: _temp(obj.name)}
    cur.execute(
        f'CREATE TEMP TABLE {tables[obj.name]} AS SELECT s."Id", max(s.stamp) AS stamp FROM ({source_sql}) s '
        f'JOIN {quote(obj.name)} t ON t."Id" = s."Id" WHERE true {live} GROUP BY s."Id"'
    )
    for child, field in CASCADE_CHILDREN.get(obj.name, ()):
        tables[child] = _temp(child)
        cur.execute(
            f'CREATE TEMP TABLE {tables[child]} AS SELECT t."Id", max(p.stamp) AS stamp FROM {quote(child)} t '
            f'JOIN {tables[obj.name]} p ON t.{quote(field)} = p."Id" WHERE true {live} GROUP BY t."Id"'
        )
    parents = [tables[name] for name in ACTIVITY_PARENTS if name in tables]
    if parents and get_object("Task") is not None:
        union = " UNION ALL ".join(f'SELECT "Id", stamp FROM {table}' for table in parents)
        joined = " UNION ALL ".join(
            f'SELECT t."Id", p.stamp FROM "Task" t JOIN ({union}) p ON t.{quote(field)} = p."Id" WHERE true {live}'
            for field in ACTIVITY_FIELDS
        )
        if "Task" in tables:
            joined += f' UNION ALL SELECT "Id", stamp FROM {tables["Task"]}'
        task_table = _temp("Task")
        cur.execute(f'CREATE TEMP TABLE {task_table} AS SELECT "Id", max(stamp) AS stamp FROM ({joined}) GROUP BY "Id"')
        tables["Task"] = task_table
    return tables


def _finish(cur, tables: dict[str, str], primary: str) -> dict[str, list[str]]:
    affected = {name: _ids(cur, table) for name, table in tables.items()}
    for table in tables.values():
        cur.execute(f"DROP TABLE {table}")
    return {name: found for name, found in affected.items() if found or name == primary}


def soft_delete(cur: duckdb.DuckDBPyConnection, obj: ObjectDef, source_sql: str, user: str) -> dict[str, list[str]]:
    """Move the live records ``source_sql`` selects (``"Id", stamp``) to the Recycle Bin with their cascade; returns
    the ids deleted per object (the object itself first)."""
    if not obj.has_soft_delete:
        raise ValueError(f"{obj.name} has no IsDeleted field")
    tables = _plan(cur, obj, source_sql, live_only=True)
    for name, table in tables.items():
        cur.execute(
            f'UPDATE {quote(name)} SET "IsDeleted" = true, {_stamp("d.stamp", user)} FROM {table} d '
            f'WHERE {quote(name)}."Id" = d."Id"'
        )
    return _finish(cur, tables, obj.name)


def hard_delete(cur: duckdb.DuckDBPyConnection, obj: ObjectDef, source_sql: str) -> dict[str, list[str]]:
    """Purge the records ``source_sql`` selects (live or in the bin) and their cascade; returns the ids per object."""
    tables = _plan(cur, obj, source_sql, live_only=False)
    for name, table in tables.items():
        cur.execute(f'DELETE FROM {quote(name)} WHERE "Id" IN (SELECT "Id" FROM {table})')
    return _finish(cur, tables, obj.name)


def merge(cur: duckdb.DuckDBPyConnection, obj: ObjectDef, source_sql: str, user: str) -> dict[str, list[str]]:
    """Merge: ``source_sql`` selects ``loser, winner, stamp``. Returns the ids re-parented per object."""
    if obj.field("MasterRecordId") is None:
        raise ValueError(f"{obj.name} cannot be merged (no MasterRecordId field)")
    merges = _temp("merge")
    cur.execute(f"CREATE TEMP TABLE {merges} AS SELECT loser, winner, stamp FROM ({source_sql})")
    reparented: dict[str, list[str]] = {}
    for child, field in REPARENT_ON_MERGE.get(obj.name, ()):
        target = quote(child)
        condition = (f'{target}.{quote(field)} = m.loser AND NOT {target}."IsDeleted" AND {target}."Id" <> m.winner')
        found = [row[0] for row in cur.execute(
            f'SELECT {target}."Id" FROM {target} JOIN {merges} m ON {condition} ORDER BY 1').fetchall()]
        if found:
            cur.execute(f'UPDATE {target} SET {quote(field)} = m.winner, {_stamp("m.stamp", user)} '
                        f"FROM {merges} m WHERE {condition}")
            reparented.setdefault(child, []).extend(found)
    table = quote(obj.name)
    cur.execute(f'UPDATE {table} SET "IsDeleted" = true, "MasterRecordId" = m.winner, {_stamp("m.stamp", user)} '
                f'FROM {merges} m WHERE {table}."Id" = m.loser')
    cur.execute(f'UPDATE {table} SET {_stamp("w.stamp", user)} FROM (SELECT winner, max(stamp) AS stamp '
                f'FROM {merges} GROUP BY winner) w WHERE {table}."Id" = w.winner')
    cur.execute(f"DROP TABLE {merges}")
    return reparented
