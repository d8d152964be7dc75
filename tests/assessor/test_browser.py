"""End to end in the system Chromium: a real person's first steps."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_demo_recruiter_logs_in_and_lands_on_dashboard(page, live_server, output_dir):
    page.goto(f"{live_server.url}/")
    assert "/login" in page.url
    page.get_by_label("E-mail").fill("recruiter@demo.example")
    page.get_by_label("Password").fill("cco-demo-walkthrough")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Halden Utilities")).to_be_visible()
    page.screenshot(path=str(output_dir / "dashboard-recruiter.png"), full_page=True)
    assert (output_dir / "dashboard-recruiter.png").stat().st_size > 5_000


def test_wrong_password_shows_message_in_browser(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail").fill("recruiter@demo.example")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().find("do not match an active account") >= 0
