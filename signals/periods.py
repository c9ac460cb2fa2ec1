"""Calendar periods: quarters ("2026-Q3"), months ("2026-03") and ISO weeks ("2026-W14").

A period is the half-open date range [start, end).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from signals.errors import PeriodError

__all__ = ["Period", "PeriodKind", "month_of", "parse_period", "quarter_of", "week_of"]


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date  # exclusive
    label: str

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    def next(self) -> Period:
        """The period of the same kind that starts where this one ends."""
        if self.kind == PeriodKind.WEEK:
            return week_of(self.end)
        if self.kind == PeriodKind.MONTH:
            return month_of(self.end)
        return quarter_of(self.end)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def quarter_of(day: dt.date) -> Period:
    q = (day.month - 1) // 3 + 1
    start = dt.date(day.year, 3 * q - 2, 1)
    return Period(PeriodKind.QUARTER, start, _add_months(start, 3), f"{day.year}-Q{q}")


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period(PeriodKind.MONTH, start, _add_months(start, 1), f"{day.year}-{day.month:02d}")


def week_of(day: dt.date) -> Period:
    iso = day.isocalendar()
    start = day - dt.timedelta(days=iso.weekday - 1)
    return Period(PeriodKind.WEEK, start, start + dt.timedelta(days=7), f"{iso.year}-W{iso.week:02d}")


_PATTERN = re.compile(r"^(\d{4})-(?:Q([1-4])|W(\d{2})|(\d{2}))$")


def parse_period(label: str) -> Period:
    """Parse "2026-Q3", "2026-03" or "2026-W14" (ISO week, Monday start), case-insensitively.

    Raises:
        PeriodError: the label is malformed or names no real week or month.
    """
    match = _PATTERN.match(label.strip().upper())
    if match is None:
        raise PeriodError(f"bad period {label!r}; expected YYYY-Qn, YYYY-MM or YYYY-Www")
    year, quarter, week, month = match.groups()
    try:
        if quarter:
            return quarter_of(dt.date(int(year), 3 * int(quarter) - 2, 1))
        if week:
            return week_of(dt.date.fromisocalendar(int(year), int(week), 1))
        return month_of(dt.date(int(year), int(month), 1))
    except ValueError as exc:
        raise PeriodError(f"bad period {label!r}: {exc}") from exc
