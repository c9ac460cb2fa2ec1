"""Demo-like data for the page tests and the page bench: an organisation, deals, processed calls.

Users come from `crud.create_user` (real keys); deals, calls and their extracted items are bulk
inserted as the pipeline would have stored them, then scored with the real risk model.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import wave
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import crud
from models.crud import pages as page_queries
from models.enums import CallKind, CallSource, CallStatus, NextStepStatus, ObjectionStatus, RiskLevel, Role
from models.tables import (
    Account,
    Call,
    Contact,
    Deal,
    DealCloseDateHistory,
    DealStageHistory,
    MethodologyEvidence,
    NextStep,
    Objection,
    Stakeholder,
    User,
    Utterance,
)
from signals.config import RiskConfig
from signals.risk import score_deal

STAGES = ("awareness", "qualified", "discovery", "proposal", "commit", "closed_won", "closed_lost")
ELEMENTS = ("metrics", "economic_buyer", "decision_criteria", "decision_process", "identify_pain", "champion")
LINES = (
    ("rep", "Thanks for making time today. How are things going with the current setup?"),
    ("buyer", "Honestly the manual reporting eats two days a month for my team."),
    ("rep", "What would it be worth to get those two days back?"),
    ("buyer", "That is a lot more than we budgeted for this year, the price is too high."),
    ("rep", "Understood. Who else weighs in on a purchase like this?"),
    ("buyer", "Our CFO signs anything over fifty thousand, so she decides."),
    ("rep", "I'll send the revised proposal by Friday."),
    ("buyer", "Good, and I'll set up the security review with IT next week."),
)


@dataclass
class Org:
    """Who is who: keys by email, users by role."""

    keys: dict[str, str] = field(default_factory=dict)
    managers: list[User] = field(default_factory=list)
    reps: list[User] = field(default_factory=list)
    leader: User | None = None

    def key(self, email: str) -> str:
        return self.keys[email]


def make_org(session: Session, *, managers: int = 1, reps_per_manager: int = 2) -> Org:
    """Create a leader, RevOps, managers and their reps, with API keys."""
    org = Org()

    def add(name: str, role: Role, manager: str | None = None) -> User:
        email = f"{name.lower().replace(' ', '.')}@seller.example"
        user, key = crud.create_user(session, name=name, email=email, role=role, manager_email=manager)
        org.keys[email] = key
        return user

    org.leader = add("Morgan Leader", Role.LEADER)
    add("Riley Revops", Role.REVOPS)
    for m in range(managers):
        manager = add(f"Manager {m + 1}", Role.MANAGER)
        org.managers.append(manager)
        for r in range(reps_per_manager):
            org.reps.append(add(f"Rep {m + 1}-{r + 1}", Role.REP, manager.email))
    return org


def wav_bytes(seconds: float = 4.0, rate: int = 8000) -> bytes:
    """Return a short silent mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return buffer.getvalue()


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(sa.insert(table), rows)


def _next_id(session: Session, model: Any) -> int:
    return int(session.exec(select(sa.func.coalesce(sa.func.max(model.id), 0))).one()) + 1


def add_deals(
    session: Session,
    *,
    owners: list[User],
    count: int,
    calls_per_deal: int = 1,
    today: dt.date | None = None,
    audio_path: Path | None = None,
    seed: int = 7,
) -> list[int]:
    """Bulk insert `count` deals spread over `owners`, each with processed calls; return deal ids."""
    rnd = random.Random(seed)
    today = today or dt.datetime.now(dt.UTC).date()
    now = dt.datetime.now(dt.UTC)
    ids = {m: _next_id(session, m) for m in (Account, Contact, Deal, Call)}
    rows: dict[Any, list[dict[str, Any]]] = {
        t: []
        for t in (
            Account,
            Contact,
            Deal,
            DealStageHistory,
            DealCloseDateHistory,
            Stakeholder,
            Call,
            Utterance,
            NextStep,
            Objection,
            MethodologyEvidence,
        )
    }
    deal_ids = []
    for n in range(count):
        account_id, deal_id = ids[Account] + n, ids[Deal] + n
        deal_ids.append(deal_id)
        owner = owners[n % len(owners)]
        stage = STAGES[rnd.randrange(len(STAGES) - 2)] if rnd.random() < 0.9 else STAGES[rnd.choice((5, 6))]
        close = today + dt.timedelta(days=rnd.randrange(-20, 200))
        rows[Account].append({"id": account_id, "name": f"Account {deal_id}", "created_at": now})
        rows[Deal].append(
            {
                "id": deal_id,
                "external_id": f"BENCH-{deal_id}",
                "name": f"Account {deal_id} - platform",
                "account_id": account_id,
                "owner_id": owner.id,
                "stage": stage,
                "amount": Decimal(rnd.randrange(10, 300) * 1000),
                "currency": "USD",
                "close_date": close,
                "forecast_category": "pipeline"
                if stage in STAGES[:3]
                else ("best_case" if stage == "proposal" else "commit"),
                "stage_entered_at": now - dt.timedelta(days=rnd.randrange(1, 40)),
                "created_at": now - dt.timedelta(days=60),
                "updated_at": now,
                "version": 1,
                "risk_factors": [],
                "next_step_confirmed": False,
            }
        )
        rows[DealStageHistory].append(
            {
                "deal_id": deal_id,
                "from_stage": None,
                "to_stage": stage,
                "at": now - dt.timedelta(days=rnd.randrange(0, 30)),
            }
        )
        rows[DealCloseDateHistory].append(
            {
                "deal_id": deal_id,
                "from_date": None,
                "to_date": close,
                "at": now - dt.timedelta(days=50),
                "source": "crm",
            }
        )
        if n % 7 == 0:
            rows[DealCloseDateHistory].append(
                {
                    "deal_id": deal_id,
                    "from_date": close - dt.timedelta(days=45),
                    "to_date": close,
                    "at": now - dt.timedelta(days=rnd.randrange(0, 20)),
                    "source": "crm",
                }
            )
        contact_ids = []
        for c in range(3):
            contact_id = ids[Contact] + 3 * n + c
            contact_ids.append(contact_id)
            rows[Contact].append(
                {
                    "id": contact_id,
                    "account_id": account_id,
                    "name": f"Buyer {deal_id}-{c + 1}",
                    "title": ("CFO", "VP Operations", "IT lead")[c],
                    "created_at": now,
                }
            )
            rows[Stakeholder].append(
                {
                    "deal_id": deal_id,
                    "contact_id": contact_id,
                    "role": ("economic_buyer", "champion", "technical_evaluator")[c],
                    "decision_maker": c == 0,
                    "confirmed": False,
                    "on_calls": int(c > 0),
                    "last_seen_at": now - dt.timedelta(days=rnd.randrange(0, 40)),
                    "confidence": 0.8,
                }
            )
        for k in range(calls_per_deal):
            call_id = ids[Call] + n * calls_per_deal + k
            date = today - dt.timedelta(days=rnd.randrange(0, 25))
            _add_call(
                rows,
                rnd,
                call_id=call_id,
                deal_id=deal_id,
                date=date,
                owner=owner,
                buyer=f"Buyer {deal_id}-2",
                audio_path=audio_path,
                now=now,
            )
    for table in rows:
        _insert(session, table, rows[table])
    if session.get_bind().dialect.name == "postgresql":  # explicit ids leave the sequences behind
        for model in rows:
            name = model.__tablename__
            session.connection().exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1)) FROM {name}"
            )
    session.commit()
    return deal_ids


def _add_call(
    rows: dict[Any, list[dict[str, Any]]],
    rnd: random.Random,
    *,
    call_id: int,
    deal_id: int,
    date: dt.date,
    owner: User,
    buyer: str,
    audio_path: Path | None,
    now: dt.datetime,
) -> None:
    speakers = [
        {
            "name": owner.name,
            "side": "rep",
            "talk_ratio": round(rnd.uniform(0.3, 0.7), 2),
            "longest_monologue_s": float(rnd.randrange(20, 120)),
            "questions": rnd.randrange(2, 15),
        },
        {"name": buyer, "side": "buyer", "talk_ratio": 0.4, "longest_monologue_s": 30.0, "questions": 3},
    ]
    due = date + dt.timedelta(days=rnd.randrange(1, 20))
    covered = rnd.sample(ELEMENTS, rnd.randrange(1, len(ELEMENTS)))
    insights = {
        "call": {"id": str(call_id), "date": date.isoformat(), "duration_s": 8 * 4.0},
        "speakers": speakers,
        "next_steps": [
            {
                "utterance": 6,
                "text": LINES[6][1],
                "action": "send the revised proposal",
                "owner": owner.name,
                "owner_side": "rep",
                "due": due.isoformat(),
                "confirmed": True,
            }
        ],
        "objections": [{"utterance": 3, "category": "pricing", "text": LINES[3][1], "addressed": False}],
        "stakeholders": [{"name": buyer, "role": "champion", "decision_maker": False, "utterances": [1]}],
        "methodology": {
            "framework": "MEDDICC",
            "elements": {
                e: {"covered": e in covered, "evidence": [1] if e in covered else []} for e in ELEMENTS
            },
        },
    }
    rows[Call].append(
        {
            "id": call_id,
            "deal_id": deal_id,
            "date": date,
            "title": f"Call {call_id} with Account {deal_id}",
            "source": CallSource.DEMO,
            "kind": CallKind.AUDIO if audio_path else CallKind.TRANSCRIPT,
            "audio_path": str(audio_path) if audio_path else None,
            "duration_s": 32.0,
            "status": CallStatus.DONE,
            "progress": 1.0,
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "processed_at": now,
            "options": {},
            "insights": insights,
            "model_versions": {},
        }
    )
    for i, (side, text) in enumerate(LINES):
        rows[Utterance].append(
            {
                "call_id": call_id,
                "index": i,
                "speaker": owner.name if side == "rep" else buyer,
                "side": side,
                "start": 4.0 * i,
                "end": 4.0 * i + 3.5,
                "text": text,
            }
        )
    rows[NextStep].append(
        {
            "call_id": call_id,
            "deal_id": deal_id,
            "utterance_index": 6,
            "text": LINES[6][1],
            "action": "send the revised proposal",
            "owner": owner.name,
            "owner_side": "rep",
            "due": due,
            "confirmed": True,
            "confidence": 0.9,
            "status": NextStepStatus.SUGGESTED,
            "created_at": now,
        }
    )
    rows[Objection].append(
        {
            "call_id": call_id,
            "deal_id": deal_id,
            "utterance_index": 3,
            "category": "pricing",
            "text": LINES[3][1],
            "status": ObjectionStatus.OPEN,
            "confidence": 0.8,
        }
    )
    for e in covered:
        rows[MethodologyEvidence].append(
            {
                "deal_id": deal_id,
                "call_id": call_id,
                "framework": "MEDDICC",
                "element": e,
                "utterance_index": 1,
            }
        )


def score_all(session: Session) -> None:
    """Refresh every deal's next step and risk score (set-based; the bench's 5,000 deals in seconds)."""
    now = dt.datetime.now(dt.UTC)
    deals = {d.id: d for d in session.exec(select(Deal)).all()}
    for deal in deals.values():
        crud.refresh_deal_next_step(session, deal=deal)
    session.flush()
    updates = []
    for state in page_queries.deal_states(session, owner_ids=None):
        risk = score_deal(state, now=now, config=RiskConfig())
        updates.append(
            {
                "b_id": int(state.id),
                "risk_score": risk.score,
                "risk_level": RiskLevel(risk.level),
                "risk_factors": [f.to_dict() for f in risk.factors],
            }
        )
    table = Deal.__table__  # type: ignore[attr-defined]
    statement = (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(
            risk_score=sa.bindparam("risk_score"),
            risk_level=sa.bindparam("risk_level"),
            risk_factors=sa.bindparam("risk_factors"),
        )
    )
    session.connection().execute(statement, updates)
    session.commit()


def deal_ids_of(session: Session, owner: User) -> list[int]:
    """Return the ids of a user's deals."""
    return [
        d for d in session.exec(select(Deal.id).where(col(Deal.owner_id) == owner.id)).all() if d is not None
    ]
