"""Readiness survey rounds end to end through the test client (both databases).

A consultant opens a round, anonymous respondents answer through the
collection link, the consultant follows the counts and reads the results as
a page, CSV, JSON and PDF.  The anonymity rules are proven on the outputs
themselves: a group of four never shows up anywhere, neither directly nor by
subtraction.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, Survey
from assessor.services import surveys
from tests.assessor.participants import answer_all, submit
from tests.conftest import csrf_token_from, unavailable

INSTRUMENT = questionnaires.latest("readiness")
NARRATIVE_STAGES = {"Unaware", "Aware", "Committed", "Mobilised", "Customer-led"}
SCORING_ONLY_STAGES = {"Ad hoc", "Developing", "Established"}


# ------------------------------------------------------------------ helpers


@pytest.fixture
def consultant(make_user):
    return make_user("consultant")


@pytest.fixture
def engagement(make_engagement, consultant):
    return make_engagement(owner=consultant, client_name="Halden Utilities")


def base(engagement) -> str:
    return f"/engagements/{engagement.id}/surveys"


def open_round(auth, engagement, **fields: Any):
    data = {"round-title": "", "round-closes_on": "", "round-min_cell": "5"}
    data.update({f"round-{k}": v for k, v in fields.items()})
    return auth.post(f"{base(engagement)}/new", data, form_page=base(engagement))


def latest_round(engagement) -> Survey:
    db.session.expire_all()
    return db.session.scalar(
        select(Survey).where(Survey.engagement_id == engagement.id).order_by(Survey.round.desc())
    )


def link_of(survey: Survey, level: str | None = None) -> str:
    return "/s/" + surveys.collection_token(survey, level)


def fixed_answers(values: list[int], level: str, department: str, region: str = "europe"):
    """Every dimension answered with the same six raw values (reverse items mirrored)."""
    answers: dict[str, Any] = {"level": level, "department": department, "region": region}
    position: dict[str, int] = {}
    for item in INSTRUMENT.items:
        if item.attention is not None:
            answers[item.key] = int(item.attention)
        elif item.scale:
            i = position.get(item.scale, 0)
            position[item.scale] = i + 1
            value = values[i % len(values)]
            answers[item.key] = 6 - value if item.reverse else value
    return answers


def start(client, link: str, **environ: str):
    """Open the collection link and agree; returns the participant link (/r/<token>)."""
    page = client.get(link, environ_overrides=environ)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    response = client.post(
        link,
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "consent": "yes"},
        environ_overrides=environ,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/r/" in location and location.endswith("/resume")
    return location[location.index("/r/") : -len("/resume")]


def respond(app, link: str, answers: dict[str, Any]):
    """One anonymous respondent, from the collection link to submission, in their own browser."""
    client = app.test_client()
    participant = start(client, link)
    answer_all(client, participant, INSTRUMENT, answers)
    done = submit(client, participant)
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    return client, participant


def same_response(location: str, participant: str) -> bool:
    """Whether two participant links open the same response (timed tokens differ by second)."""
    payload = participant.removeprefix("/r/").split(".")[0]
    return location[location.index("/r/") + 3 :].split(".")[0] == payload


def synthetic(rng, level: str, department: str, base_level: float = 0.5):
    answers = synthetic_answers(INSTRUMENT, rng, {"_base": base_level})
    answers.update({"level": level, "department": department, "region": "europe"})
    return answers


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- the flow


def test_open_collect_count_and_read_results(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    card = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Open readiness surveys" in card

    response = open_round(
        auth, engagement, title="Baseline", closes_on="", target_front_line="20", target_board="4"
    )
    assert response.status_code == 302
    survey = latest_round(engagement)
    assert (survey.round, survey.title, survey.min_cell, survey.status) == (
        1,
        "Baseline",
        5,
        "open",
    )
    assert survey.instrument_key == "readiness"
    assert survey.instrument_hash == INSTRUMENT.content_hash
    assert survey.targets == {"front_line": 20, "board": 4}

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'id="link-all" class="copy-link" readonly value="([^"]+)"', page).group(1)
    assert "/s/" in link
    link = link[link.index("/s/") :]

    rng = np.random.default_rng(3)
    plan = [("board", "other", 0.8)] * 5 + [("front_line", "customer_service", 0.3)] * 6
    for level, department, trait in plan:
        respond(app, link, synthetic(rng, level, department, trait))
    # one more person starts but does not finish
    start(app.test_client(), link)

    counts = client.get(f"{base(engagement)}/{survey.id}").get_data(as_text=True)
    assert re.search(r"<strong>11</strong> submitted", counts)
    assert re.search(r"<strong>1</strong> in progress", counts)
    assert re.search(r"Front-line employee[^<]*</th>\s*<td class=\"num\">6</td>", counts)
    listing = client.get(base(engagement)).get_data(as_text=True)
    assert re.search(r'<td class="num">12</td>\s*<td class="num">11</td>', listing)

    results = client.get(f"{base(engagement)}/{survey.id}/results")
    html = results.get_data(as_text=True)
    assert results.status_code == 200
    assert "Readiness index" in html and "Readiness by level" in html
    assert html.count("<svg") >= 2
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        assert "style=" not in svg and "<script" not in svg
    stage = re.search(r'<p class="stage-name">\d · ([^<]+)</p>', html).group(1)
    assert stage in NARRATIVE_STAGES
    assert not any(name in html for name in SCORING_ONLY_STAGES)
    assert "the top and the front line disagree" in html  # board 0.8 vs front line 0.3
    assert "What must happen first" in html

    data = json.loads(client.get(f"{base(engagement)}/{survey.id}/results.json").data)
    assert data["published"] is True and data["stage_name"] in NARRATIVE_STAGES
    assert data["counts"]["submitted"] == 11
    assert {r["segment"] for r in data["by_level"]} == {"board", "front_line"}
    assert any(g["top_vs_front_line"] for g in data["level_gaps"])
    assert all(0 <= d["rwg"] <= 1 for d in data["dimensions"])
    weak = [d for d in data["dimensions"] if d["recommended_actions"]]
    narratives = questionnaires.load_narratives("readiness")
    assert weak and weak[0]["recommended_actions"] == narratives["actions"][weak[0]["key"]]

    exported = client.get(f"{base(engagement)}/{survey.id}/results.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    overall = next(r for r in rows if r and r[0] == "overall")
    assert overall[2] == "11"

    pdf = client.get(f"{base(engagement)}/{survey.id}/report.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    words = pdf_text(pdf.data)
    assert "Executive summary" in words and "Gaps between levels" in words
    assert stage in words and "Method, anonymity and responses" in words
    for dimension in INSTRUMENT.scales:
        assert dimension.name in words
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"survey.open", "export.csv", "export.json", "export.pdf"} <= actions


def test_results_wait_for_the_anonymity_minimum(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(5)
    for _ in range(4):
        respond(app, link_of(survey), synthetic(rng, "executive", "sales"))
    html = client.get(f"{base(engagement)}/{survey.id}/results").get_data(as_text=True)
    assert "No results yet" in html and "<svg" not in html
    data = json.loads(client.get(f"{base(engagement)}/{survey.id}/results.json").data)
    assert data["published"] is False and data["index"] is None and data["dimensions"] == []
    pdf = client.get(f"{base(engagement)}/{survey.id}/report.pdf")
    assert pdf.status_code == 302


def test_a_group_of_four_never_shows_anywhere(app, client, auth, consultant, engagement):
    """Four people in finance, five in sales, all at one level.

    The four's n and means must appear nowhere; and since the overall total
    is published, the five must be hidden too (total − sales = finance).
    """
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    high = [4, 4, 4, 4, 4, 3]  # 70.83 on every dimension
    low = [2, 2, 2, 2, 2, 3]  # 29.17 on every dimension
    for _ in range(4):
        respond(app, link_of(survey), fixed_answers(high, "middle_management", "finance"))
    for _ in range(5):
        respond(app, link_of(survey), fixed_answers(low, "middle_management", "sales"))
    forbidden = [70.833, 29.167]  # the four's mean, and the five's (which gives it away)
    shown_forms = [r"70\.8\d*", r"71", r"29\.2\d*", r"29\.1\d*", r"29"]

    def assert_absent(text_: str, where: str) -> None:
        cleaned = re.sub(
            r"\d{1,2} (January|February|March|April|May|June|July|August|September|"
            r"October|November|December) \d{4}",
            "",
            text_,
        )
        for pattern in shown_forms:
            found = re.search(rf"(?<![\w.]){pattern}(?![\w])", cleaned)
            context = (
                "" if found is None else cleaned[max(0, found.start() - 80) : found.end() + 40]
            )
            assert found is None, f"{where} shows {pattern!r}: …{context}…"

    url = f"{base(engagement)}/{survey.id}"
    # HTML: the results page (text and charts) and the live counts
    html = client.get(f"{url}/results").get_data(as_text=True)
    visible = re.sub(r"<[^>]+>", " ", html)
    assert_absent(visible, "results page")
    assert "Readiness by department" in html and "hidden" in html
    counts = client.get(url).get_data(as_text=True)
    for label in ("Finance", "Sales"):
        row = re.search(rf"<th scope=\"row\">{label}</th>(.*?)</tr>", counts, re.S).group(1)
        assert not re.search(r">\s*[1-9]\d*\s*<", row), f"count of {label} shown: {row}"
        assert "hidden" in row
    assert re.search(r"Manager or team leader</th>\s*<td class=\"num\">9</td>", counts)

    # JSON: no published number anywhere for finance or sales
    data = json.loads(client.get(f"{url}/results.json").data)
    for table in ("by_department",):
        for row in data[table]:
            assert row == {"segment": row["segment"], "suppressed": True}
    grid = data["counts"]["department_by_level"]["middle_management"]
    assert grid["finance"] is None and grid["sales"] is None
    assert data["counts"]["departments"]["finance"] is None
    assert data["counts"]["departments"]["sales"] is None

    def numbers(node: Any) -> list[float]:
        if isinstance(node, dict):
            return [x for v in node.values() for x in numbers(v)]
        if isinstance(node, list):
            return [x for v in node for x in numbers(v)]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return [float(node)]
        return []

    for value in numbers(data):
        assert all(abs(value - f) > 0.05 for f in forbidden), value
    assert 4 not in numbers(data) and 4.0 not in numbers(data)
    assert data["index"] == pytest.approx((4 * 70.8333 + 5 * 29.1667) / 9, abs=0.01)

    # CSV: finance and sales rows carry no number
    body = client.get(f"{url}/results.csv").get_data(as_text=True)
    assert_absent(body, "CSV")
    for row in csv.reader(io.StringIO(body)):
        if len(row) > 1 and row[1] in ("Finance", "Sales"):
            assert all(cell in ("", "department", row[1], "suppressed") for cell in row), row

    # PDF text
    pdf = client.get(f"{url}/report.pdf")
    assert pdf.status_code == 200
    words = pdf_text(pdf.data)
    assert "Finance" in words and "hidden" in words
    assert_absent(words, "PDF")


def test_respondents_are_anonymous(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    ip, agent = "203.0.113.77", "Mozilla/5.0 (UniqueAgent-7f3a)"
    browser = app.test_client()
    environ = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": agent}
    participant = start(browser, link_of(survey, "front_line"), **environ)
    answers = synthetic(np.random.default_rng(1), "front_line", "sales")
    answer_all(browser, participant, INSTRUMENT, answers)
    assert submit(browser, participant).status_code == 302

    db.session.expire_all()
    rows = db.session.scalars(select(Assignment).where(Assignment.survey_id == survey.id)).all()
    assert len(rows) == 1
    (respondent,) = rows
    assert respondent.kind == "respondent"
    assert respondent.name is None and respondent.email is None
    assert respondent.segment == {"level": "front_line", "department": "sales", "region": "europe"}
    # Nothing written by the respondent's requests carries the address or the browser.
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_before
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            flat = " ".join(str(v) for v in row)
            assert ip not in flat and "UniqueAgent" not in flat, (table.name, flat)

    # The cookie: signed, HttpOnly, SameSite, scoped to /s/, and only which response it was.
    cookie = browser.get_cookie(
        surveys.cookie_name(survey), domain=app.config["SERVER_NAME"], path="/s/"
    )
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    payload = surveys._cookie_serializer().loads(cookie.value)
    assert payload == [survey.id, respondent.id, respondent.token_nonce]
    assert ip not in cookie.value and "front_line" not in cookie.value


def test_cookie_resumes_then_says_already_answered(app, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    link = link_of(survey)
    browser = app.test_client()
    participant = start(browser, link)
    answers = synthetic(np.random.default_rng(2), "executive", "finance")
    answer_all(browser, participant, INSTRUMENT, answers, stop_after=2)

    again = browser.get(link)
    assert again.status_code == 302
    # the same response (the link's signed payload; its timestamp part may differ)
    assert same_response(again.headers["Location"], participant)
    answer_all(browser, participant, INSTRUMENT, answers)
    submit(browser, participant)
    answered = browser.get(link)
    assert answered.status_code == 200
    assert "You have already answered" in answered.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.survey_id == survey.id)
        )
        == 1
    )

    # A colleague on the same device may still start their own, deliberately.
    html = answered.get_data(as_text=True)
    fresh = browser.post(
        link, data={"csrf_token": csrf_token_from(html), "fresh": "yes", "consent": "yes"}
    )
    assert fresh.status_code == 302 and "/r/" in fresh.headers["Location"]
    assert not same_response(fresh.headers["Location"], participant)
    # A forged cookie is ignored (a new visitor sees the start page).
    other = app.test_client()
    other.set_cookie(surveys.cookie_name(survey), "forged.value", path="/s/")
    assert "Start the survey" in other.get(link).get_data(as_text=True)


def test_level_link_presets_the_level(app, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    browser = app.test_client()
    page = browser.get(link_of(survey, "board")).get_data(as_text=True)
    assert "Board member" in page
    participant = start(browser, link_of(survey, "board"))
    first = browser.get(f"{participant}/page/about_you").get_data(as_text=True)
    assert re.search(
        r'<input checked id="q_level-\d+" name="q_level" type="radio" value="board">', first
    )


def test_round_two_shows_the_change(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    rng = np.random.default_rng(9)
    open_round(auth, engagement, title="Baseline")
    first = latest_round(engagement)
    for level in ["executive"] * 5 + ["front_line"] * 5:
        respond(app, link_of(first), synthetic(rng, level, "operations", 0.35))
    blocked = open_round(auth, engagement)
    assert blocked.status_code == 400 and "still collecting answers" in blocked.get_data(
        as_text=True
    )
    auth.post(
        f"{base(engagement)}/{first.id}/status",
        {"action": "close"},
        form_page=f"{base(engagement)}/{first.id}",
    )

    assert open_round(auth, engagement, title="A year on").status_code == 302
    second = latest_round(engagement)
    assert second.round == 2
    for level in ["executive"] * 5 + ["front_line"] * 5:
        respond(app, link_of(second), synthetic(rng, level, "operations", 0.7))

    html = client.get(f"{base(engagement)}/{second.id}/results").get_data(as_text=True)
    assert "since round 1" in html and "Change since round 1, by level" in html
    assert html.count('class="change up"') >= 8
    data = json.loads(client.get(f"{base(engagement)}/{second.id}/results.json").data)
    assert data["comparison"]["previous_round"] == 1
    assert all(v > 10 for v in data["comparison"]["dimension_change"].values())
    assert set(data["comparison"]["level_change"]) == {"executive", "front_line"}
    body = client.get(f"{base(engagement)}/{second.id}/results.csv").get_data(as_text=True)
    assert "change since round 1" in body
    words = pdf_text(client.get(f"{base(engagement)}/{second.id}/report.pdf").data)
    assert "Change since round 1" in words


# ------------------------------------------------------- closing and links


def test_close_and_reopen(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    link = link_of(survey)
    browser = app.test_client()
    participant = start(browser, link)
    page = f"{base(engagement)}/{survey.id}"
    response = auth.post(f"{page}/status", {"action": "close"}, form_page=page)
    assert response.status_code == 302
    closed = app.test_client().get(link)
    assert closed.status_code == 410 and "closed" in closed.get_data(as_text=True)
    assert browser.get(participant).status_code == 410  # the unfinished response stops too
    again = auth.post(f"{page}/status", {"action": "close"}, form_page=page)
    assert again.status_code == 303

    auth.post(f"{page}/status", {"action": "reopen"}, form_page=page)
    assert app.test_client().get(link).status_code == 200
    assert browser.get(participant).status_code == 200

    auth.post(f"{page}/status", {"action": "rotate"}, form_page=page)
    old = app.test_client().get(link)
    assert old.status_code == 404 and "not valid any more" in old.get_data(as_text=True)
    assert app.test_client().get(link_of(latest_round(engagement))).status_code == 200


def test_tampered_link_is_a_clear_404(app):
    for token in ("not-a-token", "WzEsImFiYyJd.forged", ""):
        response = app.test_client().get(f"/s/{token}")
        assert response.status_code == 404
        if token:
            assert "not valid" in response.get_data(as_text=True)


def test_link_past_its_closing_date_is_closed(app, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    survey.closes_at = survey.created_at.replace(year=2000)
    db.session.commit()
    response = app.test_client().get(link_of(survey))
    assert response.status_code == 410 and "closed" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"closes_on": "31/02/2026"}, "Enter the date as YYYY-MM-DD"),
        ({"closes_on": "2001-01-01"}, "The closing date is in the past"),
        ({"closes_on": "2999-01-01"}, "Choose a closing date within 366 days"),
        ({"target_board": "-3"}, "Enter a number from 0 to 100,000"),
        ({"target_front_line": "lots"}, "Enter a whole number"),
        ({"min_cell": "2"}, "Enter a number from 5 to 50"),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_round_input_is_explained(client, auth, consultant, engagement, fields, message):
    auth.login(consultant.email)
    response = open_round(auth, engagement, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert latest_round(engagement) is None


def test_settings_change_dates_and_targets(client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    page = f"{base(engagement)}/{survey.id}"
    bad = auth.post(f"{page}/settings", {"settings-target_executive": "-1"}, form_page=page)
    assert bad.status_code == 400 and "Enter a number from 0" in bad.get_data(as_text=True)
    good = auth.post(
        f"{page}/settings",
        {"settings-title": "Renamed", "settings-target_executive": "12"},
        form_page=page,
    )
    assert good.status_code == 302
    survey = latest_round(engagement)
    assert survey.title == "Renamed" and survey.targets == {"executive": 12}


# ------------------------------------------------------------ permissions


@pytest.mark.parametrize("role", ["recruiter", "board"])
def test_other_roles_are_refused(client, auth, make_user, consultant, engagement, role):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    auth.logout()
    other = make_user(role, organisation=consultant.organisation)
    auth.login(other.email)
    for path in (
        "",
        f"/{survey.id}",
        f"/{survey.id}/results",
        f"/{survey.id}/results.json",
        f"/{survey.id}/results.csv",
        f"/{survey.id}/report.pdf",
    ):
        assert client.get(base(engagement) + path).status_code == 403, path
    card = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert "Open readiness surveys" not in card


def test_admin_may_run_surveys(client, auth, make_user, consultant, engagement):
    admin = make_user("admin", organisation=consultant.organisation)
    auth.login(admin.email)
    assert open_round(auth, engagement).status_code == 302


def test_other_firm_gets_404(client, auth, make_user, make_engagement, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    auth.logout()
    outsider = make_user("consultant")
    own = make_engagement(owner=outsider, client_name="Elsewhere Ltd")
    auth.login(outsider.email)
    for path in (base(engagement), f"{base(engagement)}/{survey.id}/results.json"):
        assert client.get(path).status_code == 404
    # another firm's round under one's own engagement id is just as absent
    for suffix in ("", "/results", "/results.csv", "/results.json", "/report.pdf"):
        assert client.get(f"{base(own)}/{survey.id}{suffix}").status_code == 404
    response = auth.post(
        f"{base(own)}/{survey.id}/status", {"action": "close"}, form_page=base(own)
    )
    assert response.status_code == 404
    assert latest_round(engagement).status == "open"


def test_post_without_csrf_is_400(client, auth, consultant, engagement):
    auth.login(consultant.email)
    response = client.post(f"{base(engagement)}/new", data={"round-min_cell": "5"})
    assert response.status_code == 400
    assert latest_round(engagement) is None
    open_round(auth, engagement)
    survey = latest_round(engagement)
    response = client.post(f"{base(engagement)}/{survey.id}/status", data={"action": "close"})
    assert response.status_code == 400
    assert latest_round(engagement).status == "open"
    assert client.post(link_of(survey), data={"consent": "yes"}).status_code == 400
    assert (
        db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.survey_id == survey.id)
        )
        == 0
    )


# --------------------------------------------------------------- services


def test_count_suppression_hides_complements():
    # The 4 is hidden; then the 5 beside it (row total − 5 = 4), the 6 below it
    # (column total − 6 = 4), and the 7 (so the 5 and the 6 cannot be recovered).
    hide, hide_col = surveys.suppress_counts([[4, 5, 0], [6, 7, 0]], True, [10, 12, 0], 5)
    assert hide == [[True, True, False], [True, True, False]]
    assert hide_col == [False, False, False]
    # A small column total is hidden, and with it the smallest other total.
    _, hide_col = surveys.suppress_counts([[3, 9, 6]], False, [3, 9, 6], 5)
    assert hide_col == [True, False, True]


def test_aggregation_uses_a_fixed_number_of_queries(app, auth, consultant, engagement):
    from sqlalchemy import event

    from assessor.services import survey_results

    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(4)

    def queries() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        current = latest_round(engagement)
        db.session.refresh(engagement)
        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            survey_results.build(engagement, current)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    for _ in range(6):
        respond(app, link_of(survey), synthetic(rng, "executive", "sales"))
    few = queries()
    for _ in range(8):
        respond(app, link_of(survey), synthetic(rng, "front_line", "operations"))
    assert queries() == few <= 4


# ------------------------------------------------------------ PDF picture


def test_report_page_one_renders(app, client, auth, consultant, engagement, output_dir, tmp_path):
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm (Debian poppler-utils) is not installed")
    auth.login(consultant.email)
    open_round(auth, engagement, title="Baseline readiness")
    survey = latest_round(engagement)
    rng = np.random.default_rng(12)
    for level, trait in (
        [("board", 0.75)] * 5 + [("executive", 0.65)] * 5 + [("front_line", 0.35)] * 6
    ):
        respond(app, link_of(survey), synthetic(rng, level, "operations", trait))
    pdf = client.get(f"{base(engagement)}/{survey.id}/report.pdf").data
    source = tmp_path / "readiness.pdf"
    source.write_bytes(pdf)
    for number in (1, 2):  # the cover, and the executive summary
        target = output_dir / f"readiness-report-page{number}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(source),
                str(target),
            ],
            check=True,
        )
        assert target.with_suffix(".png").stat().st_size > 10_000
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 12


def test_respondents_failing_the_attention_check_are_left_out():
    import numpy as np

    import questionnaires
    import scoring
    from assessor.services.survey_results import passed_attention

    key = scoring.compile_key(questionnaires.latest("readiness"))
    assert len(key.attention_cols) >= 1
    matrix = np.full((3, len(key.columns)), np.nan)
    matrix[0, key.attention_cols] = key.attention_expected
    matrix[1, key.attention_cols] = key.attention_expected + 1  # wrong answer
    # row 2 skipped the check: not counted as a failure
    assert passed_attention(key, matrix).tolist() == [True, False, True]
