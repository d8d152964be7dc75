"""Readiness anonymity: single-use invitations, stored releases, k with a reason

Rounds collect through personal single-use invitations by default; an open
link is labelled as such and publishes no breakdowns unless turned on. Results
are published as stored releases, each covering the responses marked with its
number. Rounds collected before this revision were open links: they keep that
mode with breakdowns off, and a closed round gets its first release from
``assessor init-db`` (``survey_releases.backfill``), which runs after the
migrations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessor.models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("min_cell_reason", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("collection", sa.String(length=20), server_default="open", nullable=False)
        )
        batch_op.add_column(
            sa.Column("breakdowns", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # New rounds default to invitations with breakdowns (the models' defaults).
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.alter_column("collection", server_default="invitation")
        batch_op.alter_column("breakdowns", server_default=sa.true())
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_number", sa.Integer(), nullable=True))

    op.create_table(
        "survey_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("segment", sa.JSON(), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("is_used", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sent_at", assessor.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_invitation_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_invitation_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitation")),
    )
    op.create_index(
        op.f("ix_survey_invitation_organisation_id"),
        "survey_invitation",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_survey_invitation_survey_id"), "survey_invitation", ["survey_id"], unique=False
    )
    op.create_table(
        "survey_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("included", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("is_final", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_release_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["user_account.id"],
            name=op.f("fk_survey_release_released_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_release_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_release")),
        sa.UniqueConstraint("survey_id", "number", name=op.f("uq_survey_release_survey_id_number")),
    )
    op.create_index(
        op.f("ix_survey_release_organisation_id"),
        "survey_release",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_release_organisation_id"), table_name="survey_release")
    op.drop_table("survey_release")
    op.drop_index(op.f("ix_survey_invitation_survey_id"), table_name="survey_invitation")
    op.drop_index(op.f("ix_survey_invitation_organisation_id"), table_name="survey_invitation")
    op.drop_table("survey_invitation")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("release_number")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_column("breakdowns")
        batch_op.drop_column("collection")
        batch_op.drop_column("min_cell_reason")
