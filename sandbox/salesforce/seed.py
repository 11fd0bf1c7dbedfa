"""Deterministic seeding of an empty org, one vectorised ``INSERT ... SELECT`` per object.

Every random choice is ``hash(seed, row number, salt)``, so a seed number and a scale always give the same ids and
values. Timestamps are laid out over the three years before ``SEED_END`` (a fixed instant, not the wall clock, so
seeding is reproducible). The dirt described in ARCHITECTURE.md is put in on purpose.
"""

from __future__ import annotations

import datetime as dt
import random
import string
import time
from collections.abc import Callable, Mapping

import duckdb

from .benchmark_objects import BENCH_BASE_ROWS, BENCHMARK_OBJECTS
from .custom_objects import BASE_ROWS as CUSTOM_BASE_ROWS
from .custom_objects import CUSTOM_OBJECTS
from .generated_rows import RowGenerator
from .recycle_bin import SEED_END as BIN_SEED_END
from .recycle_bin import seed_recycle_bin
from .schema import (
    ACCOUNT_TYPES, CASE_ORIGINS, CASE_PRIORITIES, CASE_REASONS, CASE_STATUSES, CASE_TYPES, INDUSTRIES,
    LEAD_SOURCES, LEAD_STATUSES, OBJECTS, OPPORTUNITY_STAGES, OPPORTUNITY_TYPES, RATINGS, SALUTATIONS,
    TASK_PRIORITIES, TASK_STATUSES, TASK_SUBTYPES, ObjectDef, get_object,
)
from .schema import (
    CAMPAIGN_MEMBER_STATUSES, CAMPAIGN_STATUSES, CAMPAIGN_TYPES, CURRENCIES, EVENT_SHOW_AS, EVENT_TYPES,
    PRODUCT_FAMILIES,
)
from .store import OrgStore, is_wide, quote

SEED_END = dt.datetime(2025, 6, 1)
assert SEED_END == BIN_SEED_END
SEED_BATCH_ROWS = 1_000_000
WIDE_SEED_BATCH_ROWS = 250_000
SPAN_SECONDS = 3 * 365 * 86400
INTEGRATION_USERNAME = "integration@medallion-sandbox.example.com"
DEFAULT_ORG_ID = "00D8d0000000001EAA"
BASE_COUNTS = {
    "User": 50, "Account": 600, "Contact": 1800, "Lead": 2500, "Opportunity": 1500, "Case": 2000, "Task": 5000,
    "Event": 2000, "Campaign": 40, "CampaignMember": 1500, "Product2": 150, "OpportunityLineItem": 3500,
}
# multi-currency (advanced currency management): the org's currencies, their static rate against the corporate
# currency (USD) and decimal places; dated rates start every quarter over the seeded span (see DATED_RATE_STARTS)
CURRENCY_RATES = {"USD": (1.0, 2), "EUR": (0.92, 2), "GBP": (0.79, 2), "JPY": (151.5, 0)}
DATED_RATE_STARTS = tuple(dt.date(2022 + (5 + 3 * k) // 12, (5 + 3 * k) % 12 + 1, 1) for k in range(13))
FIRST_RATE_START = dt.date(1, 1, 1)  # the rate Salesforce creates when dated rates are enabled: valid since ever
LAST_RATE_END = dt.date(9999, 12, 31)  # NextStartDate of a currency's latest rate (none follows)
# price books: standard (every currency), partner (USD), EMEA (EUR, GBP); one entry per product and pair
PRICEBOOKS = (("Standard Price Book", True, ("USD", "EUR", "GBP", "JPY")), ("Partner Price Book", False, ("USD",)),
              ("EMEA Price Book", False, ("EUR", "GBP")))
PRICEBOOK_ENTRY_PAIRS = tuple((book, currency) for book, (_, _, currencies) in enumerate(PRICEBOOKS, start=1)
                              for currency in currencies)
CURRENCY_BY_COUNTRY = {"Switzerland": "EUR", "Germany": "EUR", "Ireland": "EUR", "Poland": "EUR",
                       "United Kingdom": "GBP"}  # the ERP's mapping (sandbox/erp/seed.py); any other country: USD
PRODUCT_FAMILY_CODES = {"Hardware": "HW", "Software": "SW", "Subscription": "SUB", "Services": "SVC"}
PRODUCT_FAMILY_UNITS = {"Hardware": "Each", "Software": "Each", "Subscription": "Month", "Services": "Hour"}
ADJECTIVES = ["Basic", "Standard", "Pro", "Enterprise", "Premium", "Lite", "Plus", "Ultra", "Compact", "XL"]
PRODUCT_NOUNS = ["Gateway", "Sensor", "Analytics Suite", "Data Connector", "Cloud Seat", "Storage Plan",
                 "Implementation", "Training", "Überwachung Unit", "Données Migration"]
EVENT_SUBJECTS = ["Meeting", "Demo", "Quarterly business review", "Lunch, with the CFO", "Onsite visit",
                  'Kick-off "phase 2"']
EVENT_LOCATIONS = ["Zoom", "Customer office", "Zürich HQ", "東京 office", "Café Crème, Rue de la Paix"]
CAMPAIGN_NAMES = ["Spring Webinar", "Trade Show", "Partner Summit", "Email Nurture", "Direct Mail Q",
                  "Rocket Launch 🚀", "Ärzte Kongress"]

FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Sean",
    "Aoife", "José", "Zoë", "François", "Søren", "Ana", "Björn", "Priya", "Wei", "Yuki", "Fatima", "Olu", "Chloé",
    "Mateo", "Ingrid", "Raj", "Hana", "太郎", "Łukasz",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "O'Brien", "O'Neil", "Müller",
    "Nuñez", "Schröder", "D'Angelo", "van der Berg", "Kowalski", "Nakamura", "Okafor", "Singh", "Chen", "Rossi",
    "Dubois", "Andersson", "Ivanova", "山田", "Smith-Jones", "MacDonald", "García Márquez", "Lee", "Kim",
]
COMPANY_ROOTS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Massive Dynamic", "Aperture", "Black Mesa", "Nakatomi", "Gringotts", "Oscorp", "Pied Piper",
    '"Big" Co', "O'Brien & Sons", "Smith, Jones and Partners", "Zürich Versicherungs", "São Paulo Logística",
    "東京 Trading", "Müller Maschinenbau", "🚀 Rocket Labs", "Crème Brûlée Bakery", "Nordlys", "Ærø Shipping",
]
COMPANY_SUFFIXES = ["Inc", "LLC", "Ltd", "GmbH", "Group", "Holdings", "Corp", "SA", "AG", "Co"]
LOCATIONS = [
    ("San Francisco", "CA", "94105", "United States"), ("New York", "NY", "10001", "United States"),
    ("Austin", "TX", "73301", "United States"), ("Chicago", "IL", "60601", "United States"),
    ("Zürich", "ZH", "8001", "Switzerland"), ("São Paulo", "SP", "01000-000", "Brazil"),
    ("東京", "東京都", "100-0001", "Japan"), ("München", "BY", "80331", "Germany"),
    ("London", None, "EC1A 1BB", "United Kingdom"), ("Dublin", None, "D02 X285", "Ireland"),
    ("Montréal", "QC", "H2Y 1C6", "Canada"), ("Kraków", None, "30-001", "Poland"),
]
STREETS = ["Main St", "Market Street", "Bahnhofstrasse", "Rua Augusta", "High Street", "Rue de la Paix", "Elm Ave"]
TITLES = [
    "CEO", "CFO", "VP Sales", "Head of IT", "Procurement Manager", "Engineer", "Director, Operations",
    "Office Manager", "Data Analyst", "Marketing Lead",
]
DEPARTMENTS = ["Sales", "Support", "Finance", "IT", "Marketing", "Operations"]
USER_TITLES = ["Account Executive", "Sales Manager", "Support Agent", "Sales Director", "SDR", "Support Manager"]
DESCRIPTIONS = [
    "Key account, renewal due in Q3.",
    'Customer said "call me next week", follow up.',
    "Line one\nLine two, with a comma",
    "Multi-line note:\n- item 1\n- item 2\r\n- item 3",
    "Prefers email; don't call before 10am",
    "Grüße aus Zürich — 東京 office interested 🚀",
    "Budget: $50,000; decision in \"Q4\"",
]
CASE_SUBJECTS = [
    "Cannot log in", "Invoice question", "Feature request: export to CSV", "Outage in EU region",
    "Password reset", "Billing address change", 'Error "500" on checkout', "Slow dashboard, again",
]
TASK_SUBJECTS = ["Call", "Send quote", "Follow up", "Email", "Demo", "Send contract", "Check in, re: renewal"]
OPPORTUNITY_SUFFIXES = ["Expansion", "Renewal", "New Business", "Pilot", "Upgrade", "Services"]
INVALID_EMAILS = ["john.doe@", "n/a", "someone at example.com", "@example.com", "none"]
STAGE_PROBABILITY = [10, 10, 20, 50, 60, 70, 75, 90, 100, 0]
STAGE_FORECAST = [
    "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Pipeline", "Best Case", "Best Case", "Commit", "Closed",
    "Omitted",
]


def object_counts(scale: float, options: Mapping[str, str] | None = None) -> dict[str, int]:
    """Rows per object: the standard objects' ``BASE_COUNTS`` times ``scale``; the generated custom objects' base
    rows (200 to 5,000 each) and the benchmark objects' ``BENCH_BASE_ROWS`` times ``custom_scale`` (an option;
    default ``min(scale, 1)``: 200 objects times a big scale would take minutes to seed). The option
    ``rows.<Object>=N`` sets exactly N rows of one object (any object, case-insensitive name)."""
    options = options or {}
    counts = {name: max(1, round(base * scale)) for name, base in BASE_COUNTS.items()}
    counts["User"] = max(5, counts["User"])
    custom_scale = float(options.get("custom_scale", min(scale, 1.0)))
    counts.update({name: round(base * custom_scale) for name, base in CUSTOM_BASE_ROWS.items()})
    counts.update({o.name: round(BENCH_BASE_ROWS * custom_scale) for o in BENCHMARK_OBJECTS})
    for key, value in options.items():
        if key.lower().startswith("rows."):
            obj = get_object(key[len("rows."):])
            if obj is None:
                raise ValueError(f"option {key}: unknown object")
            counts[obj.name] = int(value)
    # fixed by the org's currencies and price books, whatever the options; one price book entry per product and
    # (price book, currency) pair; lines need opportunities and products
    counts.update({"Pricebook2": len(PRICEBOOKS), "CurrencyType": len(CURRENCY_RATES),
                   "DatedConversionRate": len(CURRENCY_RATES) * (1 + len(DATED_RATE_STARTS))})
    counts["PricebookEntry"] = counts["Product2"] * len(PRICEBOOK_ENTRY_PAIRS)
    if not (counts["Opportunity"] and counts["Product2"]):
        counts["OpportunityLineItem"] = 0
    if not (counts["Campaign"] and (counts["Lead"] or counts["Contact"])):
        counts["CampaignMember"] = 0
    if counts["User"] < 1:
        raise ValueError("the org needs at least one User (the integration user)")
    return counts


def seed_org(store: OrgStore, seed: int, scale: float, options: Mapping[str, str] | None = None,
             progress: Callable[[str, int, float], None] | None = None) -> dict[str, int]:
    """Fill an empty org (the caller checks that it is empty) and store its settings: the generated objects in a
    first transaction, the standard objects, id sequences and settings (which mark the org seeded) in a second.

    ``options``: see ``object_counts``; ``org_id=`` and ``username=`` (of the integration user) make another org
    than the default one (``sandbox/salesforce_2/``); ``recycle_bin=false`` leaves out the records a new org ships with in its
    Recycle Bin and the merged ones (``recycle_bin.py``). ``progress(object, rows, seconds)`` is called after each
    object. Returns the rows seeded per object (soft-deleted ones included).
    """
    counts = object_counts(scale, options)
    credentials = _credentials(seed)
    username = (options or {}).get("username") or INTEGRATION_USERNAME
    org_id = (options or {}).get("org_id") or DEFAULT_ORG_ID
    generated = _seed_generated(store, RowGenerator(seed, counts), counts, progress)
    with store.write() as cur:
        _create_macros(cur, seed)
        for object_name, statement in _statements(counts, username).items():
            started = time.monotonic()
            cur.execute(statement)
            OrgStore.reserve_sequence(cur, OBJECTS[object_name].key_prefix, counts[object_name])
            if progress:
                progress(object_name, counts[object_name], time.monotonic() - started)
        if str((options or {}).get("recycle_bin", "true")).lower() not in ("false", "0", "no"):
            started = time.monotonic()
            seed_recycle_bin(cur, seed, counts)
            if progress:
                progress("(recycle bin and merges)", 0, time.monotonic() - started)
        # the generated objects' id sequences in one statement (OrgStore.reserve_sequence per prefix costs ~4 ms)
        values = ", ".join(f"('{obj.key_prefix}', {1 + counts[obj.name]})" for obj in generated)
        cur.execute(
            f"INSERT INTO meta.sequences VALUES {values} ON CONFLICT (key_prefix) DO UPDATE "
            "SET next_value = next_value + excluded.next_value - 1"
        )
        OrgStore.put_settings(
            cur,
            {
                "seed": str(seed), "scale": str(scale), "username": username,
                "password": credentials["password"], "security_token": credentials["security_token"],
                "client_id": credentials["client_id"], "client_secret": credentials["client_secret"],
                "org_id": org_id,
            },
        )
    return counts


def _seed_generated(store: OrgStore, generator: RowGenerator, counts: dict[str, int],
                    progress: Callable[[str, int, float], None] | None) -> tuple[ObjectDef, ...]:
    """Fill the generated objects in transactions of their own that empty their tables first, so an interrupted
    seeding (no ``seed`` setting stored yet) starts over cleanly. Objects of few rows cost mostly the planning of
    their statement (about 20 ms each); big ones about 2 us per row, mostly DuckDB storing them.

    Wide objects (``store.is_wide``: ``Bench_Wide__c``) are stored in a transaction of their own with their text
    uncompressed (``store.uncompressed_strings``): scanning 100+ DICT_FSST-compressed text columns costs DuckDB about
    120 MB per thread outside its memory limit, which broke the 512 MB bound (docs/SANDBOX_SCALE.md)."""
    objects = (*CUSTOM_OBJECTS, *BENCHMARK_OBJECTS)
    narrow = [obj for obj in objects if not is_wide(obj)]
    wide = [obj for obj in objects if is_wide(obj)]

    def fill(cur, obj: ObjectDef, batch_rows: int) -> None:
        started = time.monotonic()
        cur.execute(f"DELETE FROM {quote(obj.name)}")
        # big objects go in batches: each statement's buffers are freed before the next (bounded memory)
        for first in range(1, counts[obj.name] + 1, batch_rows):
            cur.execute(generator.insert_sql(obj, min(batch_rows, counts[obj.name] + 1 - first), first))
        if progress:
            progress(obj.name, counts[obj.name], time.monotonic() - started)

    with store.write() as cur:
        generator.prepare(cur)
        for obj in narrow:
            fill(cur, obj, SEED_BATCH_ROWS)
    for obj in wide:
        with store.wide_operation(), store.uncompressed_strings(), store.write() as cur:
            generator.prepare(cur)
            fill(cur, obj, WIDE_SEED_BATCH_ROWS)
    return objects


def _credentials(seed: int) -> dict[str, str]:
    rng = random.Random(f"credentials:{seed}")
    alnum = string.ascii_letters + string.digits

    def token(length: int) -> str:
        return "".join(rng.choice(alnum) for _ in range(length))

    return {
        "password": "Sandbox-" + token(12),
        "security_token": token(24),
        "client_id": "3MVG9" + token(80),
        "client_secret": token(64).upper(),
    }


def _sql_list(values) -> str:
    def literal(value):
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, tuple):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return "'" + str(value).replace("'", "''") + "'"

    return "[" + ", ".join(literal(v) for v in values) + "]"


def _create_macros(cur: duckdb.DuckDBPyConnection, seed: int) -> None:
    end = SEED_END.strftime("%Y-%m-%d %H:%M:%S")
    macros = [
        f"rnd(i, salt) AS hash({int(seed)}, i, salt)",
        "rand_int(i, salt, lo, hi) AS lo + CAST(rnd(i, salt) % (hi - lo + 1) AS BIGINT)",
        "chance(i, salt, p) AS (rnd(i, salt) % 10000) < p * 10000",
        "pick(l, i, salt) AS l[1 + CAST(rnd(i, salt) % len(l) AS INTEGER)]",
        f"seed_time(i, salt) AS TIMESTAMP '{end}' - to_seconds(CAST(rnd(i, salt) % {SPAN_SECONDS} AS BIGINT))",
        f"seed_end() AS TIMESTAMP '{end}'",
        # a spelling variant of a picklist value: case, spacing and punctuation dirt
        "dirty(v, i, salt) AS pick([lower(v), upper(v), ' ' || v || ' ', replace(v, ' ', '-'), "
        "lower(replace(v, ' - ', ' ')), v || ' '], i, salt)",
        "maybe_dirty(v, i, salt, p) AS CASE WHEN chance(i, salt, p) THEN dirty(v, i, salt || '#') ELSE v END",
        "person_email(first, last, domain) AS "
        "lower(regexp_replace(strip_accents(first || '.' || last), '[^A-Za-z0-9.]', '', 'g')) || '@' || domain",
    ]
    for macro in macros:
        cur.execute(f"CREATE OR REPLACE TEMP MACRO {macro}")


def _statements(counts: dict[str, int], username: str = INTEGRATION_USERNAME) -> dict[str, str]:
    n_users, n_accounts, n_contacts = counts["User"], counts["Account"], counts["Contact"]
    n_opps, n_cases = counts["Opportunity"], counts["Case"]
    n_campaigns = counts["Campaign"]
    account_currency = "CASE " + " ".join(
        f"WHEN t.loc[4] = '{country}' THEN '{currency}'" for country, currency in CURRENCY_BY_COUNTRY.items()
    ) + " ELSE 'USD' END"
    managers = max(1, n_users // 8)
    owner = f"sf_id('005', rand_int(i, 'owner', 2, {n_users}))"
    audit = (
        f"t.created AS \"CreatedDate\", "
        f"CASE WHEN chance(i, 'creator', 0.3) THEN sf_id('005', 1) ELSE t.owner END AS \"CreatedById\", "
        f"t.modified AS \"LastModifiedDate\", "
        f"CASE WHEN chance(i, 'modifier', 0.5) THEN sf_id('005', 1) ELSE t.owner END AS \"LastModifiedById\", "
        f"t.modified + to_seconds(CASE WHEN chance(i, 'system', 0.2) THEN rand_int(i, 'sysdelay', 1, 3600) "
        f"ELSE 0 END) AS \"SystemModstamp\""
    )
    # created somewhen in the span; modified between created and the end of the span
    times = (
        "seed_time(i, 'created') AS created, "
        "seed_time(i, 'created') + to_seconds(CAST(rnd(i, 'modified') % "
        "(1 + epoch(seed_end() - seed_time(i, 'created'))) AS BIGINT)) AS modified"
    )
    locations = _sql_list(LOCATIONS)
    company = f"pick({_sql_list(COMPANY_ROOTS)}, i, 'company') || ' ' || pick({_sql_list(COMPANY_SUFFIXES)}, i, 'suffix')"
    street = (
        f"CAST(rand_int(i, 'streetno', 1, 999) AS VARCHAR) || ' ' || pick({_sql_list(STREETS)}, i, 'street') || "
        "CASE WHEN chance(i, 'suite', 0.15) THEN chr(10) || 'Suite ' || CAST(rand_int(i, 'suiteno', 100, 999) "
        "AS VARCHAR) ELSE '' END"
    )
    description = f"CASE WHEN chance(i, 'desc', 0.4) THEN pick({_sql_list(DESCRIPTIONS)}, i, 'desctext') END"
    phone = "'+1 (' || CAST(rand_int(i, 'area', 200, 999) AS VARCHAR) || ') 555-' || lpad(CAST(rand_int(i, 'line', 0, 9999) AS VARCHAR), 4, '0')"
    industry = (
        f"CASE WHEN chance(i, 'indnull', 0.08) THEN NULL "
        f"WHEN chance(i, 'indtech', 0.05) THEN pick(['tech', ' Technology ', 'technology', 'Tech'], i, 'techv') "
        # values outside the picklist, as unrestricted picklists collect them from imports: silver quarantines these
        f"WHEN chance(i, 'indunknown', 0.01) THEN pick(['Crypto', 'Space Tourism', 'N/A - see notes'], i, 'indunk') "
        f"ELSE maybe_dirty(pick({_sql_list(INDUSTRIES)}, i, 'industry'), i, 'inddirt', 0.12) END"
    )
    first, last = f"pick({_sql_list(FIRST_NAMES)}, i, 'first')", f"pick({_sql_list(LAST_NAMES)}, i, 'last')"
    email = (
        f"CASE WHEN chance(i, 'emailnull', 0.05) THEN NULL "
        f"WHEN chance(i, 'emailbad', 0.03) THEN pick({_sql_list(INVALID_EMAILS)}, i, 'bademail') "
        f"WHEN chance(i, 'emailcase', 0.05) THEN ' ' || upper(person_email({first}, {last}, 'example.com')) "
        f"ELSE person_email({first}, {last}, pick(['example.com', 'example.org', 'mail.example.net'], i, 'domain')) END"
    )
    return {
        "User": f"""
            INSERT INTO "User" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "Username", "FirstName", "LastName", "Name", "Email", "Title", "Department",
                "IsActive", "ManagerId", "UserType")
            SELECT sf_id('005', i), created, sf_id('005', 1), modified, sf_id('005', 1), modified,
                CASE WHEN i = 1 THEN '{username}'
                     ELSE person_email(first, last, 'medallion-sandbox.example.com') || '.' || i END,
                first, last, trim(concat_ws(' ', first, last)),
                CASE WHEN i = 1 THEN '{username}'
                     ELSE person_email(first, last, 'medallion-sandbox.example.com') END,
                CASE WHEN i = 1 THEN 'API Integration' ELSE pick({_sql_list(USER_TITLES)}, i, 'title') END,
                CASE WHEN i = 1 THEN 'IT' ELSE pick({_sql_list(DEPARTMENTS)}, i, 'dept') END,
                i <= 2 OR NOT chance(i, 'inactive', 0.12),
                CASE WHEN i <= 2 THEN NULL WHEN i <= {2 + managers} THEN sf_id('005', 2)
                     ELSE sf_id('005', rand_int(i, 'manager', 3, {2 + managers})) END,
                'Standard'
            FROM (SELECT i, {times},
                    CASE WHEN i = 1 THEN 'Integration' ELSE {first} END AS first,
                    CASE WHEN i = 1 THEN 'User' ELSE {last} END AS last
                  FROM range(1, {n_users + 1}) r(i))""",
        "Account": f"""
            INSERT INTO "Account" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "MasterRecordId", "Name", "Type", "Industry", "ParentId",
                "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "Phone",
                "Website", "AnnualRevenue", "NumberOfEmployees", "Description", "Customer_Key__c",
                "Open_Pipeline_Amount__c", "Closed_Won_Amount__c", "Open_Case_Count__c",
                "Avg_Case_Resolution_Hours__c", "Customer_Health__c", "CurrencyIsoCode")
            SELECT sf_id('001', i), {audit}, false, t.owner, NULL, t.name,
                CASE WHEN chance(i, 'typenull', 0.05) THEN NULL ELSE pick({_sql_list(ACCOUNT_TYPES)}, i, 'type') END,
                {industry},
                CASE WHEN i > 20 AND chance(i, 'parent', 0.1) THEN sf_id('001', rand_int(i, 'parentid', 1, i - 1)) END,
                CASE WHEN chance(i, 'streetnull', 0.1) THEN NULL ELSE {street} END,
                t.loc[1], t.loc[2], t.loc[3], t.loc[4],
                CASE WHEN chance(i, 'phonenull', 0.1) THEN NULL ELSE {phone} END,
                'https://www.' || lower(regexp_replace(strip_accents(t.name), '[^A-Za-z0-9]', '', 'g')) || '.example.com',
                CASE WHEN chance(i, 'revnull', 0.2) THEN NULL ELSE CAST(rand_int(i, 'rev', 50, 500000) AS DOUBLE) * 1000 END,
                CASE WHEN chance(i, 'empnull', 0.15) THEN NULL ELSE CAST(rand_int(i, 'emp', 1, 20000) AS INTEGER) END,
                {description},
                CASE WHEN chance(i, 'keynull', 0.1) THEN NULL ELSE 'CUST-' || lpad(CAST(i AS VARCHAR), 6, '0') END,
                NULL, NULL, NULL, NULL, NULL, {account_currency}
            FROM (SELECT i, {times}, {owner} AS owner, {company} AS name,
                    pick({locations}, i, 'loc') AS loc FROM range(1, {n_accounts + 1}) r(i)) t""",
        "Contact": f"""
            INSERT INTO "Contact" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "MasterRecordId", "AccountId", "Salutation", "FirstName",
                "LastName", "Name", "Email", "Phone", "MobilePhone", "Title", "Department", "LeadSource",
                "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry",
                "HasOptedOutOfEmail", "Birthdate")
            SELECT sf_id('003', i), {audit}, false, t.owner, NULL,
                CASE WHEN chance(i, 'private', 0.05) THEN NULL ELSE sf_id('001', rand_int(i, 'account', 1, {n_accounts})) END,
                CASE WHEN chance(i, 'salnull', 0.3) THEN NULL ELSE pick({_sql_list(SALUTATIONS)}, i, 'sal') END,
                t.first, t.last, trim(concat_ws(' ', t.first, t.last)), {email},
                CASE WHEN chance(i, 'phonenull', 0.2) THEN NULL ELSE {phone} END,
                CASE WHEN chance(i, 'mobilenull', 0.5) THEN NULL ELSE {phone.replace("'area'", "'marea'")} END,
                CASE WHEN chance(i, 'titlenull', 0.2) THEN NULL ELSE pick({_sql_list(TITLES)}, i, 'title') END,
                pick({_sql_list(DEPARTMENTS)}, i, 'dept'),
                CASE WHEN chance(i, 'srcnull', 0.2) THEN NULL ELSE pick({_sql_list(LEAD_SOURCES)}, i, 'src') END,
                CASE WHEN chance(i, 'streetnull', 0.2) THEN NULL ELSE {street} END,
                t.loc[1], t.loc[2], t.loc[3], t.loc[4],
                chance(i, 'optout', 0.1),
                CASE WHEN chance(i, 'bday', 0.3) THEN DATE '1960-01-01' + CAST(rand_int(i, 'bdayd', 0, 15000) AS INTEGER) END
            FROM (SELECT i, {times}, {owner} AS owner,
                    CASE WHEN chance(i, 'firstnull', 0.03) THEN NULL ELSE {first} END AS first, {last} AS last,
                    pick({locations}, i, 'loc') AS loc FROM range(1, {n_contacts + 1}) r(i)) t""",
        "Opportunity": f"""
            INSERT INTO "Opportunity" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "AccountId", "Name", "Description", "StageName", "Amount",
                "Probability", "CloseDate", "Type", "LeadSource", "IsClosed", "IsWon", "ForecastCategoryName",
                "Pricebook2Id", "CampaignId", "CurrencyIsoCode")
            SELECT sf_id('006', i), {audit}, false, t.owner, a."Id",
                coalesce(a."Name", 'Unassigned') || ' - ' || pick({_sql_list(OPPORTUNITY_SUFFIXES)}, i, 'oppname'),
                {description},
                maybe_dirty({_sql_list(OPPORTUNITY_STAGES)}[t.stage], i, 'stagedirt', 0.12),
                CASE WHEN chance(i, 'amountnull', 0.08) THEN NULL ELSE CAST(rand_int(i, 'amount', 1, 500) AS DOUBLE) * 500 END,
                {_sql_list(STAGE_PROBABILITY)}[t.stage],
                CAST(t.created AS DATE) + CAST(rand_int(i, 'close', 10, 180) AS INTEGER),
                CASE WHEN chance(i, 'typenull', 0.1) THEN NULL ELSE pick({_sql_list(OPPORTUNITY_TYPES)}, i, 'type') END,
                CASE WHEN chance(i, 'srcnull', 0.2) THEN NULL ELSE pick({_sql_list(LEAD_SOURCES)}, i, 'src') END,
                t.stage >= 9, t.stage = 9,
                {_sql_list(STAGE_FORECAST)}[t.stage],
                -- the price book its products come from (the partner book only for USD opportunities)
                CASE WHEN t.currency = 'USD' AND chance(i, 'partnerbook', 0.15) THEN sf_id('01s', 2)
                     WHEN t.currency IN ('EUR', 'GBP') AND chance(i, 'emeabook', 0.3) THEN sf_id('01s', 3)
                     ELSE sf_id('01s', 1) END,
                CASE WHEN {n_campaigns} > 0 AND chance(i, 'campaign', 0.2)
                     THEN sf_id('701', rand_int(i, 'campaignid', 1, greatest({n_campaigns}, 1))) END,
                t.currency
            FROM (SELECT t0.*,
                    -- the account's currency; a few deals in another of the org's currencies
                    CASE WHEN chance(t0.i, 'oppcurrency', 0.04) THEN pick({_sql_list(CURRENCIES)}, t0.i, 'oppcur')
                         ELSE coalesce(acc."CurrencyIsoCode", 'USD') END AS currency
                  FROM (SELECT i, {times}, {owner} AS owner,
                    CASE WHEN chance(i, 'closed', 0.45) THEN CAST(rand_int(i, 'won', 9, 10) AS INTEGER)
                         ELSE CAST(rand_int(i, 'openstage', 1, 8) AS INTEGER) END AS stage,
                    CASE WHEN chance(i, 'noaccount', 0.03) THEN NULL
                         ELSE sf_id('001', rand_int(i, 'account', 1, {n_accounts})) END AS account_id
                  FROM range(1, {n_opps + 1}) r(i)) t0
                  LEFT JOIN "Account" acc ON acc."Id" = t0.account_id) t
            LEFT JOIN "Account" a ON a."Id" = t.account_id""",
        "Lead": f"""
            INSERT INTO "Lead" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "MasterRecordId", "FirstName", "LastName", "Name",
                "Company", "Title", "Email", "Phone", "Status", "LeadSource", "Industry", "Rating", "AnnualRevenue",
                "NumberOfEmployees", "Country", "IsConverted", "ConvertedDate", "ConvertedAccountId",
                "ConvertedContactId", "ConvertedOpportunityId")
            SELECT sf_id('00Q', i), {audit}, false, t.owner, NULL, t.first, t.last,
                trim(concat_ws(' ', t.first, t.last)),
                CASE WHEN t.converted THEN coalesce(a."Name", {company}) ELSE {company} END,
                CASE WHEN chance(i, 'titlenull', 0.3) THEN NULL ELSE pick({_sql_list(TITLES)}, i, 'title') END,
                CASE WHEN dup."Email" IS NOT NULL THEN pick([upper(dup."Email"), ' ' || dup."Email", dup."Email" || ' ',
                        dup."Email"], i, 'dupcase')
                     ELSE {email} END,
                CASE WHEN chance(i, 'phonenull', 0.3) THEN NULL ELSE {phone} END,
                CASE WHEN t.converted THEN maybe_dirty('Closed - Converted', i, 'statusdirt', 0.1)
                     ELSE maybe_dirty(pick({_sql_list([s for s in LEAD_STATUSES if s != 'Closed - Converted'])}, i, 'status'),
                                      i, 'statusdirt', 0.12) END,
                CASE WHEN chance(i, 'srcnull', 0.1) THEN NULL
                     ELSE maybe_dirty(pick({_sql_list(LEAD_SOURCES)}, i, 'src'), i, 'srcdirt', 0.12) END,
                {industry},
                CASE WHEN chance(i, 'ratingnull', 0.3) THEN NULL ELSE pick({_sql_list(RATINGS)}, i, 'rating') END,
                CASE WHEN chance(i, 'revnull', 0.4) THEN NULL ELSE CAST(rand_int(i, 'rev', 50, 50000) AS DOUBLE) * 1000 END,
                CASE WHEN chance(i, 'empnull', 0.4) THEN NULL ELSE CAST(rand_int(i, 'emp', 1, 5000) AS INTEGER) END,
                pick({locations}, i, 'loc')[4],
                t.converted,
                CASE WHEN t.converted THEN CAST(t.created AS DATE) + CAST(rand_int(i, 'convdays', 1, 60) AS INTEGER) END,
                CASE WHEN t.converted
                     THEN coalesce(c."AccountId", sf_id('001', rand_int(i, 'convaccount', 1, {n_accounts}))) END,
                CASE WHEN t.converted THEN c."Id" END,
                CASE WHEN t.converted AND NOT chance(i, 'noopp', 0.3) THEN o."Id" END
            FROM (SELECT i, {times}, {owner} AS owner,
                    CASE WHEN chance(i, 'firstnull', 0.05) THEN NULL ELSE {first} END AS first, {last} AS last,
                    chance(i, 'converted', 0.15) AS converted,
                    sf_id('003', rand_int(i, 'convcontact', 1, {n_contacts})) AS contact_id,
                    CASE WHEN chance(i, 'dupemail', 0.08) THEN sf_id('003', rand_int(i, 'dupcontact', 1, {n_contacts}))
                         END AS dup_contact_id
                  FROM range(1, {counts['Lead'] + 1}) r(i)) t
            LEFT JOIN "Contact" c ON c."Id" = t.contact_id AND t.converted
            LEFT JOIN "Account" a ON a."Id" = c."AccountId"
            LEFT JOIN "Contact" dup ON dup."Id" = t.dup_contact_id
            LEFT JOIN (SELECT "Id", "AccountId", row_number() OVER (PARTITION BY "AccountId" ORDER BY "Id") AS n
                       FROM "Opportunity") o ON o."AccountId" = c."AccountId" AND o.n = 1
            ORDER BY i""",
        "Case": f"""
            INSERT INTO "Case" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "MasterRecordId", "CaseNumber", "AccountId", "ContactId",
                "Subject", "Description", "Status", "Priority", "Origin", "Type", "Reason", "IsClosed", "IsEscalated",
                "ClosedDate")
            SELECT sf_id('500', i), t.created, t.owner, t.modified, t.owner, t.modified, false, t.owner, NULL,
                lpad(CAST(i AS VARCHAR), 8, '0'),
                CASE WHEN t.contact_id IS NULL
                     THEN sf_id('001', rand_int(i, 'account', 1, {n_accounts})) ELSE c."AccountId" END,
                t.contact_id,
                pick({_sql_list(CASE_SUBJECTS)}, i, 'subject'), {description},
                maybe_dirty(t.status, i, 'statusdirt', 0.12),
                maybe_dirty(pick({_sql_list(CASE_PRIORITIES)}, i, 'priority'), i, 'prioritydirt', 0.12),
                pick({_sql_list(CASE_ORIGINS)}, i, 'origin'),
                CASE WHEN chance(i, 'typenull', 0.1) THEN NULL ELSE pick({_sql_list(CASE_TYPES)}, i, 'type') END,
                CASE WHEN chance(i, 'reasonnull', 0.3) THEN NULL ELSE pick({_sql_list(CASE_REASONS)}, i, 'reason') END,
                t.status = 'Closed',
                t.status = 'Escalated' OR chance(i, 'escalated', 0.05),
                CASE WHEN t.status = 'Closed' THEN
                    -- about 1% closed "before" they were opened, as bulk imports leave them: silver quarantines these
                    CASE WHEN chance(i, 'closedbefore', 0.01)
                         THEN t.created - to_seconds(rand_int(i, 'backhours', 1, 240) * 3600) ELSE t.closed END END
            FROM (SELECT i, created, owner, status, contact_id,
                    least(created + to_seconds(rand_int(i, 'hours', 1, 400) * 3600 + rand_int(i, 'secs', 0, 3599)),
                          seed_end()) AS closed,
                    greatest(modified, least(created + to_seconds(rand_int(i, 'hours', 1, 400) * 3600
                          + rand_int(i, 'secs', 0, 3599)), seed_end())) AS modified
                  FROM (SELECT i, {times}, {owner} AS owner,
                          CASE WHEN chance(i, 'closed', 0.55) THEN 'Closed'
                               ELSE pick({_sql_list(CASE_STATUSES[:3])}, i, 'openstatus') END AS status,
                          CASE WHEN chance(i, 'nocontact', 0.2) THEN NULL
                               ELSE sf_id('003', rand_int(i, 'contact', 1, {n_contacts})) END AS contact_id
                        FROM range(1, {n_cases + 1}) r(i))) t
            LEFT JOIN "Contact" c ON c."Id" = t.contact_id
            ORDER BY i""",
        "Task": f"""
            INSERT INTO "Task" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "WhoId", "WhatId", "Subject", "ActivityDate", "Status",
                "Priority", "IsClosed", "TaskSubtype", "Description")
            SELECT sf_id('00T', i), {audit}, false, t.owner, t.who,
                CASE WHEN t.who LIKE '00Q%' THEN NULL ELSE t.what END,
                pick({_sql_list(TASK_SUBJECTS)}, i, 'subject'),
                CASE WHEN chance(i, 'datenull', 0.1) THEN NULL
                     ELSE CAST(t.created AS DATE) + CAST(rand_int(i, 'due', 0, 30) AS INTEGER) END,
                t.status, pick({_sql_list(TASK_PRIORITIES)}, i, 'priority'), t.status = 'Completed',
                pick({_sql_list(TASK_SUBTYPES)}, i, 'subtype'), {description}
            FROM (SELECT i, {times}, {owner} AS owner,
                    pick({_sql_list(TASK_STATUSES)}, i, 'status') AS status,
                    CASE WHEN chance(i, 'whonull', 0.1) THEN NULL
                         WHEN chance(i, 'wholead', 0.22) THEN sf_id('00Q', rand_int(i, 'lead', 1, {counts['Lead']}))
                         ELSE sf_id('003', rand_int(i, 'contact', 1, {n_contacts})) END AS who,
                    CASE WHEN chance(i, 'whatnull', 0.1) THEN NULL
                         WHEN chance(i, 'whatopp', 0.33) THEN sf_id('006', rand_int(i, 'opp', 1, {n_opps}))
                         WHEN chance(i, 'whatcase', 0.3) THEN sf_id('500', rand_int(i, 'case', 1, {n_cases}))
                         ELSE sf_id('001', rand_int(i, 'account', 1, {n_accounts})) END AS what
                  FROM range(1, {counts['Task'] + 1}) r(i)) t""",
        **_sales_statements(counts, audit, times, owner, description),
    }


def _sales_statements(counts: dict[str, int], audit: str, times: str, owner: str, description: str) -> dict[str, str]:
    """Currencies and dated rates, products, price books and their entries, campaigns and their members, events and
    opportunity products (whose totals become their opportunity's Amount, as Salesforce keeps it)."""
    n_users, n_accounts, n_contacts = counts["User"], counts["Account"], counts["Contact"]
    n_opps, n_cases, n_leads = counts["Opportunity"], counts["Case"], counts["Lead"]
    n_products, n_campaigns = counts["Product2"], counts["Campaign"]
    pairs = len(PRICEBOOK_ENTRY_PAIRS)
    currencies = _sql_list(tuple(CURRENCY_RATES))
    rates = _sql_list(tuple(rate for rate, _ in CURRENCY_RATES.values()))
    places = _sql_list(tuple(p for _, p in CURRENCY_RATES.values()))
    starts = _sql_list([FIRST_RATE_START.isoformat(), *(d.isoformat() for d in DATED_RATE_STARTS)])
    n_starts = 1 + len(DATED_RATE_STARTS)
    setup_time = "TIMESTAMP '2022-05-02 09:00:00'"  # currencies and price books exist before the seeded history
    system_audit = (f"{setup_time} + to_seconds(i * 60), sf_id('005', 1), {setup_time} + to_seconds(i * 60), "
                    f"sf_id('005', 1), {setup_time} + to_seconds(i * 60)")
    families = _sql_list(PRODUCT_FAMILIES)
    codes = "CASE family " + " ".join(f"WHEN '{f}' THEN '{c}'" for f, c in PRODUCT_FAMILY_CODES.items()) + " END"
    units = "CASE family " + " ".join(f"WHEN '{f}' THEN '{u}'" for f, u in PRODUCT_FAMILY_UNITS.items()) + " END"
    pair_books = _sql_list(tuple(book for book, _ in PRICEBOOK_ENTRY_PAIRS))
    pair_currencies = _sql_list(tuple(currency for _, currency in PRICEBOOK_ENTRY_PAIRS))
    books = ", ".join(
        f"(sf_id('01s', {n}), '{name}', {str(standard).lower()})" for n, (name, standard, _) in enumerate(PRICEBOOKS, 1)
    )
    return {
        "CurrencyType": f"""
            INSERT INTO "CurrencyType" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsoCode", "ConversionRate", "DecimalPlaces", "IsActive", "IsCorporate")
            SELECT sf_id('02o', i), {system_audit}, {currencies}[i], {rates}[i], {places}[i], true, i = 1
            FROM range(1, {len(CURRENCY_RATES) + 1}) r(i)""",
        # per currency: the rate valid since ever, then one per quarter; the corporate currency's is always 1
        "DatedConversionRate": f"""
            INSERT INTO "DatedConversionRate" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate",
                "LastModifiedById", "SystemModstamp", "IsoCode", "ConversionRate", "StartDate", "NextStartDate")
            SELECT sf_id('04w', i),
                greatest({setup_time}, CAST(start_date AS TIMESTAMP) - INTERVAL 3 DAY) + to_seconds(i * 60),
                sf_id('005', 1),
                greatest({setup_time}, CAST(start_date AS TIMESTAMP) - INTERVAL 3 DAY) + to_seconds(i * 60),
                sf_id('005', 1),
                greatest({setup_time}, CAST(start_date AS TIMESTAMP) - INTERVAL 3 DAY) + to_seconds(i * 60),
                currency,
                CASE WHEN c = 1 THEN 1.0
                     ELSE round({rates}[c] * (1 + CAST(rand_int(i, 'fx', -60, 60) AS DOUBLE) / 1000), 6) END,
                start_date,
                CASE WHEN k < {n_starts} THEN CAST({starts}[k + 1] AS DATE) ELSE DATE '{LAST_RATE_END.isoformat()}' END
            FROM (SELECT i, c, k, {currencies}[c] AS currency, CAST({starts}[k] AS DATE) AS start_date
                  FROM (SELECT i, 1 + (i - 1) // {n_starts} AS c, 1 + (i - 1) % {n_starts} AS k
                        FROM range(1, {counts['DatedConversionRate'] + 1}) r(i)))""",
        "Product2": f"""
            INSERT INTO "Product2" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "Name", "ProductCode", "Description", "IsActive", "Family",
                "QuantityUnitOfMeasure", "StockKeepingUnit", "ExternalId", "IsArchived", "CurrencyIsoCode")
            SELECT sf_id('01t', i), {audit}, false,
                pick({_sql_list(PRODUCT_NOUNS)}, i, 'noun') || ' ' || pick({_sql_list(ADJECTIVES)}, i, 'adj'),
                {codes} || '-' || CAST(1000 + i AS VARCHAR),
                {description},
                NOT chance(i, 'inactive', 0.08),
                -- an unrestricted picklist: spelling dirt and a few nulls, as imports leave them
                CASE WHEN chance(i, 'familynull', 0.04) THEN NULL ELSE maybe_dirty(family, i, 'familydirt', 0.12) END,
                CASE WHEN chance(i, 'unitnull', 0.1) THEN NULL ELSE {units} END,
                CASE WHEN chance(i, 'skunull', 0.3) THEN NULL ELSE {codes} || '-' || CAST(1000 + i AS VARCHAR) END,
                NULL, false, 'USD'
            FROM (SELECT i, {times}, {owner} AS owner, pick({families}, i, 'family') AS family
                  FROM range(1, {n_products + 1}) r(i)) t""",
        "Pricebook2": f"""
            INSERT INTO "Pricebook2" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "Name", "IsActive", "IsStandard", "IsArchived", "Description")
            SELECT b.id, {system_audit}, false, b.name, true, b.standard, false,
                CASE WHEN b.standard THEN NULL ELSE 'Prices of the ' || b.name END
            FROM (VALUES {books}) b(id, name, standard), range(1, 2) r(i)""",
        # list prices: the product's base USD price times the currency's rate, 15 % off on the partner book
        "PricebookEntry": f"""
            INSERT INTO "PricebookEntry" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate",
                "LastModifiedById", "SystemModstamp", "IsDeleted", "Name", "Pricebook2Id", "Product2Id", "UnitPrice",
                "IsActive", "UseStandardPrice", "ProductCode", "IsArchived", "CurrencyIsoCode")
            SELECT sf_id('01u', i), p."CreatedDate", p."CreatedById", p."LastModifiedDate", p."LastModifiedById",
                p."SystemModstamp", false, p."Name", sf_id('01s', t.book), p."Id",
                round(t.base * {rates}[list_position({currencies}, t.currency)] * CASE WHEN t.book = 2 THEN 0.85 ELSE 1 END,
                      {places}[list_position({currencies}, t.currency)]),
                p."IsActive" AND NOT chance(i, 'entryinactive', 0.03), false, p."ProductCode", false, t.currency
            FROM (SELECT i, 1 + (i - 1) // {pairs} AS product, {pair_books}[1 + (i - 1) % {pairs}] AS book,
                    {pair_currencies}[1 + (i - 1) % {pairs}] AS currency,
                    CAST(rand_int(1 + (i - 1) // {pairs}, 'listprice', 2, 400) AS DOUBLE) * 25 AS base
                  FROM range(1, {counts['PricebookEntry'] + 1}) r(i)) t
            JOIN "Product2" p ON p."Id" = sf_id('01t', t.product)
            ORDER BY i""",
        "Campaign": f"""
            INSERT INTO "Campaign" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "Name", "ParentId", "Type", "Status", "StartDate",
                "EndDate", "ExpectedRevenue", "BudgetedCost", "ActualCost", "ExpectedResponse", "NumberSent",
                "IsActive", "Description", "CurrencyIsoCode")
            SELECT sf_id('701', i), {audit}, false, t.owner,
                pick({_sql_list(CAMPAIGN_NAMES)}, i, 'name') || ' ' || CAST(year(t.start_date) AS VARCHAR)
                    || ' #' || CAST(i AS VARCHAR),
                CASE WHEN i > 5 AND chance(i, 'parent', 0.15) THEN sf_id('701', rand_int(i, 'parentid', 1, 5)) END,
                CASE WHEN chance(i, 'typenull', 0.1) THEN NULL ELSE pick({_sql_list(CAMPAIGN_TYPES)}, i, 'type') END,
                maybe_dirty(CASE WHEN t.end_date < CAST(seed_end() AS DATE) THEN
                                 CASE WHEN chance(i, 'aborted', 0.1) THEN 'Aborted' ELSE 'Completed' END
                            WHEN t.start_date <= CAST(seed_end() AS DATE) THEN 'In Progress' ELSE 'Planned' END,
                            i, 'statusdirt', 0.12),
                t.start_date, t.end_date,
                CASE WHEN chance(i, 'revnull', 0.3) THEN NULL ELSE CAST(rand_int(i, 'rev', 10, 500) AS DOUBLE) * 1000 END,
                CAST(rand_int(i, 'budget', 1, 100) AS DOUBLE) * 500,
                CASE WHEN t.start_date <= CAST(seed_end() AS DATE) THEN CAST(rand_int(i, 'actual', 1, 100) AS DOUBLE) * 450 END,
                CAST(rand_int(i, 'response', 1, 30) AS DOUBLE),
                CAST(rand_int(i, 'sent', 0, 5000) AS DOUBLE),
                t.end_date >= CAST(seed_end() AS DATE),
                {description}, 'USD'
            FROM (SELECT i, {times}, {owner} AS owner,
                    CAST(seed_time(i, 'created') AS DATE) + CAST(rand_int(i, 'startin', 0, 60) AS INTEGER) AS start_date,
                    CAST(seed_time(i, 'created') AS DATE) + CAST(rand_int(i, 'startin', 0, 60) AS INTEGER)
                        + CAST(rand_int(i, 'length', 1, 90) AS INTEGER) AS end_date
                  FROM range(1, {n_campaigns + 1}) r(i)) t""",
        "CampaignMember": f"""
            INSERT INTO "CampaignMember" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded",
                "FirstRespondedDate")
            SELECT sf_id('00v', i), {audit}, false, t.campaign,
                CASE WHEN t.is_lead THEN sf_id('00Q', rand_int(i, 'lead', 1, {max(n_leads, 1)})) END,
                CASE WHEN NOT t.is_lead THEN sf_id('003', rand_int(i, 'contact', 1, {max(n_contacts, 1)})) END,
                maybe_dirty(CASE WHEN t.responded THEN 'Responded' ELSE 'Sent' END, i, 'statusdirt', 0.1),
                t.responded,
                CASE WHEN t.responded THEN CAST(t.modified AS DATE) END
            FROM (SELECT i, {times}, {owner} AS owner,
                    sf_id('701', rand_int(i, 'campaign', 1, {max(n_campaigns, 1)})) AS campaign,
                    {n_leads} > 0 AND ({n_contacts} = 0 OR chance(i, 'islead', 0.4)) AS is_lead,
                    chance(i, 'responded', 0.35) AS responded
                  FROM range(1, {counts['CampaignMember'] + 1}) r(i)) t""",
        "Event": f"""
            INSERT INTO "Event" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                "SystemModstamp", "IsDeleted", "OwnerId", "WhoId", "WhatId", "AccountId", "Subject", "Location",
                "IsAllDayEvent", "ActivityDateTime", "ActivityDate", "StartDateTime", "EndDateTime",
                "DurationInMinutes", "ShowAs", "Type", "EventSubtype", "IsPrivate", "Description")
            SELECT sf_id('00U', i), {audit}, false, t.owner, t.who,
                CASE WHEN t.who LIKE '00Q%' THEN NULL ELSE t.what END,
                CASE WHEN t.who LIKE '00Q%' THEN NULL WHEN t.what LIKE '001%' THEN t.what END,
                pick({_sql_list(EVENT_SUBJECTS)}, i, 'subject'),
                CASE WHEN chance(i, 'locnull', 0.3) THEN NULL ELSE pick({_sql_list(EVENT_LOCATIONS)}, i, 'loc') END,
                t.all_day,
                CASE WHEN NOT t.all_day THEN t.starts END,
                CAST(t.starts AS DATE),
                t.starts,
                -- about 1% end before they start, as imports leave them: silver quarantines these
                CASE WHEN chance(i, 'endsbefore', 0.01) THEN t.starts - to_seconds(3600) ELSE t.starts + to_seconds(t.minutes * 60) END,
                t.minutes,
                CASE WHEN chance(i, 'shownull', 0.1) THEN NULL ELSE pick({_sql_list(EVENT_SHOW_AS)}, i, 'showas') END,
                CASE WHEN chance(i, 'typenull', 0.2) THEN NULL
                     ELSE maybe_dirty(pick({_sql_list(EVENT_TYPES)}, i, 'type'), i, 'typedirt', 0.12) END,
                'Event', chance(i, 'private', 0.05), {description}
            FROM (SELECT i, {times}, {owner} AS owner, chance(i, 'allday', 0.1) AS all_day,
                    CASE WHEN chance(i, 'allday', 0.1) THEN 1440 ELSE CAST(rand_int(i, 'minutes', 1, 8) AS INTEGER) * 15 END AS minutes,
                    date_trunc('hour', seed_time(i, 'created')) + to_seconds(CAST(rand_int(i, 'startin', 0, 30 * 24) AS BIGINT) * 3600) AS starts,
                    CASE WHEN chance(i, 'whonull', 0.15) OR {n_contacts} = 0 THEN NULL
                         WHEN {n_leads} > 0 AND chance(i, 'wholead', 0.2) THEN sf_id('00Q', rand_int(i, 'lead', 1, {max(n_leads, 1)}))
                         ELSE sf_id('003', rand_int(i, 'contact', 1, {max(n_contacts, 1)})) END AS who,
                    CASE WHEN chance(i, 'whatnull', 0.1) THEN NULL
                         WHEN {n_opps} > 0 AND chance(i, 'whatopp', 0.4) THEN sf_id('006', rand_int(i, 'opp', 1, {max(n_opps, 1)}))
                         WHEN {n_cases} > 0 AND chance(i, 'whatcase', 0.15) THEN sf_id('500', rand_int(i, 'case', 1, {max(n_cases, 1)}))
                         WHEN {n_accounts} > 0 THEN sf_id('001', rand_int(i, 'account', 1, {max(n_accounts, 1)})) END AS what
                  FROM range(1, {counts['Event'] + 1}) r(i)) t""",
        # a line's entry is its product's on the opportunity's price book in the opportunity's currency; Amount
        # of an opportunity with lines is the sum of their TotalPrice (Salesforce makes it read-only then)
        "OpportunityLineItem": f"""
            INSERT INTO "OpportunityLineItem" ("Id", "CreatedDate", "CreatedById", "LastModifiedDate",
                "LastModifiedById", "SystemModstamp", "IsDeleted", "OpportunityId", "Name", "PricebookEntryId",
                "Product2Id", "ProductCode", "Quantity", "UnitPrice", "ListPrice", "Discount", "Subtotal",
                "TotalPrice", "ServiceDate", "Description", "SortOrder", "CurrencyIsoCode")
            SELECT sf_id('00k', t.i),
                greatest(o."CreatedDate", t.created), o."CreatedById", greatest(o."LastModifiedDate", t.created),
                o."LastModifiedById", greatest(o."SystemModstamp", t.created), false, o."Id",
                o."Name" || ' ' || e."Name", e."Id", e."Product2Id", e."ProductCode", t.quantity,
                round(e."UnitPrice" * t.price_factor, 2), e."UnitPrice", t.discount,
                round(t.quantity * round(e."UnitPrice" * t.price_factor, 2), 2),
                round(t.quantity * round(e."UnitPrice" * t.price_factor, 2) * (1 - coalesce(t.discount, 0) / 100), 2),
                CASE WHEN chance(t.i, 'servicenull', 0.3) THEN NULL
                     ELSE o."CloseDate" + CAST(rand_int(t.i, 'service', 0, 60) AS INTEGER) END,
                CASE WHEN chance(t.i, 'descnull', 0.7) THEN NULL
                     ELSE pick(['Year 1', 'Pilot seats', 'Incl. onboarding, travel', 'Rabatt für Ärzte'], t.i, 'desc') END,
                CAST(row_number() OVER (PARTITION BY o."Id" ORDER BY t.i) AS INTEGER), o."CurrencyIsoCode"
            FROM (SELECT i, seed_time(i, 'created') AS created,
                    sf_id('006', rand_int(i, 'lineopp', 1, {max(n_opps, 1)})) AS opp,
                    sf_id('01t', rand_int(i, 'product', 1, {max(n_products, 1)})) AS product,
                    CAST(rand_int(i, 'qty', 1, 20) AS DOUBLE) AS quantity,
                    CASE WHEN chance(i, 'discnull', 0.6) THEN NULL
                         ELSE CAST(rand_int(i, 'disc', 0, 20) AS DOUBLE) END AS discount,
                    CAST(rand_int(i, 'pricefactor', 80, 100) AS DOUBLE) / 100 AS price_factor
                  FROM range(1, {counts['OpportunityLineItem'] + 1}) r(i)) t
            JOIN "Opportunity" o ON o."Id" = t.opp
            JOIN "PricebookEntry" e ON e."Product2Id" = t.product
                AND e."Pricebook2Id" = o."Pricebook2Id" AND e."CurrencyIsoCode" = o."CurrencyIsoCode"
            ORDER BY t.i;
            UPDATE "Opportunity" SET "Amount" = lines.total,
                "LastModifiedDate" = greatest("LastModifiedDate", lines.stamp),
                "SystemModstamp" = greatest("SystemModstamp", lines.stamp)
            FROM (SELECT "OpportunityId", sum("TotalPrice") AS total, max("SystemModstamp") AS stamp
                  FROM "OpportunityLineItem" GROUP BY "OpportunityId") lines
            WHERE lines."OpportunityId" = "Opportunity"."Id"
            """,
    }
