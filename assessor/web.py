"""Web plumbing shared by every blueprint: the commit boundary, errors, headers, roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Flask,
    Response,
    current_app,
    g,
    get_template_attribute,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException
from wtforms import Field

from assessor.extensions import db
from assessor.services.errors import NotFoundError, PermissionDeniedError, ServiceError

F = TypeVar("F", bound=Callable[..., Any])
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def role_required(*roles: str) -> Callable[[F], F]:
    """Log-in required, and one of ``roles`` (admins may do everything): 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role != "admin" and current_user.role not in roles:
                raise Forbidden("Your role does not give access to this page.")
            return view(*args, **kwargs)

        guarded = cast(F, login_required(wrapped))
        guarded.allowed_roles = ("admin", *roles)  # type: ignore[attr-defined]
        return guarded

    return decorator


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    """A file the browser saves (exports, PDFs) rather than shows."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def keep_changes() -> None:
    """Commit this request's work although it answers 4xx (e.g. a page saved with gaps)."""
    g.keep_changes = True


def register_request_boundary(app: Flask) -> None:
    """The one place that commits: after a successful request. Errors roll back,
    unless the view called :func:`keep_changes`."""

    @app.before_request
    def _refuse_nul_characters() -> None:
        """NUL cannot be stored as text (PostgreSQL refuses it): say so before any work."""
        if request.method in UNSAFE_METHODS and any(
            "\x00" in value for values in request.form.listvalues() for value in values
        ):
            raise BadRequest(
                "The form contains an invisible control character (NUL) that cannot be "
                "stored. Remove it (it often comes from pasting) and send the form again."
            )

    @app.after_request
    def _commit(response: Response) -> Response:
        if response.status_code < 400 or g.get("keep_changes"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Upload too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def _error_page(code: int, message: str) -> tuple[str, int]:
    title = ERROR_TITLES.get(code, "Error")
    return render_template("error.html", code=code, title=title, message=message), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return _error_page(
            400,
            f"The form could not be accepted: {exc.description} Go back, reload the page "
            "and try again.",
        )

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> tuple[str, int]:
        return _error_page(404, exc.message)

    @app.errorhandler(PermissionDeniedError)
    def _denied(exc: PermissionDeniedError) -> tuple[str, int]:
        return _error_page(403, exc.message)

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> tuple[str, int]:
        return _error_page(400, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return _error_page(exc.code, exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _error_page(500, "The error was logged. Nothing you had saved before is lost.")


def add_security_headers(response: Response) -> Response:
    """Headers every response carries (CSP without inline scripts, no framing)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "admin": [
        ("main.dashboard", "Dashboard"),
        ("main.engagements", "Engagements"),
        ("admin.users", "Users"),
        ("admin.audit_log", "Audit log"),
    ],
    "recruiter": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
    "board": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
    "consultant": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
}


_FIELD_HTML: dict[tuple[Any, ...], Markup] = {}
_FIELD_HTML_MAX = 4096


def field_html(field: Field, hint: str | None = None) -> Markup:
    """``_forms.html``'s ``field`` macro, its markup kept while the field is unchanged.

    A field that was not posted and has no errors renders the same for everyone
    who sees it with the same value, so the markup is reused under a key of
    everything the macro and the widget read: on the recruiter's dashboard
    WTForms' rendering was a third of a warm request. What someone typed is
    always rendered live, and never kept.
    """
    if field.errors or getattr(field, "raw_data", None):
        return _field_macro()(field, hint)
    key = (
        type(field),
        id(field.widget),
        field.id,
        field.name,
        field.label.text,
        hint,
        repr(field.data),
        repr(getattr(field, "choices", None)),
        repr(field.render_kw),
        repr(sorted(vars(field.flags).items())),
    )
    html = _FIELD_HTML.get(key)
    if html is None:
        html = Markup(_field_macro()(field, hint))
        if len(_FIELD_HTML) >= _FIELD_HTML_MAX:
            _FIELD_HTML.clear()
        _FIELD_HTML[key] = html
    return html


def _field_macro() -> Any:
    return get_template_attribute("_forms.html", "field")


_SIGNED_CSRF: dict[tuple[str, str], str] = {}
_SIGNED_CSRF_MAX = 4096


def csrf_token() -> str:
    """Flask-WTF's CSRF token of this session, signed once per worker, not per page.

    The signed token carries a timestamp that is checked only under a time
    limit. Without one (``WTF_CSRF_TIME_LIMIT`` None, as configured) a token
    signed earlier for the same session secret validates exactly as a new one
    would, and signing was a fifth of rendering a questionnaire page. With a
    limit, every page gets a freshly signed token as before.
    """
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if raw is None or config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None:
        return generate_csrf()
    key = (str(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key), str(raw))
    token = _SIGNED_CSRF.get(key)
    if token is None:
        token = generate_csrf()
        if len(_SIGNED_CSRF) >= _SIGNED_CSRF_MAX:
            _SIGNED_CSRF.clear()
        _SIGNED_CSRF[key] = token
    return token


_FIXED_URLS: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}


def fixed_url(endpoint: str, **values: str) -> str:
    """``url_for`` of a URL that is the same on every request (a static file, the
    sign-in page), built once per worker and mount point instead of on every page."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = _FIXED_URLS.get(key)
    if url is None:
        url = _FIXED_URLS[key] = url_for(endpoint, **values)
    return url


def register_template_helpers(app: Flask) -> None:
    app.add_template_global(fixed_url)
    app.add_template_global(csrf_token)  # in place of Flask-WTF's generate_csrf
    app.add_template_global(field_html)
    # A global, not a context processor: a processor would load the user on every
    # page, participant pages included; base.html reads it only when signed in.
    app.add_template_global(NAVIGATION, "navigation_by_role")
