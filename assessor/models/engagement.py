"""One piece of client work: one CCO role at one client company."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assessor.models.base import Base, utcnow


class Engagement(Base):
    """Holds the role scope, the candidates and the readiness surveys of one search."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    client_name: Mapped[str] = mapped_column(String(200))
    role_title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: Share of the final score that comes from interview ratings (0 = test only).
    interview_weight: Mapped[float] = mapped_column(default=0.4)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Candidates by status, plus "all", "flagged" and "ranked": counted again in the
    #: transaction of every change to a candidate (``services.standings.recount``), so
    #: the dashboard's filters cost no query.
    candidate_counts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    #: [[score, candidates with it], ...] from the highest stored score down: a rank is
    #: 1 + the candidates above. Scores are stored to one decimal, so at most 1,001
    #: pairs; stored with the standings, loaded only by the pages that show ranks.
    score_counts: Mapped[list[Any]] = mapped_column(
        JSON, default=list, server_default="[]", deferred=True
    )


class EngagementNorm(Base):
    """What an engagement's candidates are compared with: per scale, the spread of
    their scores (for percentiles) and the standard error of measurement (for bands).

    Rebuilt from every stored result when the number of scored candidates has moved
    by ``standings.NORM_REFRESH_SHARE`` since the last build (at every change while
    the pool is small); between builds new candidates are placed against it.
    """

    __tablename__ = "engagement_norm"

    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True
    )
    #: scored candidates the norm was built from
    n: Mapped[int]
    #: scale key → {"sem", "reliability", "estimated", "values", "counts"}
    data: Mapped[dict[str, Any]]
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleProfileVersion(Base):
    """One version of the role profile candidates are weighed against.

    Versions are never edited: a new profile is a new version, so an earlier
    ranking stays explainable by the version it used.
    """

    __tablename__ = "role_profile_version"
    __table_args__ = (UniqueConstraint("engagement_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    version: Mapped[int]
    #: scoring.profiles.RoleProfile.to_dict()
    data: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    #: "approved" versions can be current; a board's "proposed" one waits for approval.
    status: Mapped[str] = mapped_column(String(20), default="approved")
    is_current: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]


class Survey(Base):
    """One round of a readiness survey in an engagement, collected anonymously."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("engagement_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    round: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    instrument_key: Mapped[str] = mapped_column(String(80))
    instrument_version: Mapped[int]
    instrument_hash: Mapped[str] = mapped_column(String(64))
    #: Rotated to close every collection link issued before.
    token_nonce: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="open")
    closes_at: Mapped[datetime | None]
    #: Target number of responses per level, e.g. {"board": 5, "front_line": 40}.
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Anonymity minimum: cells with fewer respondents are never shown.
    min_cell: Mapped[int] = mapped_column(default=5)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
