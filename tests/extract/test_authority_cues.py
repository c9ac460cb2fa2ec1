"""Who holds decision authority: cue direction, "who signs" answers, ASR names and titles."""

from extract.speaker_names import name_speakers
from tests.extract.conftest import make_call
from transcribe.types import Side

REP, BUYER = "Dana Ruiz", "Tom Becker"
SIDES = {REP: Side.REP, BUYER: Side.BUYER}


def _people(analyzer, lines, sides=SIDES):
    ins = analyzer.analyze(make_call(lines, sides))
    return {s.name.lower(): s for s in ins.stakeholders}


def _said(analyzer, lines, sides):
    """The names generic speakers go by, from what they say."""
    rep = analyzer.represent(make_call(lines, sides))
    return name_speakers(rep.views, rep.docs)


def test_forward_cue_goes_to_the_person_after_it(rules_analyzer) -> None:
    people = _people(
        rules_analyzer,
        [
            (REP, "How does approval work on your side?"),
            (BUYER, "Lena Park told me anything over fifty thousand goes to Marco Bellini before we sign."),
            (REP, "Understood, thanks."),
        ],
    )
    assert people["marco bellini"].role == "economic_buyer"
    assert "lena park" not in people or people["lena park"].role != "economic_buyer"


def test_who_signs_answer_names_the_holder(rules_analyzer) -> None:
    people = _people(
        rules_analyzer,
        [
            (REP, "Who signs off on this in the end?"),
            (BUYER, "That would be Priya Shah."),
            (REP, "Got it, thanks."),
        ],
    )
    assert people["priya shah"].role == "economic_buyer"


def test_question_answered_by_the_same_side_is_not_an_answer(rules_analyzer) -> None:
    people = _people(
        rules_analyzer,
        [
            (BUYER, "Who signs off on this in the end? I honestly don't know yet."),
            (BUYER, "Priya Shah might know, she runs the project office and has been on every call."),
            (REP, "Okay."),
        ],
    )
    assert "priya shah" not in people or people["priya shah"].role not in ("economic_buyer", "decision_maker")


def test_lowercase_asr_name_next_to_a_title(rules_analyzer) -> None:
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    people = _people(
        rules_analyzer,
        [
            ("Speaker 1", "and who makes the call on something like this"),
            ("Speaker 2", "that'd be karen oduya she's our ceo anything over fifty k lands on her"),
            ("Speaker 1", "okay got it"),
        ],
        sides,
    )
    karen = next(p for name, p in people.items() if "oduya" in name)
    assert karen.title == "CEO" and karen.decision_maker


def test_generic_title_patterns(rules_analyzer) -> None:
    people = _people(
        rules_analyzer,
        [
            (BUYER, "Ravi Shankar, our chief investment officer, has the final say."),
            (BUYER, "Tony Russo, our fleet director, will want to see the numbers too."),
        ],
    )
    ravi = people["ravi shankar"]
    assert ravi.title == "chief investment officer" and ravi.decision_maker
    assert people["tony russo"].title == "fleet director"


def test_speaker_named_from_here_intro_and_greeting_trimmed(rules_analyzer) -> None:
    call = make_call(
        [
            ("Speaker 1", "okay i think we're all here hi everyone"),
            ("Speaker 2", "hi yeah deb walsh here i'm the it security manager"),
            ("Speaker 3", "and i'm here too amir patel i'm the owner"),
        ],
        {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.BUYER},
    )
    rep = rules_analyzer.represent(call)
    said = name_speakers(rep.views, rep.docs)
    assert said["Speaker 2"] == "deb walsh" and said["Speaker 3"] == "amir patel"
    doc = rules_analyzer.nlp("hey kevin osei here from procurement")
    assert [p.text for p in doc.spans["people"]] == ["kevin osei"]


def test_lowercase_names_beside_an_owned_title(rules_analyzer) -> None:
    nlp = rules_analyzer.nlp

    def people(text: str) -> list[tuple[str, str | None]]:
        doc = nlp(text)
        return [(p.text, p._.title) for p in doc.spans["people"]]

    assert ("leon fischer", "administrator") in people("i will brief our county administrator leon fischer")
    assert ("walt emery", "board chair") in people("so walt emery our board chair signs it")
    assert people("we used it on the hospital job the owner required it") == []
    assert people("our vp sales signs everything over ten k") == []


def test_speaker_titles_from_self_descriptions(rules_analyzer) -> None:
    from extract.stakeholders import own_title

    nlp = rules_analyzer.nlp
    assert own_title(nlp("and i'm tamsin reyes i run property operations so vp of property ops")) == (
        "vp of property ops"
    )
    assert own_title(nlp("Stefan here, I run clinical operations.")) == "head of clinical operations"
    assert own_title(nlp("I run it past our CFO first.")) is None
    assert own_title(nlp("i run the numbers every week")) is None


def test_speaker_named_before_their_title(rules_analyzer) -> None:
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    call = make_call(
        [
            ("Speaker 1", "hi everyone thanks for joining"),
            ("Speaker 2", "and helena i'm the ceo so let's get into it"),
            ("Speaker 1", "great"),
        ],
        sides,
    )
    rep = rules_analyzer.represent(call)
    assert name_speakers(rep.views, rep.docs)["Speaker 2"] == "helena"


def test_first_person_cue_belongs_to_the_speaker(rules_analyzer) -> None:
    people = _people(
        rules_analyzer,
        [
            (REP, "How will the decision get made?"),
            (BUYER, "Picking the platform is my call. Owen Marsh, our CFO, holds the budget."),
            (REP, "Understood."),
        ],
    )
    assert people["tom becker"].decision_maker
    assert people["owen marsh"].role == "economic_buyer"


def test_lone_first_name_here_names_the_speaker(rules_analyzer) -> None:
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    lines = [("Speaker 1", "hi all"), ("Speaker 2", "yeah sorry sorry tony here i was scraping")]
    assert _said(rules_analyzer, lines, sides)["Speaker 2"] == "tony"


def test_greeted_speaker_is_no_part_of_a_here_intro(rules_analyzer) -> None:
    # "hi maren ruairi here": the buyer greets the rep (maren) and gives their own name (ruairi)
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER}
    lines = [
        ("Speaker 1", "hi there can everyone hear me okay this is maren from folioly"),
        ("Speaker 2", "yeah hi maren ruairi here ruairi doherty publisher at the courier"),
    ]
    said = _said(rules_analyzer, lines, sides)
    assert said["Speaker 1"] == "maren"
    assert said["Speaker 2"].split()[0] == "ruairi"
    people = {p.name.lower(): p for p in rules_analyzer.analyze(make_call(lines, sides)).stakeholders}
    assert "maren ruairi" not in people and any(n.startswith("ruairi") for n in people)


def _cues(analyzer, lines, sides=SIDES):
    """Each candidate's authority cues, by lowercase name."""
    from extract.stakeholders import candidates

    rep = analyzer.represent(make_call(lines, sides))
    people = candidates(rep.views, rep.docs, rep.sides, name_speakers(rep.views, rep.docs))
    return {p.name.lower(): p.cues for p in people}


def test_mine_names_the_speaker_as_the_one_who_chooses(rules_analyzer) -> None:
    cues = _cues(
        rules_analyzer,
        [
            (REP, "How does the decision get made?"),
            (BUYER, "Graham Toft, our CFO. The choice of system is mine, but he owns the budget."),
            (REP, "And the renewal itself?"),
            (BUYER, "The studio budget is mine and I sign the renewal."),
        ],
    )
    assert "decision_maker" in cues["tom becker"] and "economic_buyer" in cues["tom becker"]
    assert "economic_buyer" in cues["graham toft"]


def test_a_decision_that_is_not_mine_gives_the_speaker_no_cue(rules_analyzer) -> None:
    cues = _cues(
        rules_analyzer,
        [
            (REP, "Who makes the call on the platform?"),
            (BUYER, "That's Douglas Fairweather's call, not mine. The selection isn't mine either."),
            (REP, "Understood."),
        ],
    )
    assert not {"decision_maker", "economic_buyer"} & set(cues.get("tom becker", []))
    assert "decision_maker" in cues["douglas fairweather"]


def test_lowercase_names_the_census_lacks_are_read_from_context(rules_analyzer) -> None:
    nlp = rules_analyzer.nlp
    spotted = [
        [e.text for e in nlp(text).ents if e.label_ == "PERSON"]
        for text in (
            "my dad joost hoogendijk owns the place he signs anything over ten grand",
            "yeah so ysolde harrower she co owns the practice with me",
            "i've been bugging glenda about this since like last winter",
        )
    ]
    assert spotted == [["joost hoogendijk"], ["ysolde harrower"], ["glenda"]]


def test_speakers_named_after_an_audio_check_or_with_no_greeting(rules_analyzer) -> None:
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.BUYER}
    lines = [
        ("Speaker 1", "hi everyone this is torsten from growlab can you hear me"),
        ("Speaker 2", "yeah we got you hi torsten it's marieke hoogendijk and uh my colleague is here too"),
        ("Speaker 1", "great and who else do we have"),
        ("Speaker 3", "sure wade hurlbut i own the freight side of things"),
    ]
    said = _said(rules_analyzer, lines, sides)
    assert said["Speaker 2"] == "marieke hoogendijk" and said["Speaker 3"] == "wade hurlbut"


def test_a_title_or_a_mid_turn_its_is_no_speaker_name(rules_analyzer) -> None:
    sides = {"Speaker 1": Side.REP, "Speaker 2": Side.BUYER, "Speaker 3": Side.BUYER, "Speaker 4": Side.BUYER}
    lines = [
        ("Speaker 1", "hi everyone this is tadhg from larchpeak"),
        ("Speaker 2", "yeah loud and clear sure jarek kowalczyk i'm plant manager i run the works"),
        ("Speaker 3", "hi tadhg it's maartje de wit i'm director of mountain operations"),
        ("Speaker 4", "yeah hi"),
        ("Speaker 1", "great so how did the rollout go"),
        ("Speaker 4", "fine mostly"),
        ("Speaker 4", "so it's adoption not the product really"),
    ]
    said = _said(rules_analyzer, lines, sides)
    assert said["Speaker 2"] == "jarek kowalczyk"
    assert said["Speaker 3"].startswith("maartje") and "Speaker 4" not in said
