"""The staff home: dashboard and engagements."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from assessor.forms.engagement import EngagementForm
from assessor.services import engagements
from assessor.services.errors import ServiceError
from assessor.web import role_required

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def dashboard() -> str:
    rows = engagements.list_engagements(current_user.organisation_id)
    return render_template("dashboard.html", engagements=rows)


@bp.route("/engagements", endpoint="engagements")
@login_required
def engagements_list() -> str:
    rows = engagements.list_engagements(current_user.organisation_id)
    return render_template("engagements/list.html", engagements=rows)


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
@login_required
def engagement_detail(engagement_id: int) -> str:
    engagement = engagements.get_engagement(current_user.organisation_id, engagement_id)
    return render_template("engagements/detail.html", engagement=engagement)
