"""Field and object definitions (``FieldDef``, ``ObjectDef``) and the field constructors the standard objects
(``schema``) and the generated ones (``custom_objects``, ``benchmark_objects``) are built from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SQL_TYPES = {
    "id": "VARCHAR", "string": "VARCHAR", "textarea": "VARCHAR", "picklist": "VARCHAR", "email": "VARCHAR",
    "phone": "VARCHAR", "url": "VARCHAR", "reference": "VARCHAR", "boolean": "BOOLEAN", "int": "INTEGER",
    "double": "DOUBLE", "currency": "DOUBLE", "percent": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP",
}
SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double",
    "currency": "xsd:double", "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime",
    "address": "urn:address",
}
ADDRESS_COMPONENTS = ("Street", "City", "State", "PostalCode", "Country")
TEXT_TYPES = ("string", "textarea", "picklist", "email", "phone", "url")


@dataclass(frozen=True)
class FieldDef:
    """One field of an object, with the describe properties that matter to clients."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    picklist_values: tuple[str, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    child_relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    compound_field_name: str | None = None
    auto_number: bool = False
    name_field: bool = False
    default_value: str | None = None  # picklist value the org fills in on create when none is given
    # SQL over the record's stored columns that the org recomputes on every write; ``{now}`` is the write time.
    derived_sql: str | None = None
    formula: str | None = None  # a formula field's Salesforce formula (describe's calculatedFormula)

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def stored(self) -> bool:
        return self.type != "address"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def is_text(self) -> bool:
        """Stored as text and compared as text (ids and references are text too, but compared as ids)."""
        return self.type in TEXT_TYPES

    @property
    def soap_type(self) -> str:
        return SOAP_TYPES.get(self.type, "xsd:string")

    @property
    def required_on_create(self) -> bool:
        return not self.nillable and self.createable and not self.defaulted_on_create

    @property
    def display_label(self) -> str:
        return self.label or _label_from_name(self.name)


@dataclass(frozen=True)
class ObjectDef:
    """One sObject: API name, key prefix and fields in describe order."""

    name: str
    key_prefix: str
    label: str
    label_plural: str
    fields: tuple[FieldDef, ...]
    _by_lower_name: dict[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower_name", {f.name.lower(): f for f in self.fields})

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    def field(self, name: str) -> FieldDef | None:
        return self._by_lower_name.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship name is ``name`` (e.g. ``Account`` -> ``AccountId``)."""
        lowered = name.lower()
        for candidate in self.fields:
            if candidate.relationship_name and candidate.relationship_name.lower() == lowered:
                return candidate
        return None

    @property
    def stored_fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.stored)

    @property
    def has_soft_delete(self) -> bool:
        return self.field("IsDeleted") is not None


def _label_from_name(name: str) -> str:
    base = name[:-3] if name.endswith("__c") else name
    base = base.replace("_", " ")
    if base.endswith("Id") and len(base) > 2:
        base = base[:-2] + " ID"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


# --- field constructors -------------------------------------------------------------------------------------------

def text(name: str, length: int = 255, **kw) -> FieldDef:
    return FieldDef(name, "string", length=length, **kw)


def textarea(name: str, length: int = 32000, **kw) -> FieldDef:
    return FieldDef(name, "textarea", length=length, **kw)


def picklist(name: str, values: tuple[str, ...], **kw) -> FieldDef:
    return FieldDef(name, "picklist", length=255, picklist_values=values, **kw)


def reference(name: str, to: tuple[str, ...], relationship: str, children: str | None = None, **kw) -> FieldDef:
    return FieldDef(
        name, "reference", length=18, reference_to=to, relationship_name=relationship,
        child_relationship_name=children, **kw,
    )


def boolean(name: str, **kw) -> FieldDef:
    return FieldDef(name, "boolean", nillable=False, defaulted_on_create=True, **kw)


def typed(name: str, type_: str, **kw) -> FieldDef:
    return FieldDef(name, type_, **kw)


def address(prefix: str) -> tuple[FieldDef, ...]:
    compound = f"{prefix}Address"
    components = tuple(
        (textarea if part == "Street" else text)(
            f"{prefix}{part}", length=255 if part == "Street" else 80, compound_field_name=compound
        )
        for part in ADDRESS_COMPONENTS
    )
    return components + (FieldDef(compound, "address", createable=False, updateable=False),)


def name_fields(max_length: int = 121) -> tuple[FieldDef, ...]:
    return (
        text("FirstName", 40, compound_field_name="Name"),
        text("LastName", 80, nillable=False, compound_field_name="Name"),
        text("Name", max_length, createable=False, updateable=False, name_field=True,
             derived_sql="""trim(concat_ws(' ', "FirstName", "LastName"))"""),
    )


def audit_fields(object_name: str) -> tuple[FieldDef, ...]:
    """Id and the system audit fields every object has (IsDeleted and OwnerId are added per object)."""
    readonly = {"createable": False, "updateable": False, "nillable": False, "defaulted_on_create": True}
    return (
        FieldDef("Id", "id", label=f"{object_name} ID", length=18, **readonly),
        typed("CreatedDate", "datetime", **readonly),
        reference("CreatedById", ("User",), "CreatedBy", **readonly),
        typed("LastModifiedDate", "datetime", **readonly),
        reference("LastModifiedById", ("User",), "LastModifiedBy", **readonly),
        typed("SystemModstamp", "datetime", **readonly),
    )


def ownership_fields() -> tuple[FieldDef, ...]:
    return (
        boolean("IsDeleted", createable=False, updateable=False),
        reference("OwnerId", ("Group", "User"), "Owner", nillable=False, defaulted_on_create=True),
    )


def master_record_field(object_name: str) -> FieldDef:
    return reference("MasterRecordId", (object_name,), "MasterRecord", createable=False, updateable=False)


