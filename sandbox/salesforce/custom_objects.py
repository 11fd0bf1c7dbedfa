"""The generated custom objects: ``Invoice__c``, ``Shipment_Line__c``, ... with lookups, picklists, formula fields
and external ID fields, built deterministically from ``CATALOG_SEED``.

The catalog is the same in every org (it is metadata, like a deployed package): ids, rows and values depend on the
org's seed number, the shapes do not. That keeps ``schema.OBJECTS`` a constant that every module can import.
Lookups point at standard objects or at custom objects generated earlier, with ``<Name>__r`` relationship names,
so ``SELECT Invoice__r.Name FROM Invoice_Line__c`` works. Formula fields carry ``derived_sql`` (the org computes
them at seed time and recomputes them on every write) and their Salesforce formula for describe.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .metadata import (
    FieldDef, ObjectDef, audit_fields, boolean, ownership_fields, picklist, reference, text, textarea, typed,
)

CATALOG_SEED = 20240131
CUSTOM_OBJECT_COUNT = 200
# default rows of a generated custom object at scale 1.0 (one of these, chosen per object)
BASE_ROW_CHOICES = (200, 500, 1000, 2000, 5000)

NOUNS = (
    "Invoice", "Shipment", "Warehouse", "Subscription", "Contract_Term", "Product_Variant", "Price_Book_Item",
    "Vendor", "Purchase_Order", "Delivery", "Inspection", "Asset_Tag", "Service_Visit", "Work_Order", "Project",
    "Milestone", "Timesheet", "Expense", "Budget", "Campaign_Touch", "Survey_Response", "Support_Plan", "License",
    "Entitlement_Grant", "Renewal", "Quote_Draft", "Payment", "Refund", "Credit_Memo", "Sales_Territory",
    "Partner_Tier", "Certification", "Training_Session", "Event_Registration", "Booking", "Reservation", "Room",
    "Vehicle", "Route", "Carrier", "Container", "Pallet", "Batch_Lot", "Recall", "Warranty_Claim",
    "Return_Authorization", "Feedback", "Loyalty_Account", "Reward", "Referral", "Membership", "Donation",
    "Grant_Award", "Application", "Interview", "Candidate", "Job_Posting", "Onboarding_Step", "Device",
    "Sensor_Reading", "Meter", "Outage", "Incident_Report", "Change_Request", "Release_Note", "Sprint", "Story",
    "Defect", "Knowledge_Note", "Commission", "Forecast_Line", "Rebate", "Tax_Rate", "Store_Visit",
)
QUALIFIERS = ("", "_Line", "_History", "_Snapshot")

PICKLIST_POOLS = {
    "Status": ("Draft", "Submitted", "Approved", "Rejected", "Cancelled", "Completed"),
    "Priority": ("Low", "Medium", "High", "Urgent"),
    "Region": ("EMEA", "NA", "LATAM", "APAC", "ANZ"),
    "Category": ("Hardware", "Software", "Services", "Training", "Support", "Other"),
    "Channel": ("Direct", "Partner", "Online", "Retail"),
    "Tier": ("Bronze", "Silver", "Gold", "Platinum"),
    "Stage": ("New", "In Review", "Scheduled", "In Progress", "On Hold", "Done"),
    "Currency_Code": ("USD", "EUR", "GBP", "JPY", "CHF", "BRL"),
    "Risk_Level": ("None", "Low", "Moderate", "Severe"),
    "Source": ("Web", "Email", "Phone", "Import", "API"),
}
SCALAR_FIELDS = (
    ("Amount", "currency"), ("Quantity", "double"), ("Unit_Price", "currency"), ("Discount", "percent"),
    ("Score", "double"), ("Weight_Kg", "double"), ("Hours", "double"), ("Cost", "currency"),
    ("Start_Date", "date"), ("End_Date", "date"), ("Due_Date", "date"), ("Processed_At", "datetime"),
    ("Scheduled_At", "datetime"), ("Is_Active", "boolean"), ("Is_Billable", "boolean"), ("Is_Verified", "boolean"),
    ("Reference_Code", "string"), ("Summary", "string"), ("Notes", "textarea"), ("Contact_Email", "email"),
    ("Support_Phone", "phone"), ("Portal_Link", "url"), ("Line_Count", "int"),
)
STANDARD_LOOKUP_TARGETS = ("Account", "Contact", "Opportunity", "Case", "User")


@dataclass(frozen=True)
class GeneratedObject:
    """A generated object and its default row count at scale 1.0."""

    obj: ObjectDef
    base_rows: int


def key_prefix(index: int) -> str:
    """``a00``, ``a01``, ... ``a0z``, ``a10``: custom object key prefixes in catalog order."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "a" + digits[index // 62] + digits[index % 62]


def plural(label: str) -> str:
    if label.endswith("y") and not label.endswith(("ay", "ey", "oy")):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def _custom_field(name: str, type_: str, **kw) -> FieldDef:
    if type_ == "string":
        return text(name, 80, **kw)
    if type_ == "textarea":
        return textarea(name, 32768, **kw)
    if type_ == "boolean":
        return boolean(name, **kw)
    if type_ in ("email", "phone", "url"):
        return FieldDef(name, type_, length=80 if type_ != "url" else 255, **kw)
    return typed(name, type_, **kw)


def _formulas(rng: random.Random, fields: list[FieldDef]) -> list[FieldDef]:
    """One or two formula fields over the object's stored fields."""
    by_type: dict[str, list[FieldDef]] = {}
    for f in fields:
        by_type.setdefault(f.type, []).append(f)
    numeric = by_type.get("currency", []) + by_type.get("double", [])
    candidates = []
    if len(numeric) >= 2:
        a, b = numeric[0], numeric[1]
        candidates.append(typed(
            "Total_Value__c", "currency", createable=False, updateable=False,
            formula=f"{a.name} * {b.name}", derived_sql=f'"{a.name}" * "{b.name}"',
        ))
    if numeric:
        a = numeric[0]
        candidates.append(FieldDef(
            "Is_Large__c", "boolean", nillable=False, createable=False, updateable=False, defaulted_on_create=True,
            formula=f"{a.name} > 5000", derived_sql=f'coalesce("{a.name}" > 5000, false)',
        ))
    if by_type.get("date"):
        d = by_type["date"][0]
        candidates.append(typed(
            "Follow_Up_Date__c", "date", createable=False, updateable=False,
            formula=f"{d.name} + 30", derived_sql=f'"{d.name}" + 30',
        ))
    candidates.append(text(
        "Name_Code__c", 10, createable=False, updateable=False,
        formula="UPPER(LEFT(Name, 3))", derived_sql='upper(left("Name", 3))',
    ))
    rng.shuffle(candidates)
    return candidates[: rng.randint(1, 2)]


def _build() -> tuple[GeneratedObject, ...]:
    rng = random.Random(CATALOG_SEED)
    stems = [noun + qualifier for qualifier in QUALIFIERS for noun in NOUNS]
    stems = stems[: len(NOUNS)] + rng.sample(stems[len(NOUNS):], CUSTOM_OBJECT_COUNT - len(NOUNS))
    generated: list[GeneratedObject] = []
    for index, stem in enumerate(stems):
        name = f"{stem}__c"
        label = stem.replace("_", " ")
        fields: list[FieldDef] = [*audit_fields(name), *ownership_fields()]
        if rng.random() < 0.3:
            fields.append(text("Name", 80, createable=False, updateable=False, nillable=False, auto_number=True,
                               defaulted_on_create=True, name_field=True, label=f"{label} Number"))
        else:
            fields.append(text("Name", 80, nillable=False, name_field=True, label=f"{label} Name"))
        custom: list[FieldDef] = []
        if rng.random() < 0.7:
            custom.append(text(f"{stem.split('_')[0]}_External_Id__c", 50, external_id=True, unique=True,
                               label=f"{label} External ID"))
        parents = list(STANDARD_LOOKUP_TARGETS) + [g.obj.name for g in generated]
        base_noun = next((stem[: -len(q)] for q in QUALIFIERS if q and stem.endswith(q)), None)
        targets = [f"{base_noun}__c"] if base_noun else []  # Invoice_Line__c looks up Invoice__c
        parents = [p for p in parents if p not in targets]
        targets += rng.sample(parents, min(len(parents), rng.choice((0, 1, 1, 2, 2, 3))))
        for target in targets:
            target_stem = target[:-3] if target.endswith("__c") else target
            custom.append(reference(
                f"{target_stem}__c", (target,), f"{target_stem}__r", f"{plural(stem)}__r",
                label=target_stem.replace("_", " "),
            ))
        for pool in rng.sample(sorted(PICKLIST_POOLS), rng.randint(1, 3)):
            values = PICKLIST_POOLS[pool]
            custom.append(picklist(f"{pool}__c", values, restricted_picklist=rng.random() < 0.5))
        for field_name, type_ in rng.sample(SCALAR_FIELDS, rng.randint(3, 14)):
            custom.append(_custom_field(f"{field_name}__c", type_))
        custom += _formulas(rng, custom)
        fields += custom
        assert len({f.name.lower() for f in fields}) == len(fields), name
        obj = ObjectDef(name, key_prefix(index), label, plural(label), tuple(fields))
        generated.append(GeneratedObject(obj, rng.choice(BASE_ROW_CHOICES)))
    return tuple(generated)


GENERATED_CUSTOM_OBJECTS = _build()
CUSTOM_OBJECTS = tuple(g.obj for g in GENERATED_CUSTOM_OBJECTS)
BASE_ROWS = {g.obj.name: g.base_rows for g in GENERATED_CUSTOM_OBJECTS}
