"""Attacks on readiness anonymity, run as an attacker would (both databases).

Each test plays one attack on a round through the app's routes and exports:
padding a small group with made-up responses, differencing two readings,
subtracting published groups from a published total, and reading small counts.
What the attacker may read (results pages, CSV, JSON, PDF) is then handed to
:func:`smallest_solvable_group`, which knows every respondent's segment and the
release that first covered them (the attacker's best case) and solves the
linear system of every published count and sum, across all releases: no group
of 1 to k − 1 real respondents may come out of it.  Made-up responses are known
to their author, so they are taken out of the system before it is solved.

Background respondents are added through the services (they are not the
attacker); everything the attacker does goes through HTTP.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

import questionnaires
from assessor.demo import _answer_pages
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, Survey, SurveyInvitation
from assessor.services import responses, results, survey_invitations, surveys
from tests.assessor.participants import answer_all, submit
from tests.conftest import csrf_token_from

INSTRUMENT = questionnaires.latest("readiness")
K = 5
ATTENTION = next(item for item in INSTRUMENT.items if item.attention is not None)
TABLES = {"by_level": ("level",), "by_department": ("department",), "by_region": ("region",)}


# ------------------------------------------------------------------ the oracle


def smallest_solvable_group(rows: np.ndarray, k: int) -> int | None:
    """The size of the smallest group of 1..k-1 respondents whose sum (and so mean)
    follows exactly from the published sums ``rows`` (sets × respondents), or None.

    Independent of the app's checker: every respondent set the system can pin down
    is a union of atoms (respondents no published set tells apart), so it is enough
    to try each union of small atoms and ask whether its indicator lies in the row
    space of the published sets.
    """
    if rows.size == 0 or not rows.any():
        return None
    columns, sizes = np.unique(rows.T, axis=0, return_counts=True)
    atoms = columns.T.astype(float)  # sets × atoms
    _, singular, vt = np.linalg.svd(atoms, full_matrices=False)
    basis = vt[singular > 1e-9 * max(1.0, singular.max())]
    small = [a for a in range(len(sizes)) if sizes[a] < k and columns[a].any()]
    best: int | None = None
    for count in range(1, k):
        for combo in itertools.combinations(small, count):
            size = int(sizes[list(combo)].sum())
            if size >= k or (best is not None and size >= best):
                continue
            v = np.zeros(len(sizes))
            v[list(combo)] = 1.0
            if np.linalg.norm(v - basis.T @ (basis @ v)) < 1e-7:
                best = size
    return best


@dataclass
class Person:
    """What the test knows about a respondent (everything, as the worst-case attacker)."""

    assignment_id: int
    segment: dict[str, str]
    included: bool = True
    real: bool = True


def published_rows(releases: list[dict[str, Any]], people: list[Person]) -> np.ndarray:
    """Every respondent set a list of released JSON bodies publishes a sum or count of."""
    release_of = {
        a.id: a.release_number
        for a in db.session.scalars(
            select(Assignment).where(Assignment.id.in_([p.assignment_id for p in people]))
        )
    }
    rows: list[np.ndarray] = []

    def members(number: int, segment: dict[str, str]) -> np.ndarray:
        return np.array(
            [
                p.included
                and release_of[p.assignment_id] is not None
                and release_of[p.assignment_id] <= number
                and all(p.segment.get(key) == value for key, value in segment.items())
                for p in people
            ]
        )

    for body in releases:
        number = body["release"]["number"]
        if body["published"]:
            overall = members(number, {})
            assert overall.sum() == body["release"]["in_results"]
            rows.append(overall)
        for table, keys in TABLES.items():
            for cell in body[table]:
                if cell.get("suppressed"):
                    continue
                row = members(number, {keys[0]: cell["segment"]})
                assert row.sum() == cell["n"], (table, cell["segment"])
                rows.append(row)
        for level, by_department in (body.get("department_by_level") or {}).items():
            for department, n in by_department.items():
                if isinstance(n, int) and n > 0:
                    row = members(number, {"level": level, "department": department})
                    assert row.sum() == n, (level, department)
                    rows.append(row)
    if not rows:
        return np.zeros((0, len(people)), dtype=bool)
    return np.array(rows, dtype=bool)


def assert_no_small_group(releases: list[dict[str, Any]], people: list[Person], k: int = K):
    """Solve the attacker's linear system: no group of 1..k-1 real respondents comes out.

    Made-up responses are known to whoever made them, so their columns leave the system.
    """
    rows = published_rows(releases, people)
    real = np.array([p.real for p in people])
    found = smallest_solvable_group(rows[:, real], k)
    assert found is None, f"a group of {found} real respondents can be solved exactly"


# ------------------------------------------------------------------ helpers


def base(engagement) -> str:
    return f"/engagements/{engagement.id}/surveys"


def open_round(auth, engagement, collection: str = "invitation", k: int = K) -> Survey:
    response = auth.post(
        f"{base(engagement)}/new",
        {
            "round-title": "",
            "round-closes_on": "",
            "round-min_cell": str(k),
            "round-collection": collection,
        },
        form_page=base(engagement),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return db.session.scalar(
        select(Survey).where(Survey.engagement_id == engagement.id).order_by(Survey.round.desc())
    )


def answers_for(segment: dict[str, str], rng: np.random.Generator, middle: bool = False):
    """Complete answers: random, or every answer the middle option (a scripted response)."""
    answers: dict[str, Any] = dict(segment)
    answers.setdefault("region", "europe")
    for item in INSTRUMENT.items:
        if item.attention is not None:
            answers[item.key] = int(item.attention)
        elif item.scale:
            answers[item.key] = 3 if middle else int(rng.integers(1, 6))
    return answers


def add_people(
    survey: Survey,
    plan: list[tuple[dict[str, str], int]],
    rng: np.random.Generator,
    *,
    attentive: bool = True,
) -> list[Person]:
    """Respondents answering through the services (the victims and colleagues)."""
    people: list[Person] = []
    for segment, count in plan:
        for _ in range(count):
            assignment = surveys.start_response(survey, None)
            answers = answers_for(segment or {"level": "front_line", "department": "sales"}, rng)
            if not attentive:
                answers[ATTENTION.key] = 1 if int(ATTENTION.attention) != 1 else 5
            _answer_pages(assignment, INSTRUMENT, answers, rng, pages=None)
            assert not responses.submit(assignment)
            results.compute_and_store(assignment)
            if not segment:  # an older response that never said where it belongs
                assignment.segment = {"region": "europe"}
            people.append(Person(assignment.id, dict(assignment.segment or {}), included=attentive))
    db.session.commit()
    return people


def new_assignment_ids(survey: Survey, before: set[int]) -> list[int]:
    ids = set(db.session.scalars(select(Assignment.id).where(Assignment.survey_id == survey.id)))
    return sorted(ids - before)


def assignment_ids(survey: Survey) -> set[int]:
    return set(db.session.scalars(select(Assignment.id).where(Assignment.survey_id == survey.id)))


def respond_through(app, link: str, answers: dict[str, Any]):
    """One respondent in a browser of their own: consent page, every page, submit."""
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    started = client.post(
        link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "consent": "yes"}
    )
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    location = started.headers["Location"]
    participant = location[location.index("/r/") : -len("/resume")]
    answer_all(client, participant, INSTRUMENT, answers)
    assert submit(client, participant).status_code == 302
    return client


def invite(survey: Survey, email: str, segment: dict[str, str] | None = None) -> str:
    invitation = SurveyInvitation(
        organisation_id=survey.organisation_id,
        survey_id=survey.id,
        email=email,
        segment=segment,
        nonce=f"{abs(hash(email)):032x}"[:32],
    )
    db.session.add(invitation)
    db.session.commit()
    return "/s/i/" + survey_invitations.invitation_token(invitation)


def release_json(client, engagement, survey, number: int | None = None) -> dict[str, Any]:
    query = "" if number is None else f"?release={number}"
    response = client.get(f"{base(engagement)}/{survey.id}/results.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.data)


def as_published(body: dict[str, Any]) -> dict[str, Any]:
    """A release's JSON without what describes the round now (its state, its releases)."""
    return {key: value for key, value in body.items() if key not in ("survey", "releases")}


def post_action(auth, engagement, survey, path: str, **data: str):
    return auth.post(
        f"{base(engagement)}/{survey.id}/{path}", data, form_page=f"{base(engagement)}/{survey.id}"
    )


def flashed(client, engagement, survey) -> str:
    return client.get(f"{base(engagement)}/{survey.id}").get_data(as_text=True)


# ------------------------------------------------------------------ 1. padding


def test_padding_an_open_link_finds_no_breakdown(app, client, auth, consultant, engagement):
    """One real executive and four scripted ones: on an open link nothing by level exists."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement, collection="open")
    assert survey.collection == "open" and survey.breakdowns is False
    rng = np.random.default_rng(11)
    people = add_people(
        survey,
        [
            ({"level": "executive", "department": "finance"}, 1),  # the victim
            ({"level": "front_line", "department": "customer_service"}, 6),
            ({"level": "middle_management", "department": "sales"}, 5),
        ],
        rng,
    )
    link = "/s/" + surveys.collection_token(survey)
    before = assignment_ids(survey)
    for _ in range(4):  # a fresh cookie jar each time is all it takes
        respond_through(
            app,
            link,
            answers_for({"level": "executive", "department": "finance"}, rng, middle=True),
        )
    padding = new_assignment_ids(survey, before)
    assert len(padding) == 4
    people += [
        Person(i, {"level": "executive", "department": "finance", "region": "europe"}, real=False)
        for i in padding
    ]

    # nothing is computed live, and an open link is released only when it closes
    early = client.get(f"{base(engagement)}/{survey.id}/results.json")
    assert early.status_code == 409 and b"No results of this round are released" in early.data
    refused = post_action(auth, engagement, survey, "release")
    assert refused.status_code == 303
    assert "released when the round closes" in flashed(client, engagement, survey)

    closed = post_action(auth, engagement, survey, "status", action="close")
    assert closed.status_code == 302
    body = release_json(client, engagement, survey)
    assert body["published"] and body["release"]["in_results"] == 16
    assert body["by_level"] == [] and body["by_department"] == [] and body["by_region"] == []
    assert body["department_by_level"] is None
    # the attack needs the executive cell: it does not exist in any output
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"{base(engagement)}/{survey.id}/results.csv").get_data(as_text=True)
            )
        )
    )
    assert not any(r and r[0] in ("level", "department", "region") for r in rows)
    html = client.get(f"{base(engagement)}/{survey.id}/results").get_data(as_text=True)
    assert "Readiness by level" not in html and "Executive or senior leader" not in html
    assert_no_small_group([body], people)


def test_breakdowns_on_an_open_link_need_a_knowing_yes(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    survey = open_round(auth, engagement, collection="open")
    refused = post_action(auth, engagement, survey, "breakdowns", action="on")
    assert refused.status_code == 400
    assert "Tick the box to confirm you understand" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).breakdowns is False

    turned = post_action(
        auth, engagement, survey, "breakdowns", action="on", **{"breakdowns-understood": "y"}
    )
    assert turned.status_code == 302
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).breakdowns is True
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.breakdowns_on")
    ).all()
    assert [e.object_id for e in events] == [survey.id] and events[0].actor_id == consultant.id


def test_padding_an_invitation_round_is_refused(app, client, auth, consultant, engagement):
    """The attacker holds one personal link: it works once, and the open link does not."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    assert survey.collection == "invitation" and survey.breakdowns is True
    rng = np.random.default_rng(12)
    mine = invite(survey, "mallory@halden.example", {"level": "front_line"})
    before = assignment_ids(survey)
    respond_through(app, mine, answers_for({"level": "front_line", "department": "sales"}, rng))
    people = [
        Person(i, {"level": "front_line", "department": "sales", "region": "europe"})
        for i in new_assignment_ids(survey, before)
    ]

    again = app.test_client().get(mine)  # a fresh cookie jar
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    open_link = app.test_client().get("/s/" + surveys.collection_token(survey))
    assert open_link.status_code == 404
    assert "personal invitation links only" in open_link.get_data(as_text=True)
    assert len(assignment_ids(survey)) == 1

    people += add_people(
        survey,
        [
            ({"level": "executive", "department": "finance"}, 1),  # the victim
            ({"level": "front_line", "department": "sales"}, 5),
            ({"level": "middle_management", "department": "customer_service"}, 6),
        ],
        rng,
    )
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    body = release_json(client, engagement, survey)
    executive = [c for c in body["by_level"] if c["segment"] == "executive"]
    assert executive == [{"segment": "executive", "suppressed": True}]
    assert_no_small_group([body], people)


# ---------------------------------------------------------------- 2. snapshots


def test_snapshots_give_nothing_away(app, client, auth, consultant, engagement):
    """Read at n = 12, wait for one more, read again: the second reading is the first."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    rng = np.random.default_rng(13)
    people = add_people(
        survey,
        [
            ({"level": "front_line", "department": "customer_service"}, 7),
            ({"level": "middle_management", "department": "operations"}, 5),
        ],
        rng,
    )
    released = post_action(auth, engagement, survey, "release")
    assert released.status_code == 302
    first = release_json(client, engagement, survey)
    assert first["release"]["number"] == 1 and first["release"]["in_results"] == 12
    counts_before = client.get(f"{base(engagement)}/{survey.id}").get_data(as_text=True)

    people += add_people(survey, [({"level": "executive", "department": "finance"}, 1)], rng)
    assert as_published(release_json(client, engagement, survey)) == as_published(first)
    counts_after = client.get(f"{base(engagement)}/{survey.id}").get_data(as_text=True)
    executive = r"Executive or senior leader</th>\s*<td class=\"num\">([^<]+)</td>"
    assert re.search(executive, counts_before).group(1) == "fewer than 5"
    assert re.search(executive, counts_after).group(1) == "fewer than 5"
    refused = post_action(auth, engagement, survey, "release")
    assert refused.status_code == 303
    page = flashed(client, engagement, survey)
    assert "1 response since release 1 can go into the results" in page
    assert "a release needs at least 5" in page

    people += add_people(survey, [({"level": "front_line", "department": "sales"}, 4)], rng)
    assert post_action(auth, engagement, survey, "release").status_code == 302
    second = release_json(client, engagement, survey)
    assert second["release"]["number"] == 2 and second["release"]["in_results"] == 17
    kept = release_json(client, engagement, survey, 1)
    assert as_published(kept) == as_published(first)  # stored as published
    assert_no_small_group([first, second], people)


# -------------------------------------------------- 3. complementary suppression


def test_hidden_departments_cannot_be_worked_out_from_the_total(
    app, client, auth, consultant, engagement
):
    """Marketing 2 and HR 1 hidden, everything else shown: the total would give them away."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    rng = np.random.default_rng(14)
    plan = [
        ({"level": "front_line", "department": "customer_service"}, 12),
        ({"level": "middle_management", "department": "customer_service"}, 3),
        ({"level": "front_line", "department": "sales"}, 8),
        ({"level": "middle_management", "department": "sales"}, 4),
        ({"level": "front_line", "department": "operations"}, 10),
        ({"level": "middle_management", "department": "digital"}, 8),
        ({"level": "executive", "department": "finance"}, 6),
        ({"level": "executive", "department": "marketing"}, 2),
        ({"level": "executive", "department": "hr"}, 1),
        ({"level": "board", "department": "other"}, 6),
    ]
    people = add_people(survey, plan, rng)
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    body = release_json(client, engagement, survey)
    hidden = {c["segment"] for c in body["by_department"] if c.get("suppressed")}
    assert {"marketing", "hr"} < hidden  # and at least one more, to cover them
    assert_no_small_group([body], people)
    # the same through the CSV: every published department adds back up to no small group
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"{base(engagement)}/{survey.id}/results.csv").get_data(as_text=True)
            )
        )
    )
    shown = [r for r in rows if r and r[0] == "department" and r[-1] != "suppressed"]
    assert 60 - sum(int(r[2]) for r in shown) >= K


def test_an_empty_department_and_unlabelled_people_do_not_help(
    app, client, auth, consultant, engagement
):
    """The attacker answers in an empty department, so that HR's one person hides beside them
    (1 + 1); two older responses carry no level or department at all."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    rng = np.random.default_rng(15)
    people = add_people(
        survey,
        [
            ({"level": "front_line", "department": "customer_service"}, 9),
            ({"level": "front_line", "department": "sales"}, 7),
            ({"level": "middle_management", "department": "operations"}, 6),
            ({"level": "executive", "department": "hr"}, 1),  # the victim
            ({}, 2),  # no level, no department
        ],
        rng,
    )
    mine = invite(survey, "mallory@halden.example")
    before = assignment_ids(survey)
    respond_through(app, mine, answers_for({"level": "executive", "department": "other"}, rng))
    people += [
        Person(i, {"level": "executive", "department": "other", "region": "europe"})
        for i in new_assignment_ids(survey, before)
    ]
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    body = release_json(client, engagement, survey)
    assert body["release"]["in_results"] == 26
    assert_no_small_group([body], people)


# ------------------------------------------------------------------ 4. counts


def test_counts_never_show_a_small_group(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    rng = np.random.default_rng(16)
    people = add_people(
        survey,
        [
            ({"level": "middle_management", "department": "sales"}, 1),
            ({"level": "front_line", "department": "customer_service"}, 11),
            ({"level": "executive", "department": "finance"}, 4),
        ],
        rng,
    )
    people += add_people(
        survey, [({"level": "executive", "department": "finance"}, 1)], rng, attentive=False
    )
    page = client.get(f"{base(engagement)}/{survey.id}").get_data(as_text=True)
    assert "<strong>17</strong> submitted" in page  # the total is all that is exact
    cells = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>', page)
    by_level = dict(cells)
    assert by_level["Manager or team leader"] == "fewer than 5"
    # 5 executives answered, 1 missed the attention check: the 4 in the results count
    assert by_level["Executive or senior leader"] == "fewer than 5"
    assert by_level["Front-line employee or individual specialist"] == "at least 10"
    assert not re.search(r'<td class="num">[1-4]</td>', page)

    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    body = release_json(client, engagement, survey)
    assert body["release"]["left_out"] == {"failed_attention_check": 1, "incomplete": 0}
    assert body["release"]["responses"] == 17 and body["release"]["in_results"] == 16
    # no count per segment except the published cells' n (4 executives are below k)
    levels = {c["segment"]: c for c in body["by_level"]}
    assert levels["executive"] == {"segment": "executive", "suppressed": True}
    assert levels["middle_management"] == {"segment": "middle_management", "suppressed": True}
    text = json.dumps(body)
    assert '"submitted"' not in text and "in_progress" not in text
    assert_no_small_group([body], people)
    pdf = client.get(f"{base(engagement)}/{survey.id}/report.pdf")
    assert pdf.status_code == 200
    from pypdf import PdfReader

    words = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert re.search(r"Left out: attention check missed\s+1\s", words)
    assert re.search(r"Manager or team leader\s+hidden", words)
    assert not re.search(r"Executive or senior leader\s+[1-4]\s", words)


# ------------------------------------------------ padding plus differencing


def test_padding_and_differencing_across_releases(app, client, auth, consultant, engagement):
    """Release, then add four made-up responses and one real one, then release again: refused
    on an open link (released once), impossible with invitations (links work once)."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement, collection="open")
    rng = np.random.default_rng(17)
    add_people(survey, [({"level": "front_line", "department": "sales"}, 12)], rng)
    assert post_action(auth, engagement, survey, "status", action="close").status_code == 302
    reopened = post_action(auth, engagement, survey, "status", action="reopen")
    assert reopened.status_code == 303
    assert "released only once" in flashed(client, engagement, survey)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).status == "closed"

    survey = open_round(auth, engagement)  # round 2, by invitation
    people = add_people(survey, [({"level": "front_line", "department": "sales"}, 12)], rng)
    mine = invite(survey, "mallory@halden.example", {"level": "front_line"})
    before = assignment_ids(survey)
    respond_through(app, mine, answers_for({"level": "front_line", "department": "sales"}, rng))
    people += [
        Person(i, {"level": "front_line", "department": "sales", "region": "europe"})
        for i in new_assignment_ids(survey, before)
    ]
    assert post_action(auth, engagement, survey, "release").status_code == 302
    first = release_json(client, engagement, survey)
    for _ in range(4):  # padding: the used link again, from fresh browsers
        assert app.test_client().get(mine).status_code == 410
    people += add_people(survey, [({"level": "executive", "department": "finance"}, 1)], rng)
    assert post_action(auth, engagement, survey, "release").status_code == 303
    people += add_people(survey, [({"level": "front_line", "department": "sales"}, 4)], rng)
    assert post_action(auth, engagement, survey, "release").status_code == 302
    second = release_json(client, engagement, survey)
    assert second["release"]["number"] == 2
    assert_no_small_group([first, second], people)


# ------------------------------------------------------ random rounds, end to end


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rounds_publish_no_small_group(app, client, auth, consultant, engagement, seed):
    """Random segment sizes 0..12, unlabelled respondents, three release attempts."""
    auth.login(consultant.email)
    survey = open_round(auth, engagement)
    rng = np.random.default_rng(seed)
    levels = ["board", "executive", "middle_management", "front_line"]
    departments = ["customer_service", "sales", "finance"]
    people: list[Person] = []
    bodies: list[dict[str, Any]] = []
    cells = [(lv, dp) for lv in levels for dp in departments]
    sizes = rng.integers(0, 13, len(cells)) * (rng.random(len(cells)) < 0.6)
    order = [cell for cell, size in zip(cells, sizes, strict=True) for _ in range(size)]
    order += [None] * int(rng.integers(0, 4))
    rng.shuffle(order)
    cuts = sorted(rng.choice(np.arange(1, len(order)), 2, replace=False)) if len(order) > 2 else []
    for part in np.split(np.array(order, dtype=object), cuts):
        plan = [({"level": c[0], "department": c[1]} if c else {}, 1) for c in part]
        people += add_people(survey, plan, rng)
        response = post_action(auth, engagement, survey, "release")
        if response.status_code == 302:
            bodies.append(release_json(client, engagement, survey))
    if bodies:
        assert_no_small_group(bodies, people)


# ------------------------------------------------------------ the oracle itself


def test_the_oracle_finds_what_the_old_rules_let_through():
    """The checks above would catch the attacks: the oracle solves each of them."""
    # a total of 8 with departments of 5 (shown), 2 and 1 (hidden): the 3 come out
    departments = np.array([0] * 5 + [1] * 2 + [2])
    total = np.ones(8, dtype=bool)
    assert smallest_solvable_group(np.array([total, departments == 0]), K) == 3
    # one reading at 12, another at 13: the newcomer comes out
    first = np.array([True] * 12 + [False])
    assert smallest_solvable_group(np.array([first, np.ones(13, dtype=bool)]), K) == 1
    # hidden cells of 3 and 3 next to a total: 6 people, nobody singled out
    departments = np.array([0] * 6 + [1] * 3 + [2] * 3)
    assert smallest_solvable_group(np.array([np.ones(12, dtype=bool), departments == 0]), K) is None
    # padding: one real executive among four made-up ones, the cell shown
    cell = np.ones(5, dtype=bool)
    real = np.array([True, False, False, False, False])
    assert smallest_solvable_group(cell[None, real], K) == 1
