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
from questionnaires.flow import split_dont_know

#: Bumped whenever a change in scoring/ changes any stored number.
SCORING_VERSION = "1"


def _json_row(row: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in row]


def score_candidate(
    instrument: Instrument, answers: dict[str, Any], page_seconds: dict[str, float]
) -> dict[str, Any]:
    """Everything the recruiter sees about one submitted candidate assessment, scored
    with the version the candidate answered (v2's forced-choice blocks, situations and
    validity indices through ``scoring.score_assessment``; v1 by its scales)."""
    if any(item.type == "forced_choice" for item in instrument.items):
        return _score_assessment(instrument, answers, page_seconds)
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [answers])
    scores = scoring.score_scales(key, matrix)
    seconds, per_page = _timing(instrument, page_seconds)
    quality = scoring.response_quality(key, matrix, page_seconds=seconds, items_per_page=per_page)
    experience = _experience(instrument, answers)
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
        "seconds_total": float(np.nansum(seconds)) if seconds is not None else None,
    }


def _timing(
    instrument: Instrument, page_seconds: dict[str, float]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Seconds per page and items per page, or (None, None) when no page was timed."""
    seconds = np.array([[page_seconds.get(s.key, np.nan) for s in instrument.sections]])
    if not np.isfinite(seconds).any():
        return None, None
    return seconds, np.array([len(s.items) for s in instrument.sections])


def _score_assessment(
    instrument: Instrument, answers: dict[str, Any], page_seconds: dict[str, float]
) -> dict[str, Any]:
    """A v2 result in the shape of a v1 result (scales by POMP, quality, experience),
    with each scale's SE and sources and the validity indices added."""
    scored = scoring.score_assessment(instrument, [answers])
    quality = scored.quality_row(0)
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [answers])
    seconds, per_page = _timing(instrument, page_seconds)
    if seconds is not None:
        timing = scoring.response_quality(
            key, matrix, page_seconds=seconds, items_per_page=per_page
        ).to_dict()
        quality["seconds_per_item"] = (timing["seconds_per_item"] or [None])[0]
        speeding = [r for r in timing["reasons"][0] if r not in quality["reasons"]]
        if timing["fast_pages"] is not None and speeding:
            quality["reasons"] = [*quality["reasons"], *speeding]
            quality["flagged"] = True
    else:
        quality["seconds_per_item"] = None
    return {
        "kind": "candidate",
        "scales": scored.row(0),
        "matrix": _json_row(matrix[0]),
        "quality": quality,
        "experience": _experience(instrument, answers),
        "seconds_total": float(np.nansum(seconds)) if seconds is not None else None,
    }


def _experience(instrument: Instrument, answers: dict[str, Any]) -> list[str]:
    """The experiences a candidate ticked that count (the exclusive "None" does not)."""
    ticked = []
    for item in instrument.items:
        if item.type != "checklist":
            continue
        for option_key in answers.get(item.key) or []:
            option = item.option(option_key)
            if option.points:
                ticked.append(option.text)
    return ticked


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
    """Scale scores of any other instrument (role scope, readiness).

    "Don't know" answers are missing for the scores and listed under ``dont_know``
    (readiness counts them)."""
    answers, unknown = split_dont_know(instrument, answers)
    key = scoring.compile_key(instrument)
    matrix = scoring.answers_to_matrix(key, [answers])
    scores = scoring.score_scales(key, matrix)
    data = {"kind": instrument.audience, "scales": scores.row(0), "matrix": _json_row(matrix[0])}
    if unknown:
        data["dont_know"] = unknown
    return data
