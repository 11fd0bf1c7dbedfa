"""ERP flat-file drops: taken after their marker, landed once by checksum, malformed records quarantined (rows in =
landed + quarantined), archived; a file that does not add up lands nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from extract.erp.file_extraction import extract_drops, landed_checksums, sha256_of
from tests.extract.conftest import audit_rows

EVERYTHING = dt.datetime(2000, 1, 1)  # a drop "since" this holds every row of its kind
REASONS = {"wrong_column_count": ("TOO MANY COLUMNS", "MISSING COLUMNS"), "unparseable_date": ("CAST",),
           "unterminated_quote": ("UNQUOTED VALUE",)}


def outcomes(results) -> dict[str, dict]:
    failed = {name: outcome for name, outcome in results if isinstance(outcome, BaseException)}
    assert not failed, failed
    return dict(results)


def quarantine(writer, file_name: str) -> dict[int, tuple[str, str]]:
    rows = writer.con.execute("select line_number, reason, raw_text from bronze.erp_files__quarantine "
                              "where file_name = ?", [file_name]).fetchall()
    return {int(line): (reason, raw) for line, reason, raw in rows}


@pytest.mark.parametrize("kind", ["invoices", "customers"])
def test_a_drop_lands_its_good_rows_and_quarantines_the_malformed_ones(erp, writer, drops, erp_options, kind):
    dropped = getattr(erp, f"drop_{kind}")(since=EVERYTHING)
    assert len(dropped.malformed) == 3
    (path,) = drops(dropped.path)
    result = outcomes(extract_drops(writer, drops.folder, options=erp_options))[path.name]
    table = f"bronze.erp_files__{kind}"
    good = writer.con.execute(f"select count(*) from {table} where source_file = ?", [path.name]).fetchone()[0]
    assert good == dropped.records - 3 and result["quarantined"] == 3
    quarantined = quarantine(writer, path.name)
    # the parser's line of record n is n + 1 (the header is line 1)
    assert set(quarantined) == {record + 1 for record in dropped.malformed}
    for record, problem in dropped.malformed.items():
        reason, raw = quarantined[record + 1]
        assert reason.startswith(REASONS[problem]), (problem, reason)
        assert raw and "\n" not in raw[-1:]
    audit = [r for r in audit_rows(writer, kind) if r["source"] == "erp_files"][-1]
    assert audit["status"] == "succeeded" and audit["rows_received"] == dropped.records
    assert audit["rows_landed"] == dropped.records - 3
    assert f"{dropped.records} records in = {dropped.records - 3} landed + 3 quarantined" in audit["notes"]
    # landed and archived: the drop folder is empty, the archive holds the file and its marker
    assert not path.exists() and not path.with_name(path.name + ".done").exists()
    assert (drops.folder / "archive" / path.name).exists()
    assert sha256_of(drops.folder / "archive" / path.name) in landed_checksums(writer)


def test_normalised_text_and_lineage(erp, writer, drops, erp_options):
    invoices = erp.drop_invoices(since=EVERYTHING)
    customers = erp.drop_customers(since=EVERYTHING)
    drops(invoices.path, customers.path)
    outcomes(extract_drops(writer, drops.folder, options=erp_options))
    invoice = writer.con.execute(
        "select fkdat, brtwr, name1, source_line from bronze.erp_files__invoices where vbeln = 'INV-200002' "
        "and source_file = ?", [invoices.path.name]).fetchone()
    truth = erp.rows("invoices", "invoice_number = %s", ("INV-200002",))[0]
    assert invoice[0] == truth["invoice_date"].isoformat() and invoice[1] == f"{truth['total_amount']:.2f}"
    assert "Ã" not in invoice[2], "ISO-8859-1 decoded as such"
    customer = writer.con.execute(
        "select date_created, credit_limit, billing_address_1 from bronze.erp_files__customers "
        "where billing_address_1 like '%' || chr(10) || '%' and source_file = ? limit 1",
        [customers.path.name]).fetchone()
    assert customer is not None, "a quoted street with a line break is one field"
    assert len(customer[0]) == 19 and customer[0][4] == "-"


def test_a_file_is_landed_once_by_checksum(erp, writer, drops, erp_options):
    dropped = erp.drop_customers(since=EVERYTHING)
    (path,) = drops(dropped.path)
    outcomes(extract_drops(writer, drops.folder, options=erp_options))
    count = writer.con.execute("select count(*) from bronze.erp_files__customers").fetchone()[0]
    quarantined = writer.con.execute("select count(*) from bronze.erp_files__quarantine").fetchone()[0]
    # the same bytes dropped again, under the same name and under another
    drops(dropped.path)
    drops(dropped.path, name="customers_20991231.csv")
    again = outcomes(extract_drops(writer, drops.folder, options=erp_options))
    assert {r["status"] for r in again.values()} == {"unchanged"} and len(again) == 2
    assert writer.con.execute("select count(*) from bronze.erp_files__customers").fetchone()[0] == count
    assert writer.con.execute("select count(*) from bronze.erp_files__quarantine").fetchone()[0] == quarantined
    assert not [p for p in drops.folder.iterdir() if p.is_file()], "re-drops are archived too"
    assert (drops.folder / "archive" / "customers_20991231.csv").exists()
    archived = sorted(p.name for p in (drops.folder / "archive").iterdir() if p.suffix == ".csv")
    assert len(archived) == 2, archived  # the identical re-drop under the taken name needs no second copy


def test_a_marker_left_behind_by_a_kill_between_the_archive_moves_is_archived_next_run(erp, writer, drops,
                                                                                         erp_options):
    dropped = erp.drop_customers(since=EVERYTHING)
    (path,) = drops(dropped.path)
    outcomes(extract_drops(writer, drops.folder, options=erp_options))
    count = writer.con.execute("select count(*) from bronze.erp_files__customers").fetchone()[0]
    archived_marker = drops.folder / "archive" / (path.name + ".done")
    archived_marker.rename(drops.folder / archived_marker.name)  # the file moved, its marker not yet: the kill
    assert outcomes(extract_drops(writer, drops.folder, options=erp_options)) == {}
    assert not [p for p in drops.folder.iterdir() if p.is_file()], "the stray marker is archived"
    assert archived_marker.exists()
    assert writer.con.execute("select count(*) from bronze.erp_files__customers").fetchone()[0] == count


def test_a_file_waits_for_its_marker_and_only_changes_come_in_later_drops(erp, writer, drops, erp_options,
                                                                            frozen_clock):
    erp.drop_invoices()  # a baseline: later drops hold what changed since
    frozen_clock.freeze(erp.now() + dt.timedelta(minutes=1))
    paid = erp.pay_invoices(5)
    dropped = erp.drop_invoices()
    assert dropped.records == 5
    (path,) = drops(dropped.path, marker=False)
    assert outcomes(extract_drops(writer, drops.folder, options=erp_options)) == {}
    assert path.exists(), "no .done marker: left for a later run"
    drops(dropped.path)
    result = outcomes(extract_drops(writer, drops.folder, options=erp_options))[path.name]
    assert result["rows_received"] == 5 and result["quarantined"] == 3 and len(paid) == 5
    landed = writer.con.execute("select count(*) from bronze.erp_files__invoices where source_file = ? "
                                "and status = 'C'", [path.name]).fetchone()[0]
    assert landed == 2


def test_a_file_that_does_not_add_up_lands_nothing(erp, writer, drops, erp_options):
    dropped = erp.drop_invoices(since=EVERYTHING)
    (path,) = drops(dropped.path)
    marker = path.with_name(path.name + ".done")
    announced = json.loads(marker.read_text())
    marker.write_text(json.dumps({**announced, "records": announced["records"] + 1}))
    (name, error), = extract_drops(writer, drops.folder, options=erp_options)
    assert isinstance(error, Exception) and "records in" in str(error)
    assert writer.con.execute("select count(*) from duckdb_tables() where schema_name = 'bronze' "
                              "and table_name = 'erp_files__invoices'").fetchone()[0] == 0, "rolled back whole"
    failed = [r for r in audit_rows(writer, "invoices") if r["source"] == "erp_files"][-1]
    assert failed["status"] == "failed" and failed["rows_landed"] == 0
    assert path.exists() and sha256_of(path) not in landed_checksums(writer), "left in place, not in the ledger"

    marker.write_text(json.dumps({**announced, "sha256": "0" * 64}))  # damaged or still being copied
    (name, error), = extract_drops(writer, drops.folder, options=erp_options)
    assert "sha256" in str(error) and path.exists()

    marker.write_text(json.dumps(announced))  # the right marker: it lands, its quarantine rows once
    result = outcomes(extract_drops(writer, drops.folder, options=erp_options))[path.name]
    assert result["status"] == "succeeded"
    assert len(quarantine(writer, path.name)) == 3
    assert writer.con.execute("select count(*) from bronze.erp_files__quarantine").fetchone()[0] == 3
