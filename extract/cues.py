"""Regular-expression cues shared by the rule features and the extractors (ASR-safe: lowercase,
no punctuation needed)."""

from __future__ import annotations

import re


def _rx(*alts: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.IGNORECASE)


SELF_COMMIT = _rx(
    r"i'?ll", r"i will", r"i'm going to", r"i am going to", r"i'?m gonna", r"let me", r"i can (?:send|get|set|put|share|loop|have|do|book)",
    r"i'd be happy to", r"i'll make sure", r"i will make sure", r"i'll have",
)  # fmt: skip
WE_COMMIT = _rx(
    r"we'?ll",
    r"we will",
    r"we're going to",
    r"we are going to",
    r"we'?re gonna",
    r"we can (?:send|get|set|have)",
)
LETS = _rx(r"let'?s", r"let us", r"shall we", r"we should (?:set|book|schedule|get|meet|do)")
YOU_ASK = _rx(
    r"(?:can|could|would|will) you", r"you'?ll", r"you will", r"you're going to", r"if you (?:can|could) (?:send|get|share)",
    r"please", r"you (?:guys )?(?:send|get|loop|share|set)",
)  # fmt: skip
ACTION_VERB = _rx(
    r"send", r"sending", r"shoot", r"share", r"schedule", r"set up", r"setup", r"book", r"loop in", r"looping in",
    r"follow up", r"circle back", r"get back", r"review", r"put together", r"draft", r"sign", r"intro(?:duce)?",
    r"walk (?:him|her|them|you) through", r"run (?:it|the)", r"check with", r"talk to", r"sync with", r"forward",
    r"invite", r"calendar", r"spin up", r"kick off", r"pull together", r"confirm", r"get (?:you|them|it|the|a)",
    r"reach out", r"ping", r"email", r"connect", r"demo", r"trial", r"pilot", r"approval", r"redlines?",
)  # fmt: skip
PAST = _rx(
    r"already", r"last (?:week|month|time|friday|monday|tuesday|wednesday|thursday)", r"yesterday", r"ago",
    r"i sent", r"we sent", r"i shared", r"we shared", r"i did", r"we did", r"was sent", r"have sent", r"i've sent",
    r"we've sent", r"went through", r"had a call", r"earlier (?:this|today)", r"sent over", r"used to",
)  # fmt: skip
HYPOTHETICAL = _rx(
    r"if we (?:went|go|were|did|decide|moved|move|ever|end up)", r"we'?d (?:need|have to|probably|want)", r"would need",
    r"hypothetically", r"in theory", r"assuming", r"suppose", r"if (?:this|it) (?:goes|works|went)", r"might",
    r"could potentially", r"down the road", r"in the future", r"once we", r"when we get there",
)  # fmt: skip
VAGUE = _rx(
    r"sometime", r"some time", r"at some point", r"someday", r"one of these days", r"eventually", r"no rush",
    r"we should (?:catch up|grab|get together|chat)", r"would be (?:nice|great|good) to", r"maybe we can",
    r"down the line", r"when things calm down", r"in general", r"usually", r"typically", r"always",
)  # fmt: skip
DECLINE = _rx(
    r"no", r"nope", r"won't work", r"doesn't work", r"does not work", r"can't", r"cannot", r"not (?:going to|gonna) work",
    r"'s out", r"is out", r"not available", r"booked", r"not possible", r"rather not", r"pass", r"hold off",
    r"not (?:yet|ready)", r"not a good", r"don't think so", r"unfortunately",
)  # fmt: skip
ACCEPT = _rx(
    r"sure", r"sounds good", r"sounds great", r"works for me", r"that works", r"perfect", r"great", r"yes", r"yeah",
    r"yep", r"absolutely", r"definitely", r"deal", r"of course", r"will do", r"okay", r"ok", r"good",
    r"thanks", r"thank you", r"that(?:'d| would) help", r"looking forward", r"see you",
)  # fmt: skip
QUESTION = _rx(
    r"do you", r"does it", r"does your", r"can it", r"can you", r"is there", r"are there", r"how (?:do|does|much|many|long)",
    r"what (?:is|are|about|does|do)", r"which", r"is it", r"would it", r"could you tell",
)  # fmt: skip
CONCERN = _rx(
    r"concern(?:ed|s)?", r"worr(?:y|ied|ies)", r"problem", r"issue", r"non-?starter", r"deal-?breaker", r"sticking point",
    r"hesitan(?:t|cy)", r"not sure", r"too (?:expensive|much|high|long|soon|early|risky)", r"can't", r"cannot", r"won't",
    r"hard to", r"tough", r"struggle", r"blocker", r"red flag", r"push ?back", r"skeptical", r"nervous",
    r"out of (?:our )?budget", r"over (?:our |the )?budget", r"a lot (?:more|of money)", r"don't (?:need|think|see|have)",
    r"not (?:a |the )?(?:priority|now|this year|convinced)", r"honestly", r"upfront", r"the thing is", r"but",
    r"pretty happy with", r"good enough", r"already (?:use|pay|have)", r"no way", r"hard stop", r"requirement",
)  # fmt: skip
ACCEPTANCE = _rx(
    r"that works", r"makes sense", r"fair enough", r"that helps", r"that'?s (?:fine|fair|good|great|helpful|reassuring)",
    r"(?:much )?easier", r"okay (?:then|good|great|that)", r"good to know", r"i can live with", r"that addresses",
    r"that answers", r"that covers", r"reassuring", r"sounds (?:good|reasonable|fair)", r"i'm (?:comfortable|okay|ok) with",
    r"works for (?:us|me)", r"got it", r"that'd be fine", r"could work", r"oh okay", r"alright",
)  # fmt: skip

CATEGORY_CUES: dict[str, re.Pattern[str]] = {
    "pricing": _rx(
        r"price",
        r"pricing",
        r"cost",
        r"costs",
        r"expensive",
        r"budget",
        r"budgeted",
        r"discount",
        r"per (?:seat|user|committer|month)",
        r"afford",
        r"money",
        r"spend",
        r"cheaper",
        r"\d+k",
        r"thousand",
        r"dollars",
        r"roi",
        r"invoice",
        r"quote",
        r"pay",
    ),  # fmt: skip
    "timing": _rx(
        r"timing",
        r"not now",
        r"next (?:year|quarter|fiscal)",
        r"right now",
        r"bandwidth",
        r"priorit(?:y|ies)",
        r"too soon",
        r"busy",
        r"freeze",
        r"later",
        r"q[1-4]",
        r"bad time",
        r"wait",
        r"rollout",
        r"capacity",
        r"this year",
        r"go-?live",
    ),  # fmt: skip
    "authority": _rx(
        r"sign[- ]?off",
        r"approv(?:e|al)",
        r"not my call",
        r"can't decide",
        r"above my",
        r"my boss",
        r"board",
        r"has to sign",
        r"needs to sign",
        r"final say",
        r"decide",
        r"decision",
        r"committee",
        r"buy-?in",
    ),  # fmt: skip
    "need": _rx(
        r"need (?:it|this|another)",
        r"don't need",
        r"good enough",
        r"current (?:tool|system|process)",
        r"works fine",
        r"spreadsheet",
        r"excel",
        r"not sure we",
        r"value",
        r"happy with",
        r"in-?house",
        r"build it ourselves",
        r"nice to have",
    ),  # fmt: skip
    "competition": _rx(
        r"compet\w*",
        r"already (?:use|pay for|have)",
        r"looking at",
        r"evaluating",
        r"other vendors?",
        r"alternatives?",
        r"switch",
        r"incumbent",
        r"bundled",
        r"comparing",
        r"cheaper option",
        r"quote from",
    ),  # fmt: skip
    "security": _rx(
        r"security",
        r"soc ?2",
        r"soc two",
        r"gdpr",
        r"hipaa",
        r"pen ?test",
        r"penetration",
        r"encrypt\w*",
        r"sso",
        r"data (?:residency|protection|privacy|leaves)",
        r"breach",
        r"compliance",
        r"iso ?27001",
        r"audit",
        r"pii",
        r"phi",
    ),  # fmt: skip
    "integration": _rx(
        r"integrat\w*",
        r"api",
        r"connect\w*",
        r"migrat\w*",
        r"compatib\w*",
        r"plugin",
        r"salesforce",
        r"sap",
        r"erp",
        r"sync",
        r"self-hosted",
        r"on-?prem",
        r"legacy",
        r"import",
        r"export",
        r"workday",
        r"epic",
        r"data model",
    ),  # fmt: skip
    "contract": _rx(
        r"contract",
        r"terms",
        r"liabilit\w*",
        r"auto-?renew\w*",
        r"renewal",
        r"indemn\w*",
        r"msa",
        r"legal",
        r"multi-?year",
        r"three-?year",
        r"term length",
        r"termination",
        r"cancel\w*",
        r"lock(?:ed)? in",
        r"clause",
        r"sla",
    ),  # fmt: skip
}
FILLERS = re.compile(r"\b(?:um+|uh+|er+|ah+|hmm+|mm+|you know|i mean|like)\b[,]?\s*", re.IGNORECASE)


def count(rx: re.Pattern[str], text: str) -> int:
    """Return how many times `rx` matches `text`."""
    return len(rx.findall(text))


def clean(text: str) -> str:
    """Drop fillers and collapse repeated words ("we we'll" -> "we'll") for display and matching."""
    text = FILLERS.sub("", text)
    text = re.sub(r"\b(\w+)(?:\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", text).strip()
