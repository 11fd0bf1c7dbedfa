"""SOQL relative date literals (``TODAY``, ``LAST_N_DAYS:30``, ...) as half-open UTC ranges at a given instant."""

from __future__ import annotations

import datetime as dt


def relative_range(name: str, amount: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` in naive UTC for the literal ``name`` (``amount`` is the ``:n`` part, 1 if none)."""
    today = dt.datetime(now.year, now.month, now.day)
    day = dt.timedelta(days=1)
    week_start = today - dt.timedelta(days=(today.weekday() + 1) % 7)  # weeks start on Sunday
    month_start = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    ranges = {  # built lazily: only the asked literal is computed (others may overflow for large n)
        "YESTERDAY": lambda: (today - day, today),
        "TODAY": lambda: (today, today + day),
        "TOMORROW": lambda: (today + day, today + 2 * day),
        "LAST_WEEK": lambda: (week_start - 7 * day, week_start),
        "THIS_WEEK": lambda: (week_start, week_start + 7 * day),
        "NEXT_WEEK": lambda: (week_start + 7 * day, week_start + 14 * day),
        "LAST_MONTH": lambda: (_add_months(month_start, -1), month_start),
        "THIS_MONTH": lambda: (month_start, _add_months(month_start, 1)),
        "NEXT_MONTH": lambda: (_add_months(month_start, 1), _add_months(month_start, 2)),
        "LAST_90_DAYS": lambda: (today - 90 * day, today + day),
        "NEXT_90_DAYS": lambda: (today + day, today + 91 * day),
        "THIS_YEAR": lambda: (year_start, year_start.replace(year=year_start.year + 1)),
        "LAST_YEAR": lambda: (year_start.replace(year=year_start.year - 1), year_start),
        "NEXT_YEAR": lambda: (year_start.replace(year=year_start.year + 1), year_start.replace(year=year_start.year + 2)),
        "LAST_N_DAYS": lambda: (today - amount * day, today + day),
        "NEXT_N_DAYS": lambda: (today + day, today + (amount + 1) * day),
        "N_DAYS_AGO": lambda: (today - amount * day, today - (amount - 1) * day),
        "LAST_N_WEEKS": lambda: (week_start - 7 * amount * day, week_start),
        "NEXT_N_WEEKS": lambda: (week_start + 7 * day, week_start + 7 * (amount + 1) * day),
        "LAST_N_MONTHS": lambda: (_add_months(month_start, -amount), month_start),
        "NEXT_N_MONTHS": lambda: (_add_months(month_start, 1), _add_months(month_start, amount + 1)),
        "LAST_N_YEARS": lambda: (year_start.replace(year=year_start.year - amount), year_start),
        "NEXT_N_YEARS": lambda: (year_start.replace(year=year_start.year + 1),
                         year_start.replace(year=year_start.year + amount + 1)),
    }
    return ranges[name]()


def _add_months(first_of_month: dt.datetime, months: int) -> dt.datetime:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return first_of_month.replace(year=index // 12, month=index % 12 + 1)
