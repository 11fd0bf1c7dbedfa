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
# multi-currency: the org's currencies (CurrencyType), the corporate one first
CURRENCIES = ("USD", "EUR", "GBP", "JPY")
PRODUCT_FAMILIES = ("Hardware", "Software", "Subscription", "Services")
UNITS_OF_MEASURE = ("Each", "Month", "Hour")
EVENT_SHOW_AS = ("Busy", "OutOfOffice", "Free")
EVENT_TYPES = ("Call", "Email", "Meeting", "Other")
EVENT_SUBTYPES = ("Event",)
CAMPAIGN_TYPES = (
    "Conference", "Webinar", "Trade Show", "Public Relations", "Partners", "Referral Program", "Advertisement",
    "Banner Ads", "Direct Mail", "Email", "Telemarketing", "Other",
)
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed", "Aborted")
CAMPAIGN_MEMBER_STATUSES = ("Sent", "Responded")

# SQL that maps any spelling of a stage/status to its letters only, so derived flags ignore the seeded dirt.
_LETTERS = "lower(regexp_replace(coalesce({column}, ''), '[^A-Za-z]', '', 'g'))"


def _letters(column: str) -> str:
    return _LETTERS.format(column=f'"{column}"')


# --- objects ------------------------------------------------------------------------------------------------------

def _currency_field(**kw) -> FieldDef:
    """CurrencyIsoCode, which a multi-currency org adds to every object holding amounts."""
    return picklist("CurrencyIsoCode", CURRENCIES, restricted_picklist=True, label="Currency ISO Code",
                    defaulted_on_create=True, default_value=CURRENCIES[0], **kw)


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
    _currency_field(),
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
    reference("Pricebook2Id", ("Pricebook2",), "Pricebook2", "Opportunities", label="Price Book ID"),
    reference("CampaignId", ("Campaign",), "Campaign", "Opportunities"),
    _currency_field(),
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

EVENT = _object(
    "Event", "00U", "Events",
    audit_fields("Event"),
    ownership_fields(),
    reference("WhoId", ("Contact", "Lead"), "Who", "Events", label="Name ID"),
    reference("WhatId", ("Account", "Opportunity", "Case", "Campaign"), "What", "Events", label="Related To ID"),
    reference("AccountId", ("Account",), "Account", createable=False, updateable=False),
    text("Subject", 255),
    text("Location", 255),
    boolean("IsAllDayEvent", label="All-Day Event"),
    typed("ActivityDateTime", "datetime", label="Due Date Time"),
    typed("ActivityDate", "date", label="Due Date Only"),
    typed("StartDateTime", "datetime", label="Start Date Time"),
    typed("EndDateTime", "datetime", label="End Date Time"),
    typed("DurationInMinutes", "int", label="Duration"),
    picklist("ShowAs", EVENT_SHOW_AS, label="Show Time As"),
    picklist("Type", EVENT_TYPES),
    picklist("EventSubtype", EVENT_SUBTYPES, createable=True, updateable=False),
    boolean("IsPrivate", label="Private"),
    textarea("Description"),
)

CAMPAIGN = _object(
    "Campaign", "701", "Campaigns",
    audit_fields("Campaign"),
    ownership_fields(),
    text("Name", 80, nillable=False, name_field=True),
    reference("ParentId", ("Campaign",), "Parent", "ChildCampaigns", label="Parent Campaign ID"),
    picklist("Type", CAMPAIGN_TYPES),
    picklist("Status", CAMPAIGN_STATUSES),
    typed("StartDate", "date"),
    typed("EndDate", "date"),
    typed("ExpectedRevenue", "currency", label="Expected Revenue in Campaign"),
    typed("BudgetedCost", "currency", label="Budgeted Cost in Campaign"),
    typed("ActualCost", "currency", label="Actual Cost in Campaign"),
    typed("ExpectedResponse", "percent", label="Expected Response (%)"),
    typed("NumberSent", "double", label="Num Sent in Campaign"),
    boolean("IsActive", label="Active"),
    textarea("Description"),
    _currency_field(),
)

CAMPAIGN_MEMBER = _object(
    "CampaignMember", "00v", "Campaign Members",
    audit_fields("CampaignMember"),
    boolean("IsDeleted", createable=False, updateable=False),
    reference("CampaignId", ("Campaign",), "Campaign", "CampaignMembers", nillable=False, updateable=False),
    reference("LeadId", ("Lead",), "Lead", "CampaignMembers", updateable=False),
    reference("ContactId", ("Contact",), "Contact", "CampaignMembers", updateable=False),
    picklist("Status", CAMPAIGN_MEMBER_STATUSES),
    boolean("HasResponded", label="Responded", createable=False, updateable=False),
    typed("FirstRespondedDate", "date", createable=False, updateable=False),
)

PRODUCT2 = _object(
    "Product2", "01t", "Products",
    audit_fields("Product2"),
    boolean("IsDeleted", createable=False, updateable=False),
    text("Name", 255, nillable=False, name_field=True, label="Product Name"),
    text("ProductCode", 255),
    textarea("Description", 4000, label="Product Description"),
    boolean("IsActive", label="Active"),
    picklist("Family", PRODUCT_FAMILIES, label="Product Family"),
    picklist("QuantityUnitOfMeasure", UNITS_OF_MEASURE, label="Quantity Unit Of Measure"),
    text("StockKeepingUnit", 180, label="Product SKU"),
    text("ExternalId", 255, label="External ID"),
    boolean("IsArchived", createable=False, updateable=False),
    _currency_field(),
)

PRICEBOOK2 = _object(
    "Pricebook2", "01s", "Price Books",
    audit_fields("Pricebook2"),
    boolean("IsDeleted", createable=False, updateable=False),
    text("Name", 255, nillable=False, name_field=True, label="Price Book Name"),
    boolean("IsActive", label="Active"),
    boolean("IsStandard", label="Is Standard Price Book", createable=False, updateable=False),
    boolean("IsArchived", createable=False, updateable=False),
    textarea("Description", 255),
)

PRICEBOOK_ENTRY = _object(
    "PricebookEntry", "01u", "Price Book Entries",
    audit_fields("PricebookEntry"),
    boolean("IsDeleted", createable=False, updateable=False),
    text("Name", 255, createable=False, updateable=False, name_field=True, label="Product Name"),
    reference("Pricebook2Id", ("Pricebook2",), "Pricebook2", "PricebookEntries", nillable=False, updateable=False,
              label="Price Book ID"),
    reference("Product2Id", ("Product2",), "Product2", "PricebookEntries", nillable=False, updateable=False,
              label="Product ID"),
    typed("UnitPrice", "currency", nillable=False, label="List Price"),
    boolean("IsActive", label="Active"),
    boolean("UseStandardPrice", label="Use Standard Price"),
    text("ProductCode", 255, createable=False, updateable=False),
    boolean("IsArchived", createable=False, updateable=False),
    _currency_field(updateable=False),
)

OPPORTUNITY_LINE_ITEM = _object(
    "OpportunityLineItem", "00k", "Opportunity Product",
    audit_fields("OpportunityLineItem"),
    boolean("IsDeleted", createable=False, updateable=False),
    reference("OpportunityId", ("Opportunity",), "Opportunity", "OpportunityLineItems", nillable=False,
              updateable=False),
    text("Name", 376, createable=False, updateable=False, name_field=True, label="Opportunity Product Name"),
    reference("PricebookEntryId", ("PricebookEntry",), "PricebookEntry", "OpportunityLineItems",
              updateable=False, label="Price Book Entry ID"),
    reference("Product2Id", ("Product2",), "Product2", "OpportunityLineItems", updateable=False,
              label="Product ID"),
    text("ProductCode", 255, createable=False, updateable=False),
    typed("Quantity", "double", nillable=False),
    typed("UnitPrice", "currency", label="Sales Price"),
    typed("ListPrice", "currency", createable=False, updateable=False, label="List Price"),
    typed("Discount", "percent"),
    typed("Subtotal", "currency", createable=False, updateable=False),
    typed("TotalPrice", "currency"),
    typed("ServiceDate", "date", label="Date"),
    text("Description", 255, label="Line Description"),
    typed("SortOrder", "int", createable=False, updateable=False),
    _currency_field(createable=False, updateable=False),
)

CURRENCY_TYPE = _object(
    "CurrencyType", "02o", "Currencies",
    audit_fields("CurrencyType"),
    picklist("IsoCode", CURRENCIES, restricted_picklist=True, nillable=False, label="Currency ISO Code"),
    typed("ConversionRate", "double", nillable=False, label="Conversion Rate"),
    typed("DecimalPlaces", "int", nillable=False, label="Decimal Places"),
    boolean("IsActive", label="Active"),
    boolean("IsCorporate", label="Corporate Currency"),
)

DATED_CONVERSION_RATE = _object(
    "DatedConversionRate", "04w", "Dated Conversion Rates",
    audit_fields("DatedConversionRate"),
    picklist("IsoCode", CURRENCIES, restricted_picklist=True, nillable=False, label="Currency ISO Code"),
    typed("ConversionRate", "double", nillable=False, label="Conversion Rate"),
    typed("StartDate", "date", nillable=False, label="Start Date"),
    typed("NextStartDate", "date", createable=False, updateable=False, label="Next Start Date"),
)

STANDARD_OBJECTS = (
    USER, ACCOUNT, CONTACT, LEAD, OPPORTUNITY, CASE, TASK, EVENT, CAMPAIGN, CAMPAIGN_MEMBER, PRODUCT2, PRICEBOOK2,
    PRICEBOOK_ENTRY, OPPORTUNITY_LINE_ITEM, CURRENCY_TYPE, DATED_CONVERSION_RATE,
)

# the generated custom objects (a deterministic catalog) and the benchmark shapes complete the catalog

OBJECTS: dict[str, ObjectDef] = {o.name: o for o in (*STANDARD_OBJECTS, *CUSTOM_OBJECTS, *BENCHMARK_OBJECTS)}
_OBJECTS_BY_LOWER_NAME = {name.lower(): o for name, o in OBJECTS.items()}
_OBJECTS_BY_PREFIX = {o.key_prefix: o for o in OBJECTS.values()}
assert len(_OBJECTS_BY_PREFIX) == len(OBJECTS), "two objects share a key prefix"


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
