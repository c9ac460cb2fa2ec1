"""Benchmark the extract stage: model load time, analysis of a 1,000-utterance call, peak memory.

    python bench/extract_bench.py [--utterances 1000] [--threads 2]

Prints the figures and writes bench/out/extract_bench.json. The split says where the time goes:
spaCy alone, the encoder alone (on its `--threads` threads), the encoder with the objection
model's tuned layer (side by side with the plain encoder: what the extra layer costs), both as
`represent` runs them (at the same time), and the rest of `analyze` (heads, extractors,
metrics). Each is a median of 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

from extract import cues
from extract.analyzer import Analyzer, ExtractOptions
from extract.represent import encode_unique, encode_with, parse
from transcribe.types import Participant, Side, Transcript, Utterance

LINES = (
    ("Dana Ruiz", "Thanks for making time today, how is the rollout going on your side?"),
    ("Tom Becker", "Honestly it's slow, our team spends hours every week reconciling spreadsheets by hand."),
    ("Dana Ruiz", "Got it. What would it mean for you if that work went away entirely?"),
    (
        "Tom Becker",
        "That's a lot more than we budgeted, and Sarah Chen, our CFO, signs off on anything over fifty K.",
    ),
    ("Dana Ruiz", "Understood. I'll send the pricing options and the security overview by Friday."),
    ("Tom Becker", "Sounds good. um we also use gong today so i'd need to compare the two"),
    (
        "Dana Ruiz",
        "Let's schedule a follow-up for Thursday at 2 with Sarah to walk through the business case.",
    ),
    ("Tom Becker", "Works for me. Our contract with the current vendor renews in March."),
)


TAILS = (
    "We have about forty people on the team.",
    "That came up in the last review too.",
    "It depends on the region and the season.",
    "The numbers are in the sheet I mentioned.",
    "Legal will want to see the final version.",
    "Most of that work happens on Mondays.",
    "We tried something similar two years ago.",
)


def make_transcript(n: int) -> Transcript:
    """Build an n-utterance call of distinct, realistic lines (2.5 words/s)."""
    t, utts = 0.0, []
    for i in range(n):
        speaker, line = LINES[i % len(LINES)]
        tail = TAILS[(i * 3) % len(TAILS)] if i % 3 == 0 else ""
        text = f"{line} {tail} Point {i + 1}.".replace("  ", " ")  # distinct texts: no encode cache hits
        dur = len(text.split()) / 2.5
        utts.append(Utterance(speaker=speaker, start=round(t, 2), end=round(t + dur, 2), text=text))
        t += dur + 0.4
    people = (Participant("Dana Ruiz", Side.REP), Participant("Tom Becker", Side.BUYER))
    return Transcript(date=dt.date(2026, 3, 2), participants=people, utterances=tuple(utts), id="bench")


def _split(analyzer: Analyzer, transcript: Transcript) -> dict[str, float]:
    """Median seconds of spaCy alone, the encoder alone and both together (`represent`)."""
    texts = [cues.clean(u.text) for u in transcript.utterances]
    parts: dict[str, Callable[[], object]] = {
        "spacy_s": lambda: parse(analyzer.nlp, texts, transcript),
        "encoder_s": lambda: encode_unique(analyzer.encoder, texts),
        "encoder_tuned_s": lambda: encode_with(analyzer.encoder, texts, "tuned"),
        "represent_s": lambda: analyzer.represent(transcript),
    }
    runs: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(3):  # rounds, each running every part once: the parts see the same machine load
        for name, part in parts.items():
            start = time.perf_counter()
            part()
            runs[name].append(time.perf_counter() - start)
    return {name: round(sorted(times)[1], 2) for name, times in runs.items()}


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--utterances", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--float", action="store_true", help="float encoder instead of the default int8")
    args = ap.parse_args()
    start = time.perf_counter()
    analyzer = Analyzer.load(ExtractOptions(threads=args.threads, quantize=not args.float))
    load_s = time.perf_counter() - start
    transcript = make_transcript(args.utterances)
    analyzer.analyze(make_transcript(20))  # warm-up
    runs, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        insights = analyzer.analyze(transcript)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    split = _split(analyzer, transcript)
    split["rest_s"] = round(max(0.0, sorted(runs)[1] - split["represent_s"]), 2)
    result = {
        "utterances": args.utterances,
        "threads": args.threads,
        "quantize": not args.float,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "load_s": round(load_s, 2),
        "analyze_s_median": round(sorted(runs)[1], 2),
        "analyze_s_runs": [round(r, 2) for r in runs],
        "analyze_cpu_s_median": round(sorted(cpu)[1], 2),  # all threads; steadier than wall time when busy
        "split": split,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "next_steps": len(insights.next_steps),
        "objections": len(insights.objections),
    }
    print(json.dumps(result, indent=1))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "extract_bench.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
