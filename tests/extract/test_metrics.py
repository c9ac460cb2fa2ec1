from extract.metrics import call_metrics, count_questions, speaker_metrics
from transcribe.types import Participant, Side, Transcript, Utterance


def _call() -> Transcript:
    utts = (
        Utterance("Rep", 0.0, "Thanks for joining. How is your quarter going?", end=10.0),
        Utterance("Buyer", 11.0, "Busy. We are hiring.", end=21.0),
        Utterance("Rep", 23.0, "Got it.", end=25.0),
        Utterance("Rep", 25.0, "What tools do you use today?", end=35.0),
        Utterance("Buyer", 36.0, "Mostly spreadsheets.", end=40.0),
    )
    people = (Participant("Rep", Side.REP), Participant("Buyer", Side.BUYER))
    return Transcript(date=__import__("datetime").date(2026, 1, 5), participants=people, utterances=utts)


def test_talk_metrics() -> None:
    call = _call()
    sides = {"Rep": "rep", "Buyer": "buyer"}
    speakers = {s.name: s for s in speaker_metrics(call, sides)}
    rep, buyer = speakers["Rep"], speakers["Buyer"]
    assert rep.talk_s == 22.0 and buyer.talk_s == 14.0
    assert abs(rep.talk_ratio - 22 / 36) < 1e-3
    assert rep.longest_monologue_s == 12.0  # 23..35, two utterances in a row
    assert rep.questions == 2 and buyer.questions == 0
    assert rep.patience_s == 2.0  # one buyer->rep switch, 21 -> 23
    metrics = call_metrics(call, tuple(speakers.values()), sides)
    assert metrics.patience_s == 2.0
    assert abs(metrics.interactivity - 3 / (40 / 60)) < 1e-3  # 3 switches in 40 s


def test_questions_in_asr_text() -> None:
    assert count_questions("do you use salesforce today") == 1
    assert count_questions("we use salesforce") == 0
    assert count_questions("Really? And why? Ok.") == 2
