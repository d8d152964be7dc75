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


def test_a_colleague_sees_an_engagement_once_added_and_not_after_removal(
    client, auth, make_user, make_engagement
):
    owner = make_user("recruiter")
    colleague = make_user("consultant", organisation=owner.organisation)
    engagement = make_engagement(owner=owner, client_name="Shared Client")
    auth.login(colleague.email)
    assert client.get(f"/engagements/{engagement.id}").status_code == 404
    assert "Shared Client" not in client.get("/engagements").get_data(as_text=True)
    auth.logout()

    auth.login(owner.email)
    page = client.get(f"/engagements/{engagement.id}/members").get_data(as_text=True)
    assert colleague.email in page  # offered in the select
    response = auth.post(f"/engagements/{engagement.id}/members", {"user_id": str(colleague.id)})
    assert response.status_code == 302
    auth.logout()

    auth.login(colleague.email)
    assert "Shared Client" in client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Shared Client" in client.get("/engagements").get_data(as_text=True)
    auth.logout()

    from assessor.services import engagements

    auth.login(owner.email)
    (member_id,) = [m.id for m, u in engagements.members(engagement) if u.id == colleague.id]
    response = auth.post(
        f"/engagements/{engagement.id}/members/{member_id}/remove",
        {},
        form_page=f"/engagements/{engagement.id}/members",
    )
    assert response.status_code == 302
    assert colleague.email not in {u.email for _m, u in engagements.members(engagement)}


def test_a_removed_member_is_out_on_the_next_request(app, make_user, make_engagement):
    """Removal ends the member's sessions: the cookie they hold is sent to sign in."""
    from assessor.services import engagements

    owner = make_user("recruiter")
    engagement = make_engagement(owner=owner, client_name="Shared Client")
    colleague = make_user("consultant", member_of=engagement)
    browser = app.test_client()
    from tests.conftest import Auth

    Auth(browser).login(colleague.email)
    assert browser.get(f"/engagements/{engagement.id}").status_code == 200
    (member,) = [m for m, u in engagements.members(engagement) if u.id == colleague.id]
    engagements.remove_member(owner, engagement, member.id)
    db.session.commit()
    response = browser.get(f"/engagements/{engagement.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    Auth(browser).login(colleague.email)
    assert browser.get(f"/engagements/{engagement.id}").status_code == 404


def test_only_the_engagements_client_people_can_join(app, make_user, make_engagement):
    import pytest

    from assessor.services import clients, engagements
    from assessor.services.errors import ServiceError

    owner = make_user("recruiter")
    halden = make_engagement(owner=owner, client_name="Halden Utilities")
    marlow = make_engagement(owner=owner, client_name="Marlow Rail")
    marlow_board = make_user("board", member_of=marlow)
    assert marlow_board.client_id == marlow.client_id
    assert marlow_board not in engagements.addable_users(halden)
    with pytest.raises(ServiceError, match="belongs to another client"):
        engagements.add_member(owner, halden, marlow_board.id)
    halden_viewer = make_user(
        "viewer",
        organisation=owner.organisation,
        client=clients.find_client(owner.organisation_id, "halden utilities"),
    )
    assert halden_viewer in engagements.addable_users(halden)
    engagements.add_member(owner, halden, halden_viewer.id)
    with pytest.raises(ServiceError, match="already a member"):
        engagements.add_member(owner, halden, halden_viewer.id)
    outsider = make_user("recruiter")
    with pytest.raises(ServiceError, match="Choose a person"):
        engagements.add_member(owner, halden, outsider.id)  # another firm's user


def test_a_client_person_needs_a_client_and_staff_have_none(app, make_org):
    import pytest

    from assessor.services import accounts, clients
    from assessor.services.errors import ServiceError

    org = make_org()
    with pytest.raises(ServiceError, match="choose the client"):
        accounts.create_user(org, "b@example.com", "Bea Board", "board", "cco-demo-walkthrough")
    client = clients.create_client(org.id, "Halden Utilities")
    with pytest.raises(ServiceError, match="leave the client empty"):
        accounts.create_user(
            org,
            "r@example.com",
            "Rob Recruiter",
            "recruiter",
            "cco-demo-walkthrough",
            client=client,
        )
    with pytest.raises(ServiceError, match="already a client"):
        clients.create_client(org.id, "HALDEN utilities")
    with pytest.raises(ServiceError, match="one line"):
        clients.create_client(org.id, "Evil\r\nBcc: x@evil.example")


def test_line_breaks_in_engagement_names_are_refused(client, auth, make_user):
    recruiter = make_user("recruiter")
    auth.login(recruiter.email)
    for field in ("client_name", "role_title"):
        data = {"client_name": "Halden", "role_title": "CCO", field: "A\r\nBcc: x@evil.example"}
        response = auth.post("/engagements/new", data)
        assert response.status_code == 400, field
        assert "on one line" in response.get_data(as_text=True)
    from assessor.models import Engagement

    assert db.session.query(Engagement).count() == 0


def test_the_list_searches_only_what_the_user_may_open(client, auth, make_user, make_engagement):
    owner = make_user("recruiter")
    make_engagement(owner=owner, client_name="Halden Utilities", role_title="CCO")
    make_engagement(owner=owner, client_name="Marlow Rail", role_title="Customer Director")
    hidden = make_engagement(client_name="Halden Holdings")  # another firm
    colleague_only = make_engagement(
        owner=make_user("recruiter", organisation=owner.organisation), client_name="Halden Gas"
    )
    auth.login(owner.email)
    page = client.get("/engagements?q=halden").get_data(as_text=True)
    assert "Halden Utilities" in page
    assert "Marlow Rail" not in page
    assert hidden.client_name not in page and colleague_only.client_name not in page
    page = client.get("/engagements?q=director").get_data(as_text=True)
    assert "Marlow Rail" in page and "Halden Utilities" not in page
    page = client.get("/engagements?q=100%25").get_data(as_text=True)  # LIKE wildcards are text
    assert "No engagement you can open matches" in page


def test_service_layer_scopes_by_tenant_and_membership(app, make_engagement, make_user):
    import pytest

    from assessor.services.engagements import get_engagement
    from assessor.services.errors import NotFoundError

    owner = make_user("recruiter")
    engagement = make_engagement(owner=owner)
    assert get_engagement(owner, engagement.id).id == engagement.id
    admin = make_user("admin", organisation=owner.organisation)
    assert get_engagement(admin, engagement.id).id == engagement.id
    colleague = make_user("recruiter", organisation=owner.organisation)
    stranger = make_user("admin")
    for user in (colleague, stranger):
        with pytest.raises(NotFoundError):
            get_engagement(user, engagement.id)
    for bad in ("not-a-number", 2**31, -(2**63), 10**30):
        with pytest.raises(NotFoundError):
            get_engagement(owner, bad)


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
    counts = {e.client_name: n for e, n in engagements.list_engagements(recruiter)}
    assert counts == {"Busy": 5, "Quiet": 1}


def test_an_admin_gives_a_board_user_their_client_and_other_clients_access_ends(
    app, client, auth, make_user, make_engagement
):
    """A board user from before clients existed has none: they cannot join anything
    until an admin sets it; setting it ends memberships elsewhere and their sessions."""
    from assessor.services import engagements

    owner = make_user("recruiter")
    admin = make_user("admin", organisation=owner.organisation)
    halden = make_engagement(owner=owner, client_name="Halden Utilities")
    marlow = make_engagement(owner=owner, client_name="Marlow Rail")
    board = make_user("board", member_of=marlow)
    board.client_id = None  # as the upgrade leaves it
    db.session.commit()
    import pytest

    from assessor.services.errors import ServiceError

    with pytest.raises(ServiceError, match="has no client yet"):
        engagements.add_member(owner, halden, board.id)
    assert board not in engagements.addable_users(halden)

    auth.login(admin.email)
    page = "/admin/users"
    response = auth.post(f"/admin/users/{board.id}/client", {"client": halden.client_id}, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert board.client_id == halden.client_id
    assert [u.id for _m, u in engagements.members(marlow)] == [owner.id]  # Marlow access ended
    assert board.session_version == 2
    engagements.add_member(owner, halden, board.id)

    response = auth.post(f"/admin/users/{owner.id}/client", {"client": halden.client_id}, page)
    assert response.status_code == 400 and "has no client" in response.get_data(as_text=True)
    response = auth.post(f"/admin/users/{board.id}/client", {"client": "nope"}, page)
    assert response.status_code == 404
    stranger = make_user("board")  # another firm's board user
    response = auth.post(f"/admin/users/{stranger.id}/client", {"client": halden.client_id}, page)
    assert response.status_code == 404


def test_a_client_name_outside_ascii_is_found_again_not_inserted_twice(app, make_user):
    """Found by a fuzz run: SQLite's lower() folds ASCII only, so comparing it with
    Python's lower() missed a stored 'Áb' and the second engagement hit the unique
    constraint (a 500)."""
    from assessor.services import clients, engagements

    recruiter = make_user("recruiter")
    first = engagements.create_engagement(recruiter, "\U00059147Áb", "0")
    second = engagements.create_engagement(recruiter, "\U00059147Áb", "CCO")
    assert first.client_id == second.client_id
    assert clients.find_client(recruiter.organisation_id, "ZEBRA") is None
    engagements.create_engagement(recruiter, "Zebra", "CCO")
    assert clients.find_client(recruiter.organisation_id, "ZEBRA").name == "Zebra"
