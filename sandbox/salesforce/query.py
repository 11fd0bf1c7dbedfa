"""A parsed SOQL query checked against the schema and translated to DuckDB SQL over the org's tables.

The translation follows SOQL semantics: text comparisons ignore case, ``!=``/``NOT IN`` keep nulls, ids match
in 15- or 18-char form, child-to-parent paths become ``LEFT JOIN``s (polymorphic lookups join each target and
coalesce), ``query`` hides soft-deleted rows and ``queryAll`` does not. Every value is inlined as a SQL literal so
the statement can be wrapped in ``COPY``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import ids, soql
from .access import UNRESTRICTED, OrgAccess
from .date_literals import relative_range
from .errors import SalesforceError, invalid_field, invalid_type, malformed_query
from .schema import ADDRESS_COMPONENTS, FieldDef, ObjectDef
from .store import WIDE_RESULT_COLUMNS, quote

FILTER_TYPE_NAMES = {
    "int": "integer", "double": "double", "currency": "double", "percent": "double", "date": "date",
    "datetime": "dateTime", "boolean": "boolean", "id": "id", "reference": "id",
}
NUMERIC_TYPES = ("int", "double", "currency", "percent")


@dataclass(frozen=True)
class Column:
    """One SELECT item: ``label`` as written, ``key_path`` the canonical relationship names + field name."""

    label: str
    key_path: tuple[str, ...]
    field: FieldDef
    sql: tuple[str, ...]  # one expression, or the five address components for a compound address


@dataclass(frozen=True)
class Relationship:
    """A child-to-parent hop used by the SELECT list; ``id_sql`` is null when the lookup is empty."""

    key_path: tuple[str, ...]
    id_sql: str


@dataclass
class CompiledQuery:
    object: ObjectDef
    columns: list[Column]
    relationships: list[Relationship]
    count_only: bool
    from_sql: str
    where_sql: str
    order_sql: str
    limit: int | None
    offset: int | None

    def select_expressions(self) -> list[str]:
        """Flat expressions in the order ``records`` reads them: root Id, relationship ids, column values."""
        expressions = [f'{_ROOT}."Id"']
        expressions += [r.id_sql for r in self.relationships]
        for column in self.columns:
            expressions += column.sql
        return expressions

    def body_sql(self, expressions: list[str], *, with_order: bool = True, with_window: bool = True) -> str:
        sql = f"SELECT {', '.join(expressions)} FROM {self.from_sql}"
        if self.where_sql:
            sql += f" WHERE {self.where_sql}"
        if with_order and self.order_sql:
            sql += f" ORDER BY {self.order_sql}"
        if with_window and self.limit is not None:
            sql += f" LIMIT {self.limit}"
        if with_window and self.offset:
            sql += f" OFFSET {self.offset}"
        return sql

    def count_sql(self) -> str:
        return f"SELECT count(*) FROM ({self.body_sql(['1'], with_order=False)})"

    @property
    def wide(self) -> bool:
        """Many fields (``store.WIDE_RESULT_COLUMNS``+): its result is written and read as a wide operation."""
        return len(self.columns) >= WIDE_RESULT_COLUMNS

    @property
    def rangeable(self) -> bool:
        """Whether the result is the concatenation of the results over ranges of the root table's row ids (no
        ORDER BY or OFFSET; a LIMIT is applied across the ranges): wide results are written range by range
        (results.py)."""
        return not self.order_sql and not self.offset

    def row_ids_sql(self) -> str:
        """SQL for one past the root table's highest row id."""
        return f"SELECT coalesce(max(rowid), -1) + 1 FROM {quote(self.object.name)}"

    def range_sql(self, expressions: list[str], first: int, end: int, limit: int | None = None) -> str:
        """``body_sql`` restricted to root rows with ``first <= rowid < end``, at most ``limit`` of them (only when
        ``rangeable``)."""
        condition = f"{_ROOT}.rowid >= {int(first)} AND {_ROOT}.rowid < {int(end)}"
        where = f"{self.where_sql} AND {condition}" if self.where_sql else condition
        sql = f"SELECT {', '.join(expressions)} FROM {self.from_sql} WHERE {where}"
        return sql if limit is None else f"{sql} LIMIT {int(limit)}"


_ROOT = "t0"


@dataclass
class _JoinPlan:
    """The joins a query needs, one alias per (relationship path, target object)."""

    root: ObjectDef
    access: OrgAccess = UNRESTRICTED
    joins: list[str] = field(default_factory=list)
    aliases: dict[tuple[str, ...], list[tuple[str, ObjectDef]]] = field(default_factory=dict)
    canonical: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)

    def targets(self, path: tuple[str, ...]) -> tuple[tuple[str, ...], list[tuple[str, ObjectDef]]]:
        """Resolve relationship names ``path`` (lower case) to aliases, adding joins as needed."""
        if not path:
            return (), [(_ROOT, self.root)]
        lowered = tuple(p.lower() for p in path)
        if lowered in self.aliases:
            return self.canonical[lowered], self.aliases[lowered]
        parent_key, parents = self.targets(path[:-1])
        if len(parents) != 1:
            raise _bad_relationship(path[-1])
        parent_alias, parent_object = parents[0]
        reference = self.access.relationship(parent_object, path[-1])
        if reference is None:
            raise _bad_relationship(path[-1])
        found = []
        for target_name in reference.reference_to:
            target = self.access.object(target_name)
            if target is None:
                continue
            alias = f"t{len(self.joins) + 1}"
            self.joins.append(
                f'LEFT JOIN {quote(target.name)} {alias} ON {alias}."Id" = {parent_alias}.{quote(reference.name)}'
            )
            found.append((alias, target))
        if not found:  # every target is hidden from the user
            raise _bad_relationship(path[-1])
        self.aliases[lowered] = found
        self.canonical[lowered] = parent_key + (reference.relationship_name,)
        return self.canonical[lowered], found

    def from_sql(self) -> str:
        return " ".join([f"{quote(self.root.name)} {_ROOT}"] + self.joins)


def _bad_relationship(name: str) -> SalesforceError:
    return invalid_field(
        f"Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
        "relationship, be sure to append the '__r' after the custom relationship name. Please reference your "
        "WSDL or the describe call for the appropriate names."
    )


def _no_such_column(name: str, obj: ObjectDef) -> SalesforceError:
    return invalid_field(
        f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom field, be sure "
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for "
        "the appropriate names."
    )


def unsupported_object(name: str) -> SalesforceError:
    return invalid_type(
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure to append "
        "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    )


def bulk_unsupported(name: str) -> SalesforceError:
    return SalesforceError(400, "INVALIDENTITY", f"Entity '{name}' is not supported by the Bulk API.")


@dataclass(frozen=True)
class _ResolvedPath:
    key_path: tuple[str, ...]
    field: FieldDef
    sql: tuple[str, ...]


def _resolve(plan: _JoinPlan, path: soql.FieldPath) -> _ResolvedPath:
    parts = path.parts
    if len(parts) > 1 and parts[0].lower() == plan.root.name.lower():
        parts = parts[1:]  # SOQL allows qualifying a field with its object name
    relationship_key, targets = plan.targets(tuple(parts[:-1]))
    name = parts[-1]
    fields = [(alias, obj, plan.access.field(obj, name)) for alias, obj in targets]
    missing = [obj for _, obj, f in fields if f is None]
    if missing:
        raise _no_such_column(name, missing[0])
    first = fields[0][2]
    if first.type == "address":
        prefix = first.name[: -len("Address")]
        alias = fields[0][0]
        sql = tuple(f"{alias}.{quote(prefix + part)}" for part in ADDRESS_COMPONENTS)
    elif len(fields) == 1:
        sql = (f"{fields[0][0]}.{quote(first.name)}",)
    else:
        sql = ("coalesce(" + ", ".join(f"{alias}.{quote(f.name)}" for alias, _, f in fields) + ")",)
    return _ResolvedPath(relationship_key + (first.name,), first, sql)


def compile_query(text: str, *, include_deleted: bool, now: dt.datetime, bulk: bool = False,
                  access: OrgAccess | None = None) -> CompiledQuery:
    """Parse and translate ``text`` as the integration user sees the org (``access``: hidden objects and fields
    do not exist for it); raises SalesforceError (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE...)."""
    access = access or UNRESTRICTED
    parsed = soql.parse(text)
    root = access.object(parsed.object_name)
    if root is None:
        raise unsupported_object(parsed.object_name)
    if not access.queryable(root):
        raise SalesforceError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type {root.name} does not support query")
    if bulk and not access.bulk_supported(root):
        raise bulk_unsupported(root.name)
    if bulk and parsed.count_only:
        raise SalesforceError(400, "API_ERROR", "Aggregate queries are not supported by Bulk API 2.0.")
    if bulk and parsed.offset is not None:
        raise malformed_query("OFFSET is not supported by Bulk API 2.0.")
    plan = _JoinPlan(root, access)
    columns = []
    for path in parsed.fields:
        resolved = _resolve(plan, path)
        if bulk and resolved.field.type == "address":
            raise SalesforceError(400, "INVALIDJOB", "Selecting compound data not supported in Bulk Query")
        columns.append(Column(path.text, resolved.key_path, resolved.field, resolved.sql))
    relationships = []
    for lowered, targets in plan.aliases.items():
        id_sql = targets[0][0] + '."Id"' if len(targets) == 1 else (
            "coalesce(" + ", ".join(f'{alias}."Id"' for alias, _ in targets) + ")"
        )
        relationships.append(Relationship(plan.canonical[lowered], id_sql))
    conditions = []
    if not include_deleted and root.has_soft_delete:
        conditions.append(f'{_ROOT}."IsDeleted" = false')
    if parsed.where is not None:
        conditions.append(_condition_sql(plan, parsed.where, now))
    order_terms = []
    for item in parsed.order_by:
        resolved = _resolve(plan, item.path)
        if resolved.field.type in ("textarea", "address"):
            raise invalid_field(f"field '{resolved.field.name}' can not be sorted in a query call")
        order_terms.append(
            f"{resolved.sql[0]} {'DESC' if item.descending else 'ASC'} NULLS {'LAST' if item.nulls_last else 'FIRST'}"
        )
    return CompiledQuery(
        object=root,
        columns=columns,
        relationships=relationships,
        count_only=parsed.count_only,
        from_sql=plan.from_sql(),
        where_sql=" AND ".join(f"({c})" for c in conditions),
        order_sql=", ".join(order_terms),
        limit=parsed.limit,
        offset=parsed.offset,
    )


# --- WHERE --------------------------------------------------------------------------------------------------------

def _condition_sql(plan: _JoinPlan, condition: soql.Condition, now: dt.datetime) -> str:
    if isinstance(condition, soql.Logical):
        joined = f" {condition.operator} ".join(_condition_sql(plan, c, now) for c in condition.operands)
        return f"({joined})"
    if isinstance(condition, soql.Negation):
        return f"(NOT {_condition_sql(plan, condition.operand, now)})"
    return _comparison_sql(plan, condition, now)


def _comparison_sql(plan: _JoinPlan, comparison: soql.Comparison, now: dt.datetime) -> str:
    resolved = _resolve(plan, comparison.path)
    f = resolved.field
    if f.type in ("textarea", "address"):
        raise invalid_field(f"field '{f.name}' can not be filtered in query call")
    column = resolved.sql[0]
    text_like = f.is_text
    operator = comparison.operator
    if operator == "LIKE":
        literal = comparison.value
        if not text_like or literal.kind != "string":
            raise invalid_field(f"Invalid operator on field '{f.name}' for LIKE, or the value is not a string")
        return f"({column} ILIKE {_sql_string(literal.like_pattern)} ESCAPE '\\')"
    if operator in ("IN", "NOT IN"):
        values = comparison.value
        non_null = [v for v in values if v.kind != "null"]
        has_null = len(non_null) != len(values)
        target = f"lower({column})" if text_like else column
        parts = []
        if non_null:
            listed = ", ".join(_value_sql(f, v, now, text_like) for v in non_null)
            parts.append(f"{target} {'NOT IN' if operator == 'NOT IN' else 'IN'} ({listed})")
        if operator == "IN":
            if has_null:
                parts.append(f"{column} IS NULL")
            return "(" + " OR ".join(parts) + ")"
        if has_null:
            parts.append(f"{column} IS NOT NULL")
            return "(" + " AND ".join(parts) + ")"
        return f"({column} IS NULL OR {parts[0]})"
    literal = comparison.value
    if literal.kind == "null":
        if operator == "=":
            return f"({column} IS NULL)"
        if operator == "!=":
            return f"({column} IS NOT NULL)"
        raise malformed_query(f"invalid operator '{operator}' with null on field '{f.name}'")
    if literal.kind == "relative_date":
        return _relative_date_sql(f, column, operator, literal, now)
    target = f"lower({column})" if text_like else column
    value = _value_sql(f, literal, now, text_like)
    if operator == "!=":
        return f"({target} IS DISTINCT FROM {value})"
    return f"({target} {operator} {value})"


def _type_error(f: FieldDef, quoted: bool) -> SalesforceError:
    type_name = FILTER_TYPE_NAMES.get(f.type, "string")
    if type_name == "string":
        return invalid_field(
            f"value of filter criterion for field '{f.name}' must be of type string and should be enclosed in quotes"
        )
    return invalid_field(
        f"value of filter criterion for field '{f.name}' must be of type {type_name}"
        + (" and should not be enclosed in quotes" if quoted else "")
    )


def _value_sql(f: FieldDef, literal: soql.Literal, now: dt.datetime, text_like: bool) -> str:
    kind = literal.kind
    if f.type in ("id", "reference"):
        if kind != "string":
            raise _type_error(f, False)
        normalized = ids.normalize_id(literal.value)
        if normalized is None:
            raise SalesforceError(400, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}")
        return _sql_string(normalized)
    if text_like:
        if kind != "string":
            raise _type_error(f, False)
        return f"lower({_sql_string(literal.value)})"
    if f.type == "boolean":
        if kind != "boolean":
            raise _type_error(f, kind == "string")
        return "true" if literal.value else "false"
    if f.type in NUMERIC_TYPES:
        if kind != "number":
            raise _type_error(f, kind == "string")
        return repr(literal.value)
    if f.type == "date":
        if kind != "date":
            raise _type_error(f, kind == "string")
        return f"DATE '{literal.value.isoformat()}'"
    if f.type == "datetime":
        if kind != "datetime":
            raise _type_error(f, kind == "string")
        utc = literal.value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"TIMESTAMP '{utc.isoformat(sep=' ')}'"
    raise _type_error(f, kind == "string")


def _relative_date_sql(f: FieldDef, column: str, operator: str, literal: soql.Literal, now: dt.datetime) -> str:
    if f.type not in ("date", "datetime"):
        raise _type_error(f, False)
    try:
        start, end = relative_range(*literal.value, now)
    except (ValueError, OverflowError):
        raise malformed_query(f"date literal {literal.value[0]}:{literal.value[1]} is out of range")
    if f.type == "date":
        low, high = f"DATE '{start.date().isoformat()}'", f"DATE '{end.date().isoformat()}'"
    else:
        low, high = f"TIMESTAMP '{start.isoformat(sep=' ')}'", f"TIMESTAMP '{end.isoformat(sep=' ')}'"
    return {
        "=": f"({column} >= {low} AND {column} < {high})",
        "!=": f"({column} IS NULL OR {column} < {low} OR {column} >= {high})",
        "<": f"({column} < {low})",
        "<=": f"({column} < {high})",
        ">": f"({column} >= {high})",
        ">=": f"({column} >= {low})",
    }[operator]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
