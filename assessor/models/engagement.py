"""One piece of client work: one CCO role at one client company."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessor.models.base import Base, utcnow
from assessor.models.organisation import Client


class Engagement(Base):
    """Holds the role scope, the candidates and the readiness surveys of one search."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    role_title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: Board members of this engagement who must approve a proposed role profile
    #: before it ranks anyone: 1 = any one of them.
    approval_quorum: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Version of the candidate assessment new invitations get; None = the latest
    #: published one. Candidates keep the version they were invited with.
    candidate_version: Mapped[int | None]
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

    client: Mapped[Client] = relationship(lazy="joined", innerjoin=True)

    @property
    def client_name(self) -> str:
        """The client's name (kept on the client, so renaming it renames it everywhere)."""
        return self.client.name


class EngagementMember(Base):
    """A person assigned to an engagement: what they may open, with their role.

    Firm staff see the engagements they are members of (admins see all); client
    users see nothing else. Checked on every request, so a removal takes effect
    on the member's next request.
    """

    __tablename__ = "engagement_member"
    __table_args__ = (UniqueConstraint("engagement_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    #: "default" (the archetype's weights set at creation, in use but approved by nobody),
    #: "proposed" (waits for the engagement's board, ranks nobody), "approved", "rejected",
    #: "superseded" or "withdrawn" (``services.board.PROFILE_STATUSES``). A new version is
    #: a proposal unless its creator says otherwise, so no path can rank unapproved.
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    is_current: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]


class ProfileDecision(Base):
    """One board member's approval or rejection of a proposed profile version."""

    __tablename__ = "profile_decision"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("role_profile_version.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: "approve" or "reject"
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    #: Anonymity minimum k: no published figure, and no difference between published
    #: figures, describes fewer than k respondents.
    min_cell: Mapped[int] = mapped_column(default=5)
    #: Why k is below the default of 5 (required then, recorded in the audit log too).
    min_cell_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: "invitation": single-use personal links (nobody can add responses);
    #: "open": one shared link that anyone holding it may answer any number of times.
    collection: Mapped[str] = mapped_column(
        String(20), default="invitation", server_default="invitation"
    )
    #: Whether results are broken down by level, department and region. Always on for
    #: invitation rounds; off on an open link unless the consultant turns it on knowingly.
    breakdowns: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class SurveyInvitation(Base):
    """One person's single-use link to a readiness round.

    Holds whether the link has been used, never which response it started: the
    response is created with no reference back, so answers cannot be traced to an
    address. The address itself is deleted when the round closes.
    """

    __tablename__ = "survey_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    #: None once the round has closed (or the address was removed).
    email: Mapped[str | None] = mapped_column(String(254))
    #: Level / department / region given in the list, so the respondent need not say it;
    #: cleared when the link is used (the response carries it from then on).
    segment: Mapped[dict[str, Any] | None]
    nonce: Mapped[str] = mapped_column(String(32))
    is_used: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyRelease(Base):
    """What one release of a round's results published, kept for ever.

    Results are never computed live: each release fixes the respondents it covers
    (``Assignment.release_number``), is checked against every earlier release of the
    round so that no difference between them describes fewer than k people, and
    stores exactly what every output (page, CSV, JSON, PDF) then shows.
    """

    __tablename__ = "survey_release"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    number: Mapped[int]
    #: Responses submitted up to this release (those in the results and those left out).
    submitted: Mapped[int]
    #: Responses in the results (attention checks passed, every dimension answered).
    included: Mapped[int]
    #: {"result": ReadinessResult.to_dict(), "excluded": {...}, "breakdowns": bool}; the
    #: sets it published follow from the result (``scoring.readiness.published_sets``).
    data: Mapped[dict[str, Any]]
    is_final: Mapped[bool] = mapped_column(default=False, server_default=false())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
