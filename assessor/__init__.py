"""CCO Assessor: the Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from assessor import config as config_module
from assessor.extensions import csrf, db, login_manager

__all__ = ["create_app"]


def _template_folder() -> str:
    """``templates/`` at the top of a source tree, or inside the installed package."""
    installed = Path(__file__).parent / "templates"
    if installed.is_dir():
        return str(installed)
    return str(Path(__file__).parent.parent / "templates")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app in named steps; ``config`` overrides the environment (tests)."""
    app = Flask(__name__, template_folder=_template_folder(), instance_relative_config=True)
    load_config(app, config)
    install_proxy_fix(app)
    app.url_map.converters["int"] = DatabaseIntConverter
    register_resource_limits(app)
    init_extensions(app)
    init_rate_limits(app)
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    register_request_boundary(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


#: The largest id a database INTEGER column holds (PostgreSQL's int4, SQLite's fits).
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` that only matches ids a database column can hold, so a huge id
    in a URL is a plain 404 instead of an out-of-range error from PostgreSQL."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


def install_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from ``PROXY_FIX_HOPS`` proxies (0: none), so
    that behind a reverse proxy rate limits see the client and URLs are https."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Host is not taken from the proxy: links in e-mails are built from it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(config_module.BASE)
    app.config.update(config_module.from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
    )
    config_module.check_production(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_resource_limits(app: Flask) -> None:
    from assessor.web import register_resource_limits as register_limits

    register_limits(app)


def init_extensions(app: Flask) -> None:
    from assessor.database import configure_sqlite

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    csrf.init_app(app)
    # Templates get the lazy proxy instead of Flask-Login's processor, which loads
    # the user for every page: a participant's page never asks who is signed in.
    # csrf_token() is Flask-WTF's own (a template global and context processor).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> Any:
        from assessor.services.accounts import load_session_user

        return load_session_user(user_id)  # "<id>:<session version>"; outdated ends the session


def init_rate_limits(app: Flask) -> None:
    """One limiter per app (its storage is per app: Redis when configured, else memory)."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app.extensions["assessor.limiter"] = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "assessor"),
        default_limits=[],
    )


def register_blueprints(app: Flask) -> None:
    from assessor.blueprints import (
        admin,
        auth,
        board,
        consultant,
        main,
        recruiter,
        respond,
        survey,
    )

    for blueprint in (
        auth.bp,
        main.bp,
        admin.bp,
        recruiter.bp,
        respond.bp,
        board.bp,
        consultant.bp,
        survey.bp,
    ):
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    from assessor.cli import register

    register(app)


def register_error_handlers(app: Flask) -> None:
    from assessor.web import register_error_handlers as register_handlers

    register_handlers(app)


def register_request_boundary(app: Flask) -> None:
    from assessor.web import register_request_boundary as register_boundary

    register_boundary(app)


def register_security_headers(app: Flask) -> None:
    from assessor.web import add_security_headers

    app.after_request(add_security_headers)


def register_template_helpers(app: Flask) -> None:
    from assessor.web import register_template_helpers as register_helpers

    register_helpers(app)
