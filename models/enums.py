"""Value sets stored in the database (all `StrEnum`, stored by value)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    LEADER = "leader"
    REVOPS = "revops"


class ForecastCategory(StrEnum):
    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


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


class NextStepStatus(StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"
    DONE = "done"


class ReviewDecision(StrEnum):
    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
    DONE = "done"


class ObjectionStatus(StrEnum):
    OPEN = "open"
    ADDRESSED = "addressed"


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
