"""Value sets stored in the database (all `StrEnum`, stored by value).

Sets the signals stage already defines are re-exported from there, so a deal's forecast
category or a next step's status is one type from the database to the risk score.
"""

from __future__ import annotations

from enum import StrEnum

from signals.types import ForecastCategory, NextStepStatus, ObjectionStatus, RiskLevel

__all__ = [
    "CallKind",
    "CallSource",
    "CallStatus",
    "ChangeEntity",
    "CloseDateSource",
    "ForecastCategory",
    "NextStepStatus",
    "ObjectionStatus",
    "ReviewDecision",
    "RiskLevel",
    "Role",
]


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    LEADER = "leader"
    REVOPS = "revops"


class CallSource(StrEnum):
    UPLOAD = "upload"
    API = "api"
    DEMO = "demo"


class CallKind(StrEnum):
    AUDIO = "audio"
    TRANSCRIPT = "transcript"


class CallStatus(StrEnum):
    QUEUED = "queued"
    TRANSCRIBING = "transcribing"
    ANALYZING = "analyzing"
    DONE = "done"
    FAILED = "failed"


class ReviewDecision(StrEnum):
    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
    DONE = "done"


class CloseDateSource(StrEnum):
    CRM = "crm"
    USER = "user"
    CALL = "call"


class ChangeEntity(StrEnum):
    DEAL = "deal"
    NEXT_STEP = "next_step"
    RISK = "risk"
    CALL = "call"
    OBJECTION = "objection"
    STAKEHOLDER = "stakeholder"
    CONTACT = "contact"  # created or updated (CRM upserts, stakeholders from calls); no webhook event
