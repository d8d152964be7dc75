"""Web plumbing: form field markup kept only while nothing about the field can differ."""

from __future__ import annotations

from flask import render_template_string

from assessor.forms.recruiter import InterviewWeightForm
from assessor.web import field_html


def test_a_kept_field_renders_as_the_macro_does_and_follows_its_value(app):
    with app.test_request_context("/"):
        macro = app.jinja_env.get_template("_forms.html").module.field
        for percent in (40, 55, 40):
            form = InterviewWeightForm(prefix="weight", interview_weight=percent)
            hint = "Share of the final score."
            assert field_html(form.interview_weight, hint) == macro(form.interview_weight, hint)
            assert f'value="{percent}"' in field_html(form.interview_weight, hint)
        form = InterviewWeightForm(prefix="weight", interview_weight=40)
        form.interview_weight.errors = ["Enter a percentage."]
        html = field_html(form.interview_weight)
        assert "Enter a percentage." in html and 'aria-invalid="true"' in html
        rendered = render_template_string("{{ field_html(f) }}", f=form.interview_weight)
        assert "Enter a percentage." in rendered


def test_what_someone_typed_is_rendered_live_and_never_kept(app):
    from werkzeug.datastructures import MultiDict

    from assessor import web
    from assessor.forms.recruiter import InviteForm

    with app.test_request_context("/", method="POST"):
        web._FIELD_HTML.clear()
        form = InviteForm(formdata=MultiDict({"name": "Zoë <Typed>"}))
        html = field_html(form.name)
        assert 'value="Zoë &lt;Typed&gt;"' in html
        assert web._FIELD_HTML == {}
        field_html(InviteForm(formdata=None).name)
        assert len(web._FIELD_HTML) == 1


def test_a_session_gets_its_csrf_token_signed_once_and_it_is_accepted(app, monkeypatch):
    from flask import session
    from flask_wtf import csrf as flask_wtf_csrf

    from assessor import web

    signed = []

    def counting_generate_csrf(*args, **kwargs):
        signed.append(1)
        return flask_wtf_csrf.generate_csrf(*args, **kwargs)

    def page_token(secret: str) -> str:
        # a fresh app context, as each real request has (the test holds one open)
        with app.app_context(), app.test_request_context("/"):
            session["csrf_token"] = secret
            token = render_template_string("{{ csrf_token() }}")
            flask_wtf_csrf.validate_csrf(token)  # raises if the form would be refused
            return token

    monkeypatch.setattr(web, "generate_csrf", counting_generate_csrf)
    web._SIGNED_CSRF.clear()
    first = [page_token("a" * 40) for _ in range(3)]
    assert len(set(first)) == 1 and len(signed) == 1  # three pages, signed once
    other = page_token("b" * 40)
    assert other != first[0] and len(signed) == 2  # another session, its own token
    with app.app_context(), app.test_request_context("/"):
        fresh = render_template_string("{{ csrf_token() }}")  # no secret yet: Flask-WTF's path
        assert session["csrf_token"] and fresh
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    before = len(signed)
    page_token("a" * 40)
    page_token("a" * 40)
    assert len(signed) == before + 2  # under a time limit every page signs anew


def test_a_fixed_url_is_url_for_under_each_mount_point(app):
    from flask import url_for

    from assessor.web import fixed_url

    for root in ("", "/assessor"):
        with app.test_request_context("/", base_url=f"http://assessor.test{root}/"):
            assert fixed_url("static", filename="app.css") == url_for("static", filename="app.css")
            assert fixed_url("static", filename="app.css") == f"{root}/static/app.css"
            assert fixed_url("auth.login") == f"{root}/login"
