"""Two fixed object shapes for benchmarks: ``Bench_Narrow__c`` (the system fields plus three) and
``Bench_Wide__c`` (150 fields of mixed types). Their row counts come from the org options
(``rows.Bench_Narrow__c=10000000``), else ``BENCH_BASE_ROWS`` times the generated objects' scale
(``seed.object_counts``)."""

from __future__ import annotations

from .custom_objects import CUSTOM_OBJECT_COUNT, PICKLIST_POOLS, key_prefix
from .metadata import FieldDef, ObjectDef, audit_fields, boolean, ownership_fields, picklist, text, textarea, typed

BENCH_BASE_ROWS = 1000
WIDE_TYPES = (
    "string", "double", "currency", "date", "datetime", "boolean", "picklist", "percent", "email", "int",
    "phone", "url", "textarea",
)
WIDE_FIELD_COUNT = 150


def _wide_field(number: int) -> FieldDef:
    type_ = WIDE_TYPES[number % len(WIDE_TYPES)]
    name = f"{type_.capitalize()}_{number:03d}__c"
    if type_ == "string":
        return text(name, 80)
    if type_ == "textarea":
        return textarea(name, 1000)
    if type_ == "boolean":
        return boolean(name)
    if type_ == "picklist":
        return picklist(name, PICKLIST_POOLS["Status"])
    if type_ in ("email", "phone", "url"):
        return FieldDef(name, type_, length=80)
    return typed(name, type_)


def _system_fields(name: str) -> tuple[FieldDef, ...]:
    return (*audit_fields(name), *ownership_fields(), text("Name", 80, nillable=False, name_field=True))


BENCH_NARROW = ObjectDef(
    "Bench_Narrow__c", key_prefix(CUSTOM_OBJECT_COUNT), "Bench Narrow", "Bench Narrows",
    (*_system_fields("Bench_Narrow__c"), typed("Amount__c", "currency"),
     picklist("Status__c", PICKLIST_POOLS["Status"]), typed("Event_Date__c", "date")),
)
_wide_system = _system_fields("Bench_Wide__c")
BENCH_WIDE = ObjectDef(
    "Bench_Wide__c", key_prefix(CUSTOM_OBJECT_COUNT + 1), "Bench Wide", "Bench Wides",
    (*_wide_system, *(_wide_field(n) for n in range(1, WIDE_FIELD_COUNT - len(_wide_system) + 1))),
)
BENCHMARK_OBJECTS = (BENCH_NARROW, BENCH_WIDE)
