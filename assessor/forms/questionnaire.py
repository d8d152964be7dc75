"""Questionnaire items as form inputs: their markup on participant pages, and WTForms
classes where a staff form is built from an instrument (the interview kit).

Each item has one input name (``q_<item key>``). Choice validation is left to
:func:`questionnaires.flow.parse_answer`, so an input never rejects a value
with a generic message: the services say why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import get_template_attribute
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    Field,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from questionnaires import Instrument, Item
from questionnaires.model import DONT_KNOW, DONT_KNOW_LABEL

FIELD_PREFIX = "q_"
SINGLE_CHOICE_TYPES = frozenset({"likert", "rating", "choice", "situational", "familiarity"})
QUESTION_TEMPLATE = "respond/_question.html"


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (works without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button-only form (consent, submit, status changes): CSRF and nothing else."""


def field_name(item: Item) -> str:
    return FIELD_PREFIX + item.key


def choices(item: Item) -> list[SelectChoice]:
    """The options of an item as (value, label) choices, in the order shown."""
    if item.type == "likert":
        points = [SelectChoice(str(i + 1), label) for i, label in enumerate(item.labels)]
        return [*points, SelectChoice(DONT_KNOW, DONT_KNOW_LABEL)] if item.dont_know else points
    if item.type == "familiarity":  # 0 = never heard of it
        return [SelectChoice(str(i), label) for i, label in enumerate(item.labels)]
    if item.type == "rating":
        return [SelectChoice(str(a.level), f"{a.level} — {a.text}") for a in item.anchors]
    return [SelectChoice(o.key, o.text) for o in item.options]


def _field_for(item: Item) -> Field:
    label = item.text
    kwargs: dict[str, Any] = {"description": item.help or ""}
    if item.type in ("likert", "rating", "choice", "situational"):
        return RadioField(label, choices=choices(item), validate_choice=False, **kwargs)
    if item.type in ("multi", "checklist"):
        return CheckboxListField(label, choices=choices(item), validate_choice=False, **kwargs)
    if item.type == "numeric":
        render_kw = {"inputmode": "decimal"}
        return StringField(label, render_kw=render_kw, **kwargs)
    return TextAreaField(label, render_kw={"maxlength": 5000, "rows": 4}, **kwargs)


_FORM_CLASSES: dict[tuple[str, str, str, type], type[FlaskForm]] = {}


def items_form_class(
    instrument: Instrument, base: type[FlaskForm], section_key: str | None = None
) -> type[FlaskForm]:
    """A form class with one field per item of a section (or of the whole instrument)."""
    cache_key = (instrument.key, instrument.content_hash, section_key or "*", base)
    cls = _FORM_CLASSES.get(cache_key)
    if cls is None:
        sections = [s for s in instrument.sections if section_key in (None, s.key)]
        if not sections:
            raise KeyError(f"instrument {instrument.key!r} has no section {section_key!r}")
        fields = {field_name(item): _field_for(item) for s in sections for item in s.items}
        name = f"Form_{instrument.key}_v{instrument.version}_{section_key or 'all'}"
        cls = _FORM_CLASSES[cache_key] = type(name, (base,), fields)
    return cls


_QUESTION_HTML: dict[tuple[str, str, str | None], Markup] = {}
#: Bytes of kept markup at the most (every single-choice state of today's instruments
#: takes about 1 MB); past it the cache starts again empty.
_QUESTION_HTML_MAX_BYTES = 4 * 1024 * 1024
_question_html_bytes = 0


def question_html(instrument: Instrument, item: Item, value: Any, error: str | None) -> Markup:
    """The markup of one question showing ``value`` (a stored answer or what was posted).

    A single-choice question without an error can only look one way per
    option (or unanswered), so that markup is rendered once per instrument
    version and reused: writing out 23 questions of five inputs is about 40% of
    a questionnaire page's time (``bench/markup.py``). The key is the
    instrument's content hash, the item and one of its own option values, so a
    posted value is never a key; anything else (an error, free text, several
    ticks) is rendered as it is. At most ``_QUESTION_HTML_MAX_BYTES`` are kept.
    """
    global _question_html_bytes
    if error is None and item.type in SINGLE_CHOICE_TYPES:
        selected = None if value is None or value == "" else str(value)
        key = (instrument.content_hash, item.key, selected)
        html = _QUESTION_HTML.get(key)
        if html is not None:
            return html
        options = choices(item)
        if selected is not None and all(c.value != selected for c in options):
            selected = None  # a stale value shows as unanswered, and is not a new cache key
            key = (instrument.content_hash, item.key, None)
        html = _render_question(item, options, selected, None)
        if _question_html_bytes + len(html) > _QUESTION_HTML_MAX_BYTES:
            _QUESTION_HTML.clear()
            _question_html_bytes = 0
        _QUESTION_HTML[key] = html
        _question_html_bytes += len(html)
        return html
    return _render_question(item, choices(item), value, error)


def questions_html(
    instrument: Instrument,
    items: list[Item],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Markup:
    """A page's questions in order, joined here rather than by a template loop (a
    Jinja call per question cost more than the questions' kept markup)."""
    return Markup("\n").join(
        question_html(instrument, item, values.get(item.key), errors.get(item.key))
        for item in items
    )


def _render_question(
    item: Item, options: list[SelectChoice], value: Any, error: str | None
) -> Markup:
    macro = get_template_attribute(QUESTION_TEMPLATE, "question")
    return Markup(macro(item, field_name(item), options, value, error))
