"""The board's pages: the board view and profile approval (staff, the engagement's board
members; the client's viewers read), and the priorities page of a board member's
invitation link (under ``/r`` like the rest of the link flow)."""

from __future__ import annotations

import time
from datetime import date
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

from assessor.blueprints.respond import participant_context
from assessor.forms.board import (
    ApprovalRuleForm,
    BoardInviteForm,
    PrioritiesForm,
    RejectForm,
    minimum_field,
    profile_form_class,
    weight_field,
)
from assessor.forms.questionnaire import ActionForm
from assessor.models import Assignment, Engagement, RoleProfileVersion
from assessor.reports.charts import priority_bars, to_svg
from assessor.services import audit, board, board_brief, invitations, mail, responses
from assessor.services.errors import ServiceError
from assessor.services.invitations import LinkError
from assessor.web import current_engagement, download, keep_changes, role_required
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES
from questionnaires.flow import visible_sections
from scoring.ahp import CR_THRESHOLD, random_index
from scoring.profiles import CLUSTERS, SCALES, RoleProfile

bp = Blueprint("board", __name__)

STAFF = ("board", "recruiter")
#: Who may read the board view, the profile history and the role brief (viewers only read).
READERS = (*STAFF, "viewer")
LINK_ERROR_STATUS = {"invalid": 404, "expired": 410, "revoked": 410, "completed": 409}


@bp.errorhandler(LinkError)
def _link_error(exc: LinkError) -> tuple[str, int]:
    return (
        render_template("respond/link_error.html", reason=exc.reason, message=exc.message),
        LINK_ERROR_STATUS.get(exc.reason, 400),
    )


@bp.app_template_global()
def board_priorities(assignment: Assignment) -> board.Consistency | None:
    """For the board member's review page: the analysed comparisons, or None if incomplete."""
    return board.consistency_of(board.judgements_of(assignment))


# ------------------------------------------------------------ staff side
def _engagement(engagement_id: int) -> Engagement:
    """The engagement ``role_required`` opened for this request (membership checked)."""
    engagement = current_engagement()
    assert engagement.id == engagement_id
    return engagement


def link_for(assignment: Assignment) -> str:
    return url_for("respond.welcome", token=invitations.link_token(assignment), _external=True)


def _charts(view: board.BoardView) -> dict[str, str]:
    """The board view's charts as inline SVG (the same Drawings the role brief prints)."""
    charts: dict[str, str] = {}
    names = board.cluster_names()
    if view.scope is not None:
        shares = view.scope.group.archetype_shares
        charts["archetypes"] = to_svg(
            priority_bars(
                [ARCHETYPE_NAMES[a] for a in ARCHETYPES],
                list(shares),
                title="Archetype shares of the board",
            )
        )
    weights = view.group_weights
    if weights:
        order = sorted(CLUSTERS, key=lambda c: -weights[c])
        charts["weights"] = to_svg(
            priority_bars(
                [names[c] for c in order],
                [weights[c] for c in order],
                title="The board's cluster weights (pairwise comparisons)",
            )
        )
    return charts


def _board_page(
    engagement: Engagement,
    invite_form: BoardInviteForm | None = None,
    status: int = 200,
    reject_form: RejectForm | None = None,
    rule_form: ApprovalRuleForm | None = None,
) -> tuple[str, int]:
    view = board.build_view(engagement)
    state = board.profile_state(engagement)
    quorum = int(engagement.approval_quorum or 1)
    if rule_form is None:
        rule_form = ApprovalRuleForm(
            prefix="rule",
            data={"rule": "any" if quorum <= 1 else "quorum", "quorum": quorum},
        )
    tally = state.pending_tally
    return render_template(
        "board/view.html",
        engagement=engagement,
        view=view,
        charts=_charts(view),
        invite_form=invite_form or BoardInviteForm(prefix="invite"),
        action_form=ActionForm(),
        current=state.current,
        current_profile=state.current_profile,
        in_use=state.in_use,
        pending=state.pending,
        pending_profile=state.pending_profile,
        tally=tally,
        approvers=board.board_approvers(engagement),
        rule_text=board.rule_text(quorum),
        reject_form=reject_form or RejectForm(prefix="reject"),
        rule_form=rule_form,
        cluster_names=board.cluster_names(),
        scale_names=board.scale_names(),
        archetype_names=ARCHETYPE_NAMES,
        archetypes=ARCHETYPES,
        clusters=CLUSTERS,
        link_for=link_for,
        cr_threshold=CR_THRESHOLD,
        can_decide=tally is not None and tally.may_decide(current_user),
        can_act=current_user.role in ("admin", *STAFF),
        can_set_rule=current_user.role in ("admin", "recruiter"),
    ), status


def _board_link(engagement: Engagement) -> str:
    return url_for("board.view", engagement_id=engagement.id, _external=True) + "#profile"


def _check_form(form: Any) -> None:
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")


@bp.route("/engagements/<int:engagement_id>/board")
@role_required(*READERS)
def view(engagement_id: int) -> Any:
    return _board_page(_engagement(engagement_id))


@bp.route("/engagements/<int:engagement_id>/board/invite", methods=["POST"])
@role_required(*STAFF)
def invite(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = BoardInviteForm(prefix="invite")
    if form.validate_on_submit():
        try:
            assignment = invitations.invite(
                current_user,
                engagement,
                form.name.data or "",
                form.email.data or "",
                kind=board.KIND,
            )
        except ServiceError as exc:
            (getattr(form, exc.field or "", None) or form.email).errors.append(exc.message)
        else:
            sent = mail.send_invitation(assignment, engagement, link_for(assignment))
            flash(
                f"{assignment.name} is invited to the role-scope questionnaire."
                + (" The e-mail is on its way." if sent else " Copy the link below to send it."),
                "success",
            )
            return redirect(url_for("board.view", engagement_id=engagement.id))
    return _board_page(engagement, form, 400)


@bp.route("/engagements/<int:engagement_id>/board/propose", methods=["POST"])
@role_required(*STAFF)
def propose(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    version = board.propose(current_user, engagement)
    sent = board.notify(current_user, version, "propose", _board_link(engagement))
    flash(
        f"Role profile v{version.version} is proposed. Adjust it if needed; the board "
        f"({board.rule_text(engagement.approval_quorum)}) approves it before candidates are "
        "ranked against it." + (" The board members were told by e-mail." if sent else ""),
        "success",
    )
    return redirect(url_for("board.view", engagement_id=engagement.id) + "#profile")


def _version(engagement: Engagement, version_id: int) -> RoleProfileVersion:
    return board.get_version(engagement, version_id)


@bp.route(
    "/engagements/<int:engagement_id>/board/profiles/<int:version_id>/adjust",
    methods=["GET", "POST"],
)
@role_required(*STAFF)
def adjust(engagement_id: int, version_id: int) -> Any:
    engagement = _engagement(engagement_id)
    version = _version(engagement, version_id)
    try:
        board.check_adjustable(version)
    except ServiceError as exc:
        abort(400, exc.message)
    profile = RoleProfile.from_dict(version.data)
    form_class = profile_form_class(board.cluster_names(), board.scale_names())
    if request.method == "POST":
        form = form_class()
        if form.validate_on_submit():
            weights = {c: float(form[weight_field(c)].data) for c in CLUSTERS}
            minima = {
                s: (
                    None
                    if form[minimum_field(s)].data is None
                    else float(form[minimum_field(s)].data)
                )
                for s in SCALES
            }
            try:
                board.adjust(
                    current_user,
                    version,
                    weights,
                    minima,
                    form.archetype.data or "",
                    form.note.data or "",
                )
            except ServiceError as exc:
                target = form[exc.field] if exc.field and exc.field in form else None
                if target is not None:
                    target.errors = [*target.errors, exc.message]
                else:
                    form.form_errors.append(exc.message)
            else:
                flash(f"Proposal v{version.version} updated.", "success")
                return redirect(url_for("board.view", engagement_id=engagement.id) + "#profile")
        status = 400
    else:
        data: dict[str, Any] = {"archetype": profile.archetype or "operating_executive"}
        for c in CLUSTERS:
            data[weight_field(c)] = round(100 * profile.weights.get(c, 0.0), 1)
        for s in SCALES:
            if s in profile.minima:
                data[minimum_field(s)] = round(profile.minima[s])
        form = form_class(data=data)
        status = 200
    return render_template(
        "board/adjust.html",
        engagement=engagement,
        version=version,
        profile=profile,
        form=form,
        clusters=CLUSTERS,
        scales=SCALES,
        weight_field=weight_field,
        minimum_field=minimum_field,
        cluster_names=board.cluster_names(),
        cluster_descriptions=board.cluster_descriptions(),
    ), status


@bp.route(
    "/engagements/<int:engagement_id>/board/profiles/<int:version_id>/approve", methods=["POST"]
)
@role_required("board")
def approve(engagement_id: int, version_id: int) -> Any:
    engagement = _engagement(engagement_id)
    version = _version(engagement, version_id)
    _check_form(ActionForm())
    result = board.decide(current_user, version, "approve")
    _announce(engagement, version, result)
    return redirect(url_for("board.view", engagement_id=engagement.id) + "#profile")


@bp.route(
    "/engagements/<int:engagement_id>/board/profiles/<int:version_id>/reject", methods=["POST"]
)
@role_required("board")
def reject(engagement_id: int, version_id: int) -> Any:
    engagement = _engagement(engagement_id)
    version = _version(engagement, version_id)
    form = RejectForm(prefix="reject")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400, "The form expired; reload the page and try again.")
        return _board_page(engagement, status=400, reject_form=form)
    try:
        result = board.decide(current_user, version, "reject", form.note.data or "")
    except ServiceError as exc:
        if exc.field != "note":
            raise
        form.note.errors = [*form.note.errors, exc.message]
        return _board_page(engagement, status=400, reject_form=form)
    _announce(engagement, version, result, reason=form.note.data or "")
    return redirect(url_for("board.view", engagement_id=engagement.id) + "#profile")


def _announce(
    engagement: Engagement,
    version: RoleProfileVersion,
    result: board.DecisionResult,
    reason: str = "",
) -> None:
    """Tell the page and, by e-mail, the others what a decision did."""
    event = {"approved": "adopted", "rejected": "rejected"}.get(result.outcome, "decision")
    sent = board.notify(
        current_user,
        version,
        event,
        _board_link(engagement),
        decision=result.decision,
        reason=reason,
    )
    told = " The others were told by e-mail." if sent else ""
    tally = result.tally
    if result.outcome == "approved":
        message = (
            f"Role profile v{version.version} is approved and current: every candidate's fit "
            "is now computed against it."
        )
    elif result.outcome == "rejected":
        message = (
            f"Role profile v{version.version} is rejected; candidates stay ranked against the "
            "profile in use."
        )
    else:
        word = "approval" if result.decision == "approve" else "rejection"
        message = (
            f"Your {word} of v{version.version} is recorded: {tally.approvals} of "
            f"{tally.needed} approvals so far. Candidates stay ranked against the profile in "
            "use until the board approves it."
        )
    flash(message + told, "success")


@bp.route("/engagements/<int:engagement_id>/board/approval-rule", methods=["POST"])
@role_required("recruiter")
def approval_rule(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    form = ApprovalRuleForm(prefix="rule")
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400, "The form expired; reload the page and try again.")
        return _board_page(engagement, status=400, rule_form=form)
    try:
        board.set_approval_quorum(current_user, engagement, form.chosen)
    except ServiceError as exc:
        if exc.field != "quorum":
            raise
        form.quorum.errors = [*form.quorum.errors, exc.message]
        return _board_page(engagement, status=400, rule_form=form)
    flash(
        f"A proposed role profile is now approved by {board.rule_text(form.chosen)}.",
        "success",
    )
    return redirect(url_for("board.view", engagement_id=engagement.id) + "#approval-rule")


@bp.route(
    "/engagements/<int:engagement_id>/board/profiles/<int:version_id>/withdraw", methods=["POST"]
)
@role_required(*STAFF)
def withdraw(engagement_id: int, version_id: int) -> Any:
    engagement = _engagement(engagement_id)
    version = _version(engagement, version_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    board.withdraw(current_user, version)
    flash(f"Proposal v{version.version} was withdrawn; it stays in the history.", "success")
    return redirect(url_for("board.view", engagement_id=engagement.id) + "#profile")


@bp.route("/engagements/<int:engagement_id>/board/profiles")
@role_required(*READERS)
def history(engagement_id: int) -> Any:
    engagement = _engagement(engagement_id)
    return render_template(
        "board/history.html",
        engagement=engagement,
        rows=board.history(engagement),
        clusters=CLUSTERS,
        cluster_names=board.cluster_names(),
        scale_names=board.scale_names(),
    )


@bp.route("/engagements/<int:engagement_id>/board/brief.pdf")
@role_required(*READERS)
def brief(engagement_id: int) -> Response:
    from assessor.reports.role_brief import build_role_brief

    engagement = _engagement(engagement_id)
    data = board_brief.brief_data(engagement, generated_on=date.today())
    if data is None:
        abort(400, "The role brief needs at least one board member who has submitted.")
    pdf = build_role_brief(data)
    audit.record_after_response(
        current_user.organisation_id,
        current_user.id,
        "export.role_brief",
        "engagement",
        engagement.id,
    )
    return download(pdf, "application/pdf", f"role-brief-{engagement.id}.pdf")


# ------------------------------------------------------ participant side
@bp.route("/r/<token>/priorities", methods=["GET", "POST"])
def priorities(token: str) -> Any:
    assignment = invitations.resolve_token(token)
    if assignment.kind != board.KIND:
        abort(404, "This questionnaire has no such page.")
    if assignment.consented_at is None:
        return redirect(url_for("respond.welcome", token=token))
    instrument = responses.instrument_of(assignment)
    form = PrioritiesForm()
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The page expired before it was sent. Reload it; your answers are saved.")
        action = request.form.get("action", "next")
        posted = {
            board.pair_field(a, b): request.form.get(board.pair_field(a, b), "")
            for a, b in board.PAIRS
        }
        result = board.save_judgements(assignment, posted, strict=action in ("next", "continue"))
        if action == "back":
            answers = responses.answers_of(assignment)
            sections = visible_sections(instrument, answers)
            return redirect(url_for("respond.page", token=token, section_key=sections[-1].key))
        if action == "save":
            return redirect(url_for("respond.saved", token=token))
        if result.ok:
            checked = board.consistency_of(board.judgements_of(assignment))
            if checked is not None and (action == "continue" or checked.is_consistent):
                flash(
                    f"Your comparisons are saved. Consistency ratio {checked.cr:.2f}"
                    + (" — consistent." if checked.is_consistent else " — kept as you gave them."),
                    "success",
                )
                return redirect(url_for("respond.review", token=token))
            return redirect(url_for("board.priorities", token=token, checked=1) + "#result")
        errors = result.errors
        keep_changes()  # the valid comparisons are saved even so
    stored = board.judgements_of(assignment)
    selected = {board.pair_field(a, b): str(board.step_of(v)) for (a, b), v in stored.items()}
    for name, value in posted.items():
        if name not in errors and value:
            selected[name] = value
    checked = board.consistency_of(stored)
    answers = responses.answers_of(assignment)
    return render_template(
        "board/priorities.html",
        instrument=instrument,
        token=token,
        form=form,
        page_started=f"{time.time():.3f}",
        pairs=board.PAIRS,
        pair_field=board.pair_field,
        steps=board.STEPS,
        selected=selected,
        errors=errors,
        checked=checked,
        show_result=checked is not None and (request.args.get("checked") == "1"),
        names=board.cluster_names(),
        descriptions=board.cluster_descriptions(),
        intensity=board.INTENSITY_WORDS,
        random_index=random_index(len(CLUSTERS)),
        cr_threshold=CR_THRESHOLD,
        percent=responses.completion(assignment, instrument, answers),
        **participant_context(assignment),
    ), (400 if errors else 200)
