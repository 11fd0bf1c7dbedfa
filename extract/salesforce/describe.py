"""Which fields of an object to extract, from the org's describe."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from extract.errors import UnknownSalesforceObjectError
from extract.salesforce.api_errors import raise_for_salesforce_error
from extract.salesforce.connection import SalesforceSession

# Compound fields (BillingAddress, a geolocation) cannot be selected by Bulk API 2.0; their parts can.
COMPOUND_TYPES = frozenset({"address", "location"})


@dataclass(frozen=True)
class ObjectFields:
    object_name: str
    fields: tuple[str, ...]  # API names in describe order, Id first
    field_types: dict[str, str]

    @property
    def has_system_modstamp(self) -> bool:
        return "SystemModstamp" in self.fields


def list_object_names(session: SalesforceSession) -> list[str]:
    response = session.http.get(f"{session.data_url}/sobjects/", headers=session.headers())
    raise_for_salesforce_error(response, "list the org's objects")
    return [o["name"] for o in response.json()["sobjects"]]


def describe_extractable_fields(session: SalesforceSession, object_name: str) -> ObjectFields:
    """The queryable, non-compound fields of `object_name`; UnknownSalesforceObjectError if the org lacks it."""
    response = session.http.get(
        f"{session.data_url}/sobjects/{object_name}/describe/", headers=session.headers()
    )
    if response.status_code == 404:
        names = list_object_names(session)
        raise UnknownSalesforceObjectError(
            object_name, session.instance_url, difflib.get_close_matches(object_name, names, n=3)
        )
    raise_for_salesforce_error(response, f"describe {object_name}")
    described = response.json()
    if not described.get("queryable", True):
        raise UnknownSalesforceObjectError(object_name, session.instance_url, [])
    fields = [f for f in described["fields"] if f["type"] not in COMPOUND_TYPES]
    fields.sort(key=lambda f: f["name"] != "Id")  # stable: Id first, then describe order
    return ObjectFields(
        object_name=described["name"],
        fields=tuple(f["name"] for f in fields),
        field_types={f["name"]: f["type"] for f in fields},
    )
