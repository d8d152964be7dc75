"""Signing in and out, changing a password and resetting a forgotten one."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from assessor.forms.auth import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from assessor.models import User
from assessor.services import accounts, mail
from assessor.services.errors import ServiceError

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)
TOO_MANY_ATTEMPTS = (
    "Too many sign-in attempts from your network. Wait a minute, then try again; "
    "if you forgot your password, use \u201cForgot your password?\u201d below the form."
)
TOO_MANY_RESETS = (
    "Too many password reset requests for this address or from your network. "
    "Wait an hour, then ask again; the links already sent keep working for an hour."
)
#: The one answer to a reset request, whether or not the address has an account.
RESET_SENT = (
    "If that address belongs to an account here, we have sent it a link to choose a new "
    "password. The link works once and for one hour. No e-mail? Check the spam folder, "
    "or ask your administrator."
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


def _clear_browser_session() -> None:
    """Sign this browser out and empty its session (the CSRF secret with it)."""
    logout_user()
    remember = session.get("_remember")  # Flask-Login's order to delete a remember-me cookie
    session.clear()
    if remember:
        session["_remember"] = remember


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out and empty the session, so its CSRF secret (and every token signed
    with it) and anything else kept there end with it. The user's session version
    goes up, so a copy of the cookie (or any other session of theirs) ends too."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user._get_current_object())
    _clear_browser_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _show_error(form: FlaskForm, exc: ServiceError) -> None:
    """Put the service's message next to its field, or above the form."""
    target = getattr(form, exc.field or "", None)
    if target is not None:
        target.errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    """The signed-in user's new password; their other sessions end, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                user,
                form.current_password.data or "",
                form.password.data or "",
                form.confirm.data or "",
            )
        except ServiceError as exc:
            _show_error(form, exc)
        else:
            login_user(user)  # this session takes the new version
            flash("Your password is changed. Your other sessions are signed out.", "success")
            return redirect(url_for("main.dashboard"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


def _mail_reset_link(user: User, token: str) -> None:
    """Compose the e-mail now and send it once the answer is out.

    Talking to the SMTP server inside the request would make a known address
    answer measurably slower than an unknown one, telling which accounts exist.
    """
    message = mail.password_reset_message(
        user, url_for("auth.reset_password", token=token, _external=True)
    )
    if message is None:
        return
    settings, user_id = mail.connection_settings(), user.id

    @after_this_request
    def _send_when_answered(response: Response) -> Response:
        response.call_on_close(lambda: _deliver_reset_mail(message, settings, user_id))
        return response


def _deliver_reset_mail(message: EmailMessage, settings: dict[str, Any], user_id: int) -> None:
    """Runs after the response, where nothing could show an error: a failure is logged
    (without the link, which only the e-mail may carry)."""
    try:
        mail.deliver(message, settings)
    except Exception as exc:
        log.warning("Password reset e-mail to user %s failed: %s", user_id, type(exc).__name__)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> str | tuple[str, int]:
    """Ask for a reset link; the answer never tells whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        limiter = current_app.extensions["assessor.limiter"]
        limit = current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")
        with (
            limiter.limit(limit, error_message=TOO_MANY_RESETS, scope="password-reset-network"),
            limiter.limit(
                limit,
                key_func=lambda: f"address:{email}",
                error_message=TOO_MANY_RESETS,
                scope="password-reset-address",
            ),
        ):
            accounts.request_password_reset(email, _mail_reset_link)
        return render_template("auth/forgot_password_sent.html", message=RESET_SENT)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password through an e-mailed link, which works once."""
    try:
        accounts.resolve_reset_token(token)
    except ServiceError as exc:
        return render_template("auth/reset_password_invalid.html", message=exc.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data or "", form.confirm.data or "")
        except ServiceError as exc:
            _show_error(form, exc)
        else:
            _clear_browser_session()
            flash("Your password is changed. Sign in with the new one.", "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form), status
