"""A participant's invitation to one instrument, and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
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
    __table_args__ = (Index("ix_assignment_engagement_status", "engagement_id", "status"),)

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
    current_section: Mapped[str | None] = mapped_column(String(80))
    consented_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: Set when the participant's data was erased on request; the row stays as a tombstone.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )
    #: Read-only: who asks. A participant's link loads them with the assignment.
    engagement: Mapped[Engagement] = relationship(viewonly=True)
    organisation: Mapped[Organisation] = relationship(viewonly=True)


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
