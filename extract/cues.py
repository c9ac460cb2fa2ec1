"""Regular-expression cues shared by the rule features and the extractors.

The phrase lists live in patterns/cues.jsonl ({"name", "regex"}); every cue matches whole
words case-insensitively, so it works on lowercase unpunctuated ASR text too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CUES_PATH = Path(__file__).resolve().parent / "patterns" / "cues.jsonl"


def _load(path: Path = CUES_PATH) -> dict[str, re.Pattern[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["name"]: re.compile(r"\b(?:" + row["regex"] + r")\b", re.IGNORECASE) for row in rows}


_ALL = _load()
SELF_COMMIT = _ALL["SELF_COMMIT"]  # "I'll", "let me"
WE_COMMIT = _ALL["WE_COMMIT"]  # "we'll"
LETS = _ALL["LETS"]  # "let's", "shall we"
YOU_ASK = _ALL["YOU_ASK"]  # "could you", "you'll"
ACTION_VERB = _ALL["ACTION_VERB"]  # send, schedule, loop in ...
PAST = _ALL["PAST"]  # already done
HYPOTHETICAL = _ALL["HYPOTHETICAL"]  # "if we went ahead we'd ..."
VAGUE = _ALL["VAGUE"]  # "sometime", "at some point"
DECLINE = _ALL["DECLINE"]  # "that won't work"
ACCEPT = _ALL["ACCEPT"]  # "sounds good"
QUESTION = _ALL["QUESTION"]  # "does it", "how much"
CONCERN = _ALL["CONCERN"]  # "sticking point", "not sure"
ACCEPTANCE = _ALL["ACCEPTANCE"]  # a buyer accepting an answer: "that works", "makes sense"
RESOLVED = _ALL["RESOLVED"]  # a past problem already solved: "they fixed it", "that's behind us"
OWN_LIMIT = _ALL["OWN_LIMIT"]  # the speaker cannot decide or sign this: "I can't sign this myself"
# a concern announced: "I'll be honest", "my big thing is" (cues match cleaned text, where the
# filler "you know" is gone, so "just so you know" is not one of them)
DISCLOSURE = _ALL["DISCLOSURE"]
REFUSAL = _ALL["REFUSAL"]  # a flat no: "that won't fly", "dead on arrival", "I'm not paying for that"
CURIOUS = _ALL["CURIOUS"]  # a neutral question asked out of interest: "just curious", "not a blocker"
CATEGORY_CUES: dict[str, re.Pattern[str]] = {
    name.split(":", 1)[1]: rx for name, rx in _ALL.items() if name.startswith("CATEGORY:")
}
FILLERS = re.compile(r"\b(?:um+|uh+|er+|ah+|hmm+|mm+|you know|i mean|like)\b[,]?\s*", re.IGNORECASE)


def count(rx: re.Pattern[str], text: str) -> int:
    """Return how many times `rx` matches `text`."""
    return len(rx.findall(text))


def clean(text: str) -> str:
    """Drop fillers and collapse repeated words ("we we'll" -> "we'll") for display and matching."""
    text = FILLERS.sub("", text)
    text = re.sub(r"\b(\w+)(?:\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", text).strip()
