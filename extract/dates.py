"""Resolve spoken due-date expressions against the call's date.

Rules follow the corpus guidelines: a bare weekday is the next such day strictly after the
call date; "end of next week" is Friday of next week; "end of quarter" is the quarter's
last day; "in two weeks" is date + 14. Past references ("last Friday") resolve to None.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple": 2,
    "few": 3,
}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "twenty-first": 21,
    "twenty first": 21,
    "twenty-second": 22,
    "twenty second": 22,
    "twenty-third": 23,
    "twenty third": 23,
    "twenty-fourth": 24,
    "twenty fourth": 24,
    "twenty-fifth": 25,
    "twenty fifth": 25,
    "twenty-sixth": 26,
    "twenty sixth": 26,
    "twenty-seventh": 27,
    "twenty seventh": 27,
    "twenty-eighth": 28,
    "twenty eighth": 28,
    "twenty-ninth": 29,
    "twenty ninth": 29,
    "thirtieth": 30,
    "thirty-first": 31,
    "thirty first": 31,
}
_ORD = r"(\d{1,2}(?:st|nd|rd|th)?|" + "|".join(sorted(ORDINALS, key=len, reverse=True)) + ")"
_WD = "|".join(WEEKDAYS)
_MON = "|".join(MONTHS) + "|" + "|".join(_MONTH_ABBR)
_NUM = r"(\d+|" + "|".join(NUMBERS) + r")"

PATTERNS: tuple[tuple[str, str], ...] = (
    ("past", rf"\b(?:last|past|previous)\s+(?:{_WD}|week|month|quarter|year)\b"),
    ("end_next_week", r"\bend of next week\b"),
    ("end_week", r"\b(?:end of (?:the|this) week|end of week|by the weekend)\b"),
    ("end_month", r"\b(?:end of (?:the |this )?month|month[- ]end)\b"),
    ("end_next_month", r"\bend of next month\b"),
    ("end_quarter", r"\b(?:end of (?:the |this )?quarter|quarter[- ]end|end of q[1-4])\b"),
    ("end_year", r"\b(?:end of (?:the |this )?year|year[- ]end)\b"),
    ("next_wd", rf"\bnext ({_WD})\b"),
    ("this_wd", rf"\bthis (?:coming )?({_WD})\b"),
    ("early_next_week", r"\b(?:early|beginning of|start of) next week\b"),
    ("next_week", r"\bnext week\b"),
    ("in_n", rf"\bin (?:the next |about |around )?(?:a )?{_NUM}\s+(day|week|business day|working day)s?\b"),
    ("in_week", r"\bin (?:a|one) week\b"),
    ("month_day", rf"\b({_MON})\.?\s+(?:the\s+)?{_ORD}\b"),
    ("day_of_month", rf"\b(?:the\s+)?{_ORD}\s+of\s+({_MON})\b"),
    ("wd_the_nth", rf"\b({_WD})\s+the\s+{_ORD}\b"),
    ("by_the_nth", rf"\b(?:by|on|before|until)\s+the\s+{_ORD}\b"),
    ("tomorrow", r"\btomorrow\b"),
    ("today", r"\b(?:today|tonight|end of (?:the )?day|eod|this afternoon|this evening)\b"),
    ("weekday", rf"\b({_WD})\b"),
)
_DEADLINE = re.compile(r"\b(?:by|before|until|till|no later than|due)\s+(?:the\s+)?(?:end of\s+)?$", re.I)
_COMPILED = tuple((kind, re.compile(rx, re.IGNORECASE)) for kind, rx in PATTERNS)


def find_due(text: str, anchor: dt.date) -> tuple[dt.date | None, str | None]:
    """Return the first resolvable due date said in `text` and the words that said it.

    Args:
        text: an utterance (clean or lowercase ASR).
        anchor: the call's date.

    Returns:
        (date, phrase); (None, None) when no due date is said or the only one is in the past.
    """
    hits: list[tuple[int, int, str, re.Match[str]]] = []
    for order, (kind, rx) in enumerate(_COMPILED):
        for m in rx.finditer(text):
            hits.append((m.start(), order, kind, m))
    taken: list[tuple[int, int]] = []
    found: list[tuple[bool, int, dt.date, str]] = []
    for start, _, kind, m in sorted(hits, key=lambda h: (h[0], h[1])):
        if any(s <= start < e for s, e in taken):
            continue
        taken.append((start, m.end()))
        if kind == "past" or _preceded_by_past(text, start):
            continue
        date = resolve(kind, m.groups(), anchor)
        if date is not None:
            found.append((not _DEADLINE.search(text[max(0, start - 14) : start]), start, date, m.group(0)))
    if not found:
        return None, None
    _, _, date, phrase = min(found, key=lambda f: (f[0], f[1]))  # a "by ..." deadline wins
    return date, phrase


def _preceded_by_past(text: str, start: int) -> bool:
    before = text[max(0, start - 12) : start].lower()
    return bool(re.search(r"\b(?:since|ago|was|last)\s*(?:on\s*)?$", before))


def next_weekday(anchor: dt.date, weekday: int) -> dt.date:
    """Return the first `weekday` strictly after `anchor`."""
    delta = (weekday - anchor.weekday()) % 7
    return anchor + dt.timedelta(days=delta or 7)


def _monday(anchor: dt.date) -> dt.date:
    return anchor - dt.timedelta(days=anchor.weekday())


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month_num(word: str) -> int:
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS.index(word) + 1
    return _MONTH_ABBR[word[:4] if word.startswith("sept") else word[:3]]


def _next_day_of_month(anchor: dt.date, day: int, month: int | None = None) -> dt.date | None:
    try:
        if month is None:
            date = dt.date(anchor.year, anchor.month, day)
            if date < anchor:
                month_after = anchor.month % 12 + 1
                date = dt.date(anchor.year + (anchor.month == 12), month_after, day)
            return date
        date = dt.date(anchor.year, month, day)
        return date if date >= anchor else dt.date(anchor.year + 1, month, day)
    except ValueError:
        return None


def _day(word: str) -> int:
    word = word.lower()
    return ORDINALS[word] if word in ORDINALS else int(re.sub(r"\D", "", word))


def _relative(anchor: dt.date, count_word: str, unit: str) -> dt.date:
    count = int(count_word) if count_word.isdigit() else NUMBERS[count_word.lower()]
    unit = unit.lower()
    if unit.startswith("week"):
        return anchor + dt.timedelta(days=7 * count)
    if unit.startswith(("business", "working")):
        date = anchor
        while count:
            date += dt.timedelta(days=1)
            count -= date.weekday() < 5
        return date
    return anchor + dt.timedelta(days=count)


def resolve(kind: str, groups: tuple[str | None, ...], anchor: dt.date) -> dt.date | None:
    """Turn one matched pattern into a date."""
    g = [x or "" for x in groups]
    monday = _monday(anchor)
    q_end_month = ((anchor.month - 1) // 3 + 1) * 3
    if kind in ("weekday", "next_wd", "this_wd"):
        wd = WEEKDAYS.index(g[0].lower())
        if kind == "next_wd":  # "next Monday": that day in the week after the call's week
            return monday + dt.timedelta(days=7 + wd)
        return next_weekday(anchor, wd)
    if kind in ("month_day", "day_of_month"):
        month, day = (g[0], g[1]) if kind == "month_day" else (g[1], g[0])
        return _next_day_of_month(anchor, _day(day), _month_num(month))
    if kind in ("by_the_nth", "wd_the_nth"):
        return _next_day_of_month(anchor, _day(g[-1]))
    if kind == "in_n":
        return _relative(anchor, g[0], g[1])
    table: dict[str, dt.date | None] = {
        "end_next_week": monday + dt.timedelta(days=11),
        "end_week": monday + dt.timedelta(days=4) if anchor.weekday() < 4 else monday + dt.timedelta(days=11),
        "end_month": _month_end(anchor.year, anchor.month),
        "end_next_month": _month_end(anchor.year + (anchor.month == 12), anchor.month % 12 + 1),
        "end_quarter": _month_end(anchor.year, q_end_month),
        "end_year": dt.date(anchor.year, 12, 31),
        "early_next_week": monday + dt.timedelta(days=7),
        "next_week": None,
        "in_week": anchor + dt.timedelta(days=7),
        "tomorrow": anchor + dt.timedelta(days=1),
        "today": anchor,
    }
    return table.get(kind)
