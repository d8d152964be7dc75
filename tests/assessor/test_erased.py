"""Erased means erased (issue #15): after "Erase data" nothing can be added or changed.

The walk requests every route of ``app.url_map`` that takes a candidate, for an
erased one, like the access walk does for roles: a route added later is covered
too. The rule itself lives in one place, ``candidates.ensure_not_erased``, which
the write views' lookup and every service that changes a candidate call.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, update
from werkzeug.routing import Rule

import questionnaires
from assessor.extensions import db
from assessor.models import (
    Answer,
    Assignment,
    AuditEvent,
    CandidateStanding,
    Engagement,
    Interview,
    PageTiming,
    PairwiseJudgement,
    Result,
    utcnow,
)
from assessor.services import candidates, invitations, privacy, responses
from assessor.services.errors import ConflictError
from tests.assessor.test_access import build, methods
from tests.conftest import csrf_token_from

#: The URL arguments that name a candidate (checked against the real routes below).
CANDIDATE_ARGS = ("assignment_id", "candidate_id")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Audit events a read may leave; anything else after the walk is a write that got through.
READ_ACTIONS = {
    "candidate.view",
    "candidate.export_personal_data",
    "export.json",
    "export.pdf",
    "export.csv",
}
REFUSED = "nothing can be added or changed"
PER_PARTICIPANT = (Answer, PageTiming, Result, Interview, PairwiseJudgement, CandidateStanding)


@dataclass
class Erased:
    recruiter: Any
    engagement: Any
    #: a candidate who had submitted, and one erased half-way (whose link was still open)
    submitted_id: int
    pending_id: int
    #: the pending candidate's link as it was before the erasure
    old_token: str
    live_id: int


@pytest.fixture
def erased(app: Flask, completed) -> Erased:
    recruiter, engagement, (strong, weak) = completed
    pending = invitations.invite(recruiter, engagement, "Pending Person", "pending@example.com")
    instrument = questionnaires.latest("cco_candidate")
    responses.consent(pending)
    first = instrument.sections[0]
    responses.save_page(pending, first, {first.items[0].key: "3"}, 20.0, strict=False)
    old_token = invitations.link_token(pending)
    privacy.erase(recruiter, strong)
    privacy.erase(recruiter, pending)
    db.session.commit()
    return Erased(recruiter, engagement, strong.id, pending.id, old_token, weak.id)


def message_of(assignment_id: int) -> str:
    """The refusal as the page shows it, with the erasure's date ("2 Dec 2026")."""
    erased_at = db.session.get(Assignment, assignment_id).erased_at
    return f"This candidate's data was erased on {erased_at.day} {erased_at:%b %Y}; {REFUSED}."


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def snapshot(world: Erased) -> dict[str, Any]:
    """Everything an erased candidate's write could touch: the rows, their children, counts."""
    db.session.expire_all()
    ids = [world.submitted_id, world.pending_id]
    columns = [c.key for c in inspect(Assignment).column_attrs]
    rows = {i: {c: getattr(db.session.get(Assignment, i), c) for c in columns} for i in ids}
    children = {
        model.__name__: db.session.scalar(
            select(func.count()).select_from(model).where(model.assignment_id.in_(ids))
        )
        for model in PER_PARTICIPANT
    }
    engagement = db.session.get(Engagement, world.engagement.id)
    return {
        "rows": rows,
        "children": children,
        "counts": dict(engagement.candidate_counts or {}),
        "last_event": db.session.scalar(select(func.max(AuditEvent.id))),
    }


def assert_unchanged(world: Erased, before: dict[str, Any]) -> None:
    after = snapshot(world)
    assert after["rows"] == before["rows"]
    for row in after["rows"].values():
        assert row["status"] == "erased" and row["token_nonce"] == "erased"
        assert row["name"] is None and row["email"] is None
    assert after["children"] == before["children"] == dict.fromkeys(after["children"], 0)
    assert after["counts"] == before["counts"]
    new_events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > (before["last_event"] or 0))
    ).all()
    assert set(new_events) <= READ_ACTIONS, new_events


def candidate_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if set(r.arguments) & set(CANDIDATE_ARGS)]
    # the floor: the walk cannot pass by walking nothing (profile, exports, moves, links...)
    assert len(rules) >= 8, [r.rule for r in rules]
    return rules


def form_variants(token: str) -> list[dict[str, Any]]:
    """Plausible forms for any write on a candidate: every action the pages send,
    with the fields of the interview, extend and erase forms filled in."""
    kit = questionnaires.latest("interview_kit")
    ratings = {f"q_{i.key}": "4" for i in kit.items if i.type == "rating"}
    base = {
        "csrf_token": token,
        "interviewer_name": "Ines Board",
        "notes": "Convincing examples.",
        "days": "7",
        "confirm": "yes",
        "back": "/",
        **ratings,
    }
    actions = [*candidates.PIPELINE_MOVES, "extend", "revoke", "reissue", "resend", ""]
    return [{**base, "action": action} for action in actions]


def params_for(world: Erased, assignment_id: int) -> dict[str, Any]:
    return {
        "engagement_id": world.engagement.id,
        "assignment_id": assignment_id,
        "candidate_id": assignment_id,
    }


def test_every_write_on_an_erased_candidate_is_409_and_changes_nothing(app, client, auth, erased):
    auth.login(erased.recruiter.email)
    token = auth.csrf("/")
    before = snapshot(erased)
    walked: set[str] = set()
    requests = 0
    for assignment_id in (erased.submitted_id, erased.pending_id):
        expected = message_of(assignment_id)
        for rule in candidate_rules(app):
            path = build(rule, params_for(erased, assignment_id))
            for method in methods(rule):
                if method not in UNSAFE:
                    continue
                for data in form_variants(token):
                    response = client.open(path, method=method, data=data)
                    assert response.status_code == 409, (method, path, data["action"])
                    assert expected in text(response), (method, path)
                    requests += 1
                walked.add(f"{method} {rule.rule}")
    assert_unchanged(erased, before)
    # interview, move, link, erase at least; a write route added later is walked too
    assert len(walked) >= 4, walked
    assert requests >= 4 * 2 * len(form_variants(token))


def test_reading_an_erased_candidate_is_200_or_404_never_500(app, client, auth, erased):
    auth.login(erased.recruiter.email)
    before = snapshot(erased)
    walked = 0
    for assignment_id in (erased.submitted_id, erased.pending_id):
        for rule in candidate_rules(app):
            if "GET" not in methods(rule):
                continue
            path = build(rule, params_for(erased, assignment_id))
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            if response.status_code == 200 and response.mimetype == "text/html":
                assert "Erased record" in text(response), path
            walked += 1
    assert walked >= 2 * 5
    assert_unchanged(erased, before)


def test_the_tombstone_page_still_shows(client, auth, erased):
    auth.login(erased.recruiter.email)
    page = f"/engagements/{erased.engagement.id}/candidates/{erased.submitted_id}"
    for path in (page, f"{page}/interview"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Erased record" in text(response)
        assert "strong@example.com" not in text(response)


def test_pipeline_moves_are_refused(client, auth, erased):
    auth.login(erased.recruiter.email)
    before = snapshot(erased)
    page = f"/engagements/{erased.engagement.id}/candidates/{erased.submitted_id}"
    for action in ("shortlist", "reject", "hire", "reopen"):
        response = auth.post(f"{page}/move", {"action": action}, form_page="/")
        assert response.status_code == 409, action
        assert message_of(erased.submitted_id) in text(response)
    assert_unchanged(erased, before)


def test_interview_rating_and_note_are_refused(client, auth, erased):
    auth.login(erased.recruiter.email)
    before = snapshot(erased)
    kit = questionnaires.latest("interview_kit")
    data = {"interviewer_name": "Paul Chair", "notes": "Should not be kept."}
    data.update({f"q_{i.key}": "5" for i in kit.items if i.type == "rating"})
    path = f"/engagements/{erased.engagement.id}/candidates/{erased.submitted_id}/interview"
    response = auth.post(path, data, form_page="/")
    assert response.status_code == 409
    assert message_of(erased.submitted_id) in text(response)
    assert_unchanged(erased, before)


def test_link_reissue_reminder_revoke_and_extend_are_refused(client, auth, erased):
    auth.login(erased.recruiter.email)
    before = snapshot(erased)
    # the candidate erased half-way: a re-issue used to hand them a working link again
    page = f"/engagements/{erased.engagement.id}/candidates/{erased.pending_id}"
    for action in ("reissue", "resend", "revoke", "extend"):
        response = auth.post(f"{page}/link", {"action": action, "days": "7"}, form_page="/")
        assert response.status_code == 409, action
        assert message_of(erased.pending_id) in text(response)
    response = auth.post(f"{page}/erase", {"confirm": "yes"}, form_page="/")
    assert response.status_code == 409
    assert_unchanged(erased, before)


def test_compare_with_an_erased_candidate_is_a_clear_404(client, auth, erased):
    """Comparing is the one page that takes several candidates; nothing writes in bulk."""
    auth.login(erased.recruiter.email)
    response = client.get(
        f"/engagements/{erased.engagement.id}/compare"
        f"?ids={erased.submitted_id}&ids={erased.live_id}"
    )
    assert response.status_code == 404
    assert "erased" in text(response)


def test_the_services_refuse_without_any_view(app, erased):
    """The rule holds in the service layer: a new view calling a service cannot skip it."""
    recruiter = erased.recruiter
    kit = questionnaires.latest("interview_kit")
    scale = next(i.scale for i in kit.items if i.type == "rating")
    before = snapshot(erased)
    for assignment_id in (erased.submitted_id, erased.pending_id):
        tomb = db.session.get(Assignment, assignment_id)
        writes = [
            lambda t=tomb: candidates.move(recruiter, t, "shortlist"),
            lambda t=tomb: candidates.move(recruiter, t, "reject"),
            lambda t=tomb: candidates.record_interview(recruiter, t, kit, "Ines", {scale: 4}, ""),
            lambda t=tomb: invitations.reissue(recruiter, t),
            lambda t=tomb: invitations.revoke(recruiter, t),
            lambda t=tomb: invitations.extend(recruiter, t, 7),
            lambda t=tomb: privacy.erase(recruiter, t),
        ]
        for write in writes:
            with pytest.raises(ConflictError, match=REFUSED):
                write()
            db.session.rollback()
    assert_unchanged(erased, before)


def test_an_erasure_committed_after_the_row_was_loaded_is_seen(app, erased):
    """Another request may erase the candidate after this one loaded it: the check asks
    the database, not the loaded row."""
    live = db.session.get(Assignment, erased.live_id)
    assert live.erased_at is None
    db.session.execute(
        update(Assignment)
        .where(Assignment.id == live.id)
        .values(erased_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert live.erased_at is None  # the loaded row is stale
    with pytest.raises(ConflictError, match=REFUSED):
        candidates.ensure_not_erased(live)
    db.session.rollback()


def test_the_participant_link_of_an_erased_candidate_accepts_nothing(app, client, erased):
    before = snapshot(erased)
    tomb = db.session.get(Assignment, erased.pending_id)
    section = questionnaires.latest("cco_candidate").sections[0]
    csrf = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {
        "csrf_token": csrf,
        "consent": "yes",
        "action": "next",
        **{f"q_{item.key}": "3" for item in section.items},
    }
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/r/")]
    assert len(rules) >= 4
    walked = 0
    # the link sent before the erasure, and one signed for the tombstone's own nonce
    for token in (erased.old_token, invitations.link_token(tomb)):
        params = {"token": token, "section_key": section.key}
        for rule in rules:
            path = build(rule, params)
            for method in methods(rule):
                response = client.open(path, method=method, data=data if method in UNSAFE else None)
                assert response.status_code == 410, (method, path, response.status_code)
                assert "erased" in text(response)
                walked += 1
    assert walked >= 8
    assert_unchanged(erased, before)


def test_every_write_form_is_accepted_for_a_live_candidate(app, client, auth, erased):
    """The control of the walk: the same forms on a candidate not erased get through,
    so the 409s above come from the erasure, not from a form the views refuse anyway."""
    invited = invitations.invite(
        erased.recruiter, erased.engagement, "Invited Person", "invited@example.com"
    )
    db.session.commit()
    auth.login(erased.recruiter.email)
    token = auth.csrf("/")
    accepted: set[str] = set()
    # erasing the live candidates last keeps them live for the other routes
    rules = sorted(candidate_rules(app), key=lambda r: r.endpoint.endswith("erase"))
    for rule in rules:
        for method in methods(rule):
            if method not in UNSAFE:
                continue
            # one who submitted (moves, interviews) and one still invited (their link)
            for live_id in (erased.live_id, invited.id):
                path = build(rule, params_for(erased, live_id))
                for data in form_variants(token):
                    response = client.open(path, method=method, data=data)
                    assert response.status_code < 500, (method, path)
                    if response.status_code < 400:
                        accepted.add(f"{method} {rule.rule}")
                        break
            assert f"{method} {rule.rule}" in accepted, (method, rule.rule)
    assert len(accepted) >= 4


def _answers_and_timings(assignment_id: int) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(
            select(func.count()).select_from(model).where(model.assignment_id == assignment_id)
        )
        for model in (Answer, PageTiming)
    )


def test_a_tombstone_cannot_be_claimed_by_a_page_save(app, erased):
    """The service itself refuses: the claim's conditional UPDATE skips an erased row,
    so no view that forgets the check can write answers into a tombstone."""
    before = snapshot(erased)
    tomb = db.session.get(Assignment, erased.pending_id)
    assert tomb.submitted_at is None  # erased half-way: only the erasure closes it
    section = questionnaires.latest("cco_candidate").sections[0]
    with pytest.raises(responses.AlreadySubmittedError):
        responses.save_page(tomb, section, {section.items[0].key: "4"}, 20.0, strict=False)
    db.session.rollback()
    assert_unchanged(erased, before)


def test_an_erasure_committed_while_a_page_was_being_answered_wins(app, erased):
    """The participant's request loaded the row while it was live; the recruiter's
    erasure committed before the page was saved. The claim asks the database's row."""
    person = invitations.invite(
        erased.recruiter, erased.engagement, "Racing Person", "racing@example.com"
    )
    responses.consent(person)
    db.session.commit()
    loaded = db.session.get(Assignment, person.id)
    assert loaded.erased_at is None and loaded.status == "invited"
    db.session.execute(
        update(Assignment)
        .where(Assignment.id == person.id)
        .values(erased_at=utcnow(), status="erased", name=None, email=None, token_nonce="erased")
        .execution_options(synchronize_session=False)
    )
    assert loaded.erased_at is None  # the loaded row is stale
    section = questionnaires.latest("cco_candidate").sections[0]
    with pytest.raises(responses.AlreadySubmittedError):
        responses.save_page(loaded, section, {section.items[0].key: "4"}, 20.0, strict=False)
    db.session.flush()
    assert _answers_and_timings(person.id) == (0, 0)
    row = db.session.execute(
        select(Assignment.current_section, Assignment.started_at, Assignment.status).where(
            Assignment.id == person.id
        )
    ).one()
    assert tuple(row) == (None, None, "erased")
    db.session.rollback()
