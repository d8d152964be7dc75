"""The audit trail's filters: a GET form, so a filtered view is a link one can share."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from assessor.models import Engagement, User
from assessor.services import audit, engagements
from assessor.services.audit import GROUPS, MAX_PAGE
from assessor.services.errors import NotFoundError, ServiceError

#: The filter fields, the only query parameters carried on to the next page.
FILTER_FIELDS = ("who", "what", "since", "until", "engagement", "candidate")


class AuditFilterForm(FlaskForm):
    """Who, what, when, which engagement and which candidate; the view sets the
    choices of ``who``, ``engagement`` and ``candidate``. Filters only read, so
    there is no CSRF token (and none is needed on a GET)."""

    class Meta:
        csrf = False

    who = SelectField("Who", choices=[SelectChoice("", "Anyone")], validate_choice=False)
    what = SelectField(
        "What",
        choices=[SelectChoice("", "Everything")]
        + [SelectChoice(key, label) for key, (label, _p) in GROUPS.items()],
        validate_choice=False,
    )
    since = DateField("From", validators=[Optional()], format="%Y-%m-%d")
    until = DateField("To", validators=[Optional()], format="%Y-%m-%d")
    engagement = SelectField(
        "Engagement", choices=[SelectChoice("", "All engagements")], validate_choice=False
    )
    candidate = SelectField(
        "Candidate", choices=[SelectChoice("", "All candidates")], validate_choice=False
    )
    page = IntegerField(
        "Page",
        validators=[Optional(), NumberRange(1, MAX_PAGE, "Pages go from %(min)s to %(max)s.")],
    )

    @staticmethod
    def _known(field: Any, message: str) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(message)

    def validate_who(self, field: SelectField) -> None:
        self._known(field, "Choose a person from the list.")

    def validate_what(self, field: SelectField) -> None:
        self._known(field, "Choose a kind of action from the list.")

    def validate_engagement(self, field: SelectField) -> None:
        self._known(field, "Choose one of the firm's engagements.")

    def validate_candidate(self, field: SelectField) -> None:
        self._known(field, "Choose a candidate of the chosen engagement.")

    def validate_until(self, field: DateField) -> None:
        since: date | None = self.since.data
        if since is not None and field.data is not None and field.data < since:
            raise ValidationError("The 'to' date is before the 'from' date.")

    def filters(self) -> dict[str, Any]:
        """The validated filters as :func:`assessor.services.audit.search` takes them."""
        return {
            "actor_id": int(self.who.data) if self.who.data else None,
            "action_group": self.what.data or None,
            "since": self.since.data,
            "until": self.until.data,
            "candidate_id": int(self.candidate.data) if self.candidate.data else None,
            "page": self.page.data or 1,
        }

    def query(self) -> dict[str, str]:
        """The filters as given, for links to other pages of the same view."""
        values = {name: self[name].raw_data for name in FILTER_FIELDS if name in self}
        return {name: raw[0] for name, raw in values.items() if raw and raw[0]}


def filter_form(
    user: User, args: MultiDict[str, str], engagement: Engagement | None = None
) -> tuple[AuditFilterForm, Engagement | None]:
    """The filters read from ``args``, their choices set, and the engagement to show.

    With ``engagement`` (the engagement's own trail) there is no engagement
    choice; otherwise (the firm-wide log) the chosen one, if it is the firm's,
    also lists its candidates. Call ``validate()`` on the form afterwards.
    """
    form = AuditFilterForm(formdata=args)
    fixed = engagement is not None
    form.who.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(str(i), name) for i, name in audit.people(user, engagement)
    ]
    if fixed:
        del form.engagement
    else:
        form.engagement.choices = [SelectChoice("", "All engagements")] + [
            SelectChoice(str(i), title) for i, title in audit.engagements_of(user)
        ]
        chosen = form.engagement.data
        if chosen and chosen in {c.value for c in form.engagement.choices}:
            try:
                engagement = engagements.get_engagement(user, chosen)
            except NotFoundError:
                engagement = None
    if engagement is not None:
        form.candidate.choices = [SelectChoice("", "All candidates")] + [
            SelectChoice(str(i), name) for i, name in audit.candidates_of(engagement)
        ]
    return form, engagement


def filtered_page(
    user: User, args: MultiDict[str, str], engagement: Engagement | None = None
) -> tuple[AuditFilterForm, audit.AuditPage | None, Engagement | None]:
    """The filter form and the page of events it selects (None when a filter is wrong:
    the form then holds the reasons), for the firm-wide and the engagement's trail."""
    form, engagement = filter_form(user, args, engagement)
    if not form.validate():
        return form, None, engagement
    try:
        return form, audit.search(user, engagement=engagement, **form.filters()), engagement
    except ServiceError as exc:
        form.form_errors.append(exc.message)
        return form, None, engagement
