"""Norm groups: consent, who is in a group, comparison without oneself, versions and
choices, provisional groups, tenancy, erasure, and the pages that build and choose them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import select

from assessor.config import ConfigError, bootstrap_resamples, norm_min_size
from assessor.demo.archive import add_past_candidates
from assessor.extensions import db
from assessor.models import (
    Assignment,
    AuditEvent,
    CandidateStanding,
    NormGroup,
    NormGroupMember,
    Result,
)
from assessor.services import norm_groups, privacy
from assessor.services.errors import NotFoundError, ServiceError
from scoring.norms import NORM_SIZE_FLOOR, group_standing
from scoring.reliability import N_BOOT
from tests.conftest import csrf_token_from

KEY = norm_groups.CANDIDATE_INSTRUMENT


@pytest.fixture
def firm(make_user, make_engagement):
    """A firm with an admin, a recruiter and two past searches of 40 version-1 candidates
    (half of one search did not agree to norms)."""
    admin = make_user("admin")
    recruiter = make_user("recruiter", organisation=admin.organisation)
    past = make_engagement(owner=recruiter, client_name="Fjordline Insurance")
    other = make_engagement(owner=recruiter, client_name="Castell Telecom")
    add_past_candidates(past, 1, 40, rng=np.random.default_rng(1), consent_share=1.0)
    add_past_candidates(other, 1, 40, rng=np.random.default_rng(2), consent_share=0.5)
    db.session.commit()
    return admin, recruiter, past, other


def test_the_sample_holds_consented_unflagged_results_of_the_version_only(firm):
    admin, _recruiter, past, other = firm
    before = norm_groups.collect_sample(admin.organisation_id, KEY, 1)
    flagged = db.session.scalars(
        select(Result).where(Result.assignment_id.in_(before.assignment_ids[:3]))
    ).all()
    for result in flagged:  # response-quality flags keep a result out of every norm
        result.data = {**result.data, "quality": {**result.data["quality"], "flagged": True}}
    db.session.flush()
    sample = norm_groups.collect_sample(admin.organisation_id, KEY, 1)
    consented = db.session.scalar(
        select(db.func.count()).where(
            Assignment.engagement_id.in_([past.id, other.id]),
            Assignment.norm_consent_at.is_not(None),
        )
    )
    assert sample.n == before.n - 3 and sample.excluded_flagged == before.excluded_flagged + 3
    assert sample.n + sample.excluded_flagged == consented
    assert sample.not_consented == 80 - consented
    assert sample.engagements == 2 and sample.clients == 2
    assert sample.matrix.shape[0] == sample.pomp.shape[0] == sample.n
    assert not {r.assignment_id for r in flagged} & set(sample.assignment_ids)
    # version 2 has none of these
    assert norm_groups.collect_sample(admin.organisation_id, KEY, 2).n == 0


def test_no_group_from_fewer_than_thirty(make_user, make_engagement):
    admin = make_user("admin")
    engagement = make_engagement(owner=admin)
    add_past_candidates(engagement, 1, NORM_SIZE_FLOOR - 1, consent_share=1.0)
    with pytest.raises(ServiceError, match=f"at least {NORM_SIZE_FLOOR} completed"):
        norm_groups.build(admin, KEY, 1)
    assert NORM_SIZE_FLOOR == 30
    assert db.session.scalar(select(db.func.count()).select_from(NormGroup)) == 0


def test_a_group_describes_itself_and_holds_its_reliability(firm):
    admin, _recruiter, _past, _other = firm
    group = norm_groups.build(admin, KEY, 1)
    d = group.description
    assert group.number == 1 and group.n == d["n"] and d["engagements"] == 2
    assert d["roles"] == [["CCO", group.n]] and d["first"] <= d["last"]
    empathy = group.data["scale"]["empathy"]
    assert sum(empathy["counts"]) == empathy["n"] == group.n
    evidence = empathy["evidence"]
    assert evidence["method"] == "alpha"
    assert evidence["alpha_low"] < evidence["alpha"] < evidence["alpha_high"]
    assert group.data["scale"]["experience"]["evidence"]["method"] == "single item"
    members = db.session.scalars(
        select(NormGroupMember).where(NormGroupMember.norm_group_id == group.id)
    ).all()
    assert len(members) == group.n
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "norms.build"))
    assert event.detail["n"] == group.n
    second = norm_groups.build(admin, KEY, 1)
    assert second.number == 2  # a new version; the first never changes


def test_a_member_is_compared_with_the_others_never_with_themselves(firm):
    admin, _recruiter, past, _other = firm
    group = norm_groups.build(admin, KEY, 1)
    member = db.session.scalar(
        select(NormGroupMember).where(NormGroupMember.norm_group_id == group.id).limit(1)
    )
    standing = db.session.get(CandidateStanding, member.assignment_id)
    assert standing.norm_group_id == group.id and standing.norm_n == group.n - 1
    column = group.data["scales"].index("empathy")
    own = member.scores[column]
    values = group.data["scale"]["empathy"]["values"]
    counts = group.data["scale"]["empathy"]["counts"]
    stored = db.session.scalar(
        select(Result.data).where(Result.assignment_id == member.assignment_id)
    )
    pomp = stored["scales"]["empathy"]["pomp"]  # as stored, before the one rounding
    expected = group_standing([pomp], values, counts, own=[own]).percentile[0]
    assert standing.scales["empathy"]["percentile"] == np.clip(np.floor(expected + 0.5), 1, 99)
    # the group the candidate is not in (a non-consenting one) compares with everyone
    outsider = db.session.scalar(
        select(Assignment).where(
            Assignment.engagement_id == past.id, Assignment.norm_consent_at.is_(None)
        )
    )
    if outsider is not None:
        assert db.session.get(CandidateStanding, outsider.id).norm_n == group.n


def test_an_engagement_keeps_its_chosen_group_while_others_follow_the_newest(firm, make_engagement):
    admin, recruiter, past, other = firm
    first = norm_groups.build(admin, KEY, 1)
    norm_groups.choose(recruiter, past, 1, first.id)
    add_past_candidates(other, 1, 30, rng=np.random.default_rng(3), consent_share=1.0)
    second = norm_groups.build(admin, KEY, 1)
    assert second.n > first.n
    pinned = db.session.scalars(
        select(CandidateStanding.norm_group_id).where(CandidateStanding.engagement_id == past.id)
    ).all()
    following = db.session.scalars(
        select(CandidateStanding.norm_group_id).where(CandidateStanding.engagement_id == other.id)
    ).all()
    assert set(pinned) == {first.id} and set(following) == {second.id}
    norm_groups.choose(recruiter, past, 1, None)  # follow the newest again
    assert norm_groups.group_for(past, 1).id == second.id
    with pytest.raises(ServiceError, match="another assessment version"):
        norm_groups.choose(recruiter, past, 2, first.id)


def test_a_small_group_is_provisional_and_says_why(firm, app):
    admin, _recruiter, _past, _other = firm
    group = norm_groups.build(admin, KEY, 1)
    assert group.n < 100 and norm_groups.is_provisional(group)
    note = norm_groups.comparison_note(group, 1)
    assert "Provisional" in note and "fewer than the 100" in note
    app.config["NORM_MIN_SIZE"] = 30
    assert "Provisional" not in norm_groups.comparison_note(group, 1)
    assert "No norm group" in norm_groups.comparison_note(None, 1)


@pytest.mark.parametrize("value", ["29", "0", "many", ""])
def test_the_minimum_size_is_never_under_thirty(value):
    with pytest.raises(ConfigError, match="at least 30"):
        norm_min_size(value)
    assert norm_min_size("30") == 30 and norm_min_size(" 250 ") == 250


@pytest.mark.parametrize("value", ["99", "-1", "x"])
def test_the_bootstrap_needs_a_hundred_resamples(value):
    with pytest.raises(ConfigError, match="at least 100"):
        bootstrap_resamples(value)
    assert bootstrap_resamples("100") == 100 and N_BOOT == 1000


def test_another_firms_candidates_and_groups_stay_out(firm, make_user, make_engagement):
    admin, recruiter, past, _other = firm
    stranger = make_user("admin")
    theirs = make_engagement(owner=stranger)
    add_past_candidates(theirs, 1, 35, rng=np.random.default_rng(9), consent_share=1.0)
    their_group = norm_groups.build(stranger, KEY, 1)
    mine = norm_groups.collect_sample(admin.organisation_id, KEY, 1)
    assert not set(mine.assignment_ids) & set(
        db.session.scalars(select(Assignment.id).where(Assignment.engagement_id == theirs.id))
    )
    with pytest.raises(NotFoundError):
        norm_groups.get_group(admin, their_group.id)
    with pytest.raises(NotFoundError):
        norm_groups.choose(recruiter, past, 1, their_group.id)
    assert norm_groups.newest(admin.organisation_id, KEY, 1) is None


def test_erasure_unlinks_the_candidate_and_leaves_the_built_group_alone(firm):
    admin, recruiter, _past, _other = firm
    group = norm_groups.build(admin, KEY, 1)
    member = db.session.scalar(
        select(NormGroupMember).where(NormGroupMember.norm_group_id == group.id).limit(1)
    )
    person = db.session.get(Assignment, member.assignment_id)
    data_before = dict(group.data)
    privacy.erase(recruiter, person)
    db.session.flush()
    assert member.assignment_id is None and person.norm_consent_at is None
    assert group.data == data_before and group.n == data_before["scale"]["empathy"]["n"]
    # and a group built after the erasure does not hold them
    later = norm_groups.build(admin, KEY, 1)
    assert later.n == group.n - 1


def test_the_consent_to_norms_is_separate_and_optional(client, completed):
    from assessor.services import invitations

    recruiter, engagement, _people = completed
    for agree in (False, True):
        person = invitations.invite(
            recruiter, engagement, f"Norm {agree}", f"norm{int(agree)}@example.com"
        )
        db.session.commit()
        path = f"/r/{invitations.link_token(person)}"
        page = client.get(path).get_data(as_text=True)
        assert "Optional: my scores may also be used, without my name" in page
        data = {"csrf_token": csrf_token_from(page), "consent": "yes"}
        if agree:
            data["norms"] = "yes"
        assert client.post(path, data=data).status_code == 302
        db.session.refresh(person)
        assert person.consented_at is not None
        assert (person.norm_consent_at is not None) is agree


def test_admins_build_groups_on_their_page_and_nobody_else_can(client, auth, firm):
    admin, recruiter, _past, _other = firm
    auth.login(recruiter.email)
    assert client.get("/admin/norms").status_code == 403
    auth.logout()
    auth.login(admin.email)
    page = client.get("/admin/norms").get_data(as_text=True)
    available = int(re.search(r'<strong class="available">(\d+)</strong>', page).group(1))
    assert available == norm_groups.collect_sample(admin.organisation_id, KEY, 1).n
    assert client.post("/admin/norms", data={"version": "1"}).status_code == 400  # no CSRF
    token = csrf_token_from(page)
    done = client.post("/admin/norms", data={"version": "1", "csrf_token": token})
    assert done.status_code == 302
    page = client.get("/admin/norms").get_data(as_text=True)
    assert "Group 1" in page and "provisional" in page and "α ." in page
    refused = client.post("/admin/norms", data={"version": "2", "csrf_token": token})
    assert refused.status_code == 400
    assert "needs at least 30 completed assessments" in refused.get_data(as_text=True)


def test_recruiters_choose_the_group_on_the_dashboard(client, auth, firm):
    admin, recruiter, past, _other = firm
    first = norm_groups.build(admin, KEY, 1)
    db.session.commit()
    auth.login(recruiter.email)
    path = f"/engagements/{past.id}/candidates"
    page = client.get(path).get_data(as_text=True)
    assert f"Version 1: keep group 1 ({first.n} candidates" in page
    token = csrf_token_from(page)
    done = client.post(
        f"/engagements/{past.id}/norm-group",
        data={"csrf_token": token, "norms-norm_group": f"1:{first.id}"},
    )
    assert done.status_code == 302
    assert norm_groups.choice_of(past, 1).norm_group_id == first.id
    # an option that is not offered (another firm's group, a made-up id) is a form error
    bad = client.post(
        f"/engagements/{past.id}/norm-group",
        data={"csrf_token": token, "norms-norm_group": "1:999999"},
    )
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)


def test_before_any_group_the_page_labels_the_assumption(client, auth, completed):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    page = client.get(f"/engagements/{engagement.id}/candidates/{strong.id}").get_data(as_text=True)
    rows = {key: row for key, row in re.findall(r'<tr data-scale="(\w+)">(.*?)</tr>', page, re.S)}
    assert "assumed .80" in rows["empathy"] and "none (one item)" in rows["experience"]
    assert "one item: none" in rows["experience"]
    assert "No norm group has been built for assessment version 1 yet" in page
    assert "assumed reliability: no norm group yet" in page
