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
