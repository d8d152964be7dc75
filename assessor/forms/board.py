"""Forms of the board pages: invitations, the priorities page, the profile adjustment,
the board's decisions and the approval rule."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from assessor.forms.recruiter import InviteForm, single_line
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES
from scoring.profiles import CLUSTERS, SCALES


class BoardInviteForm(InviteForm):
    """The candidate invitation form, worded for a board member."""

    name = StringField(
        "Board member's name",
        validators=[
            DataRequired("Enter the board member's name."),
            Length(max=200),
            single_line,
        ],
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


class RejectForm(FlaskForm):
    """A board member's rejection: the reason is required, the proposer reads it."""

    note = TextAreaField(
        "Why you reject it",
        validators=[
            DataRequired("Say briefly why you reject the proposal."),
            Length(max=500, message="Keep the reason under 500 characters."),
        ],
        render_kw={"rows": 2, "maxlength": 500},
    )


class ApprovalRuleForm(FlaskForm):
    """Who approves the engagement's role profile: any one board member, or a quorum."""

    rule = RadioField(
        "Who approves a proposed role profile",
        choices=[
            SelectChoice("any", "Any one board member"),
            SelectChoice("quorum", "A quorum of board members"),
        ],
        default="any",
        validators=[InputRequired("Choose who approves.")],
    )
    quorum = IntegerField(
        "Board members who must approve",
        render_kw={"inputmode": "numeric"},
    )

    def validate_quorum(self, field: IntegerField) -> None:
        """Needed only for a quorum; the board's size is the service's to check."""
        if self.rule.data != "quorum":
            field.errors = []  # a stray number beside "any one member" is ignored
            return
        if field.data is None:
            raise ValidationError("Enter how many board members must approve.")
        if field.data < 1:
            raise ValidationError("At least one board member must approve.")

    @property
    def chosen(self) -> int:
        """The quorum the form asks for (1 for any one member)."""
        return 1 if self.rule.data == "any" else int(self.quorum.data or 0)
