"""Random and hostile input to every form: never a 500, and every refusal says why.

Hypothesis generates the values; the number of cases run is written to
``tests/output/fuzz-cases.json`` for the README's security table.
"""

from __future__ import annotations

import json
from collections import Counter
from io import BytesIO

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.services import invitations, responses
from tests.conftest import csrf_token_from

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    '=HYPERLINK("http://x")',
    "+cmd",
    "-1",
    "@SUM(A1)",
    "\x00",
    "a\x00b",
    "\u202eevil",
    "../../etc/passwd",
    "%s%s%n",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "99999999999999999999",
    "0",
    "",
    " ",
    "\t\n",
    "x" * 6000,
    "ü" * 300,
    "😀" * 50,
    "null",
    "true",
    "[]",
    "{}",
    "Robert'); DROP TABLE answer;--",
    "\r\n\r\nInjected: header",
]
text = st.one_of(st.text(max_size=200), st.sampled_from(HOSTILE))
CASES: Counter[str] = Counter()


def fuzz(app, examples: int) -> settings:
    """``examples`` cases on SQLite; a tenth of them on PostgreSQL (same code paths)."""
    on_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    return settings(
        max_examples=examples if on_sqlite else max(20, examples // 10),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


#: What a refusal must show: a form error, or an error page with its reason.
EXPLAINED = (
    'class="error-summary"',
    'class="field-error"',
    'class="lead"',
    'class="flash flash-error"',
)


def check(response, name: str) -> None:
    CASES[name] += 1
    assert response.status_code < 500, (name, response.status_code)
    if response.status_code >= 400:
        body = response.get_data(as_text=True)
        assert any(marker in body for marker in EXPLAINED), (
            name,
            response.status_code,
            body[-800:],
        )


@pytest.fixture(scope="module", autouse=True)
def record_case_count():
    yield
    from tests.conftest import OUTPUT_DIR

    OUTPUT_DIR.mkdir(exist_ok=True)
    path = OUTPUT_DIR / "fuzz-cases.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update(CASES)
    path.write_text(json.dumps(previous, indent=2, sort_keys=True))


@pytest.fixture
def recruiter_session(client, auth, make_user, make_engagement):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    auth.login(recruiter.email)
    return recruiter, engagement


def test_login_form(app, client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))

    @fuzz(app, 300)
    @given(email=text, password=text)
    def run(email, password):
        check(
            client.post("/login", data={"email": email, "password": password, "csrf_token": token}),
            "login",
        )

    run()


def test_admin_user_form(app, client, auth, make_user):
    admin = make_user("admin")
    auth.login(admin.email)
    token = auth.csrf("/admin/users")

    @fuzz(app, 300)
    @given(
        name=text,
        email=text,
        role=st.one_of(st.sampled_from(["recruiter", "board"]), text),
        password=text,
    )
    def run(name, email, role, password):
        check(
            client.post(
                "/admin/users",
                data={
                    "name": name,
                    "email": email,
                    "role": role,
                    "password": password,
                    "csrf_token": token,
                },
            ),
            "admin_user",
        )

    run()


def test_engagement_and_invitation_forms(app, client, auth, recruiter_session):
    _recruiter, engagement = recruiter_session
    base = f"/engagements/{engagement.id}"
    token = auth.csrf(f"{base}/candidates")

    @fuzz(app, 300)
    @given(
        client_name=text,
        role_title=text,
        notes=text,
        archetype=st.one_of(st.just("board_strategist"), text),
        name=text,
        email=st.one_of(text, st.emails()),
        days=text,
        weight=text,
    )
    def run(client_name, role_title, notes, archetype, name, email, days, weight):
        check(
            client.post(
                "/engagements/new",
                data={
                    "client_name": client_name,
                    "role_title": role_title,
                    "notes": notes,
                    "archetype": archetype,
                    "csrf_token": token,
                },
            ),
            "engagement",
        )
        check(
            client.post(
                f"{base}/candidates/invite",
                data={"invite-name": name, "invite-email": email, "invite-csrf_token": token},
            ),
            "invite",
        )
        check(
            client.post(
                f"{base}/interview-weight",
                data={"weight-interview_weight": weight, "weight-csrf_token": token},
            ),
            "weight",
        )
        check(
            client.post(
                f"{base}/profile",
                data={"profile-archetype": archetype, "profile-csrf_token": token},
            ),
            "profile",
        )

    run()


def test_csv_upload(app, client, auth, recruiter_session):
    _recruiter, engagement = recruiter_session
    path = f"/engagements/{engagement.id}/candidates/import"
    token = auth.csrf(f"/engagements/{engagement.id}/candidates")
    rows = st.lists(st.tuples(text, st.one_of(text, st.emails())), max_size=6)

    @fuzz(app, 500)
    @given(
        header=st.one_of(st.just("name,email"), text),
        rows=rows,
        raw=st.one_of(st.none(), st.binary(max_size=300)),
    )
    def run(header, rows, raw):
        if raw is None:
            body = "\n".join([header, *(f"{n},{e}" for n, e in rows)]).encode("utf-8", "replace")
        else:
            body = raw
        response = client.post(
            path,
            data={"csv-csrf_token": token, "csv-file": (BytesIO(body), "upload.csv")},
            content_type="multipart/form-data",
        )
        check(response, "csv")

    run()


def test_questionnaire_pages(app, recruiter_session):
    recruiter, engagement = recruiter_session
    assignment = invitations.invite(recruiter, engagement, "Fuzz Candidate", "fuzz@example.com")
    responses.consent(assignment)
    db.session.commit()
    instrument = questionnaires.latest("cco_candidate")
    link = "/r/" + invitations.link_token(assignment)
    participant = app.test_client()
    pages = {s.key: s for s in instrument.sections}
    tokens = {
        k: csrf_token_from(participant.get(f"{link}/page/{k}").get_data(as_text=True))
        for k in list(pages)[:1]
    }
    token = next(iter(tokens.values()))
    valid = synthetic_answers(instrument, np.random.default_rng(5))

    @fuzz(app, 1200)
    @given(
        section=st.sampled_from(list(pages)),
        data=st.data(),
        action=st.one_of(st.sampled_from(["next", "back", "save"]), text),
        started=st.one_of(text, st.floats(allow_nan=True)),
    )
    def run(section, data, action, started):
        form = {"csrf_token": token, "action": action, "page_started": str(started)}
        for item in pages[section].items:
            choice = data.draw(st.sampled_from(["valid", "hostile", "missing", "list"]))
            if choice == "valid" and item.key in valid:
                value = valid[item.key]
                form[f"q_{item.key}"] = (
                    [str(v) for v in value] if isinstance(value, list) else str(value)
                )
            elif choice == "hostile":
                form[f"q_{item.key}"] = data.draw(text)
            elif choice == "list":
                form[f"q_{item.key}"] = data.draw(st.lists(text, max_size=4))
        check(participant.post(f"{link}/page/{section}", data=form), "questionnaire_page")

    run()
    check(participant.get(f"{link}/page/{'x' * 300}"), "questionnaire_page")


def test_pairwise_comparisons(app, recruiter_session):
    from itertools import combinations

    from scoring.profiles import CLUSTERS

    recruiter, engagement = recruiter_session
    member = invitations.invite(
        recruiter, engagement, "Fuzz Member", "member@example.com", kind="board_member"
    )
    responses.consent(member)
    db.session.commit()
    link = "/r/" + invitations.link_token(member)
    participant = app.test_client()
    token = csrf_token_from(participant.get(f"{link}/priorities").get_data(as_text=True))
    pairs = [f"p_{a}__{b}" for a, b in combinations(CLUSTERS, 2)]
    steps = st.one_of(st.integers(-9, 9).map(str), text)

    @fuzz(app, 700)
    @given(
        values=st.lists(st.one_of(st.none(), steps), min_size=len(pairs), max_size=len(pairs)),
        action=st.one_of(st.sampled_from(["next", "continue", "save", "back"]), text),
    )
    def run(values, action):
        form = {"csrf_token": token, "action": action}
        form.update({name: v for name, v in zip(pairs, values, strict=True) if v is not None})
        check(participant.post(f"{link}/priorities", data=form), "pairwise")

    run()


def test_interview_form(app, client, auth, recruiter_session):
    from sqlalchemy import select

    from assessor.models import Assignment

    recruiter, engagement = recruiter_session
    assignment = invitations.invite(recruiter, engagement, "Done", "done@example.com")
    assignment.submitted_at = assignment.created_at
    assignment.status = "completed"
    db.session.commit()
    kit = questionnaires.latest("interview_kit")
    ratings = [i for i in kit.items if i.type == "rating"]
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}/interview"
    token = auth.csrf(page)

    @fuzz(app, 300)
    @given(
        name=text,
        notes=text,
        values=st.lists(
            st.one_of(st.none(), st.integers(-2, 8).map(str), text),
            min_size=len(ratings),
            max_size=len(ratings),
        ),
    )
    def run(name, notes, values):
        form = {"csrf_token": token, "interviewer_name": name, "notes": notes}
        form.update(
            {f"q_{item.key}": v for item, v in zip(ratings, values, strict=True) if v is not None}
        )
        check(client.post(page, data=form), "interview")

    run()
    assert db.session.scalar(select(Assignment).where(Assignment.id == assignment.id))


def test_survey_rounds_and_respondent_pages(app, client, auth, make_user, make_engagement):
    from assessor.services import surveys

    consultant = make_user("consultant")
    engagement = make_engagement(owner=consultant)
    survey = surveys.open_round(consultant, engagement, title="Round 1")
    respondent = surveys.start_response(survey)
    responses.consent(respondent)
    db.session.commit()
    auth.login(consultant.email)
    base = f"/engagements/{engagement.id}/surveys"
    token = auth.csrf(f"{base}/{survey.id}")
    instrument = questionnaires.latest("readiness")
    link = "/r/" + invitations.link_token(respondent)
    participant = app.test_client()
    page_token = csrf_token_from(
        participant.get(f"{link}/page/{instrument.sections[0].key}").get_data(as_text=True)
    )
    sections = {s.key: s for s in instrument.sections}
    number = st.one_of(st.integers(-5, 100_000).map(str), text)

    @fuzz(app, 500)
    @given(
        title=text,
        closes=st.one_of(st.dates().map(str), text),
        targets=st.lists(number, min_size=4, max_size=4),
        min_cell=number,
        action=st.one_of(st.sampled_from(["close", "reopen", "rotate"]), text),
        section=st.sampled_from(list(sections)),
        data=st.data(),
    )
    def run(title, closes, targets, min_cell, action, section, data):
        levels = ["board", "executive", "middle_management", "front_line"]
        settings_form = {
            "settings-csrf_token": token,
            "settings-title": title,
            "settings-closes_on": closes,
        }
        settings_form.update(
            {f"settings-target_{lv}": t for lv, t in zip(levels, targets, strict=True)}
        )
        check(client.post(f"{base}/{survey.id}/settings", data=settings_form), "survey_settings")
        round_form = {k.replace("settings-", "round-"): v for k, v in settings_form.items()}
        round_form["round-min_cell"] = min_cell
        check(client.post(f"{base}/new", data=round_form), "survey_open")
        check(
            client.post(f"{base}/{survey.id}/status", data={"csrf_token": token, "action": action}),
            "survey_status",
        )
        form = {"csrf_token": page_token, "action": "next"}
        for item in sections[section].items:
            if data.draw(st.booleans()):
                options = [o.key for o in item.options] or ["1", "2", "3", "4", "5"]
                form[f"q_{item.key}"] = data.draw(st.one_of(st.sampled_from(options), text))
        check(participant.post(f"{link}/page/{section}", data=form), "survey_page")

    run()
