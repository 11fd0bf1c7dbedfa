"""Flat-file drops: SAP-style invoices and NetSuite-style customers, ready markers, deliberate malformed rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from sandbox.erp.file_drops import NETSUITE_COLUMNS, SAP_COLUMNS

AT = dt.datetime(2026, 4, 2, 8, 30, 0)


def _records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_initial_drops_are_complete_and_marked_ready(erp_sandbox, erp):
    drop_dir = Path(erp_sandbox.erp_drop_dir)
    names = sorted(p.name for p in drop_dir.iterdir())
    assert "invoices_20250531.csv" in names and "customers_20250531.csv" in names
    assert not [n for n in names if n.endswith(".tmp")]
    for name in ("invoices_20250531.csv", "customers_20250531.csv"):
        marker = json.loads((drop_dir / f"{name}.done").read_text())
        assert marker["file"] == name and marker["bytes"] == (drop_dir / name).stat().st_size
    marker = json.loads((drop_dir / "invoices_20250531.csv.done").read_text())
    assert marker["records"] == erp.count("invoices", "created_at <= %s", (dt.datetime(2025, 6, 1),))


def test_sap_invoices_format(erp_sandbox):
    raw = (Path(erp_sandbox.erp_drop_dir) / "invoices_20250531.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("iso-8859-1")  # always decodes; UTF-8 would fail on the umlauts:
    assert any(byte > 0x7F for byte in raw)
    text = raw.decode("iso-8859-1")
    lines = text.split("\n")
    assert lines[0] == ";".join(SAP_COLUMNS)
    good = [r for r in _records("\n".join(lines[1:-2]), ";") if len(r) == len(SAP_COLUMNS) and r[3] != "00.00.0000"]
    assert len(good) > 50
    for record in good:
        dt.datetime.strptime(record[3], "%d.%m.%Y")
        assert "," in record[10] and "." not in record[10].split(",")[1]  # decimal comma
    assert any("." in r[10] for r in good)  # thousands separators
    data_lines = [line for line in lines[1:] if line]
    assert sum(1 for line in data_lines if line.count(";") == len(SAP_COLUMNS)) >= 1  # one column too many
    assert any(";00.00.0000;" in line for line in data_lines)  # SAP's empty date
    name_field = data_lines[-1].split(";")[SAP_COLUMNS.index("NAME1")]
    assert name_field.startswith('"') and data_lines[-1].count('"') % 2 == 1  # the quote is never closed


def test_netsuite_customers_format(erp_sandbox, erp):
    raw = (Path(erp_sandbox.erp_drop_dir) / "customers_20250531.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    text = raw.decode("utf-8-sig")
    header, *records = _records(text, ",")
    assert header == NETSUITE_COLUMNS
    assert text.splitlines()[1].startswith('"')  # every field quoted
    short = [r for r in records if len(r) < len(NETSUITE_COLUMNS)]
    assert short, "a row with too few columns"
    bad_dates = [r for r in records if len(r) == len(NETSUITE_COLUMNS) and r[13].startswith("31/")]
    assert len(bad_dates) == 1
    assert text.rstrip("\r\n").endswith(("\"No", "\"Yes"))  # the last field's quote is never closed
    numbers = {r[1] for r in records if len(r) > 1}
    assert any(not n.isascii() for r in records for n in r[2:3])
    assert len(numbers) == erp.count("customers", "created_at <= %s", (dt.datetime(2025, 6, 1),))


def test_a_new_drop_holds_the_changes_since_the_previous_one(erp_sandbox, erp, frozen_clock):
    frozen_clock.freeze(AT)
    erp.drop_invoices()
    erp.drop_customers()  # baselines: everything changed before AT
    frozen_clock.advance(dt.timedelta(hours=2))
    touched = erp.touch_customers(5)
    dropped = erp.drop_customers()
    assert dropped.path.name.startswith("customers_20260402") and dropped.done_marker.exists()
    assert dropped.records == 5
    text = dropped.path.read_bytes().decode("utf-8-sig")
    assert all(number in text for number in touched)
    assert set(dropped.malformed.values()) == {"wrong_column_count", "unparseable_date", "unterminated_quote"}
    again = erp.drop_customers()
    assert again.path != dropped.path and again.records == 0 and again.malformed == {}
