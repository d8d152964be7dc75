"""The technical manual's admin pages, service and CLI: access, tenancy, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from assessor.demo import add_scored_candidates
from assessor.extensions import db
from assessor.models import Assignment, utcnow
from assessor.reports.manual import fmt
from assessor.services import manual as manuals
from assessor.services.errors import NotFoundError


@pytest.fixture(autouse=True)
def fresh_cache():
    manuals.clear_cache()
    yield
    manuals.clear_cache()


def _pool(make_user, make_engagement, n: int = 40, consent: int | None = None):
    """A firm with ``n`` completed, scored candidates of version 1, ``consent`` of whom
    (default all) agreed to the use of their scores for norms."""
    admin = make_user("admin")
    recruiter = make_user("recruiter", organisation=admin.organisation)
    engagement = make_engagement(owner=recruiter)
    add_scored_candidates(engagement, n, seed=5)
    agreed = n if consent is None else consent
    ids = sorted(a.id for a in db.session.query(Assignment).filter_by(engagement_id=engagement.id))[
        :agreed
    ]
    db.session.execute(
        update(Assignment).where(Assignment.id.in_(ids)).values(norm_consent_at=utcnow())
    )
    db.session.commit()
    return admin, engagement


def test_only_admins_reach_the_manual(client, auth, make_user):
    recruiter = make_user("recruiter")
    assert client.get("/admin/manual").status_code == 302  # anonymous: to the login page
    auth.login(recruiter.email)
    for path in (
        "/admin/manual",
        "/admin/manual/cco_candidate/1",
        "/admin/manual/cco_candidate/1.pdf",
    ):
        assert client.get(path).status_code == 403, path
    page = client.get("/").get_data(as_text=True)
    assert "Technical manuals" not in page


@pytest.mark.parametrize(
    "path,reason",
    [
        ("/admin/manual/readiness/1", "manuals exist for the candidate assessment only"),
        ("/admin/manual/no_such_thing/1.pdf", "cco_candidate versions 1, 2"),
        ("/admin/manual/cco_candidate/9", "cco_candidate has no version 9"),
        ("/admin/manual/cco_candidate/9.pdf", "the available ones are: cco_candidate"),
        ("/admin/manual/cco_candidate/99999999999", "Not found"),  # beyond any id: the router
    ],
)
def test_unknown_versions_are_404_with_the_reason(client, auth, make_user, path, reason):
    auth.login(make_user("admin").email)
    response = client.get(path)
    assert response.status_code == 404
    assert reason in response.get_data(as_text=True)


def test_another_firms_admin_sees_only_their_own_data(client, auth, make_user, make_engagement):
    owner, _engagement = _pool(make_user, make_engagement, n=35, consent=31)
    outsider = make_user("admin")
    auth.login(outsider.email)
    listing = client.get("/admin/manual").get_data(as_text=True)
    assert "No assessments yet" in listing and "/admin/manual/cco_candidate/1.pdf" not in listing
    response = client.get("/admin/manual/cco_candidate/1")
    assert response.status_code == 404
    assert "No completed assessment of cco_candidate version 1" in response.get_data(as_text=True)
    assert client.get("/admin/manual/cco_candidate/1.pdf").status_code == 404
    auth.logout()
    auth.login(owner.email)
    listing = client.get("/admin/manual").get_data(as_text=True)
    v1 = manuals.versions(owner.organisation_id)[0]
    assert v1.n + v1.excluded_flagged == 31 and v1.not_consented == 4 and v1.n > 0
    assert f"<td>{v1.n}</td>" in listing
    assert f"4 without agreement to norms, {v1.excluded_flagged} flagged" in listing
    assert "/admin/manual/cco_candidate/1.pdf" in listing
    assert 'href="/admin/manual"' in client.get("/").get_data(as_text=True)  # in the nav


def test_page_and_pdf_print_the_services_figures(client, auth, make_user, make_engagement):
    import io

    from pypdf import PdfReader

    admin, _engagement = _pool(make_user, make_engagement, n=40)
    built = manuals.build(admin.organisation_id, "cco_candidate", 1)
    v1 = manuals.versions(admin.organisation_id)[0]
    assert built.n == v1.n == 40 - v1.excluded_flagged and built.sample.engagements == 1
    auth.login(admin.email)
    response = client.get("/admin/manual/cco_candidate/1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rel = next(r for r in built.reliability if r.method == "alpha")
    figure = f"{fmt(rel.reliability, 'r')} ({fmt(rel.low, 'r')}–{fmt(rel.high, 'r')})"
    assert figure in html
    assert "No group data is recorded in this installation" in html
    pdf = client.get("/admin/manual/cco_candidate/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "technical-manual-cco_candidate-v1.pdf" in pdf.headers["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert figure in text.replace("\n", " ") or figure in text
    assert "3. Scale reliabilities" in text


def test_service_refuses_an_empty_sample_and_lists_versions(make_user):
    admin = make_user("admin")
    with pytest.raises(NotFoundError, match="agreed to the anonymous use"):
        manuals.build(admin.organisation_id, "cco_candidate", 1)
    listed = manuals.versions(admin.organisation_id)
    assert [(v.key, v.version, v.n) for v in listed] == [("cco_candidate", 1, 0),
                                                         ("cco_candidate", 2, 0)]  # fmt: skip


def test_cli_errors_are_one_clear_line(app, make_user, make_org):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["manual", "cco_candidate", "--version", "7"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cco_candidate has no version 7; the available ones are: cco_candidate" in result.output
    result = runner.invoke(args=["manual", "role_scope", "--version", "1"])
    assert "manuals exist for the candidate assessment only" in result.output
    first, second = make_org("Alpha Search"), make_org("Beta Search")
    db.session.commit()
    result = runner.invoke(args=["manual", "cco_candidate", "--version", "1"])
    assert result.exit_code == 1
    assert "choose one with --organisation" in result.output
    assert first.slug in result.output and second.slug in result.output
    result = runner.invoke(
        args=["manual", "cco_candidate", "--version", "1", "--organisation", "nope"]
    )
    assert "No organisation with the short name 'nope'" in result.output
    result = runner.invoke(
        args=["manual", "cco_candidate", "--version", "1", "--organisation", first.slug]
    )
    assert result.exit_code == 1 and "No completed assessment" in result.output
    result = runner.invoke(args=["manual", "cco_candidate", "--version", "1", "--format", "doc"])
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output
