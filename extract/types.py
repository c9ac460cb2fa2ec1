"""Frozen value types for call insights (contracts/call-insights.md).

`Insights.to_dict()` produces exactly the contract's JSON; fields may be added, none renamed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class OwnerSide(StrEnum):
    REP = "rep"
    BUYER = "buyer"
    BOTH = "both"
    UNKNOWN = "unknown"


class StakeholderRole(StrEnum):
    ECONOMIC_BUYER = "economic_buyer"
    DECISION_MAKER = "decision_maker"
    CHAMPION = "champion"
    TECHNICAL_EVALUATOR = "technical_evaluator"
    LEGAL_PROCUREMENT = "legal_procurement"
    INFLUENCER = "influencer"
    END_USER = "end_user"


class ObjectionCategory(StrEnum):
    PRICING = "pricing"
    TIMING = "timing"
    AUTHORITY = "authority"
    NEED = "need"
    COMPETITION = "competition"
    SECURITY = "security"
    INTEGRATION = "integration"
    CONTRACT = "contract"


class Framework(StrEnum):
    MEDDICC = "MEDDICC"
    BANT = "BANT"
    SPICED = "SPICED"


FRAMEWORK_ELEMENTS: dict[Framework, tuple[str, ...]] = {
    Framework.MEDDICC: (
        "metrics",
        "economic_buyer",
        "decision_criteria",
        "decision_process",
        "identify_pain",
        "champion",
        "competition",
    ),
    Framework.BANT: ("budget", "authority", "need", "timeline"),
    Framework.SPICED: ("situation", "pain", "impact", "critical_event", "decision"),
}


@dataclass(frozen=True, slots=True)
class CallInfo:
    id: str
    date: dt.date
    duration_s: float
    language: str = "en"
    title: str | None = None


@dataclass(frozen=True, slots=True)
class SpeakerMetrics:
    name: str
    side: str
    talk_ratio: float
    talk_s: float
    longest_monologue_s: float
    questions: int
    words_per_minute: float | None = None
    patience_s: float | None = None  # mean pause before this rep answers a buyer
    utterances: int = 0


@dataclass(frozen=True, slots=True)
class CallMetrics:
    interactivity: float  # speaker switches per minute
    rep_talk_ratio: float | None
    buyer_talk_ratio: float | None
    patience_s: float | None


@dataclass(frozen=True, slots=True)
class UtteranceOut:
    index: int
    speaker: str
    side: str
    start: float
    end: float | None
    text: str


@dataclass(frozen=True, slots=True)
class NextStep:
    utterance: int
    text: str
    action: str
    owner: str | None
    owner_side: str
    due: dt.date | None
    confirmed: bool
    confidence: float


@dataclass(frozen=True, slots=True)
class Stakeholder:
    name: str
    title: str | None
    role: str | None
    decision_maker: bool
    on_call: bool
    utterances: tuple[int, ...]
    confidence: float
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Objection:
    utterance: int
    category: str
    text: str
    addressed: bool
    confidence: float
    addressed_by: int | None = None  # utterance where the buyer accepted the answer


@dataclass(frozen=True, slots=True)
class Mention:
    utterance: int
    text: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Mentions:
    competitors: tuple[Mention, ...] = ()
    budget: tuple[Mention, ...] = ()
    timeline: tuple[Mention, ...] = ()
    pain_points: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class ElementEvidence:
    covered: bool
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Methodology:
    framework: str
    elements: dict[str, ElementEvidence] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Insights:
    call: CallInfo
    speakers: tuple[SpeakerMetrics, ...]
    utterances: tuple[UtteranceOut, ...]
    next_steps: tuple[NextStep, ...]
    stakeholders: tuple[Stakeholder, ...]
    objections: tuple[Objection, ...]
    mentions: Mentions
    methodology: Methodology
    metrics: CallMetrics | None = None
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the contract's JSON object (dates as ISO strings, tuples as lists)."""
        document: dict[str, Any] = _jsonable(asdict(self))
        return document


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
