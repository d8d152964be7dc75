"""Administration of the firm's own users and its audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from assessor.forms.audit import filtered_page
from assessor.forms.auth import ClientForm, UserForm
from assessor.forms.questionnaire import ActionForm
from assessor.services import accounts, clients, norm_groups
from assessor.services.errors import ServiceError
from assessor.web import role_required

if TYPE_CHECKING:
    from assessor.reports.manual import ManualView

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Response | str | tuple[str, int]:
    form = UserForm()
    firm_clients = clients.list_clients(current_user.organisation_id)
    form.client.choices = [("", "None: one of the firm's staff")] + [
        (str(c.id), c.name) for c, _engagements, _people in firm_clients
    ]
    if form.validate_on_submit():
        try:
            client = (
                clients.get_client(current_user.organisation_id, form.client.data)
                if form.client.data
                else None
            )
            user = accounts.create_user(
                current_user.organisation,
                form.email.data or "",
                form.name.data or "",
                form.role.data or "",
                form.password.data or "",
                actor=current_user,
                client=client,
            )
        except ServiceError as exc:
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors.append(exc.message)
            else:
                form.form_errors.append(exc.message)
        else:
            where = f" for {client.name}" if client else ""
            flash(f"{user.name} can now sign in as {user.role}{where}.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    listing = accounts.list_users(current_user.organisation_id)
    names = {c.id: c.name for c, _engagements, _people in firm_clients}
    return render_template("admin/users.html", form=form, users=listing, client_names=names), status


@bp.route("/clients", methods=["GET", "POST"], endpoint="clients")
@role_required("admin")
def clients_page() -> Response | str | tuple[str, int]:
    """The firm's clients; their engagements and people belong to them."""
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = clients.create_client(
                current_user.organisation_id, form.name.data or "", current_user
            )
        except ServiceError as exc:
            form.name.errors = [*form.name.errors, exc.message]
        else:
            flash(
                f"{client.name} is a client. Add its board members and viewers under Users.",
                "success",
            )
            return redirect(url_for("admin.clients"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/clients.html", form=form, clients=clients.list_clients(current_user.organisation_id)
    ), status


@bp.route("/users/<int:user_id>/client", methods=["POST"])
@role_required("admin")
def set_client(user_id: int) -> Response:
    """Give a board member or viewer their client (they are signed out; memberships of
    other clients' engagements end)."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    user, client = clients.assign_client(current_user, user_id, request.form.get("client", ""))
    flash(f"{user.name} now belongs to {client.name} and was signed out.", "success")
    return redirect(url_for("admin.users"))


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
def audit_log() -> tuple[str, int]:
    """The firm's whole trail as sentences, filtered by GET parameters (400 with the
    form's errors when one is wrong). Reading it is not audited, on purpose."""
    form, page, engagement = filtered_page(current_user, request.args)
    return render_template(
        "admin/audit.html", form=form, page=page, engagement=engagement, query=form.query()
    ), (200 if page is not None else 400)


@bp.route("/norms", methods=["GET", "POST"])
@role_required("admin")
def norms() -> Response | str | tuple[str, int]:
    """The firm's norm groups per assessment version, and building the next one."""
    form = ActionForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, "The form expired. Reload the page and try again.")
        try:
            version = int(request.form.get("version", ""))
            group = norm_groups.build(current_user, norm_groups.CANDIDATE_INSTRUMENT, version)
        except ValueError:
            flash("Choose an assessment version to build a norm group for.", "error")
            status = 400
        except ServiceError as exc:
            flash(exc.message, "error")
            status = 400
        else:
            flash(
                f"Norm group {group.number} of version {group.instrument_version} is built from "
                f"{group.n} candidates; engagements that follow the newest group use it now.",
                "success",
            )
            return redirect(url_for("admin.norms"))
    return render_template(
        "admin/norms.html",
        form=form,
        overview=norm_groups.overview(current_user.organisation_id),
        min_size=norm_groups.min_size(),
    ), status


@bp.route("/manual")
@role_required("admin")
def manual_index() -> str:
    """The candidate assessment's versions, each with the size of the firm's sample."""
    from assessor.services import manual as manuals

    return render_template(
        "admin/manual_index.html", versions=manuals.versions(current_user.organisation_id)
    )


def _manual_view(key: str, version: int) -> tuple[ManualView, dict[str, object]]:
    """The manual of the signed-in admin's firm (404 with the reason for an unknown
    version or an empty sample)."""
    from datetime import date

    from assessor.reports.manual import manual_view
    from assessor.services import manual as manuals

    built = manuals.build(current_user.organisation_id, key, version)
    summary = {"key": key, "version": version}
    return manual_view(built, current_user.organisation.name, date.today()), summary


@bp.route("/manual/<key>/<int:version>")
@role_required("admin")
def manual(key: str, version: int) -> str:
    """The item analysis: the technical manual's figures as a page (the PDF's twin)."""
    view, summary = _manual_view(key, version)
    return render_template("admin/manual.html", view=view, summary=summary)


@bp.route("/manual/<key>/<int:version>.pdf")
@role_required("admin")
def manual_pdf(key: str, version: int) -> Response:
    from assessor.reports.manual import build_manual_pdf
    from assessor.web import download

    view, _summary = _manual_view(key, version)
    return download(
        build_manual_pdf(view),
        "application/pdf",
        f"technical-manual-{key}-v{version}.pdf",
    )
