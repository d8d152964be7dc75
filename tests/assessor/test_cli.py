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
        "'board', 'consultant'."
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
