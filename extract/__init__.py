"""extract: a `Transcript` becomes `Insights` (spaCy rules + MiniLM heads), see contracts/call-insights.md."""

from __future__ import annotations

from extract.analyzer import Analyzer, ExtractOptions
from extract.errors import ExtractError, ModelLoadError
from extract.types import (
    FRAMEWORK_ELEMENTS,
    CallInfo,
    CallMetrics,
    ElementEvidence,
    Framework,
    Insights,
    Mention,
    Mentions,
    Methodology,
    NextStep,
    Objection,
    ObjectionCategory,
    OwnerSide,
    SpeakerMetrics,
    Stakeholder,
    StakeholderRole,
    UtteranceOut,
)

__all__ = [
    "FRAMEWORK_ELEMENTS",
    "Analyzer",
    "CallInfo",
    "CallMetrics",
    "ElementEvidence",
    "ExtractError",
    "ExtractOptions",
    "Framework",
    "Insights",
    "Mention",
    "Mentions",
    "Methodology",
    "ModelLoadError",
    "NextStep",
    "Objection",
    "ObjectionCategory",
    "OwnerSide",
    "SpeakerMetrics",
    "Stakeholder",
    "StakeholderRole",
    "UtteranceOut",
]
