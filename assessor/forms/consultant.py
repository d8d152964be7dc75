"""Forms of the consultant's readiness-survey pages."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from assessor.services.surveys import DEFAULT_K, MAX_K, MAX_TARGET, MIN_K

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
    """Opening a round adds how answers are collected and the anonymity minimum, which
    cannot change afterwards."""

    collection = RadioField(
        "How people answer",
        choices=[
            SelectChoice(
                "invitation",
                "Personal invitations (recommended): each person gets a link that works once",
            ),
            SelectChoice(
                "open",
                "One open link: anyone holding it can answer, any number of times",
            ),
        ],
        default="invitation",
        # left out of a hand-made POST, the recommended way is meant
        validators=[Optional()],
    )
    min_cell = CountField(
        "Anonymity minimum (respondents per reported group)",
        default=DEFAULT_K,
        validators=[
            InputRequired(f"Enter the anonymity minimum ({MIN_K} to {MAX_K})."),
            NumberRange(MIN_K, MAX_K, f"Enter a number from {MIN_K} to {MAX_K}."),
        ],
        render_kw={"inputmode": "numeric", "min": MIN_K, "max": MAX_K},
    )
    min_cell_reason = TextAreaField(
        f"Why fewer than {DEFAULT_K}? (needed only below {DEFAULT_K})",
        validators=[Length(max=500)],
        render_kw={"rows": 2},
    )


class BreakdownsForm(FlaskForm):
    """Turning breakdowns on for an open link, with the consultant's acknowledgement."""

    understood = BooleanField(
        "I understand that on an open link someone can add made-up responses to a small "
        "group and work out a colleague's answers from the breakdowns."
    )


# ----- invitations

from flask_wtf.file import FileAllowed, FileField  # noqa: E402
from wtforms import TextAreaField  # noqa: E402

from assessor.services.survey_invitations import MAX_LIST_CHARS  # noqa: E402


class InvitationListForm(FlaskForm):
    """The people to invite to a round: pasted into the box, or a .csv / .txt file."""

    entries = TextAreaField(
        "Paste the list",
        validators=[
            Length(
                max=MAX_LIST_CHARS,
                message=f"Paste at most {MAX_LIST_CHARS:,} characters; split a longer list.",
            )
        ],
        render_kw={
            "rows": 10,
            "spellcheck": "false",
            "autocomplete": "off",
            "placeholder": "email,level,department,region\n"
            "anna.berg@client.example,Manager or team leader,finance,europe",
        },
    )
    upload = FileField(
        "Or upload a file (.csv or .txt)",
        validators=[
            FileAllowed(
                ["csv", "txt"],
                "Upload a .csv or .txt file (from a spreadsheet: Save as › CSV UTF-8).",
            )
        ],
        render_kw={"accept": ".csv,.txt,text/csv,text/plain"},
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Exactly one source: the box or a file, so nobody wonders which one counted."""
        if not super().validate(extra_validators):
            return False
        pasted = bool((self.entries.data or "").strip())
        if pasted and self.has_file():
            self.form_errors.append(
                "Paste the list or choose a file, not both: empty the box or remove the file."
            )
            return False
        if not pasted and not self.has_file():
            self.entries.errors = [
                *self.entries.errors,
                "Paste the list, one e-mail address per line, or choose a file.",
            ]
            return False
        return True

    def has_file(self) -> bool:
        return bool(self.upload.data and getattr(self.upload.data, "filename", ""))
