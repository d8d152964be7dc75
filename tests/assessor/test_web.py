"""Web plumbing: form field markup kept only while nothing about the field can differ."""

from __future__ import annotations

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from assessor import web
from assessor.forms.recruiter import ArchetypeForm, InterviewWeightForm, InviteForm
from assessor.web import field_html


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        web._FIELD_HTML.clear()
        yield app.jinja_env.get_template("_forms.html").module.field
    web._FIELD_HTML.clear()


def test_a_kept_field_renders_as_the_macro_does_and_follows_its_value(request_context):
    macro = request_context
    for percent in (40, 55, 40):
        form = InterviewWeightForm(formdata=None, prefix="weight", interview_weight=percent)
        hint = "Share of the final score."
        assert field_html(form.interview_weight, hint) == macro(form.interview_weight, hint)
        assert f'value="{percent}"' in field_html(form.interview_weight, hint)
    assert len(web._FIELD_HTML) == 2
    form = InterviewWeightForm(formdata=None, prefix="weight", interview_weight=40)
    form.interview_weight.errors = ["Enter a percentage."]
    html = field_html(form.interview_weight)
    assert "Enter a percentage." in html and 'aria-invalid="true"' in html
    rendered = render_template_string("{{ field_html(f) }}", f=form.interview_weight)
    assert "Enter a percentage." in rendered


def test_a_kept_choice_follows_the_selected_option(request_context):
    for archetype in ("operating_executive", "board_strategist", "operating_executive"):
        html = field_html(ArchetypeForm(formdata=None, archetype=archetype).archetype)
        assert f'<option selected value="{archetype}">' in html
    assert len(web._FIELD_HTML) == 2


def test_what_someone_typed_is_rendered_live_and_never_kept(request_context):
    typed = InviteForm(formdata=MultiDict({"name": "Zoë <Typed>"}))
    assert 'value="Zoë &lt;Typed&gt;"' in field_html(typed.name)
    stored = InviteForm(formdata=None, data={"name": "Zoë Stored"})  # typed earlier, kept in a row
    assert 'value="Zoë Stored"' in field_html(stored.name)
    not_a_choice = ArchetypeForm(formdata=None, archetype="<not one of them>")
    assert "selected" not in field_html(not_a_choice.archetype)
    assert web._FIELD_HTML == {}
    blank = field_html(InviteForm(formdata=None).name)
    assert "Zoë" not in blank and 'value=""' in blank
    assert len(web._FIELD_HTML) == 1


def test_the_kept_markup_is_bounded(request_context, monkeypatch):
    monkeypatch.setattr(web, "_FIELD_HTML_MAX", 3)
    for percent in range(10):
        form = InterviewWeightForm(formdata=None, prefix="weight", interview_weight=percent)
        assert f'value="{percent}"' in field_html(form.interview_weight)
        assert 1 <= len(web._FIELD_HTML) <= 3


def test_a_field_with_its_own_widget_is_not_served_anothers_markup(request_context):
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.widgets import TextArea

    class Plain(FlaskForm):
        note = StringField("Note")

    class Wide(FlaskForm):
        note = StringField("Note", widget=TextArea())

    assert "<input" in field_html(Plain(formdata=None).note)
    assert "<textarea" in field_html(Wide(formdata=None).note)
    assert "<input" in field_html(Plain(formdata=None).note)
    assert len(web._FIELD_HTML) == 2
