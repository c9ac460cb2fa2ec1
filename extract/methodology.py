"""Methodology coverage: which elements of MEDDICC / BANT / SPICED the call touched, with evidence."""

from __future__ import annotations

import re

from extract.features import UtteranceView
from extract.types import (
    FRAMEWORK_ELEMENTS,
    ElementEvidence,
    Framework,
    Mentions,
    Methodology,
    Objection,
    Stakeholder,
)


def _rx(*alts: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.I)


_CUES: dict[str, re.Pattern[str]] = {
    "metrics": _rx(
        r"measur\w*", r"kpis?", r"metrics?", r"percent", r"%", r"hours? (?:a|per)", r"roi", r"success look"
    ),
    "decision_criteria": _rx(
        r"criteria", r"must[- ]have", r"requirements?", r"need(?:s)? it to", r"deal[- ]?breaker"
    ),
    "decision_process": _rx(
        r"decision (?:process|gets made)",
        r"how (?:a )?decision",
        r"approval",
        r"sign[- ]?off",
        r"procurement",
        r"legal review",
        r"security review",
        r"committee",
        r"who (?:signs|else)",
        r"steps? (?:to|before)",
    ),
    "situation": _rx(
        r"we (?:currently|use|run|have)", r"today we", r"right now we", r"our (?:current|setup|stack)"
    ),
    "impact": _rx(
        r"cost(?:s|ing)? us", r"hours", r"revenue", r"churn", r"losing", r"impact", r"per (?:week|month|year)"
    ),
}


def assess(
    framework: Framework,
    views: list[UtteranceView],
    mentions: Mentions,
    stakeholders: tuple[Stakeholder, ...],
    objections: tuple[Objection, ...],
) -> Methodology:
    """Return each element of `framework` with the utterances that cover it."""
    ev = _evidence(views, mentions, stakeholders, objections)
    aliases = {
        "pain": "identify_pain",
        "need": "identify_pain",
        "budget": "budget",
        "authority": "economic_buyer",
        "timeline": "critical_event",
        "critical_event": "critical_event",
        "decision": "decision_process",
    }
    elements = {}
    for element in FRAMEWORK_ELEMENTS[framework]:
        found = ev.get(element) or ev.get(aliases.get(element, element), ())
        elements[element] = ElementEvidence(covered=bool(found), evidence=tuple(sorted(set(found)))[:10])
    return Methodology(framework=str(framework), elements=elements)


def _evidence(
    views: list[UtteranceView],
    mentions: Mentions,
    stakeholders: tuple[Stakeholder, ...],
    objections: tuple[Objection, ...],
) -> dict[str, tuple[int, ...]]:
    ev: dict[str, tuple[int, ...]] = {
        name: tuple(v.index for v in views if rx.search(v.clean)) for name, rx in _CUES.items()
    }
    ev["identify_pain"] = tuple(m.utterance for m in mentions.pain_points)
    ev["competition"] = tuple(m.utterance for m in mentions.competitors) + tuple(
        o.utterance for o in objections if o.category == "competition"
    )
    ev["budget"] = tuple(m.utterance for m in mentions.budget) + tuple(
        o.utterance for o in objections if o.category == "pricing"
    )
    ev["critical_event"] = tuple(m.utterance for m in mentions.timeline)
    ev["economic_buyer"] = tuple(i for s in stakeholders if s.decision_maker for i in s.utterances[:3])
    ev["champion"] = tuple(i for s in stakeholders if s.role == "champion" for i in s.utterances[:3])
    return ev
