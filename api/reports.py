"""Plain-text renderings for a person at a terminal."""

from __future__ import annotations

from typing import Any

from extract.types import Insights


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def insights_text(insights: Insights) -> str:
    """Summarise a call's insights in a few readable sections."""
    call = insights.call
    lines = [f"Call {call.id}  {call.date.isoformat()}  {_clock(call.duration_s)}", ""]
    lines.append("Speakers")
    for s in insights.speakers:
        lines.append(
            f"  {s.name:<22} {s.side:<7} talk {s.talk_ratio:>4.0%}  longest {s.longest_monologue_s:>5.0f} s  "
            f"questions {s.questions}"
        )
    lines += ["", "Next steps"]
    for step in insights.next_steps:
        due = step.due.isoformat() if step.due else "no date"
        owner = step.owner or step.owner_side
        lines.append(f"  [{step.confidence:.2f}] {step.action}  — {owner}, {due}  (#{step.utterance})")
    lines += ["", "Stakeholders"]
    for person in insights.stakeholders:
        mark = " *decides*" if person.decision_maker else ""
        title = f", {person.title}" if person.title else ""
        lines.append(f"  {person.name}{title} — {person.role or 'role unknown'}{mark}")
    lines += ["", "Objections"]
    for objection in insights.objections:
        state = "addressed" if objection.addressed else "open"
        lines.append(f"  {objection.category:<12} {state:<9} “{objection.text}” (#{objection.utterance})")
    covered = [name for name, e in insights.methodology.elements.items() if e.covered]
    missing = [name for name, e in insights.methodology.elements.items() if not e.covered]
    lines += ["", f"{insights.methodology.framework}: covered {', '.join(covered) or 'nothing'}"]
    if missing:
        lines.append(f"  missing {', '.join(missing)}")
    return "\n".join(lines) + "\n"


def review_text(review: dict[str, Any]) -> str:
    """Render the weekly pipeline review for a terminal."""
    lines = [f"Pipeline review — team {review['team']}, week {review['week']}", ""]
    lines.append(f"At risk ({len(review['at_risk'])})")
    for deal in review["at_risk"]:
        risk = deal["risk"]
        lines.append(
            f"  {risk['score']:>3} {risk['level']:<6} {deal['name'] or deal['deal_id']} ({deal['owner']})"
        )
        lines += [f"        - {f['detail']}" for f in risk["factors"]]
    lines += ["", f"Movement ({len(review['movement'])})"]
    for move in review["movement"]:
        why = f" — override: {move['override_reason']}" if move["override_reason"] else ""
        origin = move["from_stage"] or "(new)"
        lines.append(f"  deal {move['deal_id']}: {origin} → {move['to_stage']} by {move['by']}{why}")
    lines += ["", f"Next steps due ({len(review['next_steps'])})"]
    for step in review["next_steps"]:
        mark = "confirmed" if step["confirmed"] else "unconfirmed"
        lines.append(f"  {step['due']}  deal {step['deal_id']}: {step['text'][:70]} ({mark})")
    lines += ["", "Coverage"]
    for cover in review["coverage"]:
        ratio = f"{cover['ratio']:.2f}×" if cover["ratio"] is not None else "no quota"
        lines.append(
            f"  {cover['period']} {cover['currency'] or ''}: weighted {cover['open_weighted']:,.0f}, "
            f"risk-adjusted {cover['open_adjusted']:,.0f}, {ratio}"
        )
    lines += ["", f"Hygiene ({len(review['hygiene'])})"]
    lines += [f"  deal {issue['deal_id']}: {issue['detail']}" for issue in review["hygiene"]]
    return "\n".join(lines) + "\n"
