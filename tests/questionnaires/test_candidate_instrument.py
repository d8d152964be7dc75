"""Coverage rules of the CCO candidate assessment (questionnaires/cco_candidate).

These tests guard the content, not the loader: each one fails when the
instrument or its narratives stop meeting a design rule of the assessment.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from questionnaires import band_for, load
from questionnaires.model import Instrument, Item

KEY = "cco_candidate"
NARRATIVES = Path(__file__).resolve().parents[2] / "questionnaires" / KEY / "narratives.yaml"

#: The scale keys other parts of the system (scoring, reports) depend on.
COMPETENCIES = {
    "empathy",
    "service",
    "metrics",
    "influence",
    "collaboration",
    "action",
    "advocacy_fiscal",
    "business_acumen",
    "foresight",
    "curiosity",
    "pragmatism",
    "rallying",
    "change_leadership",
    "technology",
}
EXPERIENCE = "experience"
CLUSTER_OF = {
    "empathy": "customer_focus",
    "service": "customer_focus",
    "advocacy_fiscal": "customer_focus",
    "metrics": "insight_technology",
    "technology": "insight_technology",
    "influence": "influence_collaboration",
    "collaboration": "influence_collaboration",
    "rallying": "influence_collaboration",
    "foresight": "strategy_commerce",
    "business_acumen": "strategy_commerce",
    "pragmatism": "strategy_commerce",
    "action": "execution_change",
    "change_leadership": "execution_change",
    "curiosity": "learning_experience",
    "experience": "learning_experience",
}
BAND_KEYS = ("development", "solid", "strength", "distinctive")

#: Rough answering time per item type, in seconds.
SECONDS_PER_ITEM = {"likert": 8, "situational": 60, "checklist": 45}
DEFAULT_SECONDS = 20


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return load(KEY)


@pytest.fixture(scope="module")
def narratives() -> dict:
    with NARRATIVES.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def scored_likert(instrument: Instrument) -> list[Item]:
    return [it for it in instrument.items if it.type == "likert" and it.is_scored]


def situational(instrument: Instrument) -> list[Item]:
    return [it for it in instrument.items if it.type == "situational"]


def test_identity(instrument: Instrument) -> None:
    assert instrument.key == KEY
    assert instrument.audience == "candidate"
    assert instrument.intro.strip()


def test_scale_keys_are_exactly_the_agreed_ones(instrument: Instrument) -> None:
    assert set(instrument.scale_keys) == COMPETENCIES | {EXPERIENCE}
    assert len(COMPETENCIES & set(instrument.scale_keys)) >= 12


def test_clusters_cover_every_scale(instrument: Instrument) -> None:
    assert 5 <= len(instrument.clusters) <= 8
    assert len(set(instrument.cluster_keys)) == len(instrument.clusters)
    for scale in instrument.scales:
        assert scale.cluster in instrument.cluster_keys, scale.key
        assert scale.cluster == CLUSTER_OF[scale.key], scale.key
    used = {s.cluster for s in instrument.scales}
    assert used == set(instrument.cluster_keys), "a cluster holds no scale"


def test_each_competency_has_enough_likert_items(instrument: Instrument) -> None:
    counts = Counter(it.scale for it in scored_likert(instrument))
    for scale in COMPETENCIES:
        assert counts[scale] >= 6, f"{scale} has {counts[scale]} Likert items"


def test_each_competency_has_reverse_keyed_items(instrument: Instrument) -> None:
    reverse = Counter(it.scale for it in scored_likert(instrument) if it.reverse)
    forward = Counter(it.scale for it in scored_likert(instrument) if not it.reverse)
    for scale in COMPETENCIES:
        assert reverse[scale] >= 2, f"{scale} has {reverse[scale]} reverse-keyed items"
        assert forward[scale] > reverse[scale], f"{scale} is mostly reverse-keyed"


def test_likert_items_are_five_point_on_known_scales(instrument: Instrument) -> None:
    for it in scored_likert(instrument):
        assert it.scale in COMPETENCIES, f"{it.key} scores {it.scale!r}"
        assert (it.points or 5) == 5, it.key
        assert it.text.strip(), it.key


def test_experience_is_measured_only_by_the_checklist(instrument: Instrument) -> None:
    on_experience = [it for it in instrument.items if it.is_scored and it.scale == EXPERIENCE]
    assert [it.key for it in on_experience] == ["exp_checklist"]
    assert on_experience[0].type == "checklist"


def test_experience_checklist(instrument: Instrument) -> None:
    item = instrument.item("exp_checklist")
    assert item.type == "checklist"
    assert item.scale == EXPERIENCE
    keys = [o.key for o in item.options]
    assert len(keys) == len(set(keys))
    weighted = [o for o in item.options if (o.points or 0) > 0]
    assert len(weighted) >= 8
    for opt in weighted:
        assert 1 <= opt.points <= 3, opt.key
    # Respondents to whom nothing applies must still be able to answer.
    if item.required:
        assert any(o.points == 0 for o in item.options), "required checklist needs a 'none' option"


def test_enough_situational_items(instrument: Instrument) -> None:
    items = situational(instrument)
    assert len(items) >= 12
    assert all(it.key.startswith("sjt_") for it in items)


def test_situational_options_score_known_scales(instrument: Instrument) -> None:
    for it in situational(instrument):
        assert it.scenario and it.scenario.strip(), it.key
        assert 3 <= len(it.options) <= 5, it.key
        assert len({o.key for o in it.options}) == len(it.options), it.key
        for opt in it.options:
            assert 1 <= len(opt.scores) <= 3, f"{it.key}.{opt.key}"
            for scale, value in opt.scores.items():
                assert scale in COMPETENCIES, f"{it.key}.{opt.key} scores {scale!r}"
                assert 0 <= value <= 3, f"{it.key}.{opt.key}: {scale}={value}"


def best_option(item: Item) -> str:
    totals = {o.key: sum(o.scores.values()) for o in item.options}
    top = max(totals.values())
    winners = [k for k, v in totals.items() if v == top]
    assert len(winners) == 1, f"{item.key}: several options tie for best ({winners})"
    return winners[0]


def test_situational_best_answers_are_not_predictable(instrument: Instrument) -> None:
    best = Counter(best_option(it) for it in situational(instrument))
    assert len(best) >= 3, f"best answers sit in too few positions: {dict(best)}"
    assert max(best.values()) <= len(situational(instrument)) // 2


def test_best_answer_is_not_given_away_by_length(instrument: Instrument) -> None:
    items = situational(instrument)
    longest = [
        it.key for it in items if max(it.options, key=lambda o: len(o.text)).key == best_option(it)
    ]
    assert len(longest) <= len(items) // 2, f"best answer is the longest option in {longest}"


def test_every_competency_appears_in_situations(instrument: Instrument) -> None:
    scored = {s for it in situational(instrument) for o in it.options for s in o.scores}
    missing = COMPETENCIES - scored
    assert not missing, f"no situational option scores {sorted(missing)}"


def test_attention_checks(instrument: Instrument) -> None:
    checks = [it for it in instrument.items if it.attention is not None]
    assert len(checks) >= 2
    for it in checks:
        assert not it.is_scored, it.key
        assert it.type == "likert", it.key
        assert 1 <= int(it.attention) <= (it.points or 5), it.key
    assert len({it.attention for it in checks}) >= 2, "attention checks expect the same answer"
    pages = {sec.key for sec in instrument.sections for it in sec.items if it.attention}
    assert len(pages) >= 2, "attention checks should sit on different pages"


def test_item_keys_unique(instrument: Instrument) -> None:
    keys = Counter(it.key for it in instrument.items)
    assert not [k for k, n in keys.items() if n > 1]


def test_sections(instrument: Instrument) -> None:
    assert 6 <= len(instrument.sections) <= 10
    for sec in instrument.sections:
        assert sec.intro.strip(), sec.key
        assert sec.items, sec.key
        types = {it.type for it in sec.items}
        if "situational" in types:
            assert types == {"situational"}, f"{sec.key} mixes situations with other items"
        assert len(sec.items) <= 25, f"{sec.key} is too long"


def test_likert_pages_mix_scales(instrument: Instrument) -> None:
    for sec in instrument.sections:
        scales = [it.scale for it in sec.items if it.type == "likert" and it.is_scored]
        if not scales:
            continue
        assert len(set(scales)) >= 8, f"{sec.key} covers too few scales"
        for a, b in pairwise(scales):
            assert a != b, f"{sec.key}: two adjacent items on {a}"


def test_estimated_duration(instrument: Instrument) -> None:
    seconds = sum(SECONDS_PER_ITEM.get(it.type, DEFAULT_SECONDS) for it in instrument.items)
    assert 20 <= seconds / 60 <= 40, f"estimated {seconds / 60:.1f} minutes"
    assert 20 <= instrument.minutes <= 40


def test_narrative_bands(narratives: dict) -> None:
    bands = narratives["bands"]
    assert [b["key"] for b in bands] == list(BAND_KEYS)
    assert bands[0]["min"] == 0
    assert bands[-1]["max"] == 100
    for lower, upper in pairwise(bands):
        assert lower["max"] == upper["min"], f"gap or overlap at {lower['key']}"
        assert lower["min"] < lower["max"]
    assert all(b["label"].strip() for b in bands)
    # A score on a boundary belongs to the higher band; 100 to the top band.
    assert band_for(bands, 0)["key"] == "development"
    assert band_for(bands, 40)["key"] == "solid"
    assert band_for(bands, 84.9)["key"] == "strength"
    assert band_for(bands, 85)["key"] == "distinctive"
    assert band_for(bands, 100)["key"] == "distinctive"


def test_every_scale_has_narrative_for_every_band(instrument: Instrument, narratives: dict) -> None:
    texts = narratives["scales"]
    assert set(texts) == set(instrument.scale_keys)
    for scale in instrument.scale_keys:
        assert set(texts[scale]) == set(BAND_KEYS), scale
        for band in BAND_KEYS:
            text = texts[scale][band]
            assert isinstance(text, str), f"{scale}.{band}"
            assert len(text.split()) >= 8, f"{scale}.{band} is too short"
            assert text.startswith("The candidate"), f"{scale}.{band} is not third person"
    all_texts = [texts[s][b] for s in texts for b in BAND_KEYS]
    assert len(set(all_texts)) == len(all_texts), "narrative text repeated"
