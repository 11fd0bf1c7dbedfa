"""SOQL text for extraction: the select list, and time windows over the cursor field.

Cursor values are kept exactly as landed (``2024-01-31T12:34:56.000Z``, the Bulk API 2.0 CSV format), so they
compare as text in every warehouse; SOQL wants ``2024-01-31T12:34:56Z``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from extract.salesforce.describe import is_api_name

LANDED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_landed(value: str) -> datetime:
    """A landed datetime (``...T12:34:56.000Z``, or REST's ``+0000`` form) as naive UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def format_landed(moment: datetime) -> str:
    """Naive UTC -> ``2024-01-31T12:34:56.000Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def soql_datetime(moment: datetime) -> str:
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """A half-open range [start, end) of cursor values (naive UTC); None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def where(self, cursor_field: str | None) -> str:
        if cursor_field is None:
            return ""
        parts = []
        if self.start is not None:
            parts.append(f"{cursor_field} >= {soql_datetime(self.start)}")
        if self.end is not None:
            parts.append(f"{cursor_field} < {soql_datetime(self.end)}")
        return " WHERE " + " AND ".join(parts) if parts else ""

    def halves(self) -> tuple["Window", "Window"]:
        if self.start is None or self.end is None:
            raise ValueError("only a bounded window can be split")
        middle = self.start + (self.end - self.start) / 2
        middle = middle.replace(microsecond=0)
        if middle <= self.start:
            middle = self.start + timedelta(seconds=1)
        return Window(self.start, middle), Window(middle, self.end)

    def describe(self) -> str:
        start = format_landed(self.start) if self.start else "the beginning"
        end = format_landed(self.end) if self.end else "now"
        return f"[{start}, {end})"


def select(object_name: str, fields: tuple[str, ...], window: Window | None = None,
           cursor_field: str | None = None) -> str:
    """``SELECT f1, f2 FROM Object [WHERE window]``; every name is checked to be an API name first."""
    for name in (object_name, *fields):
        if not is_api_name(name):
            raise ValueError(f"not a Salesforce API name, refused in SOQL: {name!r}")
    where = window.where(cursor_field) if window else ""
    return f"SELECT {', '.join(fields)} FROM {object_name}{where}"


def count(object_name: str, cursor_field: str | None = None, after: datetime | None = None,
          at_or_after: datetime | None = None) -> str:
    """``SELECT COUNT() FROM Object`` with an optional strict or inclusive lower bound on the cursor field."""
    if not is_api_name(object_name) or (cursor_field and not is_api_name(cursor_field)):
        raise ValueError(f"not a Salesforce API name, refused in SOQL: {object_name!r}/{cursor_field!r}")
    if cursor_field and after is not None:
        return f"SELECT COUNT() FROM {object_name} WHERE {cursor_field} > {soql_datetime(after)}"
    if cursor_field and at_or_after is not None:
        return f"SELECT COUNT() FROM {object_name} WHERE {cursor_field} >= {soql_datetime(at_or_after)}"
    return f"SELECT COUNT() FROM {object_name}"
