"""Id checksums (Python and SQL agree) and the SOQL parser/translator without a server."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from sandbox.salesforce import ids, soql
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.query import compile_query


def test_checksum_matches_a_known_salesforce_id():
    assert ids.checksum("0013h00000Ffg18") == "AAB"  # from a real Bulk 2.0 trace


def test_python_and_sql_ids_agree_and_normalise():
    con = duckdb.connect()
    for macro in ids.sql_macros():
        con.execute(macro)
    sequences = [0, 1, 61, 62, 3843, 10**9, 62**10 - 1]
    from_sql = con.execute("SELECT sf_id('00Q', s) FROM unnest(?::BIGINT[]) t(s)", [sequences]).fetchall()
    assert [row[0] for row in from_sql] == [ids.make_id("00Q", s) for s in sequences]
    record_id = ids.make_id("001", 123456789)
    for form in (record_id, record_id[:15], record_id.lower(), record_id.upper()[:15] and record_id.lower()):
        assert ids.normalize_id(form) == record_id
        assert con.execute("SELECT sf_normalize_id(?)", [form]).fetchone()[0] == record_id
    assert ids.normalize_id("not-an-id") is None
    assert con.execute("SELECT sf_normalize_id('bad')").fetchone()[0] is None


def test_parser_reads_literals_and_structure():
    parsed = soql.parse(
        "select Id, Account.Name from Contact where (Name like 'O\\'B%' or Email = null) and "
        "CreatedDate >= 2024-01-01T00:00:00.000+02:00 and Birthdate < 2000-01-01 and Id not in ('a', 'b') "
        "order by Name desc nulls last, Id limit 10 offset 5"
    )
    assert [f.text for f in parsed.fields] == ["Id", "Account.Name"] and parsed.object_name == "Contact"
    assert parsed.limit == 10 and parsed.offset == 5
    assert parsed.order_by[0].descending and parsed.order_by[0].nulls_last and not parsed.order_by[1].descending
    conditions = parsed.where.operands
    assert conditions[0].operator == "OR" and conditions[0].operands[0].value.value == "O'B%"
    assert conditions[1].value.value == dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert conditions[2].value.value == dt.date(2000, 1, 1)
    assert conditions[3].operator == "NOT IN"


def test_translation_applies_soql_semantics():
    query = compile_query("SELECT Id FROM Account WHERE Industry != 'Tech' AND CreatedDate > 2024-01-01T02:00:00+02:00",
                          include_deleted=False, now=dt.datetime(2025, 1, 1))
    assert "IS DISTINCT FROM lower('Tech')" in query.where_sql
    assert "TIMESTAMP '2024-01-01 00:00:00'" in query.where_sql
    assert '"IsDeleted" = false' in query.where_sql


@pytest.mark.parametrize("text", ["SELECT FROM Account", "SELECT Id FROM Account LIMIT x", "SELECT Id FROM Account WHERE Name = 'open"])
def test_parser_errors_are_malformed_query(text):
    with pytest.raises(SalesforceError) as failure:
        soql.parse(text)
    assert failure.value.error_code == "MALFORMED_QUERY" and failure.value.status == 400
