"""The extract stage's entry point: `Analyzer.load(options)` once, then `analyze(transcript)`.

analyzer = Analyzer.load(ExtractOptions(framework="MEDDICC"))
insights = analyzer.analyze(transcript)      # deterministic: same input, same output
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from spacy.language import Language

from extract.engine import Encoder, MiniLMEncoder, NullEncoder
from extract.features import without_position
from extract.heads import HEADS_DIR, HeadSet, LinearHead, load_heads
from extract.meetings import load_meeting_head, meeting_inputs, suppress
from extract.mentions import extract_mentions
from extract.methodology import assess
from extract.metrics import call_metrics, speaker_metrics
from extract.next_steps import extract_next_steps
from extract.objections import extract_objections
from extract.pipeline import build_nlp
from extract.prototypes import Prototypes, category_inputs
from extract.represent import Represented, represent
from extract.speaker_names import name_speakers
from extract.stakeholders import extract_stakeholders
from extract.tuning import OBJECTION_MODEL, ObjectionModel, load_objection_model, objection_inputs
from extract.types import CallInfo, Framework, Insights, UtteranceOut
from transcribe.types import Transcript

DEFAULT_COMPETITORS: tuple[str, ...] = (
    "Gong",
    "Chorus",
    "Clari",
    "Salesloft",
    "Outreach",
    "Avoma",
    "Fireflies",
    "Otter",
    "Jiminny",
    "Wingman",
    "ExecVision",
    "People.ai",
    "ZoomInfo",
    "Apollo",
    "HubSpot",
    "Salesforce",
    "Zoom Revenue Accelerator",
    "Revenue.io",
    "Mindtickle",
    "Highspot",
    "Seismic",
    "Pipedrive",
)


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """How insights are extracted. Stage code receives these; it never reads the environment."""

    framework: str = "MEDDICC"  # "MEDDICC" | "BANT" | "SPICED"
    competitors: tuple[str, ...] = DEFAULT_COMPETITORS
    heads_dir: str | None = None  # None: the heads shipped in extract/heads/
    use_encoder: bool = True  # False: rule-feature heads only (no sentence encoder)
    threads: int | None = None  # encoder threads (one torch thread each); None: torch.get_num_threads()
    quantize: bool = True  # int8 encoder (the heads are trained on it); False: float, ~1.5x slower


class Analyzer:
    """Holds the spaCy pipeline, the encoder and the trained heads, loaded once."""

    def __init__(
        self,
        options: ExtractOptions,
        nlp: Language,
        encoder: Encoder,
        heads: HeadSet,
        manifest: Any,
        meeting: LinearHead | None = None,
        objection_model: ObjectionModel | None = None,
    ) -> None:
        self.options = options
        self.nlp = nlp
        self.encoder = encoder
        self.heads = heads
        self.framework = Framework(options.framework)
        self.meeting = meeting
        self.objection_model = objection_model  # used when the representation has its tuned vectors
        self.prototypes = Prototypes(encoder) if heads.variant == "full" else None
        self.versions = {
            "heads": str(manifest.get("data_hash", "")),
            "encoder": encoder.name,
            "variant": heads.variant,
            "objections": "tuned-layer" if objection_model is not None else "linear",
        }

    @classmethod
    def load(cls, options: ExtractOptions) -> Analyzer:
        """Load spaCy, the encoder (unless disabled) and the heads.

        Args:
            options: extraction options.

        Returns:
            A ready analyzer.

        Raises:
            ModelLoadError: a model package or the heads cannot be loaded.
        """
        heads_dir = Path(options.heads_dir) if options.heads_dir else HEADS_DIR
        variant = "full" if options.use_encoder else "rules"
        heads, manifest = load_heads(heads_dir, variant)
        meeting = load_meeting_head(heads_dir) if options.use_encoder else None
        encoder: Encoder = NullEncoder()
        objection_model = None
        if options.use_encoder:
            if (heads_dir / OBJECTION_MODEL).exists():
                objection_model = load_objection_model(heads_dir / OBJECTION_MODEL)
            top = objection_model.top if objection_model else None
            encoder = MiniLMEncoder(options.threads, options.quantize, top=top)
        return cls(options, build_nlp(), encoder, heads, manifest, meeting, objection_model)

    def represent(self, transcript: Transcript) -> Represented:
        """Run spaCy and the encoder over the transcript."""
        return represent(transcript, self.nlp, self.encoder, self.prototypes)

    def analyze(self, transcript: Transcript) -> Insights:
        """Extract next steps, stakeholders, objections, mentions, methodology and talk metrics.

        Args:
            transcript: the call.

        Returns:
            The call's insights (contracts/call-insights.md).
        """
        return self.insights(transcript, self.represent(transcript))

    def insights(self, transcript: Transcript, rep: Represented) -> Insights:
        """Extract the insights of a transcript already run through `represent`."""
        x = rep.full if self.heads.variant == "full" else rep.rules
        said = name_speakers(rep.views, rep.docs)
        names = {p.name: said.get(p.name, p.name) for p in transcript.participants}
        ns_proba, ns_threshold = self._next_step_scores(rep, x)
        next_steps = extract_next_steps(rep.views, rep.docs, ns_proba, ns_threshold, names)
        objections = extract_objections(rep.views, *self._objection_scores(rep, x))
        heads = self.heads.heads
        stakeholders = extract_stakeholders(
            rep.views, rep.docs, rep.sides, said, heads.get("authority"), heads.get("role")
        )
        mentions = extract_mentions(rep.views, rep.docs, self.options.competitors)
        speakers = speaker_metrics(transcript, rep.sides)
        return Insights(
            call=CallInfo(
                id=transcript.id or "call",
                date=transcript.date,
                duration_s=round(transcript.end_s, 2),
                language=transcript.language,
                title=transcript.title,
            ),
            speakers=speakers,
            utterances=_utterances(transcript, rep.sides),
            next_steps=next_steps,
            stakeholders=stakeholders,
            objections=objections,
            mentions=mentions,
            methodology=assess(self.framework, rep.views, mentions, stakeholders, objections),
            metrics=call_metrics(transcript, speakers, rep.sides),
            versions=dict(self.versions),
        )

    def _objection_scores(
        self, rep: Represented, x: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], float, bool]:
        """P(objection), P(category), the threshold and whether it applies to the confidence: from
        the fine-tuned objection model (stacked with the linear head) when the representation
        carries its vectors, else from the linear heads."""
        head = self.heads["objection"]
        if self.objection_model is not None and rep.tuned is not None:
            linear = head.scores(without_position(rep.full))[:, 0]
            found, category = self.objection_model.proba(rep.tuned, objection_inputs(rep.full), linear)
            return found, category, self.objection_model.threshold, self.objection_model.on_confidence
        category = self.heads["objection_category"].proba(category_inputs(x, rep.proto, self.heads.variant))
        return head.proba(without_position(x)), category, head.threshold, False

    def _next_step_scores(
        self, rep: Represented, x: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], float]:
        """Sales calls use the next-step head; meetings with no sales sides use the meeting head."""
        head = self.heads["next_step"]
        if self.meeting is None or any(side in ("rep", "buyer") for side in rep.sides.values()):
            return head.proba(x), head.threshold
        proba = self.meeting.proba(meeting_inputs(rep.full, rep.rules))
        keep = suppress(proba, self.meeting.threshold)
        masked = np.zeros_like(proba)
        masked[keep] = proba[keep]
        return masked, self.meeting.threshold


def _utterances(transcript: Transcript, sides: dict[str, str]) -> tuple[UtteranceOut, ...]:
    return tuple(
        UtteranceOut(
            index=i,
            speaker=u.speaker,
            side=sides.get(u.speaker, "unknown"),
            start=u.start,
            end=u.end,
            text=u.text,
        )
        for i, u in enumerate(transcript.utterances)
    )
