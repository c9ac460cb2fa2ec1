"""risk_fresh_until: a stored score stays exact until the moment it names, and that moment is tight."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from extract.types import ObjectionCategory
from signals.config import RiskConfig
from signals.freshness import risk_fresh_until
from signals.risk import score_deal
from signals.types import CloseDateChange, DealState, NextStepStatus, Stage
from tests.signals.factories import NOW, TODAY, ago, call, cfo, champion, deal, objection, step

CFG = RiskConfig()
TICK = dt.timedelta(microseconds=1)


def _random_deal(rng: random.Random, n: int) -> DealState:
    """A deal with evidence scattered around NOW, some of it dated after NOW."""

    def when() -> dt.datetime:
        return NOW + dt.timedelta(days=rng.uniform(-120, 20), seconds=rng.randint(0, 86399))

    def day() -> dt.date:
        return TODAY + dt.timedelta(days=rng.randint(-20, 20))

    pushes = tuple(
        CloseDateChange(when(), d, d + dt.timedelta(days=rng.randint(-10, 30)))
        for d in (day() for _ in range(rng.randint(0, 3)))
    )
    steps = tuple(
        step(
            f"n{k}",
            due=day() if rng.random() < 0.8 else None,
            status=rng.choice(list(NextStepStatus)),
            confirmed=rng.random() < 0.5,
        )
        for k in range(rng.randint(0, 3))
    )
    if rng.random() < 0.2:
        steps = tuple(replace(s, due=None) for s in steps)
    objections = tuple(
        objection(f"o{k}", rng.choice(list(ObjectionCategory)), raised_at=when())
        for k in range(rng.randint(0, 3))
    )
    people = tuple(
        p(last_engaged_at=when() if rng.random() < 0.9 else None, on_calls=rng.randint(0, 2))
        for p in rng.sample([cfo, champion], rng.randint(0, 2))
    )
    return deal(
        id=f"d{n}",
        stage=rng.choice(list(Stage)),
        created_at=NOW - dt.timedelta(days=rng.uniform(30, 200)),
        stage_entered_at=when() if rng.random() < 0.9 else None,
        calls=tuple(call(f"c{k}", when(), buyer=rng.random() < 0.7) for k in range(rng.randint(0, 3))),
        last_buyer_activity=when() if rng.random() < 0.5 else None,
        close_date_changes=pushes,
        stakeholders=people,
        next_steps=steps,
        objections=objections,
        pain_identified=rng.random() < 0.5,
    )


def _probes(rng: random.Random, now: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    span = until - now
    return [now + TICK, until - TICK, *(now + span * rng.random() for _ in range(6))]


@pytest.mark.parametrize("seed", range(5))
def test_the_score_holds_until_fresh_until_on_varied_deals(seed: int) -> None:
    rng = random.Random(seed)
    for n in range(120):
        d = _random_deal(rng, n)
        now = NOW + dt.timedelta(hours=rng.uniform(-48, 48))
        until = risk_fresh_until(d, now=now, config=CFG)
        before = score_deal(d, now=now, config=CFG)
        if until is None:
            # Time alone never changes it: check far ahead.
            for later in (now + dt.timedelta(days=400), now + dt.timedelta(days=rng.uniform(0, 400))):
                assert score_deal(d, now=later, config=CFG) == before
            continue
        assert until > now
        for t in _probes(rng, now, until):
            assert score_deal(d, now=t, config=CFG) == before, (n, now, until, t)


@pytest.mark.parametrize("seed", range(4))
def test_fresh_until_is_a_real_change_for_clock_driven_deals(seed: int) -> None:
    """Not trivially early: at the moment named the score (or a factor's detail) usually changes."""
    rng = random.Random(100 + seed)
    changed = total = 0
    for n in range(200):
        d = _random_deal(rng, n)
        until = risk_fresh_until(d, now=NOW, config=CFG)
        if until is None:
            continue
        total += 1
        changed += score_deal(d, now=until, config=CFG) != score_deal(d, now=NOW, config=CFG)
    # Future-dated evidence that only adds a duplicate moment may leave a score unchanged.
    assert total > 50 and changed / total > 0.9


def test_healthy_deal_is_fresh_until_its_next_step_falls_due() -> None:
    # Due in 3 days: overdue from the second midnight after that, and nothing else comes earlier.
    healthy = deal(next_steps=(step(due=TODAY + dt.timedelta(days=3)),))
    until = risk_fresh_until(healthy, now=NOW, config=CFG)
    assert until == dt.datetime.combine(TODAY + dt.timedelta(days=4), dt.time(), dt.UTC)


def test_silence_limit_is_crossed_one_tick_after_fourteen_days() -> None:
    quiet = deal(calls=(call(at=ago(10)),), next_steps=(step(due=TODAY + dt.timedelta(days=30)),))
    quiet = replace(quiet, stakeholders=(cfo(last_engaged_at=ago(1)), champion(last_engaged_at=ago(1))))
    until = risk_fresh_until(quiet, now=NOW, config=CFG)
    assert until == ago(10) + dt.timedelta(days=14) + TICK
    assert "no_buyer_activity" in {f.code for f in score_deal(quiet, now=until, config=CFG).factors}


def test_a_deal_already_silent_and_stalled_stays_fresh_until_new_evidence() -> None:
    # The details name dates, not day counts: the score of a deal whose clock-driven factors
    # all fire already does not change the next day, so the periodic run leaves it alone.
    silent = deal(
        calls=(call(at=ago(40)),),
        stage_entered_at=ago(60),
        next_steps=(step(due=TODAY - dt.timedelta(days=5)),),
    )
    risk = score_deal(silent, now=NOW, config=CFG)
    assert {"no_buyer_activity", "stalled_in_stage", "next_step_overdue"} <= {f.code for f in risk.factors}
    until = risk_fresh_until(silent, now=NOW, config=CFG)
    assert until is None or until > NOW + dt.timedelta(days=2)
    assert score_deal(silent, now=NOW + dt.timedelta(days=2), config=CFG) == risk


def test_closed_deals_never_go_stale() -> None:
    assert risk_fresh_until(deal(stage=Stage.CLOSED_WON), now=NOW, config=CFG) is None


def test_a_weight_of_zero_takes_its_factor_out_of_the_clock() -> None:
    healthy = deal(next_steps=(step(due=TODAY + dt.timedelta(days=3)),))
    config = RiskConfig.from_dict({"weights": {"next_step_overdue": 0}})
    assert risk_fresh_until(healthy, now=NOW, config=config) != risk_fresh_until(healthy, now=NOW, config=CFG)
