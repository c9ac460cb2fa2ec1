"""The fine-tuned objection model: its layer starts as the encoder's, trains reproducibly,
ships as it was trained, and is what the analyzer uses to find objections."""

import numpy as np
import pytest

from extract.engine import MiniLMEncoder
from extract.fitting import best_joint_threshold
from extract.heads import HEADS_DIR
from extract.pipeline import build_nlp
from extract.prototypes import Prototypes
from extract.training import fit_heads, fit_objections, labelled_calls, represent_calls, training_data
from extract.tuning import (
    OBJECTION_MODEL,
    embed,
    load_objection_model,
    objection_inputs,
    save_objection_model,
    top_layer,
)
from tests.extract.conftest import make_call, train_corpus

TEXTS = [
    "Honestly the price is way above what we budgeted.",
    "okay",
    "We already run Gong and it works fine for us.",
]


@pytest.fixture(scope="module")
def float_encoder() -> MiniLMEncoder:
    return MiniLMEncoder(threads=1, quantize=False)


def test_untrained_layer_copy_gives_the_encoders_own_vectors(float_encoder) -> None:
    float_encoder.top = top_layer(float_encoder.last_layer)
    try:
        vectors, tuned = float_encoder.encode_tuned(TEXTS)
    finally:
        float_encoder.top = None
    assert tuned is not None and np.abs(vectors - tuned).max() < 1e-5


def test_stored_states_give_the_vectors_of_the_forward_pass(float_encoder) -> None:
    _, states = float_encoder.encode_states(TEXTS)
    assert [s.shape[1] for s in states] == [384] * 3 and states[1].shape[0] < states[0].shape[0]
    float_encoder.top = top_layer(float_encoder.last_layer)
    try:
        vectors, tuned = float_encoder.encode_tuned(TEXTS)
        from_states = embed(float_encoder.top, states)
    finally:
        float_encoder.top = None
    assert tuned is not None and np.abs(from_states - tuned).max() < 1e-3  # states are kept as float16


def test_fine_tuning_is_reproducible_and_ships_as_trained(float_encoder, tmp_path, monkeypatch) -> None:
    corpus = train_corpus(tmp_path, 4)
    monkeypatch.setattr("extract.tuning.EPOCHS", 2)  # the behaviour, not the quality, is tested here
    calls = represent_calls(labelled_calls(corpus), build_nlp(), float_encoder, Prototypes(float_encoder))
    linear = fit_heads(training_data(calls), variants=("full",))[0][0]["objection"]
    first, second = fit_objections(calls, float_encoder, linear), fit_objections(calls, float_encoder, linear)
    assert first is not None and second is not None
    (a, f1), (b, _) = first, second
    assert 0.0 < f1 <= 1.0 and 0.1 <= a.threshold <= 0.9
    for (name, wa), wb in zip(a.top.state_dict().items(), b.top.state_dict().values(), strict=True):
        assert np.array_equal(wa.numpy(), wb.numpy()), name
    assert np.array_equal(a.coef, b.coef)

    save_objection_model(tmp_path / OBJECTION_MODEL, a)
    loaded = load_objection_model(tmp_path / OBJECTION_MODEL)
    assert a.on_confidence and loaded.on_confidence and loaded.threshold == a.threshold
    rep = calls[0].rep
    tuned, inputs, scores = (
        embed(a.top, rep.states),
        objection_inputs(rep.full),
        linear.scores(rep.full)[:, 0],
    )
    for want, got in zip(
        a.proba(tuned, inputs, scores),
        loaded.proba(embed(loaded.top, rep.states), inputs, scores),
        strict=True,
    ):
        assert np.array_equal(want, got)


def test_a_model_saved_before_confidence_thresholds_keeps_its_meaning(tmp_path) -> None:
    """Its threshold was fitted on P(objection) alone: it must not be read as one on the confidence."""
    save_objection_model(tmp_path / OBJECTION_MODEL, load_objection_model(HEADS_DIR / OBJECTION_MODEL))
    arrays = dict(np.load(tmp_path / OBJECTION_MODEL))
    del arrays["on_confidence"]
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    assert not load_objection_model(tmp_path / "old.npz").on_confidence


# Objections as buyers voice them in the corpus: a turn that says why. (Short, crisp ones -
# "That's too expensive." - score low: the corpus has few; see README, What is left.)
CALL = make_call(
    [
        ("Rep", "Thanks for joining today, Ana. How are things at Northwind?"),
        ("Ana", "Busy, but good. We finished the pilot last week and the team liked it."),
        ("Rep", "Great to hear. So where did the team land on the proposal?"),
        (
            "Ana",
            "Honestly the number you sent is a problem for us. It's way above what we budgeted for this"
            " year, and I don't see how I get that past our finance team without cutting something else.",
        ),
        ("Rep", "Understood. We can phase the rollout to spread the cost over two years."),
        (
            "Ana",
            "Maybe. The other thing is security. Our legal team will not sign anything until they have"
            " seen your SOC 2 report and know where the data is stored.",
        ),
        ("Rep", "That's fair. I can share the report under NDA."),
        ("Ana", "Okay."),
        ("Rep", "How many people would use it in the first phase?"),
        ("Ana", "About forty planners across two sites."),
        ("Rep", "And who else should see the business case?"),
        ("Ana", "Our CFO, Maria Lopez, signs off on anything over fifty thousand."),
        ("Rep", "Got it. Could we get thirty minutes with Maria next week?"),
        ("Ana", "I'll ask her and send you a time by Wednesday."),
        ("Rep", "Perfect. I'll send the SOC 2 report and a phased pricing option by Friday."),
        ("Ana", "Sounds good, thanks."),
    ],
    {"Rep": "rep", "Ana": "buyer"},
)


def test_without_the_encoder_the_linear_heads_find_objections(rules_analyzer) -> None:
    rep = rules_analyzer.represent(CALL)
    assert rules_analyzer.objection_model is None and rep.tuned is None
    head = rules_analyzer.heads["objection"]
    above = {i for i, p in enumerate(head.proba(rep.rules)) if p >= head.threshold and i % 2}
    assert {o.utterance for o in rules_analyzer.analyze(CALL).objections} == above


def test_the_analyzer_finds_objections_with_the_tuned_model(analyzer) -> None:
    assert analyzer.objection_model is not None
    call = CALL
    rep = analyzer.represent(call)
    assert rep.tuned is not None and rep.tuned.shape == (len(call.utterances), 384)
    found = {o.utterance: o.category for o in analyzer.analyze(call).objections}
    assert found == {3: "pricing", 5: "security"}


def test_extra_calls_train_every_fold_but_are_never_scored(float_encoder, tmp_path, monkeypatch) -> None:
    corpus = train_corpus(tmp_path, 4)
    monkeypatch.setattr("extract.tuning.EPOCHS", 1)
    calls = represent_calls(labelled_calls(corpus), build_nlp(), float_encoder, Prototypes(float_encoder))
    linear = fit_heads(training_data(calls), variants=("full",))[0][0]["objection"]
    scored: list[int] = []

    def spy(joint, named_right, positives):  # the out-of-fold rows the threshold is fitted on
        scored.append(len(joint))
        return best_joint_threshold(joint, named_right, positives)

    monkeypatch.setattr("extract.tuning.best_joint_threshold", spy)
    assert fit_objections(calls[:3], float_encoder, linear, extra_calls=calls[3:]) is not None
    buyer_turns = sum(v.side != "rep" for call in calls[:3] for v in call.rep.views)
    assert scored == [buyer_turns]
