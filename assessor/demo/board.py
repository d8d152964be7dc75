"""The demo board: three members who scoped the role, compared priorities and approved v2.

A new user opening the demo engagement sees a finished board (two members
who want an operating executive, one who leans to a board strategist), the
role profile the board approved as version 2 after the default version 1,
and a candidate ranking that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assessor.models import Engagement, User
from scoring.ahp import nearest_scale_value
from scoring.profiles import CLUSTERS

#: Role-scope answers of a board that wants someone to run service end to end.
OPERATOR_ANSWERS: dict[str, Any] = {
    "budget": "operating",
    "board_seat": "executive_committee",
    "reporting_line": "ceo",
    "restructure": "own_units",
    "board_need": "service",
    "functions": ["contact_centre", "digital", "post_sale", "billing"],
    "contact_centres": "direct",
    "contact_centre_size": "large",
    "coordination": "several",
    "customer_types": ["b2c", "b2b"],
    "international": "single_country",
    "trigger": "customer_problem",
    "time_to_value": "m6",
    "measures_maturity": "fragmented",
    "customer_facing_staff": 1800,
    # role scope v2: the organisation's values, for culture fit
    "value_1": "Own the outcome",
    "value_1_behaviour": "Takes a customer's problem to the end, even when another team caused it.",
    "value_2": "Straight talk",
    "value_2_behaviour": "Says what the figures show, to peers and the board alike.",
}
#: Role-scope answers of a board that wants a strategist on the board.
STRATEGIST_ANSWERS: dict[str, Any] = {
    "budget": "strategic",
    "board_seat": "board",
    "reporting_line": "ceo",
    "restructure": "lead",
    "board_need": "strategy",
    "functions": ["sales", "marketing"],
    "contact_centres": "none",
    "coordination": "few",
    "customer_types": ["b2b", "partners"],
    "international": "single_country",
    "trigger": "growth",
    "time_to_value": "m24",
    "measures_maturity": "embedded",
    "value_1": "Own the outcome",
    "value_1_behaviour": "Finishes what the customer started with us, whoever owns the step.",
}
OPERATOR_WEIGHTS: dict[str, float] = {
    "customer_focus": 0.27,
    "insight_technology": 0.27,
    "influence_collaboration": 0.10,
    "strategy_commerce": 0.09,
    "execution_change": 0.20,
    "learning_experience": 0.07,
}
STRATEGIST_WEIGHTS: dict[str, float] = {
    "customer_focus": 0.15,
    "insight_technology": 0.08,
    "influence_collaboration": 0.20,
    "strategy_commerce": 0.38,
    "execution_change": 0.12,
    "learning_experience": 0.07,
}
DEMO_BOARD: tuple[tuple[str, str, dict[str, Any], dict[str, float], float], ...] = (
    ("Margaret Okafor", "margaret.okafor@halden.example", OPERATOR_ANSWERS, OPERATOR_WEIGHTS, 0.15),
    (
        "Henrik Dahl",
        "henrik.dahl@halden.example",
        {**OPERATOR_ANSWERS, "board_need": "insight", "measures_maturity": "absent"},
        {**OPERATOR_WEIGHTS, "insight_technology": 0.33, "customer_focus": 0.21},
        0.2,
    ),
    ("Sofia Almeida", "sofia.almeida@halden.example", STRATEGIST_ANSWERS, STRATEGIST_WEIGHTS, 0.45),
)


def judgement_steps(
    weights: Mapping[str, float], rng: np.random.Generator | None = None, noise: float = 0.0
) -> dict[str, str]:
    """Radio values of the priorities page for someone whose priorities are ``weights``.

    Each ratio is disturbed by log-normal ``noise`` and snapped to Saaty's
    scale, as a person would answer: the larger the noise, the higher the CR.
    """
    from assessor.services import board

    out: dict[str, str] = {}
    for left, right in board.PAIRS:
        ratio = weights[left] / weights[right]
        if rng is not None and noise:
            ratio *= float(np.exp(rng.normal(0, noise)))
        value = float(nearest_scale_value(ratio))
        out[board.pair_field(left, right)] = str(board.step_of(value))
    return out


def load_board_demo(users: Mapping[str, User], engagement: Engagement) -> None:
    """Three board members answer and compare, then the board's profile is approved as v2."""
    from assessor.demo import _answer_pages
    from assessor.services import board, invitations, responses, results

    assert set(CLUSTERS) == set(OPERATOR_WEIGHTS)
    rng = np.random.default_rng(77)
    for name, email, answers, weights, noise in DEMO_BOARD:
        assignment = invitations.invite(
            users["recruiter"], engagement, name, email, kind=board.KIND
        )
        instrument = responses.instrument_of(assignment)
        _answer_pages(assignment, instrument, dict(answers), rng, pages=None)
        saved = board.save_judgements(assignment, judgement_steps(weights, rng, noise), strict=True)
        assert saved.ok, saved.errors
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
    proposal = board.propose(users["recruiter"], engagement)
    # Bruno Board is a board member of this engagement; its rule is "any one board member".
    decided = board.decide(users["board"], proposal, "approve")
    assert decided.outcome == "approved", decided.outcome
