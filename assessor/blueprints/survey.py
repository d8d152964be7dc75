"""The public collection link of a readiness survey round (``/s/<token>``).

Opening the link shows what the survey is and how anonymity is kept; agreeing
creates an anonymous response and hands over to the participant pages
(``/r/<token>``).  A signed cookie, holding only which response this browser
started, lets a returning respondent resume, or tells them they already
answered, without identifying anyone.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from assessor.extensions import db
from assessor.forms.questionnaire import ActionForm
from assessor.models import Assignment, Engagement, Organisation, Survey
from assessor.services import invitations, surveys
from assessor.services.surveys import SurveyLinkError

bp = Blueprint("survey", __name__, url_prefix="/s")

LINK_ERROR_STATUS = {"invalid": 404, "closed": 410}


@bp.errorhandler(SurveyLinkError)
def _link_error(exc: SurveyLinkError) -> tuple[str, int]:
    return (
        render_template("survey/link_error.html", reason=exc.reason, message=exc.message),
        LINK_ERROR_STATUS.get(exc.reason, 400),
    )


def _context(survey: Survey) -> dict[str, Any]:
    return {
        "survey": survey,
        "engagement": db.session.get(Engagement, survey.engagement_id),
        "organisation": db.session.get(Organisation, survey.organisation_id),
        "instrument": surveys.instrument_of(survey),
    }


def _resume(assignment: Assignment) -> Response:
    return redirect(url_for("respond.resume", token=invitations.link_token(assignment)))


def _answered(survey: Survey, token: str) -> tuple[str, int]:
    return render_template(
        "survey/answered.html", token=token, form=ActionForm(), **_context(survey)
    ), 200


@bp.route("/<token>", methods=["GET", "POST"])
def start(token: str) -> Any:
    survey, level = surveys.resolve_collection(token)
    earlier = surveys.response_from_cookie(survey, request.cookies.get(surveys.cookie_name(survey)))
    fresh = request.method == "POST" and request.form.get("fresh") == "yes"
    if earlier is not None and not fresh:
        if earlier.submitted_at is not None:
            return _answered(survey, token)
        if surveys.accepting(survey) and earlier.status != "revoked":
            return _resume(earlier)
    surveys.check_accepting(survey)
    form = ActionForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The form expired. Reload the page and try again.")
        if request.form.get("consent") != "yes":
            error = "Please tick the box to agree before you start."
        else:
            assignment = surveys.start_response(survey, {"level": level} if level else None)
            response = _resume(assignment)
            response.set_cookie(
                surveys.cookie_name(survey),
                surveys.cookie_value(assignment),
                max_age=surveys.cookie_max_age(survey),
                path=surveys.COOKIE_PATH,
                httponly=True,
                samesite="Lax",
                secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            )
            return response
    return render_template(
        "survey/start.html",
        token=token,
        form=form,
        error=error,
        fresh=fresh,
        level_label=dict(surveys.segment_options(surveys.instrument_of(survey))["level"]).get(
            level or ""
        ),
        **_context(survey),
    ), (400 if error else 200)
