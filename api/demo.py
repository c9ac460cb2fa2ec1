"""`dealsignal demo load`: a small organisation with deals and calls, processed by the real pipeline.

Idempotent: users, deals and calls that exist are left alone. API keys can only be shown
when they are created, so the demo writes them to `<data dir>/demo-keys.txt` (mode 600)
and prints them from there on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from api import flows
from api.config import Settings
from api.engines import engines_for
from api.processing import process_call
from models import crud
from models.db import make_engine, migrate
from models.enums import CallKind, CallSource, Role
from models.schemas import CallCreate, CrmDealUpsert
from transcribe.json_format import transcript_from_json, transcript_to_json


def load_demo(folder: Path, *, settings: Settings) -> Iterator[str]:
    """Create the demo organisation and process its calls; yield lines to print."""
    spec = json.loads((folder / "demo.json").read_text())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        keys_file = settings.data_dir / "demo-keys.txt"
        with Session(engine) as session:
            _create_users(session, spec["users"], keys_file)
            today = dt.datetime.now(dt.UTC).date()
            queued = [_create_deal(session, deal, today, folder.parent.parent) for deal in spec["deals"]]
        for call_id in (c for c in queued if c is not None):
            process_call(call_id, engine=engine, engines=engines_for(settings))
        with Session(engine) as session:
            yield from _summary(session, spec["deals"])
        yield ""
        yield f"Demo API keys (from {keys_file}):"
        yield from ("  " + line for line in keys_file.read_text().splitlines())
    finally:
        engine.dispose()


def _create_users(session: Session, users: list[dict[str, Any]], keys_file: Path) -> None:
    lines: list[str] = keys_file.read_text().splitlines() if keys_file.exists() else []
    for user in users:
        if crud.get_user_by_email(session, email=user["email"]) is not None:
            continue
        _, key = crud.create_user(
            session,
            name=user["name"],
            email=user["email"],
            role=Role(user["role"]),
            manager_email=user.get("manager"),
        )
        lines.append(f"{user['role']:<8} {user['email']:<34} {key}")
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def _create_deal(session: Session, deal: dict[str, Any], today: dt.date, repo: Path) -> int | None:
    """Upsert a demo deal; queue its call unless it was loaded before. Return the call's id."""
    revops = crud.get_user_by_email(session, email="riley.chen@dealsignal.example")
    existing = crud.get_deal_by_external_id(session, external_id=deal["external_id"])
    close = today + dt.timedelta(days=deal["close_in_days"])
    if existing is None and "pushed_from_days" in deal:  # a close date that slipped once, for the demo
        first = CrmDealUpsert(**_crm_fields(deal, today + dt.timedelta(days=deal["pushed_from_days"])))
        crud.upsert_deal_from_crm(session, external_id=deal["external_id"], data=first, by_user=revops)
    record, _ = crud.upsert_deal_from_crm(
        session,
        external_id=deal["external_id"],
        data=CrmDealUpsert(**_crm_fields(deal, close)),
        by_user=revops,
    )
    if existing is not None:
        return None
    document = json.loads((repo / deal["call"]).read_text())
    document.pop("gold", None)
    document["date"] = (today - dt.timedelta(days=deal["days_ago"])).isoformat()
    transcript = transcript_from_json(document)
    owner = crud.get_user_by_email(session, email=deal["owner_email"])
    call = crud.create_call(
        session,
        call_in=CallCreate(
            kind=CallKind.TRANSCRIPT,
            source=CallSource.DEMO,
            deal_id=record.id,
            external_id=transcript.id,
            date=transcript.date,
            title=transcript.title,
            transcript=transcript_to_json(transcript),
        ),
        created_by=owner,
    )
    claimed = crud.claim_next_call(session)
    assert claimed is not None and claimed.id == call.id, "the demo expects an idle queue"
    return call.id


def _crm_fields(deal: dict[str, Any], close: dt.date) -> dict[str, Any]:
    fields = {k: deal[k] for k in ("name", "account", "owner_email", "stage", "amount", "currency")}
    return fields | {"close_date": close}


def _summary(session: Session, deals: list[dict[str, Any]]) -> Iterator[str]:
    yield f"{'deal':<40} {'stage':<10} {'risk':>4}  next step"
    for spec in deals:
        deal = crud.get_deal_by_external_id(session, external_id=spec["external_id"])
        if deal is None:
            continue
        flows.rescore_deal(session, deal=deal)
        step = deal.next_step_text or "—"
        yield f"{deal.name[:40]:<40} {deal.stage:<10} {deal.risk_score or 0:>4}  {step[:60]}"
