"""The consultant's readiness pages: survey rounds, collection links, counts, results, exports."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from assessor.forms.consultant import TARGET_LEVELS, OpenRoundForm, RoundSettingsForm
from assessor.forms.questionnaire import ActionForm
from assessor.models import Engagement, Survey
from assessor.services import audit, engagements, survey_results, surveys
from assessor.services.errors import ServiceError
from assessor.web import download, role_required

bp = Blueprint("consultant", __name__, url_prefix="/engagements/<int:engagement_id>/surveys")


def _engagement(engagement_id: int) -> Engagement:
    return engagements.get_engagement(current_user.organisation_id, engagement_id)


def _round(engagement: Engagement, survey_id: int) -> Survey:
    return surveys.get_round(current_user.organisation_id, engagement, survey_id)


def collection_url(survey: Survey, level: str | None = None) -> str:
    return url_for("survey.start", token=surveys.collection_token(survey, level), _external=True)


def _show_error(form: Any, exc: ServiceError) -> None:
    target = getattr(form, exc.field or "", None)
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


# ------------------------------------------------------------------ rounds


def _rounds_page(
    engagement: Engagement, form: OpenRoundForm | None = None, status: int = 200
) -> Any:
    rounds = surveys.list_rounds(engagement)
    return render_template(
        "consultant/surveys.html",
        engagement=engagement,
        rounds=rounds,
        counts=surveys.submitted_counts(rounds),
        state=surveys.state_label,
        form=form or OpenRoundForm(prefix="round"),
        can_open=not any(surveys.accepting(s) for s in rounds),
    ), status


@bp.route("")
@role_required("consultant")
def rounds(engagement_id: int) -> Any:
    return _rounds_page(_engagement(engagement_id))


@bp.route("/new", methods=["POST"])
@role_required("consultant")
def open_round(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = OpenRoundForm(prefix="round")
    if not form.validate_on_submit():
        return _rounds_page(engagement, form, 400)
    try:
        survey = surveys.open_round(
            current_user,
            engagement,
            title=form.title.data or "",
            closes_on=form.closes_on.data,
            targets=form.targets(),
            min_cell=int(form.min_cell.data),
        )
    except ServiceError as exc:
        _show_error(form, exc)
        return _rounds_page(engagement, form, 400)
    flash(f"Round {survey.round} is open. Share its link with the client's staff.", "success")
    return redirect(url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id))


def _survey_page(
    engagement: Engagement, survey: Survey, form: RoundSettingsForm | None = None, status: int = 200
) -> Any:
    if form is None:
        form = RoundSettingsForm(
            prefix="settings",
            title=survey.title,
            closes_on=survey.closes_at.date() if survey.closes_at else None,
            **{f"target_{k}": (survey.targets or {}).get(k) for k, _ in TARGET_LEVELS},
        )
    counts = surveys.response_counts(survey)
    level_links = [(c.label, collection_url(survey, c.key)) for c in counts.levels]
    return render_template(
        "consultant/survey.html",
        engagement=engagement,
        survey=survey,
        state=surveys.state_label(survey),
        counts=counts,
        link=collection_url(survey),
        level_links=level_links,
        form=form,
        action_form=ActionForm(),
    ), status


@bp.route("/<int:survey_id>")
@role_required("consultant")
def survey(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    return _survey_page(engagement, _round(engagement, survey_id))


@bp.route("/<int:survey_id>/settings", methods=["POST"])
@role_required("consultant")
def settings(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    form = RoundSettingsForm(prefix="settings")
    if not form.validate_on_submit():
        return _survey_page(engagement, survey, form, 400)
    try:
        surveys.update_round(
            current_user,
            survey,
            title=form.title.data or "",
            closes_on=form.closes_on.data,
            targets=form.targets(),
        )
    except ServiceError as exc:
        _show_error(form, exc)
        return _survey_page(engagement, survey, form, 400)
    flash("Round settings saved.", "success")
    return redirect(url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id))


@bp.route("/<int:survey_id>/status", methods=["POST"])
@role_required("consultant")
def change_status(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    action = request.form.get("action", "")
    target = url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id)
    try:
        if action == "close":
            surveys.close_round(current_user, survey)
            flash("The round is closed: its links no longer take answers.", "success")
        elif action == "reopen":
            surveys.reopen_round(current_user, survey)
            flash("The round is open again; the same links work.", "success")
        elif action == "rotate":
            surveys.rotate_links(current_user, survey)
            flash("New links issued. The old links no longer work.", "success")
        else:
            abort(400, "Unknown action.")
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(target, 303)
    return redirect(target)


# ----------------------------------------------------------------- results


def _heatmap_svgs(view: survey_results.SurveyResults) -> dict[str, str]:
    from assessor.reports import readiness as report

    return {
        name: report.chart_svg(drawing, title)
        for name, (drawing, title) in report.heatmaps(view, width=560).items()
    }


@bp.route("/<int:survey_id>/results")
@role_required("consultant")
def results(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = survey_results.build(engagement, survey)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "survey.results", "survey", survey.id
    )
    return render_template(
        "consultant/results.html",
        engagement=engagement,
        survey=survey,
        view=view,
        charts=_heatmap_svgs(view) if view.has_results else {},
        top_front=survey_results.top_front_gaps(view),
    )


@bp.route("/<int:survey_id>/results.csv")
@role_required("consultant")
def results_csv(engagement_id: int, survey_id: int) -> Response:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = survey_results.build(engagement, survey)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.csv", "survey", survey.id
    )
    return download(
        survey_results.export_csv(view),
        "text/csv",
        f"readiness-{engagement.id}-round-{survey.round}.csv",
    )


@bp.route("/<int:survey_id>/results.json")
@role_required("consultant")
def results_json(engagement_id: int, survey_id: int) -> Response:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = survey_results.build(engagement, survey)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.json", "survey", survey.id
    )
    return Response(
        json.dumps(view.to_dict(), indent=2, ensure_ascii=False), mimetype="application/json"
    )


@bp.route("/<int:survey_id>/report.pdf")
@role_required("consultant")
def report_pdf(engagement_id: int, survey_id: int) -> Response:
    from assessor.reports.readiness import build_readiness_report

    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = survey_results.build(engagement, survey)
    if not view.has_results:
        flash(
            f"The report needs at least {view.k} submitted responses; there are "
            f"{view.counts.submitted} so far.",
            "warning",
        )
        return redirect(  # type: ignore[return-value]
            url_for("consultant.results", engagement_id=engagement.id, survey_id=survey.id)
        )
    pdf = build_readiness_report(view)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.pdf", "survey", survey.id
    )
    return download(
        pdf, "application/pdf", f"readiness-report-{engagement.id}-round-{survey.round}.pdf"
    )
