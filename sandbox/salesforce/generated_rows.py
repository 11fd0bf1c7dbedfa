"""Rows of the generated objects (custom and benchmark), made by one set-based ``INSERT ... SELECT`` over
``range()`` per object: no Python per row, no joins.

Every value is a cheap function of ``hash(seed, row number, field salt)`` (DuckDB's ``hash``; the salt is a CRC of
the object and field names), so the same seed number and row counts give the same rows. Lookups are ids computed
from the target object's row count (``ids.lookup_id_expr(prefix, 1 + h % n)``), so objects can be generated in any
order and each one alone (e.g. a 10M-row benchmark object). Formula fields are computed from the row's other fields
with the same ``derived_sql`` the org uses to recompute them on writes.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from . import ids
from .schema import FieldDef, ObjectDef, get_object
from .store import quote

SEED_END_SQL = "TIMESTAMP '2025-06-01 00:00:00'"
SEED_END_EPOCH_MS = 1748736000000  # 2025-06-01T00:00:00Z
SPAN_MS = 3 * 365 * 86400 * 1000
MAX_OWNER_USERS = 200
MAX_SEQUENCE = 62 ** 5  # ids.lookup_id_sql's range

WORDS = (
    "Alpha", "Bravo", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
    "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz", "Raven", "Summit", "Tundra", "Umber", "Vertex",
    "Willow", "Xenon", "Yarrow", "Zephyr", "Zürich", "São Paulo", "東京", "O'Brien", "Smith, Jones", '"Quoted"',
)
NOTES = (
    "Checked on site.", 'Customer said "ship it", confirm date.', "Line one\nLine two, with a comma",
    "Grüße — 東京 office 🚀", "Budget: $50,000; decision in \"Q4\"", "Follow up next week",
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def salt(obj: ObjectDef, f: FieldDef) -> int:
    return zlib.crc32(f"{obj.name}.{f.name}".encode()) & 0x7FFFFFFF


class RowGenerator:
    """SQL for the rows of generated objects, given the seed number and every object's row count."""

    def __init__(self, seed: int, counts: Mapping[str, int]):
        self.seed = int(seed)
        self.counts = dict(counts)
        users = max(1, min(self.counts.get("User", 1), MAX_OWNER_USERS))
        self.owner_count = users
        self.user_ids = _list([ids.make_id("005", n) for n in range(1, users + 1)])

    def _hash(self, obj: ObjectDef, f: FieldDef) -> str:
        return f"__h{salt(obj, f)}"  # a column of the innermost SELECT (see insert_sql)

    def prepare(self, cur) -> None:
        """Create the temp helpers ``insert_sql`` statements use, on the cursor that runs them: ``__id_lookup``
        (``ids.lookup_id_sql``) and ``__owner_ids``, the users that own and edit generated records. Lists read from
        a column keep the statements quick to plan (a list literal in an expression costs ms per use)."""
        for statement in ids.lookup_id_sql():
            cur.execute(statement)
        cur.execute(f"CREATE OR REPLACE TEMP TABLE __owner_ids AS SELECT {self.user_ids} AS ids")

    def insert_sql(self, obj: ObjectDef, count: int, first: int = 1) -> str:
        """``INSERT`` of rows with sequence numbers ``first .. first + count - 1``."""
        stored = obj.stored_fields
        base = [f for f in stored if not f.derived_sql]
        derived = [f for f in stored if f.derived_sql]
        if int(first) + int(count) > MAX_SEQUENCE:
            raise ValueError(f"{obj.name}: at most {MAX_SEQUENCE - 1} rows")
        inner = ", ".join(f"{self.value_sql(obj, f)} AS {quote(f.name)}" for f in base)
        outer = ", ".join([quote(f.name) for f in base] + [f.derived_sql.replace("{now}", SEED_END_SQL)
                                                          for f in derived])
        columns = ", ".join(quote(f.name) for f in base + derived)
        # each hash is computed once, as a column, and referenced by name: smaller expressions bind much faster
        salts = sorted({3, 7} | {salt(obj, f) for f in base})
        hashes = ", ".join(f"hash({self.seed}, i, {k}) AS __h{k}" for k in salts)
        return (
            f"INSERT INTO {quote(obj.name)} ({columns}) SELECT {outer} FROM ("
            f"SELECT {inner} FROM (SELECT i, {hashes} FROM range({int(first)}, {int(first) + int(count)}) r(i)), "
            "__id_lookup __idl, __owner_ids __own)"
        )

    def value_sql(self, obj: ObjectDef, f: FieldDef) -> str:
        h = self._hash(obj, f)
        name = f.name
        if name == "Id":
            return ids.lookup_id_expr(obj.key_prefix, "i")
        if name == "IsDeleted":
            return "false"
        if name in ("OwnerId", "CreatedById", "LastModifiedById"):
            return f"__own.ids[1 + CAST({h} % {self.owner_count} AS INTEGER)]"
        if name == "CreatedDate":
            return self._created_ms_sql(obj).join(("make_timestamp_ms(", ")"))
        if name in ("LastModifiedDate", "SystemModstamp"):
            # between created and the end of the span; both fields equal (a hash of the created time's salt)
            created = self._created_ms_sql(obj)
            return (f"make_timestamp_ms({created} + CAST(__h7 % "
                    f"({SEED_END_EPOCH_MS} - {created} + 1) AS BIGINT) // 1000 * 1000)")
        if f.auto_number:
            return f"concat('{obj.key_prefix.upper()}-', lpad(CAST(i AS VARCHAR), 7, '0'))"
        if f.name_field:
            return f"concat({_literal(obj.label)}, ' ', CAST(i AS VARCHAR))"
        if f.external_id:
            return f"concat('EXT-{obj.key_prefix}-', lpad(CAST(i AS VARCHAR), 9, '0'))"
        value = self._typed_sql(f, h)
        if f.nillable and f.type != "boolean":
            # about one value in eight is null, decided by other bits of the same hash
            return f"CASE WHEN ({h} >> 40) % 8 = 0 THEN NULL ELSE {value} END"
        return value

    def _created_ms_sql(self, obj: ObjectDef) -> str:
        return f"({SEED_END_EPOCH_MS - SPAN_MS} + CAST(__h3 % {SPAN_MS // 1000} AS BIGINT) * 1000)"

    def _typed_sql(self, f: FieldDef, h: str) -> str:
        t = f.type
        if t == "reference":
            target = get_object(f.reference_to[0])
            n = self.counts.get(target.name, 0) if target else 0
            if n <= 0:
                return "NULL"
            return ids.lookup_id_expr(target.key_prefix, f"(1 + {h} % {n})")
        if t == "picklist":
            return f"{_list(f.picklist_values)}[1 + CAST({h} % {len(f.picklist_values)} AS INTEGER)]"
        if t == "boolean":
            return f"({h} % 2 = 0)"
        if t in ("double", "currency"):
            return f"CAST({h} % 1000000 AS DOUBLE) / 100"
        if t == "percent":
            return f"CAST({h} % 10001 AS DOUBLE) / 100"
        if t == "int":
            return f"CAST({h} % 100000 AS INTEGER)"
        if t == "date":
            return f"CAST(DATE '2022-06-01' + CAST({h} % 1096 AS INTEGER) AS DATE)"
        if t == "datetime":
            return f"make_timestamp_ms({SEED_END_EPOCH_MS - SPAN_MS} + CAST({h} % {SPAN_MS // 1000} AS BIGINT) * 1000)"
        if t == "email":
            return f"concat('user', CAST({h} % 1000000 AS VARCHAR), '@example.com')"
        if t == "phone":
            return f"concat('+1 (555) ', lpad(CAST({h} % 10000000 AS VARCHAR), 7, '0'))"
        if t == "url":
            return f"concat('https://example.com/r/', CAST({h} % 1000000 AS VARCHAR))"
        if t == "textarea":
            return f"{_list(NOTES)}[1 + CAST({h} % {len(NOTES)} AS INTEGER)]"
        # string
        return (f"concat({_list(WORDS)}[1 + CAST({h} % {len(WORDS)} AS INTEGER)], ' ', "
                f"CAST(({h} >> 20) % 10000 AS VARCHAR))")
