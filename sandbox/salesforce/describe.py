"""Describe metadata as the REST API returns it: global describe, sObject describe and sObject metadata, as the
integration user sees the org (``access.py``: hidden objects and fields are left out, queryable/replicateable flags)."""

from __future__ import annotations

from .access import UNRESTRICTED, OrgAccess
from .schema import OBJECTS, FieldDef, ObjectDef, child_relationships


def global_describe(version: str, access: OrgAccess | None = None) -> dict:
    access = access or UNRESTRICTED
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(o, version, access) for o in OBJECTS.values() if access.visible(o)],
    }


def object_summary(obj: ObjectDef, version: str, access: OrgAccess | None = None) -> dict:
    access = access or UNRESTRICTED
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    writable = obj.name != "User"
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": True,
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": writable,
        "deprecatedAndHidden": False,
        "feedEnabled": not obj.custom,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.field("MasterRecordId") is not None,
        "mruEnabled": True,
        "name": obj.name,
        "queryable": access.queryable(obj),
        "replicateable": access.replicateable(obj),
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": writable,
        "updateable": True,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def object_describe(obj: ObjectDef, version: str, access: OrgAccess | None = None) -> dict:
    access = access or UNRESTRICTED
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    described = object_summary(obj, version, access)
    children = [
        (child, f) for child, f in child_relationships(obj) if access.visible(child) and access.field(child, f.name)
    ]
    described.update(
        {
            "actionOverrides": [],
            "childRelationships": [_child_relationship(child, f) for child, f in children],
            "compactLayoutable": True,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": [field_describe(f) for f in access.fields(obj)],
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [
                {
                    "active": True, "available": True, "defaultRecordTypeMapping": True, "developerName": "Master",
                    "master": True, "name": "Master", "recordTypeId": "012000000000000AAA",
                    "urls": {"layout": f"{base}/describe/layouts/012000000000000AAA"},
                }
            ],
            "searchLayoutable": True,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All " + obj.label_plural.lower(), "name": "everything"}],
        }
    )
    described["urls"] = dict(
        described["urls"],
        compactLayouts=f"{base}/describe/compactLayouts",
        layouts=f"{base}/describe/layouts",
        quickActions=f"{base}/quickActions",
    )
    return described


def field_describe(f: FieldDef) -> dict:
    numeric = f.type in ("double", "currency", "percent")
    sized = f.is_text or f.type in ("id", "reference")
    filterable = f.type not in ("textarea", "address")
    return {
        "aggregatable": f.type not in ("textarea", "address", "boolean"),
        "aiPredictionField": False,
        "autoNumber": f.auto_number,
        "byteLength": f.length * 3 if sized else 0,
        "calculated": f.derived_sql is not None and f.name not in ("Name", "ClosedDate"),
        "calculatedFormula": f.formula,
        "cascadeDelete": False,
        "caseSensitive": f.type == "id",
        "compoundFieldName": f.compound_field_name,
        "controllerName": None,
        "createable": f.createable,
        "custom": f.custom,
        "defaultValue": False if f.type == "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": f.defaulted_on_create,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 9 if f.type == "int" else 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": f.external_id,
        "extraTypeInfo": _extra_type_info(f),
        "filterable": filterable,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": filterable and not numeric and f.type != "datetime",
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": f.type == "id" or f.external_id or (f.unique and f.is_text),
        "inlineHelpText": None,
        "label": f.display_label,
        "length": f.length if sized else 0,
        "mask": None,
        "maskType": None,
        "name": f.name,
        "nameField": f.name_field,
        "namePointing": len(f.reference_to) > 1,
        "nillable": f.nillable,
        "permissionable": f.nillable and f.createable,
        "picklistValues": [
            {"active": True, "defaultValue": value == f.default_value, "label": value, "validFor": None, "value": value}
            for value in f.picklist_values
        ],
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": 18 if numeric else 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": f.restricted_picklist,
        "scale": 2 if f.type in ("currency", "percent") else 0,
        "searchPrefilterable": f.type == "reference",
        "soapType": f.soap_type,
        "sortable": filterable,
        "type": f.type,
        "unique": f.unique,
        "updateable": f.updateable,
        "writeRequiresMasterRead": False,
    }


def _extra_type_info(f: FieldDef) -> str | None:
    return "plaintextarea" if f.type == "textarea" else None


def _child_relationship(child: ObjectDef, f: FieldDef) -> dict:
    return {
        "cascadeDelete": False,
        "childSObject": child.name,
        "deprecatedAndHidden": False,
        "field": f.name,
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": f.child_relationship_name,
        "restrictedDelete": False,
    }


def sobject_metadata(obj: ObjectDef, version: str, recent_items: list[dict], access: OrgAccess | None = None) -> dict:
    return {"objectDescribe": object_summary(obj, version, access), "recentItems": recent_items}
