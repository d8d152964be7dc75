"""How a questionnaire is walked: which sections and items show, and what an answer may be.

Pure functions over an :class:`Instrument` and a mapping of answers (item key
to stored value, see README "Answer values"), shared by the web forms, the
services that save pages and the scoring package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .model import (
    DONT_KNOW,
    DONT_KNOW_LABEL,
    FAMILIARITY_LABELS,
    Condition,
    Instrument,
    Item,
    Section,
)

Answers = Mapping[str, Any]
MAX_TEXT_LENGTH = 5000
#: The highest familiarity rating (0 = never heard of it).
FAMILIARITY_TOP = len(FAMILIARITY_LABELS) - 1


def condition_holds(condition: Condition | None, answers: Answers) -> bool:
    """True when there is no condition or the earlier answer is one of its values."""
    if condition is None:
        return True
    value = answers.get(condition.item)
    if value is None:
        return False
    if isinstance(value, list):
        return any(str(v) in condition.values for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value) in condition.values


def visible_sections(instrument: Instrument, answers: Answers) -> list[Section]:
    """The sections this participant is shown, given what they answered so far."""
    return [s for s in instrument.sections if condition_holds(s.condition, answers)]


def visible_items(section: Section, answers: Answers) -> list[Item]:
    return [i for i in section.items if condition_holds(i.condition, answers)]


def missing_required(sections: Sequence[Section], answers: Answers) -> list[Item]:
    """Required, visible items without an answer (an empty multi/checklist is an answer)."""
    missing = []
    for section in sections:
        for item in visible_items(section, answers):
            if item.required and answers.get(item.key) in (None, ""):
                missing.append(item)
    return missing


def progress(instrument: Instrument, answers: Answers) -> tuple[int, int]:
    """(answered, total) over the visible items, for the progress bar."""
    items = [i for s in visible_sections(instrument, answers) for i in visible_items(s, answers)]
    answered = sum(1 for i in items if answers.get(i.key) not in (None, ""))
    return answered, len(items)


class AnswerError(ValueError):
    """A submitted value is not a possible answer to the item; the message says why."""


def parse_answer(item: Item, raw: Any) -> Any:
    """Turn submitted form data into the stored value; None means 'not answered'.

    ``raw`` is a string (or a list of strings for multi and checklist items)
    as a browser sends it. Raises AnswerError with a message for the person.
    """
    if item.type in ("multi", "checklist"):
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [v for v in values if v != ""]
        if not values:
            return None
        keys = {o.key for o in item.options}
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise AnswerError("Choose only from the options shown.")
        seen = list(dict.fromkeys(values))  # keeps order, drops repeats
        alone = item.exclusive_option if item.type == "checklist" else None
        if alone is not None and alone.key in seen and len(seen) > 1:
            raise AnswerError(f"“{alone.text}” cannot be combined with other options.")
        return seen
    if item.type == "forced_choice":
        return _parse_block(item, raw)
    if item.type == "effectiveness":
        return _parse_ratings(item, raw)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if raw is None:
        return None
    text = str(raw).strip()
    if text == "":
        return None
    if text == DONT_KNOW and item.dont_know:
        return DONT_KNOW
    if item.type in ("likert", "rating"):
        points = item.points or (len(item.anchors) if item.anchors else 5)
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= points:
            also = f", or “{DONT_KNOW_LABEL}”" if item.dont_know else ""
            raise AnswerError(f"Choose one of the {points} points{also}.")
        return int(text)
    if item.type == "familiarity":
        top = len(item.labels) - 1 if item.labels else FAMILIARITY_TOP
        if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= top:
            raise AnswerError("Choose how well you know it, from the options shown.")
        return int(text)
    if item.type in ("choice", "situational"):
        if text not in {o.key for o in item.options}:
            raise AnswerError("Choose one of the options shown.")
        return text
    if item.type == "numeric":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise AnswerError("Enter a number.") from None
        if not math.isfinite(number):
            raise AnswerError("Enter a number.")
        low, high = item.minimum, item.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            raise AnswerError(f"Enter a number from {_fmt(low)} to {_fmt(high)}.")
        return int(number) if number.is_integer() else number
    if item.type == "text":
        if len(text) > MAX_TEXT_LENGTH:
            raise AnswerError(f"Keep it under {MAX_TEXT_LENGTH} characters.")
        return text
    raise AnswerError(f"Unsupported item type {item.type!r}.")


def is_dont_know(item: Item, value: Any) -> bool:
    """Whether ``value`` is a "don't know" answer this item allows."""
    return item.dont_know and value == DONT_KNOW


def split_dont_know(instrument: Instrument, answers: Answers) -> tuple[dict[str, Any], list[str]]:
    """The answers without "don't know" (missing for scoring), and the items answered so.

    Scoring never sees :data:`~questionnaires.model.DONT_KNOW`: it is left out of the
    answers it scores, and the returned item keys (questionnaire order) are what the
    readiness results count.
    """
    kept = dict(answers)
    unknown: list[str] = []
    for item in instrument.dont_know_items:
        if answers.get(item.key) == DONT_KNOW:
            del kept[item.key]
            unknown.append(item.key)
    return kept, unknown


def _parse_block(item: Item, raw: Any) -> list[str] | None:
    """A forced-choice answer: [most, least], two different statements of the block.
    Posted as {"most": key, "least": key}; a stored [most, least] is accepted too."""
    if isinstance(raw, Mapping):
        most, least = raw.get("most"), raw.get("least")
    elif isinstance(raw, list | tuple) and len(raw) == 2:
        most, least = raw
    elif raw in (None, "", [], ()):
        most = least = None
    else:
        raise AnswerError("Choose one statement as most like you and one as least like you.")
    most, least = (str(v).strip() if v not in (None, "") else None for v in (most, least))
    if most is None and least is None:
        return None
    if most is None or least is None:
        missing = "most" if most is None else "least"
        raise AnswerError(f"Choose also the statement that is {missing} like you.")
    keys = {st.key for st in item.statements}
    if most not in keys or least not in keys:
        raise AnswerError("Choose from the statements shown.")
    if most == least:
        raise AnswerError(
            "One statement cannot be both most and least like you: choose two different ones."
        )
    return [most, least]


def _parse_ratings(item: Item, raw: Any) -> dict[str, int] | None:
    """An effectiveness answer: every response of the situation rated on the item's points."""
    given = raw if isinstance(raw, Mapping) else {}
    if raw not in (None, "") and not isinstance(raw, Mapping):
        raise AnswerError("Rate each response on the scale shown.")
    points = item.points or len(item.labels)
    ratings: dict[str, int] = {}
    for option in item.options:
        value = given.get(option.key)
        text = "" if value is None else str(value).strip()
        if text == "":
            continue
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= points:
            raise AnswerError(f"Rate each response on the {points} points shown.")
        ratings[option.key] = int(text)
    if not ratings:
        return None
    if len(ratings) < len(item.options):
        left = len(item.options) - len(ratings)
        raise AnswerError(
            f"Rate each of the {len(item.options)} responses "
            f"({left} {'is' if left == 1 else 'are'} not rated yet)."
        )
    return ratings


def _fmt(value: float | None) -> str:
    if value is None:
        return "any"
    return str(int(value)) if float(value).is_integer() else str(value)
