"""The staff home: dashboard and engagements."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from assessor.forms.audit import filtered_page
from assessor.forms.engagement import EngagementForm, MemberForm
from assessor.forms.questionnaire import ActionForm
from assessor.models import ROLES
from assessor.services import engagements
from assessor.services.errors import ServiceError
from assessor.web import current_engagement, role_required

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def dashboard() -> str:
    rows = engagements.list_engagements(current_user)
    return render_template("dashboard.html", engagements=rows, search="")


@bp.route("/engagements", endpoint="engagements")
@login_required
def engagements_list() -> str:
    """The engagements the user may open; ``?q=`` searches client and role title."""
    search = request.args.get("q", "")[:200]
    rows = engagements.list_engagements(current_user, search)
    return render_template("engagements/list.html", engagements=rows, search=search)


@bp.route("/engagements/new", methods=["GET", "POST"])
@role_required("recruiter", "consultant")
def engagement_new() -> Response | str | tuple[str, int]:
    form = EngagementForm()
    if form.validate_on_submit():
        try:
            engagement = engagements.create_engagement(
                current_user,
                form.client_name.data or "",
                form.role_title.data or "",
                form.notes.data or "",
                form.archetype.data or "operating_executive",
            )
        except ServiceError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(f"Engagement for {engagement.client_name} created.", "success")
            return redirect(url_for("main.engagement_detail", engagement_id=engagement.id))
    status = 400 if form.is_submitted() else 200
    return render_template("engagements/new.html", form=form), status


@bp.route("/engagements/<int:engagement_id>")
@role_required(*ROLES)
def engagement_detail(engagement_id: int) -> str:
    return render_template("engagements/detail.html", engagement=current_engagement())


@bp.route("/engagements/<int:engagement_id>/members", methods=["GET", "POST"])
@role_required("recruiter", "consultant")
def members(engagement_id: int) -> Response | tuple[str, int]:
    """Who works on the engagement; staff add the firm's people and the client's."""
    engagement = current_engagement()
    form = MemberForm()
    form.user_id.choices = [
        (u.id, f"{u.name} ({u.role}, {u.email})") for u in engagements.addable_users(engagement)
    ]
    if form.validate_on_submit():
        try:
            user = engagements.add_member(current_user, engagement, form.user_id.data)
        except ServiceError as exc:
            form.user_id.errors = [*form.user_id.errors, exc.message]
        else:
            flash(f"{user.name} can now open this engagement.", "success")
            return redirect(url_for("main.members", engagement_id=engagement.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "engagements/members.html",
        engagement=engagement,
        members=engagements.members(engagement),
        form=form,
        action_form=ActionForm(),
    ), status


@bp.route("/engagements/<int:engagement_id>/members/<int:member_id>/remove", methods=["POST"])
@role_required("recruiter", "consultant")
def remove_member(engagement_id: int, member_id: int) -> Response:
    engagement = current_engagement()
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    user = engagements.remove_member(current_user, engagement, member_id)
    flash(f"{user.name} no longer has access to this engagement and was signed out.", "success")
    return redirect(url_for("main.members", engagement_id=engagement.id))


@bp.route("/engagements/<int:engagement_id>/audit", endpoint="audit_trail")
@role_required("recruiter", "consultant")
def audit_trail(engagement_id: int) -> tuple[str, int]:
    """The engagement's own trail as sentences, filtered by GET parameters (400 with the
    form's errors when one is wrong). Reading it is not audited, on purpose: it would
    bury the sensitive actions under views of the trail."""
    engagement = current_engagement()
    form, page, _engagement = filtered_page(current_user, request.args, engagement)
    return render_template(
        "engagements/audit.html", engagement=engagement, form=form, page=page, query=form.query()
    ), (200 if page is not None else 400)
