"""Default role profiles are not approved: status "default"

Until now a version set directly (the archetype's default weights at
engagement creation, or a recruiter's "Use this profile") was stored as
"approved" although nobody approved it, and the history said "approved on
creation". Such versions (status "approved", no approver, not the board's)
become "default", which the pages describe as set, not approved by the board.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_version = sa.table(
    "role_profile_version",
    sa.column("status", sa.String),
    sa.column("source", sa.String),
    sa.column("approved_by_id", sa.Integer),
)


def upgrade() -> None:
    op.execute(
        _version.update()
        .where(
            _version.c.status == "approved",
            _version.c.approved_by_id.is_(None),
            _version.c.source != "board",
        )
        .values(status="default")
    )


def downgrade() -> None:
    op.execute(_version.update().where(_version.c.status == "default").values(status="approved"))
