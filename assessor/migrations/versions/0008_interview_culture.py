"""Culture-fit ratings on interviews: interview.culture

Interview kit v2 rates the candidate against each value the board named.
Those ratings are stored beside the competency ratings, in a column of their
own, so the competency fit (which averages ``ratings``) never includes them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interview") as batch:
        batch.add_column(sa.Column("culture", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interview") as batch:
        batch.drop_column("culture")
