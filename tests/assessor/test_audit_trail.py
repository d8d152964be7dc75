"""The audit trail a person can read: sentences, filters, links, tenancy, erasure, pages."""

from __future__ import annotations

import ast
import html
import itertools
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent
from assessor.services import audit, invitations, surveys
from assessor.services.candidates import PIPELINE_MOVES

SOURCE = Path(__file__).resolve().parents[2] / "assessor"
RECORDERS = {"record", "record_after_response"}
#: Action names built from a parameter the scan cannot follow: where its values come from.
PARAMETER_VALUES = {("candidates.py", "action"): set(PIPELINE_MOVES)}
SENTENCE = re.compile(r'<td class="sentence">(.*?)</td>', re.S)


# ----------------------------------------------------------------- helpers


def _values(node: ast.AST, function: ast.AST | None, filename: str) -> set[str]:
    """Every string the expression may evaluate to; AssertionError when unknown."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, function, filename) | _values(node.orelse, function, filename)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            inner = part.value if isinstance(part, ast.FormattedValue) else part
            parts.append(sorted(_values(inner, function, filename)))
        return {"".join(p) for p in itertools.product(*parts)}
    if isinstance(node, ast.Name) and function is not None:
        assigned = [
            n.value
            for n in ast.walk(function)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
        ]
        if assigned:
            return set().union(*(_values(v, function, filename) for v in assigned))
        if (filename, node.id) in PARAMETER_VALUES:
            return PARAMETER_VALUES[(filename, node.id)]
    raise AssertionError(f"{filename}:{node.lineno}: cannot tell which action is recorded")


def recorded_actions() -> dict[str, str]:
    """Action name → where it is recorded, for every audit call in assessor/."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "audit.py" and path.parent.name == "services":
            continue  # the recorders themselves
        tree = ast.parse(path.read_text(), filename=str(path))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for call in ast.walk(tree):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in RECORDERS
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "audit"
            ):
                continue
            action = next((k.value for k in call.keywords if k.arg == "action"), None)
            action = action or call.args[2]
            owner = min(
                (f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)),
                key=lambda f: (f.end_lineno or 0) - f.lineno,
                default=None,
            )
            for name in _values(action, owner, path.name):
                found[name] = f"{path.relative_to(SOURCE.parent)}:{call.lineno}"
    return found


def sentences(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return [html.unescape(s) for s in SENTENCE.findall(response.get_data(as_text=True))]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def invite_through_form(auth, engagement, name, email):
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": name, "invite-email": email},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    assert response.status_code == 302
    return db.session.scalar(select(Assignment).where(Assignment.email == email))


def interview(auth, engagement, assignment, interviewer):
    kit = questionnaires.latest("interview_kit")
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}/interview"
    data = {"interviewer_name": interviewer, "notes": ""}
    data.update({f"q_{i.key}": "4" for i in kit.items if i.type == "rating"})
    assert auth.post(page, data).status_code == 302


def erase(auth, engagement, assignment):
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}"
    assert auth.post(f"{page}/erase", {"confirm": "yes"}, form_page=page).status_code == 302


@pytest.fixture
def flow(client, auth, make_user, completed):
    """A recruiter invites Maria, records an interview of the weak candidate, exports
    the list, views and then erases the strong one; an admin of the firm."""
    recruiter, engagement, (strong, weak) = completed
    auth.login(recruiter.email)
    maria = invite_through_form(auth, engagement, "Maria Lindqvist", "maria@example.com")
    interview(auth, engagement, weak, "Ines Board")
    assert client.get(f"/engagements/{engagement.id}/export.csv").status_code == 200
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    assert client.get(page).status_code == 200
    erase(auth, engagement, strong)
    auth.logout()
    admin = make_user("admin", organisation=recruiter.organisation, name="Ada Admin")
    db.session.expire_all()
    return recruiter, engagement, strong, weak, maria, admin


# ----------------------------------------------------------------- sentences


def test_every_recorded_action_has_a_sentence():
    found = recorded_actions()
    assert len(found) >= 30, found  # the scan really finds the call sites
    keys = {name.split(":")[0] for name in audit.ACTIONS}
    missing = {name: where for name, where in found.items() if name not in keys}
    assert not missing, f"actions without a sentence in services.audit.ACTIONS: {missing}"


@pytest.mark.parametrize("name", sorted(audit.ACTIONS))
def test_each_sentence_reads_without_any_detail(name):
    action, _, object_type = name.partition(":")
    event = AuditEvent(action=action, object_type=object_type or "engagement", detail={})
    sentence = audit.describe(event, "Maria Lindqvist", "Acme Retail: CCO")
    assert "described as" not in sentence and "{" not in sentence
    assert action not in sentence


def test_an_unknown_action_still_reads_as_words():
    event = AuditEvent(action="test.thing_done", object_type="user", detail={"secret": "Zebra"})
    sentence = audit.describe(event, "Ada")
    assert "test thing done" in sentence and "test.thing_done" not in sentence
    assert "Zebra" not in sentence  # only what a sentence names is shown


def test_events_are_placed_in_their_engagement_without_the_call_sites_saying_so(
    app, consultant, make_engagement, completed
):
    _recruiter, engagement, people = completed
    ids = [p.id for p in people]
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "assignment", AuditEvent.object_id.in_(ids)
        )
    ).all()
    assert events and {e.engagement_id for e in events} == {engagement.id}
    own = make_engagement(owner=consultant)
    survey = surveys.open_round(consultant, own, title="Spring pulse")
    with app.test_request_context():
        audit.record_after_response(
            consultant.organisation_id, consultant.id, "x.y", "survey", survey.id
        )
        kept = audit.take_kept()
    assert [e["engagement_id"] for e in kept] == [own.id]
    audit.write([{k: v for k, v in e.items() if k != "engagement_id"} for e in kept])
    placed = db.session.scalars(
        select(AuditEvent.engagement_id).where(
            AuditEvent.action == "x.y", AuditEvent.object_id == survey.id
        )
    ).all()
    assert placed and set(placed) == {own.id}


def test_both_pages_tell_the_flow_in_sentences_with_links(client, auth, flow):
    recruiter, engagement, strong, _weak, maria, admin = flow
    who = recruiter.name
    expected = [
        f"{who} invited Maria Lindqvist to the assessment",
        f"{who} recorded Ines Board's interview of Weak Candidate",
        f"{who} downloaded the candidate list of Halden Utilities: CCO as a CSV file",
        f"{who} erased the personal data of a candidate",
        f"{who} viewed the profile of an erased candidate",
    ]
    auth.login(recruiter.email)
    trail = f"/engagements/{engagement.id}/audit"
    detail = client.get(f"/engagements/{engagement.id}").get_data(as_text=True)
    assert f'href="{trail}"' in detail
    pages = [client.get(trail)]
    auth.logout()
    auth.login(admin.email)
    pages.append(client.get("/admin/audit"))
    for response in pages:
        rows = sentences(response)
        for sentence in expected:
            assert any(row.startswith(sentence) for row in rows), (sentence, rows)
        text = page_text(response)
        for action in {name.split(":")[0] for name in audit.ACTIONS}:
            assert action not in text, action
        maria_page = f"/engagements/{engagement.id}/candidates/{maria.id}"
        assert f'href="{maria_page}"' in text
        assert client.get(maria_page).status_code == 200
        assert f'/candidates/{strong.id}"' not in text  # no link to the tombstone
    assert f'href="/engagements/{engagement.id}"' in page_text(pages[1])


def test_an_erased_candidate_is_never_named_again(client, auth, flow):
    recruiter, engagement, strong, _weak, _maria, admin = flow
    assert strong.name is None
    auth.login(recruiter.email)
    pages = [client.get(f"/engagements/{engagement.id}/audit")]
    pages.append(client.get(f"/engagements/{engagement.id}/audit?candidate={strong.id}"))
    auth.logout()
    auth.login(admin.email)
    pages.append(client.get("/admin/audit"))
    pages.append(client.get(f"/admin/audit?engagement={engagement.id}"))
    pages.append(client.get(f"/admin/audit?engagement={engagement.id}&candidate={strong.id}"))
    for response in pages:
        assert response.status_code == 200
        assert "Strong Candidate" not in page_text(response)
        assert "strong@example.com" not in page_text(response)
    assert any("an erased candidate" in s for s in sentences(pages[-1]))


# ----------------------------------------------------------------- filters


def test_filters_narrow_the_rows(client, auth, make_user, flow):
    recruiter, engagement, _strong, weak, maria, admin = flow
    colleague = make_user(
        "recruiter",
        organisation=recruiter.organisation,
        name="Carl Colleague",
        member_of=engagement,
    )
    auth.login(colleague.email)
    assert client.get(f"/engagements/{engagement.id}/candidates/{weak.id}").status_code == 200
    auth.logout()
    trail = f"/engagements/{engagement.id}/audit"
    auth.login(recruiter.email)
    everything = sentences(client.get(trail))
    assert any(s.startswith("Carl Colleague") for s in everything)

    by_colleague = sentences(client.get(f"{trail}?who={colleague.id}"))
    assert by_colleague == [s for s in everything if s.startswith("Carl Colleague")]

    interviews = sentences(client.get(f"{trail}?what=interviews"))
    in_db = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.engagement_id == engagement.id)
    ).all()
    assert len(interviews) == sum(audit.group_of(a) == "interviews" for a in in_db) >= 1
    assert all("interview" in s for s in interviews)

    about_weak = sentences(client.get(f"{trail}?candidate={weak.id}"))
    assert about_weak and all("Weak Candidate" in s for s in about_weak)
    assert len(about_weak) == len(
        db.session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.object_type == "assignment", AuditEvent.object_id == weak.id
            )
        ).all()
    )

    # Maria's invitation happened "last month"; the rest today.
    invited = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "invitation.create", AuditEvent.object_id == maria.id
        )
    )
    then = datetime.now(UTC) - timedelta(days=30)
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == invited.id).values(created_at=then)
    )
    db.session.commit()
    day = then.date().isoformat()
    only_then = sentences(client.get(f"{trail}?since={day}&until={day}"))
    assert only_then == [f"{recruiter.name} invited Maria Lindqvist to the assessment."]
    since_yesterday = (date.today() - timedelta(days=1)).isoformat()
    recent = sentences(client.get(f"{trail}?since={since_yesterday}"))
    assert len(recent) == len(everything) - 1
    assert not any("Maria" in s and "invited" in s for s in recent)

    auth.logout()
    auth.login(admin.email)
    firm = sentences(client.get(f"/admin/audit?who={colleague.id}&engagement={engagement.id}"))
    assert firm == by_colleague


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-45",
        "until=yesterday",
        "since=2026-05-02&until=2026-05-01",
        "who=abc",
        "who=99999999999999999999",
        "what=everything",
        "candidate=abc",
        "candidate=-1",
        "page=0",
        "page=abc",
        "page=100000000000000000000",
    ],
)
def test_bad_filters_answer_400_with_the_reason(client, auth, flow, query):
    recruiter, engagement, _strong, _weak, _maria, admin = flow
    auth.login(recruiter.email)
    response = client.get(f"/engagements/{engagement.id}/audit?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    auth.logout()
    auth.login(admin.email)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)


def test_the_firm_wide_filters_refuse_what_is_not_the_firms(
    client, auth, make_user, make_engagement, flow
):
    _recruiter, engagement, _strong, weak, _maria, admin = flow
    elsewhere = make_engagement()  # another firm's
    other_candidate = invitations.invite(
        make_user("recruiter", member_of=elsewhere), elsewhere, "Olga Other", "olga@example.com"
    )
    db.session.commit()
    auth.login(admin.email)
    for query in (
        "engagement=abc",
        f"engagement={elsewhere.id}",
        f"candidate={weak.id}",  # a candidate needs an engagement
        f"engagement={engagement.id}&candidate={other_candidate.id}",
    ):
        response = client.get(f"/admin/audit?{query}")
        assert response.status_code == 400, query
        assert "Olga Other" not in page_text(response)
    wide = client.get("/admin/audit?since=0001-01-01&until=9999-12-31")
    assert sentences(wide)


# ----------------------------------------------------------------- who may read it


def test_another_firms_admin_sees_none_of_it(client, auth, make_user, flow):
    recruiter, engagement, _strong, _weak, _maria, _admin = flow
    stranger = make_user("admin", name="Sam Stranger")
    auth.login(stranger.email)
    response = client.get("/admin/audit")
    text = page_text(response)
    assert response.status_code == 200
    assert recruiter.name not in text and "Maria Lindqvist" not in text
    assert not any(recruiter.name in s for s in sentences(response))
    assert client.get(f"/admin/audit?engagement={engagement.id}").status_code == 400
    assert client.get(f"/admin/audit?who={recruiter.id}").status_code == 400
    assert client.get(f"/engagements/{engagement.id}/audit").status_code == 404


def test_only_staff_members_open_an_engagements_trail(client, auth, make_user, flow):
    recruiter, engagement, *_rest = flow
    trail = f"/engagements/{engagement.id}/audit"
    outsider = make_user("recruiter", organisation=recruiter.organisation)
    board = make_user("board", member_of=engagement)
    viewer = make_user("viewer", member_of=engagement)
    consultant = make_user("consultant", member_of=engagement)
    for user, status in ((outsider, 404), (board, 403), (viewer, 403), (consultant, 200)):
        auth.login(user.email)
        assert client.get(trail).status_code == status, user.role
        auth.logout()
    auth.login(board.email)
    assert "Audit trail" not in client.get(f"/engagements/{engagement.id}").get_data(as_text=True)


def test_links_are_offered_only_where_the_reader_may_go(client, auth, make_user, flow):
    """A consultant sees the candidate named but gets no link to the recruiter's page;
    a survey round links to the consultant's round page."""
    _recruiter, engagement, _strong, _weak, maria, _admin = flow
    consultant = make_user("consultant", member_of=engagement, name="Cora Consultant")
    survey = surveys.open_round(consultant, engagement, title="Spring pulse")
    db.session.commit()
    auth.login(consultant.email)
    response = client.get(f"/engagements/{engagement.id}/audit")
    text = page_text(response)
    assert any(
        s.startswith("Cora Consultant opened readiness round 1") for s in sentences(response)
    )
    assert f'href="/engagements/{engagement.id}/surveys/{survey.id}"' in text
    assert "Maria Lindqvist" in text
    assert f'/candidates/{maria.id}"' not in text


def test_reading_the_trail_is_not_audited(client, auth, flow):
    recruiter, engagement, *_rest = flow
    before = db.session.scalars(select(AuditEvent.id)).all()
    auth.login(recruiter.email)
    assert client.get(f"/engagements/{engagement.id}/audit").status_code == 200
    assert db.session.scalars(select(AuditEvent.id)).all() == before


# ----------------------------------------------------------------- pages


def test_pages_show_the_rest_with_a_bounded_number_of_queries(client, auth, completed, make_user):
    recruiter, engagement, _people = completed
    extra = audit.PAGE_SIZE + 7
    invited = [
        invitations.invite(recruiter, engagement, f"Person {n:03d}", f"p{n}@example.com")
        for n in range(extra)
    ]
    db.session.commit()
    total = len(
        db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.engagement_id == engagement.id)
        ).all()
    )
    assert total > audit.PAGE_SIZE
    admin = make_user("admin", organisation=recruiter.organisation)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    for login, path in (
        (recruiter, f"/engagements/{engagement.id}/audit"),
        (admin, "/admin/audit"),
    ):
        auth.login(login.email)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            statements.clear()
            first = client.get(path)
            first_queries = len(statements)
            statements.clear()
            second = client.get(f"{path}?page=2")
            second_queries = len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        auth.logout()
        rows_1, rows_2 = sentences(first), sentences(second)
        assert len(rows_1) == audit.PAGE_SIZE
        assert "?page=2" in first.get_data(as_text=True)
        assert "page=3" not in second.get_data(as_text=True)
        named = [s for s in rows_1 + rows_2 if "invited Person" in s]
        assert sorted(named) == sorted(
            f"{recruiter.name} invited {a.name} to the assessment." for a in invited
        )
        if path != "/admin/audit":
            assert len(rows_1) + len(rows_2) == total
        # 50 rows about 50 different candidates: the look-ups are batched, not per row.
        assert first_queries <= 15, statements
        assert second_queries <= 15
