from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import func, select

from extract.types import NextStep as NextStep_
from extract.types import Objection as Objection_
from models import crud
from models.enums import CallKind, CallStatus, NextStepStatus, ReviewDecision
from models.schemas import CallCreate, NextStepReview
from models.tables import (
    CallParticipant,
    ChangeEvent,
    Contact,
    MethodologyEvidence,
    NextStep,
    Objection,
    ReviewAudit,
    Stakeholder,
    Utterance,
)
from signals.types import Stage
from tests.models.factories import CALL_DATE, insights, make_deal, make_user, transcript


def _count(session, table) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _processed_call(session, deal=None):
    call = crud.create_call(
        session, call_in=CallCreate(kind=CallKind.TRANSCRIPT, deal_id=deal.id if deal else None)
    )
    return crud.save_call_results(session, call=call, transcript=transcript(), insights=insights())


def test_save_call_results_writes_everything(session):
    deal = make_deal(session)
    call = _processed_call(session, deal)
    assert call.status == CallStatus.DONE and call.progress == 1.0 and call.processed_at is not None
    assert call.insights["next_steps"][0]["due"] == "2026-03-06"
    assert (call.date, call.external_id, call.model_versions) == (
        CALL_DATE,
        "07-acme-renewal",
        {"extract": "test-1"},
    )
    assert _count(session, Utterance) == 4
    assert _count(session, CallParticipant) == 2
    assert _count(session, NextStep) == 1 and _count(session, Objection) == 1
    evidence = session.exec(select(MethodologyEvidence)).all()
    assert [(e.framework, e.element, e.utterance_index) for e in evidence] == [
        ("MEDDICC", "economic_buyer", 3)
    ]
    buyer = session.exec(select(CallParticipant).where(CallParticipant.side == "buyer")).one()
    assert buyer.contact_id is not None


def test_deal_view_after_a_call(session):
    deal = make_deal(session)
    _processed_call(session, deal)
    deal = crud.get_deal(session, deal_id=deal.id)
    public = crud.deal_to_public(session, deal).model_dump(mode="json")
    assert public["next_step"] == {
        "text": "I'll send the MSA redlines by Friday.",
        "due": "2026-03-06",
        "owner": "Dana Ruiz",
        "owner_side": "rep",
        "confirmed": True,
    }
    assert public["last_buyer_activity"].startswith("2026-03-02T00:00:00")
    people = {s["name"]: s for s in public["stakeholders"]}
    assert people["Sarah Chen"]["decision_maker"] and people["Sarah Chen"]["role"] == "economic_buyer"
    assert people["Sarah Chen"]["on_calls"] == 0 and people["Tom Becker"]["on_calls"] == 1
    assert [o["category"] for o in public["open_objections"]] == ["pricing"]
    meddicc = public["methodology"][0]
    assert meddicc["framework"] == "MEDDICC" and meddicc["elements"]["economic_buyer"]["covered"]
    assert not meddicc["elements"]["metrics"]["covered"] and len(meddicc["elements"]) == 7
    assert public["version"] == 2


def test_processing_twice_leaves_one_set(session):
    deal = make_deal(session)
    call = _processed_call(session, deal)
    before = {
        t.__name__: _count(session, t)
        for t in (Utterance, CallParticipant, NextStep, Objection, MethodologyEvidence, Stakeholder, Contact)
    }
    step_id = session.exec(select(NextStep.id)).one()
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights())
    after = {
        t.__name__: _count(session, t)
        for t in (Utterance, CallParticipant, NextStep, Objection, MethodologyEvidence, Stakeholder, Contact)
    }
    assert after == before
    assert session.exec(select(NextStep.id)).one() == step_id  # same suggestion keeps its id
    tom = session.exec(select(Stakeholder).join(Contact).where(Contact.name == "Tom Becker")).one()
    assert tom.on_calls == 1


def test_reprocessing_keeps_reviewer_decisions(session):
    reviewer = make_user(session, "max@seller.example")
    deal = make_deal(session)
    call = _processed_call(session, deal)
    step = session.exec(select(NextStep)).one()
    review = NextStepReview(decision=ReviewDecision.EDIT, due=dt.date(2026, 3, 9))
    step = crud.review_next_step(session, next_step=step, review=review, by_user=reviewer)
    assert step.status == NextStepStatus.EDITED and step.due == dt.date(2026, 3, 6)
    assert crud.next_step_to_public(step).due == dt.date(2026, 3, 9)
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights())
    steps = session.exec(select(NextStep)).all()
    assert [(s.id, s.status, s.edited_due) for s in steps] == [
        (step.id, NextStepStatus.EDITED, dt.date(2026, 3, 9))
    ]
    assert crud.get_deal(session, deal_id=deal.id).next_step_due == dt.date(2026, 3, 9)


def test_stale_suggestions_are_dropped_on_reprocessing(session):
    call = _processed_call(session)
    assert _count(session, NextStep) == 1
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights(next_steps=()))
    assert _count(session, NextStep) == 0


def test_review_writes_audit_and_change_and_updates_the_deal(session):
    reviewer = make_user(session, "max@seller.example")
    deal = make_deal(session)
    _processed_call(session, deal)
    step = session.exec(select(NextStep)).one()
    crud.review_next_step(session, next_step=step, review=NextStepReview(decision="reject"), by_user=reviewer)
    audit = session.exec(select(ReviewAudit)).one()
    assert (audit.action, audit.before["status"], audit.after["status"]) == (
        "reject",
        "suggested",
        "rejected",
    )
    event = session.exec(
        select(ChangeEvent).where(ChangeEvent.entity == "next_step").order_by(ChangeEvent.id.desc())
    ).first()
    assert event.type == "rejected" and event.entity_id == step.id
    deal = crud.get_deal(session, deal_id=deal.id)
    assert deal.next_step_text is None and crud.deal_to_public(session, deal).next_step is None
    assert crud.list_next_steps(session, deal_id=deal.id, open_only=True) == []
    assert crud.get_next_step(session, next_step_id=step.id).reviewed_by_id == reviewer.id


def test_call_without_deal(session):
    call = _processed_call(session)
    assert call.status == CallStatus.DONE and _count(session, Stakeholder) == 0
    assert session.exec(select(NextStep)).one().deal_id is None


def test_deal_state_for_signals(session):
    deal = make_deal(session)
    call = _processed_call(session, deal)
    state = crud.deal_state(session, deal=crud.get_deal(session, deal_id=deal.id))
    assert state.stage == Stage.DISCOVERY and state.amount == 48000.0
    assert [c.call_id for c in state.calls] == [str(call.id)] and state.calls[0].buyer_spoke
    assert state.calls[0].buyer_speakers == ("Tom Becker",)
    assert {s.name for s in state.stakeholders if s.is_decision_maker} == {"Sarah Chen"}
    assert state.next_steps[0].is_open and state.next_steps[0].due == dt.date(2026, 3, 6)
    assert state.objections[0].category == "pricing"
    assert state.methodology.elements["economic_buyer"][0].utterance == 3
    assert [c.to_stage for c in state.stage_changes] == [Stage.DISCOVERY]


def test_a_failure_while_saving_stores_nothing(session):
    deal = make_deal(session)
    call = crud.create_call(session, call_in=CallCreate(kind=CallKind.TRANSCRIPT, deal_id=deal.id))
    broken = dataclasses.replace(insights(), objections=(Objection_(1, "not-a-category", "x", False, 0.5),))
    events_before = len(crud.list_changes(session))
    with pytest.raises(ValueError):
        crud.save_call_results(session, call=call, transcript=transcript(), insights=broken)
    assert crud.get_call(session, call_id=call.id).status == CallStatus.QUEUED
    assert _count(session, Utterance) == 0 and _count(session, NextStep) == 0
    assert len(crud.list_changes(session)) == events_before
    assert crud.get_deal(session, deal_id=deal.id).version == 1


def test_reprocessing_with_changed_steps_writes_next_step_changes(session):
    call = _processed_call(session)
    first = session.exec(select(NextStep)).one()
    moved = NextStep_(2, first.text, first.action, "Dana Ruiz", "rep", dt.date(2026, 3, 13), True, 0.9)
    new = NextStep_(3, "Sarah signs off", "get sign-off", "Tom Becker", "buyer", None, False, 0.6)
    crud.save_call_results(
        session, call=call, transcript=transcript(), insights=insights(next_steps=(moved, new))
    )
    kinds = [(e.type, e.entity_id) for e in crud.list_changes(session) if e.entity == "next_step"]
    assert kinds[0] == ("suggested", first.id) and kinds[1] == ("updated", first.id)
    assert kinds[2][0] == "suggested" and len(kinds) == 3
    crud.save_call_results(session, call=call, transcript=transcript(), insights=insights(next_steps=(new,)))
    last = [e for e in crud.list_changes(session) if e.entity == "next_step"][-1]
    assert (last.type, last.entity_id) == ("removed", first.id)


def test_the_deal_shows_the_next_step_due_first_after_a_reviewer_edits_a_date(session):
    reviewer = make_user(session, "max@seller.example")
    deal = make_deal(session)
    early = NextStep_(
        2, "I'll send the MSA redlines by Friday.", "send", "Dana Ruiz", "rep", dt.date(2026, 3, 6), True, 0.9
    )
    late = NextStep_(3, "We'll sign by the 20th.", "sign", None, "buyer", dt.date(2026, 3, 20), True, 0.8)
    call = crud.create_call(session, call_in=CallCreate(kind=CallKind.TRANSCRIPT, deal_id=deal.id))
    crud.save_call_results(
        session, call=call, transcript=transcript(), insights=insights(next_steps=(early, late))
    )
    assert crud.get_deal(session, deal_id=deal.id).next_step_due == dt.date(2026, 3, 6)

    signing = session.exec(select(NextStep).where(NextStep.utterance_index == 3)).one()
    edit = NextStepReview(decision="edit", due=dt.date(2026, 3, 4))
    crud.review_next_step(session, next_step=signing, review=edit, by_user=reviewer)

    deal = crud.get_deal(session, deal_id=deal.id)
    assert (deal.next_step_due, deal.next_step_text) == (dt.date(2026, 3, 4), "We'll sign by the 20th.")
