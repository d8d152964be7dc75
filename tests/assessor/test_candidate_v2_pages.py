"""The candidate assessment v2 answered through the participant pages: forced-choice
blocks, effectiveness ratings and familiarity items render without JavaScript, save
what was chosen and explain every refusal next to the question."""

from __future__ import annotations

import pytest

import questionnaires
from assessor.extensions import db
from assessor.services import invitations, responses
from tests.assessor.participants import consent, post_section
from tests.conftest import csrf_token_from

V2 = questionnaires.load("cco_candidate", 2)


@pytest.fixture
def v2_link(client, make_user, make_engagement, monkeypatch):
    """A candidate invited while v2 is the version given to new invitations."""
    monkeypatch.setattr(
        questionnaires, "latest", lambda key, **kw: V2 if key == "cco_candidate" else LATEST(key)
    )
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    assignment = invitations.invite(recruiter, engagement, "Vera Two", "vera@example.com")
    db.session.commit()
    assert assignment.instrument_version == 2
    link = f"/r/{invitations.link_token(assignment)}"
    consent(client, link)
    return assignment, link


LATEST = questionnaires.latest


def _section(kind: str) -> questionnaires.Section:
    return next(s for s in V2.sections if any(i.type == kind for i in s.items))


def test_a_block_page_renders_two_radio_groups_per_block_and_saves_most_and_least(client, v2_link):
    assignment, link = v2_link
    section = _section("forced_choice")
    html = client.get(f"{link}/page/{section.key}").get_data(as_text=True)
    first = section.items[0]
    for statement in first.statements:
        assert f'name="q_{first.key}-most" type="radio" value="{statement.key}"' in html
        assert f'name="q_{first.key}-least" type="radio" value="{statement.key}"' in html
        assert statement.text in html
    assert "<script" not in html.split("<main", 1)[1]  # the block needs no script
    answers = {item.key: [item.statements[0].key, item.statements[2].key] for item in section.items}
    response = post_section(client, link, section, answers)
    assert response.status_code == 302
    stored = responses.answers_of(assignment)
    assert stored[first.key] == [first.statements[0].key, first.statements[2].key]
    again = client.get(f"{link}/page/{section.key}").get_data(as_text=True)
    assert f'checked id="q_{first.key}-most-{first.statements[0].key}"' in again
    assert f'checked id="q_{first.key}-least-{first.statements[2].key}"' in again


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (("same", "same"), "cannot be both most and least"),
        (("first", None), "least like you"),
        ((None, "first"), "most like you"),
        (("nope", "first"), "Choose from the statements shown."),
    ],
)
def test_a_wrong_block_answer_is_explained_and_the_rest_of_the_page_kept(
    client, v2_link, choice, message
):
    assignment, link = v2_link
    section = _section("forced_choice")
    first, second = section.items[0], section.items[1]
    keys = {"first": first.statements[0].key, "same": first.statements[1].key, "nope": "zz"}
    url = f"{link}/page/{section.key}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "action": "next", "page_started": "0"}
    most, least = choice
    if most:
        data[f"q_{first.key}-most"] = keys[most]
    if least:
        data[f"q_{first.key}-least"] = keys[least]
    data[f"q_{second.key}-most"] = second.statements[1].key
    data[f"q_{second.key}-least"] = second.statements[0].key
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    stored = responses.answers_of(assignment)
    assert stored[second.key] == [second.statements[1].key, second.statements[0].key]
    assert first.key not in stored


def test_situations_are_rated_response_by_response_and_partial_ratings_are_refused(client, v2_link):
    assignment, link = v2_link
    section = _section("effectiveness")
    item = section.items[0]
    html = client.get(f"{link}/page/{section.key}").get_data(as_text=True)
    for option in item.options:
        assert option.text in html
        for point in range(1, item.points + 1):
            assert f'name="q_{item.key}-{option.key}" type="radio" value="{point}"' in html
    partial = {item.key: {item.options[0].key: 5}}
    response = post_section(client, link, section, partial)
    assert response.status_code == 400
    left = len(item.options) - 1
    assert f"Rate each of the {len(item.options)} responses ({left} are not rated yet)" in (
        response.get_data(as_text=True)
    )
    full = {
        i.key: {o.key: 1 + n % i.points for n, o in enumerate(i.options)} for i in section.items
    }
    assert post_section(client, link, section, full).status_code == 302
    assert responses.answers_of(assignment)[item.key] == full[item.key]


def test_familiarity_runs_from_never_heard_of_it_and_zero_is_an_answer(client, v2_link):
    assignment, link = v2_link
    section = _section("familiarity")
    answers = {i.key: 0 for i in section.items if i.type == "familiarity"}
    html = client.get(f"{link}/page/{section.key}").get_data(as_text=True)
    assert "Never heard of it" in html
    response = post_section(client, link, section, answers)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    stored = responses.answers_of(assignment)
    assert all(stored[key] == 0 for key in answers)


def test_none_of_these_cannot_be_ticked_with_an_experience(client, v2_link):
    _assignment, link = v2_link
    section = next(s for s in V2.sections if any(i.type == "checklist" for i in s.items))
    item = next(i for i in section.items if i.type == "checklist")
    alone = item.exclusive_option
    other = next(o for o in item.options if o is not alone)
    response = post_section(client, link, section, {item.key: [alone.key, other.key]})
    assert response.status_code == 400
    assert "cannot be combined with other options" in response.get_data(as_text=True)
