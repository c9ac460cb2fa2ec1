"""Run the analyzer over a folder of transcript JSON files and write <id>.json insights.

python -m extract.evaluate CORPUS_DIR OUT_DIR [--framework MEDDICC] [--no-encoder]
python /work/shared/eval/score_insights.py CORPUS_DIR --pred-dir OUT_DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from extract.analyzer import Analyzer, ExtractOptions
from extract.corpus import load_transcript


def evaluate(corpus_dir: Path, out_dir: Path, analyzer: Analyzer) -> int:
    """Analyze every *.json in `corpus_dir` (sorted) and write insights; return the file count."""
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(corpus_dir.glob("*.json")):
        transcript = load_transcript(path)
        insights = analyzer.analyze(transcript)
        (out_dir / f"{transcript.id or path.stem}.json").write_text(json.dumps(insights.to_dict(), indent=1))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--framework", default="MEDDICC", choices=["MEDDICC", "BANT", "SPICED"])
    ap.add_argument("--heads-dir", default=None)
    ap.add_argument("--no-encoder", action="store_true")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    options = ExtractOptions(
        framework=args.framework, heads_dir=args.heads_dir, use_encoder=not args.no_encoder
    )
    analyzer = Analyzer.load(options)
    n = evaluate(args.corpus_dir, args.out_dir, analyzer)
    sys.stderr.write(f"{n} calls -> {args.out_dir} in {time.perf_counter() - start:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
