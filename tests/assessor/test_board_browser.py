"""A board member answers the role scope and the pairwise comparisons in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessor.demo.board import OPERATOR_WEIGHTS, judgement_steps
from assessor.extensions import db
from assessor.models import Engagement, User
from assessor.services import board, invitations

pytestmark = pytest.mark.browser


def _new_member_link(live_server) -> str:
    app = live_server.app
    with app.app_context():
        engagement = db.session.query(Engagement).order_by(Engagement.id).first()
        recruiter = db.session.get(User, engagement.created_by_id)
        assignment = invitations.invite(
            recruiter,
            engagement,
            "Browser Member",
            "browser.member@halden.example",
            kind=board.KIND,
        )
        db.session.commit()
        return f"{live_server.url}/r/{invitations.link_token(assignment)}"


def test_board_member_answers_scope_and_priorities(page, live_server, output_dir):
    link = _new_member_link(live_server)
    page.goto(link)
    expect(page.get_by_role("heading", name="Role scope")).to_be_visible()
    page.get_by_label("I have read how my answers are used").check()
    page.get_by_role("button", name="Start").click()

    # Each page: pick the first option of every question, then continue.
    for _ in range(12):
        page.wait_for_load_state()
        if "/priorities" in page.url:
            break
        for question in page.locator(".question").all():
            first = question.locator("input[type=radio], input[type=checkbox]").first
            if first.count():
                first.check()
        # role scope v2's last page: the first of the organisation's values is required
        for box in page.locator(".question textarea[name^='q_value_1']").all():
            box.fill("Own the outcome")
        page.locator("button[name=action][value=next]").click()
    assert "/priorities" in page.url

    live = page.locator("#ahp-live-cr")
    assert "0 of 15 pairs compared" in live.inner_text()
    steps = judgement_steps(OPERATOR_WEIGHTS)
    for left, right in board.PAIRS:
        name = board.pair_field(left, right)
        index = board.STEPS.index(int(steps[name])) + 1
        page.locator(f"label[for='{name}-{index}']").click()
    assert page.locator(
        f"#{board.pair_field('customer_focus', 'insight_technology')}-9"
    ).is_checked()
    text = live.inner_text()
    assert "Consistency ratio 0.0" in text and "hang together well" in text
    page.screenshot(path=str(output_dir / "board-priorities.png"), full_page=True)
    assert (output_dir / "board-priorities.png").stat().st_size > 10_000

    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/review")
    assert "consistency ratio 0.0" in page.locator("table").inner_text()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url("**/done")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    # The board user sees the new member among the completed ones.
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail").fill("board@demo.example")
    page.get_by_label("Password").fill("cco-demo-walkthrough")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Halden Utilities").first.click()
    page.get_by_role("link", name="Open board view").click()
    expect(page.get_by_role("heading", name="What the board says")).to_be_visible()
    expect(page.locator("table.members").get_by_text("Browser Member")).to_be_visible()
    page.screenshot(path=str(output_dir / "board-view.png"), full_page=True)
