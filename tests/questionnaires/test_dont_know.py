""" "Don't know" on statements about other levels: readiness v2, the parser, and scoring.

Readiness v1 stays as it was (answers given against it keep their hash and meaning);
v2 is the latest version and offers "don't know" where a respondent is asked to judge
what the board or senior leaders do.
"""

from __future__ import annotations

import numpy as np
import pytest

import questionnaires
import scoring
from questionnaires.flow import AnswerError, parse_answer, split_dont_know
from questionnaires.model import DONT_KNOW, DONT_KNOW_LABEL, DONT_KNOW_TYPES

V1 = questionnaires.load("readiness", 1)
V2 = questionnaires.load("readiness", 2)


def test_constants():
    assert DONT_KNOW == "dont_know"
    assert DONT_KNOW_LABEL == "Don't know"
    assert DONT_KNOW_TYPES == ("likert",)


def test_v2_is_latest_and_v1_is_kept():
    assert questionnaires.latest("readiness").version == 2
    # v1's content (and so its hash, stored with every round that used it) is unchanged
    assert V1.content_hash == "b0aa9ca56153826c2bf630b1e88d140f70573d2c91c2b3938372bdb514753dfe"
    assert not V1.dont_know_items
    assert V1.scale_keys == V2.scale_keys  # one narratives file serves both versions
    assert [s.key for s in V1.sections] == [s.key for s in V2.sections]


def test_v2_offers_dont_know_on_statements_about_other_levels():
    keys = [i.key for i in V2.dont_know_items]
    assert keys == [
        "edu_4",
        "spons_1",
        "spons_2",
        "spons_3",
        "spons_5",
        "voice_1",
        "voice_3",
        "voice_4",
        "voice_6",
        "cost_5",
    ]
    for item in V2.dont_know_items:
        assert item.type == "likert" and item.scale is not None and item.attention is None
        text = item.text.lower()
        assert any(
            w in text
            for w in ("board", "chief executive", "senior", "top management", "budgets are cut")
        ), item.text
    # every dimension keeps statements that anyone can judge from their own work
    for scale in V2.scale_keys:
        own = [i for i in V2.items if i.scale == scale and not i.dont_know and not i.attention]
        assert len(own) >= 2, scale
    assert "Don't know" in V2.intro


def test_parser_accepts_dont_know_only_where_offered():
    spons_2 = V2.item("spons_2")
    assert parse_answer(spons_2, DONT_KNOW) == DONT_KNOW
    assert parse_answer(spons_2, " dont_know ") == DONT_KNOW
    assert parse_answer(spons_2, "4") == 4
    with pytest.raises(AnswerError, match="Choose one of the 5 points, or “Don't know”"):
        parse_answer(spons_2, "don't know")
    # an item that does not offer it (v2 own-experience item, and the same key in v1)
    for item in (V2.item("spons_4"), V1.item("spons_2"), V2.item("attention_1")):
        with pytest.raises(AnswerError, match=r"Choose one of the 5 points\."):
            parse_answer(item, DONT_KNOW)
    candidate = next(i for i in questionnaires.load("cco_candidate", 1).items if i.type == "likert")
    with pytest.raises(AnswerError):
        parse_answer(candidate, DONT_KNOW)


def _answers(value: int = 4) -> dict[str, object]:
    answers: dict[str, object] = {"level": "front_line", "department": "sales", "region": "europe"}
    for item in V2.items:
        if item.type == "likert":
            answers[item.key] = value
    answers["attention_1"] = 4
    return answers


def test_scoring_treats_dont_know_as_missing_and_lists_it():
    answers = _answers(4)
    for key in ("spons_1", "voice_1", "voice_3"):
        answers[key] = DONT_KNOW
    kept, unknown = split_dont_know(V2, answers)
    assert unknown == ["spons_1", "voice_1", "voice_3"]
    assert DONT_KNOW not in kept.values() and answers["spons_1"] == DONT_KNOW  # input kept
    key = scoring.compile_key(V2)
    matrix = scoring.answers_to_matrix(key, [kept])
    for k in unknown:
        assert np.isnan(matrix[0, key.item_col[key.items.index(k)]])
    scores = scoring.score_scales(key, matrix).row(0)
    # sponsorship from the 5 statements left: "agree" (4) on spons_2, 4 and 5, and on the
    # reversed spons_3 and 6 (2 after reversal): mean 16 / 5 = 3.2 -> POMP 55, not the 50
    # that scoring "don't know" as a middle point would give
    assert scores["sponsorship"]["pomp"] == pytest.approx(55.0)
    # two of six left unanswered is below the scorer's minimum share: missing, never 0
    assert scores["voice_of_customer"]["pomp"] is None
    full = scoring.score_scales(key, scoring.answers_to_matrix(key, [_answers(4)])).row(0)
    assert scores["education"]["pomp"] == pytest.approx(full["education"]["pomp"])
    # a "don't know" is never scored as a point of the scale: the raw answer would not load
    with pytest.raises(scoring.ScoringError):
        scoring.answers_to_matrix(key, [answers])


def test_split_leaves_v1_answers_alone():
    answers = {"spons_2": 4, "edu_1": 2}
    assert split_dont_know(V1, answers) == (answers, [])
