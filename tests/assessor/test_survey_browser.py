"""An anonymous respondent answers the readiness survey on a phone, through a personal
invitation link, in the system Chromium; then the consultant reads the demo round's results
(round 1, collected by invitation and closed, so published as release 1)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

import questionnaires
from assessor.demo import synthetic_answers

pytestmark = pytest.mark.browser


def _invitation_link(live_server) -> str:
    """A personal link to round 2 of the demo engagement (round 1 is the demo's finished
    round), opened by invitation like every new round; one more person is invited each call."""
    from assessor.extensions import db
    from assessor.models import Client, Engagement, Survey, SurveyInvitation, User
    from assessor.services import survey_invitations, surveys

    with live_server.app.app_context():
        consultant = db.session.scalar(select(User).where(User.email == "consultant@demo.example"))
        engagement = db.session.scalar(
            select(Engagement).join(Engagement.client).where(Client.name == "Halden Utilities")
        )
        survey = db.session.scalar(
            select(Survey).where(Survey.engagement_id == engagement.id, Survey.status == "open")
        ) or surveys.open_round(consultant, engagement, title="Pulse check")
        assert survey.collection == "invitation"
        number = 1 + db.session.scalar(
            select(func.count(SurveyInvitation.id)).where(SurveyInvitation.survey_id == survey.id)
        )
        invitee = survey_invitations.Invitee(
            line=1, email=f"phone{number}@halden.example", segment={"level": "front_line"}
        )
        survey_invitations.add_invitations(consultant, survey, [invitee])
        invitation = db.session.scalar(
            select(SurveyInvitation).where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.email == invitee.email,
            )
        )
        token = survey_invitations.invitation_token(invitation)
        db.session.commit()
    return f"{live_server.url}/s/i/{token}"


def test_respondent_answers_on_a_phone(browser, live_server, output_dir):
    link = _invitation_link(live_server)
    instrument = questionnaires.latest("readiness")
    answers = synthetic_answers(instrument, np.random.default_rng(21), {"_base": 0.6})
    answers.update({"level": "front_line", "department": "customer_service", "region": "europe"})

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        page = phone.new_page()
        page.goto(link)
        expect(page.get_by_role("heading", name="Your anonymity")).to_be_visible()
        expect(page.get_by_text("This link is personal and works once")).to_be_visible()
        expect(page.get_by_text("Front-line employee or individual specialist")).to_be_visible()
        page.screenshot(path=str(output_dir / "survey-phone-start.png"), full_page=True)
        page.get_by_label(re.compile("I have read how my answers are used")).check()
        page.get_by_role("button", name="Start the survey").click()
        page.wait_for_url(re.compile(r"/r/.+/page/about_you$"))

        pages = 0
        while "/page/" in page.url:
            key = page.url.rsplit("/page/", 1)[1]
            section = next(s for s in instrument.sections if s.key == key)
            if pages == 1:
                page.screenshot(path=str(output_dir / "survey-phone-question.png"))
            for item in section.items:
                page.locator(f"input[name='q_{item.key}'][value='{answers[item.key]}']").check()
            page.get_by_role(
                "button", name=re.compile("Save and continue|Review and submit")
            ).click()
            page.wait_for_load_state()
            pages += 1
        assert pages == len(instrument.sections)
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_url(re.compile(r"/done$"))
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

        # Opening the link again on the same phone does not start a second response.
        page.goto(link)
        expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
        page.screenshot(path=str(output_dir / "survey-phone-already-answered.png"), full_page=True)
        cookies = [c for c in phone.cookies() if c["name"].startswith("survey_")]
        assert cookies and all(c["httpOnly"] and c["sameSite"] == "Lax" for c in cookies)
    finally:
        phone.close()

    # Anyone else holding the link (another browser, no cookie) is told it is used up.
    other = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = other.new_page()
        page.goto(link)
        expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    finally:
        other.close()


def test_consultant_reads_the_demo_round(browser, live_server, output_dir):
    url = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{url}/login")
        page.get_by_label("E-mail").fill("consultant@demo.example")
        page.get_by_label("Password").fill("cco-demo-walkthrough")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Halden Utilities").first.click()
        page.get_by_role("link", name="Open readiness surveys").click()
        page.get_by_role("link", name="Results").first.click()
        expect(page.get_by_role("heading", name=re.compile(r"release 1 \(final\)"))).to_be_visible()
        expect(
            page.get_by_text(re.compile(r"Release 1, published .* UTC: 60 responses"))
        ).to_be_visible()
        expect(
            page.get_by_role("heading", name=re.compile("see the organisation differently"))
        ).to_be_visible()
        expect(page.get_by_role("heading", name="“Don’t know” answers")).to_be_visible()
        expect(page.locator("svg.chart")).to_have_count(2)
        page.screenshot(path=str(output_dir / "readiness-results.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Report (PDF)").click()
        assert download.value.suggested_filename.endswith("-round-1-release-1.pdf")
    finally:
        context.close()
