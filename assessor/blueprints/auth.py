"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from assessor.forms.auth import LoginForm
from assessor.services import accounts

bp = Blueprint("auth", __name__)
TOO_MANY_ATTEMPTS = (
    "Too many sign-in attempts from your network. Wait a minute, then try again; "
    "if you forgot your password, ask your administrator to reset it."
)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        with current_app.extensions["assessor.limiter"].limit(
            current_app.config["LOGIN_RATE_LIMIT"], error_message=TOO_MANY_ATTEMPTS
        ):
            user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            flash(f"Welcome, {user.name}.", "success")
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append("That e-mail and password do not match an active account.")
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out and empty the session, so its CSRF secret (and every token signed
    with it) and anything else kept there end with it."""
    logout_user()
    remember = session.get("_remember")  # Flask-Login's order to delete a remember-me cookie
    session.clear()
    if remember:
        session["_remember"] = remember
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
