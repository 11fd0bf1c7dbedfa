"""What the org says about its objects and fields: the global describe and one object's describe, reduced to what
extraction needs. Names from the org are checked before they go anywhere near SOQL or SQL."""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field

from extract.errors import ObjectNotAccessibleError, PermanentApiError, UnknownSalesforceObjectError
from extract.salesforce.client import SalesforceClient

log = logging.getLogger(__name__)

# Compound fields (BillingAddress, a geolocation) cannot be selected by Bulk API 2.0; their components can.
COMPOUND_TYPES = frozenset({"address", "location"})
# Bulk API 2.0 cannot return base64 (file body) fields; they are left out of every route for one contract.
UNSUPPORTED_TYPES = frozenset({"base64"})
# API names: a letter, then letters, digits and underscores (namespaces and __c/__r suffixes included).
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,119}")
CURSOR_FIELDS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")


def is_api_name(name: str) -> bool:
    return bool(API_NAME.fullmatch(name or ""))


@dataclass(frozen=True)
class ObjectSummary:
    """One entry of the global describe."""

    name: str
    custom: bool
    queryable: bool
    replicateable: bool
    retrieveable: bool

    @property
    def extractable(self) -> bool:
        return self.queryable and self.replicateable and self.retrieveable


@dataclass(frozen=True)
class FieldInfo:
    """What the describe says of one field, kept for the warehouse's field metadata (bronze.salesforce_fields):
    silver types every object's columns from it."""

    name: str
    field_type: str  # the Salesforce type: string, boolean, int, double, currency, date, datetime, reference, ...
    soap_type: str | None = None  # xsd:string, xsd:dateTime, tns:ID, ...
    label: str | None = None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    calculated: bool = False  # a formula field
    reference_to: tuple[str, ...] = ()
    position: int = 0  # in describe order

    @classmethod
    def from_describe(cls, entry: dict, position: int) -> "FieldInfo":
        def number(key: str) -> int | None:
            value = entry.get(key)
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        return cls(name=entry.get("name", ""), field_type=entry.get("type", ""), soap_type=entry.get("soapType"),
                   label=entry.get("label"), length=number("length"), precision=number("precision"),
                   scale=number("scale"), calculated=bool(entry.get("calculated")),
                   reference_to=tuple(r for r in entry.get("referenceTo") or () if isinstance(r, str)),
                   position=position)


@dataclass(frozen=True)
class ObjectSchema:
    """The fields of one object that extraction selects, in describe order with Id first."""

    object_name: str
    fields: tuple[str, ...]
    field_types: dict[str, str]
    formula_fields: tuple[str, ...] = ()
    left_out: dict[str, str] = field(default_factory=dict)  # field -> why it is not extracted
    described: tuple[FieldInfo, ...] = ()  # every field the describe listed with a valid API name

    @property
    def cursor_field(self) -> str | None:
        """The field incremental extraction follows: SystemModstamp where the object has it."""
        return next((f for f in CURSOR_FIELDS if self.field_types.get(f) == "datetime"), None)

    @property
    def has_is_deleted(self) -> bool:
        return "IsDeleted" in self.field_types

    def without(self, names: set[str], reason: str) -> "ObjectSchema":
        """The same schema minus ``names`` (fields the org refused after listing them)."""
        lowered = {n.lower() for n in names}
        kept = tuple(f for f in self.fields if f.lower() not in lowered or f == "Id")
        left_out = dict(self.left_out)
        left_out.update({f: reason for f in self.fields if f not in kept})
        return ObjectSchema(self.object_name, kept, {f: self.field_types[f] for f in kept},
                            tuple(f for f in self.formula_fields if f in kept), left_out, self.described)


def global_describe(client: SalesforceClient) -> list[ObjectSummary]:
    """Every object the integration user can see, as the org lists them."""
    body = client.get_json("/sobjects/", doing="list the org's objects (global describe)")
    summaries = []
    for entry in body["sobjects"]:
        name = entry.get("name", "")
        if not is_api_name(name):
            log.warning("the org lists an object whose name is not an API name, left out: %r", name)
            continue
        summaries.append(ObjectSummary(
            name=name, custom=bool(entry.get("custom")), queryable=bool(entry.get("queryable", True)),
            replicateable=bool(entry.get("replicateable", True)), retrieveable=bool(entry.get("retrieveable", True)),
        ))
    return summaries


def describe_object(client: SalesforceClient, object_name: str) -> ObjectSchema:
    """The extractable fields of ``object_name``; ObjectNotAccessibleError when the user cannot read it."""
    if not is_api_name(object_name):
        raise UnknownSalesforceObjectError(object_name, client.instance_url, [])
    try:
        described = client.get_json(f"/sobjects/{object_name}/describe/", doing=f"describe {object_name}")
    except PermanentApiError as exc:
        if exc.status == 404 or exc.error_code in ("NOT_FOUND", "INVALID_TYPE"):
            names = [s.name for s in global_describe(client)]
            raise UnknownSalesforceObjectError(
                object_name, client.instance_url, difflib.get_close_matches(object_name, names, n=3)) from None
        if exc.status == 403 or exc.error_code == "INSUFFICIENT_ACCESS":
            raise ObjectNotAccessibleError(object_name, client.instance_url,
                                           f"the integration user may not read it ({exc.error_code})") from None
        raise
    if not described.get("queryable", True):
        raise ObjectNotAccessibleError(object_name, client.instance_url, "the org says it is not queryable")
    return schema_from_describe(described)


def schema_from_describe(described: dict) -> ObjectSchema:
    fields, types, formulas, left_out, infos = [], {}, [], {}, []
    for position, entry in enumerate(described["fields"]):
        name, kind = entry.get("name", ""), entry.get("type", "")
        if not is_api_name(name):
            left_out[name] = "not a valid API name"
            log.warning("%s: describe lists a field whose name is not an API name, left out: %r",
                        described.get("name"), name)
            continue
        infos.append(FieldInfo.from_describe(entry, position))
        if kind in COMPOUND_TYPES:
            left_out[name] = f"compound ({kind}); its components are extracted"
            continue
        if kind in UNSUPPORTED_TYPES:
            left_out[name] = f"{kind} fields cannot be queried through Bulk API 2.0"
            continue
        fields.append(name)
        types[name] = kind
        if entry.get("calculated"):
            formulas.append(name)
    if "Id" not in types:
        raise ObjectNotAccessibleError(described.get("name", "?"), "the org", "its describe has no Id field")
    fields.sort(key=lambda f: f != "Id")  # stable: Id first, then describe order
    return ObjectSchema(described["name"], tuple(fields), types, tuple(formulas), left_out, tuple(infos))
