"""The recruiter's main job, end to end through the test client (both databases)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sqlalchemy import func, select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.models import Answer, Assignment, AuditEvent, PageTiming, Result
from assessor.services import invitations
from tests.assessor.participants import answer_all, consent, post_section, submit


@pytest.fixture
def instrument():
    return questionnaires.latest("cco_candidate")


@pytest.fixture
def recruiter(make_user):
    return make_user("recruiter")


@pytest.fixture
def engagement(make_engagement, recruiter):
    return make_engagement(owner=recruiter, client_name="Halden Utilities")


def invite(auth, engagement, name="Maria Lindqvist", email="maria@example.com"):
    return auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": name, "invite-email": email},
        form_page=f"/engagements/{engagement.id}/candidates",
    )


def invited(auth, engagement):
    """Invite Maria through the dashboard form; her assignment."""
    invite(auth, engagement)
    return db.session.scalar(select(Assignment).where(Assignment.email == "maria@example.com"))


def link_of(assignment):
    return "/r/" + invitations.link_token(assignment)


def test_invite_then_complete_then_ranked(app, client, auth, recruiter, engagement, instrument):
    auth.login(recruiter.email)
    response = invite(auth, engagement)
    assert response.status_code == 302
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.email == "maria@example.com")
    )
    assert assignment.status == "invited"
    assert assignment.instrument_key == "cco_candidate"
    assert assignment.instrument_hash == instrument.content_hash

    candidate = app.test_client()
    link = link_of(assignment)
    answers = synthetic_answers(
        instrument, np.random.default_rng(7), {"empathy": 0.9, "service": 0.85, "metrics": 0.8}
    )
    welcome = candidate.get(link).get_data(as_text=True)
    assert "Halden Utilities" in welcome and "About 30 minutes" in welcome

    # Half-way: leave after three pages, come back later on another "device".
    posted = answer_all(candidate, link, instrument, answers, stop_after=3)
    assert len(posted) == 3
    db.session.expire_all()
    assert db.session.get(Assignment, assignment.id).status == "in_progress"
    assert db.session.scalar(select(PageTiming).where(PageTiming.assignment_id == assignment.id))
    other_device = app.test_client()
    resume = other_device.get(f"{link}/resume")
    assert resume.headers["Location"].endswith(f"/page/{instrument.sections[3].key}")
    page = other_device.get(f"{link}/page/{instrument.sections[0].key}").get_data(as_text=True)
    first_item = instrument.sections[0].items[0]
    assert re.search(
        rf'<input checked id="q_{first_item.key}-\d+" name="q_{first_item.key}" '
        rf'type="radio" value="{answers[first_item.key]}">',
        page,
    )

    answer_all(other_device, link, instrument, answers)
    done = submit(other_device, link)
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    db.session.expire_all()
    stored = db.session.get(Assignment, assignment.id)
    assert stored.status == "completed" and stored.submitted_at is not None
    result = db.session.scalar(select(Result).where(Result.assignment_id == assignment.id))
    assert result.scoring_version == "1" and result.instrument_hash == instrument.content_hash
    assert result.data["scales"]["empathy"]["pomp"] > 60

    # The used link now says so, clearly.
    used = other_device.get(link)
    assert used.status_code == 409
    assert "already been submitted" in used.get_data(as_text=True)

    dashboard = client.get(f"/engagements/{engagement.id}/candidates").get_data(as_text=True)
    assert "Maria Lindqvist" in dashboard and "completed" in dashboard
    profile = client.get(f"/engagements/{engagement.id}/candidates/{assignment.id}")
    html = profile.get_data(as_text=True)
    assert profile.status_code == 200
    assert "Fit to the role" in html and "Emotional intelligence and empathy" in html
    assert "<svg" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]

    exported = client.get(f"/engagements/{engagement.id}/candidates/{assignment.id}.json")
    data = json.loads(exported.get_data(as_text=True))
    assert data["name"] == "Maria Lindqvist"
    assert {c["key"] for c in data["competencies"]} >= {"empathy", "service", "metrics"}
    csv_text = client.get(f"/engagements/{engagement.id}/export.csv").get_data(as_text=True)
    assert "Maria Lindqvist" in csv_text.splitlines()[1]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"invitation.create", "candidate.view", "export.json", "export.csv"} <= actions


def test_missing_required_answers_are_shown_next_to_the_item(
    app, client, auth, recruiter, engagement, instrument
):
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    candidate = app.test_client()
    link = link_of(assignment)
    answer_all(candidate, link, instrument, {}, stop_after=0)
    section = instrument.sections[0]
    partial = {section.items[0].key: 4, section.items[1].key: 2}
    response = post_section(candidate, link, section, partial)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Answer this question to continue." in html
    assert f'id="q_{section.items[2].key}-error"' in html
    # What was given is kept although the page was rejected.
    saved = set(
        db.session.scalars(select(Answer.item_key).where(Answer.assignment_id == assignment.id))
    )
    assert saved == set(partial)


def test_invalid_value_is_rejected_with_reason(app, auth, recruiter, engagement, instrument):
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    candidate = app.test_client()
    link = link_of(assignment)
    answer_all(candidate, link, instrument, {}, stop_after=0)
    section = instrument.sections[0]
    response = post_section(candidate, link, section, {section.items[0].key: 9})
    assert response.status_code == 400
    assert "Choose one of the 5 points." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "mutate, status, text",
    [
        (
            lambda a: setattr(
                a, "revoked_at", __import__("assessor.models", fromlist=["utcnow"]).utcnow()
            ),
            410,
            "withdrawn",
        ),
        (
            lambda a: setattr(
                a,
                "expires_at",
                __import__("datetime").datetime(2000, 1, 1, tzinfo=__import__("datetime").UTC),
            ),
            410,
            "expired",
        ),
    ],
)
def test_unusable_links_show_a_clear_page(app, auth, recruiter, engagement, mutate, status, text):
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    link = link_of(assignment)
    mutate(assignment)
    db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_tampered_link_is_a_clear_404(app):
    response = app.test_client().get("/r/not-a-real-token.abc.def")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_reissued_link_invalidates_the_old_one(app, auth, recruiter, engagement):
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    old = link_of(assignment)
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/{assignment.id}/link",
        {"action": "reissue"},
        form_page=f"/engagements/{engagement.id}/candidates/{assignment.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert app.test_client().get(old).status_code == 404
    assert (
        app.test_client().get(link_of(db.session.get(Assignment, assignment.id))).status_code == 200
    )


def test_rejecting_an_unfinished_candidate_withdraws_the_link(app, auth, recruiter, engagement):
    """A rejection stands: the link stops working, so no later submission undoes it."""
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    link = link_of(assignment)
    participant = app.test_client()
    assert participant.get(link).status_code == 200
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}"
    response = auth.post(f"{page}/move", {"action": "reject"}, form_page=f"{page}/interview")
    assert response.status_code == 302
    response = participant.get(link)
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    response = auth.post(f"{page}/link", {"action": "reissue"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert participant.get(link_of(db.session.get(Assignment, assignment.id))).status_code == 200


def test_participant_pages_leave_the_session_alone(app, auth, recruiter, engagement, instrument):
    """A participant's pages never ask who is signed in, so no cookie is re-sent on each view
    and a recruiter opening a candidate's link sees the candidate's page, not the staff menu."""
    auth.login(recruiter.email)
    assignment = invited(auth, engagement)
    link = link_of(assignment)
    participant = app.test_client()
    consent(participant, link)
    page = f"{link}/page/{instrument.sections[1].key}"
    assert participant.get(page).status_code == 200
    for _ in range(2):
        response = participant.get(page)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == []
    html = auth.client.get(page).get_data(as_text=True)
    assert "Sign out" not in html and recruiter.name not in html
    assert "Sign out" in auth.client.get(f"/engagements/{engagement.id}/candidates").get_data(
        as_text=True
    )


def test_a_participant_page_reads_its_link_and_its_answers_in_two_statements(
    app, recruiter, engagement, instrument
):
    from sqlalchemy import event

    from assessor.services import responses

    assignment = invitations.invite(recruiter, engagement, "One Read", "oneread@example.com")
    responses.consent(assignment)
    section = instrument.sections[1]
    responses.save_page(assignment, section, {section.items[0].key: "4"}, 5.0, strict=False)
    db.session.commit()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    page = f"{link_of(assignment)}/page/{section.key}"
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        html = app.test_client().get(page).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements.count("SELECT") == 2  # link with who asks; the answers
    name = f"q_{section.items[0].key}"
    assert re.search(rf'<input checked id="{name}-\d" name="{name}" type="radio" value="4">', html)


def test_answers_read_with_the_link_are_never_served_stale(app, recruiter, engagement, instrument):
    from assessor.services import responses

    assignment = invitations.invite(recruiter, engagement, "Fresh Read", "fresh@example.com")
    responses.consent(assignment)
    section = instrument.sections[1]
    first, second = section.items[0].key, section.items[1].key
    responses.save_page(assignment, section, {first: "2"}, 5.0, strict=False)
    db.session.commit()
    token = invitations.link_token(assignment)
    db.session.expunge_all()
    # read with the link, then written and read again in the same transaction
    linked = invitations.resolve_token(token)
    assert responses.answers_of(linked)[first] == 2
    responses.save_page(linked, section, {first: "5", second: "3"}, 5.0, strict=False)
    assert responses.answers_of(linked)[first] == 5
    db.session.commit()
    # read with the link in one transaction, used in the next after another write
    linked = invitations.resolve_token(token)
    db.session.commit()
    responses.save_page(linked, section, {first: "1"}, 5.0, strict=False, stored={})
    assert responses.answers_of(linked)[first] == 1
    db.session.commit()


def test_csv_import_all_or_nothing(app, client, auth, recruiter, engagement):
    auth.login(recruiter.email)
    path = f"/engagements/{engagement.id}/candidates"
    good = "name,email\nAnna Berg,anna@example.com\nΣοφία Παπαδοπούλου,sofia@example.com\n"
    bad = (
        "name,email\nAnna Berg,anna@example.com\nNo Mail,not-an-email\nAnna Twin,anna@example.com\n"
    )
    from io import BytesIO

    token = auth.csrf(path)
    response = client.post(
        f"{path}/import",
        data={"csv-csrf_token": token, "csv-file": (BytesIO(bad.encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Row 3: Invalid e-mail address" in html
    assert "Row 4: anna@example.com appears already in row 2." in html
    assert (
        db.session.scalar(select(Assignment).where(Assignment.engagement_id == engagement.id))
        is None
    )
    token = auth.csrf(path)
    response = client.post(
        f"/engagements/{engagement.id}/candidates/import",
        data={"csv-csrf_token": token, "csv-file": (BytesIO(good.encode()), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    names = set(
        db.session.scalars(select(Assignment.name).where(Assignment.engagement_id == engagement.id))
    )
    assert names == {"Anna Berg", "Σοφία Παπαδοπούλου"}


def test_two_tabs_saving_the_same_page_keep_one_answer_each(
    app, auth, recruiter, engagement, instrument
):
    from assessor.models import PageTiming
    from assessor.services import responses

    assignment = invitations.invite(recruiter, engagement, "Tab User", "tabs@example.com")
    responses.consent(assignment)
    db.session.commit()
    section = instrument.sections[0]
    first = {i.key: "2" for i in section.items if i.type == "likert"}
    second = {i.key: "4" for i in section.items if i.type == "likert"}
    responses.save_page(assignment, section, first, 30.0, strict=False)
    responses.save_page(assignment, section, second, 20.0, strict=False)
    db.session.commit()
    rows = db.session.execute(
        select(Answer.item_key, Answer.value).where(Answer.assignment_id == assignment.id)
    ).all()
    assert len(rows) == len(second) and {v for _, v in rows} == {4}
    timing = db.session.scalar(select(PageTiming).where(PageTiming.assignment_id == assignment.id))
    assert timing.seconds == pytest.approx(50.0)


def test_a_page_sent_again_writes_only_the_answers_that_changed(
    app, recruiter, engagement, instrument
):
    from datetime import UTC, datetime

    from sqlalchemy import update

    from assessor.services import responses

    assignment = invitations.invite(recruiter, engagement, "Again", "again@example.com")
    responses.consent(assignment)
    section = instrument.sections[1]
    likert = [i.key for i in section.items if i.type == "likert"]
    page = {key: "3" for key in likert}
    responses.save_page(assignment, section, page, 10.0, strict=False)
    earlier = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    db.session.execute(
        update(Answer).where(Answer.assignment_id == assignment.id).values(answered_at=earlier)
    )
    changed = likert[4]
    result = responses.save_page(assignment, section, {**page, changed: "5"}, 10.0, strict=False)
    db.session.commit()
    assert result.saved == len(likert) and result.answers[changed] == 5
    rows = {
        key: (value, answered_at)
        for key, value, answered_at in db.session.execute(
            select(Answer.item_key, Answer.value, Answer.answered_at).where(
                Answer.assignment_id == assignment.id
            )
        )
    }
    assert {key for key, (_, at) in rows.items() if at != earlier} == {changed}
    assert rows[changed][0] == 5
    assert all(rows[key][0] == 3 for key in likert if key != changed)
    assert responses.timings_of(assignment)[section.key] == pytest.approx(20.0)


def test_double_submit_submits_once_and_shows_thanks(app, auth, recruiter, engagement, instrument):
    from assessor.services import responses

    assignment = invitations.invite(recruiter, engagement, "Double", "double@example.com")
    db.session.commit()
    link = link_of(assignment)
    candidate = app.test_client()
    answers = synthetic_answers(instrument, np.random.default_rng(2))
    answer_all(candidate, link, instrument, answers)
    review = candidate.get(f"{link}/review").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(review)
    first = candidate.post(f"{link}/review", data={"csrf_token": token})
    assert first.headers["Location"].endswith("/done")
    # The second click arrives after the first was committed.
    second = candidate.post(f"{link}/review", data={"csrf_token": token})
    assert second.status_code in (302, 409)
    assert (
        db.session.scalar(
            select(func.count(Result.id)).where(Result.assignment_id == assignment.id)
        )
        == 1
    )
    # A service-level second submit is refused without changing anything.
    db.session.expire_all()
    with pytest.raises(responses.AlreadySubmittedError):
        responses.submit(db.session.get(Assignment, assignment.id))
