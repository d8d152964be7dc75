"""Clients and engagement membership; board approval quorum; audit by engagement

An engagement belongs to a client of the firm (one client row per distinct
client name the firm used before). People see the engagements they are members
of: every existing engagement gets its creator and the firm's recruiters and
consultants as members, so staff keep what they could open; board users are
not added (they could see every client's engagements before, which is what
membership ends) and an administrator adds them where they belong. Proposed
role profiles are approved by the engagement's board members, one decision
per member, up to a quorum (1 = any one). Audit events carry the engagement
they concern, filled in here for the events recorded so far.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import assessor.models.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_engagement = sa.table(
    "engagement",
    sa.column("id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("client_name", sa.String),
    sa.column("client_id", sa.Integer),
    sa.column("created_by_id", sa.Integer),
)
_client = sa.table(
    "client",
    sa.column("id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("created_at", assessor.models.base.UTCDateTime(timezone=True)),
)
_user = sa.table(
    "user_account",
    sa.column("id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("role", sa.String),
)
_member = sa.table(
    "engagement_member",
    sa.column("engagement_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("added_by_id", sa.Integer),
    sa.column("created_at", assessor.models.base.UTCDateTime(timezone=True)),
)
_audit = sa.table(
    "audit_event",
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("engagement_id", sa.Integer),
)
_assignment = sa.table(
    "assignment", sa.column("id", sa.Integer), sa.column("engagement_id", sa.Integer)
)
_survey = sa.table("survey", sa.column("id", sa.Integer), sa.column("engagement_id", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_client_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("organisation_id", "name", name=op.f("uq_client_organisation_id_name")),
    )
    op.create_index(op.f("ix_client_organisation_id"), "client", ["organisation_id"], unique=False)

    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("approval_quorum", sa.Integer(), server_default="1", nullable=False)
        )
    _move_client_names()
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.alter_column("client_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_engagement_client_id"), ["client_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_engagement_client_id_client"), "client", ["client_id"], ["id"]
        )
        batch_op.drop_column("client_name")

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_client_id"), ["client_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_client_id_client"), "client", ["client_id"], ["id"]
        )

    op.create_table(
        "engagement_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_engagement_member_added_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_engagement_member_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_engagement_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_member")),
        sa.UniqueConstraint(
            "engagement_id", "user_id", name=op.f("uq_engagement_member_engagement_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_engagement_member_engagement_id"),
        "engagement_member",
        ["engagement_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engagement_member_user_id"), "engagement_member", ["user_id"], unique=False
    )
    _add_staff_members()

    op.create_table(
        "profile_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", assessor.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_profile_decision_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["role_profile_version.id"],
            name=op.f("fk_profile_decision_version_id_role_profile_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_decision")),
        sa.UniqueConstraint(
            "version_id", "user_id", name=op.f("uq_profile_decision_version_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_profile_decision_version_id"), "profile_decision", ["version_id"], unique=False
    )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engagement_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_audit_event_engagement_created", ["engagement_id", "created_at"], unique=False
        )
    _place_audit_events()


def _move_client_names() -> None:
    """One client per distinct name a firm used; every engagement points at its client."""
    bind = op.get_bind()
    names = bind.execute(
        sa.select(_engagement.c.organisation_id, _engagement.c.client_name).distinct()
    ).all()
    now = assessor.models.base.utcnow()
    for organisation_id, name in names:
        client_id = bind.execute(
            _client.insert()
            .values(organisation_id=organisation_id, name=name, created_at=now)
            .returning(_client.c.id)
        ).scalar_one()
        bind.execute(
            _engagement.update()
            .where(
                _engagement.c.organisation_id == organisation_id,
                _engagement.c.client_name == name,
            )
            .values(client_id=client_id)
        )


def _add_staff_members() -> None:
    """Staff keep the engagements they could open: the creator, recruiters, consultants."""
    bind = op.get_bind()
    now = assessor.models.base.utcnow()
    engagements = bind.execute(
        sa.select(_engagement.c.id, _engagement.c.organisation_id, _engagement.c.created_by_id)
    ).all()
    for engagement_id, organisation_id, created_by_id in engagements:
        staff = set(
            bind.execute(
                sa.select(_user.c.id).where(
                    _user.c.organisation_id == organisation_id,
                    _user.c.role.in_(("recruiter", "consultant")),
                )
            ).scalars()
        )
        if created_by_id is not None:
            staff.add(created_by_id)
        for user_id in sorted(staff):
            bind.execute(
                _member.insert().values(
                    engagement_id=engagement_id, user_id=user_id, created_at=now
                )
            )


def _place_audit_events() -> None:
    op.execute(
        _audit.update()
        .where(_audit.c.object_type == "engagement")
        .values(engagement_id=_audit.c.object_id)
    )
    for table, kind in ((_assignment, "assignment"), (_survey, "survey")):
        owner = (
            sa.select(table.c.engagement_id)
            .where(table.c.id == _audit.c.object_id)
            .scalar_subquery()
        )
        op.execute(_audit.update().where(_audit.c.object_type == kind).values(engagement_id=owner))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_engagement_created")
        batch_op.drop_column("engagement_id")
    op.drop_index(op.f("ix_profile_decision_version_id"), table_name="profile_decision")
    op.drop_table("profile_decision")
    op.drop_index(op.f("ix_engagement_member_user_id"), table_name="engagement_member")
    op.drop_index(op.f("ix_engagement_member_engagement_id"), table_name="engagement_member")
    op.drop_table("engagement_member")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_account_client_id_client"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_account_client_id"))
        batch_op.drop_column("client_id")
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_name", sa.String(length=200), nullable=True))
    op.execute(
        _engagement.update().values(
            client_name=sa.select(_client.c.name)
            .where(_client.c.id == _engagement.c.client_id)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.alter_column("client_name", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_engagement_client_id_client"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_engagement_client_id"))
        batch_op.drop_column("approval_quorum")
        batch_op.drop_column("client_id")
    op.drop_index(op.f("ix_client_organisation_id"), table_name="client")
    op.drop_table("client")
