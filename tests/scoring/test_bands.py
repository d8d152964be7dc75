"""Interpretive bands and narratives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ScoringError, band_for, band_index, narrative

BANDS = [
    {"key": "low", "label": "Developing", "min": 0, "max": 40},
    {"key": "mid", "label": "Solid", "min": 40, "max": 70},
    {"key": "high", "label": "Strong", "min": 70, "max": 100},
]
NARRATIVES = {
    "bands": BANDS,
    "scales": {"empathy": {"low": "L text", "mid": "M text", "high": "H text"},
               "metrics": {"low": "only low"}},
}  # fmt: skip


def test_boundaries_belong_to_the_higher_band_except_100():
    pomp = np.array([0, 39.999, 40, 69.9, 70, 99.99, 100, np.nan])
    assert band_for(pomp, BANDS).tolist() == [
        "low", "low", "mid", "mid", "high", "high", "high", None,
    ]  # fmt: skip
    assert band_index(pomp, BANDS).tolist() == [0, 0, 1, 1, 2, 2, 2, -1]
    # works on matrices too
    assert band_for(np.array([[10.0, 80.0]]), BANDS).tolist() == [["low", "high"]]


def test_invalid_bands_and_scores():
    with pytest.raises(ScoringError, match="must start where"):
        band_for([50], [BANDS[0], BANDS[2]])
    with pytest.raises(ScoringError, match="end at 100"):
        band_for([50], BANDS[:2])
    with pytest.raises(ScoringError, match="no bands"):
        band_for([50], [])
    with pytest.raises(ScoringError, match="needs key"):
        band_for([50], [{"key": "x"}])
    with pytest.raises(ScoringError, match=r"0\.\.100"):
        band_for([100.5], BANDS)


def test_narrative_hand_worked():
    n = narrative("empathy", 70.0, NARRATIVES)
    assert (n.band, n.label, n.text) == ("high", "Strong", "H text")
    assert narrative("empathy", 39.5, NARRATIVES).text == "L text"
    json.dumps(n.to_dict())


def test_missing_score_gives_an_empty_narrative():
    n = narrative("empathy", float("nan"), NARRATIVES)
    assert n.band is None and n.text is None
    assert narrative("empathy", None, NARRATIVES).band is None


def test_missing_text_is_a_content_error():
    with pytest.raises(ScoringError, match="scale 'metrics' in band 'high'"):
        narrative("metrics", 90, NARRATIVES)
    with pytest.raises(ScoringError, match="no narratives for scale 'nope'"):
        narrative("nope", 90, NARRATIVES)
    with pytest.raises(ScoringError, match="'bands'"):
        narrative("empathy", 50, {"scales": {}})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=30))
def test_band_is_monotone_in_the_score(values):
    x = np.sort(np.array(values))
    idx = band_index(x, BANDS)
    assert (np.diff(idx) >= 0).all() and ((idx >= 0) & (idx <= 2)).all()
