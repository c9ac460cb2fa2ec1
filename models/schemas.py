"""API-facing schemas: XBase / XCreate / XUpdate / XPublic (never the table classes).

Money is `Decimal` inside and a JSON number outside (CRM clients send and expect numbers).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, PlainSerializer, field_validator, model_validator
from sqlmodel import Field, SQLModel

from extract.types import ObjectionCategory, OwnerSide, StakeholderRole
from models.enums import (
    CallKind,
    CallSource,
    CallStatus,
    ForecastCategory,
    NextStepStatus,
    ObjectionStatus,
    ReviewDecision,
    RiskLevel,
    Role,
)
from signals.errors import UnknownStageError
from signals.stages import parse_stage

Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(value: str) -> str:
    """Return `value` trimmed and lower-cased, refusing anything that is not an email address."""
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an email address")
    return email


class UserBase(SQLModel):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=320)
    role: Role

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class UserCreate(UserBase):
    manager_email: str | None = None


class UserPublic(UserBase):
    id: int
    manager_id: int | None
    active: bool
    created_at: dt.datetime


class ContactIn(SQLModel):
    name: str = Field(min_length=1, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    title: str | None = Field(default=None, max_length=255)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None


class CrmDealUpsert(SQLModel):
    """Body of PUT /v1/crm/deals/{external_id}."""

    model_config = ConfigDict(extra="ignore")  # type: ignore[assignment]

    name: str = Field(min_length=1, max_length=255)
    account: str = Field(min_length=1, max_length=255)
    owner_email: str = Field(max_length=320)
    stage: str
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    close_date: dt.date | None = None
    forecast_category: ForecastCategory | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    contacts: list[ContactIn] = Field(default_factory=list)

    @field_validator("owner_email")
    @classmethod
    def _owner(cls, value: str) -> str:
        return normalize_email(value)

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        try:
            return parse_stage(value).value
        except UnknownStageError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value.upper()


class NextStepSummary(SQLModel):
    text: str
    due: dt.date | None
    owner: str | None
    owner_side: OwnerSide | None
    confirmed: bool


class StakeholderPublic(SQLModel):
    id: int | None = None  # the stakeholder row (review and merge address it)
    contact_id: int
    name: str
    email: str | None
    title: str | None
    role: StakeholderRole | None
    decision_maker: bool
    on_calls: int


class ObjectionPublic(SQLModel):
    id: int
    call_id: int
    utterance_index: int
    category: ObjectionCategory
    text: str
    status: ObjectionStatus
    confidence: float


class RiskPublic(SQLModel):
    score: int
    level: RiskLevel
    factors: list[dict[str, Any]]


class EvidenceRef(SQLModel):
    call_id: int
    utterance: int | None


class ElementPublic(SQLModel):
    covered: bool
    evidence: list[EvidenceRef]


class MethodologyPublic(SQLModel):
    framework: str
    elements: dict[str, ElementPublic]


class StageChangePublic(SQLModel):
    from_stage: str | None
    to_stage: str
    at: dt.datetime
    by: str | None
    override_reason: str | None


class DealPublic(SQLModel):
    id: int
    external_id: str
    name: str
    account: str
    owner_email: str
    stage: str
    amount: Amount | None
    currency: str
    close_date: dt.date | None
    forecast_category: ForecastCategory | None  # the deal's own, else its stage's default
    probability: int | None  # likewise
    next_step: NextStepSummary | None
    last_buyer_activity: dt.datetime | None
    stakeholders: list[StakeholderPublic]
    open_objections: list[ObjectionPublic]
    risk: RiskPublic | None  # None until the deal is scored
    methodology: list[MethodologyPublic]
    stage_history: list[StageChangePublic]
    version: int
    updated_at: dt.datetime


class DealsPublic(SQLModel):
    data: list[DealPublic]
    count: int


class CallCreate(SQLModel):
    kind: CallKind
    source: CallSource = CallSource.UPLOAD
    deal_id: int | None = None
    external_id: str | None = None
    date: dt.date | None = None
    title: str | None = None
    audio_digest: str | None = None
    audio_path: str | None = None
    transcript_digest: str | None = None
    transcript: dict[str, Any] | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class CallPublic(SQLModel):
    id: int
    status: CallStatus
    progress: float
    error: str | None
    deal_id: int | None
    deal_external_id: str | None
    external_id: str | None
    title: str | None
    date: dt.date | None
    kind: CallKind
    source: CallSource
    duration_s: float | None
    created_at: dt.datetime
    processed_at: dt.datetime | None


class NextStepPublic(SQLModel):
    id: int
    call_id: int | None
    deal_id: int | None
    utterance_index: int | None
    text: str
    action: str
    owner: str | None
    owner_side: OwnerSide
    due: dt.date | None
    confirmed: bool
    confidence: float
    status: NextStepStatus
    edited: bool
    reviewed_by_id: int | None
    reviewed_at: dt.datetime | None


class NextStepReview(SQLModel):
    """Body of POST /v1/next-steps/{id}/review; `edit` needs at least one edited field."""

    decision: ReviewDecision
    text: str | None = Field(default=None, min_length=1)
    action: str | None = Field(default=None, min_length=1)
    owner: str | None = None
    owner_side: OwnerSide | None = None
    due: dt.date | None = None

    @model_validator(mode="after")
    def _edit_has_fields(self) -> NextStepReview:
        if self.decision == ReviewDecision.EDIT and not self.edited_fields():
            raise ValueError("decision 'edit' needs at least one of text, action, owner, owner_side, due")
        return self

    def edited_fields(self) -> dict[str, Any]:
        """Return the edited fields the reviewer actually sent."""
        return self.model_dump(exclude_unset=True, exclude={"decision"})


class ChangePublic(SQLModel):
    id: int
    entity: str
    entity_id: int
    type: str
    at: dt.datetime
    data: dict[str, Any]


class ChangesPublic(SQLModel):
    changes: list[ChangePublic]
    next: int | None


class RiskSummary(SQLModel):
    score: int
    level: RiskLevel


class DealSummary(SQLModel):
    """One row of the deal list: the deal's own fields, no joined collections."""

    id: int
    external_id: str
    name: str
    account: str
    owner_email: str
    stage: str
    amount: Amount | None
    currency: str
    close_date: dt.date | None
    forecast_category: ForecastCategory | None
    probability: int | None
    next_step: NextStepSummary | None
    last_buyer_activity: dt.datetime | None
    risk: RiskSummary | None
    version: int


class DealPage(SQLModel):
    """A page of deals; pass `next` as `cursor` for the following page (null on the last)."""

    data: list[DealSummary]
    next: str | None
