"""The CLI: migrate, demo, users; errors are one clear line with exit status 1."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Engagement, Organisation, User


def test_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "recruiter@demo.example" in first.output
    counts = (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Engagement.id))),
    )
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "already present" in second.output
    assert counts == (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Engagement.id))),
    )


def test_create_org_and_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-org", "Acme Search", "--slug", "acme"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "create-user",
            "Ann@Acme.example",
            "--name",
            "Ann",
            "--role",
            "recruiter",
            "--org",
            "acme",
            "--password",
            "long-enough-password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ann@acme.example"))
    assert user is not None and user.organisation.slug == "acme"


def test_create_user_errors_are_one_line_exit_1(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "recruiter",
            "--org",
            "missing",
            "--password",
            "long-enough-password",
        ]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: No organisation with the short name 'missing'. "
        "Create it with: assessor create-org NAME"
    )


def test_console_script_bad_argument_exits_1_with_one_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from assessor.cli import main; main()",
            "create-user",
            "x@y.example",
            "--name",
            "X",
            "--role",
            "boss",
            "--org",
            "demo",
            "--password",
            "p",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: Invalid value for '--role': 'boss' is not one of 'admin', 'recruiter', "
        "'consultant', 'board', 'viewer'."
    ]
    assert "Traceback" not in result.stderr


def test_help_lists_commands():
    result = subprocess.run(
        [sys.executable, "-c", "from assessor.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in ("init-db", "demo", "create-user", "serve", "validate"):
        assert command in result.stdout


PRODUCTION_KEY = "5f0c1e9a7b3d2c8e4a6b9d0f1e2c3b4a5d6e7f8091a2b3c4"


def test_demo_refuses_outside_development_in_one_line(app, monkeypatch):
    for env_name in ("production", "Staging", "test"):
        monkeypatch.setitem(app.config, "ENV_NAME", env_name)
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert lines == [
            f"Error: Demo data is only created in development (ASSESSOR_ENV is "
            f"'{env_name}'): its accounts share a published password."
        ]
        assert (
            db.session.scalar(select(func.count(User.id)).where(User.email.like("%@demo.example")))
            == 0
        )


def test_serve_in_production_on_a_fresh_database_creates_no_demo_user(
    own_database, tmp_path, monkeypatch
):
    """`assessor serve` migrates a fresh production database but loads no demo accounts."""
    import werkzeug.serving

    from tests.conftest import make_test_app

    served = []
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: served.append(a))
    app = make_test_app(
        own_database, tmp_path / "instance", ENV_NAME="production", SECRET_KEY=PRODUCTION_KEY
    )
    try:
        result = app.test_cli_runner().invoke(args=["serve", "--port", "5999"])
        assert result.exit_code == 0, result.output
        assert "Not loading the demo data" in result.output
        assert served and served[0][:2] == ("127.0.0.1", 5999)
        with app.app_context():
            assert db.session.scalar(select(func.count(User.id))) == 0
            assert db.session.scalar(select(func.count(Organisation.id))) == 0
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_serve_in_development_redacts_tokens_in_the_request_log(app, monkeypatch):
    import logging

    import werkzeug.serving

    from assessor.cli import RedactTokens

    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: None)
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    logger = logging.getLogger("werkzeug")
    try:
        result = app.test_cli_runner().invoke(args=["serve", "--no-setup"])
        assert result.exit_code == 0, result.output
        assert any(isinstance(f, RedactTokens) for f in logger.filters)
    finally:
        for existing in list(logger.filters):
            if isinstance(existing, RedactTokens):
                logger.removeFilter(existing)
