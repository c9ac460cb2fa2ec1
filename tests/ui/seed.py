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
from models.crud.results import speakers_by_side
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


TABLES = (
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


@dataclass
class _Batch:
    """Rows for one bulk insert, with the ids they will take."""

    session: Session
    rnd: random.Random
    today: dt.date
    audio_path: Path | None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    ids: dict[Any, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = {m: _next_id(self.session, m) for m in (Account, Contact, Deal, Call)}

    def take(self, model: Any) -> int:
        self.ids[model] += 1
        return self.ids[model] - 1

    def add(self, model: Any, **values: Any) -> None:
        self.rows[model].append(values)

    def deal(self, owner: User, calls: int) -> int:
        rnd, now = self.rnd, self.now
        account_id, deal_id = self.take(Account), self.take(Deal)
        open_stage = rnd.random() < 0.9
        stage = STAGES[rnd.randrange(5)] if open_stage else STAGES[rnd.choice((5, 6))]
        close = self.today + dt.timedelta(days=rnd.randrange(-20, 200))
        category = "pipeline" if stage in STAGES[:3] else ("best_case" if stage == "proposal" else "commit")
        self.add(Account, id=account_id, name=f"Account {deal_id}", created_at=now)
        self.add(
            Deal,
            id=deal_id,
            external_id=f"BENCH-{deal_id}",
            name=f"Account {deal_id} - platform",
            account_id=account_id,
            owner_id=owner.id,
            stage=stage,
            currency="USD",
            close_date=close,
            amount=Decimal(rnd.randrange(10, 300) * 1000),
            forecast_category=category,
            stage_entered_at=now - dt.timedelta(days=rnd.randrange(1, 40)),
            created_at=now - dt.timedelta(days=60),
            updated_at=now,
            version=1,
            risk_factors=[],
            next_step_confirmed=False,
        )
        self.history(deal_id, stage, close)
        self.people(deal_id, account_id)
        for _ in range(calls):
            self.call(deal_id, owner, buyer=f"Buyer {deal_id}-2")
        return deal_id

    def history(self, deal_id: int, stage: str, close: dt.date) -> None:
        days = self.rnd.randrange
        self.add(
            DealStageHistory,
            deal_id=deal_id,
            from_stage=None,
            to_stage=stage,
            at=self.now - dt.timedelta(days=days(0, 30)),
        )
        self.add(
            DealCloseDateHistory,
            deal_id=deal_id,
            from_date=None,
            to_date=close,
            at=self.now - dt.timedelta(days=50),
            source="crm",
        )
        if deal_id % 7 == 0:  # a pushed close date
            self.add(
                DealCloseDateHistory,
                deal_id=deal_id,
                from_date=close - dt.timedelta(days=45),
                to_date=close,
                at=self.now - dt.timedelta(days=days(0, 20)),
                source="crm",
            )

    def people(self, deal_id: int, account_id: int) -> None:
        for c, (title, role) in enumerate(
            (("CFO", "economic_buyer"), ("VP Operations", "champion"), ("IT lead", "technical_evaluator"))
        ):
            contact_id = self.take(Contact)
            self.add(
                Contact,
                id=contact_id,
                account_id=account_id,
                name=f"Buyer {deal_id}-{c + 1}",
                title=title,
                created_at=self.now,
            )
            self.add(
                Stakeholder,
                deal_id=deal_id,
                contact_id=contact_id,
                role=role,
                decision_maker=c == 0,
                confirmed=False,
                on_calls=int(c > 0),
                confidence=0.8,
                last_seen_at=self.now - dt.timedelta(days=self.rnd.randrange(0, 40)),
            )

    def call(self, deal_id: int, owner: User, buyer: str) -> None:
        call_id, rnd = self.take(Call), self.rnd
        date = self.today - dt.timedelta(days=rnd.randrange(0, 25))
        due = date + dt.timedelta(days=rnd.randrange(1, 20))
        covered = rnd.sample(ELEMENTS, rnd.randrange(1, len(ELEMENTS)))
        audio = str(self.audio_path) if self.audio_path else None
        self.add(
            Call,
            id=call_id,
            deal_id=deal_id,
            date=date,
            title=f"Call {call_id} with Account {deal_id}",
            source=CallSource.DEMO,
            kind=CallKind.AUDIO if audio else CallKind.TRANSCRIPT,
            audio_path=audio,
            duration_s=32.0,
            status=CallStatus.DONE,
            progress=1.0,
            attempts=1,
            created_at=self.now,
            updated_at=self.now,
            processed_at=self.now,
            options={},
            insights=_insights(rnd, call_id, date, owner, buyer, due, covered),
            model_versions={},
            speakers=speakers_by_side((owner.name if side == "rep" else buyer, side) for side, _ in LINES),
        )
        for i, (side, text) in enumerate(LINES):
            speaker = owner.name if side == "rep" else buyer
            self.add(
                Utterance,
                call_id=call_id,
                index=i,
                speaker=speaker,
                side=side,
                start=4.0 * i,
                end=4.0 * i + 3.5,
                text=text,
            )
        self.add(
            NextStep,
            call_id=call_id,
            deal_id=deal_id,
            utterance_index=6,
            text=LINES[6][1],
            action="send the revised proposal",
            owner=owner.name,
            owner_side="rep",
            due=due,
            confirmed=True,
            confidence=0.9,
            status=NextStepStatus.SUGGESTED,
            created_at=self.now,
        )
        self.add(
            Objection,
            call_id=call_id,
            deal_id=deal_id,
            utterance_index=3,
            category="pricing",
            text=LINES[3][1],
            status=ObjectionStatus.OPEN,
            confidence=0.8,
        )
        for e in covered:
            self.add(
                MethodologyEvidence,
                deal_id=deal_id,
                call_id=call_id,
                framework="MEDDICC",
                element=e,
                utterance_index=1,
            )

    def flush(self) -> None:
        for table, rows in self.rows.items():
            _insert(self.session, table, rows)
        if self.session.get_bind().dialect.name == "postgresql":  # explicit ids leave sequences behind
            for table in self.rows:
                name = table.__tablename__
                self.session.connection().exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1)) FROM {name}"
                )
        self.session.commit()


def _insights(
    rnd: random.Random, call_id: int, date: dt.date, owner: User, buyer: str, due: dt.date, covered: list[str]
) -> dict[str, Any]:
    """The call-insights JSON as the pipeline stores it (the parts the pages read)."""
    rep = {
        "name": owner.name,
        "side": "rep",
        "talk_ratio": round(rnd.uniform(0.3, 0.7), 2),
        "longest_monologue_s": float(rnd.randrange(20, 120)),
        "questions": rnd.randrange(2, 15),
    }
    them = {"name": buyer, "side": "buyer", "talk_ratio": 0.4, "longest_monologue_s": 30.0, "questions": 3}
    step = {
        "utterance": 6,
        "text": LINES[6][1],
        "action": "send the revised proposal",
        "owner": owner.name,
        "owner_side": "rep",
        "due": due.isoformat(),
        "confirmed": True,
    }
    elements = {e: {"covered": e in covered, "evidence": [1] if e in covered else []} for e in ELEMENTS}
    return {
        "call": {"id": str(call_id), "date": date.isoformat(), "duration_s": 32.0},
        "speakers": [rep, them],
        "next_steps": [step],
        "objections": [{"utterance": 3, "category": "pricing", "text": LINES[3][1], "addressed": False}],
        "stakeholders": [{"name": buyer, "role": "champion", "decision_maker": False, "utterances": [1]}],
        "methodology": {"framework": "MEDDICC", "elements": elements},
    }


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
    batch = _Batch(session, random.Random(seed), today or dt.datetime.now(dt.UTC).date(), audio_path)
    deal_ids = [batch.deal(owners[n % len(owners)], calls_per_deal) for n in range(count)]
    batch.flush()
    return deal_ids


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
