"""Strict validation of instrument and narrative definitions, and building the dataclasses.

Definitions are hand-written YAML, and a typo in a scale key silently drops
an item from scoring. So the validator is strict: unknown keys, duplicates,
dangling references and forward conditions are all errors, every one is
reported at once, and each names the file, line, column and document path.
Only a document without problems is turned into an :class:`Instrument`.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import (
    ARCHETYPES,
    AUDIENCES,
    DONT_KNOW_TYPES,
    FAMILIARITY_LABELS,
    ITEM_TYPES,
    SCALE_KINDS,
    SEGMENTS,
    SOURCES,
    STATUSES,
    Anchor,
    Cluster,
    Condition,
    Instrument,
    Item,
    Option,
    Scale,
    Section,
    Statement,
)
from .problems import DocPath, Problem
from .source import Document

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
#: Option keys may also start with a digit (``"1"``, ``"10_plus"``), but must be quoted in YAML.
OPTION_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
FILE_RE = re.compile(r"^v([1-9][0-9]*)\.yaml$")
#: Likert items may have 2 to 11 points (labels: one per point).
LIKERT_POINTS: tuple[int, ...] = tuple(range(2, 12))
RATING_LEVELS = (1, 2, 3, 4, 5)
#: Sane range of one option's contribution to a scale or archetype.
SCORE_RANGE = (-5.0, 5.0)

TOP_REQUIRED = ("key", "version", "title", "audience", "intro", "minutes", "scales", "sections")
TOP_OPTIONAL = ("likert_labels", "label_sets", "clusters", "status")
SCALE_REQUIRED = ("key", "name", "description")
SCALE_OPTIONAL = ("cluster", "kind", "sources")
#: Composite weights of a scale (``sources``) must sum to 1 within this tolerance.
SOURCES_TOLERANCE = 1e-6

# Forced-choice blocks ("most like me" / "least like me").
#: Statements per block.
FC_STATEMENTS = 3
#: Rated social desirability of a statement lies on this scale.
DESIRABILITY_RANGE = (1.0, 9.0)
#: Largest allowed desirability spread (max - min) within one block: wider, and the
#: most desirable statement is the obvious "most like me", so the block is fakeable.
FC_MAX_DESIRABILITY_SPREAD = 1.0
#: Every competency measured by blocks appears in at least this many statements ...
FC_MIN_STATEMENTS = 6
#: ... and shares a block with at least this many distinct other competencies, so its
#: score is not a comparison with one or two others only (ipsativity).
FC_MIN_PARTNERS = 6

# Effectiveness items (rate each option of a situation from very ineffective to very effective).
EFFECTIVENESS_POINTS = (4, 7)
EFFECTIVENESS_SCALES = (1, 3)
EFFECTIVENESS_LABEL_ENDS = ("Very ineffective", "Very effective")
#: The across-instrument shape checks below apply from this many effectiveness items on.
EFFECTIVENESS_PATTERN_MIN_ITEMS = 4
#: At most this share of effectiveness items may have their best-keyed option in the
#: same position (first, second, ...): the best answer must not be findable by its place.
BEST_POSITION_MAX_SHARE = 0.4
#: At most this share of effectiveness items may have the longest option as the
#: best-keyed one: the integrative "do everything" answer tends to be the longest.
LONGEST_IS_BEST_MAX_SHARE = 1 / 3

# Familiarity (overclaiming) items.
#: Answers run 0 ("Never heard of it") .. 6 ("Know it well enough to explain it to others").
FAMILIARITY_POINTS = len(FAMILIARITY_LABELS)
#: Each overclaiming scale needs at least this many real concepts and foils
#: (non-existent concepts), or the index is too noisy to read.
FAMILIARITY_MIN_REAL = 6
FAMILIARITY_MIN_FOILS = 3
ITEM_COMMON = ("key", "type", "text", "required", "help", "show_if", "attention", "segment")
#: Keys each item type adds to ITEM_COMMON: (required, optional).
TYPE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "likert": (("scale",), ("reverse", "points", "labels", "dont_know")),
    "situational": (("scenario", "options"), ()),
    "choice": (("options",), ()),
    "multi": (("options",), ()),
    "checklist": (("options",), ("scale",)),
    "numeric": (("min", "max"), ("unit",)),
    "text": ((), ()),
    "rating": (("scale", "anchors", "questions"), ()),
    "forced_choice": (("statements",), ()),
    "effectiveness": (("scenario", "points", "labels", "scales", "options"), ()),
    "familiarity": (("scale", "real"), ("labels",)),
}
STATEMENT_KEYS = (("key", "scale", "text", "desirability"), ("reverse",))
#: The composite source each item type feeds (``Scale.sources``); choice, multi,
#: numeric and text feed none.
SOURCE_OF_TYPE = {
    "forced_choice": "blocks",
    "likert": "ratings",
    "rating": "ratings",
    "situational": "situations",
    "effectiveness": "situations",
    "checklist": "checklist",
}
#: Option keys per item type: (required, optional).
OPTION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "situational": (("key", "text", "scores"), ()),
    "choice": (("key", "text"), ("scores", "archetypes")),
    "multi": (("key", "text"), ("scores", "archetypes")),
    "checklist": (("key", "text", "points"), ("exclusive",)),
    "effectiveness": (("key", "text", "effectiveness", "rationale"), ()),
}
OPTION_FIELDS = (
    "key",
    "text",
    "scores",
    "archetypes",
    "points",
    "exclusive",
    "effectiveness",
    "rationale",
)
OPTION_COUNTS: dict[str, tuple[int, int | None]] = {
    "situational": (3, 5),
    "choice": (2, None),
    "multi": (2, None),
    "checklist": (1, None),
    "effectiveness": (3, 5),
}
ATTENTION_TYPES = ("likert", "choice", "situational")
NARRATIVE_BAND_KEYS = ("key", "label", "min", "max")


# --------------------------------------------------------------------------- helpers


def _q(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def type_name(value: object) -> str:
    """The YAML-ish name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _suggest(word: object, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {_q(close[0])}?)" if close else ""


def _fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


#: Top-level keys left out of the content hash: they do not change what was asked,
#: so publishing a draft (``status``) keeps the hash its preview answers recorded.
HASH_EXCLUDED = ("status",)


def canonical_hash(data: Any) -> str:
    """sha256 of the canonical JSON of a parsed document (sorted keys, no spaces).

    Top-level :data:`HASH_EXCLUDED` keys are left out.
    """
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in HASH_EXCLUDED}

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    text = json.dumps(
        norm(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Checker:
    """Shared checks that append located problems instead of raising."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def err(self, path: DocPath, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def line_of(self, path: DocPath) -> int:
        return self.doc.locate(path)[0]

    # -- shapes
    def mapping(self, path: DocPath, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        self.err(path, f"expected a mapping, got {type_name(value)}")
        return False

    def fields(
        self,
        path: DocPath,
        value: dict[Any, Any],
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        foreign: Mapping[str, str] | None = None,
        *,
        owner: str = "",
        kind: str = "",
    ) -> None:
        """Unknown keys (with a suggestion) and missing required keys of a mapping.

        A required key that an unknown key looks like a typo of is not
        reported again as missing. With ``owner`` (e.g. "item 'q3'") and ``kind``
        (its type), an unknown key's message names both and lists the allowed
        keys, so the author need not look the type up.
        """
        allowed = required + optional
        prefix = f"{owner}: " if owner else ""
        for_kind = f" for type {kind}" if kind else ""
        listing = f"; allowed: {', '.join(allowed)}" if owner else ""
        typo_of: set[str] = set()
        for k in value:
            if k in allowed:
                continue
            p = (*path, str(k))
            if foreign and k in foreign:
                msg = f"{prefix}key {_q(k)} is not allowed on {foreign[k]}{listing}"
                self.err(p, msg, key=True)
            elif value[k] is None and isinstance(k, str) and " " in k.strip():
                msg = f"unknown key {_q(k)} (an unquoted comma inside {{...}}? quote the text)"
                self.err(p, msg, key=True)
            else:
                close = difflib.get_close_matches(str(k), list(allowed), n=1, cutoff=0.6)
                hint = f" (did you mean {_q(close[0])}?)" if close else ""
                typo_of.update(c for c in close if c not in value)
                self.err(p, f"{prefix}unknown key {_q(k)}{for_kind}{hint}{listing}", key=True)
        for k in required:
            if k not in value and k not in typo_of:
                self.err(path, f"missing required key {_q(k)}")

    def string(self, path: DocPath, value: Any) -> bool:
        if isinstance(value, str):
            if value.strip():
                return True
            self.err(path, "must not be empty")
            return False
        hint = " (quote it)" if isinstance(value, bool | int | float) else ""
        self.err(path, f"expected a string, got {type_name(value)}{hint}")
        return False

    def key(self, path: DocPath, value: Any, pattern: re.Pattern[str] = KEY_RE) -> bool:
        if not self.string(path, value):
            return False
        if pattern.match(value):
            return True
        first = "a letter" if pattern is KEY_RE else "a letter or digit"
        self.err(
            path,
            f"invalid key {_q(value)}: use lower-case letters, digits and underscores, "
            f"starting with {first}",
        )
        return False

    def integer(self, path: DocPath, value: Any, minimum: int | None = None) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            self.err(path, f"expected an integer, got {type_name(value)}")
            return False
        if minimum is not None and value < minimum:
            self.err(path, f"must be at least {minimum}, got {value}")
            return False
        return True

    def number(self, path: DocPath, value: Any) -> bool:
        if _is_number(value):
            return True
        self.err(path, f"expected a number, got {type_name(value)}")
        return False

    def boolean(self, path: DocPath, value: Any) -> bool:
        if isinstance(value, bool):
            return True
        self.err(path, f"expected true or false, got {type_name(value)}")
        return False

    def listing(self, path: DocPath, value: Any, *, non_empty: bool = False) -> bool:
        if not isinstance(value, list):
            self.err(path, f"expected a list, got {type_name(value)}")
            return False
        if non_empty and not value:
            self.err(path, "must not be empty")
            return False
        return True

    def unique(self, seen: dict[str, DocPath], what: str, key: str, path: DocPath) -> bool:
        """Record ``key`` for ``what``; report a duplicate and return False if seen."""
        if key in seen:
            self.err(
                path,
                f"duplicate {what} key {_q(key)} (first used at line {self.line_of(seen[key])})",
            )
            return False
        seen[key] = path
        return True


# --------------------------------------------------------------------------- instruments


@dataclass
class _ItemInfo:
    key: str
    type: str | None
    data: dict[str, Any]
    section: int
    path: DocPath
    option_keys: list[str] = field(default_factory=list)


class _InstrumentChecker(_Checker):
    def __init__(self, doc: Document, source_path: Path | None) -> None:
        super().__init__(doc)
        self.source_path = source_path
        self.scales: dict[str, DocPath] = {}
        self.clusters: dict[str, DocPath] = {}
        self.used_scales: set[str] = set()
        self.used_clusters: set[str] = set()
        self.items: dict[str, _ItemInfo] = {}  # earlier items, in document order
        self.all_items: dict[str, tuple[int, DocPath]] = {}  # every item key → (section, path)
        self.segments: dict[str, DocPath] = {}
        self.likert_labels: dict[int, list[Any]] = {}
        self.likert_declared: set[int] = set()  # declared, even if broken (no cascade)
        self.label_sets: dict[str, list[str]] = {}  # valid named label sets
        self.label_sets_declared: set[str] = set()  # declared, even if broken (no cascade)
        self.audience: str | None = None
        self.scale_kinds: dict[str, str] = {}
        #: scale -> (path of its ``sources``, the listed source keys), when given.
        self.scale_sources: dict[str, tuple[DocPath, set[str]]] = {}
        #: scale -> the sources (item families) that measure it.
        self.measured_by: dict[str, set[str]] = {}
        #: forced-choice blocks with three valid scales: (item path, scales).
        self.fc_blocks: list[tuple[DocPath, list[str]]] = []
        #: effectiveness items whose key is complete: (item key, item path, best index,
        #: whether the best-keyed option is (one of) the longest).
        self.eff_items: list[tuple[str, DocPath, int, bool]] = []
        #: familiarity scale -> [real concepts, foils].
        self.familiarity: dict[str, list[int]] = {}

    def run(self) -> None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.err((), f"the top level must be a mapping, got {type_name(data)}")
            return
        self.fields((), data, TOP_REQUIRED, TOP_OPTIONAL)
        self.top(data)
        if "likert_labels" in data:
            self.check_likert_labels(data["likert_labels"])
        if "label_sets" in data:
            self.check_label_sets(data["label_sets"])
        if "clusters" in data:
            self.check_clusters(data["clusters"])
        if "scales" in data:
            self.check_scales(data["scales"])
        if "sections" in data:
            self.collect_item_keys(data["sections"])
            self.check_sections(data["sections"])
            self.check_usage()

    # -- top level
    def top(self, data: dict[str, Any]) -> None:
        name_match = FILE_RE.match(self.source_path.name) if self.source_path else None
        if "key" in data and self.key(("key",), data["key"]) and self.source_path is not None:
            folder = self.source_path.parent.name
            if data["key"] != folder:
                self.err(
                    ("key",), f"key {_q(data['key'])} does not match the folder name {_q(folder)}"
                )
        version_ok = "version" in data and self.integer(("version",), data["version"], 1)
        file_version = int(name_match.group(1)) if name_match else None
        if version_ok and self.source_path is not None and file_version != data["version"]:
            self.err(
                ("version",),
                f"version {data['version']} does not match the file "
                f"name {_q(self.source_path.name)} (expected 'v{data['version']}.yaml')",
            )
        for k in ("title", "intro"):
            if k in data:
                self.string((k,), data[k])
        if "audience" in data and self.string(("audience",), data["audience"]):
            if data["audience"] in AUDIENCES:
                self.audience = data["audience"]
            else:
                self.err(
                    ("audience",),
                    f"unknown audience {_q(data['audience'])}"
                    f"{_suggest(data['audience'], AUDIENCES)}; expected one of "
                    f"{', '.join(AUDIENCES)}",
                )
        if "minutes" in data:
            self.integer(("minutes",), data["minutes"], 1)
        if (
            "status" in data
            and self.string(("status",), data["status"])
            and data["status"] not in STATUSES
        ):
            self.err(
                ("status",),
                f"unknown status {_q(data['status'])}{_suggest(data['status'], STATUSES)}; "
                f"expected one of {', '.join(STATUSES)}",
            )

    def check_likert_labels(self, value: Any) -> None:
        path: DocPath = ("likert_labels",)
        if not self.mapping(path, value):
            return
        for points, labels in value.items():
            p = (*path, str(points))
            if points not in LIKERT_POINTS or isinstance(points, bool):
                self.err(
                    p,
                    f"likert_labels keys must be {LIKERT_POINTS[0]} to {LIKERT_POINTS[-1]}, "
                    f"got {_q(points)}",
                    key=True,
                )
                continue
            self.likert_declared.add(points)
            if self.labels(p, labels, points):
                self.likert_labels[points] = labels

    def check_label_sets(self, value: Any) -> None:
        """Named label sets (``agree5``, ``frequency5``) that items choose with ``labels: name``."""
        path: DocPath = ("label_sets",)
        if not self.mapping(path, value):
            return
        for name, labels in value.items():
            p = (*path, str(name))
            if not isinstance(name, str) or not KEY_RE.match(name):
                self.err(
                    p,
                    f"invalid label set name {_q(name)}: use lower-case letters, digits and "
                    "underscores, starting with a letter",
                    key=True,
                )
                continue
            self.label_sets_declared.add(name)
            if not self.listing(p, labels):
                continue
            low, high = LIKERT_POINTS[0], LIKERT_POINTS[-1]
            if not low <= len(labels) <= high:
                self.err(p, f"a label set needs {low} to {high} labels, got {len(labels)}")
                continue
            if all([self.string((*p, i), label) for i, label in enumerate(labels)]):
                self.label_sets[name] = labels

    def item_labels(self, path: DocPath, labels: Any, points: int) -> list[str] | None:
        """``labels`` of an item: a list, or the name of a label set; the labels when valid."""
        if isinstance(labels, str):
            if labels not in self.label_sets_declared:
                self.err(
                    path,
                    f"unknown label set {_q(labels)}{_suggest(labels, self.label_sets_declared)}",
                )
                return None
            found = self.label_sets.get(labels)
            if found is not None and len(found) != points:
                self.err(
                    path,
                    f"label set {_q(labels)} has {len(found)} labels; "
                    f"a {points}-point item needs {points}",
                )
                return None
            return found
        return labels if self.labels(path, labels, points) else None

    def labels(self, path: DocPath, labels: Any, points: int) -> bool:
        if not self.listing(path, labels):
            return False
        ok = True
        if len(labels) != points:
            self.err(path, f"expected {points} labels (one per point), got {len(labels)}")
            ok = False
        for i, label in enumerate(labels):
            ok = self.string((*path, i), label) and ok
        return ok

    def check_clusters(self, value: Any) -> None:
        path: DocPath = ("clusters",)
        if not self.listing(path, value):
            return
        for i, cluster in enumerate(value):
            p = (*path, i)
            if not self.mapping(p, cluster):
                continue
            self.fields(p, cluster, ("key", "name", "description"))
            if "key" in cluster and self.key((*p, "key"), cluster["key"]):
                self.unique(self.clusters, "cluster", cluster["key"], (*p, "key"))
            for k in ("name", "description"):
                if k in cluster:
                    self.string((*p, k), cluster[k])

    def check_scales(self, value: Any) -> None:
        path: DocPath = ("scales",)
        if not self.listing(path, value):
            return
        for i, scale in enumerate(value):
            p = (*path, i)
            if not self.mapping(p, scale):
                continue
            self.fields(p, scale, SCALE_REQUIRED, SCALE_OPTIONAL)
            key_ok = "key" in scale and self.key((*p, "key"), scale["key"])
            if key_ok:
                key_ok = self.unique(self.scales, "scale", scale["key"], (*p, "key"))
            kind = scale.get("kind", "competency")
            if "kind" in scale and self.string((*p, "kind"), kind) and kind not in SCALE_KINDS:
                self.err(
                    (*p, "kind"),
                    f"unknown scale kind {_q(kind)}{_suggest(kind, SCALE_KINDS)}; "
                    f"expected one of {', '.join(SCALE_KINDS)}",
                )
            if key_ok:
                self.scale_kinds[scale["key"]] = kind if kind in SCALE_KINDS else "competency"
            if "sources" in scale:
                listed = self.sources((*p, "sources"), scale["sources"], kind)
                if key_ok and listed is not None:
                    self.scale_sources[scale["key"]] = ((*p, "sources"), listed)
            for k in ("name", "description"):
                if k in scale:
                    self.string((*p, k), scale[k])
            if "cluster" in scale and self.string((*p, "cluster"), scale["cluster"]):
                cluster = scale["cluster"]
                if cluster in self.clusters:
                    self.used_clusters.add(cluster)
                else:
                    self.err(
                        (*p, "cluster"),
                        f"unknown cluster {_q(cluster)}{_suggest(cluster, self.clusters)}",
                    )

    def sources(self, path: DocPath, value: Any, kind: Any) -> set[str] | None:
        """Composite weights ``{source: weight}``; the listed sources when well formed."""
        if kind == "validity":
            self.err(path, "a validity scale has no composite sources (it never enters fit)")
            return None
        if not self.mapping(path, value):
            return None
        if not value:
            self.err(path, "must not be empty")
            return None
        ok = True
        for source, weight in value.items():
            sp = (*path, str(source))
            if source not in SOURCES:
                self.err(
                    sp,
                    f"unknown source {_q(source)}{_suggest(source, SOURCES)}; "
                    f"expected one of {', '.join(SOURCES)}",
                    key=True,
                )
                ok = False
            elif not self.number(sp, weight):
                ok = False
            elif not 0 < weight <= 1:
                self.err(sp, f"a source weight must be in (0, 1], got {_fmt_num(weight)}")
                ok = False
        if not ok:
            return None
        total = sum(value.values())
        if abs(total - 1) > SOURCES_TOLERANCE:
            self.err(path, f"source weights must sum to 1, got {round(total, 9):g}")
        return set(value)

    def scale_ref(self, path: DocPath, value: Any, kind: str | None = None) -> bool:
        """A reference to a declared scale (of ``kind``, when given)."""
        if not self.string(path, value):
            return False
        if value not in self.scales:
            self.err(path, f"unknown scale {_q(value)}{_suggest(value, self.scales)}")
            return False
        actual = self.scale_kinds.get(value, "competency")
        if kind is not None and actual != kind:
            self.err(path, f"scale {_q(value)} is a {actual} scale; expected a {kind} scale")
            return False
        return True

    def measure(self, scale: str, kind: str) -> None:
        """Record that an item of type ``kind`` measures ``scale``."""
        self.used_scales.add(scale)
        source = SOURCE_OF_TYPE.get(kind)
        if source is not None:
            self.measured_by.setdefault(scale, set()).add(source)

    # -- sections and items
    def collect_item_keys(self, sections: Any) -> None:
        """First pass: where every item key is, so conditions can tell "later" from "unknown"."""
        if not isinstance(sections, list):
            return
        for s, section in enumerate(sections):
            if not isinstance(section, dict) or not isinstance(section.get("items"), list):
                continue
            for i, item in enumerate(section["items"]):
                if isinstance(item, dict) and isinstance(item.get("key"), str):
                    self.all_items.setdefault(item["key"], (s, ("sections", s, "items", i)))

    def check_sections(self, value: Any) -> None:
        path: DocPath = ("sections",)
        if not self.listing(path, value, non_empty=True):
            return
        seen: dict[str, DocPath] = {}
        seen_items: dict[str, DocPath] = {}
        for s, section in enumerate(value):
            p = (*path, s)
            if not self.mapping(p, section):
                continue
            self.fields(p, section, ("key", "title", "items"), ("intro", "show_if"))
            if "key" in section and self.key((*p, "key"), section["key"]):
                self.unique(seen, "section", section["key"], (*p, "key"))
            if "title" in section:
                self.string((*p, "title"), section["title"])
            if "intro" in section:
                self.string((*p, "intro"), section["intro"])
            if "show_if" in section:
                self.condition((*p, "show_if"), section["show_if"], None, s)
            items = section.get("items")
            if "items" in section and self.listing((*p, "items"), items, non_empty=True):
                for i, item in enumerate(items):
                    self.check_item((*p, "items", i), item, s, seen_items)

    def check_item(self, path: DocPath, item: Any, section: int, seen: dict[str, DocPath]) -> None:
        if not self.mapping(path, item):
            return
        kind = item.get("type")
        known = isinstance(kind, str) and kind in TYPE_KEYS
        if "type" in item and not known and self.string((*path, "type"), kind):
            self.err(
                (*path, "type"),
                f"unknown item type {_q(kind)}"
                f"{_suggest(kind, ITEM_TYPES)}; expected one of {', '.join(ITEM_TYPES)}",
            )
        if known:
            required, optional = TYPE_KEYS[kind]
            if kind == "likert" and "attention" in item:
                required, optional = (), ("scale", *optional)
            own = set(required) | set(optional)
            foreign = {
                k: f"{kind} items" for r, o in TYPE_KEYS.values() for k in (*r, *o) if k not in own
            }
            owner = f"item {_q(item['key'])}" if isinstance(item.get("key"), str) else "item"
            self.fields(
                path,
                # 'dont_know' elsewhere gets its own message (see dont_know)
                {k: v for k, v in item.items() if k != "dont_know"},
                ("key", "type", "text", *required),
                (*ITEM_COMMON[3:], *optional),
                foreign,
                owner=owner,
                kind=kind,
            )
        else:
            every = {k for r, o in TYPE_KEYS.values() for k in (*r, *o)}
            self.fields(path, item, ("key", "type", "text"), (*ITEM_COMMON[3:], *sorted(every)))

        key = item.get("key")
        key_ok = "key" in item and self.key((*path, "key"), key)
        if key_ok:
            key_ok = self.unique(seen, "item", key, (*path, "key"))
        if "text" in item:
            self.string((*path, "text"), item["text"])
        if "required" in item:
            self.boolean((*path, "required"), item["required"])
        if "help" in item:
            self.string((*path, "help"), item["help"])
        if "show_if" in item:
            self.condition((*path, "show_if"), item["show_if"], key if key_ok else None, section)

        info = _ItemInfo(key if key_ok else "", kind if known else None, item, section, path)
        if known:
            getattr(self, f"item_{kind}")(path, item, info)
            if "attention" in item:
                self.attention((*path, "attention"), item["attention"], info)
            if "segment" in item:
                self.segment((*path, "segment"), item["segment"], kind)
            if "dont_know" in item:
                self.dont_know((*path, "dont_know"), item, kind)
        if key_ok:
            self.items[key] = info

    def item_likert(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        scored = "attention" not in item
        if "scale" in item and self.scale_ref((*path, "scale"), item["scale"]) and scored:
            self.measure(item["scale"], "likert")
        if "reverse" in item:
            self.boolean((*path, "reverse"), item["reverse"])
        points = item.get("points", 5)
        if "points" in item:
            if not self.integer((*path, "points"), points):
                return
            if points not in LIKERT_POINTS:
                self.err(
                    (*path, "points"),
                    f"points must be {LIKERT_POINTS[0]} to {LIKERT_POINTS[-1]}, got {points}",
                )
                return
        if "labels" in item:
            self.item_labels((*path, "labels"), item["labels"], points)
        elif points not in self.likert_declared:
            self.err(
                path,
                f"no labels for a {points}-point likert item: give 'labels' or "
                f"likert_labels.{points}",
            )

    def item_rating(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        if "scale" in item and self.scale_ref((*path, "scale"), item["scale"]):
            self.measure(item["scale"], "rating")
        anchors = item.get("anchors")
        p = (*path, "anchors")
        if "anchors" in item and self.mapping(p, anchors):
            for level, text in anchors.items():
                if level not in RATING_LEVELS or isinstance(level, bool):
                    self.err(
                        (*p, str(level)), f"anchor levels must be 1 to 5, got {_q(level)}", key=True
                    )
                else:
                    self.string((*p, str(level)), text)
            for level in RATING_LEVELS:
                if level not in anchors:
                    self.err(p, f"missing anchor for level {level}")
        questions = item.get("questions")
        p = (*path, "questions")
        if "questions" in item and self.listing(p, questions, non_empty=True):
            for i, question in enumerate(questions):
                self.string((*p, i), question)

    def item_numeric(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        lo_ok = "min" in item and self.number((*path, "min"), item["min"])
        hi_ok = "max" in item and self.number((*path, "max"), item["max"])
        if lo_ok and hi_ok and not item["min"] < item["max"]:
            self.err(
                (*path, "max"),
                f"max ({_fmt_num(item['max'])}) must be greater than min ({_fmt_num(item['min'])})",
            )
        if "unit" in item:
            self.string((*path, "unit"), item["unit"])

    def item_text(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        pass

    def item_situational(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        if "scenario" in item:
            self.string((*path, "scenario"), item["scenario"])
        self.options(path, item, info)

    def item_choice(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        self.options(path, item, info)

    item_multi = item_choice

    def item_checklist(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        if "scale" in item and self.scale_ref((*path, "scale"), item["scale"]):
            self.measure(item["scale"], "checklist")
        self.options(path, item, info)
        first: DocPath | None = None
        for i, option in enumerate(item.get("options") or ()):
            if not isinstance(option, dict) or "exclusive" not in option:
                continue
            op = (*path, "options", i, "exclusive")
            if not self.boolean(op, option["exclusive"]) or not option["exclusive"]:
                continue
            if first is None:
                first = op
            else:
                self.err(
                    op,
                    "only one option of a checklist may be exclusive (first at line "
                    f"{self.line_of(first)})",
                )

    def item_forced_choice(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        """A block of three statements on three competencies, matched on desirability."""
        statements = item.get("statements")
        p = (*path, "statements")
        if "statements" not in item or not self.listing(p, statements):
            return
        if len(statements) != FC_STATEMENTS:
            self.err(
                p,
                f"a forced-choice block needs exactly {FC_STATEMENTS} statements, "
                f"got {len(statements)}",
            )
        seen: dict[str, DocPath] = {}
        scales: dict[str, DocPath] = {}
        desirability: list[float] = []
        complete = len(statements) == FC_STATEMENTS
        for i, statement in enumerate(statements):
            sp = (*p, i)
            if not self.mapping(sp, statement):
                complete = False
                continue
            self.fields(sp, statement, *STATEMENT_KEYS)
            if "key" in statement and self.key((*sp, "key"), statement["key"], OPTION_KEY_RE):
                self.unique(seen, "statement", statement["key"], (*sp, "key"))
                info.option_keys.append(statement["key"])
            if "text" in statement:
                self.string((*sp, "text"), statement["text"])
            if "reverse" in statement:
                self.boolean((*sp, "reverse"), statement["reverse"])
            scale = statement.get("scale")
            if "scale" in statement and self.scale_ref((*sp, "scale"), scale, "competency"):
                self.measure(scale, "forced_choice")
                if scale in scales:
                    self.err(
                        (*sp, "scale"),
                        f"scale {_q(scale)} appears twice in this block (first at line "
                        f"{self.line_of(scales[scale])}); a block pairs three different scales",
                    )
                    complete = False
                else:
                    scales[scale] = (*sp, "scale")
            else:
                complete = False
            value = statement.get("desirability")
            if "desirability" in statement and self.number((*sp, "desirability"), value):
                low, high = DESIRABILITY_RANGE
                if low <= value <= high:
                    desirability.append(float(value))
                else:
                    self.err(
                        (*sp, "desirability"),
                        f"desirability must be within {_fmt_num(low)} to {_fmt_num(high)}, "
                        f"got {_fmt_num(value)}",
                    )
        if len(desirability) == FC_STATEMENTS == len(statements):
            spread = max(desirability) - min(desirability)
            if spread > FC_MAX_DESIRABILITY_SPREAD + 1e-9:
                self.err(
                    p,
                    f"desirability spread {round(spread, 6):g} ({_fmt_num(min(desirability))} "
                    f"to {_fmt_num(max(desirability))}) exceeds "
                    f"{_fmt_num(FC_MAX_DESIRABILITY_SPREAD)}: match the statements of a block "
                    "on desirability",
                )
        if complete:
            self.fc_blocks.append((path, list(scales)))

    def item_effectiveness(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        """A situation whose options the respondent rates, keyed by an expert."""
        if "scenario" in item:
            self.string((*path, "scenario"), item["scenario"])
        points: int | None = None
        if "points" in item and self.integer((*path, "points"), item["points"]):
            low, high = EFFECTIVENESS_POINTS
            if low <= item["points"] <= high:
                points = item["points"]
            else:
                self.err(
                    (*path, "points"),
                    f"an effectiveness item has {low} to {high} points, got {item['points']}",
                )
        if "labels" in item and points is not None:
            labels = self.item_labels((*path, "labels"), item["labels"], points)
            first, last = EFFECTIVENESS_LABEL_ENDS
            if labels is not None and (labels[0] != first or labels[-1] != last):
                self.err(
                    (*path, "labels"),
                    f"effectiveness labels run from {_q(first)} to {_q(last)}, "
                    f"got {_q(labels[0])} to {_q(labels[-1])}",
                )
        scales = item.get("scales")
        sp = (*path, "scales")
        if "scales" in item and self.listing(sp, scales):
            low, high = EFFECTIVENESS_SCALES
            if not low <= len(scales) <= high:
                self.err(
                    sp, f"an effectiveness item measures {low} to {high} scales, got {len(scales)}"
                )
            seen: set[str] = set()
            for i, scale in enumerate(scales):
                if not self.scale_ref((*sp, i), scale, "competency"):
                    continue
                if scale in seen:
                    self.err((*sp, i), f"scale {_q(scale)} is listed twice")
                seen.add(scale)
                self.measure(scale, "effectiveness")
        self.options(path, item, info)
        options = item.get("options")
        if not isinstance(options, list) or not options:
            return
        keyed: list[float] = []
        for i, option in enumerate(options):
            if not isinstance(option, dict):
                return
            op = (*path, "options", i)
            rationale = option.get("rationale")
            if (
                "rationale" in option
                and self.string((*op, "rationale"), rationale)
                and "\n" in rationale.strip()
            ):
                self.err((*op, "rationale"), "a rationale is one line")
            value = option.get("effectiveness")
            if "effectiveness" not in option or not self.number((*op, "effectiveness"), value):
                continue
            if points is not None and not 1 <= value <= points:
                self.err(
                    (*op, "effectiveness"),
                    f"effectiveness must be within 1 to {points} (the item's points), "
                    f"got {_fmt_num(value)}",
                )
                continue
            keyed.append(float(value))
        if points is None or len(keyed) != len(options):
            return
        best = max(keyed)
        if keyed.count(best) > 1:
            self.err(
                (*path, "options"),
                f"{keyed.count(best)} options share the highest effectiveness "
                f"{_fmt_num(best)}; key one best option",
            )
            return
        index = keyed.index(best)
        lengths = [len(str(o.get("text", ""))) for o in options]
        self.eff_items.append((info.key, path, index, lengths[index] == max(lengths)))

    def item_familiarity(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        """An overclaiming item: how well the respondent knows a real or invented concept."""
        scale = item.get("scale")
        scale_ok = "scale" in item and self.scale_ref((*path, "scale"), scale, "validity")
        if scale_ok:
            self.measure(scale, "familiarity")
        real = item.get("real")
        if "real" in item and self.boolean((*path, "real"), real) and scale_ok:
            counts = self.familiarity.setdefault(scale, [0, 0])
            counts[0 if real else 1] += 1
        if "labels" in item:
            self.item_labels((*path, "labels"), item["labels"], FAMILIARITY_POINTS)

    def options(self, path: DocPath, item: dict[str, Any], info: _ItemInfo) -> None:
        kind = info.type
        assert kind is not None
        options = item.get("options")
        p = (*path, "options")
        if "options" not in item or not self.listing(p, options):
            return
        low, high = OPTION_COUNTS[kind]
        if len(options) < low or (high is not None and len(options) > high):
            need = f"{low} to {high}" if high is not None else f"at least {low}"
            self.err(
                p,
                f"{kind} items need {need} option{'s' if (high or low) > 1 else ''}, "
                f"got {len(options)}",
            )
        required, optional = OPTION_KEYS[kind]
        foreign = {
            k: f"options of {kind} items" for k in OPTION_FIELDS if k not in required + optional
        }
        seen: dict[str, DocPath] = {}
        scored = "attention" not in item and "segment" not in item
        for i, option in enumerate(options):
            op = (*p, i)
            if not self.mapping(op, option):
                continue
            self.fields(op, option, required, optional, foreign)
            key_ok = "key" in option and self.key((*op, "key"), option["key"], OPTION_KEY_RE)
            if key_ok and self.unique(seen, "option", option["key"], (*op, "key")):
                info.option_keys.append(option["key"])
            if "text" in option:
                self.string((*op, "text"), option["text"])
            if "scores" in option:
                self.scores((*op, "scores"), option["scores"], kind, scored)
            if "archetypes" in option:
                self.archetypes((*op, "archetypes"), option["archetypes"])
            if "points" in option:
                self.number((*op, "points"), option["points"])

    def score_value(self, path: DocPath, value: Any) -> None:
        if not self.number(path, value):
            return
        low, high = SCORE_RANGE
        if not low <= value <= high:
            self.err(
                path,
                f"score {_fmt_num(value)} is outside the sane range "
                f"[{_fmt_num(low)}, {_fmt_num(high)}]",
            )

    def scores(self, path: DocPath, value: Any, kind: str, scored: bool) -> None:
        if not self.mapping(path, value):
            return
        if kind == "situational" and not 1 <= len(value) <= 3:
            self.err(path, f"a situational option scores 1 to 3 scales, got {len(value)}")
        for scale, score in value.items():
            p = (*path, str(scale))
            if scale not in self.scales:
                self.err(p, f"unknown scale {_q(scale)}{_suggest(scale, self.scales)}", key=True)
                continue
            if scored:
                self.measure(scale, kind)
            self.score_value(p, score)

    def archetypes(self, path: DocPath, value: Any) -> None:
        if not self.mapping(path, value):
            return
        for archetype, weight in value.items():
            p = (*path, str(archetype))
            if archetype not in ARCHETYPES:
                self.err(
                    p,
                    f"unknown archetype {_q(archetype)}{_suggest(archetype, ARCHETYPES)}; "
                    f"expected one of {', '.join(ARCHETYPES)}",
                    key=True,
                )
                continue
            self.score_value(p, weight)

    # -- conditions, attention checks, segments
    def condition(self, path: DocPath, value: Any, own_key: str | None, section: int) -> None:
        if not self.mapping(path, value):
            return
        self.fields(path, value, ("item",), ("equals", "in"))
        has_equals, has_in = "equals" in value, "in" in value
        if has_equals == has_in:
            self.err(path, "show_if needs exactly one of 'equals' or 'in'")
        target = value.get("item")
        if "item" not in value or not self.string((*path, "item"), target):
            return
        ip = (*path, "item")
        info = self.items.get(target)
        if own_key is not None and target == own_key:
            self.err(ip, f"show_if refers to the item itself ({_q(target)})")
            return
        if own_key is None and self.all_items.get(target, (None,))[0] == section:
            self.err(
                ip,
                f"a section's show_if must refer to an item in an earlier section; "
                f"{_q(target)} is in this section",
            )
            return
        if info is None:
            if target in self.all_items:
                self.err(
                    ip,
                    f"show_if refers to item {_q(target)}, which comes later; "
                    "conditions may only refer to earlier items",
                )
            else:
                self.err(
                    ip,
                    f"show_if refers to unknown item {_q(target)}"
                    f"{_suggest(target, self.all_items)}",
                )
            return
        if has_equals and not has_in:
            self.answer_value((*path, "equals"), value["equals"], info, "show_if value")
        elif has_in and not has_equals and self.listing((*path, "in"), value["in"], non_empty=True):
            for i, v in enumerate(value["in"]):
                self.answer_value((*path, "in", i), v, info, "show_if value")

    def answer_value(self, path: DocPath, value: Any, info: _ItemInfo, what: str) -> None:
        """Check that ``value`` is a possible answer of ``info``'s item."""
        kind = info.type
        item = info.data
        if kind in ("forced_choice", "effectiveness"):
            self.err(path, f"{what} cannot refer to a {kind} item ({_q(info.key)})")
        elif kind == "familiarity":
            top = FAMILIARITY_POINTS - 1
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
                self.err(path, f"{what} must be an integer from 0 to {top}, got {_q(value)}")
        elif kind in OPTION_KEYS:
            if not self.string(path, value):
                return
            if value not in info.option_keys:
                self.err(
                    path,
                    f"{what} {_q(value)} is not an option of item {_q(info.key)}"
                    f"{_suggest(value, info.option_keys)}",
                )
        elif kind in ("likert", "rating"):
            points = item.get("points", 5) if kind == "likert" else 5
            if not isinstance(points, int) or points not in LIKERT_POINTS:
                return
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= points:
                self.err(path, f"{what} must be an integer from 1 to {points}, got {_q(value)}")
        elif kind == "numeric":
            if (
                self.number(path, value)
                and _is_number(item.get("min"))
                and _is_number(item.get("max"))
                and not item["min"] <= value <= item["max"]
            ):
                self.err(
                    path,
                    f"{what} {_fmt_num(value)} is outside "
                    f"[{_fmt_num(item['min'])}, {_fmt_num(item['max'])}]",
                )
        elif kind == "text":
            self.string(path, value)

    def attention(self, path: DocPath, value: Any, info: _ItemInfo) -> None:
        if info.type not in ATTENTION_TYPES:
            self.err(
                path,
                f"attention checks are only supported on {', '.join(ATTENTION_TYPES)} items",
                key=True,
            )
            return
        if not self.mapping(path, value):
            return
        self.fields(path, value, ("expected",))
        if "expected" in value:
            self.answer_value((*path, "expected"), value["expected"], info, "expected answer")

    def dont_know(self, path: DocPath, item: dict[str, Any], kind: str) -> None:
        """A "don't know" answer is missing for the score, so only a scored rating point may
        be replaced by it: never a chosen option, an attention check or an unscored item."""
        owner = f"item {_q(item['key'])}" if isinstance(item.get("key"), str) else "item"
        if kind not in DONT_KNOW_TYPES:
            self.err(
                path,
                f"{owner}: 'dont_know' is only allowed on {', '.join(DONT_KNOW_TYPES)} items, "
                f'not on a {kind} item (a "don\'t know" must be missing for the score, which '
                "a chosen option, a tick or a number cannot be)",
                key=True,
            )
            return
        if not self.boolean(path, item["dont_know"]) or not item["dont_know"]:
            return
        if "attention" in item:
            self.err(
                path,
                f'{owner}: an attention check cannot offer "don\'t know" (it has one '
                "expected answer)",
                key=True,
            )
        elif "scale" not in item:
            self.err(
                path,
                f"{owner}: 'dont_know' needs a scored item (give it a 'scale')",
                key=True,
            )

    def segment(self, path: DocPath, value: Any, kind: str) -> None:
        if kind != "choice":
            self.err(path, "segment is only allowed on choice items", key=True)
            return
        if self.audience is not None and self.audience != "respondent":
            self.err(
                path,
                "segment questions are only allowed in instruments for audience 'respondent'",
                key=True,
            )
            return
        if not self.string(path, value):
            return
        if value not in SEGMENTS:
            self.err(
                path,
                f"unknown segment {_q(value)}{_suggest(value, SEGMENTS)}; "
                f"expected one of {', '.join(SEGMENTS)}",
            )
        elif value in self.segments:
            self.err(
                path,
                f"duplicate segment {_q(value)} (first used at line "
                f"{self.line_of(self.segments[value])})",
            )
        else:
            self.segments[value] = path

    # -- whole-instrument checks
    def check_usage(self) -> None:
        for scale, path in self.scales.items():
            if scale not in self.used_scales:
                self.err(path, f"scale {_q(scale)} is not measured by any item")
        for cluster, path in self.clusters.items():
            if cluster not in self.used_clusters:
                self.err(path, f"cluster {_q(cluster)} has no scales")
        self.check_sources()
        self.check_block_design()
        self.check_effectiveness_key()
        self.check_familiarity()

    def check_sources(self) -> None:
        """A scale's listed sources are exactly the item families that measure it."""
        for scale, (path, listed) in self.scale_sources.items():
            measured = self.measured_by.get(scale, set())
            for source in sorted(listed - measured):
                self.err(
                    (*path, source),
                    f"scale {_q(scale)} lists source {_q(source)}, but no {source} measure it",
                    key=True,
                )
            for source in sorted(measured - listed):
                self.err(
                    path,
                    f"scale {_q(scale)} is measured by {source}, but its sources do not list "
                    f"{_q(source)}",
                )

    def check_block_design(self) -> None:
        """Each competency in blocks: enough statements and enough distinct partners."""
        statements: dict[str, int] = {}
        partners: dict[str, set[str]] = {}
        for _path, scales in self.fc_blocks:
            for scale in scales:
                statements[scale] = statements.get(scale, 0) + 1
                partners.setdefault(scale, set()).update(s for s in scales if s != scale)
        for scale in self.scales:
            if "blocks" not in self.measured_by.get(scale, set()):
                continue
            path = self.scales[scale]
            count = statements.get(scale, 0)
            if count < FC_MIN_STATEMENTS:
                self.err(
                    path,
                    f"scale {_q(scale)} appears in {count} forced-choice statements; "
                    f"at least {FC_MIN_STATEMENTS} are needed",
                )
            paired = len(partners.get(scale, ()))
            if paired < FC_MIN_PARTNERS:
                self.err(
                    path,
                    f"scale {_q(scale)} shares forced-choice blocks with {paired} other "
                    f"scales; at least {FC_MIN_PARTNERS} are needed",
                )

    def check_effectiveness_key(self) -> None:
        """The best-keyed option must not be findable by its position or its length."""
        n = len(self.eff_items)
        if n < EFFECTIVENESS_PATTERN_MIN_ITEMS:
            return
        positions: dict[int, list[tuple[str, DocPath]]] = {}
        for key, path, index, _longest in self.eff_items:
            positions.setdefault(index, []).append((key, path))
        for index, found in sorted(positions.items()):
            if len(found) > BEST_POSITION_MAX_SHARE * n + 1e-9:
                self.err(
                    (*found[0][1], "options"),
                    f"the best-keyed option is option {index + 1} in {len(found)} of {n} "
                    f"effectiveness items ({', '.join(k for k, _ in found)}); at most "
                    f"{BEST_POSITION_MAX_SHARE:.0%} may share a position",
                )
        longest = [(key, path) for key, path, _index, is_longest in self.eff_items if is_longest]
        if len(longest) > LONGEST_IS_BEST_MAX_SHARE * n + 1e-9:
            self.err(
                (*longest[0][1], "options"),
                f"the best-keyed option is also the longest in {len(longest)} of {n} "
                f"effectiveness items ({', '.join(k for k, _ in longest)}); at most "
                f"{LONGEST_IS_BEST_MAX_SHARE:.0%} may be",
            )

    def check_familiarity(self) -> None:
        """Each overclaiming scale needs enough real concepts and enough foils."""
        for scale, (real, foils) in self.familiarity.items():
            path = self.scales[scale]
            if real < FAMILIARITY_MIN_REAL:
                self.err(
                    path,
                    f"scale {_q(scale)} has {real} real concepts; at least "
                    f"{FAMILIARITY_MIN_REAL} are needed",
                )
            if foils < FAMILIARITY_MIN_FOILS:
                self.err(
                    path,
                    f"scale {_q(scale)} has {foils} foil concepts; at least "
                    f"{FAMILIARITY_MIN_FOILS} are needed",
                )


def check_instrument(doc: Document, source_path: Path | None = None) -> list[Problem]:
    """Every problem of a parsed instrument document, sorted by position.

    With ``source_path`` the key must equal the folder name and the version
    the ``v<N>.yaml`` file name.
    """
    checker = _InstrumentChecker(doc, source_path)
    checker.run()
    return sorted(set(checker.problems), key=lambda p: (p.line, p.column, p.path, p.message))


# --------------------------------------------------------------------------- building


def _condition(value: dict[str, Any] | None) -> Condition | None:
    if value is None:
        return None
    values = [value["equals"]] if "equals" in value else value["in"]
    return Condition(value["item"], tuple(str(v) for v in values))


def _option(value: dict[str, Any]) -> Option:
    return Option(
        key=value["key"],
        text=value["text"],
        scores={k: float(v) for k, v in value.get("scores", {}).items()},
        archetypes={k: float(v) for k, v in value.get("archetypes", {}).items()},
        points=float(value["points"]) if "points" in value else None,
        effectiveness=float(value["effectiveness"]) if "effectiveness" in value else None,
        rationale=value.get("rationale"),
        exclusive=bool(value.get("exclusive", False)),
    )


def _statement(value: dict[str, Any]) -> Statement:
    return Statement(
        key=value["key"],
        scale=value["scale"],
        text=value["text"],
        desirability=float(value["desirability"]),
        reverse=value.get("reverse", False),
    )


def _labels(value: Any, label_sets: Mapping[str, list[str]]) -> tuple[str, ...]:
    """An item's ``labels``: a list, or the name of a label set."""
    if isinstance(value, str):
        return tuple(label_sets[value])
    return tuple(value or ())


def _item(
    value: dict[str, Any],
    likert_labels: Mapping[int, list[str]],
    label_sets: Mapping[str, list[str]] | None = None,
) -> Item:
    kind = value["type"]
    sets = label_sets or {}
    points: int | None = None
    labels: tuple[str, ...] = ()
    if kind == "likert":
        points = value.get("points", 5)
        labels = _labels(value.get("labels"), sets) or tuple(likert_labels[points])
    elif kind == "rating":
        points = 5
    elif kind == "effectiveness":
        points = value["points"]
        labels = _labels(value["labels"], sets)
    elif kind == "familiarity":
        points = len(FAMILIARITY_LABELS)
        labels = _labels(value.get("labels"), sets) or FAMILIARITY_LABELS
    attention = value.get("attention")
    return Item(
        key=value["key"],
        type=kind,
        text=value["text"],
        required=value.get("required", True),
        scale=value.get("scale"),
        reverse=value.get("reverse", False),
        points=points,
        labels=labels,
        scenario=value.get("scenario"),
        options=tuple(_option(o) for o in value.get("options", ())),
        minimum=float(value["min"]) if "min" in value else None,
        maximum=float(value["max"]) if "max" in value else None,
        unit=value.get("unit"),
        anchors=tuple(
            Anchor(level, text) for level, text in sorted(value.get("anchors", {}).items())
        ),
        questions=tuple(value.get("questions", ())),
        condition=_condition(value.get("show_if")),
        attention=str(attention["expected"]) if attention is not None else None,
        segment=value.get("segment"),
        help=value.get("help"),
        statements=tuple(_statement(s) for s in value.get("statements", ())),
        scales=tuple(value.get("scales", ())) if kind == "effectiveness" else (),
        real=value.get("real"),
        dont_know=bool(value.get("dont_know", False)),
    )


def build_instrument(data: dict[str, Any], source: str = "") -> Instrument:
    """Turn a document that :func:`check_instrument` accepted into an :class:`Instrument`."""
    likert_labels = data.get("likert_labels", {})
    label_sets = data.get("label_sets", {})
    return Instrument(
        key=data["key"],
        version=data["version"],
        title=data["title"],
        audience=data["audience"],
        intro=data["intro"],
        minutes=data["minutes"],
        scales=tuple(
            Scale(
                s["key"],
                s["name"],
                s["description"],
                s.get("cluster"),
                kind=s.get("kind", "competency"),
                sources={k: float(v) for k, v in s.get("sources", {}).items()},
            )
            for s in data["scales"]
        ),
        clusters=tuple(
            Cluster(c["key"], c["name"], c["description"]) for c in data.get("clusters", ())
        ),
        sections=tuple(
            Section(
                key=s["key"],
                title=s["title"],
                items=tuple(_item(i, likert_labels, label_sets) for i in s["items"]),
                intro=s.get("intro", ""),
                condition=_condition(s.get("show_if")),
            )
            for s in data["sections"]
        ),
        content_hash=canonical_hash(data),
        source=source,
        status=data.get("status", "published"),
    )


# --------------------------------------------------------------------------- narratives


class _NarrativeChecker(_Checker):
    def __init__(self, doc: Document, instrument: Instrument | None) -> None:
        super().__init__(doc)
        self.instrument = instrument
        self.bands: list[str] = []

    def run(self) -> None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.err((), f"the top level must be a mapping, got {type_name(data)}")
            return
        for k, v in data.items():
            # Other top-level entries (actions, stages, ...) are free-form for the
            # report builders, but must name something and hold something.
            if k not in ("bands", "scales"):
                if not isinstance(k, str) or not KEY_RE.match(k):
                    self.err(
                        (str(k),),
                        f"invalid key {_q(k)}: use lower-case letters, digits "
                        "and underscores, starting with a letter",
                        key=True,
                    )
                elif v is None or v == {} or v == [] or v == "":
                    self.err((k,), "must not be empty")
        if "scales" in data and "bands" not in data:
            self.err((), "missing required key 'bands' (needed by 'scales')")
        if "bands" in data:
            self.check_bands(data["bands"])
        if "scales" in data:
            self.check_scales(data["scales"])

    def check_bands(self, value: Any) -> None:
        path: DocPath = ("bands",)
        if not self.listing(path, value, non_empty=True):
            return
        seen: dict[str, DocPath] = {}
        ranges: list[tuple[str, float, float, DocPath]] = []
        for i, band in enumerate(value):
            p = (*path, i)
            if not self.mapping(p, band):
                continue
            self.fields(p, band, NARRATIVE_BAND_KEYS)
            key_ok = "key" in band and self.key((*p, "key"), band["key"])
            if key_ok and self.unique(seen, "band", band["key"], (*p, "key")):
                self.bands.append(band["key"])
            if "label" in band:
                self.string((*p, "label"), band["label"])
            bounds_ok = True
            for k in ("min", "max"):
                if k not in band or not self.number((*p, k), band[k]):
                    bounds_ok = False
                elif not 0 <= band[k] <= 100:
                    self.err((*p, k), f"must be within 0 to 100 (POMP), got {_fmt_num(band[k])}")
                    bounds_ok = False
            if bounds_ok:
                if band["min"] >= band["max"]:
                    self.err(
                        (*p, "max"),
                        f"max ({_fmt_num(band['max'])}) must be greater than "
                        f"min ({_fmt_num(band['min'])})",
                    )
                elif key_ok:
                    ranges.append((band["key"], band["min"], band["max"], p))
        if len(ranges) != len(value):
            return  # coverage is meaningless while a band is broken
        if ranges[0][1] != 0:
            self.err(
                (*ranges[0][3], "min"),
                f"the first band must start at 0, got {_fmt_num(ranges[0][1])}",
            )
        if ranges[-1][2] != 100:
            self.err(
                (*ranges[-1][3], "max"),
                f"the last band must end at 100, got {_fmt_num(ranges[-1][2])}",
            )
        for (k1, _lo1, hi1, _p1), (k2, lo2, _hi2, p2) in itertools.pairwise(ranges):
            if lo2 < hi1:
                self.err(
                    (*p2, "min"),
                    f"band {_q(k2)} overlaps band {_q(k1)} (bands must be in "
                    "ascending order without overlap)",
                )
            elif lo2 - hi1 > 1:
                self.err(
                    (*p2, "min"),
                    f"gap between band {_q(k1)} (max {_fmt_num(hi1)}) and "
                    f"band {_q(k2)} (min {_fmt_num(lo2)})",
                )

    def check_scales(self, value: Any) -> None:
        path: DocPath = ("scales",)
        if not self.mapping(path, value):
            return
        inst = self.instrument
        known = inst.scale_keys if inst is not None else None
        for scale, texts in value.items():
            p = (*path, str(scale))
            if inst is not None and known is not None and scale not in known:
                self.err(
                    p,
                    f"unknown scale {_q(scale)} of {inst.key} v{inst.version}"
                    f"{_suggest(scale, known)}",
                    key=True,
                )
                continue
            if not self.mapping(p, texts):
                continue
            for band, text in texts.items():
                bp = (*p, str(band))
                if band not in self.bands:
                    self.err(bp, f"unknown band {_q(band)}{_suggest(band, self.bands)}", key=True)
                else:
                    self.string(bp, text)
            for band in self.bands:
                if band not in texts:
                    self.err(p, f"missing text for band {_q(band)}")
        if inst is not None:
            # Validity indices (overclaiming, ...) are never charted: no narratives needed.
            for scale in inst.competency_keys:
                if scale not in value:
                    self.err(path, f"missing narratives for scale {_q(scale)}")


def check_narratives(doc: Document, instrument: Instrument | None) -> list[Problem]:
    """Every problem of a parsed ``narratives.yaml`` against ``instrument`` (its latest version).

    Without an instrument only the shape and the bands are checked.
    """
    checker = _NarrativeChecker(doc, instrument)
    checker.run()
    return sorted(set(checker.problems), key=lambda p: (p.line, p.column, p.path, p.message))


def band_for(bands: Iterable[Mapping[str, Any]], pomp: float) -> Mapping[str, Any]:
    """The narrative band a POMP score (0-100) falls in: the last band whose ``min`` <= score.

    Works for both shared boundaries (0-40, 40-70) and inclusive integer
    bands (0-39, 40-69), including fractional scores between them.
    """
    ordered = sorted(bands, key=lambda b: b["min"])
    if not ordered:
        raise ValueError("no narrative bands")
    chosen = ordered[0]
    for band in ordered:
        if band["min"] <= pomp:
            chosen = band
    return chosen
