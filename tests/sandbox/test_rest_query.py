"""REST query and queryAll: paging, relationships, SOQL semantics and errors."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_query_all_pages_through_more_than_2000_rows(sf, sf_sandbox):
    first = sf.query("SELECT Id, Subject FROM Task")
    total = sf_sandbox.org.count("Task", 'NOT "IsDeleted"')
    assert total > 2000
    assert first["totalSize"] == total and not first["done"] and len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    everything = sf.query_all("SELECT Id, Subject FROM Task")
    ids = [r["Id"] for r in everything["records"]]
    assert len(ids) == total == len(set(ids))
    assert ids == [row["Id"] for row in sf_sandbox.org.rows("Task", 'NOT "IsDeleted"')]


def test_batch_size_header_sets_the_page_size(sf, bearer):
    response = requests.get(f"{sf.base_url}query", params={"q": "SELECT Id FROM Lead"},
                            headers={**bearer, "Sforce-Query-Options": "batchSize=500"})
    page = response.json()
    assert len(page["records"]) == 500 and page["nextRecordsUrl"].endswith("-500")


def test_query_all_includes_deleted_rows_and_keeps_doing_so_on_next_pages(sf, sf_sandbox):
    victim = sf.Lead.create({"LastName": "Gone", "Company": "Deleted Co"})["id"]
    sf.Lead.delete(victim)
    live = sf.query_all("SELECT Id FROM Lead")
    everything = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    assert victim not in {r["Id"] for r in live["records"]}
    deleted = [r for r in everything["records"] if r["IsDeleted"]]
    assert victim in {r["Id"] for r in deleted}
    assert everything["totalSize"] == sf_sandbox.org.count("Lead") == live["totalSize"] + len(deleted)


def test_relationships_nest_and_values_are_typed(sf, sf_sandbox):
    records = sf.query(
        "SELECT Id, Name, Account.Name, Account.Owner.Email, CreatedDate, Birthdate, HasOptedOutOfEmail, "
        "MailingAddress FROM Contact WHERE AccountId != null AND Birthdate != null ORDER BY CreatedDate LIMIT 5"
    )["records"]
    assert len(records) == 5
    first = records[0]
    stored = sf_sandbox.org.rows("Contact", f"\"Id\" = '{first['Id']}'")[0]
    account = sf_sandbox.org.rows("Account", f"\"Id\" = '{stored['AccountId']}'")[0]
    assert first["Account"]["attributes"] == {"type": "Account",
                                              "url": f"/services/data/v59.0/sobjects/Account/{account['Id']}"}
    assert first["Account"]["Name"] == account["Name"]
    assert first["CreatedDate"] == stored["CreatedDate"].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert first["Birthdate"] == stored["Birthdate"].isoformat()
    assert first["HasOptedOutOfEmail"] is stored["HasOptedOutOfEmail"]
    assert set(first["MailingAddress"]) >= {"street", "city", "state", "postalCode", "country"}
    assert [r["CreatedDate"] for r in records] == sorted(r["CreatedDate"] for r in records)


def test_text_comparisons_ignore_case_and_not_equal_keeps_nulls(sf, sf_sandbox):
    org = sf_sandbox.org
    exact = sf.query("SELECT COUNT() FROM Account WHERE Industry = 'technology'")["totalSize"]
    assert exact == org.count("Account", "lower(\"Industry\") = 'technology' AND NOT \"IsDeleted\"")
    others = sf.query("SELECT COUNT() FROM Account WHERE Industry != 'Technology'")["totalSize"]
    assert others == org.count("Account", "NOT \"IsDeleted\"") - exact  # nulls included
    like = sf.query("SELECT COUNT() FROM Account WHERE Name LIKE '%GMBH%'")["totalSize"]
    assert like == org.count("Account", "\"Name\" ILIKE '%gmbh%' AND NOT \"IsDeleted\"") > 0


def test_datetime_literals_with_offsets_and_fractions(sf, sf_sandbox):
    zulu = sf.query("SELECT COUNT() FROM Case WHERE CreatedDate >= 2024-06-01T00:00:00Z")["totalSize"]
    offset = sf.query("SELECT COUNT() FROM Case WHERE CreatedDate >= 2024-06-01T02:00:00.000+02:00")["totalSize"]
    assert zulu == offset == sf_sandbox.org.count(
        "Case", "\"CreatedDate\" >= TIMESTAMP '2024-06-01' AND NOT \"IsDeleted\"") > 0
    recent = sf.query("SELECT COUNT() FROM Case WHERE CreatedDate = LAST_N_DAYS:3650 AND IsClosed = true")
    assert recent["totalSize"] == sf_sandbox.org.count("Case", "\"IsClosed\" AND NOT \"IsDeleted\"")


def test_ids_match_in_15_and_18_character_forms(sf):
    record = sf.query("SELECT Id FROM Opportunity LIMIT 1")["records"][0]["Id"]
    for form in (record, record[:15], record.lower()):
        assert sf.query(f"SELECT Id FROM Opportunity WHERE Id = '{form}'")["records"][0]["Id"] == record


@pytest.mark.parametrize("soql, code, message", [
    ("SELECT Id FRM Account", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Industry = 'c'", "MALFORMED_QUERY", "unexpected token: 'OR'"),
    ("SELECT Id, Nope FROM Account", "INVALID_FIELD", "No such column 'Nope' on entity 'Account'"),
    ("SELECT Id, Parent.Nope FROM Account", "INVALID_FIELD", "No such column 'Nope' on entity 'Account'"),
    ("SELECT Id FROM Nope__c", "INVALID_TYPE", "sObject type 'Nope__c' is not supported"),
    ("SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD", "must be of type dateTime"),
    ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
])
def test_query_errors_are_400_with_the_salesforce_code(sf, soql, code, message):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql)
    assert failure.value.status == 400
    (error,) = failure.value.content
    assert error["errorCode"] == code and message in error["message"]
