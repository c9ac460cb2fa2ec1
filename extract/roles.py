"""Map a stakeholder's title and authority cues to a contract role."""

from __future__ import annotations

import re

DECIDING = frozenset({"economic_buyer", "decision_maker"})
# the contract's stakeholder roles (the role head's classes, in this order)
ROLES = (
    "economic_buyer",
    "decision_maker",
    "champion",
    "technical_evaluator",
    "legal_procurement",
    "influencer",
    "end_user",
)

_TITLE_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "economic_buyer",
        re.compile(r"\b(?:cfo|chief financial|finance|controller|comptroller|treasurer|fp&a)\b", re.I),
    ),
    (
        "legal_procurement",
        re.compile(r"\b(?:legal|counsel|procurement|purchasing|contracts?|compliance)\b", re.I),
    ),
    (
        "technical_evaluator",
        re.compile(
            r"\b(?:security|ciso|architect|engineer|it|platform|infrastructure|data|devops|admin)\b", re.I
        ),
    ),
    (
        "end_user",
        re.compile(r"\b(?:analyst|coordinator|agent|specialist|rep|nurse|teacher|dispatcher)\b", re.I),
    ),
)
_EXEC = re.compile(
    r"\b(?:ceo|coo|cto|cio|president|founder|owner|managing (?:director|partner)|chief|svp|evp|"
    r"general manager|board|provost|superintendent)\b",
    re.I,
)
# "assistant superintendent", "associate provost", "deputy director": below the one who decides
DEPUTY = re.compile(r"\b(?:assistant|associate|deputy)\b", re.I)
_TECH_EXEC = re.compile(r"\b(?:ciso|chief (?:information )?security|chief technology|cto)\b", re.I)
_OWNER = re.compile(
    r"\b(?:ceo|owner|founder|president|managing partner|general manager|chief executive)\b", re.I
)


def role_for(title: str | None, cues: list[str]) -> str:
    """Pick the strongest role the evidence supports (authority beats title-only guesses)."""
    counted = {c: cues.count(c) for c in set(cues)}
    if counted.get("economic_buyer"):
        return "economic_buyer"
    if counted.get("decision_maker"):
        return "decision_maker"
    if title and _EXEC.search(title) and not _TECH_EXEC.search(title) and not DEPUTY.search(title):
        return "economic_buyer" if _OWNER.search(title) else "decision_maker"
    if title:
        for role, rx in _TITLE_ROLES:
            if rx.search(title):
                return role
        if _EXEC.search(title) and not DEPUTY.search(title):
            return "decision_maker"
    for role in ("champion", "legal_procurement", "technical_evaluator", "end_user"):
        if counted.get(role):
            return role
    return "influencer"
