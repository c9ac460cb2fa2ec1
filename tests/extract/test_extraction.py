"""Behaviour on small hand-written calls: owners, negatives, ASR text, stakeholders, determinism."""

import datetime as dt

from tests.extract.conftest import make_call
from transcribe.types import Side

REP, BUYER = "Dana Ruiz", "Tom Becker"
SIDES = {REP: Side.REP, BUYER: Side.BUYER}


def _steps(analyzer, lines, sides=SIDES):
    return analyzer.analyze(make_call(lines, sides)).next_steps


def test_rep_commitment_owner_and_due(analyzer) -> None:
    steps = _steps(
        analyzer,
        [
            (BUYER, "Can you send me the pricing breakdown?"),
            (REP, "Yes, I'll send the MSA redlines and the pricing breakdown by Friday."),
            (BUYER, "Perfect, thanks."),
        ],
    )
    step = next(s for s in steps if s.utterance == 1)
    assert step.owner_side == "rep" and step.owner == REP
    assert step.due == dt.date(2026, 3, 6) and step.confirmed


def test_buyer_and_joint_owners(analyzer) -> None:
    steps = _steps(
        analyzer,
        [
            (REP, "So what would be the best way to move this forward on your side?"),
            (BUYER, "I'll loop in our CFO and get you approval by end of next week."),
            (
                REP,
                "Great. Let's schedule a follow-up call for Thursday at 2 to review the proposal together.",
            ),
            (BUYER, "Sounds good."),
        ],
    )
    by_index = {s.utterance: s for s in steps}
    assert by_index[1].owner_side == "buyer" and by_index[1].due == dt.date(2026, 3, 13)
    assert by_index[2].owner_side == "both" and by_index[2].due == dt.date(2026, 3, 5)


def test_negatives_are_not_next_steps(analyzer) -> None:
    steps = _steps(
        analyzer,
        [
            (REP, "I sent the deck last week, did you get a chance to look at it?"),
            (BUYER, "If we went ahead we'd need to rebuild all our reports, hypothetically."),
            (REP, "We should catch up sometime, maybe grab a coffee."),
            (BUYER, "Yeah, someday."),
            (REP, "Could we meet Tuesday to go over the contract?"),
            (BUYER, "No, that won't work, Tuesday is completely booked for us."),
            (BUYER, "Our contract with the current vendor renews in March."),
        ],
    )
    assert [s.utterance for s in steps] == []


def test_objections_and_negatives(analyzer) -> None:
    ins = analyzer.analyze(
        make_call(
            [
                (REP, "So what do you think of the pricing we shared?"),
                (
                    BUYER,
                    "Honestly, that's a lot more than we budgeted, "
                    "per seat pricing is going to be a real problem for us.",
                ),
                (REP, "I hear you. We can look at volume pricing if that helps."),
                (REP, "I'm a bit worried our onboarding team is stretched this month."),
                (BUYER, "The traffic this morning was awful by the way."),
                (BUYER, "Out of curiosity, does it support SSO?"),
                (REP, "Yes, SAML and SCIM through Okta."),
            ],
            SIDES,
        )
    )
    found = {o.utterance: o.category for o in ins.objections}
    assert found.get(1) == "pricing"
    assert not {2, 3, 4, 5} & set(found)


def test_crisp_objections_and_short_turns_that_are_not(analyzer) -> None:
    ins = analyzer.analyze(
        make_call(
            [
                (REP, "Thanks for making the time. How is the quarter going?"),
                (BUYER, "Busy. We just opened our fourth warehouse."),
                (REP, "Congratulations. So the proposal is sixty thousand a year for all four sites."),
                (BUYER, "That's way more than we pay for Salesforce."),
                (REP, "Understood, we can phase the sites in. And we'd go live in March."),
                (BUYER, "Not before Q3, we're mid-migration."),
                (REP, "Got it. Does anyone else need to weigh in?"),
                (BUYER, "Sure, makes sense."),
                (BUYER, "Does it support SSO?"),
                (REP, "Yes, SAML through Okta or Azure AD."),
                (BUYER, "Okay, that works for us."),
            ],
            SIDES,
        )
    )
    found = {o.utterance: o.category for o in ins.objections}
    assert found.get(3) == "pricing" and found.get(5) == "timing"
    assert not {1, 7, 8, 10} & set(found)


def test_asr_text_and_inferred_sides(analyzer) -> None:
    lines = [
        ("Speaker 1", "hi this is dana from loopwise thanks for making time um so tell me about your team"),
        ("Speaker 2", "yeah so we we currently use spreadsheets for everything and uh it takes forever"),
        ("Speaker 1", "got it so our platform helps with exactly that let me show you the dashboard"),
        (
            "Speaker 2",
            "okay that looks good um i'll uh i'll share it with our cfo sarah chen "
            "and get back to you by friday",
        ),
        ("Speaker 1", "perfect"),
    ]
    ins = analyzer.analyze(make_call(lines, {"Speaker 1": Side.UNKNOWN, "Speaker 2": Side.UNKNOWN}))
    sides = {s.name: s.side for s in ins.speakers}
    assert sides == {"Speaker 1": "rep", "Speaker 2": "buyer"}
    step = next(s for s in ins.next_steps if s.utterance == 3)
    assert step.owner_side == "buyer" and step.due == dt.date(2026, 3, 6)
    assert any(s.name.lower() == "sarah chen" for s in ins.stakeholders)


def test_stakeholder_merging_and_exclusions(rules_analyzer) -> None:
    ins = rules_analyzer.analyze(
        make_call(
            [
                (REP, "Who else is involved in the decision?"),
                (
                    BUYER,
                    "Sarah Chen, our CFO, owns the budget, "
                    "so anything over fifty thousand lands on her desk.",
                ),
                (REP, "Got it. And does Sarah usually join these calls?"),
                (
                    BUYER,
                    "Sarah signs off at the end. Ben Ortiz used to run IT "
                    "but he's on parental leave, so he's out of this.",
                ),
                (BUYER, "Our reference was Acme, where Dana Ruiz helped them roll it out."),
            ],
            SIDES,
        )
    )
    people = {s.name: s for s in ins.stakeholders}
    assert set(people) == {BUYER, "Sarah Chen"}
    sarah = people["Sarah Chen"]
    assert sarah.title == "CFO" and sarah.decision_maker and sarah.role == "economic_buyer"
    assert sarah.utterances == (1, 2, 3) and not sarah.on_call
    assert people[BUYER].on_call


def test_deterministic(analyzer) -> None:
    lines = [
        (REP, "I'll send the proposal tomorrow."),
        (BUYER, "Great, I'll review it with legal next week."),
    ]
    a = analyzer.analyze(make_call(lines, SIDES)).to_dict()
    b = analyzer.analyze(make_call(lines, SIDES)).to_dict()
    assert a == b


def test_contract_fields(analyzer) -> None:
    out = analyzer.analyze(make_call([(REP, "I'll send it Friday."), (BUYER, "Thanks.")], SIDES)).to_dict()
    assert {
        "call",
        "speakers",
        "utterances",
        "next_steps",
        "stakeholders",
        "objections",
        "mentions",
        "methodology",
    } <= set(out)
    assert set(out["mentions"]) == {"competitors", "budget", "timeline", "pain_points"}
    assert out["methodology"]["framework"] == "MEDDICC"
    assert set(out["speakers"][0]) >= {"name", "side", "talk_ratio", "longest_monologue_s", "questions"}


def test_accepted_proposal_points_at_the_proposal(analyzer) -> None:
    steps = _steps(
        analyzer,
        [
            (REP, "Thanks, this was really useful."),
            (REP, "How about we get your security team and our engineers on a call Thursday at two?"),
            (BUYER, "Yeah, Thursday at two works, I'll make sure they're there."),
            (REP, "Great, talk soon."),
        ],
    )
    step = next(s for s in steps if s.utterance in (1, 2))
    assert step.utterance == 1 and step.owner_side == "both"
    assert step.due == dt.date(2026, 3, 5) and step.confirmed


def test_generic_speakers_get_said_names_and_sides(analyzer) -> None:
    lines = [
        ("Speaker 1", "hey everyone this is kevin from civicly and i've got nina with me"),
        ("Speaker 3", "hi i'm nina i'm the proposal manager at civicly"),
        ("Speaker 2", "great um so i'm rosa delgado deputy director of planning and our budget is tight"),
        ("Speaker 1", "thanks rosa so tell me about your current permitting process"),
        ("Speaker 2", "honestly we use spreadsheets and it takes forever"),
    ]
    unknown = {"Speaker 1": Side.UNKNOWN, "Speaker 2": Side.UNKNOWN, "Speaker 3": Side.UNKNOWN}
    ins = analyzer.analyze(make_call(lines, unknown))
    sides = {s.name: s.side for s in ins.speakers}
    assert sides == {"Speaker 1": "rep", "Speaker 2": "buyer", "Speaker 3": "rep"}
    names = {s.name.lower() for s in ins.stakeholders}
    assert "rosa delgado" in names and not {"kevin", "nina"} & names


def test_edge_cases_do_not_crash(analyzer) -> None:
    empty = make_call([], SIDES)
    out = analyzer.analyze(empty)
    assert out.next_steps == () and out.speakers == ()
    one = make_call([("Speaker 1", "okay")], {"Speaker 1": Side.UNKNOWN})
    assert analyzer.analyze(one).utterances[0].side in ("unknown", "rep", "buyer")
    no_end = make_call([(REP, "I'll send it Friday."), (BUYER, "Thanks.")], SIDES)
    utts = tuple(type(u)(speaker=u.speaker, start=u.start, text=u.text) for u in no_end.utterances)
    stripped = type(no_end)(date=no_end.date, participants=no_end.participants, utterances=utts)
    assert analyzer.analyze(stripped).speakers[0].talk_s > 0


def test_one_concern_over_two_adjacent_turns_is_one_objection() -> None:
    import numpy as np

    from extract.features import UtteranceView
    from extract.objections import extract_objections

    turns = [
        ("rep", "So what's holding you back?"),
        ("buyer", "Price."),
        ("buyer", "It's double what we pay."),
        ("rep", "Understood."),
        ("buyer", "And we're on Sage for the books, it has to sync."),
    ]
    views = [UtteranceView(i, side, side, text, text) for i, (side, text) in enumerate(turns)]
    proba = np.asarray([0.9, 0.6, 0.8, 0.1, 0.7])
    category = np.tile(np.eye(8)[0], (5, 1))
    found = extract_objections(views, proba, category, threshold=0.5)
    assert [o.utterance for o in found] == [2, 4]  # the likelier of 1 and 2; never the rep's turn 0


def test_a_turn_whose_category_is_a_toss_up_is_no_objection_when_deciding_on_confidence() -> None:
    import numpy as np

    from extract.features import UtteranceView
    from extract.objections import extract_objections

    turns = [("rep", "Any concerns?"), ("buyer", "Hmm, the rollout."), ("rep", "Sure."), ("buyer", "Price.")]
    views = [UtteranceView(i, side, side, text, text) for i, (side, text) in enumerate(turns)]
    proba = np.asarray([0.1, 0.8, 0.1, 0.8])
    category = np.tile(np.eye(8)[0], (4, 1))
    category[1] = [0.3, 0.3, 0.0, 0.4, 0.0, 0.0, 0.0, 0.0]  # pricing, timing or need?
    on_proba = extract_objections(views, proba, category, threshold=0.5)
    on_confidence = extract_objections(views, proba, category, threshold=0.5, on_confidence=True)
    assert [o.utterance for o in on_proba] == [1, 3]
    assert [(o.utterance, o.confidence) for o in on_confidence] == [(3, 0.8)]
