"""Configuration from the environment; production refuses an unsafe secret key."""

from __future__ import annotations

import pytest

from assessor import create_app
from assessor.config import DEFAULT_SECRET_KEY, ConfigError


def test_production_refuses_default_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="Set the SECRET_KEY environment variable"):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": DEFAULT_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            }
        )


def test_production_refuses_missing_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": "",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            }
        )


GOOD_KEY = "5f0c1e9a7b3d2c8e4a6b9d0f1e2c3b4a5d6e7f8091a2b3c4"
PRODUCTION_SPELLINGS = ["production", "PRODUCTION", "Production", "prod", "staging", "qa", ""]
BAD_KEYS = {
    "missing": ("", "missing or blank"),
    "default": (DEFAULT_SECRET_KEY, "development default"),
    "short": ("a1b2c3d4e5f6g7h8i9j0", "shorter than 32"),
    "whitespace": (" " * 40, "missing or blank"),
    "low entropy": ("abcabcabcabcabcabcabcabcabcabcabcabc", "fewer than 12 distinct"),
    "short once stripped": ("  " + GOOD_KEY[:30] + "        ", "shorter than 32"),
}


def _config(tmp_path, env_name, key):
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": key,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
    }


@pytest.mark.parametrize("env_name", PRODUCTION_SPELLINGS)
@pytest.mark.parametrize("bad", sorted(BAD_KEYS))
def test_every_spelling_of_production_refuses_a_bad_key(tmp_path, env_name, bad):
    """Anything but development/test fails closed, with a message naming what to set."""
    key, reason = BAD_KEYS[bad]
    with pytest.raises(ConfigError) as refused:
        create_app(_config(tmp_path, env_name, key))
    message = str(refused.value)
    assert reason in message
    assert "Set the SECRET_KEY environment variable" in message
    assert "counts as production" in message


@pytest.mark.parametrize("env_name", PRODUCTION_SPELLINGS)
def test_production_accepts_a_real_key(tmp_path, env_name):
    app = create_app(_config(tmp_path, env_name, GOOD_KEY))
    assert app.config["SECRET_KEY"] == GOOD_KEY


@pytest.mark.parametrize("env_name", ["development", "Development", "TEST", "test"])
def test_development_and_test_accept_the_default_key(tmp_path, env_name):
    app = create_app(_config(tmp_path, env_name, DEFAULT_SECRET_KEY))
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


def test_assessor_env_from_the_environment_fails_closed(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSOR_ENV", "Prod")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite3'}")
    with pytest.raises(ConfigError, match="ASSESSOR_ENV='Prod' counts as production"):
        create_app()


@pytest.mark.parametrize("hops", ["-1", "two"])
def test_bad_proxy_fix_hops_is_a_clear_error(monkeypatch, hops):
    monkeypatch.setenv("PROXY_FIX_HOPS", hops)
    with pytest.raises(ConfigError, match="PROXY_FIX_HOPS must be a whole number"):
        create_app()


def test_proxy_fix_is_off_by_default_and_trusts_the_configured_hops(tmp_path, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.delenv("PROXY_FIX_HOPS", raising=False)
    assert not isinstance(create_app({"SQLALCHEMY_DATABASE_URI": url}).wsgi_app, ProxyFix)
    monkeypatch.setenv("PROXY_FIX_HOPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (1, 1, 0)

    @app.get("/_whoami")
    def _whoami():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    seen = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    assert seen.get_data(as_text=True) == "203.0.113.9 https"


def test_database_url_comes_from_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url


def test_default_database_is_sqlite_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/assessor.sqlite3")


def test_only_server_connections_are_pinged_before_use(tmp_path, postgres_url):
    """A pooled PostgreSQL connection dies with a server restart; a SQLite file's cannot."""
    from assessor.extensions import db

    sqlite_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    server_app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url})
    for app, checked in ((sqlite_app, False), (server_app, True)):
        with app.app_context():
            assert db.engine.pool._pre_ping is checked
            db.engine.dispose()
