"""One number everywhere: the page, the ranking, the compare view, the PDF, the CSV and the
JSON show the same score, band, label, rank, competency scores and percentiles for the same
candidates, after interviews moved the scores, against a norm group."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re

import numpy as np
import pytest
from pypdf import PdfReader

from assessor.demo.archive import add_past_candidates
from assessor.extensions import db
from assessor.models import CandidateStanding
from assessor.services import board, candidates, norm_groups
from tests.assessor.test_standings import TOP_RATINGS, board_approves

KIT = "interview_kit"


@pytest.fixture
def shortlist(completed, make_user):
    """Two candidates against a norm group; the weaker one interviewed twice, so the score
    shown is a blend with its own band and the assessment's fit differs from it."""
    import questionnaires

    recruiter, engagement, people = completed
    admin = make_user("admin", organisation=recruiter.organisation)
    add_past_candidates(engagement, 1, 45, rng=np.random.default_rng(5), consent_share=1.0)
    norm_groups.build(admin, norm_groups.CANDIDATE_INSTRUMENT, 1)
    kit = questionnaires.latest(KIT)
    low = {key: 2 for key in TOP_RATINGS}
    candidates.record_interview(recruiter, people[1], kit, "Ines Board", TOP_RATINGS, "")
    candidates.record_interview(recruiter, people[1], kit, "Ole Panel", low, "")
    db.session.commit()
    return recruiter, engagement, people


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_figures(client, engagement, person) -> dict:
    page = client.get(f"/engagements/{engagement.id}/candidates/{person.id}").get_data(as_text=True)
    fit = re.search(r'<p class="fit-big">(\d+)<', page).group(1)
    band = re.search(r'<span class="score-band">(\d+)–(\d+)</span>', page).groups()
    label = re.search(r'<span class="band band-\w+">([^<]+)</span> · rank (\d+)', page).groups()
    scales = dict(
        re.findall(
            r'<tr data-scale="(\w+)">\s*<th scope="row">[^<]+</th>\s*<td class="pomp">(\d+)</td>',
            page,
        )
    )
    percentiles = dict(
        re.findall(r'<tr data-scale="(\w+)">.*?<td class="percentile">(\d+)', page, re.S)
    )
    standard = dict(
        (key, (t, sten))
        for key, t, sten in re.findall(
            r'<tr data-scale="(\w+)">.*?<td class="t">(\d+)</td>\s*<td class="sten">(\d+)</td>',
            page,
            re.S,
        )
    )
    return {
        "standard": standard,
        "fit": fit, "low": band[0], "high": band[1], "band": label[0], "rank": label[1],
        "scales": scales, "percentiles": percentiles,
    }  # fmt: skip


def test_every_place_shows_the_same_figures(client, auth, shortlist):
    recruiter, engagement, people = shortlist
    auth.login(recruiter.email)
    on_page = {p.id: page_figures(client, engagement, p) for p in people}
    blended = on_page[people[1].id]
    assert len(blended["scales"]) >= 14 and len(blended["percentiles"]) >= 10

    # the ranking
    listing = client.get(f"/engagements/{engagement.id}/candidates").get_data(as_text=True)
    for person in people:
        row = next(r for r in listing.split("<tr>") if f">{person.name}</a>" in r)
        shown = on_page[person.id]
        cells = re.search(
            r'<strong class="fit">(\d+)</strong> <span class="small muted">\((\d+)–(\d+)\)</span>'
            r'<br><span class="band band-\w+">([^<]+)</span>',
            row,
        ).groups()
        assert cells == (shown["fit"], shown["low"], shown["high"], shown["band"])
        assert re.findall(r"<td>(.*?)</td>", row, re.S)[1].strip() == shown["rank"]

    # the compare view
    ids = "&".join(f"ids={p.id}" for p in people)
    compare = client.get(f"/engagements/{engagement.id}/compare?{ids}").get_data(as_text=True)
    fit_row = compare.split('<tr class="fit-row">')[1].split("</tr>")[0]
    cells = re.findall(r"<td>(\d+) <span class=\"band band-\w+\">([^<]+)</span></td>", fit_row)
    assert cells == [(on_page[p.id]["fit"], on_page[p.id]["band"]) for p in people]

    # the CSV
    export = client.get(f"/engagements/{engagement.id}/export.csv").get_data(as_text=True)
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(export))}
    instrument = __import__("questionnaires").load("cco_candidate", 1)
    names = {s.key: s.name for s in instrument.scales}
    for person in people:
        r, shown = rows[person.name], on_page[person.id]
        assert (r["score"], r["score_low"], r["score_high"], r["band"], r["rank"]) == (
            shown["fit"], shown["low"], shown["high"], shown["band"], shown["rank"],
        )  # fmt: skip
        for key, value in shown["scales"].items():
            assert r[names[key]] == value, key
        for key, value in shown["percentiles"].items():
            assert r[f"{names[key]} percentile"] == value, key

    # the JSON
    for person in people:
        body = client.get(f"/engagements/{engagement.id}/candidates/{person.id}.json")
        data, shown = json.loads(body.get_data(as_text=True)), on_page[person.id]
        assert [f"{data[k]:.0f}" for k in ("fit", "fit_low", "fit_high")] == [
            shown["fit"], shown["low"], shown["high"],
        ]  # fmt: skip
        assert data["fit_band"] == shown["band"]
        competencies = {c["key"]: c for c in data["competencies"]}
        for key, value in shown["scales"].items():
            assert f"{competencies[key]['pomp']:.0f}" == value
        for key, value in shown["percentiles"].items():
            assert f"{competencies[key]['percentile']:.0f}" == value
        assert len(shown["standard"]) >= 10
        for key, (t, sten) in shown["standard"].items():
            assert (f"{competencies[key]['t']:.0f}", f"{competencies[key]['sten']:.0f}") == (
                t,
                sten,
            )

    # the PDF
    for person in people:
        pdf = client.get(f"/engagements/{engagement.id}/candidates/{person.id}.pdf").get_data()
        text = " ".join(
            " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
        )
        shown = on_page[person.id]
        assert f"{shown['fit']} / 100" in text
        assert f"90% band {shown['low']}–{shown['high']}" in text
        assert shown["band"].capitalize() in text
        for key, value in shown["scales"].items():
            assert re.search(re.escape(names[key]) + r"\s+" + value + r"\b", text), key
            if key in shown["percentiles"]:  # the table's row: score, band, percentile
                row = (
                    re.escape(names[key]) + r"\D*?\s(\d+) (?:\d+)?–(?:\d+)? (\d+)(?:st|nd|rd|th) \("
                )
                found = re.search(row, text)
                assert found.groups() == (value, shown["percentiles"][key]), key

    # the blended score sits inside its own band, and the assessment alone is shown apart
    assert int(blended["low"]) <= int(blended["fit"]) <= int(blended["high"])
    standing = db.session.get(CandidateStanding, people[1].id)
    assert standing.score_source == "blended" and standing.fit != float(blended["fit"])
    assert standing.fit_low <= standing.fit <= standing.fit_high


def test_the_percentile_interval_and_the_shown_score_survive_a_profile_change(
    client, auth, shortlist, make_user
):
    """After the board approves another profile every place moves together."""
    recruiter, engagement, people = shortlist
    auth.login(recruiter.email)
    before = {p.id: page_figures(client, engagement, p) for p in people}
    board.propose_archetype(recruiter, engagement, "board_strategist")
    db.session.commit()
    board_approves(make_user, engagement)
    after = {p.id: page_figures(client, engagement, p) for p in people}
    assert after != before
    export = client.get(f"/engagements/{engagement.id}/export.csv").get_data(as_text=True)
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(export))}
    for person in people:
        assert rows[person.name]["score"] == after[person.id]["fit"]
        assert rows[person.name]["band"] == after[person.id]["band"]
