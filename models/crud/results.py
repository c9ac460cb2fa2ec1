"""Storing a processed call: transcript rows and extracted insights in one transaction.

Processing a call again replaces what the previous run suggested, but never what a person
decided: reviewed next steps keep their status and block a duplicate suggestion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, delete, func, select

from extract.types import Insights, ObjectionCategory, OwnerSide, StakeholderRole
from models.crud.accounts import find_contact, upsert_contact
from models.crud.changes import record_change
from models.crud.deals import ensure_stakeholder
from models.crud.next_steps import refresh_deal_next_step
from models.crud.versions import bump_version
from models.enums import CallStatus, ChangeEntity, NextStepStatus, ObjectionStatus
from models.sqltypes import utcnow
from models.tables import (
    Account,
    Call,
    CallParticipant,
    Deal,
    MethodologyEvidence,
    NextStep,
    Objection,
    Stakeholder,
    Utterance,
)
from transcribe.json_format import transcript_to_json
from transcribe.types import Side, Transcript


def call_time(call: Call) -> dt.datetime:
    """Return when the call happened: its start, else midnight UTC of its date, else its upload."""
    return call_moment(call.started_at, call.date, call.created_at)


def call_moment(started_at: dt.datetime | None, date: dt.date | None, created_at: dt.datetime) -> dt.datetime:
    """Return when a call happened from its columns (see `call_time`)."""
    if started_at is not None:
        return started_at
    if date is not None:
        return dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC)
    return created_at


def save_call_results(session: Session, *, call: Call, transcript: Transcript, insights: Insights) -> Call:
    """Store a processed call's utterances and insights in one transaction, replacing earlier suggestions."""
    try:
        _store_results(session, call, transcript, insights)
        session.commit()
    except BaseException:
        session.rollback()  # all or nothing: a half-stored call must not reach a later commit
        raise
    session.refresh(call)
    return call


def _store_results(session: Session, call: Call, transcript: Transcript, insights: Insights) -> None:
    assert call.id is not None
    deal = session.get(Deal, call.deal_id) if call.deal_id is not None else None
    _finish_call(call, transcript, insights)
    _replace_utterances(session, call, insights)
    _replace_methodology(session, call.id, deal, insights)
    _replace_objections(session, call.id, deal, insights)
    step_changes = _merge_next_steps(session, call.id, deal, insights)
    account = session.get(Account, deal.account_id) if deal is not None else None
    stakeholder_ids = _merge_stakeholders(session, call, deal, account, insights)
    _replace_participants(session, call.id, account, transcript)
    if deal is not None:
        _update_deal(session, deal, call, insights)
        summary = {
            "call_id": call.id,
            "next_steps": len(insights.next_steps),
            "objections": len(insights.objections),
            "stakeholders": stakeholder_ids,
        }
        record_change(
            session, entity=ChangeEntity.DEAL, entity_id=deal.id or 0, type="call_processed", data=summary
        )
    for kind, step in step_changes:
        record_change(
            session,
            entity=ChangeEntity.NEXT_STEP,
            entity_id=step.id or 0,
            type=kind,
            data={"deal_id": step.deal_id, "call_id": call.id, "text": step.text, "due": step.due},
        )


def _finish_call(call: Call, transcript: Transcript, insights: Insights) -> None:
    now = utcnow()
    call.date = transcript.date
    call.started_at = transcript.started_at or call.started_at
    call.title = call.title or transcript.title or insights.call.title
    call.external_id = call.external_id or transcript.id or insights.call.id
    call.duration_s = insights.call.duration_s
    if call.transcript is None:  # audio: keep what was heard, so re-analysis need not re-transcribe
        call.transcript = transcript_to_json(transcript)
    call.insights = insights.to_dict()
    call.model_versions = dict(insights.versions)
    call.status, call.progress, call.error = CallStatus.DONE, 1.0, None
    call.processed_at = call.updated_at = now


def _side(value: str) -> Side:
    return Side(value) if value in Side.__members__.values() else Side.UNKNOWN


def speakers_by_side(said: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Summarise (speaker, side) pairs as `Call.speakers`: each side's names, sorted."""
    sides: dict[str, set[str]] = {str(Side.BUYER): set(), str(Side.REP): set()}
    for speaker, side in said:
        if side in sides:
            sides[side].add(speaker)
    return {side: sorted(names) for side, names in sides.items()}


def _replace_utterances(session: Session, call: Call, insights: Insights) -> None:
    call_id = call.id
    assert call_id is not None  # a stored call (checked by the caller too)
    call.speakers = speakers_by_side((u.speaker, _side(u.side)) for u in insights.utterances)
    session.exec(delete(Utterance).where(col(Utterance.call_id) == call_id))
    session.add_all(
        Utterance(
            call_id=call_id,
            index=u.index,
            speaker=u.speaker,
            side=_side(u.side),
            start=u.start,
            end=u.end,
            text=u.text,
        )
        for u in insights.utterances
    )


def _replace_methodology(session: Session, call_id: int, deal: Deal | None, insights: Insights) -> None:
    session.exec(delete(MethodologyEvidence).where(col(MethodologyEvidence.call_id) == call_id))
    framework = insights.methodology.framework
    for element, evidence in insights.methodology.elements.items():
        if not evidence.covered:
            continue
        for index in evidence.evidence or (None,):
            session.add(
                MethodologyEvidence(
                    deal_id=deal.id if deal else None,
                    call_id=call_id,
                    framework=framework,
                    element=element,
                    utterance_index=index,
                )
            )


def _replace_objections(session: Session, call_id: int, deal: Deal | None, insights: Insights) -> None:
    # Keep "addressed in a later call" across reprocessing: that came from another call's run.
    previous = session.exec(select(Objection).where(Objection.call_id == call_id)).all()
    decided = {(o.utterance_index, o.category): o for o in previous if o.reviewed_by_id is not None}
    later = {
        (o.utterance_index, o.category): o.addressed_in_call_id
        for o in previous
        if o.addressed_in_call_id not in (None, call_id)
    }
    session.exec(
        delete(Objection).where(col(Objection.call_id) == call_id, col(Objection.reviewed_by_id).is_(None))
    )
    for o in insights.objections:
        if (o.utterance, ObjectionCategory(o.category)) in decided:
            continue  # a reviewer decided this one: keep their row as it is
        elsewhere = later.get((o.utterance, ObjectionCategory(o.category)))
        addressed_in = call_id if o.addressed else elsewhere
        session.add(
            Objection(
                call_id=call_id,
                deal_id=deal.id if deal else None,
                utterance_index=o.utterance,
                category=ObjectionCategory(o.category),
                text=o.text,
                confidence=o.confidence,
                addressed_in_call_id=addressed_in,
                status=ObjectionStatus.ADDRESSED if addressed_in else ObjectionStatus.OPEN,
            )
        )


def _merge_next_steps(
    session: Session, call_id: int, deal: Deal | None, insights: Insights
) -> list[tuple[str, NextStep]]:
    """Update suggestions in place (stable ids), add new ones, drop stale ones; return what changed."""
    rows = session.exec(select(NextStep).where(NextStep.call_id == call_id)).all()
    decided = {r.utterance_index for r in rows if r.status != NextStepStatus.SUGGESTED}
    pending = {(r.utterance_index, r.text): r for r in rows if r.status == NextStepStatus.SUGGESTED}
    changed: list[tuple[str, NextStep]] = []
    for s in insights.next_steps:
        if s.utterance in decided:
            continue  # a reviewer already handled this utterance's step
        row = pending.pop((s.utterance, s.text), None)
        values = {
            "deal_id": deal.id if deal else None,
            "action": s.action,
            "owner": s.owner,
            "owner_side": OwnerSide(s.owner_side),
            "due": s.due,
            "confirmed": s.confirmed,
            "confidence": s.confidence,
        }
        if row is None:
            row = NextStep(call_id=call_id, utterance_index=s.utterance, text=s.text, action=s.action)
            changed.append(("suggested", row))
        elif any(getattr(row, name) != value for name, value in values.items()):
            changed.append(("updated", row))
        row.sqlmodel_update(values)
        session.add(row)
    for stale in pending.values():
        changed.append(("removed", stale))
        session.delete(stale)
    session.flush()
    return changed


def _merge_stakeholders(
    session: Session, call: Call, deal: Deal | None, account: Account | None, insights: Insights
) -> list[int]:
    if deal is None or account is None:
        return []
    ids: list[int] = []
    for s in insights.stakeholders:
        contact = upsert_contact(session, account=account, name=s.name, email=s.email, title=s.title)
        row = (
            ensure_stakeholder(session, deal=deal, contact_id=contact.id)
            or session.exec(
                select(Stakeholder).where(
                    Stakeholder.deal_id == deal.id, Stakeholder.contact_id == contact.id
                )
            ).one()
        )
        if not row.confirmed and s.confidence >= row.confidence:
            row.role = StakeholderRole(s.role) if s.role else row.role
            row.decision_maker, row.confidence = s.decision_maker, s.confidence
        row.first_seen_call_id = row.first_seen_call_id or call.id
        ids.append(contact.id or 0)
    return ids


def _replace_participants(
    session: Session, call_id: int, account: Account | None, transcript: Transcript
) -> None:
    session.exec(delete(CallParticipant).where(col(CallParticipant.call_id) == call_id))
    for p in transcript.participants:
        contact = None
        if account is not None and p.side == Side.BUYER:
            contact = (
                upsert_contact(session, account=account, name=p.name, email=p.email)
                if p.email
                else find_contact(session, account=account, name=p.name)
            )
        session.add(
            CallParticipant(
                call_id=call_id,
                name=p.name,
                side=p.side,
                email=p.email,
                contact_id=contact.id if contact else None,
            )
        )
    session.flush()


def _update_deal(session: Session, deal: Deal, call: Call, insights: Insights) -> None:
    if any(u.side == Side.BUYER for u in insights.utterances):
        at = call_time(call)
        if deal.last_buyer_activity is None or at > deal.last_buyer_activity:
            deal.last_buyer_activity = at
    _recount_stakeholder_calls(session, deal)
    refresh_deal_next_step(session, deal=deal)
    bump_version(session, deal=deal)


def _recount_stakeholder_calls(session: Session, deal: Deal) -> None:
    """Derive on_calls and last_seen_at from participants, so reprocessing never double-counts."""
    rows = session.exec(
        select(CallParticipant.contact_id, func.count(func.distinct(Call.id)), func.max(Call.id))
        .join(Call, col(Call.id) == CallParticipant.call_id)
        .where(Call.deal_id == deal.id, col(CallParticipant.contact_id).is_not(None))
        .group_by(col(CallParticipant.contact_id))
    ).all()
    seen = {contact_id: (count, last_call_id) for contact_id, count, last_call_id in rows}
    for stakeholder in session.exec(select(Stakeholder).where(Stakeholder.deal_id == deal.id)).all():
        count, last_call_id = seen.get(stakeholder.contact_id, (0, None))
        stakeholder.on_calls = count
        last_call = session.get(Call, last_call_id) if last_call_id else None
        stakeholder.last_seen_at = call_time(last_call) if last_call else None
    session.flush()
