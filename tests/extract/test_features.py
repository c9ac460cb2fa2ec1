"""Rule features that tell objections from what only sounds like one."""

from __future__ import annotations

import numpy as np

from extract import cues
from extract.features import FEATURES, POSITION, UtteranceView, rule_features, without_position


def _row(text: str) -> dict[str, float]:
    view = UtteranceView(index=0, speaker="Tom", side="buyer", text=text, clean=cues.clean(text))
    return dict(zip(FEATURES, rule_features([view])[0].tolist(), strict=True))


def test_a_past_problem_already_solved_is_marked() -> None:
    row = _row("Our old vendor had a breach in 2023, but we moved off them and that's all behind us.")
    assert row["resolved"] >= 1.0
    assert _row("Your SOC 2 report is eighteen months old and that's a problem.")["resolved"] == 0.0


def test_a_question_asked_out_of_interest_is_marked() -> None:
    assert _row("just curious does the tablet app work offline")["curious"] == 1.0
    assert _row("Does it support SSO? Without it we can't go ahead.")["curious"] == 0.0


def test_the_speakers_own_limit_is_marked_not_a_description_of_who_signs() -> None:
    assert _row("To be clear, I can't sign this. Anything above that goes to Graham.")["own_limit"] == 1.0
    assert _row("so i'd renew today but that's not my call")["own_limit"] == 1.0
    assert _row("Catherine Wu, our CFO. She signs anything over two hundred K.")["own_limit"] == 0.0


def test_announced_concerns_and_flat_refusals_are_marked() -> None:
    assert _row("And I'll be honest, we had a demo from AssetWorks last month.")["disclosure"] == 1.0
    assert _row("if my managers have to type the sales in by hand it's dead on arrival")["refusal"] == 1.0
    assert _row("That's not going to fly, Tom. Not in this rate environment.")["refusal"] == 1.0
    plain = _row("Thanks, the demo on Tuesday was really helpful.")
    assert plain["disclosure"] == plain["refusal"] == 0.0


def test_the_meeting_head_reads_no_objection_only_cue() -> None:
    from extract.features import OBJECTION_CUES
    from extract.meetings import MEETING_RULES

    assert set(OBJECTION_CUES) <= set(FEATURES)
    assert not {FEATURES[k] for k in MEETING_RULES} & set(OBJECTION_CUES)


def test_objection_inputs_lose_only_the_position_features() -> None:
    views = [UtteranceView(i, "A", "buyer", "Not before Q3.", "not before q3") for i in range(30)]
    rules = rule_features(views)
    x = np.hstack([np.ones((30, 5), dtype=np.float32), rules])  # an embedding block, then the rules
    out = without_position(x)
    position = [5 + FEATURES.index(name) for name in POSITION]
    assert rules[:, [FEATURES.index(n) for n in POSITION]].any()  # there was something to drop
    assert not out[:, position].any()
    kept = [k for k in range(x.shape[1]) if k not in position]
    assert np.array_equal(out[:, kept], x[:, kept]) and x[:, position].any()  # the input is not changed
