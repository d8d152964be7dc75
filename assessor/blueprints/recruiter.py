"""The recruiter's candidate pages: dashboard, invitations, profiles, interviews, exports."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

import questionnaires
from assessor.forms.questionnaire import ActionForm, field_name, items_form_class
from assessor.forms.recruiter import (
    ArchetypeForm,
    AssessmentVersionForm,
    CsvInviteForm,
    ExtendForm,
    InterviewFormBase,
    InterviewWeightForm,
    InviteForm,
    NormGroupForm,
)
from assessor.models import Assignment, Engagement
from assessor.reports import charts
from assessor.services import (
    audit,
    board,
    candidate_view,
    candidates,
    invitations,
    mail,
    norm_groups,
    privacy,
)
from assessor.services.errors import ServiceError
from assessor.services.invitations import CsvImportError
from assessor.web import UNSAFE_METHODS, current_engagement, download, role_required

bp = Blueprint("recruiter", __name__, url_prefix="/engagements/<int:engagement_id>")
MAX_COMPARE = 4


def _engagement(engagement_id: int) -> Engagement:
    """The engagement ``role_required`` opened for this request (membership checked)."""
    engagement = current_engagement()
    assert engagement.id == engagement_id
    return engagement


def _candidate(engagement: Engagement, assignment_id: int) -> Assignment:
    """A candidate of this engagement (404 for anything else).

    A request that may write gets only a candidate that may still change (409
    once erased), so no write view, present or future, can forget the rule.
    """
    if request.method in UNSAFE_METHODS:
        return candidates.get_writable_candidate(
            current_user.organisation_id, engagement, assignment_id
        )
    return candidates.get_candidate(current_user.organisation_id, engagement, assignment_id)


def link_for(assignment: Assignment) -> str:
    return url_for("respond.welcome", token=invitations.link_token(assignment), _external=True)


def _dashboard(
    engagement: Engagement,
    forms: dict[str, Any] | None = None,
    status: int = 200,
    import_problems: list[str] | None = None,
) -> Any:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    listing = candidates.list_candidates(
        engagement,
        page=page,
        per_page=50,
        sort=request.args.get("sort", "fit"),
        status=request.args.get("status", "all"),
        query=request.args.get("q", "")[:100],
    )
    state = board.profile_state(engagement)
    version, profile = state.current, state.current_profile
    all_forms = {
        "invite": InviteForm(prefix="invite"),
        "csv": CsvInviteForm(prefix="csv"),
        # Preselect the archetype in use (keyword arguments would not reach the field).
        "archetype": ArchetypeForm(
            prefix="profile",
            data={"archetype": profile.archetype if profile and profile.archetype else None},
        ),
        "weight": InterviewWeightForm(
            prefix="weight", interview_weight=round(engagement.interview_weight * 100)
        ),
        "version": _version_form(
            data={"version": invitations.instrument_for(engagement, "candidate").version}
        ),
        "norms": _norms_form(engagement),
    }
    all_forms.update(forms or {})
    return render_template(
        "recruiter/dashboard.html",
        engagement=engagement,
        listing=listing,
        profile=profile,
        profile_version=version,
        profile_state=state,
        forms=all_forms,
        import_problems=import_problems or [],
        norm_summary=norm_groups.engagement_summary(engagement),
    ), status


@bp.route("/candidates")
@role_required("recruiter")
def dashboard(engagement_id: int) -> Any:
    return _dashboard(_engagement(engagement_id))


@bp.route("/candidates/invite", methods=["POST"])
@role_required("recruiter")
def invite(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = InviteForm(prefix="invite")
    if form.validate_on_submit():
        try:
            assignment = invitations.invite(
                current_user, engagement, form.name.data or "", form.email.data or ""
            )
        except ServiceError as exc:
            (getattr(form, exc.field or "", None) or form.email).errors.append(exc.message)
        else:
            sent = mail.send_invitation(assignment, engagement, link_for(assignment))
            flash(
                f"{assignment.name} is invited."
                + (
                    " The e-mail is on its way."
                    if sent
                    else " Copy the link from the table to send it."
                ),
                "success",
            )
            return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))
    return _dashboard(engagement, {"invite": form}, 400)


@bp.route("/candidates/import", methods=["POST"])
@role_required("recruiter")
def import_csv(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = CsvInviteForm(prefix="csv")
    if not form.validate_on_submit():
        return _dashboard(engagement, {"csv": form}, 400)
    try:
        created = invitations.import_csv(current_user, engagement, form.file.data.read())
    except CsvImportError as exc:
        return _dashboard(engagement, {"csv": form}, 400, import_problems=exc.problems)
    sent = sum(mail.send_invitation(a, engagement, link_for(a)) for a in created)
    flash(
        f"{len(created)} candidates invited" + (f"; {sent} e-mails sent." if sent else "."),
        "success",
    )
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


@bp.route("/profile", methods=["POST"])
@role_required("recruiter")
def set_profile(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = ArchetypeForm(prefix="profile")
    if not form.validate_on_submit():
        return _dashboard(engagement, {"archetype": form}, 400)
    try:
        version = board.propose_archetype(current_user, engagement, form.archetype.data or "")
    except ServiceError as exc:
        form.archetype.errors = [*form.archetype.errors, exc.message]
        return _dashboard(engagement, {"archetype": form}, 400)
    link = url_for("board.view", engagement_id=engagement.id, _external=True) + "#profile"
    sent = board.notify(current_user, version, "propose", link)
    flash(
        f"Role profile v{version.version} ({version.data['name']}) is proposed. The board "
        f"({board.rule_text(engagement.approval_quorum)}) approves it before it ranks anyone; "
        "until then candidates stay ranked against the profile in use."
        + (" The board members were told by e-mail." if sent else ""),
        "success",
    )
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


def _version_form(**kwargs: Any) -> AssessmentVersionForm:
    form = AssessmentVersionForm(prefix="version", **kwargs)
    form.version.choices = list(candidates.ASSESSMENT_VERSIONS.items())
    return form


@bp.route("/assessment-version", methods=["POST"])
@role_required("recruiter")
def set_version(engagement_id: int) -> Any:
    """New invitations get the chosen version; candidates invited before keep theirs."""
    engagement = _engagement(engagement_id)
    form = _version_form()
    if not form.validate_on_submit():
        return _dashboard(engagement, {"version": form}, 400)
    candidates.set_assessment_version(current_user, engagement, int(form.version.data))
    flash(
        f"New invitations get version {form.version.data} of the assessment; candidates "
        "invited before keep the version they were given.",
        "success",
    )
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


def _norms_form(engagement: Engagement) -> NormGroupForm:
    version = invitations.instrument_for(engagement, "candidate").version
    chosen = norm_groups.choice_of(engagement, version)
    selected = f"{version}:{chosen.norm_group_id}" if chosen else f"{version}:newest"
    form = NormGroupForm(prefix="norms", data={"norm_group": selected})
    form.norm_group.choices = norm_groups.choices(engagement)
    return form


@bp.route("/norm-group", methods=["POST"])
@role_required("recruiter")
def set_norm_group(engagement_id: int) -> Any:
    """Pin the engagement to one norm group version, or follow the newest."""
    engagement = _engagement(engagement_id)
    form = _norms_form(engagement)
    if not form.validate_on_submit():
        return _dashboard(engagement, {"norms": form}, 400)
    version, group_id = norm_groups.parse_choice(form.norm_group.data or "")
    try:
        norm_groups.choose(current_user, engagement, version, group_id)
    except ServiceError as exc:
        form.norm_group.errors = [*form.norm_group.errors, exc.message]
        return _dashboard(engagement, {"norms": form}, 400)
    flash(
        norm_groups.comparison_note(norm_groups.group_for(engagement, version), version), "success"
    )
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


@bp.route("/interview-weight", methods=["POST"])
@role_required("recruiter")
def set_weight(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = InterviewWeightForm(prefix="weight")
    if not form.validate_on_submit():
        return _dashboard(engagement, {"weight": form}, 400)
    candidates.set_interview_weight(current_user, engagement, int(form.interview_weight.data))
    flash(f"Interviews now count for {form.interview_weight.data}% of the final score.", "success")
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


@bp.route("/candidates/<int:assignment_id>/link", methods=["POST"])
@role_required("recruiter")
def link_action(engagement_id: int, assignment_id: int) -> Any:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    action = request.form.get("action", "")
    form = ExtendForm() if action == "extend" else ActionForm()
    if not form.validate_on_submit():
        flash(_first_error(form) or "The form could not be accepted; try again.", "error")
        return redirect(
            url_for("recruiter.candidate", engagement_id=engagement.id, assignment_id=assignment.id)
        ), 303
    if action == "extend":
        invitations.extend(current_user, assignment, int(form.days.data))
        flash(f"Link valid until {assignment.expires_at:%d %B %Y}.", "success")
    elif action == "revoke":
        invitations.revoke(current_user, assignment)
        flash("The link no longer works. Answers already given are kept.", "success")
    elif action == "reissue":
        invitations.reissue(current_user, assignment)
        flash("A new link was issued; the old one no longer works.", "success")
    elif action == "resend":
        invitations.resolve_token(invitations.link_token(assignment))
        kind = "reminder" if assignment.started_at else "invitation"
        sent = mail.send_invitation(assignment, engagement, link_for(assignment), kind=kind)
        audit.record(
            current_user.organisation_id,
            current_user.id,
            f"invitation.{kind}",
            "assignment",
            assignment.id,
            emailed=sent,
        )
        flash(
            "E-mail sent."
            if sent
            else "E-mail is not configured on this server; copy the link and send it yourself.",
            "success" if sent else "warning",
        )
    else:
        abort(400, "Unknown action.")
    return redirect(
        url_for("recruiter.candidate", engagement_id=engagement.id, assignment_id=assignment.id)
    )


def _first_error(form: Any) -> str | None:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return None


@bp.route("/candidates/<int:assignment_id>/move", methods=["POST"])
@role_required("recruiter")
def move(engagement_id: int, assignment_id: int) -> Any:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    candidates.move(current_user, assignment, request.form.get("action", ""))
    flash(f"{assignment.name} is now {assignment.status}.", "success")
    return redirect(
        request.form.get("back")
        if request.form.get("back", "").startswith("/")
        and not request.form.get("back", "").startswith("//")
        else url_for(
            "recruiter.candidate", engagement_id=engagement.id, assignment_id=assignment.id
        )
    )


@bp.route("/candidates/<int:assignment_id>")
@role_required("recruiter")
def candidate(engagement_id: int, assignment_id: int) -> Any:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    if assignment.erased_at is not None:
        return render_template(
            "recruiter/erased.html", engagement=engagement, assignment=assignment
        )
    view = candidate_view.build(engagement, assignment)
    radar_svg = bars_svg = None
    if view.fit is not None or any(r.pomp is not None for r in view.competencies):
        radar_svg, bars_svg = _charts(view)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "candidate.view", "assignment", assignment.id
    )
    return render_template(
        "recruiter/candidate.html",
        engagement=engagement,
        assignment=assignment,
        view=view,
        radar_svg=radar_svg,
        bars_svg=bars_svg,
        action_form=ActionForm(),
        extend_form=ExtendForm(),
        link=link_for(assignment)
        if assignment.submitted_at is None and assignment.status != "revoked"
        else None,
    )


#: The candidate page's two charts, one entry per candidate (a few KB each).
_CHARTS = charts.ChartCache(max_bytes=16 * 1024 * 1024)


def _charts(view: candidate_view.CandidateView) -> tuple[str, str]:
    """The radar and the bars, drawn again only when what they show has changed."""
    labels = [r.name for r in view.competencies]
    series = [(view.name, [r.pomp for r in view.competencies], "candidate")]
    if any(v is not None for v in view.profile_values):
        series.insert(0, ("Role profile", list(view.profile_values), "profile"))
    rows = [
        (r.name, r.pomp, r.low, r.high, r.minimum, r.band_label or "") for r in view.competencies
    ]

    def draw() -> tuple[str, str]:
        radar = charts.to_svg(
            charts.radar_chart(labels, _colour(series)),
            f"Radar chart of {view.name}'s competencies against the role profile",
        )
        bars = charts.to_svg(charts.competency_bars(rows), "Competency scores with 90% bands")
        return radar, bars

    return _CHARTS.get(view.assignment_id, (labels, series, rows), draw)


SERIES_COLOURS = {"profile": "#8a93a6", "candidate": "#1f5fbf"}
COMPARE_COLOURS = ["#1f5fbf", "#c2410c", "#15803d", "#7e22ce"]


def _colour(series: list[tuple[str, list[float], str]]) -> list[tuple[str, list[float], str]]:
    return [(name, values, SERIES_COLOURS.get(kind, kind)) for name, values, kind in series]


@bp.route("/candidates/<int:assignment_id>.json")
@role_required("recruiter")
def candidate_json(engagement_id: int, assignment_id: int) -> Response:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    view = candidate_view.build(engagement, assignment)
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.json", "assignment", assignment.id
    )
    body = json.dumps(view.to_dict(), indent=2, ensure_ascii=False)
    return download(body, "application/json", f"candidate-{assignment.id}.json")


@bp.route("/candidates/<int:assignment_id>.pdf")
@role_required("recruiter")
def candidate_pdf(engagement_id: int, assignment_id: int) -> Response:
    from assessor.reports.candidate import build_candidate_profile

    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    view = candidate_view.build(engagement, assignment)
    pdf = build_candidate_profile(candidate_view.to_report_data(view))
    audit.record_after_response(
        current_user.organisation_id, current_user.id, "export.pdf", "assignment", assignment.id
    )
    return download(pdf, "application/pdf", f"profile-{assignment.id}.pdf")


@bp.route("/compare")
@role_required("recruiter")
def compare(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    raw_ids = request.args.getlist("ids")
    try:
        ids = list(dict.fromkeys(int(x) for x in raw_ids))
    except ValueError:
        abort(400, "Candidate ids must be numbers.")
    if not 2 <= len(ids) <= MAX_COMPARE:
        flash(f"Tick 2 to {MAX_COMPARE} candidates to compare.", "warning")
        return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))
    views = [candidate_view.build(engagement, _candidate(engagement, i)) for i in ids]
    labels = [r.name for r in views[0].competencies]
    series = [
        # a missing score stays None: drawn at the centre without a marker, never as a 0
        (v.name, [r.pomp for r in v.competencies], COMPARE_COLOURS[k])
        for k, v in enumerate(views)
    ]
    radar = charts.to_svg(
        charts.radar_chart(labels, series), "Overlaid radar chart of the compared candidates"
    )
    return render_template(
        "recruiter/compare.html",
        engagement=engagement,
        views=views,
        radar_svg=radar,
        colours=COMPARE_COLOURS,
    )


@bp.route("/candidates/<int:assignment_id>/interview", methods=["GET", "POST"])
@role_required("recruiter")
def interview(engagement_id: int, assignment_id: int) -> Any:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    if assignment.erased_at is not None:  # nothing to rate: show the tombstone
        return render_template(
            "recruiter/erased.html", engagement=engagement, assignment=assignment
        )
    kit = questionnaires.latest(candidate_view.INTERVIEW_KIT)
    form = items_form_class(kit, InterviewFormBase)()
    rating_items = candidates.competency_items(kit)
    culture = candidates.culture_questions(kit, board.board_values(engagement))
    culture_posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        culture_posted = {q.field: request.form.get(q.field, "") for q in culture}
        if form.validate_on_submit():
            ratings: dict[str, int | None] = {}
            for item in rating_items:
                ratings[item.scale or ""] = _rating(request.form.get(field_name(item), ""))
            try:
                candidates.record_interview(
                    current_user,
                    assignment,
                    kit,
                    form.interviewer_name.data or "",
                    ratings,
                    form.notes.data or "",
                    [(q, _rating(culture_posted[q.field])) for q in culture],
                )
            except ServiceError as exc:
                form.form_errors.append(exc.message)
            else:
                flash("Interview ratings saved.", "success")
                return redirect(
                    url_for(
                        "recruiter.candidate",
                        engagement_id=engagement.id,
                        assignment_id=assignment.id,
                    )
                )
        status = 400
    return render_template(
        "recruiter/interview.html",
        engagement=engagement,
        assignment=assignment,
        kit=kit,
        form=form,
        items=rating_items,
        field_name=field_name,
        culture_enabled=candidates.culture_item(kit) is not None,
        culture_item=candidates.culture_item(kit),
        culture=culture,
        culture_posted=culture_posted,
    ), status


def _rating(raw: str) -> int | None:
    """A posted 1..5 rating as an int (anything else is None: not rated)."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


@bp.route("/candidates/<int:assignment_id>/personal-data.json")
@role_required("recruiter")
def personal_data(engagement_id: int, assignment_id: int) -> Response:
    """A copy of everything stored about the candidate (a data-subject request)."""
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    data = privacy.export_personal_data(current_user, assignment)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return download(body, "application/json", f"personal-data-{assignment.id}.json")


@bp.route("/candidates/<int:assignment_id>/erase", methods=["POST"])
@role_required("recruiter")
def erase(engagement_id: int, assignment_id: int) -> Any:
    engagement = _engagement(engagement_id)
    assignment = _candidate(engagement, assignment_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the erasure; nothing was erased.", "error")
        return redirect(
            url_for("recruiter.candidate", engagement_id=engagement.id, assignment_id=assignment.id)
        )
    privacy.erase(current_user, assignment)
    flash(
        "The candidate's answers, scores and interviews were erased. A tombstone records "
        "that the record existed.",
        "success",
    )
    return redirect(url_for("recruiter.dashboard", engagement_id=engagement.id))


@bp.route("/export.csv")
@role_required("recruiter")
def export(engagement_id: int) -> Response:
    engagement = _engagement(engagement_id)
    body = candidates.export_csv(current_user, engagement)
    return download(body, "text/csv", f"engagement-{engagement.id}-scores.csv")
