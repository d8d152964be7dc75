"""The candidate assessment version an engagement gives new invitations

``engagement.candidate_version``: None gives the latest published version
(version 1 until version 2 leaves its pilot); a recruiter may choose version 2
for an engagement. Candidates keep the version they were invited with, and each
is scored with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engagement") as batch:
        batch.add_column(sa.Column("candidate_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engagement") as batch:
        batch.drop_column("candidate_version")
