"""The public links of a readiness survey round: the open collection link
(``/s/<token>``) and personal single-use invitations (``/s/i/<token>``).

Opening the link shows what the survey is and how anonymity is kept; agreeing
creates an anonymous response and hands over to the participant pages
(``/r/<token>``).  A signed cookie, holding only which response this browser
started, lets a returning respondent resume, or tells them they already
answered, without identifying anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from assessor.extensions import db
from assessor.forms.questionnaire import ActionForm
from assessor.models import Assignment, Engagement, Organisation, Survey
from assessor.services import invitations, survey_invitations, surveys
from assessor.services.surveys import SurveyLinkError

bp = Blueprint("survey", __name__, url_prefix="/s")

LINK_ERROR_STATUS = {"invalid": 404, "closed": 410, "used": 410}


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


def _answered(survey: Survey, token: str, personal: bool = False) -> tuple[str, int]:
    return render_template(
        "survey/answered.html",
        token=token,
        form=ActionForm(),
        personal=personal,
        **_context(survey),
    ), 200


def _started(survey: Survey, assignment: Assignment) -> Response:
    """Hand over to the participant pages, remembering in this browser which response it is."""
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


def _returning(survey: Survey, token: str, personal: bool = False) -> Any:
    """The page for a browser that already started a response of this round, if it did."""
    earlier = surveys.response_from_cookie(survey, request.cookies.get(surveys.cookie_name(survey)))
    if earlier is None:
        return None
    if earlier.submitted_at is not None:
        return _answered(survey, token, personal=personal)
    if surveys.accepting(survey) and earlier.status != "revoked":
        return _resume(earlier)
    return None


def _consent(survey: Survey, token: str, begin: Callable[[], Assignment], **page: Any) -> Any:
    """The consent page; agreeing calls ``begin`` and hands over to the participant pages."""
    surveys.check_accepting(survey)
    form = ActionForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The form expired. Reload the page and try again.")
        if request.form.get("consent") == "yes":
            return _started(survey, begin())
        error = "Please tick the box to agree before you start."
    return render_template(
        "survey/start.html", token=token, form=form, error=error, **page, **_context(survey)
    ), (400 if error else 200)


@bp.route("/<token>", methods=["GET", "POST"])
def start(token: str) -> Any:
    """The open link: anyone holding it may start a response (a colleague on the same
    device deliberately too, with ``fresh``)."""
    survey, level = surveys.resolve_collection(token)
    fresh = request.method == "POST" and request.form.get("fresh") == "yes"
    returning = None if fresh else _returning(survey, token)
    if returning is not None:
        return returning
    levels = dict(surveys.segment_options(surveys.instrument_of(survey))["level"])
    return _consent(
        survey,
        token,
        lambda: surveys.start_response(survey, {"level": level} if level else None),
        fresh=fresh,
        level_label=levels.get(level or ""),
    )


@bp.route("/i/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    """One person's single-use link: the same consent page, then the link is used up.

    A browser coming back with the cookie of the response it started is let
    through before the link is refused as used. The cookie counts only once
    the link is used: a browser that started someone else's response (a shared
    device) gets the start page for its own unused link instead.
    """
    survey, invite = survey_invitations.resolve_invitation(token)
    if invite.is_used:
        returning = _returning(survey, token, personal=True)
        if returning is not None:
            return returning
        surveys.check_accepting(survey)
        raise survey_invitations.used_error()
    return _consent(
        survey,
        token,
        lambda: survey_invitations.claim(survey, invite),
        fresh=False,
        personal=True,
        preset=survey_invitations.preset_labels(survey, invite),
    )
