"""Stored standings: every change is stored in its own transaction, equal to a fresh
recomputation, and shows on the dashboard at once (both databases).

The dashboard, candidate page, PDF and exports read the stored standings; a
service that forgets to store what it changed leaves the recruiter looking at
stale figures, so each change is checked against a rebuild from scratch.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import delete, select

import questionnaires
from assessor.demo import _answer_pages, add_scored_candidates, synthetic_answers
from assessor.extensions import db
from assessor.models import (
    Assignment,
    CandidateStanding,
    Engagement,
    Interview,
    Result,
    RoleProfileVersion,
    utcnow,
)
from assessor.services import (
    board,
    candidates,
    invitations,
    privacy,
    profiles,
    responses,
    results,
    standings,
)
from scoring.fit import compute_fit
from scoring.profiles import CLUSTERS, SCALE_CLUSTER, default_profile
from tests.assessor.participants import answer_all
from tests.conftest import Auth

INSTRUMENT = questionnaires.latest("cco_candidate")
KIT = questionnaires.latest("interview_kit")
#: every competency (kit v2's culture-fit rating is per board value, not a competency)
TOP_RATINGS = {i.scale: 5 for i in KIT.items if i.type == "rating" and i.scale != "culture_fit"}


def stored(engagement):
    """Everything the pages read about the engagement's candidates, as stored."""
    db.session.expire_all()
    row = db.session.get(Engagement, engagement.id)
    counts = (row.candidate_counts, row.score_counts)
    scores = db.session.execute(
        select(Assignment.id, Assignment.score, Assignment.is_scored, Assignment.is_flagged)
        .where(Assignment.engagement_id == engagement.id)
        .order_by(Assignment.id)
    ).all()
    columns = [c for c in CandidateStanding.__table__.columns if c.name != "computed_at"]
    rows = db.session.execute(
        select(*columns)
        .where(CandidateStanding.engagement_id == engagement.id)
        .order_by(CandidateStanding.assignment_id)
    ).all()
    return counts, [tuple(r) for r in scores], [tuple(r) for r in rows]


def fresh(engagement):
    """What a rebuild from scratch stores (norm, every standing, the counts)."""
    standings.rebuild(db.session.get(Engagement, engagement.id))
    db.session.flush()
    return stored(engagement)


def dashboard(client, engagement, query=""):
    response = client.get(f"/engagements/{engagement.id}/candidates{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def count(html, label):
    """The number next to a status filter, e.g. ``Shortlisted <span class="count">1</span>``."""
    match = re.search(rf">{label} <span class=\"count\">(\d+)</span>", html)
    assert match, f"no filter {label!r}"
    return int(match.group(1))


def row_of(html, name):
    rows = [r.split("</tr>", 1)[0] for r in html.split("<tr>")[1:]]
    found = [r for r in rows if f">{name}</a>" in r]
    assert len(found) == 1, f"{name!r} is in {len(found)} rows"
    return found[0]


def fit_of(row):
    match = re.search(r'<strong class="fit">(\d+)</strong>', row)
    return match and match.group(1)


def rank_of(row):
    return re.findall(r"<td>(.*?)</td>", row, re.S)[1]


def post_setting(auth, engagement, setting, data):
    """Post one of the dashboard's settings forms (interview weight, role profile)."""
    path = f"/engagements/{engagement.id}"
    response = auth.post(f"{path}/{setting}", data, form_page=f"{path}/candidates")
    assert response.status_code == 302


def board_approves(make_user, engagement):
    """The recruiter's profile choice is a proposal: a board member of the engagement
    approves it, which is when it re-ranks the candidates."""
    member = make_user("board", member_of=engagement)
    pending = board.proposal(db.session.get(Engagement, engagement.id))
    assert pending is not None
    board.approve(member, pending)
    db.session.commit()


def move(auth, engagement, assignment, action):
    page = f"/engagements/{engagement.id}/candidates/{assignment.id}"
    response = auth.post(f"{page}/move", {"action": action}, form_page=f"{page}/interview")
    assert response.status_code == 302


@pytest.fixture
def world(completed, make_user):
    """The two completed candidates plus one at every other stage, and a pending proposal."""
    recruiter, engagement, (strong, weak) = completed
    rng = np.random.default_rng(5)
    answers = synthetic_answers(INSTRUMENT, rng, {"_base": 0.6})
    invited = invitations.invite(recruiter, engagement, "Ann Invited", "ann@example.com")
    started = invitations.invite(recruiter, engagement, "Ben Started", "ben@example.com")
    _answer_pages(started, INSTRUMENT, answers, rng, pages=1)
    answered = invitations.invite(recruiter, engagement, "Cleo Answered", "cleo@example.com")
    _answer_pages(answered, INSTRUMENT, answers, rng, pages=None)
    stale = invitations.invite(recruiter, engagement, "Dora Stale", "dora@example.com")
    stale.expires_at = utcnow() - timedelta(days=200)
    proposal = RoleProfileVersion(
        engagement_id=engagement.id,
        version=2,
        data=default_profile("board_strategist").to_dict(),
        source="board",
        status="proposed",
        is_current=False,
    )
    db.session.add(proposal)
    db.session.commit()
    board_user = make_user("board", member_of=engagement)
    return SimpleNamespace(**locals())  # world.invited, world.proposal, ...


MUTATIONS = {
    "invite": lambda w: invitations.invite(w.recruiter, w.engagement, "Eve New", "eve@example.com"),
    "import_csv": lambda w: invitations.import_csv(
        w.recruiter, w.engagement, b"name,email\nFay Csv,fay@example.com\n"
    ),
    "extend": lambda w: invitations.extend(w.recruiter, w.invited, 7),
    "revoke": lambda w: invitations.revoke(w.recruiter, w.invited),
    "reissue": lambda w: invitations.reissue(w.recruiter, w.invited),
    "first_page_save": lambda w: _answer_pages(w.invited, INSTRUMENT, w.answers, w.rng, pages=1),
    "submit": lambda w: responses.submit(w.answered),
    "compute_and_store": lambda w: results.compute_and_store(w.strong),
    "move": lambda w: candidates.move(w.recruiter, w.strong, "shortlist"),
    "record_interview": lambda w: candidates.record_interview(
        w.recruiter, w.weak, KIT, "Ines Board", TOP_RATINGS, ""
    ),
    "set_interview_weight": lambda w: candidates.set_interview_weight(w.recruiter, w.engagement, 0),
    "set_profile": lambda w: profiles.set_profile(
        w.recruiter, w.engagement, default_profile("influence_leader")
    ),
    "set_archetype": lambda w: profiles.set_archetype(
        w.recruiter, w.engagement, "board_strategist"
    ),
    "board_adjust": lambda w: board.adjust(
        w.recruiter, w.proposal, {c: 100 / len(CLUSTERS) for c in CLUSTERS}, {}, "board_strategist"
    ),
    "board_approve": lambda w: board.approve(w.board_user, w.proposal),
    "erase": lambda w: privacy.erase(w.recruiter, w.weak),
    "purge_unanswered": lambda w: privacy.purge_unanswered(90),
    "add_scored_candidates": lambda w: add_scored_candidates(w.engagement, 2),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_every_change_is_stored_as_a_rebuild_would_store_it(world, mutate):
    """A service that forgets to store what it moved leaves every page stale."""
    mutate(world)
    db.session.commit()
    assert stored(world.engagement) == fresh(world.engagement)


def test_other_participants_leave_the_candidates_alone(world):
    """Board members and readiness respondents are not listed: their saves move no count."""
    for kind in ("board_member", "respondent"):
        before = stored(world.engagement)
        other = invitations.invite(
            world.recruiter, world.engagement, f"Some {kind}", f"{kind}@example.com", kind=kind
        )
        instrument = responses.instrument_of(other)
        responses.consent(other)
        section = instrument.sections[0]
        responses.save_page(other, section, {}, 10.0, strict=False)
        db.session.commit()
        assert db.session.get(Assignment, other.id).status == "in_progress"
        after = stored(world.engagement)
        assert after[0] == before[0] and after[2] == before[2], kind


def test_without_a_norm_group_there_is_no_percentile_and_the_bands_are_assumed(completed):
    _recruiter, _engagement, people = completed
    for person in people:  # nothing to compare with: no percentile, and no NaN stored
        standing = db.session.get(CandidateStanding, person.id)
        assert standing.norm_group_id is None and standing.norm_n == 0
        assert {v["percentile"] for v in standing.scales.values()} == {None}
        assert all(v["pomp"] is not None for v in standing.scales.values())
        # bands from the documented assumption (r .80, SD 15): ±1.645·6.7 around each score
        half = 1.645 * standings.default_sem()
        empathy = standing.scales["empathy"]
        assert empathy["high"] - empathy["low"] == pytest.approx(2 * half, abs=1.01)
        # the one-item experience checklist gets no band of its own
        assert standing.scales["experience"]["low"] is None


def test_pipeline_moves_show_at_once(client, auth, completed):
    """Status text, filter counts and the filtered views follow a move."""
    recruiter, engagement, (strong, weak) = completed
    auth.login(recruiter.email)
    html = dashboard(client, engagement)
    assert (count(html, "Completed"), count(html, "Shortlisted")) == (2, 0)
    link = re.search(r'<a href="([^"]+)">Strong Candidate</a>', html).group(1)
    assert client.get(link).status_code == 200 and link.endswith(f"/{strong.id}")
    assert "Strong Candidate" in dashboard(client, engagement, "?status=completed")
    move(auth, engagement, strong, "shortlist")
    move(auth, engagement, weak, "reject")
    html = dashboard(client, engagement)
    assert 'status-shortlisted">shortlisted<' in row_of(html, "Strong Candidate")
    assert 'status-rejected">rejected<' in row_of(html, "Weak Candidate")
    assert [count(html, s) for s in ("Completed", "Shortlisted", "Rejected")] == [0, 1, 1]
    assert "No candidates in this view yet." in dashboard(client, engagement, "?status=completed")
    shortlisted = dashboard(client, engagement, "?status=shortlisted")
    assert ">Strong Candidate</a>" in shortlisted and ">Weak Candidate</a>" not in shortlisted


def test_invited_and_revoked_candidates_show_at_once(client, auth, completed):
    """A new row and a withdrawn link appear without waiting for the cache to age out."""
    recruiter, engagement, _people = completed
    auth.login(recruiter.email)
    assert count(dashboard(client, engagement), "All") == 2
    response = auth.post(
        f"/engagements/{engagement.id}/candidates/invite",
        {"invite-name": "Maria Lindqvist", "invite-email": "maria@example.com"},
        form_page=f"/engagements/{engagement.id}/candidates",
    )
    assert response.status_code == 302
    html = dashboard(client, engagement)
    assert 'status-invited">invited<' in row_of(html, "Maria Lindqvist")
    assert (count(html, "All"), count(html, "Invited")) == (3, 1)
    maria = db.session.scalar(select(Assignment).where(Assignment.email == "maria@example.com"))
    page = f"/engagements/{engagement.id}/candidates/{maria.id}"
    assert auth.post(f"{page}/link", {"action": "revoke"}, form_page=page).status_code == 302
    html = dashboard(client, engagement)
    assert 'status-revoked">revoked<' in row_of(html, "Maria Lindqvist")
    assert count(html, "Invited") == 0


def test_weight_and_profile_changes_show_the_new_fit(client, auth, completed, make_user):
    """The rows show what a freshly built pool says, after each change of how fit is made."""
    recruiter, engagement, people = completed
    candidates.record_interview(recruiter, people[1], KIT, "Ines Board", TOP_RATINGS, "")
    db.session.commit()
    auth.login(recruiter.email)

    def shown():
        html = dashboard(client, engagement)
        return html, {a.name: fit_of(row_of(html, a.name)) for a in people}

    def recomputed():
        """The fit computed here from the stored results, as scoring.fit defines it."""
        engagement_row = db.session.get(Engagement, engagement.id)
        _version, profile = profiles.current_profile(engagement_row)
        scales = [s.key for s in INSTRUMENT.scales]
        data = {
            a.id: db.session.scalar(select(Result.data).where(Result.assignment_id == a.id))
            for a in people
        }
        pomp = np.array([[data[a.id]["scales"][s]["pomp"] for s in scales] for a in people])
        ratings = {}
        for interview in db.session.scalars(select(Interview)):
            for scale, value in interview.ratings.items():
                ratings.setdefault((interview.assignment_id, scale), []).append(value)
        interview = np.array(
            [[np.mean(ratings.get((a.id, s), [np.nan])) for s in scales] for a in people]
        )
        fit = compute_fit(
            pomp,
            scales,
            profile,
            scale_clusters=SCALE_CLUSTER,
            interview=interview,
            interview_weight=engagement_row.interview_weight,
        )
        return {a.name: f"{math.floor(fit.score[i] + 0.5)}" for i, a in enumerate(people)}

    _, blended = shown()
    assert blended == recomputed()
    post_setting(auth, engagement, "interview-weight", {"weight-interview_weight": "0"})
    _, test_only = shown()
    assert test_only == recomputed() and test_only["Weak Candidate"] != blended["Weak Candidate"]
    post_setting(auth, engagement, "profile", {"profile-archetype": "board_strategist"})
    assert shown()[1] == test_only  # proposed only: the ranking waits for the board
    board_approves(make_user, engagement)
    html, strategist = shown()
    assert "Ranked against\n  <strong>v2 " in html
    assert strategist == recomputed() and strategist != test_only


def test_erasure_shows_at_once_and_reranks(client, auth, completed):
    """No erased name may linger in a cached row, and the others' ranks close up."""
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    html = dashboard(client, engagement)
    assert rank_of(row_of(html, "Weak Candidate")) == "2"
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    response = auth.post(f"{page}/erase", {"confirm": "yes"}, form_page=page)
    assert response.status_code == 302
    html = dashboard(client, engagement)
    assert "Strong Candidate" not in html and "strong@example.com" not in html
    assert "(erased record)" in html and count(html, "Completed") == 1
    assert rank_of(row_of(html, "Weak Candidate")) == "1"


def test_progress_is_live(app, client, auth, make_user, make_engagement):
    """A later page moves "NN% done" on the dashboard at once."""
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    ann = invitations.invite(recruiter, engagement, "Ann Answering", "ann@example.com")
    db.session.commit()
    auth.login(recruiter.email)
    assert 'status-invited">invited<' in row_of(dashboard(client, engagement), "Ann Answering")
    candidate = app.test_client()
    link = "/r/" + invitations.link_token(ann)
    answers = synthetic_answers(INSTRUMENT, np.random.default_rng(9), {"_base": 0.6})
    answer_all(candidate, link, INSTRUMENT, answers, stop_after=1)
    row = row_of(dashboard(client, engagement), "Ann Answering")
    assert 'status-in_progress">in progress<' in row
    first = int(re.search(r"(\d+)% done", row).group(1))
    assert answer_all(candidate, link, INSTRUMENT, answers, stop_after=1)
    row = row_of(dashboard(client, engagement), "Ann Answering")
    assert int(re.search(r"(\d+)% done", row).group(1)) > first > 0


def test_engagements_never_see_each_others_rows(app, make_user, make_engagement):
    """Two firms' engagements of the same shape stay apart in rows and counts."""
    sides = []
    for own in ("Olga Northwind", "Piet Southgate"):
        recruiter = make_user("recruiter")  # each in an organisation of its own
        engagement = make_engagement(owner=recruiter)
        add_scored_candidates(engagement, 2)
        invitations.invite(recruiter, engagement, own, "same@example.com")
        stmt = select(Assignment.name).where(Assignment.engagement_id == engagement.id)
        names = set(db.session.scalars(stmt))
        client = app.test_client()
        Auth(client).login(recruiter.email)
        sides.append((client, engagement, names))
    db.session.commit()
    (_a, _ea, names_a), (_b, _eb, names_b) = sides
    assert len(names_a) == len(names_b) == 3 and not names_a & names_b
    for (client, engagement, own), other in zip(sides, (names_b, names_a), strict=True):
        html = dashboard(client, engagement)
        assert all(f">{n}</a>" in html for n in own)
        assert not any(f">{n}</a>" in html for n in other)
        assert count(html, "All") == 3 and count(html, "Completed") == 2


def test_a_superseded_chart_is_gone_after_a_change(client, auth, completed, make_user):
    """The candidate page's charts are kept per candidate; a change that redraws them
    replaces the entry at once instead of keeping the old drawing beside it."""
    from assessor.blueprints import recruiter as recruiter_views

    recruiter, engagement, (strong, _weak) = completed
    cache = recruiter_views._CHARTS
    cache.clear()
    auth.login(recruiter.email)
    page = f"/engagements/{engagement.id}/candidates/{strong.id}"
    first = client.get(page).get_data(as_text=True)
    assert len(cache) == 1
    radar, bars = cache._entries[strong.id][1]
    assert radar in first and bars in first
    assert radar in client.get(page).get_data(as_text=True)  # same inputs: kept
    assert cache._entries[strong.id][1] == (radar, bars)
    post_setting(auth, engagement, "profile", {"profile-archetype": "board_strategist"})
    board_approves(make_user, engagement)
    second = client.get(page).get_data(as_text=True)
    assert len(cache) == 1 and cache.bytes == sum(len(p) for p in cache._entries[strong.id][1])
    assert radar not in second and radar not in cache._entries[strong.id][1]


def test_changes_at_the_same_time_keep_the_stored_figures_right(own_app):
    """A profile change restating everyone, a move, an erasure, an invitation and a
    submission, all at once and in separate transactions: none fails (no deadlock on
    PostgreSQL, whose writers run side by side), and what is stored afterwards is
    what a rebuild from scratch stores."""
    import threading

    from assessor.database import writing
    from assessor.services import accounts, engagements

    with own_app.app_context():
        org = accounts.create_organisation("Busy Search")
        recruiter = accounts.create_user(
            org, "busy@example.com", "Busy", "recruiter", "busy-plum-lantern"
        )
        engagement = engagements.create_engagement(recruiter, "Client", "CCO")
        add_scored_candidates(engagement, 12)
        people = list(
            db.session.scalars(
                select(Assignment.id).where(Assignment.engagement_id == engagement.id)
            )
        )
        rng = np.random.default_rng(21)
        waiting = []
        for k in range(3):
            person = invitations.invite(recruiter, engagement, f"Late {k}", f"late{k}@x.example")
            _answer_pages(person, INSTRUMENT, synthetic_answers(INSTRUMENT, rng), rng, pages=None)
            waiting.append(person.id)
        invited = [
            invitations.invite(recruiter, engagement, f"Fresh {k}", f"fresh{k}@x.example").id
            for k in range(3)
        ]
        db.session.commit()
        ids = SimpleNamespace(recruiter=recruiter.id, engagement=engagement.id)

    def in_transaction(change):
        def run():
            with own_app.app_context(), writing():  # as the POST that makes the change
                try:
                    actor = db.session.get(type(recruiter), ids.recruiter)
                    change(actor, db.session.get(Engagement, ids.engagement))
                    db.session.commit()
                except BaseException as exc:  # reported below, with the change's name
                    failures.append((change.__name__, repr(exc)))
                    db.session.rollback()
                finally:
                    db.session.remove()

        return run

    def archetype(actor, e):
        profiles.set_archetype(actor, e, "board_strategist")

    def weight(actor, e):
        candidates.set_interview_weight(actor, e, 10)

    def shortlist(actor, _e):
        candidates.move(actor, db.session.get(Assignment, people[0]), "shortlist")

    def erase(actor, _e):
        privacy.erase(actor, db.session.get(Assignment, people[1]))

    def invite(actor, e):
        invitations.invite(actor, e, "New Face", "new@x.example")

    def submit_one(k):
        def submit(_actor, _e):
            person = db.session.get(Assignment, waiting[k])
            assert responses.submit(person) == []
            results.compute_and_store(person)

        submit.__name__ = f"submit_{k}"
        return submit

    def reject(actor, _e):
        candidates.move(actor, db.session.get(Assignment, invited[0]), "reject")

    def revoke(actor, _e):
        invitations.revoke(actor, db.session.get(Assignment, invited[1]))

    def first_page(_actor, _e):
        person = db.session.get(Assignment, invited[2])
        responses.consent(person)
        responses.save_page(person, INSTRUMENT.sections[0], {}, 5.0, strict=False)

    failures: list[tuple[str, str]] = []
    changes = [archetype, weight, shortlist, erase, invite, reject, revoke, first_page]
    changes += [submit_one(k) for k in range(3)]
    threads = [threading.Thread(target=in_transaction(c)) for c in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with own_app.app_context():
        engagement = db.session.get(Engagement, ids.engagement)
        assert stored(engagement) == fresh(engagement)
        assert engagement.candidate_counts["completed"] == 12 - 2 + 3
        db.session.rollback()


def test_ranks_are_competition_ranks_of_the_stored_scores(make_user, make_engagement):
    """1 + the candidates scored higher, ties sharing a rank: as scoring.fit.rank has it."""
    from scoring.fit import rank

    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    profiles.set_archetype(recruiter, engagement, "operating_executive")
    add_scored_candidates(engagement, 30)  # 8 answer patterns: many ties
    scores = list(
        db.session.scalars(
            select(Assignment.score).where(Assignment.engagement_id == engagement.id)
        )
    )
    assert len(set(scores)) < len(scores)
    db.session.expire_all()
    engagement = db.session.get(Engagement, engagement.id)
    assert standings.ranks(engagement, scores) == rank(np.array(scores, dtype=float)).tolist()
    assert standings.ranks(engagement, [None, 101.0, -1.0]) == [None, 1, 31]


def test_a_self_report_rosier_than_the_interviews_is_flagged_with_its_reason(completed):
    """Self − interview above 15 points on average over at least 3 competencies adds a
    response-quality reason (and the flag); interviews that agree add nothing."""
    recruiter, _engagement, (strong, weak) = completed
    kit = questionnaires.latest("interview_kit")
    scales = ["empathy", "service", "metrics", "influence"]
    standing = db.session.get(CandidateStanding, strong.id)
    self_mean = float(np.mean([standing.scales[s]["pomp"] for s in scales]))
    assert self_mean > 40  # the strong candidate describes themself well
    candidates.record_interview(recruiter, strong, kit, "Ines", dict.fromkeys(scales, 1), "")
    weak_standing = db.session.get(CandidateStanding, weak.id)
    agreeing = {s: max(1, min(5, round(1 + weak_standing.scales[s]["pomp"] / 25))) for s in scales}
    candidates.record_interview(recruiter, weak, kit, "Ines", agreeing, "")
    db.session.commit()
    rosy = db.session.get(CandidateStanding, strong.id)
    reason = next(r for r in rosy.quality_reasons if r.startswith("Self-report above"))
    assert f"{self_mean:.0f} points higher on average over 4 competencies" in reason
    assert "flagged above 15" in reason
    db.session.refresh(strong)
    assert strong.is_flagged
    honest = db.session.get(CandidateStanding, weak.id)
    assert not any(r.startswith("Self-report above") for r in honest.quality_reasons)


def test_init_db_stores_again_the_standings_an_upgrade_cleared(completed):
    """Migration 0010 clears the stored standings (derived data); backfill restores them
    exactly as a rebuild would."""
    _recruiter, engagement, _people = completed
    before = fresh(engagement)
    db.session.execute(delete(CandidateStanding))
    assert standings.backfill() == 1
    db.session.flush()
    assert stored(engagement)[2] == before[2]
    assert standings.backfill() == 0  # nothing left to fill
