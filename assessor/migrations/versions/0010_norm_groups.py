"""Norm groups across engagements; candidates' consent to norms; the blend's band

Candidates are compared with a norm group built from the firm's own completed
assessments of one instrument version, from candidates who consented to it,
instead of with their own engagement's pool (which held the candidate
themselves). ``engagement_norm`` goes; stored standings are derived data and
are cleared here, and ``assessor init-db`` stores them again with the new
figures (the band of the blended score, the interview per competency, the
composite reliability of the fit).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessor.models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "norm_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("instrument_key", sa.String(length=80), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("built_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("built_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_norm_group_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["built_by_id"], ["user_account.id"],
            name=op.f("fk_norm_group_built_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_norm_group")),
        sa.UniqueConstraint(
            "organisation_id", "instrument_key", "instrument_version", "number",
            name="uq_norm_group_number",
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_norm_group_organisation_id"), "norm_group", ["organisation_id"], unique=False
    )
    op.create_table(
        "norm_group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("norm_group_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["norm_group_id"], ["norm_group.id"],
            name=op.f("fk_norm_group_member_norm_group_id_norm_group"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["assignment.id"],
            name=op.f("fk_norm_group_member_assignment_id_assignment"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_norm_group_member")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_norm_group_member_norm_group_id"), "norm_group_member", ["norm_group_id"]
    )
    op.create_index(
        op.f("ix_norm_group_member_assignment_id"), "norm_group_member", ["assignment_id"]
    )
    op.create_table(
        "engagement_norm_choice",
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("norm_group_id", sa.Integer(), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("chosen_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagement.id"],
            name=op.f("fk_engagement_norm_choice_engagement_id_engagement"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["norm_group_id"], ["norm_group.id"],
            name=op.f("fk_engagement_norm_choice_norm_group_id_norm_group"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"], ["user_account.id"],
            name=op.f("fk_engagement_norm_choice_chosen_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "engagement_id", "instrument_version", name=op.f("pk_engagement_norm_choice")
        ),
    )  # fmt: skip
    with op.batch_alter_table("assignment") as batch:
        batch.add_column(
            sa.Column(
                "norm_consent_at", assessor.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute(sa.text("DELETE FROM candidate_standing"))  # derived; init-db restores them
    with op.batch_alter_table("candidate_standing") as batch:
        batch.add_column(sa.Column("fit_reliability", sa.Double(), nullable=True))
        batch.add_column(sa.Column("interview", sa.Double(), nullable=True))
        batch.add_column(sa.Column("score_low", sa.Double(), nullable=True))
        batch.add_column(sa.Column("score_high", sa.Double(), nullable=True))
        batch.add_column(sa.Column("norm_group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_candidate_standing_norm_group_id_norm_group"), "norm_group",
            ["norm_group_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip
    op.drop_table("engagement_norm")


def downgrade() -> None:
    op.create_table(
        "engagement_norm",
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("built_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagement.id"],
            name=op.f("fk_engagement_norm_engagement_id_engagement"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engagement_id", name=op.f("pk_engagement_norm")),
    )  # fmt: skip
    op.execute(sa.text("DELETE FROM candidate_standing"))  # the earlier code restores them
    with op.batch_alter_table("candidate_standing") as batch:
        batch.drop_constraint(
            op.f("fk_candidate_standing_norm_group_id_norm_group"), type_="foreignkey"
        )
        batch.drop_column("norm_group_id")
        batch.drop_column("score_high")
        batch.drop_column("score_low")
        batch.drop_column("interview")
        batch.drop_column("fit_reliability")
    with op.batch_alter_table("assignment") as batch:
        batch.drop_column("norm_consent_at")
    op.drop_table("engagement_norm_choice")
    op.drop_index(op.f("ix_norm_group_member_assignment_id"), table_name="norm_group_member")
    op.drop_index(op.f("ix_norm_group_member_norm_group_id"), table_name="norm_group_member")
    op.drop_table("norm_group_member")
    op.drop_index(op.f("ix_norm_group_organisation_id"), table_name="norm_group")
    op.drop_table("norm_group")
