"""Fixtures shared by the whole suite: databases, app, per-test transaction, factories.

Every test that uses ``app`` runs once on SQLite and once on PostgreSQL. The
PostgreSQL database is created for the session and dropped at its end. With
``CI=true`` a missing PostgreSQL or Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy.orm import scoped_session, sessionmaker

from assessor import create_app
from assessor.database import upgrade
from assessor.extensions import db

pytest_plugins = ["tests.browser"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [b for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b]
OUTPUT_DIR = Path(__file__).parent / "output"
PASSWORD = "correct-horse-battery"

# CI runs every property test on the same examples: a failure there is reproducible,
# and one it finds is kept as an explicit @example.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI must never silently skip a real service."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new PostgreSQL database, dropped on leaving (skipped or failed
    as :func:`unavailable` says when the server does not answer)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped afterwards."""
    with fresh_postgres_database("assessor_test") as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh app context, as in production.

    Tests hold an app context open; without this, requests would share its
    ``g`` (the logged-in user, the CSRF token) across clients.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


class TestSession(scoped_session):  # type: ignore[type-arg]
    """One session for the whole test: request teardown must not close it."""

    def remove(self) -> None:
        pass

    def end(self) -> None:
        super().remove()


def make_test_app(database_url: str, instance_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": "assessor.test",
        "RATELIMIT_ENABLED": False,
        # bootstrap intervals from 200 resamples: the figures the tests compare are
        # computed with the same setting, and each norm group builds five times faster
        "NORM_BOOTSTRAP": 200,
    }
    config.update(overrides)
    app = create_app(config)
    app.instance_path = str(instance_path)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per backend, its schema built by the migrations."""
    app = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_app: Flask) -> Iterator[Flask]:
    """The app inside one outer transaction that is rolled back after the test.

    The app's own commits release savepoints, so tests see real commit
    behaviour without leaving data behind.
    """
    with migrated_app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        session = TestSession(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        db.session = session  # type: ignore[assignment]
        try:
            yield migrated_app
        finally:
            session.end()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Auth:
    """Logs a client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def login(self, email: str, password: str = PASSWORD) -> Any:
        token = self.csrf("/login")
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self) -> Any:
        token = self.csrf("/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict[str, Any], form_page: str | None = None) -> Any:
        """POST a form with a valid CSRF token taken from ``form_page`` (default: ``path``)."""
        token = self.csrf(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Any]:
    from assessor.services.accounts import create_organisation

    def factory(name: str | None = None) -> Any:
        return create_organisation(name or f"Firm {uuid.uuid4().hex[:8]}")

    return factory


@pytest.fixture
def make_user(app: Flask, make_org: Callable[..., Any]) -> Callable[..., Any]:
    from assessor.services.accounts import create_user

    def factory(
        role: str = "recruiter",
        organisation: Any = None,
        email: str | None = None,
        name: str | None = None,
        member_of: Any = (),
        client: Any = None,
    ) -> Any:
        """A user; ``member_of`` (an engagement or several) makes them a member, and a
        board member or viewer belongs to the client of those engagements (or ``client``,
        or a client named "Acme Retail")."""
        from assessor.models import CLIENT_ROLES, Organisation
        from assessor.services import clients, engagements

        joined = [member_of] if hasattr(member_of, "id") else list(member_of)
        org = (
            organisation
            or (db.session.get(Organisation, joined[0].organisation_id) if joined else None)
            or make_org()
        )
        if role in CLIENT_ROLES and client is None:
            client = joined[0].client if joined else clients.client_for(org.id, "Acme Retail")
        user = create_user(
            org,
            email or f"{role}-{uuid.uuid4().hex[:8]}@example.com",
            name or f"Test {role.capitalize()}",
            role,
            PASSWORD,
            client=client if role in CLIENT_ROLES else None,
        )
        for engagement in joined:
            engagements.add_member(user, engagement, user.id)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_engagement(app: Flask, make_user: Callable[..., Any]) -> Callable[..., Any]:
    from assessor.services.engagements import create_engagement

    def factory(owner: Any = None, client_name: str = "Acme Retail", **kwargs: Any) -> Any:
        actor = owner or make_user("recruiter")
        engagement = create_engagement(
            actor, client_name, kwargs.pop("role_title", "CCO"), **kwargs
        )
        db.session.commit()
        return engagement

    return factory
