"""Re-scoring the whole pipeline: time alone moves risk, and each change reaches the change feed."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.flows import rescore_pipeline
from models.db import make_engine
from models.tables import ChangeEvent
from tests.api.conftest import Team, deal_body


def test_silence_raises_risk_when_time_passes(client: TestClient, team: Team, api_settings) -> None:
    for n in range(3):
        client.put(f"/v1/crm/deals/T-{n}", json=deal_body(), headers=team.auth("revops"))
    engine = make_engine(api_settings.resolved_database_url)
    with Session(engine) as session:
        unchanged = rescore_pipeline(session, batch=2)
        assert (unchanged.deals, unchanged.changed) == (3, 0)
        before = len(session.exec(select(ChangeEvent)).all())
        later = rescore_pipeline(session, batch=2, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
        assert (later.deals, later.changed) == (3, 3)
        assert len(session.exec(select(ChangeEvent)).all()) == before + 3
    engine.dispose()
    deal = client.get("/v1/crm/deals/T-1", headers=team.auth("rep")).json()
    assert "no_buyer_activity" in {f["code"] for f in deal["risk"]["factors"]}
