"""Norm groups: the installation's own candidates a new candidate is compared with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, utcnow


class NormGroup(Base):
    """One built version of a norm group: completed assessments of one instrument
    version, across the firm's engagements, from candidates who consented to the
    anonymous use of their scores for norms.

    A group is never changed after it is built: new candidates go into the next
    version, so an engagement that chose a version keeps its comparison.
    """

    __tablename__ = "norm_group"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id",
            "instrument_key",
            "instrument_version",
            "number",
            name="uq_norm_group_number",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    instrument_key: Mapped[str] = mapped_column(String(80))
    instrument_version: Mapped[int]
    #: 1, 2, … per organisation and instrument version
    number: Mapped[int]
    #: completed assessments in the group
    n: Mapped[int]
    #: who, when, how many, which roles (``services.norm_groups.describe``)
    description: Mapped[dict[str, Any]]
    #: per scale: the score distribution, reliability with its interval, and the
    #: scales' intercorrelations (``services.norm_groups.build``)
    data: Mapped[dict[str, Any]]
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    built_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class NormGroupMember(Base):
    """A candidate whose scores are in a norm group: kept so that a candidate is never
    compared with a group that holds their own scores (they are taken out first).

    Erasing the candidate clears ``assignment_id``: the scores stay in the built group
    without a link to anyone, as the consent said.
    """

    __tablename__ = "norm_group_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    norm_group_id: Mapped[int] = mapped_column(
        ForeignKey("norm_group.id", ondelete="CASCADE"), index=True
    )
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="SET NULL"), index=True
    )
    #: the POMP score per scale, in the order of the group's scales (None: not scored)
    scores: Mapped[list[Any]] = mapped_column(JSON)


class EngagementNormChoice(Base):
    """The norm group an engagement compares its candidates of one instrument version
    with. Without a choice, the newest group of that version is used."""

    __tablename__ = "engagement_norm_choice"

    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_version: Mapped[int] = mapped_column(primary_key=True)
    norm_group_id: Mapped[int] = mapped_column(ForeignKey("norm_group.id", ondelete="CASCADE"))
    chosen_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)
