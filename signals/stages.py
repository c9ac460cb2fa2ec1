"""Stages, their display names, and entry criteria as data.

Which criteria a stage requires is data (`RiskConfig.stage_criteria`, default
`DEFAULT_STAGE_CRITERIA`); what each criterion means is one small predicate here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from extract.types import StakeholderRole
from signals.config import DEFAULT_STAGE_CRITERIA
from signals.errors import UnknownStageError
from signals.types import CriterionCode, DealState, Stage, StakeholderState

__all__ = [
    "CRITERIA",
    "OPEN_STAGES",
    "STAGE_DISPLAY_NAMES",
    "Criterion",
    "StageCheck",
    "check_stage_move",
    "criteria_for",
    "criterion_met",
    "display_name",
    "economic_buyers",
    "parse_stage",
    "unmet_criteria_for_current_stage",
]

STAGE_DISPLAY_NAMES: dict[Stage, str] = {
    Stage.AWARENESS: "Awareness",
    Stage.QUALIFIED: "Qualified",
    Stage.DISCOVERY: "Discovery",
    Stage.PROPOSAL: "Proposal",
    Stage.COMMIT: "Commit",
    Stage.CLOSED_WON: "Closed won",
    Stage.CLOSED_LOST: "Closed lost",
}

OPEN_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if not s.is_closed)

# Methodology elements that count as identified pain (MEDDICC, SPICED, BANT).
PAIN_ELEMENTS = frozenset({"identify_pain", "pain", "need"})


@dataclass(frozen=True, slots=True)
class Criterion:
    code: CriterionCode
    description: str


@dataclass(frozen=True, slots=True)
class StageCheck:
    to_stage: Stage
    allowed: bool
    unmet: tuple[Criterion, ...] = ()


CRITERIA: dict[CriterionCode, Criterion] = {
    c.code: c
    for c in (
        Criterion(CriterionCode.BUYER_ENGAGED, "A buyer has spoken on a call"),
        Criterion(CriterionCode.PAIN_IDENTIFIED, "The buyer's pain is identified"),
        Criterion(CriterionCode.DECISION_MAKER_KNOWN, "A decision-maker is known"),
        Criterion(CriterionCode.AMOUNT_SET, "The deal has an amount"),
        Criterion(CriterionCode.CLOSE_DATE_SET, "The deal has a close date"),
        Criterion(CriterionCode.ECONOMIC_BUYER_ON_CALL, "The economic buyer has been on a call"),
        Criterion(CriterionCode.CONFIRMED_NEXT_STEP, "An open next step is confirmed by the buyer and dated"),
    )
}


def display_name(stage: Stage) -> str:
    return STAGE_DISPLAY_NAMES[stage]


def parse_stage(value: str) -> Stage:
    """Parse a stage id ("closed_won") or display name ("Closed won"), case-insensitively.

    Raises:
        UnknownStageError: the value names no stage.
    """
    key = "_".join(value.strip().lower().replace("-", " ").split())
    try:
        return Stage(key)
    except ValueError:
        names = ", ".join(STAGE_DISPLAY_NAMES.values())
        raise UnknownStageError(f"unknown stage {value!r}; expected one of: {names}") from None


def economic_buyers(deal: DealState) -> tuple[StakeholderState, ...]:
    """Stakeholders with the economic_buyer role; failing that, every decision-maker."""
    named = tuple(s for s in deal.stakeholders if s.role == StakeholderRole.ECONOMIC_BUYER)
    return named or tuple(s for s in deal.stakeholders if s.is_decision_maker)


def _pain(deal: DealState) -> bool:
    if deal.pain_identified:
        return True
    m = deal.methodology
    return m is not None and any(m.elements.get(e) for e in PAIN_ELEMENTS)


_PREDICATES: dict[CriterionCode, Callable[[DealState], bool]] = {
    CriterionCode.BUYER_ENGAGED: lambda d: any(c.buyer_spoke for c in d.calls),
    CriterionCode.PAIN_IDENTIFIED: _pain,
    CriterionCode.DECISION_MAKER_KNOWN: lambda d: any(s.is_decision_maker for s in d.stakeholders),
    CriterionCode.AMOUNT_SET: lambda d: d.amount is not None and d.amount > 0,
    CriterionCode.CLOSE_DATE_SET: lambda d: d.close_date is not None,
    CriterionCode.ECONOMIC_BUYER_ON_CALL: lambda d: any(s.on_calls > 0 for s in economic_buyers(d)),
    CriterionCode.CONFIRMED_NEXT_STEP: lambda d: any(
        n.is_open and n.confirmed and n.due is not None for n in d.next_steps
    ),
}


def criterion_met(deal: DealState, code: CriterionCode) -> bool:
    return _PREDICATES[code](deal)


def criteria_for(
    stage: Stage, criteria: Mapping[Stage, tuple[CriterionCode, ...]] = DEFAULT_STAGE_CRITERIA
) -> tuple[Criterion, ...]:
    return tuple(CRITERIA[c] for c in criteria.get(stage, ()))


def check_stage_move(
    deal: DealState,
    to_stage: Stage,
    *,
    criteria: Mapping[Stage, tuple[CriterionCode, ...]] = DEFAULT_STAGE_CRITERIA,
) -> StageCheck:
    """Check the evidence against the target stage's entry criteria.

    Args:
        deal: the deal as it is now.
        to_stage: the stage it would move to.
        criteria: stage -> required criterion codes (RiskConfig.stage_criteria).

    Returns:
        StageCheck: allowed when every criterion holds; `unmet` lists the rest in order.
    """
    unmet = tuple(c for c in criteria_for(to_stage, criteria) if not criterion_met(deal, c.code))
    return StageCheck(to_stage=to_stage, allowed=not unmet, unmet=unmet)


def unmet_criteria_for_current_stage(
    deal: DealState,
    *,
    criteria: Mapping[Stage, tuple[CriterionCode, ...]] = DEFAULT_STAGE_CRITERIA,
) -> tuple[Criterion, ...]:
    """Return the current stage's criteria that the evidence does not meet."""
    return check_stage_move(deal, deal.stage, criteria=criteria).unmet
