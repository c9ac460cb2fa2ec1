import datetime as dt

from extract.types import (
    CallInfo,
    ElementEvidence,
    Framework,
    Insights,
    Mentions,
    Methodology,
)
from signals.methodology import (
    call_coverage,
    coverage,
    evidence_from_insights,
    merge_evidence,
    rollup,
)
from signals.types import MethodologyEvidence, UtteranceRef

MEDDICC = Framework.MEDDICC


def ev(framework=MEDDICC, **elements):
    return MethodologyEvidence(framework, {k: tuple(v) for k, v in elements.items()})


def test_coverage_in_framework_order():
    c = coverage(ev(champion=[UtteranceRef("c1", 3)], metrics=[UtteranceRef("c1", 1)]))
    assert c.framework == MEDDICC
    assert c.covered == ("metrics", "champion")
    assert c.missing == (
        "economic_buyer",
        "decision_criteria",
        "decision_process",
        "identify_pain",
        "competition",
    )
    assert c.percent == 28.6


def test_empty_evidence_and_unknown_elements_do_not_count():
    c = coverage(ev(metrics=[], astrology=[UtteranceRef("c1", 1)]))
    assert c.covered == () and c.percent == 0.0


def test_no_evidence_at_all():
    assert coverage(None).percent == 0.0
    assert coverage(None, Framework.BANT).missing == ("budget", "authority", "need", "timeline")


def test_bant_and_spiced():
    bant = coverage(ev(Framework.BANT, budget=[UtteranceRef("c1")], need=[UtteranceRef("c1")]))
    assert (bant.covered, bant.percent) == (("budget", "need"), 50.0)
    spiced = coverage(ev(Framework.SPICED, pain=[UtteranceRef("c1")]))
    assert spiced.percent == 20.0


def test_explicit_framework_overrides_the_evidence_one():
    c = coverage(ev(need=[UtteranceRef("c1")]), Framework.BANT)
    assert c.framework == Framework.BANT and c.covered == ("need",)


def test_call_coverage_counts_one_call():
    e = ev(metrics=[UtteranceRef("c1", 1)], champion=[UtteranceRef("c2", 5)])
    assert call_coverage(e, "c1").covered == ("metrics",)
    assert call_coverage(e, "c2").covered == ("champion",)
    assert call_coverage(None, "c1").covered == ()


def _insights(call_id, elements):
    return Insights(
        call=CallInfo(call_id, dt.date(2026, 3, 2), 600.0),
        speakers=(),
        utterances=(),
        next_steps=(),
        stakeholders=(),
        objections=(),
        mentions=Mentions(),
        methodology=Methodology("MEDDICC", elements),
    )


def test_evidence_from_insights_and_merge():
    a = evidence_from_insights(
        _insights(
            "c1",
            {
                "metrics": ElementEvidence(True, (22,)),
                "champion": ElementEvidence(False),
                "identify_pain": ElementEvidence(True),
            },
        )
    )
    assert a.elements == {"metrics": (UtteranceRef("c1", 22),), "identify_pain": (UtteranceRef("c1", None),)}
    b = evidence_from_insights(_insights("c2", {"metrics": ElementEvidence(True, (4,))}))
    bant = ev(Framework.BANT, budget=[UtteranceRef("c3")])
    merged = merge_evidence([a, b, a, bant], MEDDICC)
    assert merged.elements["metrics"] == (UtteranceRef("c1", 22), UtteranceRef("c2", 4))
    assert "budget" not in merged.elements
    assert coverage(merged).covered == ("metrics", "identify_pain")


def test_rollup_per_rep():
    full = coverage(ev(**{e: [UtteranceRef("c")] for e in ("metrics", "economic_buyer", "champion")}))
    one = coverage(ev(metrics=[UtteranceRef("c")]))
    bant = coverage(ev(Framework.BANT, budget=[UtteranceRef("c")]))
    out = rollup({"rep-b": [one], "rep-a": [full, one, bant]})
    assert [(r.key, r.framework, r.items) for r in out] == [
        ("rep-a", MEDDICC, 2),
        ("rep-a", Framework.BANT, 1),
        ("rep-b", MEDDICC, 1),
    ]
    a = out[0]
    assert a.mean_percent == round((42.9 + 14.3) / 2, 1)
    assert a.element_rates["metrics"] == 1.0 and a.element_rates["champion"] == 0.5
    assert a.weakest == ("decision_criteria", "decision_process", "identify_pain", "competition")


def test_rollup_of_nothing():
    assert rollup({}) == ()
    assert rollup({"rep": []}) == ()
