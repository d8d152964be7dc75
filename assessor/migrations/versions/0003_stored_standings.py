"""Stored standings: candidates' fit, bands and percentiles, the norm, counts by status

Replaces the candidates revision (per-worker pools cached under a token) with
results stored in the database: the dashboard sorts and filters in SQL.
Existing engagements are filled in by ``assessor init-db`` / ``serve``
(``standings.backfill``), which runs after the migrations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessor.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LISTING_INDEXES = {
    "ix_assignment_listing_fit": ("engagement_id", "kind", "is_scored-", "score-", "name", "id"),
    "ix_assignment_listing_status_fit": (
        "engagement_id",
        "kind",
        "status",
        "is_scored-",
        "score-",
        "name",
        "id",
    ),
    "ix_assignment_listing_flagged_fit": (
        "engagement_id",
        "kind",
        "is_flagged",
        "is_scored-",
        "score-",
        "name",
        "id",
    ),
    "ix_assignment_listing_status_name": ("engagement_id", "kind", "status", "name", "id"),
    "ix_assignment_listing_name": ("engagement_id", "kind", "name", "id"),
    "ix_assignment_listing_invited": ("engagement_id", "kind", "created_at", "id"),
}


def _columns(spec: tuple[str, ...]) -> list[sa.ColumnElement]:
    """Index columns; a trailing '-' means descending."""
    return [
        sa.desc(sa.column(name[:-1])) if name.endswith("-") else sa.column(name) for name in spec
    ]


def upgrade() -> None:
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_column("candidates_revision")
        batch_op.add_column(
            sa.Column("candidate_counts", sa.JSON(), server_default="{}", nullable=False)
        )
        batch_op.add_column(
            sa.Column("score_counts", sa.JSON(), server_default="[]", nullable=False)
        )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("is_scored", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_flagged", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_index("ix_assignment_engagement_status")
    for name, spec in LISTING_INDEXES.items():
        op.create_index(name, "assignment", _columns(spec), unique=False)

    op.create_table(
        "candidate_standing",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("profile_version_id", sa.Integer(), nullable=True),
        sa.Column("fit", sa.Double(), nullable=True),
        sa.Column("fit_low", sa.Double(), nullable=True),
        sa.Column("fit_high", sa.Double(), nullable=True),
        sa.Column("band", sa.String(length=40), nullable=True),
        sa.Column("score_source", sa.String(length=20), nullable=True),
        sa.Column("meets_minima", sa.Boolean(), nullable=False),
        sa.Column("failed_minima", sa.JSON(), nullable=False),
        sa.Column("top", sa.JSON(), nullable=False),
        sa.Column("quality_reasons", sa.JSON(), nullable=False),
        sa.Column("scales", sa.JSON(), nullable=False),
        sa.Column("norm_n", sa.Integer(), nullable=False),
        sa.Column("computed_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_candidate_standing_assignment_id_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_candidate_standing_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_version_id"],
            ["role_profile_version.id"],
            name=op.f("fk_candidate_standing_profile_version_id_role_profile_version"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_candidate_standing")),
    )
    op.create_index(
        op.f("ix_candidate_standing_engagement_id"),
        "candidate_standing",
        ["engagement_id"],
        unique=False,
    )
    op.create_table(
        "engagement_norm",
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("built_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_engagement_norm_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("engagement_id", name=op.f("pk_engagement_norm")),
    )


def downgrade() -> None:
    op.drop_table("engagement_norm")
    op.drop_index(op.f("ix_candidate_standing_engagement_id"), table_name="candidate_standing")
    op.drop_table("candidate_standing")
    for name in LISTING_INDEXES:
        op.drop_index(name, table_name="assignment")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_engagement_status", ["engagement_id", "status"], unique=False
        )
        batch_op.drop_column("is_flagged")
        batch_op.drop_column("is_scored")
        batch_op.drop_column("score")
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_column("score_counts")
        batch_op.drop_column("candidate_counts")
        batch_op.add_column(
            sa.Column(
                "candidates_revision", sa.String(length=16), server_default="0", nullable=False
            )
        )
