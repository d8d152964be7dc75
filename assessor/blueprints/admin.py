"""Administration of the firm's own users and its audit trail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from assessor.forms.auth import UserForm
from assessor.services import accounts, audit
from assessor.services.errors import ServiceError
from assessor.web import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Response | str | tuple[str, int]:
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                current_user.organisation,
                form.email.data or "",
                form.name.data or "",
                form.role.data or "",
                form.password.data or "",
                actor=current_user,
            )
        except ServiceError as exc:
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors.append(exc.message)
            else:
                form.form_errors.append(exc.message)
        else:
            flash(f"{user.name} can now sign in as {user.role}.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    listing = accounts.list_users(current_user.organisation_id)
    return render_template("admin/users.html", form=form, users=listing), status


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@role_required("admin")
def disable_user(user_id: int) -> Response:
    """Disabling ends the person's sessions at once (their session version goes up)."""
    user = accounts.set_enabled(current_user, user_id, enabled=False)
    flash(f"{user.name} is disabled and signed out everywhere.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@role_required("admin")
def enable_user(user_id: int) -> Response:
    user = accounts.set_enabled(current_user, user_id, enabled=True)
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@role_required("admin")
def audit_log() -> str:
    return render_template("admin/audit.html", events=audit.recent(current_user.organisation_id))
