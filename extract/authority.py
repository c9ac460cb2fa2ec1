"""Decision authority of a stakeholder: person-level features for the trained authority head,
and reconciling the head's verdict with the rule-based role."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from extract.roles import DECIDING, DEPUTY, ROLES, role_for


@dataclass(slots=True)
class Person:
    """A buyer-side person as evidence accumulates over the call."""

    name: str
    on_call: bool = False
    title: str | None = None
    cues: list[str] = field(default_factory=list)
    utterances: set[int] = field(default_factory=set)
    buyer_mentions: int = 0
    excluded: bool = False
    spoken: int = 0
    routes: int = 0  # times the person sends the decision to someone else ("it goes to our CFO")
    money: int = 0  # spoken utterances about price, budget or terms
    decisive: int = 0  # spoken utterances in a chooser's voice ("we've chosen you", "I'm not paying for")
    leads: int = 0  # spoken utterances about the people or unit they lead ("both of them report to me")


_TITLE_FLAGS = (
    re.compile(
        r"\b(?:ceo|coo|cfo|cio|cto|president|owner|founder|chief|general manager|"
        r"managing|partner|board)\b",
        re.I,
    ),
    re.compile(r"\b(?:vp|svp|evp|vice president)\b", re.I),
    re.compile(r"\bhead\b", re.I),
    re.compile(r"\bdirector\b", re.I),
    re.compile(r"\b(?:manager|lead|supervisor)\b", re.I),
    re.compile(r"\b(?:finance|financial|controller|treasurer)\b", re.I),
    re.compile(r"\b(?:legal|counsel|procurement|purchasing|risk|compliance)\b", re.I),
    re.compile(r"\b(?:security|it|engineer\w*|architect|data|developer|technical)\b", re.I),
)
_CUE_LABELS = (
    "economic_buyer",
    "decision_maker",
    "champion",
    "technical_evaluator",
    "legal_procurement",
    "end_user",
)
PERSON_FEATURES = (
    ("on_call", "log_utterances", "spoken_share", "mentioned_by_buyer", "has_title", "rule_deciding")
    + ("t_exec", "t_vp", "t_head", "t_director", "t_manager", "t_finance", "t_legal", "t_tech")
    + tuple(f"cue_{c}" for c in _CUE_LABELS)
    + ("top_speaker", "most_discussed", "mention_share")
    + ("sole_buyer", "other_decider", "routes_up", "money_talk", "decisive")
    + ("rank", "senior_most", "senior_most_on_call", "leads")
)
# seniority of a title, from the _TITLE_FLAGS above: exec 4, vp 3, head or director 2, manager 1
_RANKS = (4, 3, 2, 2, 1)


def rank(title: str | None) -> int:
    """Return the seniority of a title (0: none said or not a rank); a deputy ranks one below."""
    top = max((r for rx, r in zip(_TITLE_FLAGS, _RANKS, strict=False) if rx.search(title or "")), default=0)
    return max(0, top - 1) if top and DEPUTY.search(title or "") else top


def person_features(p: Person, n_utterances: int, group: list[Person]) -> NDArray[np.float32]:
    """Return the PERSON_FEATURES vector of one person, seen among the call's other candidates."""
    title = p.title or ""
    spoken = [q.spoken for q in group if q.on_call]
    others_decide = any(q is not p and role_for(q.title, q.cues) in DECIDING for q in group)
    talked_about = [len(q.utterances) for q in group if not q.on_call]
    row = [
        float(p.on_call),
        math.log1p(len(p.utterances)) / 3.0,
        p.spoken / max(1, n_utterances) * 3.0,
        float(p.buyer_mentions > 0),
        float(bool(p.title)),
        float(role_for(p.title, p.cues) in DECIDING),
    ]
    row += [float(bool(rx.search(title))) for rx in _TITLE_FLAGS]
    row += [float(min(2, p.cues.count(c))) for c in _CUE_LABELS]
    row += [
        float(p.on_call and p.spoken == max(spoken, default=0) > 0),
        float(not p.on_call and len(p.utterances) == max(talked_about, default=0)),
        len(p.utterances) / max(1, sum(len(q.utterances) for q in group)),
        float(p.on_call and len(spoken) == 1),
        float(others_decide),
        float(min(2, p.routes)),
        min(4, p.money) / 4.0,
        float(min(2, p.decisive)),
    ]
    # who decides is often the most senior person the buyers name or bring, whatever the words
    mine = rank(p.title)
    top = max(rank(q.title) for q in group)
    top_on_call = max((rank(q.title) for q in group if q.on_call), default=0)
    row += [
        mine / 4.0,
        float(mine > 0 and mine == top),
        float(p.on_call and mine > 0 and mine == top_on_call),
        float(min(2, p.leads)),
    ]
    return np.asarray(row, dtype=np.float32)


def role_inputs(p: Person, features: NDArray[np.float32]) -> NDArray[np.float32]:
    """The role head's inputs: the person's `person_features` and the rule-based role, one-hot."""
    rule = role_for(p.title, p.cues)
    one_hot = np.asarray([float(rule == r) for r in ROLES], dtype=np.float32)
    return np.concatenate([features, one_hot])


def pick_role(proba: NDArray[np.float64], deciding: bool) -> str:
    """The likeliest role (the role head's probabilities over ROLES) that agrees with the
    authority verdict: an economic buyer or decision maker exactly when the person decides."""
    allowed = [k for k, r in enumerate(ROLES) if (r in DECIDING) == deciding]
    return ROLES[max(allowed, key=lambda k: float(proba[k]))]


def reconcile(role: str, deciding: bool, title: str | None, cues: list[str]) -> str:
    """Make the role agree with the authority verdict (decision makers are EB or DM only)."""
    if deciding == (role in DECIDING):
        return role
    if deciding:
        return "decision_maker"
    other = role_for(title, [c for c in cues if c not in DECIDING])
    return other if other not in DECIDING else "influencer"
