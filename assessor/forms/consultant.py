"""Forms of the consultant's readiness-survey pages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from assessor.services.surveys import DEFAULT_K, MAX_K, MAX_TARGET

#: Level keys of the readiness instrument and how the target fields are labelled.
TARGET_LEVELS: tuple[tuple[str, str], ...] = (
    ("board", "Board members"),
    ("executive", "Executives and senior leaders"),
    ("middle_management", "Managers and team leaders"),
    ("front_line", "Front-line employees"),
)


class ClearDateField(DateField):
    """A date field whose parse error says which format to use."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter the date as YYYY-MM-DD, for example 2026-06-30.") from None


class CountField(IntegerField):
    """A whole-number field whose parse error is written for people."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number, for example 20.") from None


def _target(label: str) -> CountField:
    return CountField(
        label,
        validators=[
            Optional(),
            NumberRange(0, MAX_TARGET, f"Enter a number from 0 to {MAX_TARGET:,}."),
        ],
        render_kw={"inputmode": "numeric", "min": 0},
    )


class RoundSettingsForm(FlaskForm):
    """Title, closing date and target counts per level of a round."""

    title = StringField("Title", validators=[Length(max=200)])
    closes_on = ClearDateField(
        "Closing date (optional)", validators=[Optional()], render_kw={"placeholder": "YYYY-MM-DD"}
    )
    target_board = _target("Board members")
    target_executive = _target("Executives and senior leaders")
    target_middle_management = _target("Managers and team leaders")
    target_front_line = _target("Front-line employees")

    def targets(self) -> dict[str, int | None]:
        return {key: getattr(self, f"target_{key}").data for key, _ in TARGET_LEVELS}

    def target_fields(self) -> list[Any]:
        return [getattr(self, f"target_{key}") for key, _ in TARGET_LEVELS]


class OpenRoundForm(RoundSettingsForm):
    """Opening a round adds the anonymity minimum, which cannot change afterwards."""

    min_cell = CountField(
        "Anonymity minimum (respondents per reported group)",
        default=DEFAULT_K,
        validators=[
            InputRequired(f"Enter the anonymity minimum ({DEFAULT_K} or more)."),
            NumberRange(DEFAULT_K, MAX_K, f"Enter a number from {DEFAULT_K} to {MAX_K}."),
        ],
        render_kw={"inputmode": "numeric", "min": DEFAULT_K, "max": MAX_K},
    )
