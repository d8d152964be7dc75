"""Command-line interface on the Flask CLI; ``assessor`` is the same group as a script."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from assessor.database import writing
from assessor.extensions import db
from assessor.models import ROLES
from assessor.services.errors import ServiceError


@contextmanager
def cli_boundary() -> Iterator[None]:
    """The CLI's one commit: everything or nothing, errors as one clear line.

    Every command that uses it writes, so it runs as a writer from its start
    (on SQLite: holding the write lock, as a POST does).
    """
    try:
        with writing():
            yield
            db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    except Exception:
        db.session.rollback()
        raise


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema through the migrations."""
    from assessor.database import upgrade

    try:
        upgrade(db.engine)
    except Exception as exc:  # a database that cannot be reached or written
        raise click.ClickException(f"Could not migrate {db.engine.url!r}: {exc}") from None
    from assessor.services import standings, survey_releases

    with cli_boundary():
        filled = standings.backfill()  # engagements scored before standings were stored
        released = survey_releases.backfill()  # closed rounds from before releases existed
    if filled:
        click.echo(f"Stored the candidates' standings of {filled} engagement(s).")
    if released:
        click.echo(f"Released the results of {released} closed readiness round(s).")
    click.echo(f"Database ready at {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo firm, its users and an engagement (safe to run twice).

    Development only: the demo accounts share one published password.
    """
    from flask import current_app

    from assessor.config import is_development
    from assessor.demo import DEMO_PASSWORD, load_demo

    if not is_development(current_app.config):
        raise click.ClickException(
            f"Demo data is only created in development (ASSESSOR_ENV is "
            f"{current_app.config.get('ENV_NAME')!r}): its accounts share a published password."
        )

    with cli_boundary():
        summary = load_demo()
    if summary.created:
        click.echo(f"Demo data loaded: {summary.organisation}.")
    else:
        click.echo(f"Demo data already present: {summary.organisation}.")
    click.echo("Demo accounts (password for all: " + DEMO_PASSWORD + "):")
    for email, role in summary.accounts:
        click.echo(f"  {role:<11} {email}")


@click.command("create-org")
@click.argument("name")
@click.option("--slug", help="Short name used with create-user --org (default: from NAME).")
@with_appcontext
def create_org_command(name: str, slug: str | None) -> None:
    """Create an organisation (a tenant)."""
    from assessor.services.accounts import create_organisation

    with cli_boundary():
        org = create_organisation(name, slug)
    click.echo(f"Organisation '{org.name}' created with short name '{org.slug}'.")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The user's role.")
@click.option("--org", "org_slug", required=True, help="Short name of the organisation.")
@click.option(
    "--client",
    "client_name",
    default=None,
    help="For a board member or viewer: the client company they belong to (created if new).",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Initial password (prompted for when omitted).",
)
@with_appcontext
def create_user_command(
    email: str, name: str, role: str, org_slug: str, client_name: str | None, password: str
) -> None:
    """Add a user to an organisation: the firm's staff, or a client's board member or viewer."""
    from assessor.services import clients
    from assessor.services.accounts import create_user, find_organisation

    with cli_boundary():
        org = find_organisation(org_slug)
        if org is None:
            raise ServiceError(
                f"No organisation with the short name '{org_slug}'. "
                "Create it with: assessor create-org NAME"
            )
        client = clients.client_for(org.id, client_name) if client_name else None
        user = create_user(org, email, name, role, password, client=client)
    click.echo(f"User {user.email} ({user.role}) added to {org.name}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--setup/--no-setup",
    default=True,
    show_default=True,
    help="Migrate the database and load the demo before serving.",
)
@with_appcontext
def serve_command(host: str, port: int, setup: bool) -> None:
    """Serve the app (threaded development server; use gunicorn in production)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from assessor.config import is_development

    development = is_development(current_app.config)
    if setup:
        click.get_current_context().invoke(init_db_command)
        if development:
            click.get_current_context().invoke(demo_command)
        else:
            click.echo("Not loading the demo data: ASSESSOR_ENV is not development.")
    if development:
        install_token_redaction()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"CCO Assessor is running at http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


#: Paths whose last part is a participant's secret link token.
TOKEN_PATH = re.compile(r"(/(?:s/i|r|s)/)[^/\s?\"]+")


class RedactTokens(logging.Filter):
    """Masks participants' link tokens (``/r/<token>``, ``/s/<token>``, ``/s/i/<token>``)
    in the development server's request log: whoever reads the console must not be
    able to answer as a participant."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                TOKEN_PATH.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in args
            )
        if isinstance(record.msg, str):
            record.msg = TOKEN_PATH.sub(r"\1[redacted]", record.msg)
        return True


def install_token_redaction() -> RedactTokens:
    """Add :class:`RedactTokens` to the werkzeug logger once (idempotent)."""
    logger = logging.getLogger("werkzeug")
    for existing in logger.filters:
        if isinstance(existing, RedactTokens):
            return existing
    redactor = RedactTokens()
    logger.addFilter(redactor)
    return redactor


@click.command("purge-invitations")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Days after expiry (default: RETENTION_DAYS, 90).",
)
@with_appcontext
def purge_command(days: int | None) -> None:
    """Delete invitations never answered, some days after their link expired."""
    from flask import current_app

    from assessor.services.privacy import purge_unanswered

    period = days if days is not None else int(current_app.config.get("RETENTION_DAYS", 90))
    with cli_boundary():
        count = purge_unanswered(period)
    click.echo(f"Purged {count} unanswered invitation(s) expired more than {period} days ago.")


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate_command(paths: tuple[str, ...]) -> None:
    """Validate instrument definition files or folders; exit 1 on any problem."""
    import questionnaires

    sys.exit(questionnaires.main(list(paths)))


@click.command("manual")
@click.argument("instrument")
@click.option("--version", "version", type=int, required=True, help="Instrument version, e.g. 2.")
@click.option(
    "--organisation",
    "organisation_slug",
    default=None,
    help="Short name of the firm whose results to use (needed when there are several).",
)
@click.option(
    "--output",
    "output",
    type=click.Path(file_okay=False, writable=True),
    default=".",
    show_default=True,
    help="Folder to write the files into (created if missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "both"]),
    default="both",
    show_default=True,
)
@with_appcontext
def manual_command(
    instrument: str, version: int, organisation_slug: str | None, output: str, fmt: str
) -> None:
    """Write the technical manual of an instrument version (PDF and/or HTML) from the
    firm's completed, consented assessments, and print the files' paths."""
    from datetime import date
    from pathlib import Path

    from flask import current_app
    from sqlalchemy import select

    from assessor.models import Organisation
    from assessor.reports.manual import build_manual_pdf, manual_view
    from assessor.services import manual as manuals
    from assessor.services.accounts import find_organisation

    try:
        manuals.check_version(instrument, version)
        if organisation_slug:
            org = find_organisation(organisation_slug)
            if org is None:
                raise ServiceError(f"No organisation with the short name '{organisation_slug}'.")
        else:
            orgs = list(db.session.scalars(select(Organisation).order_by(Organisation.slug)))
            if not orgs:
                raise ServiceError("There is no organisation yet: nothing to describe.")
            if len(orgs) > 1:
                raise ServiceError(
                    "Several organisations use this installation; choose one with "
                    "--organisation: " + ", ".join(f"{o.slug} ({o.name})" for o in orgs) + "."
                )
            org = orgs[0]
        org_name, org_slug = org.name, org.slug
        built = manuals.build(org.id, instrument, version)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.session.rollback()  # it only read: end the transaction
    view = manual_view(built, org_name, date.today())
    folder = Path(output)
    stem = f"technical-manual-{instrument}-v{version}-{org_slug}"
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if fmt in ("pdf", "both"):
            path = folder / f"{stem}.pdf"
            path.write_bytes(build_manual_pdf(view))
            written.append(path)
        if fmt in ("html", "both"):
            page = current_app.jinja_env.get_template("admin/manual_document.html").render(
                view=view, generated=date.today().isoformat()
            )
            path = folder / f"{stem}.html"
            path.write_text(page, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise click.ClickException(f"Could not write to {folder}: {exc.strerror or exc}") from None
    click.echo(f"Technical manual of {instrument} version {version} for {org_name}: "
               f"{built.n} completed assessments.")  # fmt: skip
    for path in written:
        click.echo(str(path))


COMMANDS: list[click.Command] = [
    init_db_command,
    demo_command,
    create_org_command,
    create_user_command,
    serve_command,
    purge_command,
    validate_command,
    manual_command,
]


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from assessor import create_app

    return create_app()


cli: Callable[..., Any] = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="CCO Assessor: assessment of Chief Customer Officer candidates, role scope and "
    "organisational readiness.",
)


def main(argv: list[str] | None = None) -> None:
    """Console script: usage errors are one clear line and exit status 1."""
    try:
        cli.main(args=argv, prog_name="assessor", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:
        from assessor.config import ConfigError

        if isinstance(exc, ConfigError):
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        raise
