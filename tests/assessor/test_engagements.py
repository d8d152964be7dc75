"""Engagements are created by staff and visible only inside their firm."""

from __future__ import annotations

from assessor.extensions import db


def test_recruiter_creates_engagement(client, auth, make_user):
    recruiter = make_user("recruiter")
    auth.login(recruiter.email)
    response = auth.post(
        "/engagements/new",
        {"client_name": "Halden Utilities", "role_title": "Chief Customer Officer", "notes": ""},
    )
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Halden Utilities" in detail
    assert "Halden Utilities" in client.get("/").get_data(as_text=True)


def test_missing_client_name_is_a_form_error(client, auth, make_user):
    recruiter = make_user("recruiter")
    auth.login(recruiter.email)
    response = auth.post("/engagements/new", {"client_name": "", "role_title": "CCO"})
    assert response.status_code == 400
    assert "Name the client company." in response.get_data(as_text=True)


def test_board_user_may_not_create_engagements(client, auth, make_user):
    board = make_user("board")
    auth.login(board.email)
    assert client.get("/engagements/new").status_code == 403


def test_other_firms_engagement_answers_404(client, auth, make_user, make_engagement):
    mine = make_user("recruiter")
    theirs = make_engagement(client_name="Secret Client")
    auth.login(mine.email)
    response = client.get(f"/engagements/{theirs.id}")
    assert response.status_code == 404
    assert "Secret Client" not in response.get_data(as_text=True)
    assert "Secret Client" not in client.get("/engagements").get_data(as_text=True)


def test_own_engagement_is_visible_to_colleagues(client, auth, make_user, make_engagement):
    owner = make_user("recruiter")
    colleague = make_user("consultant", organisation=owner.organisation)
    engagement = make_engagement(owner=owner, client_name="Shared Client")
    auth.login(colleague.email)
    assert "Shared Client" in client.get(f"/engagements/{engagement.id}").get_data(as_text=True)


def test_service_layer_scopes_by_tenant(app, make_engagement, make_user):
    import pytest

    from assessor.services.engagements import get_engagement
    from assessor.services.errors import NotFoundError

    engagement = make_engagement()
    stranger = make_user("recruiter")
    assert get_engagement(engagement.organisation_id, engagement.id).id == engagement.id
    with pytest.raises(NotFoundError):
        get_engagement(stranger.organisation_id, engagement.id)
    with pytest.raises(NotFoundError):
        get_engagement(engagement.organisation_id, "not-a-number")


def test_the_list_counts_every_participant_of_each_engagement(app, make_user, make_engagement):
    """Candidates (from the stored counts) plus board members and respondents, per
    engagement; another firm's participants never count."""
    from assessor.demo import add_scored_candidates
    from assessor.services import engagements, invitations

    recruiter = make_user("recruiter")
    busy = make_engagement(owner=recruiter, client_name="Busy")
    quiet = make_engagement(owner=recruiter, client_name="Quiet")
    add_scored_candidates(busy, 3)
    invitations.invite(recruiter, busy, "Cand Idate", "cand@example.com")
    invitations.invite(recruiter, busy, "Board One", "b1@example.com", kind="board_member")
    invitations.invite(recruiter, quiet, "Board Two", "b2@example.com", kind="board_member")
    elsewhere = make_engagement(client_name="Elsewhere")
    add_scored_candidates(elsewhere, 2)
    db.session.commit()
    counts = {e.client_name: n for e, n in engagements.list_engagements(recruiter.organisation_id)}
    assert counts == {"Busy": 5, "Quiet": 1}
