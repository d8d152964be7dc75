"""Demo readiness survey: a finished round of about 60 anonymous respondents.

The top of the company sees itself as more customer-centric than the front
line does, so the results show the level gaps the report is about.  Many
front-line staff, and a few managers, answer "don't know" to statements about
the board and senior leaders (the instrument's latest version offers it), so
the report shows those counts instead of guesses.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Engagement, Survey, User
from questionnaires.model import DONT_KNOW

#: (level, respondents, trait levels 0–1 per dimension; "_base" for the rest)
DEMO_LEVELS: tuple[tuple[str, int, dict[str, float]], ...] = (
    (
        "board",
        6,
        {"_base": 0.7, "sponsorship": 0.78, "voice_of_customer": 0.72, "data_transparency": 0.5},
    ),
    (
        "executive",
        11,
        {"_base": 0.66, "sponsorship": 0.72, "cross_functional": 0.58, "data_transparency": 0.45},
    ),
    (
        "middle_management",
        18,
        {
            "_base": 0.52,
            "sponsorship": 0.5,
            "cross_functional": 0.42,
            "cost_balance": 0.4,
            "data_transparency": 0.36,
        },
    ),
    (
        "front_line",
        25,
        {
            "_base": 0.42,
            "education": 0.36,
            "sponsorship": 0.34,
            "voice_of_customer": 0.28,
            "cost_balance": 0.3,
            "data_transparency": 0.3,
            "cross_functional": 0.38,
        },
    ),
)
#: Chance of answering "don't know" to a statement that offers it, per level: first for
#: statements about the board and the chief executive, then for the other ones (about
#: senior leaders in general).
DEMO_DONT_KNOW: dict[str, tuple[float, float]] = {
    "board": (0.0, 0.0),
    "executive": (0.0, 0.02),
    "middle_management": (0.15, 0.08),
    "front_line": (0.5, 0.25),
}
#: Statements about the board or the chief executive themselves.
ABOUT_THE_BOARD: frozenset[str] = frozenset({"spons_1", "spons_2", "spons_3", "spons_5"})
#: Where people of each level work (weights over the instrument's departments).
DEMO_DEPARTMENTS: dict[str, dict[str, float]] = {
    "board": {"other": 4, "finance": 1, "sales": 1},
    "executive": {
        "sales": 2,
        "operations": 2,
        "finance": 2,
        "digital": 2,
        "customer_service": 1,
        "marketing": 1,
        "hr": 1,
    },
    "middle_management": {
        "customer_service": 5,
        "sales": 4,
        "operations": 4,
        "digital": 3,
        "finance": 1,
        "marketing": 1,
    },
    "front_line": {"customer_service": 12, "sales": 5, "operations": 6, "digital": 2},
}


def load_readiness_demo(users: dict[str, User], engagement: Engagement) -> Survey:
    """Round 1 of the readiness survey: everyone invited by a personal link that works
    once, answered page by page through the services, then closed (which releases it)."""
    from assessor.demo import _answer_pages, synthetic_answers
    from assessor.models import SurveyInvitation
    from assessor.services import (
        responses,
        results,
        survey_invitations,
        survey_releases,
        surveys,
    )

    consultant = users["consultant"]
    survey = surveys.open_round(
        consultant,
        engagement,
        title="Baseline readiness",
        targets={"board": 6, "executive": 12, "middle_management": 20, "front_line": 30},
    )
    rng = np.random.default_rng(4711)
    people: list[tuple[str, str]] = []
    for level, count, _trait in DEMO_LEVELS:
        weights = DEMO_DEPARTMENTS[level]
        names = list(weights)
        p = np.array([weights[n] for n in names], dtype=float)
        people += [(level, names[int(rng.choice(len(names), p=p / p.sum()))]) for _ in range(count)]
    invitees = [
        survey_invitations.Invitee(
            line=number, email=f"staff{number:03d}@halden.example", segment={"level": level}
        )
        for number, (level, _department) in enumerate(people, start=1)
    ]
    survey_invitations.add_invitations(consultant, survey, invitees)
    invitations = db.session.scalars(
        select(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id)
        .order_by(SurveyInvitation.id)
    ).all()
    traits = [trait for _level, count, trait in DEMO_LEVELS for _ in range(count)]
    for invitation, (level, department), trait in zip(invitations, people, traits, strict=True):
        person = {k: float(np.clip(v + rng.normal(0, 0.07), 0, 1)) for k, v in trait.items()}
        assignment = survey_invitations.claim(survey, invitation)
        instrument = responses.instrument_of(assignment)
        answers = synthetic_answers(instrument, rng, person)
        board_p, other_p = DEMO_DONT_KNOW[level]
        for item in instrument.dont_know_items:
            if rng.random() < (board_p if item.key in ABOUT_THE_BOARD else other_p):
                answers[item.key] = DONT_KNOW
        answers["level"] = level
        answers["department"] = department
        answers["region"] = "europe" if rng.random() < 0.8 else "north_america"
        _answer_pages(assignment, instrument, answers, rng, pages=None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
    survey_releases.close(consultant, survey)
    return survey
