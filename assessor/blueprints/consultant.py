"""The consultant's readiness pages: survey rounds, collection links, counts, results, exports."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from assessor.forms.consultant import (
    TARGET_LEVELS,
    BreakdownsForm,
    OpenRoundForm,
    RoundSettingsForm,
)
from assessor.forms.questionnaire import ActionForm
from assessor.models import Engagement, Survey, SurveyRelease
from assessor.services import audit, survey_releases, survey_results, surveys
from assessor.services.errors import ServiceError
from assessor.web import current_engagement, download, role_required

bp = Blueprint("consultant", __name__, url_prefix="/engagements/<int:engagement_id>/surveys")


def _engagement(engagement_id: int) -> Engagement:
    """The engagement ``role_required`` opened for this request (membership checked)."""
    engagement = current_engagement()
    assert engagement.id == engagement_id
    return engagement


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
            min_cell_reason=form.min_cell_reason.data or "",
            collection=form.collection.data or "invitation",
        )
    except ServiceError as exc:
        _show_error(form, exc)
        return _rounds_page(engagement, form, 400)
    flash(
        f"Round {survey.round} is open. "
        + (
            "Add the people to invite."
            if survey.collection == "invitation"
            else "Share its link with the client's staff."
        ),
        "success",
    )
    return redirect(url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id))


def _survey_page(
    engagement: Engagement,
    survey: Survey,
    form: RoundSettingsForm | None = None,
    status: int = 200,
    breakdowns_form: BreakdownsForm | None = None,
) -> Any:
    if form is None:
        form = RoundSettingsForm(
            prefix="settings",
            title=survey.title,
            closes_on=survey.closes_at.date() if survey.closes_at else None,
            **{f"target_{k}": (survey.targets or {}).get(k) for k, _ in TARGET_LEVELS},
        )
    people = survey_releases.respondents(survey)  # read once for the counts and the gate
    counts = survey_releases.live_counts(survey, people)
    is_open_link = survey.collection == "open"
    return render_template(
        "consultant/survey.html",
        engagement=engagement,
        survey=survey,
        state=surveys.state_label(survey),
        counts=counts,
        releases=survey_releases.list_releases(survey),
        gate=survey_releases.check(survey, people),
        counts_step=surveys.COARSE_STEP,
        link=collection_url(survey) if is_open_link else None,
        level_links=[
            (label, collection_url(survey, key))
            for key, label in surveys.segment_options(surveys.instrument_of(survey))["level"]
        ]
        if is_open_link
        else [],
        form=form,
        action_form=ActionForm(),
        breakdowns_form=breakdowns_form or BreakdownsForm(prefix="breakdowns"),
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
            closed = survey_releases.close(current_user, survey)
            flash("The round is closed: its links no longer take answers.", "success")
            if closed.release is not None:
                flash(f"Release {closed.release.number} of the results is published.", "success")
            else:
                flash(f"No new release: {closed.reason}", "warning")
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


@bp.route("/<int:survey_id>/release", methods=["POST"])
@role_required("consultant")
def release(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        published = survey_releases.release(current_user, survey)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(
            url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id), 303
        )
    flash(f"Release {published.number} of the results is published.", "success")
    return redirect(url_for("consultant.results", engagement_id=engagement.id, survey_id=survey.id))


@bp.route("/<int:survey_id>/breakdowns", methods=["POST"])
@role_required("consultant")
def breakdowns(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    form = BreakdownsForm(prefix="breakdowns")
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    turn_on = request.form.get("action") == "on"
    try:
        surveys.set_breakdowns(current_user, survey, on=turn_on, understood=form.understood.data)
    except ServiceError as exc:
        if exc.field == "understood":
            form.understood.errors = [exc.message]
            return _survey_page(engagement, survey, status=400, breakdowns_form=form)
        flash(exc.message, "error")
        return redirect(
            url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id), 303
        )
    flash("Breakdowns by segment are " + ("on." if turn_on else "off."), "success")
    return redirect(url_for("consultant.survey", engagement_id=engagement.id, survey_id=survey.id))


# ----------------------------------------------------------------- results


def _heatmap_svgs(view: survey_results.SurveyResults) -> dict[str, str]:
    from assessor.reports import readiness as report

    return {
        name: report.chart_svg(drawing, title)
        for name, (drawing, title) in report.heatmaps(view, width=560).items()
    }


def _chosen_release(survey: Survey) -> SurveyRelease | None:
    """The release named by ?release=N (404 when there is no such release), else None."""
    wanted = request.args.get("release")
    if wanted is None:
        return None
    found = survey_releases.get_release(survey, wanted)
    if found is None:
        abort(404, f"Round {survey.round} has no release {wanted[:20]}.")
    return found


def _released_view(engagement: Engagement, survey: Survey) -> survey_results.SurveyResults:
    """The view of a release for a download; 409 with the reason when nothing is released."""
    view = survey_results.build(engagement, survey, _chosen_release(survey))
    if view.release is None:
        abort(
            409,
            "No results of this round are released yet. Results are released when the round "
            "closes, or from the round page once enough responses have come in.",
        )
    return view


@bp.route("/<int:survey_id>/results")
@role_required("consultant")
def results(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = survey_results.build(engagement, survey, _chosen_release(survey))
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
    view = _released_view(engagement, survey)
    assert view.release is not None
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.csv", "survey", survey.id
    )
    return download(
        survey_results.export_csv(view),
        "text/csv",
        f"readiness-{engagement.id}-round-{survey.round}-release-{view.release.number}.csv",
    )


@bp.route("/<int:survey_id>/results.json")
@role_required("consultant")
def results_json(engagement_id: int, survey_id: int) -> Response:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    view = _released_view(engagement, survey)
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
    view = survey_results.build(engagement, survey, _chosen_release(survey))
    if not view.has_results:
        flash(
            "The report exists once results are released: when the round closes, or from "
            "the round page once enough responses have come in.",
            "warning",
        )
        return redirect(  # type: ignore[return-value]
            url_for("consultant.results", engagement_id=engagement.id, survey_id=survey.id)
        )
    pdf = build_readiness_report(view)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.pdf", "survey", survey.id
    )
    assert view.release is not None
    return download(
        pdf,
        "application/pdf",
        f"readiness-report-{engagement.id}-round-{survey.round}-release-{view.release.number}.pdf",
    )


# ----- invitations
# Personal single-use links of an invitation round (services.survey_invitations):
# the list, sending by e-mail, and a printable list of the links not used yet.

from assessor.forms.consultant import InvitationListForm  # noqa: E402
from assessor.services import mail, survey_invitations  # noqa: E402


def _invitations_page(
    engagement: Engagement,
    survey: Survey,
    form: InvitationListForm | None = None,
    status: int = 200,
) -> Any:
    return render_template(
        "consultant/invitations.html",
        engagement=engagement,
        survey=survey,
        state=surveys.state_label(survey),
        by_invitation=survey.collection == "invitation",
        accepting=surveys.accepting(survey),
        summary=survey_invitations.summary(survey),
        mail_configured=mail.is_configured(),
        max_people=survey_invitations.MAX_PEOPLE,
        form=form or InvitationListForm(prefix="invite"),
        action_form=ActionForm(),
    ), status


@bp.route("/<int:survey_id>/invitations", methods=["GET", "POST"], endpoint="invitations")
@role_required("consultant")
def invitation_list(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    if request.method == "GET":
        return _invitations_page(engagement, survey)
    survey_invitations.check_invitation_round(survey)
    form = InvitationListForm(prefix="invite")
    if not form.validate_on_submit():
        return _invitations_page(engagement, survey, form, 400)
    try:
        text = (
            survey_invitations.decode_upload(form.upload.data.read())
            if form.has_file()
            else form.entries.data or ""
        )
        people = survey_invitations.parse_list(text, surveys.instrument_of(survey))
        report = survey_invitations.add_invitations(current_user, survey, people)
    except survey_invitations.InvitationListError as exc:
        form.form_errors.extend([exc.summary, *exc.shown])
        if exc.more:
            form.form_errors.append(f"… and {exc.more} more.")
        return _invitations_page(engagement, survey, form, 400)
    except ServiceError as exc:
        _show_error(form, exc)
        return _invitations_page(engagement, survey, form, 400)
    flash(report.message, "success")
    return redirect(
        url_for("consultant.invitations", engagement_id=engagement.id, survey_id=survey.id)
    )


@bp.route("/<int:survey_id>/invitations/send", methods=["POST"], endpoint="send_invitations")
@role_required("consultant")
def invitation_send(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    survey_invitations.check_invitation_round(survey)
    target = url_for("consultant.invitations", engagement_id=engagement.id, survey_id=survey.id)
    try:
        report = survey_invitations.send_invitations(current_user, survey, engagement)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(target, 303)
    # What was sent stays marked as sent even when some messages failed: redirect, not 4xx.
    flash(report.message, "warning" if report.failed else "success")
    return redirect(target, 303)


@bp.route("/<int:survey_id>/invitations/print", endpoint="print_invitations")
@role_required("consultant")
def invitation_print(engagement_id: int, survey_id: int) -> Any:
    engagement = _engagement(engagement_id)
    survey = _round(engagement, survey_id)
    survey_invitations.check_invitation_round(survey)
    rows = survey_invitations.printable(survey)
    audit.record_after_response(
        current_user.organisation_id,
        current_user.id,
        "survey.invitations.print",
        "survey",
        survey.id,
        count=len(rows),
    )
    return render_template(
        "consultant/invitations_print.html",
        engagement=engagement,
        survey=survey,
        rows=rows,
        accepting=surveys.accepting(survey),
    )
