import datetime as dt

import pytest

from extract.dates import find_due

MONDAY = dt.date(2026, 3, 2)
FRIDAY = dt.date(2026, 3, 6)


@pytest.mark.parametrize(
    ("text", "anchor", "expected"),
    [
        ("I'll send it by Friday.", MONDAY, dt.date(2026, 3, 6)),
        ("i'll send it friday", FRIDAY, dt.date(2026, 3, 13)),  # said on a Friday: the next one
        ("we can get it to you by end of next week", MONDAY, dt.date(2026, 3, 13)),
        ("Thursday at 2 works", MONDAY, dt.date(2026, 3, 5)),
        ("i'll ping you tomorrow", MONDAY, dt.date(2026, 3, 3)),
        ("let's regroup in two weeks", MONDAY, dt.date(2026, 3, 16)),
        ("we need it signed by end of quarter", dt.date(2026, 2, 10), dt.date(2026, 3, 31)),
        ("by the 15th", MONDAY, dt.date(2026, 3, 15)),
        ("by the 1st", dt.date(2026, 3, 20), dt.date(2026, 4, 1)),
        ("next Monday", dt.date(2026, 3, 4), dt.date(2026, 3, 9)),
        ("um by the end of the month", MONDAY, dt.date(2026, 3, 31)),
        ("tuesday the twentieth at two", dt.date(2026, 1, 14), dt.date(2026, 1, 20)),
        (
            "I'll do it this week and send feedback by end of next week",
            dt.date(2026, 1, 14),
            dt.date(2026, 1, 23),
        ),
        ("March 15th", MONDAY, dt.date(2026, 3, 15)),
        ("in 3 business days", dt.date(2026, 3, 5), dt.date(2026, 3, 10)),
    ],
)
def test_due_dates(text: str, anchor: dt.date, expected: dt.date) -> None:
    assert find_due(text, anchor)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "I sent it last Friday.",
        "our contract renews in March",
        "we founded it in 2019",
        "sometime next week maybe",
    ],
)
def test_not_due_dates(text: str) -> None:
    assert find_due(text, MONDAY)[0] is None
