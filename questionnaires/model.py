"""Frozen dataclasses an instrument definition is loaded into.

These types are the contract between the YAML files, the validator, the
scoring package and the app: nothing downstream reads YAML directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

AUDIENCES: tuple[str, ...] = ("candidate", "board", "respondent", "interviewer")
ITEM_TYPES: tuple[str, ...] = (
    "likert",
    "situational",
    "choice",
    "multi",
    "checklist",
    "numeric",
    "text",
    "rating",
    "forced_choice",
    "effectiveness",
    "familiarity",
)
#: "competency" scales feed fit and competency charts; "validity" scales (faking and
#: careless-responding indices such as overclaiming) never do.
SCALE_KINDS: tuple[str, ...] = ("competency", "validity")
#: Item families a competency composite may draw on (``Scale.sources``):
#: forced-choice blocks, likert/rating items, situations (situational and
#: effectiveness items) and the checklist.
SOURCES: tuple[str, ...] = ("blocks", "ratings", "situations", "checklist")
#: Default labels of a familiarity (overclaiming) item, answered 0..6.
FAMILIARITY_LABELS: tuple[str, ...] = (
    "Never heard of it",
    "Heard the name only",
    "Vaguely familiar",
    "Know roughly what it is",
    "Know it reasonably well",
    "Know it well and have used it",
    "Know it well enough to explain it to others",
)
#: The three recurring shapes of the CCO role (see the domain notes).
ARCHETYPES: tuple[str, ...] = ("board_strategist", "operating_executive", "influence_leader")
ARCHETYPE_NAMES: Mapping[str, str] = {
    "board_strategist": "Board strategist",
    "operating_executive": "Operating executive",
    "influence_leader": "Influence leader",
}
#: Segment questions of anonymous surveys; stored as the respondent's segment.
SEGMENTS: tuple[str, ...] = ("level", "department", "region")
#: Publication status of a version: :func:`questionnaires.latest` never returns a draft.
STATUSES: tuple[str, ...] = ("published", "draft")
#: The stored answer of an item answered "don't know" (``Item.dont_know``): scoring
#: treats it as missing and counts it, so nobody has to guess about what they cannot see.
DONT_KNOW = "dont_know"
#: What respondents see for that answer.
DONT_KNOW_LABEL = "Don't know"
#: Item types that may offer "don't know": a point of a rating scale can be left out of
#: the score; a chosen option, a tick or a number cannot be "missing" without ambiguity.
DONT_KNOW_TYPES: tuple[str, ...] = ("likert",)


@dataclass(frozen=True)
class Cluster:
    """A group of scales that boards weigh as one priority."""

    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Scale:
    """One measured construct (a competency or a readiness dimension)."""

    key: str
    name: str
    description: str
    cluster: str | None = None
    #: "competency" or "validity" (see :data:`SCALE_KINDS`).
    kind: str = "competency"
    #: Explicit composite weights per source (see :data:`SOURCES`), summing to 1;
    #: empty when the scorer's default weighting applies.
    sources: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_validity(self) -> bool:
        """Validity indices are reported to the assessor, never charted as competencies."""
        return self.kind == "validity"


@dataclass(frozen=True)
class Option:
    """One answer option of a situational, choice, multi or checklist item.

    ``scores`` is a vector over the instrument's scales; ``archetypes`` a
    vector over :data:`ARCHETYPES` (role-scope instrument); ``points`` the
    weight of a checklist entry.
    """

    key: str
    text: str
    scores: Mapping[str, float] = field(default_factory=dict)
    archetypes: Mapping[str, float] = field(default_factory=dict)
    points: float | None = None
    #: Effectiveness items: the expert key on 1..``Item.points`` and why.
    effectiveness: float | None = None
    rationale: str | None = None
    #: Checklist: this option ("None of these") may not be ticked with any other.
    exclusive: bool = False


@dataclass(frozen=True)
class Statement:
    """One statement of a forced-choice block.

    ``desirability`` is the rated social desirability on 1..9: statements of a
    block are matched on it so that no statement is the obvious "good" answer.
    ``reverse`` marks a negatively keyed statement (choosing it as "most like
    me" counts against its scale).
    """

    key: str
    scale: str
    text: str
    desirability: float
    reverse: bool = False


@dataclass(frozen=True)
class Anchor:
    """A behavioural description of one level of a rating item."""

    level: int
    text: str


@dataclass(frozen=True)
class Condition:
    """Show an item or section only when an earlier item's answer is one of ``values``.

    For multi and checklist items the condition holds when any chosen option
    is in ``values``; values are compared as strings.
    """

    item: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    """One question. Which fields matter depends on ``type``.

    - likert: ``scale``, ``reverse``, ``points`` (2 to 11), ``labels`` (one per point)
    - situational: ``scenario``, ``options`` (3 to 5, each with ``scores``)
    - choice / multi: ``options`` (optional ``scores`` / ``archetypes``)
    - checklist: ``options`` with ``points``; optional ``scale`` they count toward
    - numeric: ``minimum``, ``maximum``, ``unit``
    - text: free text, never scored
    - rating: ``scale``, ``anchors`` (levels 1 to 5), ``questions`` to ask
    - forced_choice: ``statements`` (exactly 3); answered [most_key, least_key]
    - effectiveness: ``scenario``, ``points`` (4 to 7), ``labels``, ``scales``
      (1 to 3 competencies) and ``options`` keyed with ``effectiveness``
    - familiarity: ``scale`` (a validity scale), ``real`` (False for a foil),
      ``points`` 7 and ``labels``; answered 0..6
    ``attention`` holds the expected answer of an attention check (such
    items are never scored); ``segment`` marks a segment question;
    ``dont_know`` (likert only) adds a "don't know" answer (:data:`DONT_KNOW`),
    for statements about what other levels do or believe.
    """

    key: str
    type: str
    text: str
    required: bool = True
    scale: str | None = None
    reverse: bool = False
    points: int | None = None
    labels: tuple[str, ...] = ()
    scenario: str | None = None
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    anchors: tuple[Anchor, ...] = ()
    questions: tuple[str, ...] = ()
    condition: Condition | None = None
    attention: str | None = None
    segment: str | None = None
    help: str | None = None
    statements: tuple[Statement, ...] = ()
    #: Effectiveness items: the competencies the item measures.
    scales: tuple[str, ...] = ()
    #: Familiarity items: True for a real concept, False for a foil.
    real: bool | None = None
    #: Offers "don't know" (:data:`DONT_KNOW`), stored as such, missing for the score.
    dont_know: bool = False

    @property
    def is_scored(self) -> bool:
        """Whether answers to this item feed any scale or archetype."""
        if self.attention is not None or self.segment is not None or self.type == "text":
            return False
        if self.type in ("likert", "rating", "checklist", "familiarity"):
            return self.scale is not None
        if self.type == "forced_choice":
            return bool(self.statements)
        if self.type == "effectiveness":
            return bool(self.scales)
        return any(o.scores or o.archetypes for o in self.options)

    @property
    def exclusive_option(self) -> Option | None:
        """The checklist option that must be chosen alone ("None of these"), if any."""
        return next((o for o in self.options if o.exclusive), None)

    @property
    def best_option(self) -> Option | None:
        """The option with the highest expert effectiveness key (effectiveness items)."""
        keyed = [o for o in self.options if o.effectiveness is not None]
        return max(keyed, key=lambda o: o.effectiveness or 0.0) if keyed else None

    def statement(self, key: str) -> Statement:
        """The forced-choice statement with ``key``; KeyError names the item when there is none."""
        for st in self.statements:
            if st.key == key:
                return st
        raise KeyError(f"item {self.key!r} has no statement {key!r}")

    def option(self, key: str) -> Option:
        """The option with ``key``; KeyError names the item when there is none."""
        for opt in self.options:
            if opt.key == key:
                return opt
        raise KeyError(f"item {self.key!r} has no option {key!r}")


@dataclass(frozen=True)
class Section:
    """A page of the questionnaire."""

    key: str
    title: str
    items: tuple[Item, ...]
    intro: str = ""
    condition: Condition | None = None


@dataclass(frozen=True)
class Instrument:
    """A whole, validated instrument definition of one version."""

    key: str
    version: int
    title: str
    audience: str
    intro: str
    minutes: int
    scales: tuple[Scale, ...]
    clusters: tuple[Cluster, ...]
    sections: tuple[Section, ...]
    content_hash: str
    source: str = ""
    #: "published" (default) or "draft": :func:`questionnaires.latest` skips drafts,
    #: so a new version can ship before the app can render it.
    status: str = "published"

    def iter_items(self) -> Iterator[Item]:
        """Every item in questionnaire order."""
        for section in self.sections:
            yield from section.items

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self.iter_items())

    def item(self, key: str) -> Item:
        for it in self.iter_items():
            if it.key == key:
                return it
        raise KeyError(f"instrument {self.key!r} has no item {key!r}")

    def scale(self, key: str) -> Scale:
        for sc in self.scales:
            if sc.key == key:
                return sc
        raise KeyError(f"instrument {self.key!r} has no scale {key!r}")

    @property
    def scale_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.scales)

    @property
    def cluster_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.clusters)

    @property
    def competency_keys(self) -> tuple[str, ...]:
        """Scales that enter fit and competency charts (validity indices left out)."""
        return tuple(s.key for s in self.scales if s.kind == "competency")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def dont_know_items(self) -> tuple[Item, ...]:
        """The items that offer "don't know", in questionnaire order."""
        return tuple(i for i in self.iter_items() if i.dont_know)
