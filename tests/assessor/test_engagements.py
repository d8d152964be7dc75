"""Engagements are created by staff and visible only inside their firm."""

from __future__ import annotations


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
