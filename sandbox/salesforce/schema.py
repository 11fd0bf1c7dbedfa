"""The org's metadata: objects and fields with the properties describe reports and the store, SOQL and writes use.

Lookups of objects and fields are case-insensitive, like Salesforce. Compound address fields are described but
not stored: their components are.
"""

from __future__ import annotations

from .benchmark_objects import BENCHMARK_OBJECTS
from .custom_objects import CUSTOM_OBJECTS
from .metadata import (  # noqa: F401 (re-exported: other modules import these from schema)
    ADDRESS_COMPONENTS, SOAP_TYPES, SQL_TYPES, TEXT_TYPES, FieldDef, ObjectDef, _label_from_name, address,
    audit_fields, boolean, master_record_field, name_fields, ownership_fields, picklist, reference, text, textarea,
    typed,
)


# --- picklists ----------------------------------------------------------------------------------------------------

INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
    "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
    "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities", "Other",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
ACCOUNT_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other")
CUSTOMER_HEALTH = ("Healthy", "At Risk", "Critical")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted")
RATINGS = ("Hot", "Warm", "Cold")
OPPORTUNITY_STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
)
OPPORTUNITY_TYPES = (
    "New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
)
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Omitted", "Closed")
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
CASE_PRIORITIES = ("High", "Medium", "Low")
CASE_ORIGINS = ("Phone", "Email", "Web")
CASE_TYPES = ("Problem", "Feature Request", "Question")
CASE_REASONS = (
    "Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other",
)
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_PRIORITIES = ("High", "Normal", "Low")
TASK_SUBTYPES = ("Task", "Email", "Call")
USER_TYPES = ("Standard", "PowerPartner", "CsnOnly", "Guest")

# SQL that maps any spelling of a stage/status to its letters only, so derived flags ignore the seeded dirt.
_LETTERS = "lower(regexp_replace(coalesce({column}, ''), '[^A-Za-z]', '', 'g'))"


def _letters(column: str) -> str:
    return _LETTERS.format(column=f'"{column}"')


# --- objects ------------------------------------------------------------------------------------------------------

def _object(name: str, prefix: str, plural: str, *fields: FieldDef | tuple[FieldDef, ...], label: str = "") -> ObjectDef:
    flat: list[FieldDef] = []
    for item in fields:
        flat.extend(item if isinstance(item, tuple) else (item,))
    return ObjectDef(name, prefix, label or _label_from_name(name), plural, tuple(flat))


USER = _object(
    "User", "005", "Users",
    audit_fields("User"),
    text("Username", 80, nillable=False, unique=True),
    name_fields(),
    FieldDef("Email", "email", length=128, nillable=False),
    text("Title", 80),
    text("Department", 80),
    boolean("IsActive"),
    reference("ManagerId", ("User",), "Manager", "ManagedUsers"),
    picklist("UserType", USER_TYPES, restricted_picklist=True, createable=False, updateable=False,
             defaulted_on_create=True, default_value="Standard"),
)

ACCOUNT = _object(
    "Account", "001", "Accounts",
    audit_fields("Account"),
    ownership_fields(),
    master_record_field("Account"),
    text("Name", 255, nillable=False, name_field=True),
    picklist("Type", ACCOUNT_TYPES, label="Account Type"),
    picklist("Industry", INDUSTRIES),
    reference("ParentId", ("Account",), "Parent", "ChildAccounts"),
    address("Billing"),
    FieldDef("Phone", "phone", length=40, label="Account Phone"),
    FieldDef("Website", "url", length=255),
    typed("AnnualRevenue", "currency"),
    typed("NumberOfEmployees", "int", label="Employees"),
    textarea("Description"),
    text("Customer_Key__c", 50, external_id=True, unique=True),
    typed("Open_Pipeline_Amount__c", "currency"),
    typed("Closed_Won_Amount__c", "currency"),
    typed("Open_Case_Count__c", "double"),
    typed("Avg_Case_Resolution_Hours__c", "double"),
    picklist("Customer_Health__c", CUSTOMER_HEALTH, restricted_picklist=True),
)

CONTACT = _object(
    "Contact", "003", "Contacts",
    audit_fields("Contact"),
    ownership_fields(),
    master_record_field("Contact"),
    reference("AccountId", ("Account",), "Account", "Contacts"),
    picklist("Salutation", SALUTATIONS),
    name_fields(),
    FieldDef("Email", "email", length=80),
    FieldDef("Phone", "phone", length=40, label="Business Phone"),
    FieldDef("MobilePhone", "phone", length=40),
    text("Title", 128),
    text("Department", 80),
    picklist("LeadSource", LEAD_SOURCES),
    address("Mailing"),
    boolean("HasOptedOutOfEmail", label="Email Opt Out"),
    typed("Birthdate", "date"),
)

LEAD = _object(
    "Lead", "00Q", "Leads",
    audit_fields("Lead"),
    ownership_fields(),
    master_record_field("Lead"),
    name_fields(),
    text("Company", 255, nillable=False),
    text("Title", 128),
    FieldDef("Email", "email", length=80),
    FieldDef("Phone", "phone", length=40),
    picklist("Status", LEAD_STATUSES, nillable=False, defaulted_on_create=True, default_value="Open - Not Contacted"),
    picklist("LeadSource", LEAD_SOURCES),
    picklist("Industry", INDUSTRIES),
    picklist("Rating", RATINGS),
    typed("AnnualRevenue", "currency"),
    typed("NumberOfEmployees", "int"),
    text("Country", 80),
    boolean("IsConverted", createable=True, updateable=False),
    typed("ConvertedDate", "date", createable=False, updateable=False),
    reference("ConvertedAccountId", ("Account",), "ConvertedAccount", createable=False, updateable=False),
    reference("ConvertedContactId", ("Contact",), "ConvertedContact", createable=False, updateable=False),
    reference(
        "ConvertedOpportunityId", ("Opportunity",), "ConvertedOpportunity", createable=False, updateable=False
    ),
)

OPPORTUNITY = _object(
    "Opportunity", "006", "Opportunities",
    audit_fields("Opportunity"),
    ownership_fields(),
    reference("AccountId", ("Account",), "Account", "Opportunities"),
    text("Name", 120, nillable=False, name_field=True),
    textarea("Description"),
    picklist("StageName", OPPORTUNITY_STAGES, nillable=False, label="Stage"),
    typed("Amount", "currency"),
    typed("Probability", "percent", label="Probability (%)"),
    typed("CloseDate", "date", nillable=False),
    picklist("Type", OPPORTUNITY_TYPES, label="Opportunity Type"),
    picklist("LeadSource", LEAD_SOURCES),
    boolean("IsClosed", createable=False, updateable=False,
            derived_sql=f"{_letters('StageName')} IN ('closedwon', 'closedlost')"),
    boolean("IsWon", createable=False, updateable=False, derived_sql=f"{_letters('StageName')} = 'closedwon'"),
    picklist("ForecastCategoryName", FORECAST_CATEGORIES, label="Forecast Category"),
)

CASE = _object(
    "Case", "500", "Cases",
    audit_fields("Case"),
    ownership_fields(),
    master_record_field("Case"),
    text("CaseNumber", 30, createable=False, updateable=False, nillable=False, auto_number=True,
         defaulted_on_create=True, name_field=True),
    reference("AccountId", ("Account",), "Account", "Cases"),
    reference("ContactId", ("Contact",), "Contact", "Cases"),
    text("Subject", 255),
    textarea("Description"),
    picklist("Status", CASE_STATUSES, defaulted_on_create=True, default_value="New"),
    picklist("Priority", CASE_PRIORITIES, defaulted_on_create=True, default_value="Medium"),
    picklist("Origin", CASE_ORIGINS, label="Case Origin"),
    picklist("Type", CASE_TYPES, label="Case Type"),
    picklist("Reason", CASE_REASONS, label="Case Reason"),
    boolean("IsClosed", label="Closed", createable=False, updateable=False,
            derived_sql=f"{_letters('Status')} = 'closed'"),
    boolean("IsEscalated", label="Escalated"),
    typed("ClosedDate", "datetime", createable=False, updateable=False,
          derived_sql=f"CASE WHEN {_letters('Status')} = 'closed' THEN coalesce(\"ClosedDate\", {{now}}) END"),
)

TASK = _object(
    "Task", "00T", "Tasks",
    audit_fields("Task"),
    ownership_fields(),
    reference("WhoId", ("Contact", "Lead"), "Who", "Tasks", label="Name ID"),
    reference("WhatId", ("Account", "Opportunity", "Case"), "What", "Tasks", label="Related To ID"),
    text("Subject", 255),
    typed("ActivityDate", "date", label="Due Date Only"),
    picklist("Status", TASK_STATUSES, nillable=False, defaulted_on_create=True, default_value="Not Started"),
    picklist("Priority", TASK_PRIORITIES, nillable=False, defaulted_on_create=True, default_value="Normal"),
    boolean("IsClosed", label="Closed", createable=False, updateable=False,
            derived_sql=f"{_letters('Status')} = 'completed'"),
    picklist("TaskSubtype", TASK_SUBTYPES, createable=True, updateable=False),
    textarea("Description", label="Comments"),
)

STANDARD_OBJECTS = (USER, ACCOUNT, CONTACT, LEAD, OPPORTUNITY, CASE, TASK)

# the generated custom objects (a deterministic catalog) and the benchmark shapes complete the catalog

OBJECTS: dict[str, ObjectDef] = {o.name: o for o in (*STANDARD_OBJECTS, *CUSTOM_OBJECTS, *BENCHMARK_OBJECTS)}
_OBJECTS_BY_LOWER_NAME = {name.lower(): o for name, o in OBJECTS.items()}
_OBJECTS_BY_PREFIX = {o.key_prefix: o for o in OBJECTS.values()}


def get_object(name: str) -> ObjectDef | None:
    return _OBJECTS_BY_LOWER_NAME.get(name.lower())


def object_for_id(record_id: str) -> ObjectDef | None:
    return _OBJECTS_BY_PREFIX.get(record_id[:3])


def child_relationships(parent: ObjectDef) -> list[tuple[ObjectDef, FieldDef]]:
    """(child object, reference field) for every reference pointing at ``parent``."""
    return [
        (child, f)
        for child in OBJECTS.values()
        for f in child.fields
        if f.type == "reference" and parent.name in f.reference_to
    ]
