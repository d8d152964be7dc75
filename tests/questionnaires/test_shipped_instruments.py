"""Content rules for the shipped board, readiness and interviewer instruments.

These tests read the real YAML files through the public loader, so they fail
when someone edits an instrument in a way that breaks a rule the scoring and
reports rely on (a missing archetype vector, a dimension with too few
reverse-keyed items, a competency without anchors, ...).
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

import questionnaires
from questionnaires import load, load_narratives
from questionnaires.model import ARCHETYPES, SEGMENTS, Instrument, Item

QUESTIONNAIRE_DIR = Path(questionnaires.__file__).resolve().parent

#: The six competency clusters of the candidate instrument; the role scope
#: measures how much each of them matters for the role.
CANDIDATE_CLUSTERS = {
    "customer_focus",
    "insight_technology",
    "influence_collaboration",
    "strategy_commerce",
    "execution_change",
    "learning_experience",
}

READINESS_DIMENSIONS = {
    "education",
    "common_language",
    "demonstrating_value",
    "sponsorship",
    "voice_of_customer",
    "cross_functional",
    "cost_balance",
    "data_transparency",
}
MIN_ITEMS_PER_DIMENSION = 5
MIN_REVERSE_PER_DIMENSION = 2
LEVELS = ("board", "executive", "middle_management", "front_line")
REQUIRED_DEPARTMENTS = {
    "customer_service",
    "sales",
    "marketing",
    "digital",
    "finance",
    "operations",
    "hr",
    "other",
}

COMPETENCIES = {
    "empathy": "Emotional intelligence and empathy",
    "service": "Service mentality",
    "metrics": "Measures and analytics",
    "influence": "Leadership and influence",
    "collaboration": "Listening, collaboration and humility",
    "action": "Action orientation",
    "advocacy_fiscal": "Customer advocacy with fiscal responsibility",
    "business_acumen": "Business and operations acumen",
    "foresight": "Strategic foresight",
    "curiosity": "Curiosity and learning",
    "pragmatism": "Pragmatism and business sense",
    "rallying": "Rallying people and celebrating wins",
    "change_leadership": "Leading education and change",
    "technology": "Technology understanding",
}
#: Candidate-instrument scales that an interview cannot rate.
NOT_INTERVIEWED = {"experience"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def role_scope() -> Instrument:
    return load("role_scope")


@pytest.fixture(scope="module")
def readiness() -> Instrument:
    return load("readiness")


@pytest.fixture(scope="module")
def interview_kit() -> Instrument:
    return load("interview_kit")


@pytest.fixture(scope="module")
def narratives() -> dict:
    data = load_narratives("readiness")
    assert data, "readiness has no narratives.yaml"
    return data


def _option_items(instrument: Instrument) -> list[Item]:
    return [it for it in instrument.iter_items() if it.type in ("choice", "multi")]


@pytest.mark.parametrize(
    ("key", "audience"),
    [("role_scope", "board"), ("readiness", "respondent"), ("interview_kit", "interviewer")],
)
def test_instrument_identity(key: str, audience: str) -> None:
    instrument = load(key)
    assert instrument.key == key
    # role scope v2: customer type is descriptive, values named; kit v2: culture-fit ratings
    assert instrument.version == {"role_scope": 2, "readiness": 2, "interview_kit": 2}[key]
    assert instrument.audience == audience
    assert instrument.title.strip()
    assert instrument.intro.strip()
    assert instrument.minutes > 0
    keys = [it.key for it in instrument.iter_items()]
    assert len(keys) == len(set(keys)), "item keys must be unique"


# --------------------------------------------------------------------------- role scope


def test_role_scope_scales_are_the_candidate_clusters(role_scope: Instrument) -> None:
    assert set(role_scope.scale_keys) == CANDIDATE_CLUSTERS
    assert len(role_scope.scale_keys) == len(CANDIDATE_CLUSTERS)


def test_role_scope_matches_candidate_instrument_clusters(role_scope: Instrument) -> None:
    if not (QUESTIONNAIRE_DIR / "cco_candidate").is_dir():
        pytest.skip("candidate instrument not shipped yet")
    candidate = load("cco_candidate")
    assert set(candidate.cluster_keys) == set(role_scope.scale_keys)


#: Role-scope items that describe the role without pointing to an archetype (the articles:
#: every archetype serves consumers, business and internal customers alike).
DESCRIPTIVE_ITEMS = {"customer_types"}


def test_role_scope_every_option_has_an_archetype_vector(role_scope: Instrument) -> None:
    items = _option_items(role_scope)
    assert items, "role scope has no choice or multi items"
    for item in items:
        if item.key in DESCRIPTIVE_ITEMS:
            assert not any(o.archetypes or o.scores for o in item.options), item.key
            continue
        assert len(item.options) >= 2, item.key
        for opt in item.options:
            where = f"{item.key}.{opt.key}"
            assert opt.archetypes, f"{where} has no archetype vector"
            assert set(opt.archetypes) <= set(ARCHETYPES), f"{where}: unknown archetype"
            assert all(0 <= v <= 3 for v in opt.archetypes.values()), where
            assert any(v > 0 for v in opt.archetypes.values()), f"{where}: all zero"


def test_role_scope_option_scores_point_at_cluster_scales(role_scope: Instrument) -> None:
    for item in _option_items(role_scope):
        for opt in item.options:
            where = f"{item.key}.{opt.key}"
            assert set(opt.scores) <= CANDIDATE_CLUSTERS, f"{where}: unknown scale"
            assert len(opt.scores) <= 3, where
            assert all(0 <= v <= 3 for v in opt.scores.values()), where


def test_role_scope_each_archetype_can_win(role_scope: Instrument) -> None:
    winners: set[str] = set()
    for item in _option_items(role_scope):
        for opt in item.options:
            vector = {a: opt.archetypes.get(a, 0) for a in ARCHETYPES}
            best = max(vector.values())
            leaders = [a for a, v in vector.items() if v == best]
            if len(leaders) == 1:
                winners.add(leaders[0])
    assert winners == set(ARCHETYPES)


def test_role_scope_every_cluster_scale_is_reachable(role_scope: Instrument) -> None:
    reached = {
        scale
        for item in _option_items(role_scope)
        for opt in item.options
        for scale, value in opt.scores.items()
        if value > 0
    }
    assert reached == CANDIDATE_CLUSTERS


def _archetype_totals(instrument: Instrument, answers: dict[str, str | list[str]]) -> Counter:
    totals: Counter = Counter()
    for key, answer in answers.items():
        item = instrument.item(key)
        chosen = answer if isinstance(answer, list) else [answer]
        for opt_key in chosen:
            totals.update(item.option(opt_key).archetypes)
    return totals


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {
                "budget": "strategic",
                "board_seat": "board",
                "restructure": "lead",
                "reporting_line": "ceo",
            },
            "board_strategist",
        ),
        (
            {
                "budget": "operating",
                "contact_centres": "direct",
                "functions": ["contact_centre", "digital", "billing", "fulfilment", "post_sale"],
            },
            "operating_executive",
        ),
        (
            {
                "budget": "none",
                "coordination": "many",
                "international": "global",
                "functions": ["none_directly"],
            },
            "influence_leader",
        ),
    ],
    ids=["board_strategist", "operating_executive", "influence_leader"],
)
def test_role_scope_domain_signals_point_at_their_archetype(
    role_scope: Instrument, answers: dict[str, str | list[str]], expected: str
) -> None:
    totals = _archetype_totals(role_scope, answers)
    best = max(totals.values())
    assert [a for a in ARCHETYPES if totals[a] == best] == [expected], totals


def test_role_scope_covers_the_scope_questions(role_scope: Instrument) -> None:
    keys = {it.key for it in role_scope.iter_items()}
    expected = {
        "budget",
        "board_seat",
        "reporting_line",
        "contact_centres",
        "functions",
        "customer_types",
        "international",
        "restructure",
        "time_to_value",
        "coordination",
        "board_need",
        "measures_maturity",
    }
    assert expected <= keys
    assert role_scope.item("functions").type == "multi"
    assert role_scope.item("customer_types").type == "multi"


def test_role_scope_uses_a_condition_on_an_earlier_item(role_scope: Instrument) -> None:
    seen: dict[str, Item] = {}
    conditional = []
    for item in role_scope.iter_items():
        if item.condition is not None:
            assert item.condition.item in seen, f"{item.key} depends on a later item"
            source = seen[item.condition.item]
            known = {o.key for o in source.options}
            assert set(item.condition.values) <= known, item.key
            conditional.append(item.key)
        seen[item.key] = item
    assert conditional, "expected at least one show_if"


def test_role_scope_has_optional_free_text(role_scope: Instrument) -> None:
    texts = [it for it in role_scope.iter_items() if it.type == "text"]
    assert texts
    # the first of the organisation's values (name and behaviour) is required, the rest optional
    required = {"value_1", "value_1_behaviour"}
    assert {it.key for it in texts if it.required} == required
    assert all(not it.is_scored for it in texts)


# --------------------------------------------------------------------------- readiness


def _likert_by_dimension(instrument: Instrument) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for item in instrument.iter_items():
        if item.type == "likert" and item.is_scored:
            out.setdefault(item.scale or "", []).append(item)
    return out


def test_readiness_scales_are_the_eight_dimensions(readiness: Instrument) -> None:
    assert set(readiness.scale_keys) == READINESS_DIMENSIONS
    assert len(readiness.scale_keys) == len(READINESS_DIMENSIONS)


def test_readiness_items_per_dimension(readiness: Instrument) -> None:
    by_dim = _likert_by_dimension(readiness)
    assert set(by_dim) == READINESS_DIMENSIONS
    for dim, items in by_dim.items():
        assert len(items) >= MIN_ITEMS_PER_DIMENSION, dim
        reverse = sum(1 for it in items if it.reverse)
        assert reverse >= MIN_REVERSE_PER_DIMENSION, dim
        assert reverse < len(items), f"{dim}: every item is reverse-keyed"


def test_readiness_likert_items_are_five_point(readiness: Instrument) -> None:
    for item in readiness.iter_items():
        if item.type == "likert":
            assert item.points in (None, 5), item.key
            assert len(item.labels) in (0, 5), item.key


def test_readiness_has_only_likert_and_segment_questions(readiness: Instrument) -> None:
    for item in readiness.iter_items():
        assert item.type == "likert" or item.segment is not None, item.key


def test_readiness_segment_questions(readiness: Instrument) -> None:
    segments = {it.segment: it for it in readiness.iter_items() if it.segment is not None}
    assert set(segments) == set(SEGMENTS)
    assert len([it for it in readiness.iter_items() if it.segment]) == len(SEGMENTS)
    for item in segments.values():
        assert item.type == "choice"
        assert not item.is_scored
    assert tuple(o.key for o in segments["level"].options) == LEVELS
    departments = {o.key for o in segments["department"].options}
    assert departments >= REQUIRED_DEPARTMENTS
    regions = {o.key for o in segments["region"].options}
    assert "other" in regions
    assert len(regions) >= 3


def test_readiness_segments_come_first(readiness: Instrument) -> None:
    first = readiness.sections[0]
    assert first.title == "About you"
    assert {it.segment for it in first.items} == set(SEGMENTS)
    for section in readiness.sections[1:]:
        assert all(it.segment is None for it in section.items), section.key


def test_readiness_has_an_attention_check(readiness: Instrument) -> None:
    checks = [it for it in readiness.iter_items() if it.attention is not None]
    assert checks
    for item in checks:
        assert item.type == "likert"
        assert not item.is_scored
        assert 1 <= int(item.attention) <= 5


def test_readiness_page_count(readiness: Instrument) -> None:
    assert 4 <= len(readiness.sections) <= 6


def test_readiness_bands_cover_zero_to_hundred(narratives: dict) -> None:
    bands = narratives["bands"]
    assert [b["key"] for b in bands] == ["development", "solid", "strength", "distinctive"]
    assert bands[0]["min"] == 0
    assert bands[-1]["max"] == 100
    for lower, upper in pairwise(bands):
        assert lower["max"] == upper["min"]
    assert all(str(b["label"]).strip() for b in bands)


def test_readiness_narrative_for_every_dimension_and_band(narratives: dict) -> None:
    band_keys = {b["key"] for b in narratives["bands"]}
    scales = narratives["scales"]
    assert set(scales) == READINESS_DIMENSIONS
    for dim, texts in scales.items():
        assert set(texts) == band_keys, dim
        assert all(isinstance(t, str) and t.strip() for t in texts.values()), dim


def test_readiness_actions_for_every_dimension(narratives: dict) -> None:
    actions = narratives["actions"]
    assert set(actions) == READINESS_DIMENSIONS
    for dim, steps in actions.items():
        assert 2 <= len(steps) <= 4, dim
        assert all(isinstance(s, str) and s.strip() for s in steps), dim
        assert len(set(steps)) == len(steps), dim


def test_readiness_stages_and_interim_ceo(narratives: dict) -> None:
    stages = narratives["stages"]
    assert [s["stage"] for s in stages] == [1, 2, 3, 4, 5]
    for stage in stages:
        assert str(stage["name"]).strip()
        assert str(stage["description"]).strip()
    assert len({s["name"] for s in stages}) == 5
    assert str(narratives["interim_ceo"]).strip()


# --------------------------------------------------------------------------- interview kit


#: The kit's culture-fit scale (v2): rated once per board value, never a competency.
CULTURE_SCALE = "culture_fit"


def _competency_scales(kit: Instrument) -> dict[str, str]:
    return {s.key: s.name for s in kit.scales if s.key != CULTURE_SCALE}


def test_interview_kit_scales_are_the_competencies(interview_kit: Instrument) -> None:
    assert _competency_scales(interview_kit) == COMPETENCIES
    assert interview_kit.scale(CULTURE_SCALE).name == "Culture fit"


def test_interview_kit_matches_candidate_instrument(interview_kit: Instrument) -> None:
    if not (QUESTIONNAIRE_DIR / "cco_candidate").is_dir():
        pytest.skip("candidate instrument not shipped yet")
    candidate = load("cco_candidate")
    expected = {s.key: s.name for s in candidate.scales if s.key not in NOT_INTERVIEWED}
    assert _competency_scales(interview_kit) == expected


def test_interview_kit_one_rating_per_competency(interview_kit: Instrument) -> None:
    ratings = [it for it in interview_kit.iter_items() if it.type == "rating"]
    assert [it.scale for it in ratings].count(CULTURE_SCALE) == 1
    ratings = [it for it in ratings if it.scale != CULTURE_SCALE]
    assert sorted(it.scale or "" for it in ratings) == sorted(COMPETENCIES)
    for item in ratings:
        assert item.key == f"rate_{item.scale}"
        assert item.is_scored
        assert 2 <= len(item.questions) <= 3, item.key
        assert all(q.strip() for q in item.questions), item.key
        assert [a.level for a in item.anchors] == [1, 2, 3, 4, 5], item.key
        texts = [a.text.strip() for a in item.anchors]
        assert all(texts), item.key
        assert len(set(texts)) == 5, f"{item.key}: anchors repeat"


def test_interview_kit_ends_with_optional_notes(interview_kit: Instrument) -> None:
    last = interview_kit.items[-1]
    assert last.type == "text"
    assert not last.required
    assert all(it.type in ("rating", "text") for it in interview_kit.iter_items())
