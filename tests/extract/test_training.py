"""Training is reproducible: the same train files give byte-identical heads."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from extract.engine import NullEncoder
from extract.fitting import fit_binary
from extract.heads import load_heads
from extract.training import train
from tests.extract.conftest import train_corpus

TRAIN = Path(__file__).resolve().parents[2] / "fixtures" / "corpus" / "train"


def test_training_is_deterministic(tmp_path) -> None:
    corpus = train_corpus(tmp_path, 6)
    a = train(corpus, tmp_path / "a", encoder=NullEncoder())
    b = train(corpus, tmp_path / "b", encoder=NullEncoder())
    assert a.data_hash == b.data_hash and a.thresholds == b.thresholds
    ha, _ = load_heads(tmp_path / "a", "rules")
    hb, _ = load_heads(tmp_path / "b", "rules")
    for name, head in ha.heads.items():
        assert np.array_equal(head.coef, hb[name].coef)
    assert (tmp_path / "a" / "manifest.json").read_text() == (tmp_path / "b" / "manifest.json").read_text()


def test_the_role_head_agrees_with_the_authority_verdict_and_objections_ignore_position(tmp_path) -> None:
    from extract.authority import pick_role
    from extract.features import FEATURES, POSITION
    from extract.roles import DECIDING, ROLES

    corpus = train_corpus(tmp_path, 6)
    report = train(corpus, tmp_path / "heads", encoder=NullEncoder())
    heads, _ = load_heads(tmp_path / "heads", "rules")
    assert heads["role"].classes == ROLES and 0.0 < report.cv_f1["rules.role_acc"] <= 1.0
    position = [FEATURES.index(name) for name in POSITION]  # the rules variant reads the rules alone
    assert not heads["objection"].coef[0, position].any() and heads["next_step"].coef[0, position].any()
    champion_like = np.array([0.5, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05])  # most like an economic buyer
    assert pick_role(champion_like, deciding=True) == "economic_buyer"
    assert pick_role(champion_like, deciding=False) == "champion"  # the likeliest role that does not decide
    for deciding in (True, False):
        assert (pick_role(np.full(len(ROLES), 1 / len(ROLES)), deciding) in DECIDING) == deciding


def test_regularisation_grid_keeps_the_cross_validated_best() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 12)).astype(np.float32)
    y = (x[:, 0] + 0.3 * rng.normal(size=240) > 0.8).astype(np.int64)
    groups = np.repeat(np.arange(6), 40)
    scores = {c: fit_binary("h", x, y, groups, c)[1] for c in (0.01, 1.0)}
    head, f1 = fit_binary("h", x, y, groups, (0.01, 1.0))
    assert f1 == max(scores.values())
    again, _ = fit_binary("h", x, y, groups, (1.0, 0.01))  # the grid's order does not matter
    assert np.array_equal(head.coef, again.coef) and head.threshold == again.threshold


def test_crossval_writes_every_call_from_heads_fitted_without_it(tmp_path) -> None:
    from extract.crossval import crossval

    files = sorted(TRAIN.glob("*.json"))[:6]
    if len(files) < 6:
        pytest.skip("train split not available")
    corpus, extra = tmp_path / "corpus", tmp_path / "extra"
    corpus.mkdir()
    extra.mkdir()
    for f in files[:4]:
        shutil.copy(f, corpus / f.name)
    for f in files[4:]:
        shutil.copy(f, extra / f.name)
    n = crossval(corpus, tmp_path / "a", folds=2, encoder=NullEncoder(), extra_dir=extra)
    again = crossval(corpus, tmp_path / "b", folds=2, encoder=NullEncoder(), extra_dir=extra)
    written = sorted(p.name for p in (tmp_path / "a").glob("*.json"))
    assert n == again == 4 and written == sorted(f.name for f in files[:4])  # extra calls: trained on only
    for name in written:
        insights = json.loads((tmp_path / "a" / name).read_text())
        assert {"next_steps", "objections", "stakeholders"} <= insights.keys()
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
