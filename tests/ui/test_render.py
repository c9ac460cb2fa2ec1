"""Template filters: how pages word dates."""

from __future__ import annotations

import datetime as dt

import pytest

from api.ui.render import ago

TODAY = dt.date(2026, 12, 5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 12, 5), "today"),
        (dt.date(2026, 12, 4), "1 day ago"),
        (dt.datetime(2026, 11, 12, 23, 59, tzinfo=dt.UTC), "23 days ago"),
        (
            dt.datetime(2026, 11, 13, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))),
            "23 days ago",
        ),  # UTC day
        ("2026-12-08T10:00:00+00:00", "in 3 days"),
        (None, ""),
    ],
)
def test_ago_counts_whole_utc_days(value: object, expected: str) -> None:
    assert ago(value, today=TODAY) == expected  # type: ignore[arg-type]
