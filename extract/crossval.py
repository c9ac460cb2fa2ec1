"""Cross-validated insights on the train split: each call is analysed by heads fitted without it.

python -m extract.crossval fixtures/corpus/train OUT_DIR [--folds 5] [--extra NEW_CALLS_DIR]
python /work/shared/eval/score_insights.py fixtures/corpus/train --pred-dir OUT_DIR

python -m extract.crossval fixtures/corpus/train --objection-model [--extra NEW_CALLS_DIR]
prints the objection model's inner out-of-fold F1 alone (category right; 3 folds, about 20
minutes for 200 calls on 2 cores against an hour for the end-to-end run with `--folds 3`).

This is the end-to-end measure to tune on (stakeholders, decision makers, categories and owners
included, as the scorer counts them): the dev split is for measuring only. Every call is
represented once; each fold refits the heads ("full" variant) on the other folds' calls.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from spacy.language import Language

from extract.analyzer import Analyzer, ExtractOptions
from extract.engine import Encoder, MiniLMEncoder
from extract.heads import HeadSet
from extract.pipeline import build_nlp
from extract.prototypes import Prototypes
from extract.training import (
    LabelledCall,
    fit_heads,
    fit_objections,
    labelled_calls,
    represent_calls,
    training_data,
)
from extract.tuning import ObjectionModel, embed


def crossval(
    corpus_dir: Path,
    out_dir: Path,
    folds: int = 5,
    encoder: Encoder | None = None,
    extra_dir: Path | None = None,
) -> int:
    """Write out-of-fold insights for every labelled call in `corpus_dir`; return the call count.

    Calls go to folds round-robin in file-name order, so the split is fixed and reproducible.
    Calls in `extra_dir` join every fold's training and are never predicted: whether new
    training calls help shows on the calls that were there before them.
    """
    encoder = encoder or MiniLMEncoder(quantize=True)
    nlp, prototypes = build_nlp(), Prototypes(encoder)
    calls = represent_calls(labelled_calls(corpus_dir), nlp, encoder, prototypes)
    extra = represent_calls(labelled_calls(extra_dir), nlp, encoder, prototypes) if extra_dir else []
    out_dir.mkdir(parents=True, exist_ok=True)
    for fold in range(folds):
        train = [c for i, c in enumerate(calls) if i % folds != fold] + extra
        held = [c for i, c in enumerate(calls) if i % folds == fold]
        sets, _, _ = fit_heads(training_data(train), variants=("full",))
        fitted = fit_objections(train, encoder, sets[0]["objection"])
        model = fitted[0] if fitted else None
        _write(held, _analyzer(sets[0], nlp, encoder, model), out_dir)
    return len(calls)


def objection_crossval(
    corpus_dir: Path, extra_dir: Path | None = None, encoder: Encoder | None = None
) -> float:
    """Return the objection model's inner out-of-fold F1 on the calls in `corpus_dir`, fitted as
    training fits it; calls in `extra_dir` join every fold's training and are never scored."""
    encoder = encoder or MiniLMEncoder(quantize=True)
    nlp, prototypes = build_nlp(), Prototypes(encoder)
    calls = represent_calls(labelled_calls(corpus_dir), nlp, encoder, prototypes)
    extra = represent_calls(labelled_calls(extra_dir), nlp, encoder, prototypes) if extra_dir else []
    sets, _, _ = fit_heads(training_data(calls), variants=("full",))
    fitted = fit_objections(calls, encoder, sets[0]["objection"], extra)
    if fitted is None:
        raise ValueError("the encoder keeps no hidden states: there is no objection model to fit")
    return fitted[1]


def _analyzer(heads: HeadSet, nlp: Language, encoder: Encoder, model: ObjectionModel | None) -> Analyzer:
    # no meeting head: train calls are sales calls, which never use it
    return Analyzer(ExtractOptions(), nlp, encoder, heads, {"data_hash": "crossval"}, objection_model=model)


def _write(calls: list[LabelledCall], analyzer: Analyzer, out_dir: Path) -> None:
    model = analyzer.objection_model
    for call in calls:
        rep = call.rep
        if model is not None and rep.states:  # this fold's tuned layer over the stored states
            rep = dataclasses.replace(rep, tuned=embed(model.top, rep.states))
        insights = analyzer.insights(call.transcript, rep)
        path = out_dir / f"{call.transcript.id}.json"
        path.write_text(json.dumps(insights.to_dict(), indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_dir", type=Path)
    ap.add_argument("out_dir", type=Path, nargs="?", help="where the insights go")
    ap.add_argument("--objection-model", action="store_true", help="print its inner out-of-fold F1 only")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--extra", type=Path, default=None, help="calls added to every fold's training")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.objection_model:
        f1 = objection_crossval(args.corpus_dir, args.extra)
        seconds = time.perf_counter() - start
        sys.stdout.write(f"objection model, inner out of fold: F1 {f1:.4f} ({seconds:.0f} s)\n")
        return 0
    if args.out_dir is None:
        ap.error("out_dir is required without --objection-model")
    n = crossval(args.corpus_dir, args.out_dir, args.folds, extra_dir=args.extra)
    seconds = time.perf_counter() - start
    sys.stderr.write(f"{n} calls, {args.folds} folds -> {args.out_dir} in {seconds:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
