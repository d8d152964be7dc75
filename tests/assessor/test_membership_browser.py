"""A board member of one client signs in and cannot find another client's engagement:
not in the navigation, not by searching, not by typing its address (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Client, Engagement
from tests.assessor.test_browser_candidate import sign_in

pytestmark = pytest.mark.browser


def _engagement_of(live_server, client_name: str) -> int:
    with live_server.app.app_context():
        stmt = select(Engagement.id).join(Client).where(Client.name == client_name)
        return db.session.scalar(stmt)


def test_a_board_member_of_one_client_cannot_find_another_clients_engagement(page, live_server):
    url = live_server.url
    halden = _engagement_of(live_server, "Halden Utilities")
    marlow = _engagement_of(live_server, "Marlow Rail")

    # The firm's recruiter works on both: the other engagement is really there.
    sign_in(page, url)
    expect(page.get_by_role("link", name="Marlow Rail")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, url, email="board@demo.example")
    table = page.locator("main table")
    expect(table.get_by_role("link", name="Halden Utilities")).to_be_visible()
    expect(page.get_by_text("Marlow Rail")).to_have_count(0)

    for name in ("Dashboard", "Engagements"):
        page.locator("nav").get_by_role("link", name=name).click()
        expect(page.get_by_role("link", name="Halden Utilities")).to_be_visible()
        expect(page.get_by_text("Marlow Rail")).to_have_count(0)

    page.get_by_label("Search by client or role").fill("Marlow")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No engagement you can open matches")).to_be_visible()
    expect(page.get_by_role("link", name="Marlow Rail")).to_have_count(0)
    page.get_by_label("Search by client or role").fill("chief customer")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Halden Utilities")).to_be_visible()
    expect(page.get_by_role("link", name="Marlow Rail")).to_have_count(0)

    for path in (
        f"/engagements/{marlow}",
        f"/engagements/{marlow}/board",
        f"/engagements/{marlow}/board/profiles",
        f"/engagements/{marlow}/board/brief.pdf",
    ):
        response = page.goto(url + path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_text("Marlow Rail")).to_have_count(0)

    response = page.goto(f"{url}/engagements/{halden}/board")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Halden Utilities")).to_be_visible()
