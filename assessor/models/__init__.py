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
    EngagementMember,
    ProfileDecision,
    RoleProfileVersion,
    Survey,
    SurveyInvitation,
    SurveyRelease,
)
from assessor.models.norms import EngagementNormChoice, NormGroup, NormGroupMember
from assessor.models.organisation import (
    CLIENT_ROLES,
    ROLES,
    STAFF_ROLES,
    Client,
    Organisation,
    User,
)

__all__ = [
    "CLIENT_ROLES",
    "PARTICIPANT_KINDS",
    "ROLES",
    "STAFF_ROLES",
    "STATUSES",
    "Answer",
    "Assignment",
    "AuditEvent",
    "Base",
    "CandidateStanding",
    "Client",
    "Engagement",
    "EngagementMember",
    "EngagementNormChoice",
    "Interview",
    "NormGroup",
    "NormGroupMember",
    "Organisation",
    "PageTiming",
    "PairwiseJudgement",
    "ProfileDecision",
    "Result",
    "RoleProfileVersion",
    "Survey",
    "SurveyInvitation",
    "SurveyRelease",
    "User",
    "utcnow",
]
