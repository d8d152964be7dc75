"""A checklist's exclusive option ("None of these") cannot be ticked with any other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import questionnaires
from assessor.extensions import db
from assessor.models import Answer
from assessor.services import invitations, responses
from questionnaires.flow import AnswerError, parse_answer
from questionnaires.model import Item, Option

EXCLUSIVE_YAML = """\
key: exclusive_demo
version: 1
title: Exclusive demo
audience: candidate
intro: A checklist with a "None of these" option.
minutes: 1
scales:
  - key: experience
    name: Relevant experience
    description: Background that counts in the role.
sections:
  - key: background
    title: Background
    items:
      - key: background
        type: checklist
        scale: experience
        text: Tick what you have done.
        options:
          - {key: sales, text: Managed a sales team, points: 2}
          - {key: reorg, text: Led a reorganisation, points: 1}
          - {key: none, text: "None of these", points: 0, exclusive: true}
"""
#: Refused in questionnaires.flow.parse_answer, the one place that says what an answer
#: may be: the error is on the question, names the option and says it cannot be combined.
REFUSED = re.compile(r"^.None of these. cannot be combined with other (experiences|options)\.$")


@pytest.fixture
def instrument(tmp_path: Path) -> questionnaires.Instrument:
    folder = tmp_path / "exclusive_demo"
    folder.mkdir()
    path = folder / "v1.yaml"
    path.write_text(EXCLUSIVE_YAML, encoding="utf-8")
    return questionnaires.load_file(path)


def test_the_rule_on_the_item(instrument):
    item = instrument.item("background")
    assert item.option("none").exclusive
    for value in (["sales", "none"], ["none", "reorg", "sales"], ["reorg", "none"]):
        with pytest.raises(AnswerError) as caught:
            parse_answer(item, value)
        assert REFUSED.match(str(caught.value)), str(caught.value)
    for value in (["none"], ["sales", "reorg"], ["sales"], [], None):
        parse_answer(item, value)  # allowed


def test_options_without_the_field_are_never_exclusive():
    """Instruments written before the schema had ``exclusive`` keep working."""
    options = (Option("a", "A"), Option("none", "None"))
    item = Item("background", "checklist", "Tick what you have done.", options=options)
    assert item.exclusive_option is None
    assert parse_answer(item, ["a", "none"]) == ["a", "none"]


def test_save_page_refuses_the_combination_next_to_the_question(
    app, make_user, make_engagement, instrument
):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    assignment = invitations.invite(recruiter, engagement, "Maria", "maria@example.com")
    db.session.commit()
    section = instrument.sections[0]

    refused = responses.save_page(
        assignment, section, {"background": ["sales", "none"]}, 10.0, strict=True
    )
    assert not refused.ok
    assert list(refused.errors) == ["background"]
    assert REFUSED.match(refused.errors["background"]), refused.errors
    stored = db.session.scalars(
        select(Answer.item_key).where(Answer.assignment_id == assignment.id)
    ).all()
    assert stored == []  # nothing of the refused answer was written

    alone = responses.save_page(assignment, section, {"background": ["none"]}, 10.0, strict=True)
    assert alone.ok and alone.answers["background"] == ["none"]
    both = responses.save_page(
        assignment, section, {"background": ["sales", "reorg"]}, 10.0, strict=True
    )
    assert both.ok and both.answers["background"] == ["sales", "reorg"]
    # a refused page leaves the earlier valid answer as it was
    again = responses.save_page(
        assignment, section, {"background": ["none", "reorg"]}, 10.0, strict=True
    )
    assert list(again.errors) == ["background"]
    assert REFUSED.match(again.errors["background"]), again.errors
    value = db.session.scalar(
        select(Answer.value).where(
            Answer.assignment_id == assignment.id, Answer.item_key == "background"
        )
    )
    assert value == ["sales", "reorg"]
