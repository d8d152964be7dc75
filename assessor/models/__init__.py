"""SQLAlchemy 2 typed models, one module per aggregate."""

from assessor.models.assignment import (
    PARTICIPANT_KINDS,
    STATUSES,
    Answer,
    Assignment,
    CandidateStanding,
    Interview,
    PageTiming,
    PairwiseJudgement,
    Result,
)
from assessor.models.audit import AuditEvent
from assessor.models.base import Base, utcnow
from assessor.models.engagement import (
    Engagement,
    EngagementNorm,
    RoleProfileVersion,
    Survey,
    SurveyInvitation,
    SurveyRelease,
)
from assessor.models.organisation import ROLES, Organisation, User

__all__ = [
    "PARTICIPANT_KINDS",
    "ROLES",
    "STATUSES",
    "Answer",
    "Assignment",
    "AuditEvent",
    "Base",
    "CandidateStanding",
    "Engagement",
    "EngagementNorm",
    "Interview",
    "Organisation",
    "PageTiming",
    "PairwiseJudgement",
    "Result",
    "RoleProfileVersion",
    "Survey",
    "SurveyInvitation",
    "SurveyRelease",
    "User",
    "utcnow",
]
