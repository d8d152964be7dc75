"""Web plumbing shared by every blueprint: the commit boundary, errors, headers, roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Flask,
    Response,
    g,
    render_template,
    request,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException

from assessor import database
from assessor.extensions import db
from assessor.models import Engagement
from assessor.services import audit, engagements
from assessor.services.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)

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
    """Log-in required, and one of ``roles`` (admins may do everything): 403 otherwise.

    On a route of one engagement (an ``engagement_id`` in the URL) the user must
    first be able to open that engagement (``engagements.get_engagement``: a
    member, or an admin of the firm); anything else answers 404 before the role
    is looked at, so a non-member learns nothing. Checked on every request, so
    removing a member takes effect on their next one.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if "engagement_id" in kwargs:
                g.engagement = engagements.get_engagement(current_user, kwargs["engagement_id"])
            if current_user.role != "admin" and current_user.role not in roles:
                raise Forbidden("Your role does not give access to this page.")
            return view(*args, **kwargs)

        guarded = cast(F, login_required(wrapped))
        guarded.allowed_roles = ("admin", *roles)  # type: ignore[attr-defined]
        return guarded

    return decorator


def current_engagement() -> Engagement:
    """The engagement of this request, opened by :func:`role_required` (membership checked)."""
    engagement: Engagement = g.engagement
    return engagement


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
    unless the view called :func:`keep_changes`.

    A request that may write (POST, PUT, PATCH, DELETE) runs as a writer from
    its start (see :func:`assessor.database.writing`). Audit events kept with
    :func:`assessor.services.audit.record_after_response` are written after
    the commit, in a short transaction of their own.
    """

    @app.before_request
    def _writers_say_so_first() -> None:
        """Before the first query, so that on SQLite the request's transaction
        begins holding the write lock and never writes on a stale read."""
        if request.method in UNSAFE_METHODS:
            g.writing_token = database.WRITING.set(True)

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
        if response.status_code >= 400 and not g.get("keep_changes"):
            db.session.rollback()
            audit.take_kept()  # nothing was shown or sent as asked: nothing to audit
            return response
        db.session.commit()
        return _write_audit_events(app, response)

    @app.teardown_request
    def _rollback(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
        audit.take_kept()  # never carried into another request
        token = g.pop("writing_token", None)
        if token is not None:
            database.WRITING.reset(token)


def _write_audit_events(app: Flask, response: Response) -> Response:
    """Write the events kept for after the response; if that fails, send a 503 instead,
    since a page or download must never go out without its audit record."""
    events = audit.take_kept()
    if not events:
        return response
    try:
        with database.writing():
            audit.write(events)
            db.session.commit()
    except Exception:
        db.session.rollback()
        app.logger.exception(
            "Could not record %s %s in the audit trail", request.method, request.path
        )
        response.close()
        refused = app.make_response(
            _error_page(
                503,
                "This page or download could not be recorded in the audit trail, so it "
                "was not sent. Nothing was lost: try again in a moment.",
            )
        )
        return add_security_headers(refused)
    return response


ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Upload too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Please try again",
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

    @app.errorhandler(ConflictError)
    def _conflict(exc: ConflictError) -> tuple[str, int]:
        """The object's state forbids the change (e.g. an erased candidate): 409."""
        page = render_template(
            "error.html", code=409, title="Cannot be changed", message=exc.message
        )
        return page, 409

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
    """Headers every response carries (CSP without inline scripts, no framing).

    HSTS only when cookies are Secure (the site is served over HTTPS). Everything
    but the static files is ``no-store``: participants' pages, results, exports
    and PDFs must not stay in a shared or back-button cache, and one rule for every
    dynamic response cannot miss a page.
    """
    from flask import current_app

    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


HSTS = "max-age=31536000; includeSubDomains"
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def register_resource_limits(app: Flask) -> None:
    """Refuse oversized forms before anything parses them; registered before every
    other hook (CSRF and rate limits read the form too).

    Werkzeug applies ``MAX_FORM_PARTS`` and ``MAX_FORM_MEMORY_SIZE`` to multipart
    bodies only; a url-encoded body is parsed whole, so it is measured here first.
    """
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized_forms)


def _too_large(what: str) -> Exception:
    from werkzeug.exceptions import RequestEntityTooLarge

    return RequestEntityTooLarge(
        f"The form sent {what}, more than this site accepts. Nothing was saved. "
        "If you pasted a long text, shorten it and send the form again."
    )


def _refuse_oversized_forms() -> None:
    """A url-encoded body larger than MAX_FORM_MEMORY_SIZE is refused unread; one
    with more fields than MAX_FORM_PARTS is refused by counting separators, before
    any field is decoded. A multipart body's limits are Werkzeug's, re-worded."""
    from flask import current_app
    from werkzeug.exceptions import RequestEntityTooLarge

    if request.mimetype not in FORM_MIMETYPES:
        return
    max_bytes = current_app.config.get("MAX_FORM_MEMORY_SIZE")
    max_fields = current_app.config.get("MAX_FORM_PARTS")
    if request.mimetype == "multipart/form-data":
        try:
            request.form  # noqa: B018 - parse now, inside the limits
        except RequestEntityTooLarge:
            raise _too_large(
                f"more than {max_fields} fields or a text field over {max_bytes} bytes"
            ) from None
        return
    length = request.content_length
    if max_bytes is not None and length is not None and length > max_bytes:
        raise _too_large(f"{length} bytes of form data (the limit is {max_bytes})")
    body = request.get_data(cache=True)  # kept for the form parser
    if max_bytes is not None and len(body) > max_bytes:
        raise _too_large(f"{len(body)} bytes of form data (the limit is {max_bytes})")
    if max_fields is not None and body.count(b"&") + 1 > max_fields:
        raise _too_large(f"more than {max_fields} fields")


NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "admin": [
        ("main.dashboard", "Dashboard"),
        ("main.engagements", "Engagements"),
        ("admin.users", "Users"),
        ("admin.clients", "Clients"),
        ("admin.norms", "Norm groups"),
        ("admin.manual_index", "Technical manuals"),
        ("admin.audit_log", "Audit log"),
    ],
    "recruiter": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
    "board": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
    "viewer": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
    "consultant": [("main.dashboard", "Dashboard"), ("main.engagements", "Engagements")],
}


def register_template_helpers(app: Flask) -> None:
    # A global, not a context processor: a processor would load the user on every
    # page, participant pages included; base.html reads it only when signed in.
    app.add_template_global(NAVIGATION, "navigation_by_role")
