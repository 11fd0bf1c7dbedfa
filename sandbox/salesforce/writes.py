"""Set-based record writes (insert, update, upsert, delete, hardDelete) shared by Bulk API 2.0 ingest and REST.

Input rows sit in a staging table of raw text columns (``__row`` = input position, ``c0..cN`` = the uploaded
columns). One SQL pass types and checks every row, the failing ones get Salesforce's row error, and the rest are
applied in the same transaction, bumping the audit fields. Raw text follows Bulk CSV rules: empty leaves a field
unchanged (default/null on create) and ``#N/A`` sets it to null.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from . import deletion
from .access import UNRESTRICTED, OrgAccess
from .errors import SalesforceError
from .schema import FieldDef, ObjectDef, get_object
from .store import OrgStore, quote

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
NULL_MARKER = "#N/A"


@dataclass(frozen=True)
class RowError:
    code: str
    message: str
    fields: tuple[str, ...]

    def bulk_text(self) -> str:
        """The ``sf__Error`` form: ``CODE:message:fields --`` (``CODE:message:--`` without fields)."""
        return f"{self.code}:{self.message}:{' '.join([','.join(self.fields), '--']).strip()}"


@dataclass(frozen=True)
class RowResult:
    row: int
    record_id: str | None
    created: bool
    error: RowError | None


@dataclass(frozen=True)
class TargetColumn:
    """A staged column resolved against the object: a field, or a lookup through a parent's external id."""

    raw: str  # staging column name, c0..cN
    header: str
    field: FieldDef
    via_object: ObjectDef | None = None  # Account for "Account.Customer_Key__c"
    via_field: FieldDef | None = None


class BatchFailure(Exception):
    """A whole-upload failure (Bulk: the job becomes Failed with this message)."""


def resolve_columns(obj: ObjectDef, headers: list[str], access: OrgAccess | None = None) -> list[TargetColumn]:
    """The staged columns as fields of ``obj`` as the user sees it (hidden fields do not exist)."""
    access = access or UNRESTRICTED
    columns, seen = [], set()
    for index, header in enumerate(headers):
        name = header.strip()
        if name.lower() in seen:
            raise BatchFailure(f"InvalidBatch : Duplicate field name: {name}")
        seen.add(name.lower())
        raw = f"c{index}"
        if "." in name:
            relationship, _, parent_field_name = name.partition(".")
            reference = access.relationship(obj, relationship)
            parent = (access.object(reference.reference_to[0])
                      if reference and len(reference.reference_to) == 1 else None)
            parent_field = access.field(parent, parent_field_name) if parent else None
            if parent_field is None or not (parent_field.external_id or parent_field.name == "Id"):
                raise BatchFailure(f"InvalidBatch : Unable to find relationship: {name}")
            columns.append(TargetColumn(raw, header, reference, parent, parent_field))
            continue
        f = access.field(obj, name)
        if f is None or not f.stored:
            raise BatchFailure(f"InvalidBatch : Field name not found : {name}")
        columns.append(TargetColumn(raw, header, f))
    return columns


def validate_external_id_field(obj: ObjectDef, name: str | None, access: OrgAccess | None = None) -> FieldDef:
    f = (access or UNRESTRICTED).field(obj, name or "")
    if f is None or not (f.name == "Id" or f.external_id):
        raise SalesforceError(
            400, "INVALIDJOB",
            f"InvalidJob : Field name provided, {name} does not match an External ID, Salesforce Id, or indexed "
            f"field for {obj.name}",
        )
    return f


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed_sql(f: FieldDef, raw: str) -> str:
    """SQL converting the raw text column to the stored type; NULL when it does not convert."""
    if f.type == "boolean":
        return f"CASE lower(trim({raw})) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END"
    if f.type == "int":
        return f"TRY_CAST(CASE WHEN TRY_CAST({raw} AS DOUBLE) = round(TRY_CAST({raw} AS DOUBLE)) THEN TRY_CAST({raw} AS DOUBLE) END AS INTEGER)"
    if f.type in ("double", "currency", "percent"):
        return f"TRY_CAST({raw} AS DOUBLE)"
    if f.type == "date":
        return f"TRY_CAST(left(trim({raw}), 10) AS DATE)"
    if f.type == "datetime":
        return f"CAST(timezone('UTC', TRY_CAST(trim({raw}) AS TIMESTAMPTZ)) AS TIMESTAMP)"
    if f.type in ("id", "reference"):
        return f"sf_normalize_id(trim({raw}))"
    return raw


def _type_name(f: FieldDef) -> str:
    return {"int": "integer", "currency": "double", "percent": "double", "datetime": "dateTime",
            "reference": "id"}.get(f.type, f.type)


class WriteBatch:
    """One write of staged rows into one object, checked and applied set-wise inside a write transaction."""

    def __init__(
        self, cur: duckdb.DuckDBPyConnection, stage_table: str, obj: ObjectDef, operation: str,
        columns: list[TargetColumn], external_id: FieldDef | None, now: dt.datetime, user_id: str,
        locked_rows: list[int] | None = None,
    ):
        self.locked_rows = list(locked_rows or [])  # input rows failing with UNABLE_TO_LOCK_ROW (injected fault)
        self.cur = cur
        self.stage_table = stage_table
        self.obj = obj
        self.operation = operation
        self.columns = columns
        self.external_id = external_id
        self.now_sql = f"TIMESTAMP '{now.isoformat(sep=' ')}'"
        self.user_id = user_id
        self.id_column = next((c for c in columns if c.field.name == "Id" and c.via_object is None), None)
        self.key_column = None
        if operation == "upsert" and external_id is not None and external_id.name != "Id":
            self.key_column = next(
                (c for c in columns if c.field.name == external_id.name and c.via_object is None), None
            )

    # -- resolution of the target record ------------------------------------------------------------------------

    def _given(self, column: TargetColumn) -> str:
        return f"(coalesce(s.{column.raw}, '') <> '')"

    def _target_sql(self) -> tuple[str, str, list[tuple[str, str, str, str]]]:
        """(SELECT items, JOINs, checks) deciding each row's action and record id."""
        table = quote(self.obj.name)
        deleted = 'm."IsDeleted"' if self.obj.has_soft_delete else "false"
        checks: list[tuple[str, str, str, str]] = []
        if self.operation == "insert":
            return "'insert' AS __action, CAST(NULL AS VARCHAR) AS __id", "", checks
        if self.key_column is not None or (self.operation == "upsert" and self.external_id.name != "Id"):
            key_name = self.external_id.name
            if self.key_column is None:
                checks.append(("true", "MISSING_ARGUMENT", _lit(f"{key_name} not specified"), "''"))
                return "'insert' AS __action, CAST(NULL AS VARCHAR) AS __id", "", checks
            raw = f"s.{self.key_column.raw}"
            checks += [
                (f"NOT {self._given(self.key_column)}", "MISSING_ARGUMENT", _lit(f"{key_name} not specified"), "''"),
                (f"count(*) OVER (PARTITION BY {raw}) > 1 AND {self._given(self.key_column)}", "DUPLICATE_VALUE",
                 f"'Duplicate external id specified: ' || {raw}", _lit(key_name)),
                ("k.matches > 1", "DUPLICATE_EXTERNAL_ID",
                 f"'{key_name}: more than one record found for external id field: ' || k.ids", _lit(key_name)),
            ]
            live = 'NOT "IsDeleted" AND ' if self.obj.has_soft_delete else ""
            join = (
                f'LEFT JOIN (SELECT {quote(key_name)} AS key, count(*) AS matches, min("Id") AS id, '
                f'CAST(list_sort(list("Id")) AS VARCHAR) AS ids FROM {table} '
                f"WHERE {live}{quote(key_name)} IS NOT NULL GROUP BY 1) k ON k.key = {raw}"
            )
            return (
                "CASE WHEN k.id IS NULL THEN 'insert' ELSE 'update' END AS __action, k.id AS __id", join, checks
            )
        # update / delete / hardDelete / upsert on Id: the Id column names the record
        verb = {"update": "update", "upsert": "upsert", "delete": "delete", "hardDelete": "delete"}[self.operation]
        if self.id_column is None:
            if self.operation == "upsert":
                return "'insert' AS __action, CAST(NULL AS VARCHAR) AS __id", "", checks
            checks.append(("true", "MISSING_ARGUMENT", _lit(f"Id not specified in an {verb} call"), "''"))
            return "'update' AS __action, CAST(NULL AS VARCHAR) AS __id", "", checks
        raw = f"s.{self.id_column.raw}"
        given = self._given(self.id_column)
        normalized = f"sf_normalize_id(trim({raw}))"
        prefix_ok = f"left({normalized}, 3) = '{self.obj.key_prefix}'"
        if self.operation != "upsert":
            checks.append((f"NOT {given}", "MISSING_ARGUMENT", _lit(f"Id not specified in an {verb} call"), "''"))
        checks += [
            (f"{given} AND ({normalized} IS NULL OR NOT {prefix_ok})", "MALFORMED_ID",
             f"'{self.obj.label} ID: id value of incorrect type: ' || {raw}", "'Id'"),
            (f"{given} AND m.\"Id\" IS NULL", "INVALID_CROSS_REFERENCE_KEY", "'invalid cross reference id'", "''"),
            (f"{given} AND {deleted} AND '{self.operation}' <> 'hardDelete'", "ENTITY_IS_DELETED",
             "'entity is deleted'", "''"),
            (f"{given} AND count(*) OVER (PARTITION BY {normalized}) > 1 AND "
             f"row_number() OVER (PARTITION BY {normalized} ORDER BY s.__row) > 1",
             "DUPLICATE_VALUE", f"'Duplicate Id specified: ' || {raw}", "'Id'"),
        ]
        action = {"delete": "'delete'", "hardDelete": "'hardDelete'"}.get(
            self.operation, f"CASE WHEN {given} THEN 'update' ELSE 'insert' END"
        )
        join = f'LEFT JOIN {table} m ON m."Id" = {normalized}'
        return f'{action} AS __action, m."Id" AS __id', join, checks

    # -- per-field checks ---------------------------------------------------------------------------------------

    def _value_columns(self) -> list[TargetColumn]:
        """Columns whose values are written: all but the Id (an upsert key is written on insert)."""
        if self.operation in ("delete", "hardDelete"):
            return []
        return [c for c in self.columns if c is not self.id_column]

    def _field_checks(self) -> tuple[list[str], list[str], list[tuple[str, str, str, str]], list[str]]:
        """(typed value items, joins they need, checks, joins the checks need)."""
        items, joins, checks, check_joins = [], [], [], []
        inserting, updating = "r.__action = 'insert'", "r.__action = 'update'"
        for index, column in enumerate(self._value_columns()):
            f, raw = column.field, f"s.{column.raw}"
            given = self._given(column)
            is_null = f"({raw} = '{NULL_MARKER}')"
            value = f"v{index}"
            setting = f"({given} AND NOT {is_null})"
            label = f.display_label
            writable = (
                f"(({inserting} AND {str(f.createable).lower()}) OR ({updating} AND {str(f.updateable).lower()}))"
            )
            if f.name == "Id" and self.operation == "insert":
                checks.append((given, "INVALID_FIELD_FOR_INSERT_UPDATE", "'cannot specify Id in an insert call'",
                               "'Id'"))
                continue
            checks.append((
                f"{given} AND NOT {writable}", "INVALID_FIELD_FOR_INSERT_UPDATE",
                _lit(f"Unable to create/update fields: {f.name}. Please check the security settings of this field "
                     "and verify that it is read/write for your profile or permission set."),
                _lit(f.name),
            ))
            if column.via_object is not None:
                alias = f"x{index}"
                deleted = f'AND NOT {alias}."IsDeleted"' if column.via_object.has_soft_delete else ""
                joins.append(
                    f"LEFT JOIN (SELECT {quote(column.via_field.name)} AS key, min(\"Id\") AS id FROM "
                    f"{quote(column.via_object.name)} {alias} WHERE {quote(column.via_field.name)} IS NOT NULL "
                    f"{deleted} GROUP BY 1) {alias} ON {alias}.key = {raw}"
                )
                items.append(f"{alias}.id AS {value}")
                checks.append((
                    f"{setting} AND r.{value} IS NULL", "INVALID_FIELD",
                    f"'Foreign key external ID: ' || {raw} || ' not found for field {column.via_field.name} in "
                    f"entity {column.via_object.name}'",
                    "''",
                ))
                continue
            items.append(f"{_typed_sql(f, raw)} AS {value}")
            typed_ok = f"r.{value} IS NOT NULL"
            if f.type in ("id", "reference"):
                checks.append((
                    f"{setting} AND NOT {typed_ok}", "MALFORMED_ID",
                    f"'{label}: id value of incorrect type: ' || {raw}", _lit(f.name),
                ))
                targets = [get_object(name) for name in f.reference_to if get_object(name) is not None]
                alias = f"x{index}"
                union = " UNION ALL ".join(f'SELECT "Id" FROM {quote(t.name)}' for t in targets)
                joins.append(f'LEFT JOIN ({union}) {alias} ON {alias}."Id" = {_typed_sql(f, raw)}')
                items.append(f'{alias}."Id" IS NOT NULL AS {value}_exists')
                checks.append((
                    f"{setting} AND {typed_ok} AND NOT r.{value}_exists", "INVALID_CROSS_REFERENCE_KEY",
                    f"'{label}: id value of incorrect type: ' || {raw}", _lit(f.name),
                ))
            elif f.sql_type != "VARCHAR":
                checks.append((
                    f"{setting} AND NOT {typed_ok}", "INVALID_TYPE_ON_FIELD_IN_RECORD",
                    f"'{label}: value not of required type: ' || {raw}", _lit(f.name),
                ))
            else:
                checks.append((
                    f"{setting} AND length({raw}) > {f.length}", "STRING_TOO_LONG",
                    f"'{label}: data value too large: ' || {raw} || ' (max length={f.length})'", _lit(f.name),
                ))
            if f.restricted_picklist:
                allowed = ", ".join(_lit(v) for v in f.picklist_values)
                checks.append((
                    f"{setting} AND {raw} NOT IN ({allowed})", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"'{label}: bad value for restricted picklist field: ' || {raw}", _lit(f.name),
                ))
            if f.unique:
                checks += self._unique_checks(f, raw, setting, check_joins, index)
        return items, joins, checks, check_joins

    def _unique_checks(self, f: FieldDef, raw: str, setting: str, check_joins: list[str], index: int):
        alias = f"u{index}"
        check_joins.append(
            f'LEFT JOIN (SELECT {quote(f.name)} AS key, min("Id") AS id FROM {quote(self.obj.name)} '
            f"WHERE {quote(f.name)} IS NOT NULL GROUP BY 1) {alias} ON {alias}.key = {raw}"
        )
        return [
            (f"{setting} AND {alias}.id IS NOT NULL AND {alias}.id IS DISTINCT FROM r.__id", "DUPLICATE_VALUE",
             f"'duplicate value found: {f.name} duplicates value on record with id: ' || {alias}.id", "''"),
            (f"{setting} AND row_number() OVER (PARTITION BY {raw} ORDER BY s.__row) > 1", "DUPLICATE_VALUE",
             f"'duplicate value found: {f.name} duplicates value on record with id: ' || {raw}", "''"),
        ]

    def _required_check(self) -> tuple[str, str, str, str] | None:
        """REQUIRED_FIELD_MISSING for creates lacking a required field or writes nulling one."""
        given_by_name = {c.field.name: c for c in self._value_columns()}
        terms = []
        for f in self.obj.stored_fields:
            if not f.required_on_create:
                continue
            column = given_by_name.get(f.name)
            if column is None:
                missing = "r.__action = 'insert'"
            else:
                raw = f"s.{column.raw}"
                missing = (
                    f"((r.__action = 'insert' AND coalesce({raw}, '') IN ('', '{NULL_MARKER}')) "
                    f"OR {raw} = '{NULL_MARKER}')"
                )
            terms.append((missing, f.name))
        if not terms:
            return None
        names = "list_filter([" + ", ".join(f"CASE WHEN {m} THEN {_lit(n)} END" for m, n in terms) + "], lambda x: x IS NOT NULL)"
        return (
            f"len({names}) > 0", "REQUIRED_FIELD_MISSING",
            f"'Required fields are missing: [' || array_to_string({names}, ', ') || ']'",
            f"array_to_string({names}, ',')",
        )

    # -- the run ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Check and apply; afterwards the temp table ``__results`` holds one row per input row."""
        stage_table = self.stage_table
        target_items, target_join, checks = self._target_sql()
        value_items, value_joins, field_checks, check_joins = self._field_checks()
        required = self._required_check()
        self.cur.execute(
            f"CREATE OR REPLACE TEMP TABLE __targets AS SELECT s.__row, {target_items} "
            f"FROM {stage_table} s {target_join}"
        )
        self.cur.execute(
            "CREATE OR REPLACE TEMP TABLE __values AS SELECT s.__row"
            + "".join(", " + item for item in value_items)
            + f" FROM {stage_table} s " + " ".join(value_joins)
        )
        ordered = checks + field_checks + ([required] if required else [])
        error_sql = "NULL"
        if ordered:
            error_sql = "CASE " + " ".join(
                f"WHEN {condition} THEN {{'code': '{code}', 'message': {message}, 'fields': {fields}}}"
                for condition, code, message, fields in ordered
            ) + " END"
        self.cur.execute(
            "CREATE OR REPLACE TEMP TABLE __checked AS "
            f"SELECT r.*, {error_sql} AS __error FROM {stage_table} s "
            f"JOIN (SELECT * FROM __targets JOIN __values USING (__row)) r USING (__row) {target_join} "
            + " ".join(check_joins)
        )
        if self.locked_rows:
            self.cur.execute(
                "UPDATE __checked SET __error = {'code': 'UNABLE_TO_LOCK_ROW', 'message': "
                "'unable to obtain exclusive access to this record or 1 records', 'fields': ''} "
                f"WHERE __error IS NULL AND __row IN ({', '.join(str(int(r)) for r in self.locked_rows)})"
            )
        self._apply()

    def _apply(self) -> None:
        ok = "__error IS NULL"
        deleted = f'SELECT __id AS "Id", {self.now_sql} AS stamp FROM __checked WHERE {ok}'
        if self.operation == "hardDelete":  # with Salesforce's cascade (deletion.py)
            deletion.hard_delete(self.cur, self.obj, deleted)
        elif self.operation == "delete":
            deletion.soft_delete(self.cur, self.obj, deleted, self.user_id)
        else:
            self._insert()
            self._update()
            self._derive()
        self.cur.execute(
            "CREATE OR REPLACE TEMP TABLE __results AS SELECT __row, __id, __action = 'insert' AS __created, "
            "__error FROM __checked ORDER BY __row"
        )

    def _insert(self) -> None:
        (count,) = self.cur.execute(
            "SELECT count(*) FROM __checked WHERE __action = 'insert' AND __error IS NULL"
        ).fetchone()
        if not count:
            return
        first = OrgStore.reserve_sequence(self.cur, self.obj.key_prefix, count)
        self.cur.execute(
            f"UPDATE __checked SET __id = n.id FROM (SELECT __row, sf_id('{self.obj.key_prefix}', {first - 1} + "
            "row_number() OVER (ORDER BY __row)) AS id FROM __checked WHERE __action = 'insert' AND __error IS NULL) n "
            "WHERE __checked.__row = n.__row"
        )
        given = {}
        for index, column in enumerate(self._value_columns()):
            given[column.field.name] = (index, column)
        names, values = [], []
        for f in self.obj.stored_fields:
            names.append(quote(f.name))
            values.append(self._insert_value(f, given.get(f.name)))
        auto_numbers = [f for f in self.obj.stored_fields if f.auto_number]
        for f in auto_numbers:
            start = OrgStore.reserve_sequence(self.cur, f"{self.obj.name}.{f.name}", count)
            values[names.index(quote(f.name))] = (
                f"lpad(CAST({start - 1} + row_number() OVER (ORDER BY c.__row) AS VARCHAR), 8, '0')"
            )
        self.cur.execute(
            f"INSERT INTO {quote(self.obj.name)} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM __checked c JOIN {self.stage_table} s USING (__row) "
            "WHERE c.__action = 'insert' AND c.__error IS NULL ORDER BY c.__row"
        )

    def _insert_value(self, f: FieldDef, given: tuple[int, TargetColumn] | None) -> str:
        system = {
            "Id": "c.__id", "CreatedDate": self.now_sql, "LastModifiedDate": self.now_sql,
            "SystemModstamp": self.now_sql, "CreatedById": f"'{self.user_id}'", "LastModifiedById": f"'{self.user_id}'",
            "IsDeleted": "false",
        }
        if f.name in system:
            return system[f.name]
        if f.name == "OwnerId" and given is None:
            return f"'{self.user_id}'"
        default = "false" if f.type == "boolean" else (_lit(f.default_value) if f.default_value else "NULL")
        if given is None:
            return default
        index, column = given
        raw = f"s.{column.raw}"
        return f"CASE WHEN coalesce({raw}, '') IN ('', '{NULL_MARKER}') THEN {default} ELSE c.v{index} END"

    def _update(self) -> None:
        assignments = []
        for index, column in enumerate(self._value_columns()):
            name = quote(column.field.name)
            raw = f"s.{column.raw}"
            assignments.append(
                f"{name} = CASE WHEN coalesce({raw}, '') = '' THEN t.{name} WHEN {raw} = '{NULL_MARKER}' THEN NULL "
                f"ELSE c.v{index} END"
            )
        assignments += [
            f'"LastModifiedDate" = {self.now_sql}', f'"SystemModstamp" = {self.now_sql}',
            f"\"LastModifiedById\" = '{self.user_id}'",
        ]
        table = quote(self.obj.name)
        self.cur.execute(
            f"UPDATE {table} t SET {', '.join(assignments)} FROM __checked c JOIN {self.stage_table} s USING (__row) "
            "WHERE t.\"Id\" = c.__id AND c.__action = 'update' AND c.__error IS NULL"
        )

    def _derive(self) -> None:
        derived = [f for f in self.obj.stored_fields if f.derived_sql]
        if not derived:
            return
        assignments = ", ".join(
            f"{quote(f.name)} = {f.derived_sql.replace('{now}', self.now_sql)}" for f in derived
        )
        self.cur.execute(
            f"UPDATE {quote(self.obj.name)} SET {assignments} "
            "WHERE \"Id\" IN (SELECT __id FROM __checked WHERE __error IS NULL)"
        )


def fetch_results(cur: duckdb.DuckDBPyConnection) -> list[RowResult]:
    rows = cur.execute("SELECT __row, __id, __created, __error FROM __results ORDER BY __row").fetchall()
    return [
        RowResult(
            row=row, record_id=record_id, created=bool(created) and error is None,
            error=RowError(error["code"], error["message"], tuple(filter(None, error["fields"].split(","))))
            if error else None,
        )
        for row, record_id, created, error in rows
    ]
