"""Mentions: competitors, budget figures, timeline events and pain points."""

from __future__ import annotations

import re

from spacy.tokens import Doc

from extract.features import UtteranceView
from extract.types import Mention, Mentions

_COMPETITIVE = re.compile(
    r"\b(?:use|using|pay for|paying for|looking at|evaluating|compared? to|versus|vs|switch(?:ing)? from|"
    r"instead of|already have|demo(?:ed)? with|quote from|talking to|moved? off|incumbent)\b",
    re.I,
)
_MONEY = re.compile(
    r"(?:\$\s?\d[\d,.]*\s?(?:k|m|million|thousand)?|\b\d[\d,.]*\s?(?:k|grand|thousand|million|dollars|euros)\b|"
    r"\b(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred)[- ]?)+(?:k|grand|thousand|million)\b)",
    re.I,
)
_BUDGET = re.compile(
    r"\b(?:budget\w*|spend|price|pricing|cost|afford|allocated|approved|per (?:year|month|seat))\b", re.I
)
_EVENT = re.compile(
    r"\b(?:renew\w*|go[- ]live|launch\w*|deadline|audit|expires?|kick ?off|roll ?out|cut ?over|fiscal year|"
    r"board meeting|end of (?:the )?(?:quarter|year|month)|q[1-4]|contract ends?)\b",
    re.I,
)
_PAIN = re.compile(
    r"\b(?:pain|struggl\w*|frustrat\w*|kills us|nightmare|manual\w*|takes forever|slow|broken|error-prone|"
    r"headache|waste\w*|losing|lost|churn|backlog|bottleneck|hours (?:a|per|every)|can't keep up|problem)\b",
    re.I,
)


def extract_mentions(views: list[UtteranceView], docs: list[Doc], competitors: tuple[str, ...]) -> Mentions:
    """Collect mentions per utterance (one per kind per utterance, in call order)."""
    comp: list[Mention] = []
    budget: list[Mention] = []
    timeline: list[Mention] = []
    pain: list[Mention] = []
    names = [(c, re.compile(r"\b" + re.escape(c) + r"\b", re.I)) for c in competitors]
    for v, doc in zip(views, docs, strict=True):
        comp += _competitors(v, doc, names)
        money = _MONEY.search(v.clean)
        if money and _BUDGET.search(v.clean):
            budget.append(Mention(utterance=v.index, text=v.text, value=money.group(0)))
        event = _EVENT.search(v.clean)
        dates = [e.text for e in doc.ents if e.label_ == "DATE"]
        if event and (dates or doc._.due is not None):
            due = doc._.due.isoformat() if doc._.due is not None else None
            timeline.append(Mention(utterance=v.index, text=v.text, value=due or dates[0]))
        if v.side != "rep" and _PAIN.search(v.clean):
            pain.append(Mention(utterance=v.index, text=v.text, value=_PAIN.search(v.clean).group(0)))  # type: ignore[union-attr]
    return Mentions(
        competitors=tuple(comp), budget=tuple(budget), timeline=tuple(timeline), pain_points=tuple(pain)
    )


def _competitors(v: UtteranceView, doc: Doc, names: list[tuple[str, re.Pattern[str]]]) -> list[Mention]:
    found = [Mention(utterance=v.index, text=v.text, value=c) for c, rx in names if rx.search(v.clean)]
    if _COMPETITIVE.search(v.clean):
        known = {m.value.lower() for m in found if m.value}
        for ent in doc.ents:
            if ent.label_ in ("ORG", "PRODUCT") and ent.text.lower() not in known and len(ent.text) > 2:
                found.append(Mention(utterance=v.index, text=v.text, value=ent.text))
                known.add(ent.text.lower())
    return found
