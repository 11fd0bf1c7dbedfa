"""The flat-file exports the ERP drops, and how DuckDB's CSV reader parses them into good rows and rejects.

A format says how to read a file (delimiter, encoding, column types, date formats) and how each column lands in
bronze: as text, normalised where the file's notation is local (``dd.mm.yyyy`` and ``M/D/YYYY h:mm am`` become
``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS``, ``1.234,50`` becomes ``1234.50``), so every ERP bronze table reads alike.

``read_csv`` parses (``encoding``, ``dateformat``/``timestampformat``, ``strict_mode``) and keeps what it cannot
parse in its rejects table (``store_rejects``: line, error type, the raw record): a wrong column count, an
unparseable date, an unterminated quote. Decimal-comma amounts with ``.`` thousands are beyond the reader (its
``decimal_separator`` knows no thousands separator): they are read as text and checked against their pattern in SQL;
a record that fails is quarantined too. Note: ``parallel=false`` must not be set: with it DuckDB 2.0 drops an
unterminated quote at the end of a file silently instead of rejecting it (the file's count check would then fail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

QUARANTINE_COLUMNS = ("quarantine_key", "file_name", "file_kind", "file_sha256", "line_number", "reason",
                      "raw_text")
LINEAGE_COLUMNS = ("source_file", "source_line")  # on every landed file row: the file and the record's line
SAP_AMOUNT = r"-?[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?"


def bronze_column(header: str) -> str:
    """``Billing State/Province`` -> ``billing_state_province``; ``VBELN`` -> ``vbeln``."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class DropFormat:
    kind: str  # what the file holds: bronze.erp_files__<kind>
    pattern: str  # file names of this kind (fnmatch)
    delimiter: str
    encoding: str  # as read_csv names it: utf-8 (a BOM is skipped), latin-1
    columns: tuple[str, ...]  # the header, in order
    key: str  # the header column of the record key
    types: dict[str, str] = field(default_factory=dict)  # header column -> read_csv type (default VARCHAR)
    dateformat: str | None = None
    timestampformat: str | None = None
    decimal_comma: tuple[str, ...] = ()  # columns holding 1.234,50 amounts (read as text, checked, normalised)

    def matches(self, name: str) -> bool:
        return fnmatch(name, self.pattern)

    @property
    def bronze_columns(self) -> tuple[str, ...]:
        return tuple(bronze_column(c) for c in self.columns) + LINEAGE_COLUMNS

    @property
    def key_field(self) -> str:
        return bronze_column(self.key)

    def read_csv(self, path: Path) -> str:
        """The ``read_csv(...)`` call (typed columns, rejects stored in ``reject_errors``)."""
        struct = "{" + ", ".join(f"{_literal(c)}: {_literal(self.types.get(c, 'VARCHAR'))}" for c in self.columns) + "}"
        options = [f"delim={_literal(self.delimiter)}", "quote='\"'", "escape='\"'", "header=true",
                   "auto_detect=false", "strict_mode=true", "store_rejects=true", "null_padding=false",
                   f"encoding={_literal(self.encoding)}", f"columns={struct}"]
        if self.dateformat:
            options.append(f"dateformat={_literal(self.dateformat)}")
        if self.timestampformat:
            options.append(f"timestampformat={_literal(self.timestampformat)}")
        return f"read_csv({_literal(str(path))}, {', '.join(options)})"

    def landed_expression(self, column: str, alias: str = "p") -> str:
        """The SQL text that lands for one header column (normalised where the file's notation is local)."""
        ref = f"{alias}.{_ident(column)}"
        kind = self.types.get(column, "VARCHAR").upper()
        if kind == "DATE":
            return f"strftime({ref}, '%Y-%m-%d')"
        if kind == "TIMESTAMP":
            return f"strftime({ref}, '%Y-%m-%d %H:%M:%S')"
        if column in self.decimal_comma:
            return f"replace(replace({ref}, '.', ''), ',', '.')"
        return f"cast({ref} as varchar)"

    def invalid_amounts(self, alias: str = "p") -> str:
        """SQL: the reason a parsed record's amounts are unreadable, else NULL."""
        if not self.decimal_comma:
            return "null"
        checks = [f"case when {alias}.{_ident(c)} is not null and not regexp_full_match({alias}.{_ident(c)}, "
                  f"{_literal(SAP_AMOUNT)}) then {_literal(f'unparseable amount in {c}: ')} || {alias}.{_ident(c)} "
                  f"end" for c in self.decimal_comma]
        return f"coalesce({', '.join(checks)})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


SAP_INVOICES = DropFormat(
    kind="invoices", pattern="invoices_*.csv", delimiter=";", encoding="latin-1",
    columns=("BUKRS", "VBELN", "FKART", "FKDAT", "NETDT", "KUNAG", "NAME1", "WAERK", "NETWR", "MWSBK", "BRTWR",
             "BEZAHLT", "STATUS", "LOEVM", "AEDAT", "AEZET"),
    key="VBELN", types={"FKDAT": "DATE", "NETDT": "DATE", "AEDAT": "DATE", "AEZET": "TIME"},
    dateformat="%d.%m.%Y", decimal_comma=("NETWR", "MWSBK", "BRTWR", "BEZAHLT"),
)
NETSUITE_CUSTOMERS = DropFormat(
    kind="customers", pattern="customers_*.csv", delimiter=",", encoding="utf-8",
    columns=("Internal ID", "ID", "Company Name", "Email", "Phone", "Billing Address 1", "Billing City",
             "Billing State/Province", "Billing Zip", "Billing Country", "Currency", "Terms", "Credit Limit",
             "Date Created", "Last Modified", "Inactive"),
    key="Internal ID", types={"Internal ID": "BIGINT", "Credit Limit": "DECIMAL(18,2)", "Date Created": "TIMESTAMP",
                              "Last Modified": "TIMESTAMP"},
    timestampformat="%m/%d/%Y %I:%M %p",
)
FORMATS: tuple[DropFormat, ...] = (SAP_INVOICES, NETSUITE_CUSTOMERS)


def format_for(name: str, formats: tuple[DropFormat, ...] = FORMATS) -> DropFormat | None:
    return next((f for f in formats if f.matches(name)), None)
