"""Plain-text renderings for a person at a terminal."""

from __future__ import annotations

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
