"""The `dealsignal` command line: analyze, users, and clear one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CALL = REPO / "fixtures" / "corpus" / "train" / "train-a-04-logistics-negotiation.json"
CONTRACT_FIELDS = {
    "call": {"id", "date", "duration_s", "language"},
    "speakers": {"name", "side", "talk_ratio", "longest_monologue_s", "questions"},
    "utterances": {"index", "speaker", "side", "start", "end", "text"},
    "next_steps": {"utterance", "text", "action", "owner", "owner_side", "due", "confirmed", "confidence"},
    "stakeholders": {"name", "title", "role", "decision_maker", "on_call", "utterances", "confidence"},
    "objections": {"utterance", "category", "text", "addressed", "confidence"},
}


def dealsignal(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DEALSIGNAL_DATA_DIR": str(data_dir)}
    env.pop("DEALSIGNAL_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        input=stdin,
        timeout=600,
    )


def test_analyze_prints_every_contract_field(tmp_path: Path) -> None:
    done = dealsignal("analyze", str(CALL), "--format", "json", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    insights = json.loads(done.stdout)
    for section, fields in CONTRACT_FIELDS.items():
        value = insights[section]
        items = value if isinstance(value, list) else [value]
        assert items, section
        for item in items:
            assert fields <= set(item), (section, fields - set(item))
    assert set(insights["mentions"]) >= {"competitors", "budget", "timeline", "pain_points"}
    assert insights["methodology"]["framework"] == "MEDDICC"
    assert insights["call"]["date"] == "2026-03-16"
    assert all(s["due"] is None or s["due"] >= "2026-03-16" for s in insights["next_steps"])


def test_analyze_text_and_date_override(tmp_path: Path) -> None:
    transcript = REPO / "fixtures" / "transcripts" / "call.vtt"
    done = dealsignal(
        "analyze", str(transcript), "--format", "text", "--date", "2026-03-02", data_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Next steps" in done.stdout and "Stakeholders" in done.stdout
    assert "2026-03-02" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["analyze", "missing.json"], "no such file"),
        (["analyze", "fixtures/transcripts/call.vtt", "--date", "tomorrow"], "not a date"),
        (["analyze", "fixtures/transcripts/call.vtt", "--format", "xml"], "--format"),
        (["analyze", "pyproject.toml"], "pyproject.toml"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], needle: str) -> None:
    done = dealsignal(*args, data_dir=tmp_path)
    assert done.returncode != 0
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_transcript_names_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "date": "2026-01-01",
                "participants": [{"name": "A", "side": "rep"}],
                "utterances": [{"speaker": "B", "start": 0, "text": "hi"}],
            }
        )
    )
    done = dealsignal("analyze", str(bad), data_dir=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: utterances[0].speaker: 'B' is not a participant"


def test_users_create_prints_key_last(tmp_path: Path) -> None:
    done = dealsignal(
        "users",
        "create",
        "--name",
        "Sam Patel",
        "--email",
        "sam@x.example",
        "--role",
        "manager",
        data_dir=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("ds_") and " " not in key
    again = dealsignal(
        "users", "create", "--name", "Sam", "--email", "sam@x.example", "--role", "manager", data_dir=tmp_path
    )
    assert again.returncode != 0 and "sam@x.example" in again.stderr
    bad_role = dealsignal(
        "users", "create", "--name", "X", "--email", "x@x.example", "--role", "boss", data_dir=tmp_path
    )
    assert bad_role.returncode != 0


def test_unreachable_database_is_reported(tmp_path: Path) -> None:
    env_url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    env = os.environ | {"DEALSIGNAL_DATA_DIR": str(tmp_path), "DEALSIGNAL_DATABASE_URL": env_url}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 3
    assert "cannot connect to the database" in done.stderr
    assert "Traceback" not in done.stderr


def test_review_prints_the_team_review(tmp_path: Path) -> None:
    created = dealsignal(
        "users", "create", "--name", "Sam", "--email", "sam@x.example", "--role", "manager", data_dir=tmp_path
    )
    assert created.returncode == 0, created.stderr
    done = dealsignal("review", "--team", "sam@x.example", "--week", "2026-W10", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Pipeline review — team sam@x.example, week 2026-W10" in done.stdout
    as_json = dealsignal("review", "--team", "sam@x.example", "--format", "json", data_dir=tmp_path)
    assert set(json.loads(as_json.stdout)) >= {"at_risk", "movement", "next_steps", "coverage", "hygiene"}
    unknown = dealsignal("review", "--team", "nobody@x.example", data_dir=tmp_path)
    assert unknown.returncode == 2 and "no manager" in unknown.stderr
    bad_week = dealsignal("review", "--team", "sam@x.example", "--week", "soon", data_dir=tmp_path)
    assert bad_week.returncode == 2 and "--week" in bad_week.stderr
