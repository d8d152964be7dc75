"""Fixtures shared by the app's tests."""

from __future__ import annotations

import socket
from email import message_from_bytes

import numpy as np
import pytest

import questionnaires
from assessor.database import upgrade
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.services import invitations, responses, results
from tests.conftest import fresh_postgres_database, make_test_app


@pytest.fixture
def completed(make_user, make_engagement):
    """An engagement with two completed candidates, scored."""
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter, client_name="Halden Utilities")
    instrument = questionnaires.latest("cco_candidate")
    rng = np.random.default_rng(3)
    people = []
    for name, base in (("Strong Candidate", 0.8), ("Weak Candidate", 0.3)):
        assignment = invitations.invite(
            recruiter, engagement, name, f"{name.split()[0].lower()}@example.com"
        )
        answers = synthetic_answers(instrument, rng, {"_base": base})
        responses.consent(assignment)
        for section in instrument.sections:
            responses.save_page(
                assignment,
                section,
                {
                    i.key: answers.get(i.key)
                    if not isinstance(answers.get(i.key), list)
                    else [str(v) for v in answers[i.key]]
                    for i in section.items
                },
                30.0,
                strict=True,
            )
        assert responses.submit(assignment) == []
        results.compute_and_store(assignment)
        people.append(assignment)
    db.session.commit()
    return recruiter, engagement, people


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request, tmp_path):
    """A database of this test's own, for requests that really run side by side:
    a SQLite file, or a PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    with fresh_postgres_database("assessor_own") as url:
        yield url


@pytest.fixture
def own_app(own_database, tmp_path):
    """The app on :func:`own_database`, its schema built by the migrations."""
    app = make_test_app(own_database, tmp_path / "instance")
    with app.app_context():
        upgrade(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


class Inbox:
    """Collects what a local SMTP server receives; refuses recipients starting "bounce"."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    """A local SMTP server (aiosmtpd) that the app sends its e-mail to."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "search@northbridge.example")
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def consultant(make_user):
    """A consultant of a fresh firm (the readiness tests' user)."""
    return make_user("consultant")


@pytest.fixture
def engagement(make_engagement, consultant):
    """The consultant's engagement with Halden Utilities (tests may define their own)."""
    return make_engagement(owner=consultant, client_name="Halden Utilities")
