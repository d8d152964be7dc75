"""Two tabs of one candidate save the same page at the same time: no update is lost.

Each tab is its own test client (its own session and CSRF token) on a fresh
app and database, so the two requests really run side by side. Tab B reads
the stored answers, then waits; tab A saves 5 meanwhile; then B saves 3, the
value it had on screen. The stored value must be the one of the request that
was acknowledged last. On PostgreSQL A finishes while B waits, so B is last
(3). On SQLite a writing request holds the write lock from its start, so A
waits for B and is last (5). Either way no acknowledged save is lost.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

import questionnaires
from assessor.extensions import db
from assessor.models import Answer
from assessor.services import accounts, engagements, invitations, responses
from tests.conftest import csrf_token_from

#: How long tab A gets to finish while tab B holds its request open.
A_MAY_FINISH_WITHIN = 1.5


def test_two_tabs_saving_one_answer_lose_no_update(own_app, own_database, monkeypatch):
    instrument = questionnaires.latest("cco_candidate")
    section = instrument.sections[1]
    item = next(i for i in section.items if i.type == "likert")
    with own_app.app_context():
        org = accounts.create_organisation("Two Tabs Search")
        recruiter = accounts.create_user(
            org, "rec@example.com", "Rec", "recruiter", "long-enough-password"
        )
        engagement = engagements.create_engagement(recruiter, "Client", "CCO")
        assignment = invitations.invite(recruiter, engagement, "Tab Twice", "tabs@example.com")
        responses.consent(assignment)
        responses.save_page(assignment, section, {item.key: "3"}, None, strict=False)
        db.session.commit()
        link = "/r/" + invitations.link_token(assignment)
        assignment_id = assignment.id

    url = f"{link}/page/{section.key}"
    tab_a, tab_b = own_app.test_client(), own_app.test_client()
    tokens = {}
    for name, tab in (("a", tab_a), ("b", tab_b)):
        page = tab.get(url)
        assert page.status_code == 200
        tokens[name] = csrf_token_from(page.get_data(as_text=True))

    b_has_read, b_may_go_on = threading.Event(), threading.Event()
    real_answers_of = responses.answers_of

    def answers_of_then_wait_in_b(assignment):
        answers = real_answers_of(assignment)
        if threading.current_thread().name == "tab-b":
            b_has_read.set()
            b_may_go_on.wait(10)
        return answers

    monkeypatch.setattr(responses, "answers_of", answers_of_then_wait_in_b)
    acknowledged: list[str] = []  # tab names in the order their saves were answered
    statuses: dict[str, int] = {}
    failures: list[BaseException] = []
    a_done = threading.Event()

    def save(name, tab, value, done=None):
        try:
            response = tab.post(
                url,
                data={
                    "csrf_token": tokens[name],
                    "action": "save",
                    f"q_{item.key}": value,
                    "page_started": f"{time.time() - 30:.3f}",
                },
            )
            statuses[name] = response.status_code
            acknowledged.append(name)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            if done is not None:
                done.set()

    tab_b_thread = threading.Thread(target=save, args=("b", tab_b, "3"), name="tab-b")
    tab_b_thread.start()
    assert b_has_read.wait(10), "tab B never read the answers"
    tab_a_thread = threading.Thread(target=save, args=("a", tab_a, "5", a_done), name="tab-a")
    tab_a_thread.start()
    a_finished_while_b_waited = a_done.wait(A_MAY_FINISH_WITHIN)
    b_may_go_on.set()
    tab_b_thread.join(20)
    tab_a_thread.join(20)
    assert not failures, failures
    assert statuses == {"a": 302, "b": 302}  # both saves acknowledged as saved
    assert len(acknowledged) == 2

    with own_app.app_context():
        stored = db.session.scalar(
            select(Answer.value).where(
                Answer.assignment_id == assignment_id, Answer.item_key == item.key
            )
        )
    last = acknowledged[-1]
    assert stored == {"a": 5, "b": 3}[last], (
        f"tab {last.upper()} was answered last, yet {stored} is stored"
    )
    if own_database.startswith("postgresql"):
        assert a_finished_while_b_waited  # the two requests really overlapped
        assert acknowledged == ["a", "b"]
    else:
        assert not a_finished_while_b_waited  # A waited for B's write lock
        assert acknowledged == ["b", "a"]
