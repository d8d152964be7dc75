"""Forms of the sign-in and account pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from assessor.models import ROLES
from assessor.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )


class UserForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the person's name."), Length(max=200)]
    )
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter an e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    role = SelectField("Role", choices=[SelectChoice(r, r.capitalize()) for r in ROLES])
    #: "" for the firm's staff; a client's id for its board members and viewers (set by the view)
    client = SelectField("Client", choices=[], validate_choice=False)
    password = PasswordField(
        "Initial password",
        validators=[
            DataRequired("Set an initial password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


def _new_password(label: str) -> PasswordField:
    """Length is checked here for a quick answer; the full policy is the service's."""
    return PasswordField(
        label,
        validators=[
            DataRequired("Enter the new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=200)],
    )
    password = _new_password("New password")
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Type the new password a second time."), Length(max=200)],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)]
    )


class ResetPasswordForm(FlaskForm):
    password = _new_password("New password")
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Type the new password a second time."), Length(max=200)],
    )


class ClientForm(FlaskForm):
    name = StringField(
        "Client company",
        validators=[DataRequired("Name the client company."), Length(max=200)],
    )
