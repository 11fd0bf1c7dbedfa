"""Flat-file exports dropped into a folder, the way ERPs deliver files over SFTP.

- ``invoices_YYYYMMDD.csv``, SAP style: ``;`` delimiter, decimal comma with ``.`` thousands (``1.234,50``),
  ``dd.mm.yyyy`` dates, ISO-8859-1 (characters outside it become ``?``), ``\\n`` line ends, quoting only when needed.
- ``customers_YYYYMMDD.csv``, NetSuite style: ``,`` delimiter, UTF-8 with BOM, every field quoted, ``\\r\\n`` line
  ends, ``M/D/YYYY h:mm am`` timestamps.

A second file for the same day gets a suffix (``invoices_YYYYMMDD_2.csv``). Each file is written under a temporary
name (``.<name>.tmp``), renamed into place, then announced by ``<name>.done`` (JSON: file, records, bytes, sha256):
readers take a file only once its ``.done`` marker exists. Files with four or more records carry three malformed
records, in deterministic places: a wrong column count, an unparseable date, and (always the last record) an
unterminated quote. The first start drops a full export of each kind dated the day before the seed's end; later
drops (``drop_invoices``/``drop_customers``) hold the rows modified since the previous drop of that kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .database import ErpDatabase
from .seed import SEED_END

SAP_COLUMNS = ["BUKRS", "VBELN", "FKART", "FKDAT", "NETDT", "KUNAG", "NAME1", "WAERK", "NETWR", "MWSBK", "BRTWR",
               "BEZAHLT", "STATUS", "LOEVM", "AEDAT", "AEZET"]
SAP_STATUS = {"open": "O", "paid": "C", "void": "S"}
NETSUITE_COLUMNS = ["Internal ID", "ID", "Company Name", "Email", "Phone", "Billing Address 1", "Billing City",
                    "Billing State/Province", "Billing Zip", "Billing Country", "Currency", "Terms", "Credit Limit",
                    "Date Created", "Last Modified", "Inactive"]
EPOCH = dt.datetime(1970, 1, 1)
MALFORMED_KINDS = ("wrong_column_count", "unparseable_date", "unterminated_quote")


@dataclass
class DropFile:
    """One dropped file: ``records`` data rows (header excluded), ``malformed`` = {record number (1-based): kind}."""

    path: Path
    kind: str
    records: int
    malformed: dict[int, str] = field(default_factory=dict)
    since: dt.datetime | None = None
    cutoff: dt.datetime | None = None

    @property
    def done_marker(self) -> Path:
        return self.path.with_name(self.path.name + ".done")


class FileDrops:
    def __init__(self, db: ErpDatabase, drop_dir: Path, state_file: Path, seed: int, clock):
        self.db = db
        self.drop_dir = Path(drop_dir).resolve()
        self.state_file = Path(state_file)
        self.seed = seed
        self.clock = clock

    def ensure_initial(self) -> None:
        """On the first start, drop a full export of each kind (dated the day before the seed's end)."""
        if self._state():
            return
        day = (SEED_END - dt.timedelta(days=1)).date()
        self._drop("invoices", day, None, SEED_END)
        self._drop("customers", day, None, SEED_END)

    def drop_invoices(self, day: dt.date | None = None, since: dt.datetime | None = None) -> DropFile:
        """Invoices modified since ``since`` (default: the previous invoices drop), dated ``day`` (default today)."""
        return self._drop("invoices", day, since, self.clock.now())

    def drop_customers(self, day: dt.date | None = None, since: dt.datetime | None = None) -> DropFile:
        """Customers modified since ``since`` (default: the previous customers drop), dated ``day``."""
        return self._drop("customers", day, since, self.clock.now())

    # --- writing ----------------------------------------------------------------------------------------------

    def _drop(self, kind: str, day: dt.date | None, since: dt.datetime | None, cutoff: dt.datetime) -> DropFile:
        state = self._state()
        if since is None and kind in state:
            since = dt.datetime.fromisoformat(state[kind])
        day = day or cutoff.date()
        if kind == "invoices":
            records = [_sap_invoice(row) for row in self._invoices(since, cutoff)]
            header, delimiter, quote_all = SAP_COLUMNS, ";", False
        else:
            records = [_netsuite_customer(row) for row in self._customers(since, cutoff)]
            header, delimiter, quote_all = NETSUITE_COLUMNS, ",", True
        path = self._free_name(kind, day)
        lines, malformed = _render(records, header, delimiter, quote_all, kind,
                                   random.Random(f"erp:{self.seed}:drop:{path.name}"))
        if kind == "invoices":
            data = ("\n".join(lines) + "\n").encode("iso-8859-1", errors="replace")
        else:
            data = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
        self._publish(path, data, len(records))
        state[kind] = cutoff.isoformat()
        self._save_state(state)
        return DropFile(path, kind, len(records), malformed, since, cutoff)

    def _free_name(self, kind: str, day: dt.date) -> Path:
        self.drop_dir.mkdir(parents=True, exist_ok=True)
        stem, n = f"{kind}_{day:%Y%m%d}", 1
        path = self.drop_dir / f"{stem}.csv"
        while path.exists():
            n += 1
            path = self.drop_dir / f"{stem}_{n}.csv"
        return path

    def _publish(self, path: Path, data: bytes, records: int) -> None:
        temporary = path.with_name(f".{path.name}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        marker = {"file": path.name, "records": records, "bytes": len(data),
                  "sha256": hashlib.sha256(data).hexdigest()}
        marker_temporary = path.with_name(f".{path.name}.done.tmp")
        marker_temporary.write_text(json.dumps(marker) + "\n")
        os.replace(marker_temporary, path.with_name(path.name + ".done"))

    def _state(self) -> dict:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def _save_state(self, state: dict) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state))

    # --- reading the ERP --------------------------------------------------------------------------------------

    def _invoices(self, since: dt.datetime | None, cutoff: dt.datetime) -> list[dict]:
        return self.db.query(
            "SELECT i.*, c.customer_number, c.name AS customer_name FROM invoices i JOIN customers c "
            "ON c.customer_id = i.customer_id WHERE i.modified_at <= %s AND i.modified_at > %s "
            "ORDER BY i.invoice_id", (cutoff, since or EPOCH))

    def _customers(self, since: dt.datetime | None, cutoff: dt.datetime) -> list[dict]:
        return self.db.query(
            "SELECT c.*, p.email, p.phone FROM customers c LEFT JOIN customer_contacts p "
            "ON p.customer_id = c.customer_id AND p.is_primary WHERE c.modified_at <= %s "
            "AND c.modified_at > %s ORDER BY c.customer_id", (cutoff, since or EPOCH))


# --- formats ------------------------------------------------------------------------------------------------------

def sap_decimal(value: Decimal) -> str:
    """``1234.5`` -> ``1.234,50``."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def netsuite_time(value: dt.datetime) -> str:
    hour = value.hour % 12 or 12
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"


def _sap_invoice(row: dict) -> list[str]:
    return [
        "1000", row["invoice_number"], "S1" if row["status"] == "void" else "F2", f"{row['invoice_date']:%d.%m.%Y}",
        f"{row['due_date']:%d.%m.%Y}", row["customer_number"], row["customer_name"], row["currency"],
        sap_decimal(row["subtotal"]), sap_decimal(row["tax_amount"]), sap_decimal(row["total_amount"]),
        sap_decimal(row["amount_paid"]), SAP_STATUS.get(row["status"], row["status"]),
        "X" if row["is_deleted"] else "", f"{row['modified_at']:%d.%m.%Y}", f"{row['modified_at']:%H:%M:%S}",
    ]


def _netsuite_customer(row: dict) -> list[str]:
    limit = row["credit_limit"]
    return [
        str(row["customer_id"]), row["customer_number"], row["name"], row["email"] or "", row["phone"] or "",
        row["billing_street"] or "", row["billing_city"] or "", row["billing_state"] or "",
        row["billing_postal_code"] or "", row["billing_country"] or "", row["currency"], row["payment_terms"],
        "" if limit is None else f"{limit:.2f}", netsuite_time(row["created_at"]), netsuite_time(row["modified_at"]),
        "Yes" if row["is_deleted"] else "No",
    ]


def _field(value: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _render(records: list[list[str]], header: list[str], delimiter: str, quote_all: bool, kind: str,
            rng: random.Random) -> tuple[list[str], dict[int, str]]:
    """The file's lines (header first) with the malformed records put in; {record number: kind}."""
    malformed: dict[int, str] = {}
    if len(records) >= 4:
        first, second = rng.sample(range(1, len(records)), 2)  # never the last record (the unterminated quote)
        malformed = {first: "wrong_column_count", second: "unparseable_date", len(records): "unterminated_quote"}
    date_column = header.index("FKDAT" if kind == "invoices" else "Date Created")
    # an opening quote never closed: SAP in the customer name, NetSuite in the last field (its other quotes pair up)
    open_column = header.index("NAME1") if kind == "invoices" else len(header) - 1
    lines = [delimiter.join(_field(name, delimiter, quote_all) for name in header)]
    for number, record in enumerate(records, start=1):
        fields = [_field(value, delimiter, quote_all) for value in record]
        problem = malformed.get(number)
        if problem == "wrong_column_count":
            fields = fields + [_field("EXTRA", delimiter, quote_all)] if kind == "invoices" else fields[:-2]
        elif problem == "unparseable_date":  # SAP's empty date, or a day-first date in a month-first column
            fields[date_column] = _field("00.00.0000" if kind == "invoices" else "31/12/2024 10:00 am",
                                         delimiter, quote_all)
        elif problem == "unterminated_quote":
            fields[open_column] = '"' + record[open_column].replace('"', "")
        lines.append(delimiter.join(fields))
    return lines, malformed
