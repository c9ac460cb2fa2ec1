"""Deal values in a CRM's own field names, so a connector can write them back as they are.

Pure mapping tables and functions; no I/O. Salesforce: Opportunity fields with the standard
picklist values. HubSpot: deal properties of the default pipeline, values as strings (v3 API).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from models.schemas import DealPublic
from signals.types import ForecastCategory, Stage

Target = Literal["salesforce", "hubspot"]
SALESFORCE_NEXT_STEP_MAX = 255  # Opportunity.NextStep is a 255-character text field

SALESFORCE_STAGES: dict[Stage, str] = {
    Stage.AWARENESS: "Prospecting",
    Stage.QUALIFIED: "Qualification",
    Stage.DISCOVERY: "Needs Analysis",
    Stage.PROPOSAL: "Proposal/Price Quote",
    Stage.COMMIT: "Negotiation/Review",
    Stage.CLOSED_WON: "Closed Won",
    Stage.CLOSED_LOST: "Closed Lost",
}
SALESFORCE_FORECAST: dict[ForecastCategory, str] = {
    ForecastCategory.PIPELINE: "Pipeline",
    ForecastCategory.BEST_CASE: "Best Case",
    ForecastCategory.COMMIT: "Commit",
    ForecastCategory.CLOSED: "Closed",
    ForecastCategory.OMITTED: "Omitted",
}
HUBSPOT_STAGES: dict[Stage, str] = {  # the default sales pipeline's internal stage ids
    Stage.AWARENESS: "appointmentscheduled",
    Stage.QUALIFIED: "qualifiedtobuy",
    Stage.DISCOVERY: "presentationscheduled",
    Stage.PROPOSAL: "decisionmakerboughtin",
    Stage.COMMIT: "contractsent",
    Stage.CLOSED_WON: "closedwon",
    Stage.CLOSED_LOST: "closedlost",
}
HUBSPOT_FORECAST: dict[ForecastCategory, str] = {
    ForecastCategory.PIPELINE: "PIPELINE",
    ForecastCategory.BEST_CASE: "BEST_CASE",
    ForecastCategory.COMMIT: "COMMIT",
    ForecastCategory.CLOSED: "CLOSED",
    ForecastCategory.OMITTED: "OMIT",
}


def next_step_text(deal: DealPublic, *, limit: int | None = None) -> str | None:
    """Return the deal's next step as one line ("text (due YYYY-MM-DD)"), cut to `limit` characters."""
    if deal.next_step is None:
        return None
    text = " ".join(deal.next_step.text.split())
    if deal.next_step.due is not None:
        text = f"{text} (due {deal.next_step.due.isoformat()})"
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def salesforce_fields(deal: DealPublic) -> dict[str, Any]:
    """Map a deal onto Salesforce Opportunity fields."""
    stage = Stage(deal.stage)
    return {
        "Name": deal.name,
        "StageName": SALESFORCE_STAGES[stage],
        "ForecastCategoryName": SALESFORCE_FORECAST[deal.forecast_category]
        if deal.forecast_category
        else None,
        "CloseDate": deal.close_date.isoformat() if deal.close_date else None,
        "Amount": float(deal.amount) if deal.amount is not None else None,
        "Probability": deal.probability,
        "NextStep": next_step_text(deal, limit=SALESFORCE_NEXT_STEP_MAX),
    }


def hubspot_closedate(day: dt.date) -> str:
    """Return a date as HubSpot wants it: milliseconds since the epoch at midnight UTC."""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return str(int(midnight.timestamp() * 1000))


def hubspot_fields(deal: DealPublic) -> dict[str, Any]:
    """Map a deal onto HubSpot deal properties (string values, as the v3 API takes them)."""
    stage = Stage(deal.stage)
    amount: Decimal | None = deal.amount
    return {
        "dealname": deal.name,
        "dealstage": HUBSPOT_STAGES[stage],
        "closedate": hubspot_closedate(deal.close_date) if deal.close_date else None,
        "amount": f"{amount:.2f}" if amount is not None else None,
        "hs_manual_forecast_category": HUBSPOT_FORECAST[deal.forecast_category]
        if deal.forecast_category
        else None,
        "hs_next_step": next_step_text(deal),
        "deal_currency_code": deal.currency,
    }


def crm_fields(deal: DealPublic, target: Target) -> dict[str, Any]:
    """Map a deal onto the `target` CRM's fields."""
    return salesforce_fields(deal) if target == "salesforce" else hubspot_fields(deal)
