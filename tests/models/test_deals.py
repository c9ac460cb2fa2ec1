from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import crud
from models.enums import ForecastCategory, RiskLevel
from models.errors import NotFoundError, VersionConflictError
from models.tables import ChangeEvent, Deal, DealCloseDateHistory, DealStageHistory, Stakeholder
from signals.types import RiskCode, RiskFactor, RiskScore
from tests.models.factories import deal_body, make_deal, make_user


def test_upsert_creates_then_updates(session):
    user = make_user(session)
    deal, created = crud.upsert_deal_from_crm(session, external_id="CRM-1", data=deal_body(), by_user=user)
    assert created and deal.version == 1
    assert (deal.stage, deal.amount, deal.owner_id) == ("discovery", Decimal("48000.00"), user.id)
    assert deal.forecast_category is None and deal.probability is None  # the stage decides
    public = crud.deal_to_public(session, deal)
    assert (public.forecast_category, public.probability) == (ForecastCategory.PIPELINE, 20)
    again, created = crud.upsert_deal_from_crm(session, external_id="CRM-1", data=deal_body(), by_user=user)
    assert not created and again.id == deal.id
    assert again.version == 1  # nothing changed: same representation, same version
    assert len(session.exec(select(Deal)).all()) == 1


def test_update_bumps_version_and_records_history(session):
    user = make_user(session)
    deal = make_deal(session)
    pushed = deal_body(stage="Proposal", close_date=dt.date(2026, 9, 30), amount=Decimal("50000"))
    deal, created = crud.upsert_deal_from_crm(session, external_id="CRM-1", data=pushed, by_user=user)
    assert not created and deal.version == 2 and deal.stage == "proposal"
    stages = session.exec(select(DealStageHistory).order_by(DealStageHistory.id)).all()
    assert [(h.from_stage, h.to_stage) for h in stages] == [(None, "discovery"), ("discovery", "proposal")]
    assert stages[1].by_user_id == user.id
    closes = session.exec(select(DealCloseDateHistory).order_by(DealCloseDateHistory.id)).all()
    assert [(h.from_date, h.to_date) for h in closes][-1] == (dt.date(2026, 6, 30), dt.date(2026, 9, 30))
    event = session.exec(select(ChangeEvent).order_by(ChangeEvent.id.desc())).first()
    assert event.type == "updated" and event.data["changes"]["stage"] == ["discovery", "proposal"]


def test_optional_fields_left_out_keep_their_values(session):
    make_deal(session, forecast_category="commit", probability=70)
    deal, _ = crud.upsert_deal_from_crm(session, external_id="CRM-1", data=deal_body(name="Renamed"))
    assert (deal.forecast_category, deal.probability, deal.name) == (ForecastCategory.COMMIT, 70, "Renamed")
    public = crud.deal_to_public(session, deal)
    assert (public.forecast_category, public.probability) == (ForecastCategory.COMMIT, 70)


def test_stale_version_is_refused(session):
    make_deal(session)
    with pytest.raises(VersionConflictError) as info:
        crud.upsert_deal_from_crm(
            session, external_id="CRM-1", data=deal_body(name="New"), expected_version=7
        )
    assert info.value.current_version == 1
    deal, _ = crud.upsert_deal_from_crm(
        session, external_id="CRM-1", data=deal_body(name="New"), expected_version=1
    )
    assert deal.version == 2


def test_unknown_owner_is_a_clear_error(session):
    with pytest.raises(NotFoundError, match="nobody@seller.example"):
        crud.upsert_deal_from_crm(
            session, external_id="CRM-1", data=deal_body(owner_email="nobody@seller.example")
        )
    assert session.exec(select(Deal)).all() == []


def test_external_id_is_unique(session):
    deal = make_deal(session)
    session.add(
        Deal(external_id="CRM-1", name="dup", account_id=deal.account_id, owner_id=deal.owner_id, stage="x")
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_contacts_become_stakeholders_once(session):
    make_deal(session)
    crud.upsert_deal_from_crm(session, external_id="CRM-1", data=deal_body())
    assert len(session.exec(select(Stakeholder)).all()) == 1
    body = deal_body(contacts=[{"name": "Tom Becker", "email": "tom@acme.example"}, {"name": "Sarah Chen"}])
    deal, _ = crud.upsert_deal_from_crm(session, external_id="CRM-1", data=body)
    assert len(session.exec(select(Stakeholder)).all()) == 2 and deal.version == 2


def test_change_stage_with_override(session):
    user = make_user(session, "max@seller.example")
    deal = make_deal(session)
    deal = crud.change_deal_stage(
        session, deal=deal, stage="commit", by_user=user, override_reason="CFO verbal yes"
    )
    assert deal.stage == "commit" and deal.version == 2
    public = crud.deal_to_public(session, deal)
    assert public.stage_history[-1].model_dump(exclude={"at"}) == {
        "from_stage": "discovery",
        "to_stage": "commit",
        "by": "max@seller.example",
        "override_reason": "CFO verbal yes",
    }
    with pytest.raises(VersionConflictError):
        crud.change_deal_stage(session, deal=deal, stage="proposal", by_user=user, expected_version=1)
    assert crud.get_deal(session, deal_id=deal.id).stage == "commit"


def test_set_deal_risk_writes_a_change_only_when_it_changes(session):
    deal = make_deal(session)
    risk = RiskScore(40, RiskLevel.MEDIUM, (RiskFactor(RiskCode.NO_NEXT_STEP, 40, "no next step"),))
    assert crud.set_deal_risk(session, deal=deal, risk=risk)
    assert not crud.set_deal_risk(session, deal=deal, risk=risk)
    public = crud.deal_to_public(session, deal)
    assert public.risk.score == 40 and public.risk.level == "medium"
    assert public.risk.factors[0]["code"] == "no_next_step"
    events = session.exec(select(ChangeEvent).where(ChangeEvent.entity == "risk")).all()
    assert len(events) == 1 and events[0].entity_id == deal.id


def test_deal_to_public_matches_the_contract(session):
    deal = make_deal(session)
    public = crud.deal_to_public(session, deal)
    data = public.model_dump(mode="json")
    assert set(data) >= {
        "id",
        "external_id",
        "name",
        "account",
        "owner_email",
        "stage",
        "amount",
        "currency",
        "close_date",
        "forecast_category",
        "probability",
        "next_step",
        "last_buyer_activity",
        "stakeholders",
        "open_objections",
        "risk",
        "methodology",
        "stage_history",
        "version",
    }
    assert (
        data["amount"] == 48000.0
        and data["account"] == "Acme"
        and data["owner_email"] == "dana@seller.example"
    )
    assert data["stakeholders"] == [
        {
            "id": data["stakeholders"][0]["id"],
            "contact_id": data["stakeholders"][0]["contact_id"],
            "name": "Tom Becker",
            "email": "tom@acme.example",
            "title": "IT Director",
            "role": None,
            "decision_maker": False,
            "on_calls": 0,
        }
    ]
    assert isinstance(data["stakeholders"][0]["id"], int)
    assert data["next_step"] is None and data["risk"] is None and data["version"] == 1


def test_get_deal_by_external_id(session):
    deal = make_deal(session)
    assert crud.get_deal_by_external_id(session, external_id="CRM-1").id == deal.id
    assert crud.get_deal_by_external_id(session, external_id="nope") is None
    assert crud.get_deal(session, deal_id=deal.id + 1) is None


def test_the_raw_sqlite_stamp_equals_the_core_one(tmp_path) -> None:
    from sqlmodel import Session

    from models.crud.public import get_deal_stamp, read_deal_stamp
    from models.db import make_engine, migrate
    from tests.models.factories import make_deal

    engine = make_engine(f"sqlite:///{tmp_path / 'stamp.db'}")
    migrate(engine)
    with Session(engine) as session:
        deal = make_deal(session)
        session.commit()
        deal_id = deal.id
    assert deal_id is not None
    with engine.connect() as connection:
        expected = get_deal_stamp(connection, deal_id=deal_id)
        assert get_deal_stamp(connection, deal_id=deal_id + 1000) is None
    assert expected is not None and read_deal_stamp(engine, deal_id=deal_id) == expected
    assert read_deal_stamp(engine, deal_id=deal_id + 1000) is None
    engine.dispose()
