"""The org's sales and multi-currency objects (issue 8): Product2, Pricebook2, PricebookEntry, OpportunityLineItem,
Event, Campaign, CampaignMember, CurrencyType, DatedConversionRate and CurrencyIsoCode, as Salesforce describes them
and as seeded: deterministic, consistent with each other, with the documented dirt."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.salesforce.schema import CURRENCIES, PRODUCT_FAMILIES
from sandbox.salesforce.seed import DATED_RATE_STARTS, seed_org
from sandbox.salesforce.store import OrgStore

SCALE = 0.2


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> OrgStore:
    directory = tmp_path_factory.mktemp("sales-org")
    org = OrgStore(directory / "org.duckdb", directory / "tmp")
    seed_org(org, 7, SCALE, options={"custom_scale": "0.01"})
    return org


def rows(store: OrgStore, sql: str) -> list[tuple]:
    with store.write() as cur:
        return cur.execute(sql).fetchall()


def test_describe_reports_the_objects_and_fields_as_salesforce_does(sf):
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Product2", "Pricebook2", "PricebookEntry", "OpportunityLineItem", "Event", "Campaign", "CampaignMember",
            "CurrencyType", "DatedConversionRate"} <= names
    rate_fields = {f["name"]: f for f in sf.DatedConversionRate.describe()["fields"]}
    assert {"IsoCode", "ConversionRate", "StartDate", "NextStartDate"} <= set(rate_fields)
    assert (rate_fields["IsoCode"]["type"], rate_fields["ConversionRate"]["type"], rate_fields["StartDate"]["type"],
            rate_fields["NextStartDate"]["type"]) == ("picklist", "double", "date", "date")
    assert rate_fields["IsoCode"]["restrictedPicklist"] and not rate_fields["NextStartDate"]["updateable"]
    line_fields = {f["name"]: f for f in sf.OpportunityLineItem.describe()["fields"]}
    assert line_fields["OpportunityId"]["referenceTo"] == ["Opportunity"]
    assert line_fields["PricebookEntryId"]["referenceTo"] == ["PricebookEntry"]
    assert (line_fields["Quantity"]["type"], line_fields["TotalPrice"]["type"], line_fields["Discount"]["type"]) == (
        "double", "currency", "percent")
    for name in ("Account", "Opportunity", "OpportunityLineItem"):
        currency = {f["name"]: f for f in getattr(sf, name).describe()["fields"]}["CurrencyIsoCode"]
        assert currency["type"] == "picklist" and {v["value"] for v in currency["picklistValues"]} == set(CURRENCIES)
    won = sf.query("SELECT Id, Amount, CurrencyIsoCode FROM Opportunity WHERE IsWon = true LIMIT 5")["records"]
    assert won and all(r["CurrencyIsoCode"] in CURRENCIES for r in won)


def test_dated_rates_chain_per_currency(store):
    found = rows(store, 'SELECT "IsoCode", "StartDate", "NextStartDate", "ConversionRate" FROM "DatedConversionRate" '
                        'ORDER BY "IsoCode", "StartDate"')
    by_currency: dict[str, list[tuple]] = {}
    for iso, start, next_start, rate in found:
        by_currency.setdefault(iso, []).append((start, next_start, rate))
    assert set(by_currency) == set(CURRENCIES)
    for iso, periods in by_currency.items():
        starts = [start for start, _, _ in periods]
        assert starts == [dt.date(1, 1, 1), *DATED_RATE_STARTS]
        # each rate ends where the next starts; the last is open
        assert [next_start for _, next_start, _ in periods] == [*starts[1:], dt.date(9999, 12, 31)]
        rates = {rate for _, _, rate in periods}
        assert rates == {1.0} if iso == "USD" else (len(rates) > 1 and all(rate > 0 for rate in rates))
    corporate = rows(store, 'SELECT "IsoCode" FROM "CurrencyType" WHERE "IsCorporate"')
    assert corporate == [("USD",)]


def test_line_items_price_their_opportunity(store):
    # every line's entry is its product's, on the opportunity's price book, in the opportunity's currency
    mismatched = rows(store, """
        SELECT l."Id" FROM "OpportunityLineItem" l
        JOIN "Opportunity" o ON o."Id" = l."OpportunityId"
        JOIN "PricebookEntry" e ON e."Id" = l."PricebookEntryId"
        WHERE e."Product2Id" <> l."Product2Id" OR e."Pricebook2Id" <> o."Pricebook2Id"
           OR e."CurrencyIsoCode" <> o."CurrencyIsoCode" OR l."CurrencyIsoCode" <> o."CurrencyIsoCode"
           OR l."ListPrice" <> e."UnitPrice"
           OR abs(l."TotalPrice" - round(l."Quantity" * l."UnitPrice" * (1 - coalesce(l."Discount", 0) / 100), 2)) > 0.005""")
    assert mismatched == []
    # an opportunity with lines has Amount = the sum of their TotalPrice (Salesforce keeps it so)
    off = rows(store, """
        SELECT o."Id" FROM "Opportunity" o
        JOIN (SELECT "OpportunityId", sum("TotalPrice") AS total FROM "OpportunityLineItem" GROUP BY 1) l
          ON l."OpportunityId" = o."Id"
        WHERE o."Amount" IS NULL OR abs(o."Amount" - l.total) > 0.005""")
    assert off == []
    assert rows(store, 'SELECT count(*) FROM "OpportunityLineItem"')[0][0] == round(3500 * SCALE)


def test_account_and_opportunity_currencies(store):
    accounts = dict(rows(store, 'SELECT "BillingCountry", min("CurrencyIsoCode") FROM "Account" '
                                'GROUP BY 1 HAVING count(DISTINCT "CurrencyIsoCode") = 1'))
    assert accounts["Germany"] == "EUR" and accounts["United Kingdom"] == "GBP" and accounts["Japan"] == "USD"
    # most opportunities take their account's currency, some another of the org's
    same, other = rows(store, """
        SELECT count(*) FILTER (WHERE o."CurrencyIsoCode" = a."CurrencyIsoCode"),
               count(*) FILTER (WHERE o."CurrencyIsoCode" <> a."CurrencyIsoCode")
        FROM "Opportunity" o JOIN "Account" a ON a."Id" = o."AccountId" """)[0]
    assert same > 10 * other > 0


def test_seeded_dirt(store):
    families = {family for (family,) in rows(store, 'SELECT DISTINCT "Family" FROM "Product2"')}
    assert set(PRODUCT_FAMILIES) <= families and families - set(PRODUCT_FAMILIES) - {None}
    assert rows(store, 'SELECT count(*) FROM "Event" WHERE "EndDateTime" < "StartDateTime"')[0][0] > 0
    assert rows(store, 'SELECT count(*) FROM "Event" WHERE "WhoId" LIKE \'00Q%\' AND "WhatId" IS NOT NULL')[0][0] == 0


def test_seeding_is_deterministic(store, tmp_path):
    again = OrgStore(tmp_path / "org.duckdb", tmp_path / "tmp")
    seed_org(again, 7, SCALE, options={"custom_scale": "0.01"})
    for table in ("DatedConversionRate", "PricebookEntry", "OpportunityLineItem", "Event", "CampaignMember"):
        sql = f'SELECT * FROM "{table}" ORDER BY "Id"'
        assert rows(again, sql) == rows(store, sql), table
