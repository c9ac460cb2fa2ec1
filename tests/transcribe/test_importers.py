"""Transcript import: every accepted format, and errors that name the field and position."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from transcribe.errors import TranscriptFormatError
from transcribe.importers import load_transcript, parse_transcript
from transcribe.json_format import transcript_from_json, transcript_to_json
from transcribe.types import Participant, Side

REPO = Path(__file__).resolve().parents[2]
TRANSCRIPTS = REPO / "fixtures" / "transcripts"
DATE = dt.date(2026, 3, 2)


def _valid() -> dict:
    return {
        "id": "07-acme-renewal",
        "date": "2026-03-02",
        "participants": [
            {"name": "Dana Ruiz", "side": "rep", "email": "dana@seller.example"},
            {"name": "Tom Becker", "side": "buyer"},
        ],
        "utterances": [
            {"speaker": "Dana Ruiz", "start": 0.0, "end": 4.1, "text": "Thanks for making time, Tom."},
            {"speaker": "Tom Becker", "start": 4.3, "text": "Sure. Quick one today."},
        ],
    }


def test_json_contract_example_parses() -> None:
    transcript = parse_transcript(json.dumps(_valid()).encode(), filename="call.json")
    assert transcript.id == "07-acme-renewal"
    assert transcript.date == DATE
    assert transcript.side_of("Dana Ruiz") is Side.REP
    assert transcript.utterances[1].end is None
    assert transcript.participants[0].email == "dana@seller.example"


def test_json_timestamp_date_keeps_time() -> None:
    document = _valid() | {"date": "2026-03-02T15:30:00Z"}
    transcript = transcript_from_json(document)
    assert transcript.date == DATE
    assert transcript.started_at == dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)


def test_json_round_trips() -> None:
    first = transcript_from_json(_valid())
    again = transcript_from_json(transcript_to_json(first))
    assert again.utterances == first.utterances
    assert again.participants == first.participants


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["utterances"][1].update(speaker="Tom"),
            "utterances[1].speaker: 'Tom' is not a participant",
        ),
        (lambda d: d.pop("date"), "date: is required"),
        (lambda d: d.update(date="March 2nd"), "date: 'March 2nd' is not a date"),
        (lambda d: d.update(date="2026-02-30"), "date: '2026-02-30' is not a date"),
        (lambda d: d["participants"][1].update(side="customer"), "participants[1].side: must be rep, buyer"),
        (lambda d: d["participants"].append({"name": "Dana Ruiz", "side": "rep"}), "participants[2].name"),
        (lambda d: d["utterances"][1].update(start=-1), "utterances[1].start: must not be negative"),
        (
            lambda d: d["utterances"][0].update(start=5.0, end=6.0),
            "utterances[1].start: 4.3 is before the previous",
        ),
        (lambda d: d["utterances"][0].update(end=0.0, start=2.0), "utterances[0].end"),
        (lambda d: d["utterances"][0].pop("text"), "utterances[0].text: is required"),
        (lambda d: d["utterances"][0].update(start="zero"), "utterances[0].start: must be a number"),
        (lambda d: d.update(participants=[]), "participants: must be a non-empty list"),
        (lambda d: d.update(utterances={}), "utterances: must be a list"),
    ],
)
def test_json_errors_name_field_and_position(mutate, message: str) -> None:
    document = _valid()
    mutate(document)
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript(json.dumps(document).encode(), filename="call.json")
    assert message in str(caught.value)


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(TranscriptFormatError, match=r"line 1 column 23: x.json is not valid JSON"):
        parse_transcript(b'{"date": "2026-03-02",}', filename="x.json")


@pytest.mark.parametrize("data", [b"", b"   \n"])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(TranscriptFormatError, match="empty"):
        parse_transcript(data, filename="call.vtt")


def test_binary_file_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="not UTF-8"):
        parse_transcript(b"\xff\xfe\x00\x01\x80\x81", filename="call.txt")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="unknown transcript format"):
        parse_transcript(b"just some words", filename="call.docx")


@pytest.mark.parametrize("name", ["call.vtt", "call.srt", "call.txt"])
def test_subtitle_and_text_formats_agree(name: str) -> None:
    transcript = load_transcript(TRANSCRIPTS / name, date=DATE)
    speakers = [u.speaker for u in transcript.utterances]
    assert speakers == ["Dana Ruiz", "Tom Becker", "Dana Ruiz"]
    assert transcript.utterances[1].text.startswith("Sure. Quick one today")
    assert "board prep" in transcript.utterances[1].text  # consecutive cues of one speaker join
    assert transcript.utterances[2].text.endswith("I'll send the MSA redlines by Friday.")
    assert transcript.utterances[2].start == pytest.approx(9.0, abs=0.5)
    assert transcript.date == DATE
    assert {p.side for p in transcript.participants} == {Side.UNKNOWN}


def test_vtt_voice_tags_and_times() -> None:
    transcript = load_transcript(TRANSCRIPTS / "call.vtt", date=DATE)
    first = transcript.utterances[0]
    assert (first.start, first.end) == (0.0, 4.1)
    assert "Sarah Chen" in transcript.utterances[1].text


def test_untimed_text_gets_estimated_times() -> None:
    transcript = load_transcript(TRANSCRIPTS / "untimed.txt", date=DATE)
    starts = [u.start for u in transcript.utterances]
    assert starts == sorted(starts) and starts[0] == 0.0 and starts[-1] > 2.0
    assert [p.name for p in transcript.participants] == ["Speaker 1", "Speaker 2"]


def test_known_participants_give_sides_and_catch_strangers() -> None:
    people = (Participant("Dana Ruiz", Side.REP), Participant("Tom Becker", Side.BUYER))
    transcript = parse_transcript(
        (TRANSCRIPTS / "call.txt").read_bytes(), filename="c.txt", participants=people
    )
    assert transcript.side_of("Tom Becker") is Side.BUYER
    with pytest.raises(TranscriptFormatError, match="line 2: speaker 'Tom Becker' is not a participant"):
        parse_transcript((TRANSCRIPTS / "call.txt").read_bytes(), filename="c.txt", participants=people[:1])


def test_text_line_without_speaker_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="line 1: expected 'Speaker: text'"):
        parse_transcript(b"hello there, no label here at all my friend", filename="c.txt")


def test_text_times_must_not_go_back() -> None:
    with pytest.raises(TranscriptFormatError, match="line 2"):
        parse_transcript(b"[00:00:10] A: hi\n[00:00:02] B: hello\n", filename="c.txt")


def test_vtt_cue_without_timing_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="line 3: WebVTT cue has no"):
        parse_transcript(b"WEBVTT\n\n<v A>hello\n", filename="c.vtt")


def test_srt_cue_ending_before_start_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="line 2: SRT cue ends before it starts"):
        parse_transcript(b"1\n00:00:05,000 --> 00:00:01,000\nA: hi\n", filename="c.srt")


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptFormatError, match="cannot read"):
        load_transcript(tmp_path / "absent.json")
