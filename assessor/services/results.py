"""Scores computed once, at submission, with the instrument version answered.

The stored result keeps the participant's answer-matrix row too, so pool
statistics (reliability, norms) never need the answer rows again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select

import scoring
from assessor.extensions import db
from assessor.models import Assignment, Result, utcnow
from assessor.services import responses, standings
from questionnaires import Instrument

#: Bumped whenever a change in scoring/ changes any stored number.
SCORING_VERSION = "1"


def _json_row(row: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in row]


def score_candidate(
    instrument: Instrument, answers: dict[str, Any], page_seconds: dict[str, float]
) -> dict[str, Any]:
    """Everything the recruiter sees about one submitted candidate assessment."""
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [answers])
    scores = scoring.score_scales(key, matrix)
    sections = [s for s in instrument.sections]
    seconds = np.array([[page_seconds.get(s.key, np.nan) for s in sections]])
    per_page = np.array([len(s.items) for s in sections])
    has_timing = bool(np.isfinite(seconds).any())
    quality = scoring.response_quality(
        key,
        matrix,
        page_seconds=seconds if has_timing else None,
        items_per_page=per_page if has_timing else None,
    )
    checklist = [i for i in instrument.items if i.type == "checklist"]
    experience = []
    for item in checklist:
        for option_key in answers.get(item.key) or []:
            option = item.option(option_key)
            if option.points:
                experience.append(option.text)
    q = quality.to_dict()
    return {
        "kind": "candidate",
        "scales": scores.row(0),
        "matrix": _json_row(matrix[0]),
        "quality": {
            "flagged": bool(q["flagged"][0]),
            "reasons": list(q["reasons"][0]),
            "longest_run": q["longest_run"][0],
            "attention_failed": q["attention_failed"][0],
            "n_attention": q["n_attention"],
            "seconds_per_item": (q["seconds_per_item"] or [None])[0],
        },
        "experience": experience,
        "seconds_total": float(np.nansum(seconds)) if has_timing else None,
    }


def compute_and_store(assignment: Assignment) -> Result:
    """Score a submitted assignment (idempotent: an existing result is replaced)."""
    instrument = responses.instrument_of(assignment)
    answers = responses.answers_of(assignment)
    timings = responses.timings_of(assignment)
    if assignment.kind == "candidate":
        data = score_candidate(instrument, answers, timings)
    elif assignment.kind == "board_member":
        from assessor.services import board

        data = board.score_board_member(instrument, answers, board.judgements_of(assignment))
    else:
        data = score_generic(instrument, answers)
    result = db.session.scalar(select(Result).where(Result.assignment_id == assignment.id))
    if result is None:
        result = Result(
            assignment_id=assignment.id,
            scoring_version=SCORING_VERSION,
            instrument_hash=instrument.content_hash,
            data=data,
        )
        db.session.add(result)
    else:
        result.data = data
        result.scoring_version = SCORING_VERSION
        result.instrument_hash = instrument.content_hash
        result.computed_at = utcnow()
    db.session.flush()
    standings.result_changed(assignment)
    return result


def score_generic(instrument: Instrument, answers: dict[str, Any]) -> dict[str, Any]:
    """Scale scores of any other instrument (role scope, readiness)."""
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [answers])
    scores = scoring.score_scales(key, matrix)
    return {"kind": instrument.audience, "scales": scores.row(0), "matrix": _json_row(matrix[0])}
