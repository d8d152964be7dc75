"""Forms of the board pages: invitations, the priorities page, the profile adjustment."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from assessor.forms.recruiter import InviteForm
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES
from scoring.profiles import CLUSTERS, SCALES


class BoardInviteForm(InviteForm):
    """The candidate invitation form, worded for a board member."""

    name = StringField(
        "Board member's name",
        validators=[DataRequired("Enter the board member's name."), Length(max=200)],
    )


class PrioritiesForm(FlaskForm):
    """CSRF and timing only: the comparisons are radio groups the service parses and
    explains (a field would reject a bad value with a generic message)."""

    page_started = HiddenField()


class ProfileFormBase(FlaskForm):
    archetype = SelectField(
        "Archetype", choices=[SelectChoice(a, ARCHETYPE_NAMES[a]) for a in ARCHETYPES]
    )
    note = TextAreaField(
        "Why the change (kept in the profile history)",
        validators=[Length(max=500)],
        render_kw={"rows": 2, "maxlength": 500},
    )


def weight_field(cluster: str) -> str:
    return f"w_{cluster}"


def minimum_field(scale: str) -> str:
    return f"min_{scale}"


def profile_form_class(cluster_names: dict[str, str], scale_names: dict[str, str]) -> type:
    """The adjustment form: one percentage per cluster, one optional minimum per scale."""
    fields: dict[str, object] = {}
    for cluster in CLUSTERS:
        fields[weight_field(cluster)] = DecimalField(
            f"{cluster_names[cluster]} (%)",
            places=1,
            validators=[
                InputRequired(f"Give {cluster_names[cluster]} a weight (0 for none)."),
                NumberRange(0, 100, "Enter a percentage from 0 to 100."),
            ],
            render_kw={"inputmode": "decimal"},
        )
    for scale in SCALES:
        fields[minimum_field(scale)] = DecimalField(
            scale_names[scale],
            places=0,
            validators=[Optional(), NumberRange(0, 100, "Enter a minimum from 0 to 100.")],
            render_kw={"inputmode": "decimal", "placeholder": "none"},
        )
    return type("ProfileForm", (ProfileFormBase,), fields)
