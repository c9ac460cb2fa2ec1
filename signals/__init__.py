"""signals: pure functions from deal evidence to risk, stage gates, coverage, forecast and reviews."""

from __future__ import annotations

from signals.config import RiskConfig
from signals.errors import SignalsError
from signals.forecast import pipeline_coverage, slipped_deals, weighted_pipeline
from signals.health import pipeline_health
from signals.methodology import coverage, rollup
from signals.periods import parse_period
from signals.review import WeeklyReview, weekly_review
from signals.risk import score_deal, summarize
from signals.stages import (
    Criterion,
    StageCheck,
    check_stage_move,
    parse_stage,
    unmet_criteria_for_current_stage,
)
from signals.types import (
    CallEvidence,
    CloseDateChange,
    DealState,
    Evidence,
    MethodologyEvidence,
    NextStepState,
    ObjectionState,
    RiskCode,
    RiskFactor,
    RiskLevel,
    RiskScore,
    Stage,
    StageChange,
    StakeholderState,
    UtteranceRef,
)

__all__ = [
    "CallEvidence",
    "CloseDateChange",
    "Criterion",
    "DealState",
    "Evidence",
    "MethodologyEvidence",
    "NextStepState",
    "ObjectionState",
    "RiskCode",
    "RiskConfig",
    "RiskFactor",
    "RiskLevel",
    "RiskScore",
    "SignalsError",
    "Stage",
    "StageChange",
    "StageCheck",
    "StakeholderState",
    "UtteranceRef",
    "WeeklyReview",
    "check_stage_move",
    "coverage",
    "parse_period",
    "parse_stage",
    "pipeline_coverage",
    "pipeline_health",
    "rollup",
    "score_deal",
    "slipped_deals",
    "summarize",
    "unmet_criteria_for_current_stage",
    "weekly_review",
    "weighted_pipeline",
]
