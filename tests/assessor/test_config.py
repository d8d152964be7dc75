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


def test_production_accepts_a_real_key(tmp_path):
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        }
    )
    assert app.config["SECRET_KEY"] == "k" * 40


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
