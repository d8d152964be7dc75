"""Personal single-use invitations to a readiness round (both databases).

The consultant adds a list of people (pasted or uploaded: every wrong line is
named and nothing is saved), sends the links by e-mail or prints them, and
each person answers once through their own link. Using a link clears what it
knew about the person and leaves nothing that leads from it to the response.
"""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

import questionnaires
from assessor.demo import synthetic_answers
from assessor.extensions import db
from assessor.models import Assignment, AuditEvent, Survey, SurveyInvitation
from assessor.services import accounts, engagements, survey_invitations, surveys
from assessor.services.errors import ServiceError
from assessor.services.surveys import SurveyLinkError
from tests.assessor.conftest import Inbox, free_port
from tests.assessor.participants import answer_all, submit
from tests.conftest import csrf_token_from

INSTRUMENT = questionnaires.latest("readiness")


# ------------------------------------------------------------------ helpers


def base(engagement) -> str:
    return f"/engagements/{engagement.id}/surveys"


def page_of(engagement, survey) -> str:
    return f"{base(engagement)}/{survey.id}/invitations"


def invitation_round(consultant, engagement, **kwargs: Any) -> Survey:
    survey = surveys.open_round(consultant, engagement, **kwargs)
    survey.collection = "invitation"
    db.session.commit()
    return survey


def invite(consultant, survey, text: str) -> survey_invitations.AddReport:
    people = survey_invitations.parse_list(text, surveys.instrument_of(survey))
    report = survey_invitations.add_invitations(consultant, survey, people)
    db.session.commit()
    return report


def invitations_of(survey) -> list[SurveyInvitation]:
    db.session.expire_all()
    stmt = (
        select(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id)
        .order_by(SurveyInvitation.id)
    )
    return list(db.session.scalars(stmt))


def responses_of(survey) -> list[Assignment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Assignment).where(Assignment.survey_id == survey.id)))


def link_of(invitation) -> str:
    return "/s/i/" + survey_invitations.invitation_token(invitation)


def accept(client, link: str) -> str:
    """Open a personal link and agree; returns the participant link (/r/<token>)."""
    page = client.get(link)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    response = client.post(
        link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "consent": "yes"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/r/" in location and location.endswith("/resume")
    return location[location.index("/r/") : -len("/resume")]


def same_response(location: str, participant: str) -> bool:
    payload = participant.removeprefix("/r/").split(".")[0]
    return location[location.index("/r/") + 3 :].split(".")[0] == payload


def problems_of(text: str) -> list[str]:
    with pytest.raises(survey_invitations.InvitationListError) as caught:
        survey_invitations.parse_list(text, INSTRUMENT)
    assert caught.value.message.splitlines()[1:] == caught.value.shown + (
        [f"… and {caught.value.more} more."] if caught.value.more else []
    )
    return caught.value.problems


def post_list(auth, engagement, survey, **data: Any):
    return auth.post(
        page_of(engagement, survey),
        {f"invite-{k}": v for k, v in data.items()},
        form_page=page_of(engagement, survey),
    )


def send(auth, engagement, survey):
    return auth.post(
        page_of(engagement, survey) + "/send", {}, form_page=page_of(engagement, survey)
    )


# ------------------------------------------------------------ reading lists


def test_lists_accept_headers_labels_keys_case_and_separators():
    people = survey_invitations.parse_list(
        "\ufeffE-mail;LEVEL;Department;region\r\n"
        "Anna.Berg@Client.Example; Manager or team leader ;DIGITAL, IT OR TECHNOLOGY;europe\r\n"
        "\r\n"
        "  \r\n"
        "bo@client.example\tfront_line\t\tNorth America\r\n"
        'cy@client.example,"Board member","Digital, IT or technology"\r\n'
        "di@client.example\n",
        INSTRUMENT,
    )
    assert [(p.line, p.email, dict(p.segment)) for p in people] == [
        (
            2,
            "anna.berg@client.example",
            {"level": "middle_management", "department": "digital", "region": "europe"},
        ),
        (5, "bo@client.example", {"level": "front_line", "region": "north_america"}),
        (6, "cy@client.example", {"level": "board", "department": "digital"}),
        (7, "di@client.example", {}),
    ]
    # a header may put the columns in another order; keys may be written with spaces
    (person,) = survey_invitations.parse_list(
        "department,email\nCustomer Service,x@client.example", INSTRUMENT
    )
    assert dict(person.segment) == {"department": "customer_service"}
    (person,) = survey_invitations.parse_list("y@client.example,front line", INSTRUMENT)
    assert dict(person.segment) == {"level": "front_line"}


def test_every_bad_line_is_named():
    problems = problems_of(
        "anna@client.example,executive\n"
        "\n"
        "bob@\n"
        "cy@client.example,exec\n"
        "Anna@Client.example\n"
        "di@client.example,board,sales,mars\n"
        ",board\n"
        "ed@client.example,board,sales,europe,extra\n"
    )
    assert problems[0] == (
        'Line 3: "bob@" is not an e-mail address (there must be something after the @-sign).'
    )
    assert problems[1].startswith(
        'Line 4: unknown level "exec" (use one of: "Board member" (board)'
    )
    assert '"Executive or senior leader" (executive)' in problems[1]
    assert problems[2] == "Line 5: anna@client.example is already on line 1."
    assert problems[3].startswith('Line 6: unknown region "mars" (use one of: "Europe" (europe)')
    assert problems[4] == "Line 7: the e-mail address is missing."
    assert problems[5].startswith("Line 8: 5 values where at most 4 are expected")
    assert len(problems) == 6

    # many problems: the first twenty are listed, the rest counted
    with pytest.raises(survey_invitations.InvitationListError) as caught:
        survey_invitations.parse_list("\n".join(f"person{i}@" for i in range(30)), INSTRUMENT)
    assert len(caught.value.problems) == 30 and len(caught.value.shown) == 20
    assert "Line 20:" in caught.value.message and "Line 21:" not in caught.value.message
    assert caught.value.message.endswith("… and 10 more.")
    assert caught.value.message.startswith("Nothing was saved: 30 problems in the list.")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "The list is empty"),
        ("\n  \n", "The list is empty"),
        ("email,level\n", "The list has a header line but nobody in it."),
        ("name,email\nann@x.org,Ann", 'Line 1: unknown column "name" in the header'),
        ("level,department\nann@x.org", 'Line 1: the header has no "email" column.'),
        ("email,level,email\nann@x.org", "Line 1: the header names email more than once."),
        (
            "\n".join(f"p{i}@client.example" for i in range(5001)),
            "The list has 5,001 people; add at most 5,000 at a time.",
        ),
    ],
)
def test_lists_that_cannot_be_read_say_why(text, message):
    with pytest.raises(ServiceError) as caught:
        survey_invitations.parse_list(text, INSTRUMENT)
    assert message in caught.value.message


def test_uploads_must_be_text():
    assert survey_invitations.decode_upload("\ufeffé@x.org".encode()) == "é@x.org"
    with pytest.raises(ServiceError, match="not UTF-8"):
        survey_invitations.decode_upload("zoë@x.org".encode("latin-1"))
    with pytest.raises(ServiceError, match="not a text file"):
        survey_invitations.decode_upload(b"PK\x03\x04\x00\x00")


# ------------------------------------------------------------ adding people


def test_adding_skips_people_already_invited_and_audits_only_counts(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    report = invite(consultant, survey, "a@client.example,board\nb@client.example")
    assert (report.added, report.skipped) == (2, 0)
    report = invite(consultant, survey, "B@client.example\nc@client.example,,sales")
    assert (report.added, report.skipped) == (1, 1)
    assert report.message == "1 person added to the invitation list. 1 person was already invited."
    rows = invitations_of(survey)
    assert [(r.email, r.segment, r.is_used, r.sent_at) for r in rows] == [
        ("a@client.example", {"level": "board"}, False, None),
        ("b@client.example", None, False, None),
        ("c@client.example", {"department": "sales"}, False, None),
    ]
    assert len({r.nonce for r in rows}) == 3 and all(len(r.nonce) == 32 for r in rows)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.invitations.add")
    ).all()
    assert [(e.object_id, e.detail) for e in events] == [
        (survey.id, {"count": 2, "skipped": 0}),
        (survey.id, {"count": 1, "skipped": 1}),
    ]
    summary = survey_invitations.summary(survey)
    assert (summary.invited, summary.used, summary.sent, summary.unsent_with_address) == (
        3,
        0,
        0,
        3,
    )
    assert summary.addresses_deleted is False


def test_open_rounds_and_closed_rounds_take_no_invitations(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    people = survey_invitations.parse_list("a@client.example", INSTRUMENT)
    survey.collection = "open"
    with pytest.raises(ServiceError, match="one open link"):
        survey_invitations.add_invitations(consultant, survey, people)
    survey.collection = "invitation"
    surveys.close_round(consultant, survey)
    with pytest.raises(ServiceError, match="is not taking answers"):
        survey_invitations.add_invitations(consultant, survey, people)
    assert invitations_of(survey) == []


# ------------------------------------------------------------ the pages


def test_pasting_and_uploading_a_list(app, client, auth, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    auth.login(consultant.email)
    page = client.get(page_of(engagement, survey))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Add people" in html and 'enctype="multipart/form-data"' in html
    assert "Printable list" in html

    pasted = post_list(
        auth, engagement, survey, entries="ann@client.example,executive,sales\nbo@client.example"
    )
    assert pasted.status_code == 302
    follow = client.get(pasted.headers["Location"]).get_data(as_text=True)
    assert "2 people added to the invitation list." in follow
    assert re.search(r"<strong>2</strong> invited", follow)

    upload = post_list(
        auth,
        engagement,
        survey,
        upload=(
            io.BytesIO(b"email;level\r\nBO@client.example;board\r\ncy@client.example;board\r\n"),
            "people.csv",
        ),
    )
    assert upload.status_code == 302
    follow = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "1 person added to the invitation list. 1 person was already invited." in follow
    assert [r.email for r in invitations_of(survey)] == [
        "ann@client.example",
        "bo@client.example",
        "cy@client.example",
    ]


def test_a_list_with_a_wrong_line_is_refused_whole(app, client, auth, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    auth.login(consultant.email)
    text = "ann@client.example\nbo@client.example,exec\n\nbob@\nann@client.example\n"
    response = post_list(auth, engagement, survey, entries=text)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved: 3 problems in the list." in html
    assert "Line 2: unknown level &#34;exec&#34;" in html
    assert "Line 4: &#34;bob@&#34; is not an e-mail address" in html
    assert "Line 5: ann@client.example is already on line 1." in html
    assert "bob@" in re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    assert invitations_of(survey) == []

    bad_file = post_list(
        auth, engagement, survey, upload=(io.BytesIO(b"x@client.example,chief"), "list.txt")
    )
    assert bad_file.status_code == 400
    assert "Line 1: unknown level &#34;chief&#34;" in bad_file.get_data(as_text=True)
    assert invitations_of(survey) == []


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Paste the list, one e-mail address per line, or choose a file."),
        (
            {"entries": "a@client.example", "upload": (b"b@client.example", "b.csv")},
            "Paste the list or choose a file, not both",
        ),
        ({"upload": (b"a@client.example", "people.xlsx")}, "Upload a .csv or .txt"),
        ({"upload": ("zoë@client.example".encode("latin-1"), "people.csv")}, "not UTF-8 text"),
    ],
)
def test_bad_submissions_are_explained(client, auth, consultant, engagement, data, message):
    survey = invitation_round(consultant, engagement)
    auth.login(consultant.email)
    data = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    response = post_list(auth, engagement, survey, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert invitations_of(survey) == []


def test_open_link_round_offers_no_invitations(client, auth, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    survey.collection = "open"
    db.session.commit()
    auth.login(consultant.email)
    page = client.get(page_of(engagement, survey))
    assert page.status_code == 200
    assert "collects answers through one open link" in page.get_data(as_text=True)
    assert 'name="invite-entries"' not in page.get_data(as_text=True)
    for response in (
        post_list(auth, engagement, survey, entries="a@client.example"),
        send(auth, engagement, survey),
        client.get(page_of(engagement, survey) + "/print"),
    ):
        assert response.status_code == 400
        assert "personal invitations are not available" in response.get_data(as_text=True)
    assert invitations_of(survey) == []


# ------------------------------------------------------------ answering


def test_a_link_works_once_and_resumes_in_its_own_browser(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    (invitation,) = invitations_of(survey)
    link = link_of(invitation)

    browser = app.test_client()
    start_page = browser.get(link).get_data(as_text=True)
    assert "This link is personal and works once" in start_page
    assert "never which response it started" in start_page
    participant = accept(browser, link)
    cookie = browser.get_cookie(
        surveys.cookie_name(survey), domain=app.config["SERVER_NAME"], path="/s/"
    )
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"

    # the same browser comes back: resumed, not refused
    again = browser.get(link)
    assert again.status_code == 302 and same_response(again.headers["Location"], participant)

    # anyone else with the link is refused, and told why
    for method in ("get", "post"):
        stranger = app.test_client()
        token = csrf_token_from(stranger.get("/login").get_data(as_text=True))
        other = stranger.open(link, method=method, data={"csrf_token": token, "consent": "yes"})
        assert other.status_code == 410
        html = other.get_data(as_text=True)
        assert "This link has already been used" in html
        assert "open the link again in the same browser you started in" in html
    assert len(responses_of(survey)) == 1

    answers = synthetic_answers(INSTRUMENT, np.random.default_rng(1), {"_base": 0.5})
    answers.update({"level": "executive", "department": "sales", "region": "europe"})
    answer_all(browser, participant, INSTRUMENT, answers)
    assert submit(browser, participant).status_code == 302
    answered = browser.get(link)
    html = answered.get_data(as_text=True)
    assert answered.status_code == 200 and "You have already answered" in html
    assert "Start a new response" not in html  # a used link starts nothing more
    assert len(responses_of(survey)) == 1


def test_consent_is_required_and_a_refusal_leaves_the_link_unused(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    (invitation,) = invitations_of(survey)
    browser = app.test_client()
    page = browser.get(link_of(invitation)).get_data(as_text=True)
    response = browser.post(link_of(invitation), data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 400
    assert "Please tick the box" in response.get_data(as_text=True)
    no_csrf = app.test_client().post(link_of(invitation), data={"consent": "yes"})
    assert no_csrf.status_code == 400
    assert invitations_of(survey)[0].is_used is False and responses_of(survey) == []


def test_the_preset_segment_moves_to_the_response_and_nothing_links_them(
    app, consultant, engagement
):
    survey = invitation_round(consultant, engagement)
    invite(
        consultant,
        survey,
        "ann@client.example,Manager or team leader,finance\nbo@client.example,board",
    )
    ann, bo = invitations_of(survey)
    browser = app.test_client()
    start_page = browser.get(link_of(ann)).get_data(as_text=True)
    assert "Manager or team leader" in start_page and "Finance" in start_page
    audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    participant = accept(browser, link_of(ann))
    first = browser.get(f"{participant}/page/about_you").get_data(as_text=True)
    assert re.search(
        r'<input checked id="q_level-\d+" name="q_level" type="radio"'
        r' value="middle_management">',
        first,
    )

    (response,) = responses_of(survey)
    assert response.segment == {"level": "middle_management", "department": "finance"}
    assert response.name is None and response.email is None
    ann, bo = invitations_of(survey)
    assert ann.is_used is True and ann.segment is None
    assert bo.is_used is False and bo.segment == {"level": "board"}
    # SQL NULL, not a JSON null: the row holds no segment at all
    assert (
        db.session.scalar(
            select(func.count()).where(
                SurveyInvitation.id == ann.id, SurveyInvitation.segment.is_(None)
            )
        )
        == 1
    )
    # nothing written while answering names either row
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_before
    # no column of the response holds anything of the invitation, and vice versa
    response_values = {str(getattr(response, c.key)) for c in Assignment.__table__.columns}
    for secret in (ann.nonce, ann.email, survey_invitations.invitation_token(ann)):
        assert not any(secret in value for value in response_values)
    assert not any(
        fk.column.table.name == "survey_invitation" for fk in Assignment.__table__.foreign_keys
    )
    assert not any(
        fk.column.table.name == "assignment" for fk in SurveyInvitation.__table__.foreign_keys
    )
    invitation_times = {ann.created_at, ann.sent_at}
    assert response.created_at not in invitation_times
    assert response.consented_at not in invitation_times


def test_two_claims_of_one_link_make_one_response(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example,executive")
    (invitation,) = invitations_of(survey)
    token = survey_invitations.invitation_token(invitation)
    # two requests read the link as unused before either of them used it
    _, first = survey_invitations.resolve_invitation(token)
    db.session.expunge(first)  # what the slower request still holds
    _, second = survey_invitations.resolve_invitation(token)
    assert second is not first and first.is_used is False and second.is_used is False
    survey_invitations.claim(survey, second)
    db.session.commit()
    with pytest.raises(SurveyLinkError) as caught:
        survey_invitations.claim(survey, first)
    assert caught.value.reason == "used" and "already been used" in caught.value.message
    assert len(responses_of(survey)) == 1
    assert invitations_of(survey)[0].is_used is True


def test_requests_using_one_link_at_once_make_one_response(own_app, own_database, monkeypatch):
    """Two browsers post the consent of one link side by side; exactly one gets in.

    Browser B has read the link as unused and waits inside its request while
    A posts. On PostgreSQL A finishes first and B's conditional UPDATE changes
    no row; on SQLite B holds the write lock, so A waits and then finds the
    link used. Either way: one response, one refusal.
    """
    with own_app.app_context():
        org = accounts.create_organisation("Race Search")
        consultant = accounts.create_user(
            org, "race@example.com", "Race", "consultant", "long-enough-password"
        )
        engagement = engagements.create_engagement(consultant, "Client", "CCO")
        survey = surveys.open_round(consultant, engagement)
        survey.collection = "invitation"
        people = survey_invitations.parse_list("ann@client.example", INSTRUMENT)
        survey_invitations.add_invitations(consultant, survey, people)
        db.session.commit()
        invitation = db.session.scalar(select(SurveyInvitation))
        link = link_of(invitation)
        survey_id = survey.id

    browsers = {"a": own_app.test_client(), "b": own_app.test_client()}
    tokens = {}
    for name, browser in browsers.items():
        page = browser.get(link)
        assert page.status_code == 200
        tokens[name] = csrf_token_from(page.get_data(as_text=True))

    b_is_in, b_may_go_on, a_done = threading.Event(), threading.Event(), threading.Event()
    real_claim = survey_invitations.claim

    def claim_then_wait_in_b(survey, invitation):
        if threading.current_thread().name == "b":
            b_is_in.set()
            b_may_go_on.wait(10)
        return real_claim(survey, invitation)

    monkeypatch.setattr(survey_invitations, "claim", claim_then_wait_in_b)
    statuses: dict[str, int] = {}
    failures: list[BaseException] = []

    def post(name: str, done: threading.Event | None = None) -> None:
        try:
            response = browsers[name].post(
                link, data={"csrf_token": tokens[name], "consent": "yes"}
            )
            statuses[name] = response.status_code
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            if done is not None:
                done.set()

    b = threading.Thread(target=post, args=("b",), name="b")
    b.start()
    assert b_is_in.wait(10), "browser B never reached the claim"
    a = threading.Thread(target=post, args=("a", a_done), name="a")
    a.start()
    a_finished_while_b_waited = a_done.wait(1.5)
    b_may_go_on.set()
    b.join(20)
    a.join(20)
    assert not failures, failures
    if own_database.startswith("postgresql"):
        # A used the link first; B's conditional UPDATE then found it used
        assert a_finished_while_b_waited and statuses == {"a": 302, "b": 410}, statuses
    else:
        # B held SQLite's write lock; A waited, then found the link used
        assert not a_finished_while_b_waited and statuses == {"a": 410, "b": 302}, statuses
    with own_app.app_context():
        count = db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.survey_id == survey_id)
        )
        used = db.session.scalar(select(SurveyInvitation.is_used))
    assert count == 1 and used is True


def test_a_shared_device_does_not_open_someone_elses_response(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example\nbo@client.example")
    ann, bo = invitations_of(survey)
    device = app.test_client()
    anns = accept(device, link_of(ann))
    # Bo opens his own, unused link on the same device: his own start page, his own response
    page = device.get(link_of(bo))
    assert page.status_code == 200 and "Start the survey" in page.get_data(as_text=True)
    bos = accept(device, link_of(bo))
    assert not same_response(bos, anns)
    assert len(responses_of(survey)) == 2


def test_bad_and_foreign_tokens_are_404(app, consultant, engagement, make_user, make_engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    (invitation,) = invitations_of(survey)
    serializer = survey_invitations._serializer()
    forged = [
        "not-a-token",
        "WzEsImFiYyJd.forged",
        serializer.dumps([invitation.id, "0" * 32]),  # right id, wrong nonce
        serializer.dumps([invitation.id]),
        serializer.dumps(["1", invitation.nonce]),
        serializer.dumps([invitation.id + 1000, invitation.nonce]),
        surveys.collection_token(survey),  # another kind of link
    ]
    for token in forged:
        response = app.test_client().get(f"/s/i/{token}")
        assert response.status_code == 404, token
        assert "not valid" in response.get_data(as_text=True)
    # another firm's round: its own links work, but never for this round's people
    outsider = make_user("consultant")
    elsewhere = invitation_round(outsider, make_engagement(owner=outsider))
    invite(outsider, elsewhere, "zed@other.example")
    (theirs,) = invitations_of(elsewhere)
    mixed = serializer.dumps([theirs.id, invitation.nonce])
    assert app.test_client().get(f"/s/i/{mixed}").status_code == 404
    # and a link of a round that no longer collects by invitation
    survey.collection = "open"
    db.session.commit()
    assert app.test_client().get(link_of(invitation)).status_code == 404


def test_links_expire_with_their_round(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example\nbo@client.example")
    ann, bo = invitations_of(survey)
    survey.closes_at = survey.created_at.replace(year=2000)
    db.session.commit()
    ended = app.test_client().get(link_of(ann))
    assert ended.status_code == 410 and "closed" in ended.get_data(as_text=True)
    survey.closes_at = None
    db.session.commit()
    browser = app.test_client()
    accept(browser, link_of(bo))
    surveys.close_round(consultant, survey)
    db.session.commit()
    for client_, invitation in ((app.test_client(), ann), (browser, bo)):
        response = client_.get(link_of(invitation))
        assert response.status_code == 410
        assert "This survey is closed" in response.get_data(as_text=True)
    assert len(responses_of(survey)) == 1


def test_closing_the_round_deletes_every_address(app, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "a@client.example\nb@client.example,board\nc@client.example")
    a, _b, _c = invitations_of(survey)
    accept(app.test_client(), link_of(a))
    assert survey_invitations.summary(survey).addresses_deleted is False
    surveys.close_round(consultant, survey)
    db.session.commit()
    assert [r.email for r in invitations_of(survey)] == [None, None, None]
    assert survey_invitations.summary(survey).addresses_deleted is True
    rows = survey_invitations.printable(survey)
    assert [(r.email, r.segment) for r in rows] == [
        (None, (("Level", "Board member"),)),
        (None, ()),
    ]


# ------------------------------------------------------------ e-mail and print


def test_invitations_are_emailed_once_with_working_links(
    app, client, auth, consultant, engagement, smtp
):
    survey = invitation_round(consultant, engagement, closes_on=None)
    invite(consultant, survey, "ann@client.example,board\nbo@client.example\ncy@client.example")
    accept(app.test_client(), link_of(invitations_of(survey)[2]))  # cy has answered already
    auth.login(consultant.email)
    page = client.get(page_of(engagement, survey)).get_data(as_text=True)
    assert "Send invitations by e-mail" in page and "<strong>2</strong> invitations have" in page

    response = send(auth, engagement, survey)
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 invitations sent by e-mail." in follow
    assert sorted(m["To"] for m in smtp.messages) == ["ann@client.example", "bo@client.example"]
    rows = {r.email: r for r in invitations_of(survey)}
    for message in smtp.messages:
        body = message.get_payload(decode=True).decode()
        assert "Halden Utilities" in message["Subject"]
        assert "works once" in body and "not linked to your answers" in body
        url = re.search(r"https?://\S+/s/i/(\S+)", body)
        _, invitation = survey_invitations.resolve_invitation(url.group(1))
        assert invitation.id == rows[message["To"]].id
        opened = app.test_client().get(f"/s/i/{url.group(1)}")
        assert opened.status_code == 200 and "Start the survey" in opened.get_data(as_text=True)
    assert rows["ann@client.example"].sent_at is not None
    assert rows["cy@client.example"].sent_at is None  # used links are not sent

    again = send(auth, engagement, survey)
    assert "Nothing to send" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(smtp.messages) == 2
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "survey.invitations.send")
    ).all()
    assert [e.detail for e in events] == [{"count": 2, "failed": 0}, {"count": 0, "failed": 0}]
    assert not any(
        "client.example" in str(e.detail) for e in db.session.scalars(select(AuditEvent))
    )


def test_a_refused_address_costs_only_its_own_message(
    app, client, auth, consultant, engagement, smtp
):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example\nbounce@client.example\nbo@client.example")
    auth.login(consultant.email)
    response = send(auth, engagement, survey)
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 of 3 invitations could not be sent (the mail server refused the address)" in follow
    assert sorted(m["To"] for m in smtp.messages) == ["ann@client.example", "bo@client.example"]
    sent = {r.email: r.sent_at is not None for r in invitations_of(survey)}
    assert sent == {
        "ann@client.example": True,
        "bounce@client.example": False,
        "bo@client.example": True,
    }


def test_a_mail_server_that_is_down_loses_nothing(
    app, client, auth, consultant, engagement, monkeypatch
):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example\nbo@client.example\ncy@client.example")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    auth.login(consultant.email)
    response = send(auth, engagement, survey)
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 of 3 invitations could not be sent (the mail server refused the connection)" in follow
    assert "send again later" in follow
    assert all(r.sent_at is None for r in invitations_of(survey))
    assert survey_invitations.summary(survey).unsent_with_address == 3

    # once the server is back, the same button sends them all
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        response = send(auth, engagement, survey)
        assert "3 invitations sent" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    finally:
        controller.stop()
    assert len(inbox.messages) == 3


def test_without_mail_the_page_points_to_the_printable_list(
    app, client, auth, consultant, engagement, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    auth.login(consultant.email)
    page = client.get(page_of(engagement, survey)).get_data(as_text=True)
    assert "E-mail is not set up on this server" in page
    assert 'name="invite-entries"' in page and "invitations/print" in page
    response = send(auth, engagement, survey)
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "E-mail is not set up on this server" in follow and "printable list" in follow
    assert invitations_of(survey)[0].sent_at is None


def test_the_printable_list_shows_unused_links_only(app, client, auth, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(
        consultant,
        survey,
        "ann@client.example,board,finance\nbo@client.example\ncy@client.example,front_line",
    )
    ann, bo, cy = invitations_of(survey)
    accept(app.test_client(), link_of(bo))
    auth.login(consultant.email)
    response = client.get(page_of(engagement, survey) + "/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Each link works once." in html and "Whoever holds a link can answer with it" in html
    assert "invitations.css" in html
    tokens = re.findall(r'<td class="link">https?://[^<]+/s/i/([^<]+)</td>', html)
    assert [survey_invitations.resolve_invitation(t)[1].id for t in tokens] == [ann.id, cy.id]
    assert "ann@client.example" in html and "cy@client.example" in html
    assert "bo@client.example" not in html
    assert "Level: Board member" in html and "Department: Finance" in html
    db.session.expire_all()
    assert db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "survey.invitations.print")
    ) == {"count": 2}


# ------------------------------------------------------------ permissions


def test_posts_without_csrf_are_400(client, auth, consultant, engagement, smtp):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    auth.login(consultant.email)
    added = client.post(page_of(engagement, survey), data={"invite-entries": "bo@client.example"})
    assert added.status_code == 400
    sent = client.post(page_of(engagement, survey) + "/send")
    assert sent.status_code == 400
    assert [(r.email, r.sent_at) for r in invitations_of(survey)] == [("ann@client.example", None)]
    assert smtp.messages == []


@pytest.mark.parametrize("role", ["recruiter", "board"])
def test_other_roles_are_refused(client, auth, make_user, consultant, engagement, role):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    other = make_user(role, member_of=engagement)
    auth.login(other.email)
    for path in ("", "/print"):
        assert client.get(page_of(engagement, survey) + path).status_code == 403, path
    assert post_list(auth, engagement, survey, entries="bo@client.example").status_code == 403
    token = auth.csrf("/")
    assert (
        client.post(page_of(engagement, survey) + "/send", data={"csrf_token": token}).status_code
        == 403
    )
    assert len(invitations_of(survey)) == 1


def test_other_firm_gets_404(client, auth, make_user, make_engagement, consultant, engagement):
    survey = invitation_round(consultant, engagement)
    invite(consultant, survey, "ann@client.example")
    outsider = make_user("consultant")
    own = make_engagement(owner=outsider, client_name="Elsewhere Ltd")
    auth.login(outsider.email)
    for engagement_ in (engagement, own):  # their engagement, or their round under one's own
        path = page_of(engagement_, survey)
        assert client.get(path).status_code == 404
        assert client.get(path + "/print").status_code == 404
        token = auth.csrf("/")
        assert (
            client.post(path, data={"csrf_token": token, "invite-entries": "x@y.org"}).status_code
            == 404
        )
        assert client.post(path + "/send", data={"csrf_token": token}).status_code == 404
    assert len(invitations_of(survey)) == 1
