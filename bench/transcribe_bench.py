"""Benchmark the transcribe stage against bare faster-whisper, and score diarization on AMI.

    .venv/bin/python bench/transcribe_bench.py [--minutes 5.5] [--repeats 2]

In one process and on the same audio it measures:

* the whole step (`WhisperEngine.transcribe`: decode + VAD + Whisper + merge or diarize) against
  bare faster-whisper with the same model and settings (decode with `faster_whisper.decode_audio`,
  `WhisperModel.transcribe(vad_filter=True, word_timestamps=True, beam_size=1,
  condition_on_previous_text=False)`, per channel for stereo), on a synthetic two-party call of
  at least five minutes synthesised with espeak-ng (two voices, one per channel, varied lines);
* the real-time factor (wall seconds / audio seconds) on the configured CPU threads;
* peak resident memory of a child process that only loads the engine and transcribes the call
  (`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`);
* the diarization error rate (frame-based, 10 ms, Hungarian speaker mapping, overlap counted,
  collar 0.25 s and 0 s) of the engine's mono diarizer on the four AMI 30 s clips.

Runs alternate (ours then bare, bare then ours, ...) and the fastest of each is kept, because the
machine is shared. A table goes to stdout, JSON to bench/out/transcribe_bench.json
(`--der-only`: just the AMI scores, to bench/out/transcribe_der.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transcribe.audio import SAMPLE_RATE, decode_audio  # noqa: E402
from transcribe.diarize import Diarizer, detect_speech  # noqa: E402
from transcribe.engine import WhisperEngine  # noqa: E402
from transcribe.metrics import diarization_error, read_rttm  # noqa: E402
from transcribe.types import TranscribeOptions, Transcript  # noqa: E402

OUT = REPO / "bench" / "out"
FIXTURE_CALL = REPO / "fixtures" / "audio" / "call_stereo.flac"
AMI = REPO.parent / "shared" / "data" / "audio" / "ami-meeting-30s"
DATE = dt.date(2026, 3, 2)


_REP_LINES = (
    "Thanks for joining, {name}. Today I want to cover {topic}.",
    "Our {product} plan starts at {price} dollars per seat per month.",
    "Most teams of {n} people roll it out in about {weeks} weeks.",
    "Can you tell me how you handle {topic} today?",
    "I can set up a pilot for {n} users starting on {day}.",
    "Who else should be involved in the decision about {topic}?",
    "We integrate with {tool}, so your data stays in one place.",
)
_BUYER_LINES = (
    "Right now we use {tool} and a lot of spreadsheets.",
    "Our main concern is {concern}.",
    "We have about {n} people on the team, maybe more next year.",
    "I would need to check with our {role} before we commit.",
    "The budget for this quarter is around {price} thousand dollars.",
    "Can you send me the details by {day}?",
    "Honestly, {concern} has been a problem for us.",
)
_FILLS = {
    "name": ("Tom", "Priya", "Marcus", "Elena"),
    "topic": ("onboarding", "forecasting", "call coaching", "pipeline reviews", "renewals"),
    "product": ("starter", "growth", "enterprise"),
    "price": ("twenty", "forty five", "sixty", "one hundred"),
    "n": ("twelve", "forty", "eighty", "two hundred"),
    "weeks": ("two", "three", "six"),
    "day": ("Monday", "Thursday", "Friday", "the first of next month"),
    "tool": ("Salesforce", "HubSpot", "Gong", "a shared calendar"),
    "concern": ("data security", "the price", "adoption by the reps", "the contract length"),
    "role": ("finance team", "security lead", "vice president of sales", "legal department"),
}


def make_long_call(minutes: float, path: Path) -> float:
    """Write a stereo two-party call of at least `minutes` (rep left, buyer right); return seconds.

    With espeak-ng on PATH the call is synthesised from varied, seeded sentences, so Whisper sees
    no looped text; without it the fixture call is looped (repetitive text makes Whisper retry).
    """
    rng = np.random.default_rng(0)
    speak = shutil.which("espeak-ng")
    pieces: list[np.ndarray] = []
    total, turn = 0, 0
    while total < minutes * 60 * SAMPLE_RATE:
        if speak is None:
            block = decode_audio(FIXTURE_CALL)
        else:
            block = _say(speak, rng, rep=turn % 2 == 0)
        gap = np.zeros((2, int(rng.uniform(0.3, 1.5) * SAMPLE_RATE)), dtype=np.float32)
        pieces += [block, gap]
        total += block.shape[1] + gap.shape[1]
        turn += 1
    audio = np.concatenate(pieces, axis=1)
    _write_wav(path, audio)
    return float(audio.shape[1] / SAMPLE_RATE)


def _say(speak: str, rng: np.random.Generator, rep: bool) -> np.ndarray:
    template = str(rng.choice(_REP_LINES if rep else _BUYER_LINES))
    text = template.format(**{key: str(rng.choice(values)) for key, values in _FILLS.items()})
    voice = "en-us+f2" if rep else "en-gb+m3"
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "line.wav"
        subprocess.run([speak, "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        mono = decode_audio(wav)[0] * np.float32(rng.uniform(0.6, 0.9))
    silent = np.zeros_like(mono)
    return np.stack([mono, silent] if rep else [silent, mono])


def _write_wav(path: Path, audio: np.ndarray) -> None:
    layout = "stereo" if audio.shape[0] == 2 else "mono"
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout=layout)
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm), format="s16", layout=layout)
        frame.rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def bare_faster_whisper(model: Any, path: Path, options: TranscribeOptions, stereo: bool) -> int:
    """Plain faster-whisper: decode, then transcribe each channel; return the word count."""
    from faster_whisper import decode_audio as fw_decode

    channels = fw_decode(str(path), split_stereo=True) if stereo else (fw_decode(str(path)),)
    words = 0
    for samples in channels:
        segments, _ = model.transcribe(
            samples,
            language=options.language,
            beam_size=options.beam_size,
            vad_filter=True,
            word_timestamps=True,
            condition_on_previous_text=False,
        )
        words += sum(len(segment.words or ()) for segment in segments)
    return words


def compare(engine: WhisperEngine, bare: Any, path: Path, stereo: bool, repeats: int) -> dict[str, Any]:
    """Time the engine and bare faster-whisper on `path`; keep each one's fastest run.

    The order flips every repeat, so neither side always runs right after the other (OpenMP
    workers of the previous run are still spinning for a moment).
    """
    ours: list[float] = []
    theirs: list[float] = []
    transcript: Transcript | None = None
    words_bare = 0
    for repeat in range(repeats):
        for side in ("ours", "bare") if repeat % 2 == 0 else ("bare", "ours"):
            start = time.perf_counter()
            if side == "ours":
                transcript = engine.transcribe(path, date=DATE)
                ours.append(time.perf_counter() - start)
            else:
                words_bare = bare_faster_whisper(bare, path, engine.options, stereo)
                theirs.append(time.perf_counter() - start)
    assert transcript is not None
    return {
        "ours_s": min(ours),
        "bare_s": min(theirs),
        "ratio": min(ours) / min(theirs),
        "runs_ours_s": ours,
        "runs_bare_s": theirs,
        "words_ours": sum(len(u.words) for u in transcript.utterances),
        "words_bare": words_bare,
        "speakers": [p.name for p in transcript.participants],
        "mode": transcript.extra.get("channels"),
    }


def peak_memory(path: Path) -> float:
    """Peak RSS (MiB) of a fresh process that loads the engine and transcribes `path` once."""
    code = (
        "import sys, datetime; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path; from transcribe.engine import WhisperEngine;"
        "WhisperEngine().transcribe(Path(sys.argv[2]), date=datetime.date(2026, 3, 2))"
    )
    subprocess.run([sys.executable, "-c", code, str(REPO), str(path)], check=True)
    return float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def ami_der() -> dict[str, Any]:
    """Diarize the AMI 30 s clips as the engine does and score them against the RTTM references."""
    if not AMI.is_dir():
        return {"skipped": f"{AMI} not found"}
    rttm = "".join(path.read_text() for path in sorted(AMI.glob("debug.*.rttm")))
    diarizer = Diarizer()
    clips: dict[str, Any] = {}
    totals = {0.25: [0.0, 0.0], 0.0: [0.0, 0.0]}
    for wav in sorted(AMI.glob("*.wav")):
        samples = decode_audio(wav).mean(axis=0)
        start = time.perf_counter()
        turns = diarizer.diarize(samples, detect_speech(samples))
        elapsed = time.perf_counter() - start
        hypothesis = [(t.start, t.end, str(t.speaker)) for t in turns]
        reference = read_rttm(rttm, wav.stem)
        row: dict[str, Any] = {
            "speakers_ref": len({r[2] for r in reference}),
            "speakers_hyp": len({h[2] for h in hypothesis}),
            "seconds": elapsed,
        }
        for collar, total in totals.items():
            score = diarization_error(
                reference, hypothesis, duration=len(samples) / SAMPLE_RATE, collar=collar
            )
            row[f"der_collar_{collar}"] = score.der
            row[f"parts_collar_{collar}"] = {
                "missed_s": score.missed_s,
                "false_alarm_s": score.false_alarm_s,
                "confusion_s": score.confusion_s,
                "reference_s": score.reference_s,
            }
            total[0] += score.der * score.reference_s
            total[1] += score.reference_s
        clips[wav.stem] = row
    pooled = {f"der_collar_{c}": t[0] / t[1] if t[1] else 0.0 for c, t in totals.items()}
    return {"clips": clips, "pooled": pooled, "pooled_two_party": _pooled(clips, max_speakers=2)}


def _pooled(clips: dict[str, Any], max_speakers: int) -> dict[str, float]:
    """DER over the clips with at most `max_speakers` reference speakers (the sales-call case)."""
    pooled: dict[str, float] = {}
    for collar in (0.25, 0.0):
        rows = [row for row in clips.values() if row["speakers_ref"] <= max_speakers]
        reference = sum(row[f"parts_collar_{collar}"]["reference_s"] for row in rows)
        errors = sum(
            row[f"der_collar_{collar}"] * row[f"parts_collar_{collar}"]["reference_s"] for row in rows
        )
        pooled[f"der_collar_{collar}"] = errors / reference if reference else 0.0
    return pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--der-only", action="store_true", help="only score diarization on AMI")
    args = parser.parse_args()
    if args.der_only:
        OUT.mkdir(parents=True, exist_ok=True)
        ami = ami_der()
        (OUT / "transcribe_der.json").write_text(json.dumps(ami, indent=2))
        print_der(ami)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    from faster_whisper import WhisperModel

    stereo_path, mono_path = OUT / "long_call_stereo.wav", OUT / "long_call_mono.wav"
    seconds = make_long_call(args.minutes, stereo_path)
    _write_wav(mono_path, decode_audio(stereo_path).mean(axis=0, keepdims=True))
    options = TranscribeOptions()
    engine = WhisperEngine(options)
    bare = WhisperModel(
        engine_model_dir(options),
        device="cpu",
        compute_type=options.compute_type,
        cpu_threads=options.cpu_threads,
    )
    engine.transcribe(FIXTURE_CALL, date=DATE)  # warm both paths once
    results: dict[str, Any] = {
        "audio_s": seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "threads": options.cpu_threads,
            "python": platform.python_version(),
        },
        "settings": {"compute_type": options.compute_type, "beam_size": options.beam_size},
        "stereo": compare(engine, bare, stereo_path, stereo=True, repeats=args.repeats),
        "mono": compare(engine, bare, mono_path, stereo=False, repeats=args.repeats),
        "ami": ami_der(),
        "peak_rss_mib": {"stereo": peak_memory(stereo_path)},
    }
    for mode in ("stereo", "mono"):
        results[mode]["rtf"] = results[mode]["ours_s"] / seconds
    (OUT / "transcribe_bench.json").write_text(json.dumps(results, indent=2))
    print_table(results)


def engine_model_dir(options: TranscribeOptions) -> str:
    from transcribe.engine import default_model_dir

    return options.model_dir or default_model_dir()


def print_table(results: dict[str, Any]) -> None:
    print(f"audio: {results['audio_s']:.1f} s synthetic two-party call, {results['machine']}")
    print(f"{'mode':8} {'ours s':>8} {'bare s':>8} {'ratio':>6} {'RTF':>6} {'words ours/bare':>16}")
    for mode in ("stereo", "mono"):
        r = results[mode]
        words = f"{r['words_ours']}/{r['words_bare']}"
        print(f"{mode:8} {r['ours_s']:8.2f} {r['bare_s']:8.2f} {r['ratio']:6.2f} {r['rtf']:6.3f} {words:>16}")
    print(f"peak RSS (fresh process, stereo call): {results['peak_rss_mib']['stereo']:.0f} MiB")
    print_der(results["ami"])


def print_der(ami: dict[str, Any]) -> None:
    if "clips" not in ami:
        print(f"AMI: {ami['skipped']}")
        return
    print(f"{'AMI clip':8} {'spk ref/hyp':>11} {'DER c0.25':>9} {'DER c0':>7}")
    for name, row in ami["clips"].items():
        speakers = f"{row['speakers_ref']}/{row['speakers_hyp']}"
        print(f"{name:8} {speakers:>11} {row['der_collar_0.25']:9.3f} {row['der_collar_0.0']:7.3f}")
    for label, key in (("pooled", "pooled"), ("2-party", "pooled_two_party")):
        pooled = ami[key]
        print(f"{label:8} {'':>11} {pooled['der_collar_0.25']:9.3f} {pooled['der_collar_0.0']:7.3f}")


if __name__ == "__main__":
    main()
