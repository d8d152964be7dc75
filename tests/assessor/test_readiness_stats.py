"""Readiness statistics in the app: "don't know" answered on the page and counted, ICC and
agreement within levels and perception gaps on the results page, the CSV, the JSON and the
PDF; small levels hide every one of their figures; v1 rounds and old releases still render.
"""

from __future__ import annotations

import copy
import csv
import html as html_lib
import io
import re
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

import questionnaires
from assessor.demo import _answer_pages, synthetic_answers
from assessor.extensions import db
from assessor.models import Answer, Assignment, Result, SurveyRelease
from assessor.reports.readiness import build_readiness_report
from assessor.services import responses, results, survey_releases, survey_results, surveys
from questionnaires.model import DONT_KNOW
from scoring.readiness import ICC1_MIN
from tests.assessor.participants import post_section
from tests.assessor.test_readiness import (
    invite,
    latest_round,
    open_round,
    pdf_text,
    post_action,
    release_json,
    respond,
    start,
    url_of,
)

V1 = questionnaires.load("readiness", 1)
V2 = questionnaires.load("readiness", 2)
ABOUT_THE_BOARD = ("spons_1", "spons_2", "spons_3", "spons_5")


def person(rng, instrument, level: str, trait: float, unknown=()) -> dict[str, Any]:
    """A respondent of ``level`` answering around ``trait`` (0-1), "don't know" on ``unknown``."""
    answers = synthetic_answers(instrument, rng, {"_base": trait}, noise=0.05)
    answers.update({"level": level, "department": "sales", "region": "europe"})
    for key in unknown:
        answers[key] = DONT_KNOW
    return answers


def add(survey, instrument, people: list[dict[str, Any]], rng) -> None:
    """Submitted responses through the services (not the subject of these tests)."""
    for answers in people:
        assignment = surveys.start_response(survey, None)
        _answer_pages(assignment, instrument, answers, rng, pages=None)
        assert not responses.submit(assignment)
        results.compute_and_store(assignment)
    db.session.commit()


def text_of(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --------------------------------------------------------------- answering


def test_dont_know_is_offered_answered_and_refused_where_not_offered(
    app, client, auth, consultant, engagement
):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    assert (survey.instrument_version, survey.instrument_hash) == (2, V2.content_hash)
    (link,) = invite(auth, client, engagement, survey, 1)
    respondent = app.test_client()
    participant = start(respondent, link)
    section = V2.sections[2]  # results and leadership
    page = respondent.get(f"{participant}/page/{section.key}").get_data(as_text=True)
    # a sixth choice on statements about the board, none on one's own experience
    assert 'name="q_spons_2" type="radio" value="dont_know"' in page
    assert 'name="q_spons_4" type="radio" value="dont_know"' not in page
    assert "Don&#39;t know" in page or "Don't know" in page

    answers = person(np.random.default_rng(1), V2, "front_line", 0.4, ("spons_2",))
    answers["spons_4"] = DONT_KNOW  # not offered there: a message, not a 500
    refused = post_section(respondent, participant, section, answers)
    assert refused.status_code == 400
    assert "Choose one of the 5 points." in html_lib.unescape(refused.get_data(as_text=True))
    answers["spons_4"] = 4
    saved = post_section(respondent, participant, section, answers)
    assert saved.status_code == 302
    assignment = db.session.scalar(select(Assignment).where(Assignment.survey_id == survey.id))
    stored = {
        a.item_key: a.value
        for a in db.session.scalars(select(Answer).where(Answer.assignment_id == assignment.id))
    }
    assert stored["spons_2"] == DONT_KNOW and stored["spons_4"] == 4
    # shown again as chosen
    again = respondent.get(f"{participant}/page/{section.key}").get_data(as_text=True)
    assert re.search(r'<input checked id="q_spons_2-5" name="q_spons_2" type="radio"', again)


# ------------------------------------------------------- the results outputs


@pytest.fixture
def released(app, client, auth, consultant, engagement):
    """A v2 round: the board (6) sees the company far stronger than the front line (13), who
    answer "don't know" about the board; 3 executives and 3 managers (each below k = 5, so
    hidden, together 6 so that no subtraction gives either away) do so too."""
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    rng = np.random.default_rng(11)
    people = [person(rng, V2, "board", 0.85) for _ in range(6)]
    people += [person(rng, V2, "executive", 0.6, ("spons_2", "voice_1")) for _ in range(3)]
    people += [person(rng, V2, "middle_management", 0.5, ("spons_2",)) for _ in range(3)]
    people += [
        person(rng, V2, "front_line", 0.3, ABOUT_THE_BOARD[: 1 + i % 2] + ("voice_4",) * (i < 4))
        for i in range(12)
    ]
    add(survey, V2, people, rng)
    # one more front-line person answers through the page, with "don't know" on the board
    (link,) = invite(auth, client, engagement, survey, 1)
    respond(app, link, person(rng, V2, "front_line", 0.3, ("spons_1",)))
    assert post_action(auth, engagement, survey, "release").status_code == 302
    return survey


def test_results_show_icc_agreement_within_levels_dont_know_and_perception(
    client, engagement, released
):
    survey = released
    html = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    words = text_of(html)
    assert "Release 1, published" in words and "25 responses, 25 in the results" in words
    # ICC with its one-line explanation
    assert "Levels and agreement" in words
    assert "ICC(1) is the share of the differences between people's answers" in words
    data = release_json(client, engagement, survey)
    spons = next(d for d in data["dimensions"] if d["key"] == "sponsorship")
    icc = spons["levels_icc"]
    assert icc["levels"] == 2 and icc["icc1"] > ICC1_MIN and icc["aggregation_justified"]
    assert f"{icc['icc1']:.2f}" in words and f"{icc['icc2']:.2f}" in words
    # agreement read within each published level; the hidden executives show none
    within = {a["level"]: a["rwg"] for a in spons["agreement_within_levels"]}
    assert set(within) == {"board", "executive", "middle_management", "front_line"}
    assert within["executive"] is None and within["middle_management"] is None
    assert within["board"] is not None and within["front_line"] is not None
    assert "Agreement: Executive" in words
    # "don't know": 13 front-line staff, 3 hidden executives; never a count for the latter
    by_level = {r["segment"]: r for r in data["by_level"]}
    assert by_level["executive"] == {"segment": "executive", "suppressed": True}
    assert by_level["front_line"]["dont_know"]["sponsorship"] == 13
    assert by_level["front_line"]["dont_know"]["voice_of_customer"] == 4
    assert by_level["board"]["dont_know"]["sponsorship"] == 0
    items = {i["item"]: i for i in data["dont_know_items"]}
    assert items["spons_1"]["by_level"] == {
        "board": 0,
        "executive": "suppressed",
        "middle_management": "suppressed",
        "front_line": 13,
    }
    assert items["spons_2"]["by_level"]["front_line"] == 6
    assert "“Don’t know” answers" in words and "Front-line employee (of 13)" in words
    # the gap is a difference of perception, not agreement or resistance
    gap = next(g for g in data["level_gaps"] if g["dimension"] == "sponsorship")
    assert gap["perception"].startswith("The board sees executive sponsorship as much stronger")
    assert gap["perception"] in words
    assert "resistance" not in words and "disagree" not in words

    exported = client.get(url_of(engagement, survey, "/results.csv")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported)))
    icc_row = next(r for r in rows if r[0] == "ICC(1) across levels")
    assert icc_row[4 + 3] == f"{icc['icc1']:.2f}"
    dk_front = next(r for r in rows if r[0] == "don't know (respondents)" and "Front" in r[1])
    assert dk_front[4 + 3] == "13"
    per_level = [
        r for r in rows if r and r[0].startswith(("agreement r_wg within", "don't know ("))
    ]
    assert {r[1] for r in per_level} == {"all respondents", "Board member", dk_front[1]}
    assert any(gap["perception"] in r for r in rows)

    pdf = client.get(url_of(engagement, survey, "/report.pdf"))
    text = " ".join(pdf_text(pdf.data).split())
    assert "Levels and agreement" in text and "Do the levels differ? ICC(1) and ICC(2)" in text
    assert "Agreement within each level (r_wg)" in text
    assert "“Don’t know” answers" in text and "By statement" in text
    assert "The board sees executive sponsorship as much stronger than the front line" in text
    assert "resistance" not in text


def test_small_levels_hide_their_counts_and_agreement_in_every_output(client, engagement, released):
    survey = released
    view = survey_results.build(engagement, survey)
    executive = next(r for r in view.level_rows if r.key == "executive")
    assert executive.suppressed and executive.dont_know == () and executive.rwg == ()
    for d in view.dimensions:
        assert next(a for a in d.within if a.level == "executive").rwg is None
    for item in view.dont_know_items:
        assert item.by_level[[r.key for r in view.level_rows].index("executive")] is None
    # the stored release itself holds no figure for the executives or the managers
    stored = db.session.scalar(select(SurveyRelease).where(SurveyRelease.survey_id == survey.id))
    level = stored.data["result"]["tables"]["level"]
    assert [c["segment"]["level"] for c in level["cells"]] == ["board", "front_line"]
    assert level["suppressed"] == [{"level": "executive"}, {"level": "middle_management"}]
    # what the overall count leaves after the published levels is both hidden levels
    # together (6 >= k): their "don't know" total describes no group under k
    result = stored.data["result"]
    rest = result["overall"]["n"] - sum(c["n"] for c in level["cells"])
    assert rest == 6 >= survey.min_cell
    rest_dk = result["overall"]["dont_know_items"]["spons_2"] - sum(
        c["dont_know_items"]["spons_2"] for c in level["cells"]
    )
    assert rest_dk == 6  # the executives' 3 and the managers' 3, never one of them alone
    text = pdf_text(build_readiness_report(view))
    assert "hidden" in text


def test_a_release_from_before_the_statistics_still_renders(client, engagement, released):
    survey = released
    release = db.session.scalar(select(SurveyRelease).where(SurveyRelease.survey_id == survey.id))
    data = copy.deepcopy(release.data)
    result = data["result"]
    result.pop("icc")
    for cell in [result["overall"], *[c for t in result["tables"].values() for c in t["cells"]]]:
        cell.pop("dont_know", None)
        cell.pop("dont_know_items", None)
    release.data = data
    flag_modified(release, "data")
    db.session.commit()
    page = client.get(url_of(engagement, survey, "/results"))
    assert page.status_code == 200
    words = text_of(page.get_data(as_text=True))
    assert "ICC(1) and ICC(2) were not computed for this release" in words
    assert "“Don’t know” answers" not in words
    assert "Agreement: Board" in words  # within-level r_wg was stored all along
    assert release_json(client, engagement, survey)["dont_know_items"] == []
    pdf = client.get(url_of(engagement, survey, "/report.pdf"))
    assert pdf.status_code == 200 and "were not computed" in pdf_text(pdf.data)
    assert client.get(url_of(engagement, survey, "/results.csv")).status_code == 200


def test_a_v1_round_still_scores_and_renders(app, client, auth, consultant, engagement):
    auth.login(consultant.email)
    open_round(auth, engagement)
    survey = latest_round(engagement)
    # a round opened before v2 existed: it keeps v1, the version its answers were given to
    survey.instrument_version, survey.instrument_hash = 1, V1.content_hash
    db.session.commit()
    assert surveys.instrument_of(survey).content_hash == V1.content_hash
    rng = np.random.default_rng(5)
    people = [person(rng, V1, "board", 0.8) for _ in range(5)]
    people += [person(rng, V1, "front_line", 0.3) for _ in range(6)]
    add(survey, V1, people, rng)
    stored = db.session.scalars(
        select(Result).join(Assignment).where(Assignment.survey_id == survey.id)
    ).all()
    assert len(stored) == 11 and all("dont_know" not in r.data for r in stored)
    assert all(r.instrument_hash == V1.content_hash for r in stored)
    release = survey_releases.release(consultant, survey)
    db.session.commit()
    assert release.included == 11
    html = client.get(url_of(engagement, survey, "/results")).get_data(as_text=True)
    words = text_of(html)
    assert "Levels and agreement" in words and "ICC(1)" in words
    assert "“Don’t know” answers" not in words  # v1 offered none, so nothing is counted
    assert "The board sees" in words
    pdf = client.get(url_of(engagement, survey, "/report.pdf"))
    assert pdf.status_code == 200 and "Levels and agreement" in pdf_text(pdf.data)
    assert release_json(client, engagement, survey)["survey"]["instrument"]["version"] == 1


def test_the_demo_round_shows_dont_know_counts(consultant, engagement):
    """The demo uses v2; front-line staff answer "don't know" about the board, and the
    report shows those counts next to ICC and agreement within levels."""
    from assessor.demo.readiness import load_readiness_demo

    survey = load_readiness_demo({"consultant": consultant}, engagement)
    assert survey.instrument_version == 2
    view = survey_results.build(engagement, survey)
    assert view.release is not None and view.release.included == view.release.submitted == 60
    front = next(r for r in view.level_rows if r.key == "front_line")
    board = next(r for r in view.level_rows if r.key == "board")
    sponsorship = [d.key for d in view.dimensions].index("sponsorship")
    assert front.dont_know[sponsorship] > 10 and board.dont_know[sponsorship] == 0
    spons_2 = next(i for i in view.dont_know_items if i.key == "spons_2")
    assert spons_2.total and spons_2.by_level[-1] == spons_2.total - sum(spons_2.by_level[:-1])
    assert all(d.icc1 is not None for d in view.dimensions)
    text = " ".join(pdf_text(build_readiness_report(view)).split())
    assert "“Don’t know” answers" in text and "The board sees executive sponsorship" in text
