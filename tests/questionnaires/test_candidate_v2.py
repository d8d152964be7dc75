"""Design rules of the CCO candidate assessment v2 (issue #16: v1 was fakeable).

Each test fails when v2 stops meeting a documented rule of the design: block
design minima, desirability matching, keying of the situations, validity
indices, wording without absolutes, and the composite sources.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from questionnaires import load, validate_file
from questionnaires import validator as v
from questionnaires.model import Instrument, Item

from .test_candidate_instrument import CLUSTER_OF, COMPETENCIES, EXPERIENCE

KEY = "cco_candidate"
ABSOLUTE = re.compile(r"\b(always|never|every\w*|all the time)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def inst() -> Instrument:
    return load(KEY, 2)


def blocks(inst: Instrument) -> list[Item]:
    return [it for it in inst.items if it.type == "forced_choice"]


def situations(inst: Instrument) -> list[Item]:
    return [it for it in inst.items if it.type == "effectiveness"]


def test_v2_validates_and_is_a_draft(inst: Instrument) -> None:
    assert validate_file(inst.source) == []
    assert inst.version == 2 and inst.status == "draft"
    assert load(KEY).version == 1  # invitations stay on v1 until the app renders v2


def test_documented_constants() -> None:
    """The thresholds README documents; changing one is a visible decision."""
    documented = {
        "LIKERT_POINTS": tuple(range(2, 12)),
        "FC_STATEMENTS": 3,
        "DESIRABILITY_RANGE": (1.0, 9.0),
        "FC_MAX_DESIRABILITY_SPREAD": 1.0,
        "FC_MIN_STATEMENTS": 6,
        "FC_MIN_PARTNERS": 6,
        "EFFECTIVENESS_POINTS": (4, 7),
        "EFFECTIVENESS_SCALES": (1, 3),
        "EFFECTIVENESS_PATTERN_MIN_ITEMS": 4,
        "BEST_POSITION_MAX_SHARE": 0.4,
        "LONGEST_IS_BEST_MAX_SHARE": 1 / 3,
        "FAMILIARITY_POINTS": 7,
        "FAMILIARITY_MIN_REAL": 6,
        "FAMILIARITY_MIN_FOILS": 3,
        "SOURCES_TOLERANCE": 1e-6,
    }
    assert {name: getattr(v, name) for name in documented} == documented
    assert v.OPTION_COUNTS["effectiveness"] == (3, 5)


def test_same_competencies_and_clusters_as_v1(inst: Instrument) -> None:
    v1 = load(KEY, 1)
    assert set(inst.competency_keys) == COMPETENCIES | {EXPERIENCE} == set(v1.scale_keys)
    assert {s.key: s.cluster for s in inst.scales if s.kind == "competency"} == CLUSTER_OF
    validity = {s.key for s in inst.scales if s.kind == "validity"}
    assert validity == {"overclaiming", "unlikely_virtues"}
    assert all(s.cluster is None and not s.sources for s in inst.scales if s.is_validity)


def test_block_design(inst: Instrument) -> None:
    fc = blocks(inst)
    assert len(fc) == 42
    count: Counter[str] = Counter()
    partners: dict[str, set[str]] = defaultdict(set)
    reversed_: Counter[str] = Counter()
    for block in fc:
        scales = [s.scale for s in block.statements]
        assert len(scales) == 3 and len(set(scales)) == 3, block.key
        for st in block.statements:
            count[st.scale] += 1
            partners[st.scale].update(set(scales) - {st.scale})
            reversed_[st.scale] += st.reverse
        assert sum(st.reverse for st in block.statements) <= 1, block.key
    assert set(count) == COMPETENCIES  # experience stays checklist-only
    assert all(n == 9 for n in count.values()), count
    assert all(n >= v.FC_MIN_STATEMENTS for n in count.values())
    assert min(len(p) for p in partners.values()) >= max(v.FC_MIN_PARTNERS, 10)
    assert all(1 <= n <= 3 for n in reversed_.values()), reversed_


def test_desirability_matched_within_every_block(inst: Instrument) -> None:
    for block in blocks(inst):
        values = [st.desirability for st in block.statements]
        assert max(values) - min(values) <= v.FC_MAX_DESIRABILITY_SPREAD + 1e-9, block.key
        assert all(1 <= d <= 9 for d in values)


def test_statement_keys_unique_across_the_instrument(inst: Instrument) -> None:
    keys = [st.key for block in blocks(inst) for st in block.statements]
    assert len(keys) == len(set(keys)) == 126


def test_unwavering_advocacy_is_never_reversed(inst: Instrument) -> None:
    persist = re.compile(r"\b(keep pressing|persist|keep making the case)", re.IGNORECASE)
    found = [st for b in blocks(inst) for st in b.statements if persist.search(st.text)]
    assert len(found) >= 3
    assert all(st.scale in ("service", "advocacy_fiscal") and not st.reverse for st in found)


def test_no_absolutes_outside_unlikely_virtues(inst: Instrument) -> None:
    """Absolutes make statements fakeable and unanswerable; the unlikely-virtues
    statements are the deliberate exception (they measure endorsing them)."""
    texts = [st.text for b in blocks(inst) for st in b.statements]
    for it in inst.items:
        if it.scale == "unlikely_virtues":
            continue
        texts += [it.text, it.scenario or ""]
        texts += [o.text for o in it.options if it.type != "checklist"]
    offending = [t for t in texts if ABSOLUTE.search(t)]
    assert offending == []
    virtues = [it for it in inst.items if it.scale == "unlikely_virtues"]
    assert len(virtues) == 5 and all(ABSOLUTE.search(it.text) for it in virtues)


def test_no_item_needs_a_sitting_executive(inst: Instrument) -> None:
    """Internal candidates must be able to endorse every statement (v1's met_04, inf_04)."""
    executive = re.compile(r"\b(board|executive committee|as (a )?cco|chief)\b", re.IGNORECASE)
    texts = [st.text for b in blocks(inst) for st in b.statements]
    texts += [it.text for it in inst.items if it.type == "likert"]
    texts += [it.scenario or "" for it in situations(inst)]
    assert [t for t in texts if executive.search(t)] == []


def test_likert_part(inst: Instrument) -> None:
    scored = [
        it
        for it in inst.items
        if it.type == "likert" and it.is_scored and it.scale != "unlikely_virtues"
    ]
    assert 10 <= len(scored) <= 14
    for it in scored:
        asks_frequency = it.text.lower().startswith("how often")
        assert asks_frequency == (it.labels[0] == "Rarely"), it.key
        assert len(it.labels) == it.points


def test_situations_are_keyed_by_an_expert(inst: Instrument) -> None:
    items = situations(inst)
    assert len(items) == 8
    for it in items:
        assert len(it.options) == 4 and 1 <= len(it.scales) <= 3
        assert it.labels[0] == "Very ineffective" and it.labels[-1] == "Very effective"
        assert all(o.rationale and "\n" not in o.rationale for o in it.options)
        assert all(1 <= (o.effectiveness or 0) <= (it.points or 0) for o in it.options)
        keys = sorted((o.effectiveness or 0) for o in it.options)
        assert keys[-1] > keys[-2], it.key  # one best option


def test_best_answer_not_findable_by_position_or_length(inst: Instrument) -> None:
    items = situations(inst)
    positions = Counter(it.options.index(it.best_option) for it in items)  # type: ignore[arg-type]
    assert len(positions) >= 3
    assert max(positions.values()) <= v.BEST_POSITION_MAX_SHARE * len(items)
    longest_best = sum(
        len(it.best_option.text) == max(len(o.text) for o in it.options)  # type: ignore[union-attr]
        for it in items
    )
    assert longest_best <= v.LONGEST_IS_BEST_MAX_SHARE * len(items)


def test_integrative_option_is_not_always_best(inst: Instrument) -> None:
    """Some situations reward a decisive single action over involving everyone."""
    involve = re.compile(r"\b(working group|workshop|steering group|survey)\b", re.IGNORECASE)
    outranked = 0
    for it in situations(inst):
        best = it.best_option
        assert best is not None
        if any(involve.search(o.text) and o is not best for o in it.options):
            outranked += 1
    assert outranked >= 4


def test_overclaiming(inst: Instrument) -> None:
    items = [it for it in inst.items if it.type == "familiarity"]
    assert sum(it.real is True for it in items) == 12
    assert sum(it.real is False for it in items) == 6
    assert all(it.scale == "overclaiming" and it.points == 7 for it in items)
    assert items[0].labels[0] == "Never heard of it"
    assert items[0].labels[-1] == "Know it well enough to explain it to others"


def test_sources_are_explicit_and_sum_to_one(inst: Instrument) -> None:
    for scale in inst.scales:
        if scale.is_validity:
            continue
        assert scale.sources, scale.key
        assert sum(scale.sources.values()) == pytest.approx(1, abs=1e-6)
    assert inst.scale("experience").sources == {"checklist": 1.0}


def test_checklist_none_is_exclusive(inst: Instrument) -> None:
    (checklist,) = [it for it in inst.items if it.type == "checklist"]
    assert checklist.scale == EXPERIENCE
    exclusive = checklist.exclusive_option
    assert exclusive is not None and exclusive.key == "none" and exclusive.points == 0
    assert [o.key for o in checklist.options if o.exclusive] == ["none"]
    v1_keys = [o.key for o in load(KEY, 1).item("exp_checklist").options]
    assert [o.key for o in checklist.options] == v1_keys


def test_attention_checks(inst: Instrument) -> None:
    checks = [it for it in inst.items if it.attention is not None]
    assert 1 <= len(checks) <= 2
    assert all(not it.is_scored for it in checks)
