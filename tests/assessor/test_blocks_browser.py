"""Forced-choice blocks answered in Chromium on a phone-sized screen with JavaScript
turned off: the most/least grid is usable by touch, a wrong pair is explained next to
the block, and the page saves what was chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import questionnaires
from assessor.extensions import db
from assessor.models import User
from assessor.services import candidates, engagements, invitations, responses
from tests.browser import CHROMIUM  # noqa: F401  (the browser fixture needs the system Chromium)

pytestmark = pytest.mark.browser

V2 = questionnaires.load("cco_candidate", 2)
PHONE = {"width": 390, "height": 844}


def _v2_candidate(live_server) -> tuple[int, str]:
    """A candidate of an engagement whose new invitations get version 2."""
    with live_server.app.app_context():
        recruiter = db.session.scalar(select(User).where(User.email == "recruiter@demo.example"))
        engagement = engagements.create_engagement(recruiter, "Pilot Client", "CCO")
        candidates.set_assessment_version(recruiter, engagement, 2)
        assignment = invitations.invite(
            recruiter, engagement, "Pia Phone", f"pia{engagement.id}@candidates.example"
        )
        db.session.commit()
        assert assignment.instrument_version == 2
        return assignment.id, f"{live_server.url}/r/{invitations.link_token(assignment)}"


def test_blocks_on_a_phone_without_javascript(browser, live_server, output_dir):
    assignment_id, link = _v2_candidate(live_server)
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(link)
        page.get_by_label("I have read how my answers are used").check()
        page.get_by_role("button", name="Start").click()
        section = V2.sections[0]
        assert section.items[0].type == "forced_choice"
        expect(page.get_by_role("heading", name=section.title)).to_be_visible()

        first, second = section.items[0], section.items[1]
        # a wrong pair first: the same statement as most and least like me
        same = first.statements[0]
        page.get_by_role("radio", name=f"Most like me: {same.text}").check()
        page.get_by_role("radio", name=f"Least like me: {same.text}").check()
        page.get_by_role("button", name="Save and continue").click()
        expect(page.locator(f"#q_{first.key} .field-error")).to_contain_text(
            "cannot be both most and least like you"
        )
        # the summary names each block by its first statement, not by the shared question
        summary = page.locator(".error-summary")
        expect(summary.get_by_role("link").first).to_contain_text(first.statements[0].text[:30])
        page.screenshot(path=str(output_dir / "blocks-phone-error.png"), full_page=False)

        # every block answered by touch: first statement most, last least
        for item in section.items:
            page.get_by_role("radio", name=f"Most like me: {item.statements[0].text}").tap()
            page.get_by_role("radio", name=f"Least like me: {item.statements[2].text}").tap()
        # the grid fits the phone: no sideways scrolling
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", name=V2.sections[1].title)).to_be_visible()
    finally:
        context.close()

    with live_server.app.app_context():
        from assessor.models import Assignment

        stored = responses.answers_of(db.session.get(Assignment, assignment_id))
    assert stored[first.key] == [first.statements[0].key, first.statements[2].key]
    assert stored[second.key] == [second.statements[0].key, second.statements[2].key]
