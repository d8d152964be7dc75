"""Readiness survey rounds end to end through the test client (both databases).

A consultant opens a round, invites people (or, for an open-link round,
shares one link), follows the coarsened counts while anonymous respondents
answer, publishes releases of the results and reads them as a page, CSV,
JSON and PDF.  The anonymity rules are proven on the outputs themselves: a
group of four never shows up anywhere, neither directly nor by subtraction,
and a release is never shown live or changed once published.
"""

from __future__ import annotations

import csv
import html as html_lib
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
from assessor.demo import _answer_pages, synthetic_answers
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, Survey, SurveyInvitation
from assessor.services import responses, results, survey_releases, surveys
from tests.assessor.participants import answer_all, submit
from tests.conftest import csrf_token_from, unavailable

INSTRUMENT = questionnaires.latest("readiness")
ATTENTION = next(item for item in INSTRUMENT.items if item.attention is not None)
NARRATIVE_STAGES = {"Unaware", "Aware", "Committed", "Mobilised", "Customer-led"}
SCORING_ONLY_STAGES = {"Ad hoc", "Developing", "Established"}
LEVEL_LABELS = dict(surveys.segment_options(INSTRUMENT)["level"])
DEPARTMENT_LABELS = dict(surveys.segment_options(INSTRUMENT)["department"])


# ------------------------------------------------------------------ helpers


def base(engagement) -> str:
    return f"/engagements/{engagement.id}/surveys"


def url_of(engagement, survey: Survey, suffix: str = "") -> str:
    return f"{base(engagement)}/{survey.id}{suffix}"


def open_round(auth, engagement, **fields: Any):
    """POST the open-round form; without ``collection`` the round is by invitation."""
    data = {"round-title": "", "round-closes_on": "", "round-min_cell": "5"}
    data.update({f"round-{k}": v for k, v in fields.items()})
    return auth.post(f"{base(engagement)}/new", data, form_page=base(engagement))


def latest_round(engagement) -> Survey:
    db.session.expire_all()
    return db.session.scalar(
        select(Survey).where(Survey.engagement_id == engagement.id).order_by(Survey.round.desc())
    )


def post_action(auth, engagement, survey: Survey, path: str, **data: str):
    """A button of the round page: status (close, reopen, rotate), release, breakdowns."""
    return auth.post(
        url_of(engagement, survey, f"/{path}"), data, form_page=url_of(engagement, survey)
    )


def flashes(client, path: str) -> list[str]:
    """The flash messages the next page shows (read once)."""
    page = client.get(path).get_data(as_text=True)
    return [html_lib.unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page)]


def link_of(survey: Survey, level: str | None = None) -> str:
    """The open collection link (only an open-link round answers it)."""
    return "/s/" + surveys.collection_token(survey, level)


def invite(auth, client, engagement, survey: Survey, count: int) -> list[str]:
    """Add ``count`` people through the invitations page; their personal links, from the
    printable list (the way a consultant without e-mail hands them out)."""
    first = 1 + db.session.scalar(
        select(func.count(SurveyInvitation.id)).where(SurveyInvitation.survey_id == survey.id)
    )
    emails = [f"person{n:03d}@client.example" for n in range(first, first + count)]
    page = url_of(engagement, survey, "/invitations")
    added = auth.post(page, {"invite-entries": "\n".join(emails)}, form_page=page)
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    printed = client.get(f"{page}/print").get_data(as_text=True)
    rows = dict(
        re.findall(r'<td>([^<@]+@[^<]+)</td>.*?<td class="link">([^<]+)</td>', printed, re.S)
    )
    return [rows[email][rows[email].index("/s/i/") :] for email in emails]


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
    """Open a collection or invitation link and agree; returns the participant link (/r/<token>)."""
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
    """One anonymous respondent, from their link to submission, in their own browser."""
    client = app.test_client()
    participant = start(client, link)
    answer_all(client, participant, INSTRUMENT, answers)
    done = submit(client, participant)
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    return client, participant


def collect(app, auth, client, engagement, survey: Survey, people: list[dict[str, Any]]) -> None:
    """Invite one person per answer set; each answers through their personal link."""
    for link, answers in zip(
        invite(auth, client, engagement, survey, len(people)), people, strict=True
    ):
        respond(app, link, answers)


def add_respondents(survey: Survey, plan: list[tuple[str, str, int]], rng) -> None:
    """Submitted responses made through the services, (level, department, how many): for
    tests about what is counted and computed, not about answering."""
    for level, department, count in plan:
        for _ in range(count):
            assignment = surveys.start_response(survey, None)
            answers = synthetic(rng, level, department)
            _answer_pages(assignment, INSTRUMENT, answers, rng, pages=None)
            assert not responses.submit(assignment)
            results.compute_and_store(assignment)
    db.session.commit()


def same_response(location: str, participant: str) -> bool:
    """Whether two participant links open the same response (timed tokens differ by second)."""
    payload = participant.removeprefix("/r/").split(".")[0]
    return location[location.index("/r/") + 3 :].split(".")[0] == payload


def synthetic(rng, level: str, department: str, base_level: float = 0.5):
    answers = synthetic_answers(INSTRUMENT, rng, {"_base": base_level})
    answers.update({"level": level, "department": department, "region": "europe"})
    return answers


def release_json(client, engagement, survey: Survey, number: int | None = None) -> dict[str, Any]:
    query = "" if number is None else f"?release={number}"
    response = client.get(url_of(engagement, survey, f"/results.json{query}"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.data)


def as_published(body: dict[str, Any]) -> dict[str, Any]:
    """A release's JSON without what describes the round now (its state, its releases)."""
    return {key: value for key, value in body.items() if key not in ("survey", "releases")}


def counts_card(page: str) -> str:
    """The "Responses" card of the round page, tags stripped."""
    card = re.search(
        r'<section class="card" aria-labelledby="counts-h">(.*?)</section>', page, re.S
    )
    assert card is not None
    return " ".join(re.sub(r"<[^>]+>", " ", card.group(1)).split())


def level_counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>', page))


def department_counts(page: str) -> dict[str, str]:
    listing = re.search(r'<details class="department-counts">(.*?)</details>', page, re.S)
    assert listing is not None
    return {
        html_lib.unescape(label): count
        for label, count in re.findall(r"<li>([^<]+): ([^<]+)</li>", listing.group(1))
    }


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
    assert (survey.collection, survey.breakdowns, survey.min_cell_reason) == (
        "invitation",
        True,
        "",
    )
    assert survey.instrument_key == "readiness"
    assert survey.instrument_hash == INSTRUMENT.content_hash
    assert survey.targets == {"front_line": 20, "board": 4}

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Round 1 is open. Add the people to invite." in page
    assert 'id="link-all"' not in page  # no shared link: each person gets their own
    assert "Nothing is released yet." in page

    rng = np.random.default_rng(3)
    plan = [("board", "other", 0.8)] * 5 + [("front_line", "customer_service", 0.3)] * 6
    links = invite(auth, client, engagement, survey, len(plan) + 1)
    for link, (level, department, trait) in zip(links, plan, strict=False):
        respond(app, link, synthetic(rng, level, department, trait))
    start(app.test_client(), links[-1])  # one more person starts but does not finish

    counts = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert re.search(r"<strong>11</strong> submitted", counts)
    assert "in progress" not in counts
    assert level_counts(counts) == {
        "Board member": "at least 5",
        "Executive or senior leader": "fewer than 5",
        "Manager or team leader": "fewer than 5",
        "Front-line employee or individual specialist": "at least 5",  # 6, rounded down
    }
    departments = department_counts(counts)
    assert departments.pop("Another area") == "at least 5"
    assert departments.pop("Customer service or contact centre") == "at least 5"
    assert set(departments.values()) == {"fewer than 5"}
    # progress towards a target comes from the coarsened count too (5 of 20, not 6 of 20)
    assert 'aria-label="Front-line employee or individual specialist: at least 25% of target"' in (
        counts
    )
    # the exact 6 (or the 12 who started) shows nowhere, nor a department × level grid
    shown = set(re.findall(r"\d+", counts_card(counts)))
    assert shown <= {"11", "5", "20", "4", "25", "100"}, shown
    card_html = re.search(r'aria-labelledby="counts-h">(.*?)</section>', counts, re.S).group(1)
    assert card_html.count("<table") == 1  # the levels; no department × level grid
    listing = client.get(base(engagement)).get_data(as_text=True)
    assert re.search(r'<td class="num">11</td>', listing)
    assert not re.search(r'<td class="num">12</td>', listing)

    # nothing is live: the results exist once released
    assert "No results released yet" in client.get(url_of(engagement, survey, "/results")).get_data(
        as_text=True
    )
    released = post_action(auth, engagement, survey, "release")
    assert released.status_code == 302
    assert released.headers["Location"].endswith(url_of(engagement, survey, "/results"))

    results_page = client.get(url_of(engagement, survey, "/results"))
    html = results_page.get_data(as_text=True)
    assert results_page.status_code == 200
    assert "Release 1 of the results is published." in html_lib.unescape(html)
    assert re.search(r"Release 1, published .*? UTC: 11 responses, 11 in the results\.", html)
    assert "Readiness index" in html and "Readiness by level" in html
    assert html.count("<svg") >= 2
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        assert "style=" not in svg and "<script" not in svg
    stage = re.search(r'<p class="stage-name">\d · ([^<]+)</p>', html).group(1)
    assert stage in NARRATIVE_STAGES
    assert not any(name in html for name in SCORING_ONLY_STAGES)
    # board 0.8 vs front line 0.3: a difference of perception, not "disagreement"
    assert "the top and the front line see the organisation differently" in html
    assert "disagree" not in html and "resistance" not in html
    assert "What must happen first" in html

    data = release_json(client, engagement, survey)
    assert data["published"] is True and data["stage_name"] in NARRATIVE_STAGES
    assert data["releases"] == [1] and "counts" not in data
    assert data["release"]["number"] == 1 and data["release"]["final"] is False
    assert (data["release"]["responses"], data["release"]["in_results"]) == (11, 11)
    assert data["release"]["left_out"] == {"failed_attention_check": 0, "incomplete": 0}
    assert data["release"]["breakdowns"] is True
    assert data["survey"]["collection"] == "invitation"
    assert data["survey"]["anonymity_minimum"] == 5
    assert {r["segment"]: r["n"] for r in data["by_level"]} == {"board": 5, "front_line": 6}
    grid = data["department_by_level"]
    assert grid["board"]["other"] == 5 and grid["front_line"]["customer_service"] == 6
    assert grid["executive"] == dict.fromkeys(DEPARTMENT_LABELS, 0)
    assert any(g["top_vs_front_line"] for g in data["level_gaps"])
    assert all(0 <= d["rwg"] <= 1 for d in data["dimensions"])
    weak = [d for d in data["dimensions"] if d["recommended_actions"]]
    narratives = questionnaires.load_narratives("readiness")
    assert weak and weak[0]["recommended_actions"] == narratives["actions"][weak[0]["key"]]
    assert release_json(client, engagement, survey, 1) == data

    exported = client.get(url_of(engagement, survey, "/results.csv"))
    assert exported.mimetype == "text/csv"
    assert "release-1.csv" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert "release 1" in rows[0]
    assert rows[1][:3] == ["# responses", "11 submitted", "11 in the results"]
    overall = next(r for r in rows if r and r[0] == "overall")
    assert overall[2] == "11"

    pdf = client.get(url_of(engagement, survey, "/report.pdf"))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "release-1.pdf" in pdf.headers["Content-Disposition"]
    words = pdf_text(pdf.data)
    assert "Executive summary" in words and "Gaps between levels" in words
    assert stage in words and "Method, anonymity and responses" in words
    for dimension in INSTRUMENT.scales:
        assert dimension.name in words

    # a release that does not exist is a 404, on every output
    for suffix in ("/results", "/results.json", "/results.csv", "/report.pdf"):
        assert client.get(url_of(engagement, survey, f"{suffix}?release=2")).status_code == 404
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"survey.open", "survey.release", "export.csv", "export.json", "export.pdf"} <= actions


def test_results_wait_for_the_anonymity_minimum(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(5)
    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [synthetic(rng, "executive", "sales") for _ in range(4)],
    )
    html = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    assert "No results released yet" in html and "<svg" not in html
    assert "4 responses are in so far" in html
    early = client.get(url_of(engagement, survey, "/results.json"))
    assert early.status_code == 409
    assert b"No results of this round are released yet" in early.data
    assert client.get(url_of(engagement, survey, "/results.csv")).status_code == 409
    pdf = client.get(url_of(engagement, survey, "/report.pdf"))
    assert pdf.status_code == 302 and pdf.headers["Location"].endswith("/results")
    assert any(
        "The report exists once results are released" in m
        for m in flashes(client, pdf.headers["Location"])
    )

    reason = "4 responses so far can go into the results; a release needs at least 5"
    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert reason in re.search(r'id="release-blocked">([^<]*)<', page).group(1)
    refused = post_action(auth, engagement, survey, "release")
    assert refused.status_code == 303
    assert any(reason in m for m in flashes(client, url_of(engagement, survey)))
    closed = post_action(auth, engagement, survey, "status", action="close")
    assert closed.status_code == 302
    assert any(
        m.startswith("No new release: ") and reason in m
        for m in flashes(client, url_of(engagement, survey))
    )
    assert survey_releases.list_releases(latest_round(engagement)) == []
    assert client.get(url_of(engagement, survey, "/results.json")).status_code == 409


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
    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [fixed_answers(high, "middle_management", "finance")] * 4
        + [fixed_answers(low, "middle_management", "sales")] * 5,
    )
    forbidden = [70.833, 29.167]  # the four's mean, and the five's (which gives it away)
    shown_forms = [r"70\.8\d*", r"71", r"29\.2\d*", r"29\.1\d*", r"29"]

    def assert_absent(text_: str, where: str) -> None:
        cleaned = re.sub(
            r"\d{1,2} (January|February|March|April|May|June|July|August|September|"
            r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}",
            "",
            text_,
        )
        cleaned = re.sub(r"\b\d{1,2}:\d{2}\b", "", cleaned)  # times of day (release stamps)
        for pattern in shown_forms:
            found = re.search(rf"(?<![\w.]){pattern}(?![\w])", cleaned)
            context = (
                "" if found is None else cleaned[max(0, found.start() - 80) : found.end() + 40]
            )
            assert found is None, f"{where} shows {pattern!r}: …{context}…"

    url = url_of(engagement, survey)
    # the round page while collecting: the exact total, nothing exact per department
    counts = client.get(url).get_data(as_text=True)
    assert "<strong>9</strong> submitted" in counts
    assert level_counts(counts)["Manager or team leader"] == "at least 5"
    departments = department_counts(counts)
    assert departments["Finance"] == "fewer than 5" and departments["Sales"] == "at least 5"
    assert set(re.findall(r"\d+", counts_card(counts))) <= {"9", "5"}

    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    assert survey_releases.latest(latest_round(engagement)).is_final

    # HTML: the results page (text and charts) and the round page
    html = client.get(f"{url}/results").get_data(as_text=True)
    visible = re.sub(r"<[^>]+>", " ", html)
    assert_absent(visible, "results page")
    assert "Readiness by department" in html and "hidden" in html
    assert_absent(re.sub(r"<[^>]+>", " ", client.get(url).get_data(as_text=True)), "round page")

    # JSON: no published number anywhere for finance or sales
    data = release_json(client, engagement, survey)
    assert data["by_department"]
    for row in data["by_department"]:
        assert row == {"segment": row["segment"], "suppressed": True}
    grid = data["department_by_level"]["middle_management"]
    assert grid["finance"] == "suppressed" and grid["sales"] == "suppressed"
    assert data["release"]["in_results"] == 9

    def numbers(node: Any) -> list[float]:
        if isinstance(node, dict):
            return [x for v in node.values() for x in numbers(v)]
        if isinstance(node, list):
            return [x for v in node for x in numbers(v)]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return [float(node)]
        return []

    published = numbers({k: v for k, v in data.items() if k != "survey"})  # ids are not counts
    for value in published:
        assert all(abs(value - f) > 0.05 for f in forbidden), value
    assert 4.0 not in published
    assert data["index"] == pytest.approx((4 * 70.8333 + 5 * 29.1667) / 9, abs=0.01)

    # CSV: finance and sales rows carry no number, in the tables and in the grid
    body = client.get(f"{url}/results.csv").get_data(as_text=True)
    assert_absent(body, "CSV")
    grid_rows = 0
    for row in csv.reader(io.StringIO(body)):
        if len(row) > 1 and row[1] in ("Finance", "Sales"):
            assert all(cell in ("", "department", row[1], "suppressed") for cell in row), row
        if len(row) > 1 and row[1].endswith(("/ Finance", "/ Sales")) and "Manager" in row[1]:
            grid_rows += 1
            assert row[2] == "" and row[-1] == "suppressed", row
    assert grid_rows == 2

    # PDF text
    pdf = client.get(f"{url}/report.pdf")
    assert pdf.status_code == 200
    words = pdf_text(pdf.data)
    assert "Finance" in words and "hidden" in words
    assert_absent(words, "PDF")


def test_respondents_are_anonymous(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
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
    open_round(auth, engagement, collection="open")
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
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    browser = app.test_client()
    page = browser.get(link_of(survey, "board")).get_data(as_text=True)
    assert "Board member" in page
    participant = start(browser, link_of(survey, "board"))
    first = browser.get(f"{participant}/page/about_you").get_data(as_text=True)
    assert re.search(
        r'<input checked id="q_level-\d+" name="q_level" type="radio" value="board">', first
    )


def test_round_page_offers_the_level_links(client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert "Links with the level already chosen" in page
    for level in LEVEL_LABELS:
        assert link_of(survey, level) in page, level


def test_round_two_shows_the_change(app, client, auth, consultant, engagement):
    """Round 2 is compared with round 1's latest release (here its second, final one)."""
    auth.login(consultant.email)
    rng = np.random.default_rng(9)
    open_round(auth, engagement, title="Baseline")
    first = latest_round(engagement)
    collect(
        app, auth, client, engagement, first, [synthetic(rng, "executive", "operations", 0.35)] * 5
    )
    assert post_action(auth, engagement, first, "release").status_code == 302
    early = release_json(client, engagement, first)
    assert [r["segment"] for r in early["by_level"]] == ["executive"]
    collect(
        app,
        auth,
        client,
        engagement,
        first,
        [synthetic(rng, "front_line", "operations", 0.2) for _ in range(5)],
    )
    blocked = open_round(auth, engagement)
    assert blocked.status_code == 400 and "still collecting answers" in blocked.get_data(
        as_text=True
    )
    assert post_action(auth, engagement, first, "status", action="close").status_code == 302
    final = release_json(client, engagement, first)
    assert final["release"]["number"] == 2 and final["release"]["final"] is True
    assert {r["segment"] for r in final["by_level"]} == {"executive", "front_line"}

    assert open_round(auth, engagement, title="A year on").status_code == 302
    second = latest_round(engagement)
    assert second.round == 2
    people = [synthetic(rng, level, "operations", 0.7) for level in ["executive"] * 5]
    people += [synthetic(rng, "front_line", "operations", 0.7) for _ in range(5)]
    collect(app, auth, client, engagement, second, people)
    # no comparison (and no result) before round 2 has a release of its own
    assert "since round 1" not in client.get(url_of(engagement, second, "/results")).get_data(
        as_text=True
    )
    assert post_action(auth, engagement, second, "status", action="close").status_code == 302

    html = client.get(url_of(engagement, second, "/results")).get_data(as_text=True)
    assert "since round 1" in html and "Change since round 1, by level" in html
    assert html.count('class="change up"') >= 8
    data = release_json(client, engagement, second)
    assert data["comparison"]["previous_round"] == 1
    assert all(v > 10 for v in data["comparison"]["dimension_change"].values())
    # against round 1's latest release: both levels, and its index (not release 1's)
    assert set(data["comparison"]["level_change"]) == {"executive", "front_line"}
    assert data["comparison"]["index_change"] == pytest.approx(
        data["index"] - final["index"], abs=1e-6
    )
    assert abs(final["index"] - early["index"]) > 1
    body = client.get(url_of(engagement, second, "/results.csv")).get_data(as_text=True)
    assert "change since round 1" in body
    words = pdf_text(client.get(url_of(engagement, second, "/report.pdf")).data)
    assert "Change since round 1" in words


# ------------------------------------------------------------ releases


def test_a_second_release_needs_k_new_responses(app, client, auth, consultant, engagement):
    """Four more responses after release 1 are refused a release; release 1 stays as it was."""
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(21)
    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [synthetic(rng, "front_line", "sales", 0.6) for _ in range(6)],
    )
    assert post_action(auth, engagement, survey, "release").status_code == 302
    first = release_json(client, engagement, survey)
    first_csv = client.get(url_of(engagement, survey, "/results.csv")).data
    assert first["release"]["in_results"] == 6

    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [synthetic(rng, "front_line", "sales", 0.1) for _ in range(4)],
    )
    reason = "4 responses since release 1 can go into the results; a release needs at least 5"
    refused = post_action(auth, engagement, survey, "release")
    assert refused.status_code == 303
    assert any(reason in m for m in flashes(client, url_of(engagement, survey)))
    closed = post_action(auth, engagement, survey, "status", action="close")
    assert closed.status_code == 302
    assert any(
        m.startswith("No new release: ") and reason in m
        for m in flashes(client, url_of(engagement, survey))
    )

    assert [r.number for r in survey_releases.list_releases(latest_round(engagement))] == [1]
    now = release_json(client, engagement, survey)
    assert now["releases"] == [1] and now["survey"]["status"] == "closed"
    assert as_published(now) == as_published(first)
    assert as_published(release_json(client, engagement, survey, 1)) == as_published(first)
    assert client.get(url_of(engagement, survey, "/results.csv")).data == first_csv
    page = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    assert "4 responses have come in since; they appear in the next release." in page


def test_open_link_results_carry_no_breakdown(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    assert open_round(auth, engagement, collection="open").status_code == 302
    survey = latest_round(engagement)
    assert (survey.collection, survey.breakdowns) == ("open", False)
    rng = np.random.default_rng(22)
    for level in ["board"] * 5 + ["front_line"] * 6:
        respond(app, link_of(survey), synthetic(rng, level, "operations"))
    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert "<strong>11</strong> submitted" in page
    assert "Breakdowns by segment are off for this open link" in page
    assert level_counts(page) == {} and 'class="department-counts"' not in page
    # an open link is released when it closes, not before
    assert post_action(auth, engagement, survey, "release").status_code == 303
    assert any(
        "released when the round closes" in m for m in flashes(client, url_of(engagement, survey))
    )
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302

    data = release_json(client, engagement, survey)
    assert data["published"] and data["release"]["in_results"] == 11
    assert data["release"]["breakdowns"] is False and data["release"]["final"] is True
    assert data["by_level"] == [] and data["by_department"] == [] and data["by_region"] == []
    assert data["department_by_level"] is None and data["level_gaps"] == []
    html = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    assert "the results describe the whole organisation only" in html
    assert "Readiness by level" not in html and "Board member" not in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(url_of(engagement, survey, "/results.csv")).get_data(as_text=True)
            )
        )
    )
    assert not any(
        r and r[0] in ("level", "department", "region", "respondents by level and department")
        for r in rows
    )


def test_open_link_breakdowns_once_turned_on_are_published(
    app, client, auth, consultant, engagement
):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    turned = post_action(
        auth, engagement, survey, "breakdowns", action="on", **{"breakdowns-understood": "y"}
    )
    assert turned.status_code == 302
    rng = np.random.default_rng(23)
    for level in ["board"] * 5 + ["front_line"] * 6:
        respond(app, link_of(survey), synthetic(rng, level, "operations"))
    assert level_counts(client.get(url_of(engagement, survey)).get_data(as_text=True))[
        "Board member"
    ] == ("at least 5")
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    data = release_json(client, engagement, survey)
    assert data["release"]["breakdowns"] is True
    assert {r["segment"]: r["n"] for r in data["by_level"]} == {"board": 5, "front_line": 6}
    # released: breakdowns can no longer change
    off = post_action(auth, engagement, survey, "breakdowns", action="off")
    assert off.status_code == 303
    assert any("already released" in m for m in flashes(client, url_of(engagement, survey)))
    assert latest_round(engagement).breakdowns is True


def test_an_open_link_is_released_once_and_not_reopened(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    rng = np.random.default_rng(24)
    for _ in range(5):
        respond(app, link_of(survey), synthetic(rng, "executive", "sales"))
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    assert [r.number for r in survey_releases.list_releases(survey)] == [1]

    reopened = post_action(auth, engagement, survey, "status", action="reopen")
    assert reopened.status_code == 303
    assert (
        "The results of this open link are released, and an open link is released only once. "
        "Open a new round to collect more answers." in flashes(client, url_of(engagement, survey))
    )
    assert latest_round(engagement).status == "closed"
    assert app.test_client().get(link_of(survey)).status_code == 410
    refused = post_action(auth, engagement, survey, "release")
    assert refused.status_code == 303
    assert any("released once" in m for m in flashes(client, url_of(engagement, survey)))
    assert [r.number for r in survey_releases.list_releases(survey)] == [1]
    # the way on is a new round
    assert open_round(auth, engagement, collection="open").status_code == 302
    assert latest_round(engagement).round == 2


def test_respondents_failing_the_attention_check_are_left_out():
    import scoring

    key = scoring.compile_key(INSTRUMENT)
    assert len(key.attention_cols) >= 1
    matrix = np.full((3, len(key.columns)), np.nan)
    matrix[0, key.attention_cols] = key.attention_expected
    matrix[1, key.attention_cols] = key.attention_expected + 1  # wrong answer
    # row 2 skipped the check: not counted as a failure
    assert survey_releases.passed_attention(key, matrix).tolist() == [True, False, True]


def test_an_inattentive_respondent_counts_only_in_the_totals(
    app, client, auth, consultant, engagement
):
    """Five attentive front-line people and one executive who missed the attention check:
    the executive is in the totals of responses and of those left out, nowhere else."""
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(25)
    careless = synthetic(rng, "executive", "finance")
    careless[ATTENTION.key] = 1 if int(ATTENTION.attention) != 1 else 5
    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [synthetic(rng, "front_line", "sales") for _ in range(5)] + [careless],
    )
    people = survey_releases.respondents(survey)
    assert sorted(p.failed_attention for p in people) == [False] * 5 + [True]

    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert "<strong>6</strong> submitted" in page  # the exact total counts everyone
    assert level_counts(page)["Front-line employee or individual specialist"] == "at least 5"
    assert post_action(auth, engagement, survey, "release").status_code == 302

    data = release_json(client, engagement, survey)
    assert (data["release"]["responses"], data["release"]["in_results"]) == (6, 5)
    assert data["release"]["left_out"] == {"failed_attention_check": 1, "incomplete": 0}
    # no executive row, not even a hidden one
    assert [r["segment"] for r in data["by_level"]] == ["front_line"]
    assert [r["segment"] for r in data["by_department"]] == ["sales"]
    assert all(n == 0 for n in data["department_by_level"]["executive"].values())
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(url_of(engagement, survey, "/results.csv")).get_data(as_text=True)
            )
        )
    )
    assert rows[1][:4] == [
        "# responses",
        "6 submitted",
        "5 in the results",
        "1 left out: attention check",
    ]
    assert next(r for r in rows if r and r[0] == "overall")[2] == "5"
    tables = [r for r in rows if r and r[0] in ("level", "department", "region")]
    assert [r[1] for r in tables] == [
        "Front-line employee or individual specialist",
        "Sales",
        "Europe",
    ]
    grid = [r for r in rows if r and r[0] == "respondents by level and department"]
    assert {r[2] for r in grid if r[1].startswith("Executive")} == {"0"}
    html = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    assert "(1 left out for missing an attention check, 0 incomplete; totals only)" in html


# ------------------------------------------------------- closing and links


def test_close_and_reopen(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    link = link_of(survey)
    browser = app.test_client()
    participant = start(browser, link)
    page = url_of(engagement, survey)
    response = auth.post(f"{page}/status", {"action": "close"}, form_page=page)
    assert response.status_code == 302
    assert "No new release: No response can go into the results, so nothing is released." in (
        flashes(client, page)
    )
    closed = app.test_client().get(link)
    assert closed.status_code == 410 and "closed" in closed.get_data(as_text=True)
    assert browser.get(participant).status_code == 410  # the unfinished response stops too
    again = auth.post(f"{page}/status", {"action": "close"}, form_page=page)
    assert again.status_code == 303

    # nothing was released, so even an open link may take answers again
    assert auth.post(f"{page}/status", {"action": "reopen"}, form_page=page).status_code == 302
    assert app.test_client().get(link).status_code == 200
    assert browser.get(participant).status_code == 200

    auth.post(f"{page}/status", {"action": "rotate"}, form_page=page)
    old = app.test_client().get(link)
    assert old.status_code == 404 and "not valid any more" in old.get_data(as_text=True)
    assert app.test_client().get(link_of(latest_round(engagement))).status_code == 200


def test_an_invitation_round_has_no_open_link(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    response = app.test_client().get(link_of(survey))
    assert response.status_code == 404
    assert "personal invitation links only" in response.get_data(as_text=True)
    (link,) = invite(auth, client, engagement, survey, 1)
    respond(app, link, synthetic(np.random.default_rng(26), "board", "other"))
    used = app.test_client().get(link)
    assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)


def test_tampered_link_is_a_clear_404(app):
    for token in ("not-a-token", "WzEsImFiYyJd.forged", ""):
        response = app.test_client().get(f"/s/{token}")
        assert response.status_code == 404
        if token:
            assert "not valid" in response.get_data(as_text=True)


def test_link_past_its_closing_date_is_closed(app, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    assert app.test_client().get(link_of(survey)).status_code == 200
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
        ({"min_cell": "2"}, "Enter a number from 3 to 10."),
        ({"min_cell": "11"}, "Enter a number from 3 to 10."),
        ({"min_cell": "4"}, "Say why groups smaller than 5 must be reported"),
        (
            {"min_cell": "4", "min_cell_reason": "small"},  # under 10 characters
            "Say why groups smaller than 5 must be reported",
        ),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_round_input_is_explained(client, auth, consultant, engagement, fields, message):
    auth.login(consultant.email)
    response = open_round(auth, engagement, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert latest_round(engagement) is None


def test_a_small_anonymity_minimum_is_kept_with_its_reason(client, auth, consultant, engagement):
    auth.login(consultant.email)
    reason = "The board has four members and asked to see its own view."
    response = open_round(auth, engagement, min_cell="3", min_cell_reason=f"  {reason}  ")
    assert response.status_code == 302
    survey = latest_round(engagement)
    assert (survey.min_cell, survey.min_cell_reason) == (3, reason)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.open"))
    assert event.object_id == survey.id
    assert event.detail["k"] == 3 and event.detail["k_reason"] == reason
    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert f"Anonymity minimum: 3 ({reason})" in html_lib.unescape(page)


def test_a_reason_is_not_kept_at_the_default_minimum(client, auth, consultant, engagement):
    auth.login(consultant.email)
    assert (
        open_round(auth, engagement, min_cell="6", min_cell_reason="not needed here").status_code
        == 302
    )
    survey = latest_round(engagement)
    assert (survey.min_cell, survey.min_cell_reason) == (6, "")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "survey.open"))
    assert event.detail["k"] == 6 and "k_reason" not in event.detail


def test_settings_change_dates_and_targets(client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    page = url_of(engagement, survey)
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
    other = make_user(role, member_of=engagement)
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
    for action, data in (("status", {"action": "close"}), ("release", {})):
        response = auth.post(f"{base(own)}/{survey.id}/{action}", data, form_page=base(own))
        assert response.status_code == 404
    assert latest_round(engagement).status == "open"
    assert survey_releases.list_releases(survey) == []


def test_post_without_csrf_is_400(client, auth, consultant, engagement):
    auth.login(consultant.email)
    response = client.post(f"{base(engagement)}/new", data={"round-min_cell": "5"})
    assert response.status_code == 400
    assert latest_round(engagement) is None
    open_round(auth, engagement, collection="open")
    survey = latest_round(engagement)
    response = client.post(url_of(engagement, survey, "/status"), data={"action": "close"})
    assert response.status_code == 400
    assert latest_round(engagement).status == "open"
    assert client.post(url_of(engagement, survey, "/release"), data={}).status_code == 400
    assert client.post(link_of(survey), data={"consent": "yes"}).status_code == 400
    assert (
        db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.survey_id == survey.id)
        )
        == 0
    )


# --------------------------------------------------------------- services


@pytest.mark.parametrize(
    "k, shown",
    [
        (5, {0: None, 4: None, 5: 5, 9: 5, 10: 10, 14: 10, 15: 15, 23: 20}),
        (7, {6: None, 7: 7, 8: 7, 9: 7, 10: 10, 12: 10, 14: 10, 15: 15}),
        (3, {2: None, 3: 3, 4: 3, 5: 5, 9: 5, 11: 10}),
        (10, {9: None, 10: 10, 14: 10, 19: 15, 20: 20}),
    ],
)
def test_live_counts_are_coarsened(k, shown):
    """Below k nothing; from k, rounded down to a multiple of 5, never below k."""
    assert surveys.COARSE_STEP == 5
    assert {count: surveys.coarsen(count, k) for count in shown} == shown


def test_round_page_shows_coarsened_counts(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    reason = "Small teams at this client; agreed with the works council."
    opened = open_round(
        auth, engagement, min_cell="7", min_cell_reason=reason, target_front_line="20"
    )
    assert opened.status_code == 302
    survey = latest_round(engagement)
    assert survey.min_cell == 7
    add_respondents(
        survey,
        [
            ("front_line", "customer_service", 12),
            ("middle_management", "operations", 8),
            ("executive", "finance", 6),
        ],
        np.random.default_rng(27),
    )
    page = client.get(url_of(engagement, survey)).get_data(as_text=True)
    assert "<strong>26</strong> submitted" in page
    assert level_counts(page) == {
        "Board member": "fewer than 7",
        "Executive or senior leader": "fewer than 7",  # 6
        "Manager or team leader": "at least 7",  # 8: a multiple of 5 would be below k
        "Front-line employee or individual specialist": "at least 10",  # 12
    }
    departments = department_counts(page)
    assert departments["Customer service or contact centre"] == "at least 10"
    assert departments["Operations, production or logistics"] == "at least 7"
    assert departments["Finance"] == "fewer than 7"
    assert "≥ 50%" in page and "60%" not in page  # 10 of 20, not 12 of 20
    assert set(re.findall(r"\d+", counts_card(page))) <= {"26", "7", "10", "20", "50", "5"}


def test_releases_and_views_use_a_fixed_number_of_queries(app, consultant, make_engagement):
    """Publishing a release and building its view cost the same statements at 6 and at
    30 respondents: nothing is read or written one respondent at a time."""
    from sqlalchemy import event

    from assessor.services import survey_results

    def statements(work) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        db.session.expire_all()
        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            work()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    measured: list[tuple[int, int]] = []
    for size in (6, 30):
        engagement = make_engagement(owner=consultant, client_name=f"Client of {size}")
        survey = surveys.open_round(consultant, engagement)
        db.session.commit()
        add_respondents(
            survey,
            [("front_line", "sales", size // 2), ("executive", "finance", size // 2)],
            np.random.default_rng(size),
        )
        releasing = statements(lambda s=survey: survey_releases.release(consultant, s))
        db.session.commit()
        assert survey_releases.latest(survey).included == size
        viewing = statements(lambda e=engagement, s=survey: survey_results.build(e, s))
        measured.append((releasing, viewing))
    (release_few, view_few), (release_many, view_many) = measured
    assert release_many == release_few <= 12, measured
    assert view_many == view_few <= 6, measured


def test_the_role_brief_interim_advice_uses_the_latest_release(app, consultant, engagement):
    """The board sees the readiness rule of the latest release, never live answers."""
    from assessor.services import board, board_brief, survey_results

    def advice():
        db.session.expire_all()
        return board_brief.interim_advice(engagement, board.build_view(engagement))

    assert advice().basis == "board and candidate pool"
    low = [2, 2, 2, 2, 2, 3]  # sponsorship 29: below 60, secure sponsorship first
    high = [4, 4, 4, 4, 4, 5]  # sponsorship 79: strong

    def five_executives(survey, values: list[int]) -> None:
        for seed in range(5):
            assignment = surveys.start_response(survey, None)
            answers = fixed_answers(values, "executive", "sales")
            _answer_pages(assignment, INSTRUMENT, answers, np.random.default_rng(seed), None)
            assert not responses.submit(assignment)
            results.compute_and_store(assignment)
        db.session.commit()

    first = surveys.open_round(consultant, engagement)
    five_executives(first, low)
    assert advice().basis == "board and candidate pool"  # answers alone say nothing
    assert survey_releases.close(consultant, first).release is not None
    db.session.commit()
    weak = advice()
    assert weak.basis == "readiness survey" and weak.status == "secure_sponsorship"

    second = surveys.open_round(consultant, engagement)
    five_executives(second, high)
    # round 2 is not released yet: round 1's release still speaks
    assert advice().status == "secure_sponsorship"
    published = survey_releases.release(consultant, second)
    db.session.commit()
    assert survey_releases.result_of(published).ceo_interim is True  # sponsorship strong
    latest = advice()
    assert latest.basis == "readiness survey" and not latest.fires  # no candidate scored yet
    assert latest.status == "await_candidates"

    # the consultant's results page says the same: weak → sponsorship first; strong → the
    # CEO as interim CCO only if no candidate is ready
    weak_page = survey_results.build(engagement, first)
    assert (
        weak_page.sponsorship_weak_text and "below 60 out of 100" in weak_page.sponsorship_weak_text
    )
    assert not weak_page.interim_ceo
    strong_page = survey_results.build(engagement, second)
    assert strong_page.sponsorship_weak_text is None and strong_page.interim_ceo


# ------------------------------------------------------------ PDF picture


def test_report_page_one_renders(app, client, auth, consultant, engagement, output_dir, tmp_path):
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm (Debian poppler-utils) is not installed")
    auth.login(consultant.email)
    open_round(auth, engagement, title="Baseline readiness")
    survey = latest_round(engagement)
    rng = np.random.default_rng(12)
    collect(
        app,
        auth,
        client,
        engagement,
        survey,
        [
            synthetic(rng, level, "operations", trait)
            for level, trait in (
                [("board", 0.75)] * 5 + [("executive", 0.65)] * 5 + [("front_line", 0.35)] * 6
            )
        ],
    )
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    pdf = client.get(url_of(engagement, survey, "/report.pdf")).data
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
