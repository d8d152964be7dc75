"""A participant's invitation to one instrument, and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessor.models.base import Base, utcnow

if TYPE_CHECKING:
    from assessor.models.engagement import Engagement
    from assessor.models.organisation import Organisation

#: Who answers: a CCO candidate, a board member (role scope), an anonymous
#: readiness respondent, or an interviewer rating a candidate.
PARTICIPANT_KINDS: tuple[str, ...] = ("candidate", "board_member", "respondent", "interviewer")
STATUSES: tuple[str, ...] = (
    "invited",
    "in_progress",
    "completed",
    "shortlisted",
    "rejected",
    "hired",
    "revoked",
    "erased",
)


class Assignment(Base):
    """One participant, one instrument version, one signed link.

    The instrument key, version and content hash are stored so old answers
    are always scored against the definition they were given against.
    """

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"))
    #: The readiness survey round an anonymous respondent answers (None otherwise).
    survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    instrument_key: Mapped[str] = mapped_column(String(80))
    instrument_version: Mapped[int]
    instrument_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="invited")
    #: Rotated to invalidate every link issued before (revoke, re-issue).
    token_nonce: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime]
    #: Segment of an anonymous respondent (level, department, region); never identity.
    segment: Mapped[dict[str, Any] | None]
    #: The first release of its round's results that covers this submitted response.
    release_number: Mapped[int | None]
    current_section: Mapped[str | None] = mapped_column(String(80))
    consented_at: Mapped[datetime | None]
    #: A candidate agreed, separately and optionally, that their scores may be used
    #: without their name in the firm's norm groups (``services.norm_groups``).
    norm_consent_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: Set when the participant's data was erased on request; the row stays as a tombstone.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A candidate's final score (fit, blended with interviews where recorded), as
    #: stored by ``services.standings``; None until there is one. Sorted on in SQL.
    score: Mapped[float | None]
    #: ``score is not None``, kept as a column so that "scored first" is an index order
    #: on both databases (they disagree on where NULLs sort).
    is_scored: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The stored result has response-quality flags (the "Quality flags" filter).
    is_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())

    answers: Mapped[list[Answer]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )
    #: Read-only: who asks. A participant's link loads them with the assignment.
    engagement: Mapped[Engagement] = relationship(viewonly=True)
    organisation: Mapped[Organisation] = relationship(viewonly=True)


# The recruiter's listing filters and sorts in SQL: an index per order it offers, each
# ending in the tie-breakers, so that a page is read straight off the index.
Index(
    "ix_assignment_listing_fit",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.is_scored.desc(),
    Assignment.score.desc(),
    Assignment.name,
    Assignment.id,
)
Index(
    "ix_assignment_listing_status_fit",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.status,
    Assignment.is_scored.desc(),
    Assignment.score.desc(),
    Assignment.name,
    Assignment.id,
)
Index(
    "ix_assignment_listing_flagged_fit",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.is_flagged,
    Assignment.is_scored.desc(),
    Assignment.score.desc(),
    Assignment.name,
    Assignment.id,
)
Index(
    "ix_assignment_listing_status_name",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.status,
    Assignment.name,
    Assignment.id,
)
Index(
    "ix_assignment_listing_name",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.name,
    Assignment.id,
)
Index(
    "ix_assignment_listing_invited",
    Assignment.engagement_id,
    Assignment.kind,
    Assignment.created_at,
    Assignment.id,
)


class Answer(Base):
    """One answer to one item; upserted page by page so a crash loses at most a page."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("assignment_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(String(80))
    item_key: Mapped[str] = mapped_column(String(80))
    #: JSON value: int (likert, rating), str (choice, text), list (multi), float (numeric).
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="answers")


class PageTiming(Base):
    """Seconds spent on one section of an assignment (response-quality input)."""

    __tablename__ = "page_timing"
    __table_args__ = (UniqueConstraint("assignment_id", "section_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(String(80))
    seconds: Mapped[float]
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Result(Base):
    """Scores computed at submission, with the scoring version that produced them."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), unique=True
    )
    scoring_version: Mapped[str] = mapped_column(String(20))
    instrument_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateStanding(Base):
    """A scored candidate's standing against the role profile and the norm, as stored.

    Written by ``services.standings`` whenever the candidate's result, interviews,
    the role profile, the interview weight or the engagement's norm change; the
    dashboard, the candidate page, the PDF and the exports only read it, so they
    show the same figures and never recompute a pool.
    """

    __tablename__ = "candidate_standing"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), primary_key=True
    )
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    profile_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("role_profile_version.id", ondelete="SET NULL")
    )
    #: Fit from the assessment alone, with its 90% band (Mosier's composite reliability).
    fit: Mapped[float | None]
    fit_low: Mapped[float | None]
    fit_high: Mapped[float | None]
    #: Reliability of the fit as a composite of the scales (Mosier), for this profile.
    fit_reliability: Mapped[float | None]
    #: The interviews, blended per competency by the profile's weights (0-100).
    interview: Mapped[float | None]
    #: The 90% band of the score shown (the blend where interviews are recorded, else
    #: the fit; the score itself is ``Assignment.score``).
    score_low: Mapped[float | None]
    score_high: Mapped[float | None]
    #: Band label of the score shown.
    band: Mapped[str | None] = mapped_column(String(40))
    #: "blended" | "test_only" | "missing" (scoring.fit)
    score_source: Mapped[str | None] = mapped_column(String(20))
    meets_minima: Mapped[bool] = mapped_column(default=False)
    #: scale keys below the profile's must-have minimum
    failed_minima: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the three highest competencies, scale keys
    top: Mapped[list[str]] = mapped_column(JSON, default=list)
    quality_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: scale key → {"pomp", "low", "high", "percentile", "percentile_low",
    #: "percentile_high", "t", "sten", "interview", "raters", "agreement"} (None where
    #: not available)
    scales: Mapped[dict[str, Any]]
    #: The norm group the percentiles compare with (None: no group yet).
    norm_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("norm_group.id", ondelete="SET NULL")
    )
    #: candidates in that group other than this one (0: no comparison)
    norm_n: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Interview(Base):
    """One interviewer's anchored 1–5 ratings of a candidate on the interview kit."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), index=True
    )
    interviewer_name: Mapped[str] = mapped_column(String(200))
    instrument_version: Mapped[int]
    #: scale key → rating 1..5 (competencies not rated are absent)
    ratings: Mapped[dict[str, Any]]
    #: Culture-fit ratings (kit v2): ``[{"value", "behaviour", "rating"}]``, one per board
    #: value rated. Kept out of ``ratings`` so they never enter the competency fit.
    culture: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PairwiseJudgement(Base):
    """A board member's AHP judgement: how much more ``left`` matters than ``right``.

    ``value`` is on Saaty's scale (1/9 … 9); only pairs with left < right are stored.
    """

    __tablename__ = "pairwise_judgement"
    __table_args__ = (UniqueConstraint("assignment_id", "left_key", "right_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    left_key: Mapped[str] = mapped_column(String(80))
    right_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[float]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
