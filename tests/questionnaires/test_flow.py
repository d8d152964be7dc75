"""Answer parsing and visibility rules of questionnaires.flow."""

from __future__ import annotations

import pytest

from questionnaires import load
from questionnaires.flow import AnswerError, parse_answer


@pytest.fixture(scope="module")
def likert():
    return next(i for i in load("cco_candidate").items if i.type == "likert")


@pytest.mark.parametrize("raw, expected", [("4", 4), (" 2 ", 2), ("", None), (None, None)])
def test_likert_values(likert, raw, expected):
    assert parse_answer(likert, raw) == expected


@pytest.mark.parametrize("raw", ["0", "6", "²", "٣", "4.0", "x", "-1"])
def test_likert_rejects_with_a_reason(likert, raw):
    with pytest.raises(AnswerError, match=r"Choose one of the 5 points\."):
        parse_answer(likert, raw)
