"""Forms of the recruiter's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from assessor.services.accounts import LINE_BREAKS
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES


def single_line(form: FlaskForm, field: StringField) -> None:
    """Refuse line breaks in a name: it goes into the invitation e-mail's To header,
    where a CR or LF could add headers of its own."""
    if not LINE_BREAKS.isdisjoint(field.data or ""):
        raise ValidationError("Enter the name on one line (no line breaks).")


class InviteForm(FlaskForm):
    name = StringField(
        "Candidate's name",
        validators=[DataRequired("Enter the candidate's name."), Length(max=200), single_line],
    )
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter an e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )


class CsvInviteForm(FlaskForm):
    file = FileField(
        "CSV file with the columns name and email",
        validators=[FileRequired("Choose a CSV file to upload.")],
    )


class ExtendForm(FlaskForm):
    days = IntegerField(
        "Extend by (days)",
        default=7,
        validators=[
            DataRequired("Enter a number of days."),
            NumberRange(1, 90, "Extend by 1 to 90 days."),
        ],
    )


class ArchetypeForm(FlaskForm):
    """A recruiter's archetype choice: proposed to the board, not used at once."""

    archetype = SelectField(
        "Archetype's default profile",
        choices=[SelectChoice(a, ARCHETYPE_NAMES[a] + " (default weights)") for a in ARCHETYPES],
    )


class AssessmentVersionForm(FlaskForm):
    """Which version of the candidate assessment new invitations get (set by the view)."""

    version = SelectField("Assessment for new invitations", coerce=int, choices=[])


class NormGroupForm(FlaskForm):
    """Which norm group an engagement compares candidates of one version with (the
    choices, "version:newest" or "version:group id", are set by the view)."""

    norm_group = SelectField("Compare candidates with", choices=[])


class InterviewWeightForm(FlaskForm):
    interview_weight = IntegerField(
        "Weight of interviews in the final score (%)",
        validators=[
            InputRequired("Enter a percentage (0 means test only)."),
            NumberRange(0, 100, "Enter a percentage from 0 to 100."),
        ],
    )


class InterviewFormBase(FlaskForm):
    interviewer_name = StringField(
        "Interviewer", validators=[DataRequired("Enter the interviewer's name."), Length(max=200)]
    )
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
