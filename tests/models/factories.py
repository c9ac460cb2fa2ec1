"""Builders for test rows and pipeline results (kept small and explicit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from extract.types import (
    CallInfo,
    ElementEvidence,
    Insights,
    Mentions,
    Methodology,
    NextStep,
    Objection,
    SpeakerMetrics,
    Stakeholder,
    UtteranceOut,
)
from models import crud
from models.enums import Role
from models.schemas import CrmDealUpsert
from models.tables import Deal, User
from transcribe.types import Participant, Side, Transcript, Utterance

CALL_DATE = dt.date(2026, 3, 2)


def make_user(session: Session, email: str = "dana@seller.example", role: Role = Role.REP, **kw: Any) -> User:
    user, _key = crud.create_user(session, name=email.split("@")[0].title(), email=email, role=role, **kw)
    return user


def deal_body(**overrides: Any) -> CrmDealUpsert:
    data: dict[str, Any] = {
        "name": "Acme renewal",
        "account": "Acme",
        "owner_email": "dana@seller.example",
        "stage": "discovery",
        "amount": Decimal("48000.00"),
        "currency": "USD",
        "close_date": dt.date(2026, 6, 30),
        "contacts": [{"name": "Tom Becker", "email": "tom@acme.example", "title": "IT Director"}],
    }
    data.update(overrides)
    return CrmDealUpsert.model_validate(data)


def make_deal(session: Session, external_id: str = "CRM-1", **overrides: Any) -> Deal:
    if crud.get_user_by_email(session, email="dana@seller.example") is None:
        make_user(session)
    deal, _created = crud.upsert_deal_from_crm(session, external_id=external_id, data=deal_body(**overrides))
    return deal


def transcript() -> Transcript:
    return Transcript(
        id="07-acme-renewal",
        title="Acme renewal check-in",
        date=CALL_DATE,
        participants=(
            Participant("Dana Ruiz", Side.REP, "dana@seller.example"),
            Participant("Tom Becker", Side.BUYER, "tom@acme.example"),
        ),
        utterances=(
            Utterance("Dana Ruiz", 0.0, "Thanks for making time, Tom.", 4.1),
            Utterance("Tom Becker", 4.3, "That's a lot more than we budgeted.", 8.0),
            Utterance("Dana Ruiz", 8.5, "I'll send the MSA redlines by Friday.", 12.0),
            Utterance("Tom Becker", 12.5, "Sarah, our CFO, signs off on this.", 16.0),
        ),
    )


def insights(*, next_steps: tuple[NextStep, ...] | None = None) -> Insights:
    t = transcript()
    utterances = tuple(
        UtteranceOut(i, u.speaker, str(t.side_of(u.speaker)), u.start, u.end, u.text)
        for i, u in enumerate(t.utterances)
    )
    default_steps = (
        NextStep(
            2,
            "I'll send the MSA redlines by Friday.",
            "send the MSA redlines",
            "Dana Ruiz",
            "rep",
            dt.date(2026, 3, 6),
            True,
            0.93,
        ),
    )
    return Insights(
        call=CallInfo(id="07-acme-renewal", date=CALL_DATE, duration_s=16.0),
        speakers=(SpeakerMetrics("Dana Ruiz", "rep", 0.5, 8.0, 4.0, 0),),
        utterances=utterances,
        next_steps=default_steps if next_steps is None else next_steps,
        stakeholders=(
            Stakeholder("Sarah Chen", "CFO", "economic_buyer", True, False, (3,), 0.88),
            Stakeholder(
                "Tom Becker",
                "IT Director",
                "technical_evaluator",
                False,
                True,
                (1, 3),
                0.7,
                email="tom@acme.example",
            ),
        ),
        objections=(Objection(1, "pricing", "That's a lot more than we budgeted.", False, 0.81),),
        mentions=Mentions(),
        methodology=Methodology(
            "MEDDICC", {"economic_buyer": ElementEvidence(True, (3,)), "metrics": ElementEvidence(False)}
        ),
        versions={"extract": "test-1"},
    )
