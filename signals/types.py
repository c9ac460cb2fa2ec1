"""Frozen value types for the signals stage: deal state in, risk out.

Inputs describe a deal and its evidence independently of the database; the
`models` layer builds them from rows. All datetimes must be timezone-aware
(UTC recommended); dates (`close_date`, `due`) are calendar dates in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from extract.types import Framework, ObjectionCategory, OwnerSide, StakeholderRole

__all__ = [
    "AnyRisk",
    "CallEvidence",
    "CloseDateChange",
    "CriterionCode",
    "DealState",
    "Evidence",
    "EvidenceKind",
    "ForecastCategory",
    "MethodologyEvidence",
    "NextStepState",
    "NextStepStatus",
    "ObjectionState",
    "ObjectionStatus",
    "RiskCode",
    "RiskFactor",
    "RiskLevel",
    "RiskScore",
    "Stage",
    "StageChange",
    "StakeholderState",
    "StoredScore",
    "UtteranceRef",
]


class Stage(StrEnum):
    """Pipeline stages in funnel order (declaration order is the stage order)."""

    AWARENESS = "awareness"
    QUALIFIED = "qualified"
    DISCOVERY = "discovery"
    PROPOSAL = "proposal"
    COMMIT = "commit"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"

    @property
    def is_closed(self) -> bool:
        return self in (Stage.CLOSED_WON, Stage.CLOSED_LOST)

    @property
    def rank(self) -> int:
        """Position in the funnel: awareness 0 … commit 4, closed_won 5, closed_lost 6."""
        return _STAGE_RANK[self]


# Scoring asks for ranks millions of times; listing the enum each time showed in profiles.
_STAGE_RANK: dict[Stage, int] = {stage: n for n, stage in enumerate(Stage)}


class ForecastCategory(StrEnum):
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class NextStepStatus(StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"
    DONE = "done"


class ObjectionStatus(StrEnum):
    OPEN = "open"
    ADDRESSED = "addressed"


class EvidenceKind(StrEnum):
    CALL = "call"
    UTTERANCE = "utterance"
    FIELD_CHANGE = "field_change"
    DEAL_FIELD = "deal_field"


class RiskCode(StrEnum):
    """Risk factor codes (contracts/api.md). Declaration order breaks ties when sorting factors."""

    NO_BUYER_ACTIVITY = "no_buyer_activity"
    NO_DECISION_MAKER = "no_decision_maker"
    DECISION_MAKER_ABSENT = "decision_maker_absent"
    NO_NEXT_STEP = "no_next_step"
    NEXT_STEP_OVERDUE = "next_step_overdue"
    CLOSE_DATE_PUSHED = "close_date_pushed"
    SINGLE_THREADED = "single_threaded"
    STALLED_IN_STAGE = "stalled_in_stage"
    OPEN_OBJECTIONS = "open_objections"
    STAGE_CRITERIA_UNMET = "stage_criteria_unmet"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CriterionCode(StrEnum):
    """Stage entry criteria; descriptions and predicates live in `signals.stages`."""

    BUYER_ENGAGED = "buyer_engaged"
    PAIN_IDENTIFIED = "pain_identified"
    DECISION_MAKER_KNOWN = "decision_maker_known"
    AMOUNT_SET = "amount_set"
    CLOSE_DATE_SET = "close_date_set"
    ECONOMIC_BUYER_ON_CALL = "economic_buyer_on_call"
    CONFIRMED_NEXT_STEP = "confirmed_next_step"


@dataclass(frozen=True, slots=True)
class CloseDateChange:
    at: dt.datetime
    from_date: dt.date | None
    to_date: dt.date | None

    @property
    def is_push(self) -> bool:
        """A push moves an existing close date later; setting or clearing one is not a push."""
        return self.from_date is not None and self.to_date is not None and self.to_date > self.from_date


@dataclass(frozen=True, slots=True)
class StageChange:
    at: dt.datetime
    from_stage: Stage | None
    to_stage: Stage
    by: str | None = None
    override_reason: str | None = None  # set when the move bypassed unmet criteria


@dataclass(frozen=True, slots=True)
class CallEvidence:
    call_id: str
    at: dt.datetime
    buyer_spoke: bool
    buyer_speakers: tuple[str, ...] = ()
    rep_speakers: tuple[str, ...] = ()
    duration_s: float | None = None
    reflected_at: dt.datetime | None = None  # when the deal was first updated from this call


@dataclass(frozen=True, slots=True)
class StakeholderState:
    """A buyer-side contact on the deal."""

    contact_id: str
    name: str
    title: str | None = None
    role: StakeholderRole | None = None
    decision_maker: bool = False
    on_calls: int = 0
    last_engaged_at: dt.datetime | None = None

    @property
    def is_decision_maker(self) -> bool:
        return self.decision_maker or self.role in (
            StakeholderRole.ECONOMIC_BUYER,
            StakeholderRole.DECISION_MAKER,
        )


@dataclass(frozen=True, slots=True)
class NextStepState:
    id: str
    call_id: str | None  # None: entered by hand, not extracted from a call
    utterance: int | None
    text: str
    due: dt.date | None = None
    status: NextStepStatus = NextStepStatus.SUGGESTED
    confirmed: bool = False
    owner_side: OwnerSide = OwnerSide.UNKNOWN

    @property
    def is_open(self) -> bool:
        return self.status in (NextStepStatus.SUGGESTED, NextStepStatus.ACCEPTED, NextStepStatus.EDITED)


@dataclass(frozen=True, slots=True)
class ObjectionState:
    id: str
    call_id: str | None
    utterance: int | None
    category: ObjectionCategory
    status: ObjectionStatus
    raised_at: dt.datetime
    text: str = ""


@dataclass(frozen=True, slots=True)
class UtteranceRef:
    call_id: str
    utterance: int | None = None


@dataclass(frozen=True, slots=True)
class MethodologyEvidence:
    """Evidence per framework element: element -> utterances that cover it."""

    framework: Framework
    elements: Mapping[str, tuple[UtteranceRef, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class DealState:
    id: str
    stage: Stage
    created_at: dt.datetime
    amount: float | None = None
    currency: str = "USD"
    close_date: dt.date | None = None
    forecast_category: ForecastCategory | None = None  # None: the stage's default
    probability: int | None = None  # 0..100 override; None: the stage's default
    owner: str | None = None
    stage_entered_at: dt.datetime | None = None  # None: created_at
    close_date_changes: tuple[CloseDateChange, ...] = ()
    stage_changes: tuple[StageChange, ...] = ()
    calls: tuple[CallEvidence, ...] = ()
    stakeholders: tuple[StakeholderState, ...] = ()
    next_steps: tuple[NextStepState, ...] = ()
    objections: tuple[ObjectionState, ...] = ()
    methodology: MethodologyEvidence | None = None
    pain_identified: bool = False
    last_buyer_activity: dt.datetime | None = None  # e.g. an email reply synced from the CRM
    name: str | None = None

    @property
    def entered_stage_at(self) -> dt.datetime:
        """stage_entered_at, else the latest recorded move into the stage, else created_at."""
        if self.stage_entered_at is not None:
            return self.stage_entered_at
        moves = [c.at for c in self.stage_changes if c.to_stage == self.stage]
        return max(moves, default=self.created_at)


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    call_id: str | None = None
    utterance: int | None = None
    field: str | None = None
    at: dt.datetime | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "call_id": self.call_id,
            "utterance": self.utterance,
            "field": self.field,
            "at": self.at.isoformat() if self.at else None,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        """Read back `to_dict`'s output (a stored factor's evidence)."""
        at = data.get("at")
        return cls(
            EvidenceKind(data["kind"]),
            call_id=data.get("call_id"),
            utterance=data.get("utterance"),
            field=data.get("field"),
            at=dt.datetime.fromisoformat(at) if at else None,
            value=data.get("value"),
        )


@dataclass(frozen=True, slots=True)
class RiskFactor:
    code: RiskCode
    points: int
    detail: str
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "points": self.points,
            "detail": self.detail,
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskFactor:
        """Read back `to_dict`'s output (a stored factor)."""
        evidence = tuple(Evidence.from_dict(e) for e in data.get("evidence", ()))
        return cls(RiskCode(data["code"]), int(data["points"]), str(data["detail"]), evidence)


@dataclass(frozen=True, slots=True)
class RiskScore:
    """`score` = min(cap, sum of factor points); `capped` says the sum exceeded the cap."""

    score: int
    level: RiskLevel
    factors: tuple[RiskFactor, ...] = ()
    capped: bool = False
    raw_points: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the contract's `risk` object (plus `capped` and `raw_points`)."""
        return {
            "score": self.score,
            "level": str(self.level),
            "factors": [f.to_dict() for f in self.factors],
            "capped": self.capped,
            "raw_points": self.raw_points,
        }


@dataclass(frozen=True, slots=True)
class StoredScore:
    """A stored risk score with its factors kept as stored (`RiskFactor.to_dict` output).

    A review lists thousands of scores and serves them as JSON: turning each stored factor into
    objects and back costs more than the rest of the review. `to_dict` equals the `to_dict` of
    the `RiskScore` it was stored from; `parsed()` builds that `RiskScore` when one is needed.
    """

    score: int
    level: RiskLevel
    factor_dicts: tuple[Mapping[str, Any], ...] = ()
    capped: bool = False
    raw_points: int = 0

    @classmethod
    def read(cls, score: int, level: str, factors: Sequence[Mapping[str, Any]]) -> StoredScore:
        """Wrap a stored score: factor points add up to `raw_points`, capped when above `score`."""
        raw = sum(int(f["points"]) for f in factors)
        return cls(score, RiskLevel(level), tuple(factors), capped=raw > score, raw_points=raw)

    @property
    def factors(self) -> tuple[RiskFactor, ...]:
        """The stored factors as objects (built on each call: pages read a few deals' factors)."""
        return tuple(RiskFactor.from_dict(f) for f in self.factor_dicts)

    def parsed(self) -> RiskScore:
        return RiskScore(self.score, self.level, self.factors, self.capped, self.raw_points)

    def to_dict(self) -> dict[str, Any]:
        """Return the contract's `risk` object, as `RiskScore.to_dict` does."""
        return {
            "score": self.score,
            "level": str(self.level),
            "factors": [dict(f) for f in self.factor_dicts],
            "capped": self.capped,
            "raw_points": self.raw_points,
        }


# A deal's current risk as the review and forecast read it: scored now, or stored and still fresh.
AnyRisk = RiskScore | StoredScore
