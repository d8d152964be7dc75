"""A recruiter invites, a candidate completes in the browser (leaving half-way), the
recruiter sees the ranking and downloads the PDF — all in the system Chromium."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

import questionnaires
from assessor.demo import synthetic_answers

pytestmark = pytest.mark.browser


def sign_in(page, url, email="recruiter@demo.example"):
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("cco-demo-walkthrough")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")


def leave(page, action) -> None:
    """Run ``action`` and wait until the browser has loaded the page it leads to."""
    before = page.url
    action()
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state()


def answer_page(page, instrument, answers):
    """Answer every question shown on the current page by clicking its labels."""
    key = page.url.rsplit("/page/", 1)[1]
    section = next(s for s in instrument.sections if s.key == key)
    for item in section.items:
        value = answers.get(item.key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            page.locator(f"input[name='q_{item.key}'][value='{v}']").check()


def test_invite_complete_resume_rank_and_download(browser, live_server, output_dir):
    url = live_server.url
    recruiter = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = recruiter.new_page()
    sign_in(page, url)
    page.get_by_role("link", name="Halden Utilities").click()
    page.get_by_role("link", name="Open candidates").click()
    page.get_by_label("Candidate's name").fill("Beatriz Añón")
    page.get_by_label("E-mail", exact=True).fill("beatriz@example.com")
    page.get_by_role("button", name="Invite", exact=True).click()
    page.get_by_role("link", name="Beatriz Añón").click()
    link = page.get_by_label(re.compile("Personal link")).input_value()
    assert "/r/" in link

    instrument = questionnaires.latest("cco_candidate")
    answers = synthetic_answers(
        instrument, np.random.default_rng(11), {"_base": 0.85, "empathy": 0.95, "service": 0.95}
    )
    candidate = browser.new_context(viewport={"width": 1024, "height": 900})
    tab = candidate.new_page()
    tab.goto(link)
    tab.get_by_label(re.compile("I have read how my answers are used")).check()
    tab.get_by_role("button", name="Start").click()
    for _ in range(2):
        answer_page(tab, instrument, answers)
        leave(tab, lambda: tab.get_by_role("button", name="Save and continue").click())
    answer_page(tab, instrument, answers)
    leave(tab, lambda: tab.get_by_role("button", name="Save and finish later").click())
    expect(tab.get_by_role("heading", name="Your answers are saved")).to_be_visible()
    candidate.close()

    # Later, on another device: the same link resumes where they stopped.
    later = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = later.new_page()
    tab.goto(link)
    leave(tab, lambda: tab.get_by_role("link", name="Continue where you left off").click())
    tab.wait_for_url(f"**/page/{instrument.sections[3].key}")
    while "/page/" in tab.url:
        answer_page(tab, instrument, answers)
        leave(tab, lambda: tab.locator("button[value='next']").click())
    tab.get_by_role("button", name="Submit my answers").click()
    expect(tab.get_by_role("heading", name="Thank you")).to_be_visible()
    later.close()

    page.goto(f"{url}/engagements/1/candidates")
    row = page.locator("tr", has=page.get_by_role("link", name="Beatriz Añón"))
    assert "completed" in row.inner_text()
    assert re.search(r"\b\d{1,3}\b", row.locator("strong.fit").inner_text())
    page.screenshot(path=str(output_dir / "recruiter-ranking.png"), full_page=True)
    page.get_by_role("link", name="Beatriz Añón").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF profile").click()
    path = output_dir / "candidate-profile-browser.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    recruiter.close()
