"""Invitation links that must not work, and markup that must not run."""

from __future__ import annotations

import base64
import io
import json

from itsdangerous import URLSafeTimedSerializer
from pypdf import PdfReader

from assessor.extensions import db
from assessor.services import invitations, results

MARKUP = "<script>alert('x')</script> & <b>Bold</b>"


def test_link_for_a_changed_assignment_id_is_refused(app, make_user, make_engagement):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    one = invitations.invite(recruiter, engagement, "One", "one@example.com")
    two = invitations.invite(recruiter, engagement, "Two", "two@example.com")
    db.session.commit()
    token = invitations.link_token(one)
    _payload, rest = token.split(".", 1)
    forged = base64.urlsafe_b64encode(json.dumps([two.id, one.token_nonce]).encode())
    forged_token = forged.decode().rstrip("=") + "." + rest
    response = app.test_client().get(f"/r/{forged_token}")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)
    assert "Two" not in response.get_data(as_text=True)


def test_token_signed_for_another_purpose_is_refused(app, make_user, make_engagement):
    recruiter = make_user("recruiter")
    engagement = make_engagement(owner=recruiter)
    one = invitations.invite(recruiter, engagement, "One", "one@example.com")
    db.session.commit()
    other_purpose = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="some-other-purpose")
    token = other_purpose.dumps([one.id, one.token_nonce])
    assert app.test_client().get(f"/r/{token}").status_code == 404


def test_a_link_opens_only_its_own_engagement(app, make_user, make_engagement):
    mine = make_engagement(client_name="Mine Client")
    theirs_owner = make_user("recruiter")
    theirs = make_engagement(owner=theirs_owner, client_name="Their Client")
    link = invitations.invite(theirs_owner, theirs, "Theo", "theo@example.com")
    db.session.commit()
    html = app.test_client().get("/r/" + invitations.link_token(link)).get_data(as_text=True)
    assert "Their Client" in html
    assert mine.client_name not in html


def test_replayed_link_after_submission(client, completed):
    _recruiter, _engagement, (strong, _weak) = completed
    link = "/r/" + invitations.link_token(strong)
    for path in (link, f"{link}/page/practice_1", f"{link}/review"):
        response = client.get(path)
        assert response.status_code == 409
        assert "already been submitted" in response.get_data(as_text=True)


def test_markup_in_names_is_escaped_in_html_and_literal_in_pdf(
    client, auth, make_user, make_engagement, completed
):
    recruiter, engagement, (strong, _weak) = completed
    strong.name = MARKUP
    db.session.commit()
    results.compute_and_store(strong)
    db.session.commit()
    auth.login(recruiter.email)
    for path in (
        f"/engagements/{engagement.id}/candidates",
        f"/engagements/{engagement.id}/candidates/{strong.id}",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert (
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;" in html
        )
    pdf = client.get(f"/engagements/{engagement.id}/candidates/{strong.id}.pdf").get_data()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "<script>alert('x')</script> & <b>Bold</b>" in " ".join(text.split())
