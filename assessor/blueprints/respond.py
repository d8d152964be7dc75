"""The participant side, reached only through a signed invitation link."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from assessor.forms.questionnaire import ActionForm, field_name, questions_html
from assessor.models import Assignment
from assessor.services import board, invitations, responses, results
from assessor.services.invitations import LinkError
from assessor.web import keep_changes
from questionnaires import Instrument, Section
from questionnaires.flow import missing_required, visible_items, visible_sections

bp = Blueprint("respond", __name__, url_prefix="/r")

LINK_ERROR_STATUS = {"invalid": 404, "expired": 410, "revoked": 410, "completed": 409}


@bp.errorhandler(responses.AlreadySubmittedError)
def _already_submitted(exc: responses.AlreadySubmittedError) -> Response:
    """A double click or a second tab: the first submission stands; show its thank-you."""
    token = (request.view_args or {}).get("token", "")
    return redirect(url_for("respond.done", token=token))


@bp.errorhandler(LinkError)
def _link_error(exc: LinkError) -> tuple[str, int]:
    return (
        render_template("respond/link_error.html", reason=exc.reason, message=exc.message),
        LINK_ERROR_STATUS.get(exc.reason, 400),
    )


def participant_context(assignment: Assignment) -> dict[str, Any]:
    """Who asks, for which engagement: what every participant page shows on top."""
    return {
        "assignment": assignment,
        "engagement": assignment.engagement,
        "organisation": assignment.organisation,
    }


def _load(token: str) -> tuple[Assignment, Instrument]:
    assignment = invitations.resolve_token(token)
    return assignment, responses.instrument_of(assignment)


@bp.route("/<token>", methods=["GET", "POST"])
def welcome(token: str) -> Response | str:
    assignment, instrument = _load(token)
    form = ActionForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The form expired. Reload the page and try again.")
        if request.form.get("consent") != "yes":
            error = "Please tick the box to agree before you start."
        else:
            responses.consent(assignment, norms=request.form.get("norms") == "yes")
            return redirect(url_for("respond.resume", token=token))
    answers = responses.answers_of(assignment)
    return render_template(
        "respond/welcome.html",
        instrument=instrument,
        token=token,
        error=error,
        form=form,
        percent=responses.completion(assignment, instrument, answers),
        **participant_context(assignment),
    )


@bp.route("/<token>/resume")
def resume(token: str) -> Response:
    assignment, instrument = _load(token)
    if assignment.consented_at is None:
        return redirect(url_for("respond.welcome", token=token))
    answers = responses.answers_of(assignment)
    # The questionnaire is done: a board member continues with the comparisons.
    if (
        assignment.kind == "board_member"
        and not board.priorities_complete(assignment)
        and not missing_required(visible_sections(instrument, answers), answers)
    ):
        return redirect(url_for("board.priorities", token=token))
    section = responses.resume_section(instrument, assignment, answers)
    if section is None:
        return redirect(url_for("respond.review", token=token))
    return redirect(url_for("respond.page", token=token, section_key=section.key))


def _raw_values(section: Section) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in section.items:
        name = field_name(item)
        if item.type in ("multi", "checklist"):
            values[item.key] = request.form.getlist(name)
        elif item.type == "forced_choice":
            values[item.key] = {
                "most": request.form.get(f"{name}-most"),
                "least": request.form.get(f"{name}-least"),
            }
        elif item.type == "effectiveness":
            values[item.key] = {o.key: request.form.get(f"{name}-{o.key}") for o in item.options}
        else:
            values[item.key] = request.form.get(name)
    return values


def _elapsed() -> float | None:
    try:
        started = float(request.form.get("page_started", ""))
    except ValueError:
        return None
    elapsed = time.time() - started
    return elapsed if 0 <= elapsed < 86400 else None


@bp.route("/<token>/page/<section_key>", methods=["GET", "POST"])
def page(token: str, section_key: str) -> Response | str | tuple[str, int]:
    assignment, instrument = _load(token)
    if assignment.consented_at is None:
        return redirect(url_for("respond.welcome", token=token))
    section = responses.section_by_key(instrument, section_key)
    if section is None:
        abort(404, "This questionnaire has no such page.")
    answers = responses.answers_of(assignment)
    errors: dict[str, str] = {}
    if request.method == "POST":
        # CSRFProtect has checked the token before the view (an expired page is a 400).
        action = request.form.get("action", "next")
        posted = _raw_values(section)
        result = responses.save_page(
            assignment, section, posted, _elapsed(), strict=action == "next", stored=answers
        )
        answers = result.answers
        if action == "back":
            previous = responses.previous_section(instrument, answers, section.key)
            target = (
                url_for("respond.page", token=token, section_key=previous.key)
                if previous
                else url_for("respond.welcome", token=token)
            )
            return redirect(target)
        if action == "save":
            return redirect(url_for("respond.saved", token=token))
        if result.ok:
            following = responses.next_section(instrument, answers, section.key)
            if following is None:
                return redirect(url_for("respond.review", token=token))
            return redirect(url_for("respond.page", token=token, section_key=following.key))
        errors = result.errors
        keep_changes()  # the valid answers on the page are saved even so
        values = posted  # shown as typed, so nothing needs entering twice
    else:
        values = _shown_values(section, answers)
    sections = visible_sections(instrument, answers)
    keys = [s.key for s in sections]
    position = keys.index(section.key) + 1 if section.key in keys else 1
    items = visible_items(section, answers)
    return render_template(
        "respond/page.html",
        instrument=instrument,
        section=section,
        token=token,
        items=items,
        questions=questions_html(instrument, items, values, errors),
        errors=errors,
        page_started=f"{time.time():.3f}",
        position=position,
        total=len(sections),
        field_name=field_name,
        percent=responses.completion(assignment, instrument, answers),
        **participant_context(assignment),
    ), (400 if errors else 200)


def _shown_values(section: Section, answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers of a section as the inputs carry them (text; a list for ticks)."""
    values: dict[str, Any] = {}
    for item in section.items:
        value = answers.get(item.key)
        if value is not None:
            values[item.key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return values


@bp.route("/<token>/saved")
def saved(token: str) -> str:
    assignment, instrument = _load(token)
    return render_template(
        "respond/saved.html", token=token, instrument=instrument, **participant_context(assignment)
    )


@bp.route("/<token>/review", methods=["GET", "POST"])
def review(token: str) -> Response | str | tuple[str, int]:
    assignment, instrument = _load(token)
    if assignment.consented_at is None:
        return redirect(url_for("respond.welcome", token=token))
    answers = responses.answers_of(assignment)
    form = ActionForm()
    missing: list[str] = []
    # A board member also compares the competency clusters before submitting.
    is_board = assignment.kind == "board_member"
    priorities_done = board.priorities_complete(assignment) if is_board else True
    if (
        is_board
        and request.method == "GET"
        and not board.has_judgements(assignment)
        and not missing_required(visible_sections(instrument, answers), answers)
    ):
        return redirect(url_for("board.priorities", token=token))
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The page expired before it was sent. Reload it and submit again.")
        missing = responses.submit(assignment) if priorities_done else ["priorities"]
        if not missing:
            results.compute_and_store(assignment)
            return redirect(url_for("respond.done", token=token))
    sections = visible_sections(instrument, answers)
    rows = []
    for section in sections:
        items = visible_items(section, answers)
        done = sum(1 for i in items if answers.get(i.key) not in (None, ""))
        gaps = [i for i in items if i.required and answers.get(i.key) in (None, "")]
        rows.append((section, done, len(items), gaps))
    return render_template(
        "board/review.html" if is_board else "respond/review.html",
        instrument=instrument,
        priorities_done=priorities_done,
        rows=rows,
        token=token,
        form=form,
        missing=missing,
        percent=responses.completion(assignment, instrument, answers),
        **participant_context(assignment),
    ), (400 if missing else 200)


@bp.route("/<token>/done")
def done(token: str) -> str:
    assignment = invitations.resolve_token(token, allow_completed=True)
    return render_template("respond/done.html", **participant_context(assignment))
