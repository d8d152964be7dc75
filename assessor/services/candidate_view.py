"""Everything shown about one candidate, assembled once for the page, JSON and PDF."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

import questionnaires
from assessor.extensions import db
from assessor.models import Assignment, CandidateStanding, Engagement, NormGroup, Result
from assessor.services import candidates as candidate_service
from assessor.services import norm_groups, profiles, responses, standings
from assessor.services.errors import NotFoundError
from questionnaires import ARCHETYPE_NAMES
from scoring.bands import narrative
from scoring.profiles import SCALE_CLUSTER
from scoring.reliability import DEFAULT_RELIABILITY

INTERVIEW_KIT = "interview_kit"
GUIDE_COMPETENCIES = 4


@dataclass
class CompetencyRow:
    key: str
    name: str
    cluster: str
    pomp: float | None
    low: float | None
    high: float | None
    percentile: float | None
    band: str | None
    band_label: str | None
    minimum: float | None
    gap: float | None
    narrative: str | None
    interview_mean: float | None = None
    interview_spread: float | None = None
    percentile_low: float | None = None
    percentile_high: float | None = None
    t: float | None = None
    sten: float | None = None
    #: the interviews on this competency (0-100), how many rated it, their agreement r_wg
    interview: float | None = None
    raters: int = 0
    agreement: float | None = None
    #: the scale's reliability in the norm group, e.g. "α .84 (.79–.88)", or why there is none
    reliability: str = ""


@dataclass
class CandidateView:
    assignment_id: int
    name: str
    email: str
    status: str
    submitted_at: str | None
    engagement_id: int
    client_name: str
    role_title: str
    profile_name: str | None
    profile_version: int | None
    archetype: str | None
    #: the score shown (blended with interviews where recorded), its 90% band and label
    fit: float | None
    fit_low: float | None
    fit_high: float | None
    fit_band: str | None
    rank: int | None
    pool_size: int
    score_source: str | None
    interview_weight: float
    failed_minima: list[str]
    recommendation: str
    competencies: list[CompetencyRow]
    strengths: list[tuple[str, str]]
    development: list[tuple[str, str]]
    guide: list[dict[str, Any]]
    quality_flagged: bool
    quality_notes: list[str]
    experience: list[str]
    interviews: list[dict[str, Any]]
    norms_usable: bool
    norm_note: str
    profile_values: list[float | None] = field(default_factory=list)
    #: culture fit from the interviews (kit v2), apart from the competency fit; None if unrated
    culture_fit: dict[str, Any] | None = None
    #: which version of the assessment the candidate answered, in words (page and PDF)
    instrument_label: str = ""
    #: the assessment's fit alone with its band, and its reliability (Mosier), after
    #: interviews moved the score shown
    assessment_fit: float | None = None
    assessment_low: float | None = None
    assessment_high: float | None = None
    fit_reliability: float | None = None
    #: the interviews weighted as the fit (0-100); None before any interview
    interview_score: float | None = None
    norm_group: str | None = None
    norm_provisional: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recommendation_for(
    fit: float | None, band: str | None, failed: list[str], flagged: bool
) -> str:
    """A plain-language next step; never a verdict on its own."""
    if fit is None:
        return (
            "Not enough answers to compute a fit score; review the competency scores that "
            "are available and ask the candidate to complete the missing parts."
        )
    text = {
        "strong": "Strong fit to the role profile: a priority for interview.",
        "good": "Good fit to the role profile: worth interviewing.",
        "partial": "Partial fit: interview only if the gaps below can be developed or are "
        "less important for this client.",
        "weak": "Weak fit to this role profile: consider only with strong evidence from "
        "interviews and references.",
    }.get((band or "").split(" ")[0], f"Fit {fit:.0f} of 100.")
    if failed:
        text += f" Below the must-have minimum on: {', '.join(failed)}; probe these first."
    if flagged:
        text += " Response-quality concerns were noted; read them before relying on the scores."
    return text


def build(engagement: Engagement, assignment: Assignment) -> CandidateView:
    """The candidate's whole view from their stored standing; an erased record has none (404)."""
    if assignment.erased_at is not None:
        raise NotFoundError("This record was erased.")
    instrument = standings.candidate_instrument()
    taken = responses.instrument_of(assignment)
    narratives = questionnaires.load_narratives(instrument.key)
    kit = questionnaires.latest(INTERVIEW_KIT)
    standing = db.session.get(CandidateStanding, assignment.id)
    stored = standing.scales if standing is not None else {}
    version, profile = profiles.current_profile(engagement)
    minima = dict(profile.minima) if profile else {}
    weights = dict(profile.weights) if profile else {}
    interviews = candidate_service.interviews_of(assignment)
    ratings_by_scale: dict[str, list[int]] = {}
    for interview in interviews:
        for scale, value in (interview.ratings or {}).items():
            ratings_by_scale.setdefault(scale, []).append(int(value))
    culture = culture_fit_of(interviews)
    cluster_names = {c.key: c.name for c in instrument.clusters}
    group = (
        db.session.get(NormGroup, standing.norm_group_id)
        if standing is not None and standing.norm_group_id is not None
        else None
    )
    evidence_text = _evidence_texts(group, taken.version)
    rows: list[CompetencyRow] = []
    competencies = [s for s in instrument.scales if s.kind == "competency"]
    for scale in competencies:
        figures = stored.get(scale.key) or {}
        pomp = figures.get("pomp")
        story = narrative(scale.key, pomp, narratives)
        minimum = minima.get(scale.key)
        ratings = ratings_by_scale.get(scale.key, [])
        rows.append(
            CompetencyRow(
                key=scale.key,
                name=scale.name,
                cluster=cluster_names.get(SCALE_CLUSTER.get(scale.key, ""), ""),
                pomp=pomp,
                low=figures.get("low"),
                high=figures.get("high"),
                percentile=figures.get("percentile"),
                band=story.band,
                band_label=story.label,
                minimum=minimum,
                gap=(
                    round(minimum - pomp, 1) if minimum is not None and pomp is not None else None
                ),
                narrative=story.text,
                interview_mean=round(float(np.mean(ratings)), 2) if ratings else None,
                interview_spread=(
                    round(float(np.std(ratings, ddof=1)), 2)
                    if len(ratings) > 1
                    else (0.0 if ratings else None)
                ),
                percentile_low=figures.get("percentile_low"),
                percentile_high=figures.get("percentile_high"),
                t=figures.get("t"),
                sten=figures.get("sten"),
                interview=figures.get("interview"),
                raters=int(figures.get("raters") or 0),
                agreement=figures.get("agreement"),
                reliability=evidence_text.get(scale.key, ""),
            )
        )
    scored = [r for r in rows if r.pomp is not None]
    by_score = sorted(scored, key=lambda r: -r.pomp)  # type: ignore[operator]
    strengths = [
        (r.name, r.narrative or "") for r in by_score[:3] if r.band in ("strength", "distinctive")
    ]
    development = [
        (r.name, r.narrative or "")
        for r in reversed(by_score[-3:])
        if r.band in ("development", "solid") or (r.gap or 0) > 0
    ]
    guide = _interview_guide(rows, weights, kit)
    result = db.session.scalar(select(Result).where(Result.assignment_id == assignment.id))
    data = result.data if result else {}
    usable = any(r.percentile is not None for r in rows)
    failed = [instrument.scale(k).name for k in (standing.failed_minima if standing else [])]
    flagged = assignment.is_flagged
    return CandidateView(
        assignment_id=assignment.id,
        name=assignment.name or "",
        email=assignment.email or "",
        status=assignment.status,
        submitted_at=assignment.submitted_at.isoformat() if assignment.submitted_at else None,
        engagement_id=engagement.id,
        client_name=engagement.client_name,
        role_title=engagement.role_title,
        profile_name=profile.name if profile else None,
        profile_version=version.version if version else None,
        archetype=ARCHETYPE_NAMES.get(profile.archetype or "") if profile else None,
        fit=assignment.score,
        fit_low=standing.score_low if standing else None,
        fit_high=standing.score_high if standing else None,
        fit_band=standing.band if standing else None,
        assessment_fit=standing.fit if standing else None,
        assessment_low=standing.fit_low if standing else None,
        assessment_high=standing.fit_high if standing else None,
        fit_reliability=standing.fit_reliability if standing else None,
        interview_score=standing.interview if standing else None,
        norm_group=(
            f"norm group {group.number} of version {group.instrument_version} ({group.n} "
            "candidates)"
            if group is not None
            else None
        ),
        norm_provisional=norm_groups.is_provisional(group),
        rank=standings.rank_of(engagement, assignment),
        pool_size=int((engagement.candidate_counts or {}).get("ranked", 0)),
        score_source=standing.score_source if standing else None,
        interview_weight=engagement.interview_weight,
        failed_minima=failed,
        recommendation=recommendation_for(
            assignment.score, standing.band if standing else None, failed, flagged
        ),
        competencies=rows,
        strengths=strengths,
        development=development,
        guide=guide,
        quality_flagged=flagged,
        quality_notes=list(standing.quality_reasons) if standing else [],
        experience=list(data.get("experience") or []),
        interviews=[
            {
                "interviewer": iv.interviewer_name,
                "ratings": iv.ratings,
                "culture": list(iv.culture or []),
                "notes": iv.notes,
                "at": iv.created_at.isoformat(),
            }
            for iv in interviews
        ],
        norms_usable=usable,
        norm_note=norm_groups.comparison_note(group, taken.version),
        profile_values=[_profile_value(s.key, weights, minima) for s in competencies],
        culture_fit=culture,
        instrument_label=instrument_label(taken),
    )


def _evidence_texts(group: NormGroup | None, version: int) -> dict[str, str]:
    """Each scale's reliability in the candidate's norm group, in words for the table;
    without a group, the assumption (and "none" for a one-item scale)."""
    if group is None:
        keys = tuple(s.key for s in standings.candidate_instrument().scales)
        single = standings.single_items(version, keys)
        assumed = norm_groups.reliability_text(
            {"method": "assumed", "reliability": DEFAULT_RELIABILITY}
        )
        return {
            key: norm_groups.reliability_text({"method": "single item"}) if one else assumed
            for key, one in zip(keys, single, strict=True)
        }
    return {
        key: norm_groups.reliability_text((figures or {}).get("evidence") or {})
        for key, figures in group.data.get("scale", {}).items()
    }


#: How each version of the candidate assessment measures, for the page and the PDF.
VERSION_METHODS = {
    1: "agree/disagree statements, situations and an experience checklist",
    2: "forced-choice blocks (most and least like me), situations rated for effectiveness, "
    "a short frequency part and an experience checklist, with faking checks",
}


def instrument_label(instrument: questionnaires.Instrument) -> str:
    """The assessment a candidate took, e.g. "CCO candidate assessment, version 2 (…)":
    candidates of one engagement may have taken different versions, each scored with its own."""
    method = VERSION_METHODS.get(instrument.version)
    return f"{instrument.title}, version {instrument.version}" + (f" ({method})" if method else "")


def culture_fit_of(interviews: list[Any]) -> dict[str, Any] | None:
    """Culture fit (interview): the mean of every culture rating, and each value's mean.

    Shown beside the competency fit and never blended into it (the standing
    averages ``Interview.ratings`` only): the board decides how much culture
    weighs. None when no interview rated a value (kit v1 interviews never do).
    """
    by_value: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for interview in interviews:
        for entry in interview.culture or []:
            name = str(entry.get("value", ""))
            key = name.casefold()
            names.setdefault(key, name)
            by_value.setdefault(key, []).append(int(entry["rating"]))
    every = [r for ratings in by_value.values() for r in ratings]
    if not every:
        return None
    return {
        "mean": round(float(np.mean(every)), 2),
        "ratings": len(every),
        "values": [
            {"value": names[k], "mean": round(float(np.mean(v)), 2), "ratings": len(v)}
            for k, v in by_value.items()
        ],
    }


def _profile_value(scale: str, weights: dict[str, float], minima: dict[str, float]) -> float | None:
    """What the role asks of a competency on 0–100: its minimum, else its cluster's emphasis."""
    if scale in minima:
        return float(minima[scale])
    cluster = SCALE_CLUSTER.get(scale)
    if cluster is None or not weights:
        return None
    top = max(weights.values()) or 1.0
    return round(30 + 40 * weights.get(cluster, 0.0) / top, 1)


def _interview_guide(
    rows: list[CompetencyRow], weights: dict[str, float], kit: questionnaires.Instrument
) -> list[dict[str, Any]]:
    """Kit questions for the competencies with the largest weighted gaps."""
    questions = {item.scale: item for item in kit.items if item.type == "rating"}

    def priority(row: CompetencyRow) -> float:
        if row.pomp is None:
            return 1000.0
        gap = row.gap if row.gap is not None else 0.0
        emphasis = weights.get(SCALE_CLUSTER.get(row.key, ""), 0.0)
        return max(gap, 0.0) * 2 + (100 - row.pomp) * (0.5 + emphasis)

    ranked = sorted((r for r in rows if r.key in questions), key=priority, reverse=True)
    guide = []
    for row in ranked[:GUIDE_COMPETENCIES]:
        item = questions[row.key]
        guide.append(
            {
                "key": row.key,
                "name": row.name,
                "score": row.pomp,
                "gap": row.gap,
                "questions": list(item.questions),
                "anchors": {a.level: a.text for a in item.anchors},
            }
        )
    return guide


METHOD_NOTES = (
    "Scores are percent of maximum possible (POMP, 0 to 100) on each competency scale of the "
    "candidate assessment; 50 is the middle of the scale, not an average person.",
    "The 90% band around each score comes from the scale's standard error of measurement: "
    "the reliability estimated in the norm group (Cronbach's alpha with its Feldt interval, "
    "or the model's own standard error for forced-choice scales), or an assumed reliability "
    "of .80, labelled as assumed, before a norm group exists. The one-item experience "
    "checklist has no reliability to estimate and so no band. Two scores whose bands "
    "overlap should not be read as different.",
    "Percentiles, normalised T scores and stens compare the candidate with a norm group: "
    "candidates of the same assessment version across the firm's engagements who agreed to "
    "the anonymous use of their scores. A candidate in the group is compared with the "
    "others, never with themselves; the percentile's interval is that of the score's band. "
    "Under 100 candidates the comparison is marked provisional.",
    "Fit weighs the competency clusters by the role profile; must-have minima are checked "
    "separately and are not offset by strengths elsewhere. The fit's band comes from its "
    "reliability as a composite of the scales (Mosier's formula). Where interviews were "
    "recorded, each rated competency blends the interviews in at the weight the recruiter "
    "set, and the score shown carries the band of that blend.",
    "The assessment is self-reported and situational: it shows how the candidate describes "
    "their way of working and judges realistic dilemmas. It is one input among interviews, "
    "references and track record, never the sole basis of a hiring decision.",
)


def to_report_data(view: CandidateView) -> Any:
    """The PDF builder's plain data, from the same view the page shows."""
    from datetime import date

    from assessor.reports import candidate as report

    submitted = date.fromisoformat(view.submitted_at[:10]) if view.submitted_at else None
    blend = assessment = None
    if view.score_source == "blended":
        blend = (
            f"Final score blends interview ratings at {round(view.interview_weight * 100)}% "
            f"with the assessment at {round((1 - view.interview_weight) * 100)}%, competency "
            "by competency, for the competencies the interviewers rated."
        )
        assessment = (
            f"Assessment alone: {view.assessment_fit:.0f} (90% band {view.assessment_low:.0f}"
            f"–{view.assessment_high:.0f}); interviews: {view.interview_score:.0f}."
        )
    return report.CandidateProfileData(
        candidate_name=view.name,
        candidate_email=view.email,
        role_title=view.role_title,
        client_name=view.client_name,
        generated_on=date.today(),
        engagement_id=view.engagement_id,
        fit=report.FitSummary(
            view.fit, view.fit_low, view.fit_high, (view.fit_band or "not available").capitalize()
        ),
        archetype_name=view.archetype or "Custom profile",
        profile_label=view.profile_name or "No role profile",
        profile_version=f"v{view.profile_version}" if view.profile_version else "—",
        recommendation=view.recommendation,
        competencies=[
            report.CompetencyRow(
                scale_key=r.key,
                name=r.name,
                cluster=r.cluster,
                pomp=r.pomp,
                low=r.low,
                high=r.high,
                percentile=r.percentile,
                percentile_low=r.percentile_low,
                percentile_high=r.percentile_high,
                reliability=r.reliability,
                t=r.t,
                sten=r.sten,
                band_label=r.band_label or "Too few answers",
                required_minimum=r.minimum,
                narrative=r.narrative or "",
            )
            for r in view.competencies
        ],
        profile_values=view.profile_values,
        pool_size=view.pool_size,
        norms_usable=view.norms_usable,
        strengths=[report.NamedText(n, t) for n, t in view.strengths],
        development_areas=[report.NamedText(n, t) for n, t in view.development],
        interview_guide=[
            report.InterviewTopic(g["name"], g["gap"], tuple(g["questions"])) for g in view.guide
        ],
        response_quality_notes=view.quality_notes,
        experience_checklist=view.experience,
        must_have_flags=[f"Below the must-have minimum on {name}" for name in view.failed_minima],
        method_notes=METHOD_NOTES,
        interview_blend_note=blend,
        assessment_note=assessment,
        norm_note=view.norm_note,
        completed_on=submitted,
        instrument_label=view.instrument_label,
    )
