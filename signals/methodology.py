"""Methodology coverage (MEDDICC, BANT, SPICED) per call, per deal, and rolled up.

An element is covered when it has at least one piece of evidence (an utterance
reference). Elements outside the framework's list are ignored. `percent` is
covered / all elements × 100, rounded to one decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from extract.types import FRAMEWORK_ELEMENTS, Framework, Insights
from signals.types import MethodologyEvidence, UtteranceRef

__all__ = [
    "Coverage",
    "CoverageRollup",
    "CoveredElements",
    "call_coverage",
    "coverage",
    "covered_elements",
    "element_coverage",
    "evidence_from_insights",
    "merge_evidence",
    "rollup",
]


@dataclass(frozen=True, slots=True)
class Coverage:
    framework: Framework
    covered: tuple[str, ...]
    missing: tuple[str, ...]
    percent: float


@dataclass(frozen=True, slots=True)
class CoverageRollup:
    """Coverage of one group (a rep, a team) over many calls or deals."""

    key: str
    framework: Framework
    items: int
    mean_percent: float
    element_rates: Mapping[str, float]  # element -> share (0..1) of items covering it
    weakest: tuple[str, ...]  # elements with the lowest rate, in framework order


def coverage(evidence: MethodologyEvidence | None, framework: Framework | None = None) -> Coverage:
    """Return which of the framework's elements the evidence covers.

    Args:
        evidence: element -> utterance references; None means nothing covered.
        framework: defaults to the evidence's own framework (MEDDICC when evidence is None).

    Returns:
        Coverage with covered and missing elements in the framework's order.
    """
    fw = framework or (evidence.framework if evidence else Framework.MEDDICC)
    return element_coverage(covered_elements(evidence) if evidence else None, fw)


@dataclass(frozen=True, slots=True)
class CoveredElements:
    """Which elements a deal's evidence covers, without the utterances (what coverage needs)."""

    framework: Framework
    elements: frozenset[str]


def covered_elements(evidence: MethodologyEvidence) -> CoveredElements:
    """The elements with at least one piece of evidence."""
    return CoveredElements(evidence.framework, frozenset(e for e, refs in evidence.elements.items() if refs))


def element_coverage(covered: CoveredElements | None, framework: Framework) -> Coverage:
    """Return which of the framework's elements `covered` holds (others are ignored; None: none)."""
    elements = FRAMEWORK_ELEMENTS[framework]
    found = covered.elements if covered else frozenset()
    have = tuple(e for e in elements if e in found)
    missing = tuple(e for e in elements if e not in found)
    return Coverage(framework, have, missing, round(100 * len(have) / len(elements), 1))


def call_coverage(
    evidence: MethodologyEvidence | None, call_id: str, framework: Framework | None = None
) -> Coverage:
    """Coverage counting only the evidence from one call."""
    if evidence is None:
        return coverage(None, framework)
    only = {e: tuple(r for r in refs if r.call_id == call_id) for e, refs in evidence.elements.items()}
    return coverage(MethodologyEvidence(evidence.framework, only), framework)


def evidence_from_insights(insights: Insights) -> MethodologyEvidence:
    """Convert one call's extracted methodology into utterance references."""
    call_id = insights.call.id
    elements: dict[str, tuple[UtteranceRef, ...]] = {}
    for name, ev in insights.methodology.elements.items():
        if ev.covered:
            refs = tuple(UtteranceRef(call_id, i) for i in ev.evidence)
            elements[name] = refs or (UtteranceRef(call_id, None),)
    return MethodologyEvidence(Framework(insights.methodology.framework), elements)


def merge_evidence(items: Iterable[MethodologyEvidence], framework: Framework) -> MethodologyEvidence:
    """Accumulate several calls' evidence (same framework) into one deal-level record."""
    merged: dict[str, tuple[UtteranceRef, ...]] = {}
    for item in items:
        if item.framework != framework:
            continue
        for element, refs in item.elements.items():
            known = merged.get(element, ())
            merged[element] = known + tuple(r for r in refs if r not in known)
    return MethodologyEvidence(framework, merged)


def _rollup_one(key: str, framework: Framework, items: Sequence[Coverage]) -> CoverageRollup:
    elements = FRAMEWORK_ELEMENTS[framework]
    rates = {e: round(sum(e in c.covered for c in items) / len(items), 3) for e in elements}
    low = min(rates.values())
    return CoverageRollup(
        key=key,
        framework=framework,
        items=len(items),
        mean_percent=round(sum(c.percent for c in items) / len(items), 1),
        element_rates=rates,
        weakest=tuple(e for e in elements if rates[e] == low),
    )


def rollup(coverages: Mapping[str, Sequence[Coverage]]) -> tuple[CoverageRollup, ...]:
    """Roll coverages up per group key (rep or team) and framework, sorted by key then framework."""
    out: list[CoverageRollup] = []
    for key in sorted(coverages):
        for fw in Framework:
            items = [c for c in coverages[key] if c.framework == fw]
            if items:
                out.append(_rollup_one(key, fw, items))
    return tuple(out)
