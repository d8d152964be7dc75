"""Question markup is reused only where it cannot differ, and always shows what was answered."""

from __future__ import annotations

import re

import pytest

import questionnaires
from assessor.forms import questionnaire as markup
from assessor.forms.questionnaire import field_name, question_html

INSTRUMENT = questionnaires.latest("cco_candidate")


def first_item(kind: str):
    return next(i for s in INSTRUMENT.sections for i in s.items if i.type == kind)


def checked_values(html: str) -> list[str]:
    return re.findall(r'<input checked id="[^"]+" name="[^"]+" type="\w+" value="([^"]+)"', html)


@pytest.fixture
def request_context(app):
    with app.test_request_context("/"):
        markup._QUESTION_HTML.clear()
        markup._question_html_bytes = 0
        yield


@pytest.mark.parametrize("kind", ["likert", "situational"])
def test_a_choice_question_checks_exactly_the_answer_and_is_reused(request_context, kind):
    item = first_item(kind)
    values = [c.value for c in markup.choices(item)]
    for value in values:
        html = question_html(INSTRUMENT, item, value, None)
        assert checked_values(html) == [value]
        assert question_html(INSTRUMENT, item, value, None) is html  # kept, not re-rendered
    assert checked_values(question_html(INSTRUMENT, item, None, None)) == []
    assert len(markup._QUESTION_HTML) == len(values) + 1


def test_a_stale_value_shows_unanswered_without_a_new_cache_entry(request_context):
    item = first_item("likert")
    blank = question_html(INSTRUMENT, item, None, None)
    assert question_html(INSTRUMENT, item, "99", None) == blank
    assert question_html(INSTRUMENT, item, "<script>", None) == blank
    assert len(markup._QUESTION_HTML) == 1


def test_an_error_is_rendered_with_the_question_and_never_kept(request_context):
    item = first_item("likert")
    html = question_html(INSTRUMENT, item, "2", "Answer this <b>question</b>.")
    assert "Answer this &lt;b&gt;question&lt;/b&gt;." in html
    assert f'aria-describedby="{field_name(item)}-error"' in html
    assert checked_values(html) == ["2"]
    assert markup._QUESTION_HTML == {}
    assert "field-error" not in question_html(INSTRUMENT, item, "2", None)


def test_free_text_numbers_and_ticks_render_what_was_given(request_context):
    role_scope = questionnaires.latest("role_scope")
    items = {i.type: i for s in role_scope.sections for i in s.items}
    ticks = [c.value for c in markup.choices(items["multi"])][:2]
    assert checked_values(question_html(role_scope, items["multi"], ticks, None)) == ticks
    html = question_html(role_scope, items["text"], 'Ran "CX" & <ops>', None)
    assert "Ran &#34;CX&#34; &amp; &lt;ops&gt;</textarea>" in html
    html = question_html(role_scope, items["numeric"], "12.5", "Enter a number.")
    assert 'value="12.5"' in html and "Enter a number." in html
    assert markup._QUESTION_HTML == {}


def test_the_kept_markup_is_bounded_in_bytes(request_context, monkeypatch):
    item = first_item("likert")
    one = len(question_html(INSTRUMENT, item, None, None))
    markup._QUESTION_HTML.clear()
    monkeypatch.setattr(markup, "_question_html_bytes", 0)
    monkeypatch.setattr(markup, "_QUESTION_HTML_MAX_BYTES", 2 * one + one // 2)
    for value in [c.value for c in markup.choices(item)] * 2:
        assert checked_values(question_html(INSTRUMENT, item, value, None)) == [value]
        kept = sum(len(html) for html in markup._QUESTION_HTML.values())
        assert 1 <= len(markup._QUESTION_HTML) <= 2
        assert kept == markup._question_html_bytes <= markup._QUESTION_HTML_MAX_BYTES
