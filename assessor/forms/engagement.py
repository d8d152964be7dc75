"""Forms of engagement pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from questionnaires import ARCHETYPE_NAMES, ARCHETYPES


class EngagementForm(FlaskForm):
    client_name = StringField(
        "Client company", validators=[DataRequired("Name the client company."), Length(max=200)]
    )
    role_title = StringField(
        "Role title",
        default="Chief Customer Officer",
        validators=[DataRequired("Give the role a title."), Length(max=200)],
    )
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
    archetype = SelectField(
        "Starting role profile",
        default="operating_executive",
        choices=[SelectChoice(a, ARCHETYPE_NAMES[a]) for a in ARCHETYPES],
    )


class MemberForm(FlaskForm):
    """Add one person; the choices are the people who may join (set by the view)."""

    user_id = SelectField(
        "Person",
        coerce=int,
        choices=[],
        validate_choice=False,  # the service says why a person cannot join
        validators=[DataRequired("Choose a person to add.")],
    )
