"""Norm groups: who a candidate is compared with, and how reliable their scores are.

A norm group is built from the firm's own completed assessments of one instrument
version, across its engagements, from candidates who agreed (separately from taking
part) that their scores may be used without their name for norms. Response-quality
flagged results are left out. Each build is a new numbered version that never
changes, so an engagement that chose one keeps its comparison; an engagement that
chose none follows the newest. A group under the installation's minimum size
(``NORM_MIN_SIZE``, default 100, never under 30) is used but called provisional, and
no group is built from fewer than 30 assessments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import and_, func, select

import questionnaires
import scoring
from assessor.extensions import db
from assessor.models import (
    Assignment,
    Engagement,
    EngagementNormChoice,
    NormGroup,
    NormGroupMember,
    Result,
    User,
    utcnow,
)
from assessor.services import audit
from assessor.services.errors import NotFoundError, ServiceError
from assessor.services.tenancy import database_id
from questionnaires import Instrument
from scoring.norms import DEFAULT_MIN_NORM_SIZE, NORM_SIZE_FLOOR, distribution
from scoring.reliability import N_BOOT, scale_correlations, scale_evidence

CANDIDATE_INSTRUMENT = "cco_candidate"
#: Role titles a group's description names (the rest are counted as "other roles").
ROLES_NAMED = 8


def min_size() -> int:
    """The installation's minimum size for a norm group that is not provisional."""
    return int(current_app.config.get("NORM_MIN_SIZE", DEFAULT_MIN_NORM_SIZE))


def bootstrap_resamples() -> int:
    """Resamples behind the bootstrap intervals (omega, marginal reliability)."""
    return int(current_app.config.get("NORM_BOOTSTRAP", N_BOOT))


@dataclass
class Sample:
    """The completed, consented, unflagged assessments of one instrument version in a firm,
    row-aligned: what a norm group and the technical manual are computed from."""

    instrument: Instrument
    key: scoring.ScoringKey
    assignment_ids: list[int]
    matrix: np.ndarray  # n × key.columns answers, as stored with each result
    pomp: np.ndarray  # n × scales
    se: np.ndarray  # n × scales, NaN where the version's model gives no per-person SE
    completed_at: list[datetime]
    engagement_ids: list[int]
    roles: dict[str, int] = field(default_factory=dict)
    clients: int = 0
    excluded_flagged: int = 0
    not_consented: int = 0

    @property
    def n(self) -> int:
        return len(self.assignment_ids)

    @property
    def engagements(self) -> int:
        return len(set(self.engagement_ids))


def instrument_for(instrument_key: str, version: int) -> Instrument:
    """The shipped instrument version, or a clear error naming those that exist."""
    if version not in questionnaires.versions(instrument_key):
        known = ", ".join(f"{k} {v}" for k, vs in questionnaires.available().items() for v in vs)
        raise NotFoundError(
            f"No instrument {instrument_key} version {version}; there are: {known}."
        )
    return questionnaires.load(instrument_key, version)


def collect_sample(organisation_id: int, instrument_key: str, version: int) -> Sample:
    """Every completed assessment of ``instrument_key`` ``version`` in the firm whose
    candidate agreed to norms, scored with this version's definition and not flagged
    for response quality (counts of those left out are kept for the description)."""
    instrument = instrument_for(instrument_key, version)
    key = scoring.compile_key(instrument)
    completed = and_(
        Assignment.organisation_id == organisation_id,
        Assignment.kind == "candidate",
        Assignment.instrument_key == instrument_key,
        Assignment.instrument_version == version,
        Assignment.erased_at.is_(None),
        Result.instrument_hash == instrument.content_hash,
    )
    flagged = Result.data[("quality", "flagged")].as_boolean()
    stmt = (
        select(
            Assignment.id,
            Assignment.norm_consent_at,
            flagged,
            Assignment.submitted_at,
            Result.computed_at,
            Engagement.id,
            Engagement.role_title,
            Engagement.client_id,
            Result.data["matrix"],
            *[Result.data[("scales", s, "pomp")].as_float() for s in key.scales],
            *[Result.data[("scales", s, "se")].as_float() for s in key.scales],
        )
        .join(Result, Result.assignment_id == Assignment.id)
        .join(Engagement, Engagement.id == Assignment.engagement_id)
        .where(completed)
        .order_by(Assignment.id)
    )
    n_scales = len(key.scales)
    ids: list[int] = []
    rows: list[list[Any]] = []
    figures: list[list[Any]] = []
    when: list[datetime] = []
    engagements: list[int] = []
    roles: dict[str, int] = {}
    clients: set[int] = set()
    excluded = not_consented = 0
    for row in db.session.execute(stmt):
        assignment_id, consent, is_flagged, submitted, computed, eid, title, client_id = row[:8]
        if consent is None:
            not_consented += 1
            continue
        if is_flagged:
            excluded += 1
            continue
        matrix = row[8]
        if not isinstance(matrix, list) or len(matrix) != len(key.columns):
            continue  # a result stored without its answers row cannot feed item statistics
        ids.append(assignment_id)
        rows.append(matrix)
        figures.append(list(row[9 : 9 + 2 * n_scales]))
        when.append(submitted or computed)
        engagements.append(eid)
        roles[title] = roles.get(title, 0) + 1
        clients.add(client_id)
    n = len(ids)
    stored = np.array(figures, dtype=float).reshape(n, 2 * n_scales)
    return Sample(
        instrument=instrument,
        key=key,
        assignment_ids=ids,
        matrix=np.array(rows, dtype=float).reshape(n, len(key.columns)),
        pomp=stored[:, :n_scales],
        se=stored[:, n_scales:],
        completed_at=when,
        engagement_ids=engagements,
        roles=roles,
        clients=len(clients),
        excluded_flagged=excluded,
        not_consented=not_consented,
    )


def describe(sample: Sample) -> dict[str, Any]:
    """Who, when, how many and which roles: the description every group carries."""
    named = sorted(sample.roles.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "n": sample.n,
        "instrument_label": sample.instrument.title,
        "first": min(sample.completed_at).isoformat() if sample.completed_at else None,
        "last": max(sample.completed_at).isoformat() if sample.completed_at else None,
        "engagements": sample.engagements,
        "clients": sample.clients,
        "roles": [[title, count] for title, count in named[:ROLES_NAMED]],
        "other_roles": sum(count for _, count in named[ROLES_NAMED:]),
        "excluded_flagged": sample.excluded_flagged,
        "not_consented": sample.not_consented,
    }


def _num(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def statistics(sample: Sample) -> dict[str, Any]:
    """Per scale the distribution, mean, SD and reliability evidence; and the scales'
    intercorrelations: what standings and the manual read from a group."""
    evidence = scale_evidence(
        sample.key, sample.matrix, sample.pomp, sample.se, n_boot=bootstrap_resamples()
    )
    corr = scale_correlations(sample.pomp)
    per_scale: dict[str, Any] = {}
    for s, scale in enumerate(sample.key.scales):
        column = sample.pomp[:, s]
        values, counts = distribution(column)
        present = column[~np.isnan(column)]
        per_scale[scale] = {
            "values": values.tolist(),
            "counts": counts.tolist(),
            "n": int(present.size),
            "mean": _num(float(present.mean())) if present.size else None,
            "sd": _num(float(present.std(ddof=1))) if present.size >= 2 else None,
            "evidence": evidence[scale].to_dict(),
        }
    return {
        "scales": list(sample.key.scales),
        "scale": per_scale,
        "correlations": [[_num(v) for v in row] for row in corr.tolist()],
    }


def build(actor: User, instrument_key: str, version: int) -> NormGroup:
    """Build the next version of the firm's norm group for this instrument version, and
    restate the engagements that follow the newest group."""
    sample = collect_sample(actor.organisation_id, instrument_key, version)
    if sample.n < NORM_SIZE_FLOOR:
        raise ServiceError(
            f"A norm group needs at least {NORM_SIZE_FLOOR} completed assessments from "
            f"candidates who agreed to the anonymous use of their scores; version {version} "
            f"has {sample.n}."
        )
    number = (
        db.session.scalar(
            select(func.max(NormGroup.number)).where(
                NormGroup.organisation_id == actor.organisation_id,
                NormGroup.instrument_key == instrument_key,
                NormGroup.instrument_version == version,
            )
        )
        or 0
    ) + 1
    group = NormGroup(
        organisation_id=actor.organisation_id,
        instrument_key=instrument_key,
        instrument_version=version,
        number=number,
        n=sample.n,
        description=describe(sample),
        data=statistics(sample),
        built_by_id=actor.id,
        built_at=utcnow(),
    )
    db.session.add(group)
    db.session.flush()
    db.session.add_all(
        NormGroupMember(
            norm_group_id=group.id,
            assignment_id=assignment_id,
            scores=[_num(v) for v in sample.pomp[i].tolist()],
        )
        for i, assignment_id in enumerate(sample.assignment_ids)
    )
    db.session.flush()
    audit.record(
        actor.organisation_id, actor.id, "norms.build", "norm_group", group.id,
        version=version, number=number, n=sample.n,
    )  # fmt: skip
    _restate_followers(actor.organisation_id, instrument_key, version)
    return group


def _restate_followers(organisation_id: int, instrument_key: str, version: int) -> None:
    """Restate the engagements with candidates of this version that chose no group."""
    from assessor.services import standings

    pinned = select(EngagementNormChoice.engagement_id).where(
        EngagementNormChoice.instrument_version == version
    )
    stmt = (
        select(Engagement)
        .where(
            Engagement.organisation_id == organisation_id,
            Engagement.id.not_in(pinned),
            select(Assignment.id)
            .where(
                Assignment.engagement_id == Engagement.id,
                Assignment.kind == "candidate",
                Assignment.instrument_key == instrument_key,
                Assignment.instrument_version == version,
            )
            .exists(),
        )
        .order_by(Engagement.id)
    )
    for engagement in db.session.scalars(stmt):
        standings.restate(engagement)


def groups(organisation_id: int, instrument_key: str = CANDIDATE_INSTRUMENT) -> list[NormGroup]:
    """The firm's groups of this instrument, newest version first within each version."""
    stmt = (
        select(NormGroup)
        .where(
            NormGroup.organisation_id == organisation_id,
            NormGroup.instrument_key == instrument_key,
        )
        .order_by(NormGroup.instrument_version, NormGroup.number.desc())
    )
    return list(db.session.scalars(stmt))


def get_group(actor: User, group_id: int) -> NormGroup:
    """One of the firm's groups (another firm's id answers as absent)."""
    group = db.session.get(NormGroup, database_id(group_id, "norm group"))
    if group is None or group.organisation_id != actor.organisation_id:
        raise NotFoundError("No such norm group.")
    return group


def newest(organisation_id: int, instrument_key: str, version: int) -> NormGroup | None:
    stmt = (
        select(NormGroup)
        .where(
            NormGroup.organisation_id == organisation_id,
            NormGroup.instrument_key == instrument_key,
            NormGroup.instrument_version == version,
        )
        .order_by(NormGroup.number.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def choice_of(engagement: Engagement, version: int) -> EngagementNormChoice | None:
    return db.session.get(EngagementNormChoice, (engagement.id, version))


def group_for(engagement: Engagement, version: int) -> NormGroup | None:
    """The group an engagement's candidates of ``version`` are compared with: the one it
    chose, else the firm's newest."""
    chosen = choice_of(engagement, version)
    if chosen is not None:
        return db.session.get(NormGroup, chosen.norm_group_id)
    return newest(engagement.organisation_id, CANDIDATE_INSTRUMENT, version)


def choose(actor: User, engagement: Engagement, version: int, group_id: int | None) -> None:
    """Pin the engagement to one group version (``None``: follow the newest), then
    restate its candidates."""
    from assessor.services import standings

    chosen = choice_of(engagement, version)
    detail: dict[str, Any] = {"version": version}
    if group_id is None:
        if chosen is not None:
            db.session.delete(chosen)
    else:
        group = get_group(actor, group_id)
        if (group.instrument_key, group.instrument_version) != (CANDIDATE_INSTRUMENT, version):
            raise ServiceError(
                f"Norm group {group.number} is for another assessment version; choose a "
                f"group of version {version}.",
                field="norm_group",
            )
        if chosen is None:
            db.session.add(
                EngagementNormChoice(
                    engagement_id=engagement.id,
                    instrument_version=version,
                    norm_group_id=group.id,
                    chosen_by_id=actor.id,
                )
            )
        else:
            chosen.norm_group_id, chosen.chosen_by_id = group.id, actor.id
            chosen.chosen_at = utcnow()
        detail["number"] = group.number
    db.session.flush()
    audit.record(
        actor.organisation_id, actor.id, "engagement.norm_group", "engagement", engagement.id,
        **detail,
    )  # fmt: skip
    standings.restate(engagement)


def reliability_text(evidence: dict[str, Any]) -> str:
    """ "α .84 (.79–.88)", "model .81 (.76–.85)", "assumed .80" or "one item: none"."""

    def two(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f}".replace("0.", ".", 1)

    method = evidence.get("method")
    if method == "alpha":
        return f"α {two(evidence.get('alpha'))} ({two(evidence.get('alpha_low'))}–" + (
            f"{two(evidence.get('alpha_high'))})"
        )
    if method == "model":
        return f"model {two(evidence.get('reliability'))} ({two(evidence.get('low'))}–" + (
            f"{two(evidence.get('high'))})"
        )
    if method == "single item":
        return "one item: none"
    return f"assumed {two(evidence.get('reliability'))}"


def is_provisional(group: NormGroup | None) -> bool:
    return group is None or group.n < min_size()


def comparison_note(group: NormGroup | None, version: int) -> str:
    """One sentence on what percentiles compare with, provisional or not, and why."""
    if group is None:
        return (
            f"No norm group has been built for assessment version {version} yet, so no "
            "percentiles are shown and score bands use an assumed reliability of "
            f"{scoring.reliability.DEFAULT_RELIABILITY:.2f}."
        )
    d = group.description
    text = (
        f"Percentiles compare with norm group {group.number} of assessment version {version}: "
        f"{group.n} candidates across {_count(d.get('engagements', 0), 'engagement')} for "
        f"{_count(d.get('clients', 0), 'client')}, who completed it between "
        f"{_day(d.get('first'))} and "
        f"{_day(d.get('last'))}; a candidate in the group is compared with the others."
    )
    if group.n < min_size():
        text += (
            f" Provisional: the group has fewer than the {min_size()} candidates a stable "
            "comparison needs, so a percentile can move by several points as it grows."
        )
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _day(iso: str | None) -> str:
    return "—" if not iso else datetime.fromisoformat(iso).strftime("%d %b %Y").lstrip("0")


def member_scores(group_ids: list[int], assignment_ids: list[int]) -> dict[tuple[int, int], list]:
    """(group id, assignment id) → the scores the group holds for that candidate."""
    if not group_ids or not assignment_ids:
        return {}
    stmt = select(
        NormGroupMember.norm_group_id, NormGroupMember.assignment_id, NormGroupMember.scores
    ).where(
        NormGroupMember.norm_group_id.in_(group_ids),
        NormGroupMember.assignment_id.in_(assignment_ids),
    )
    return {(g, a): scores for g, a, scores in db.session.execute(stmt)}


def forget(assignment: Assignment) -> None:
    """An erased candidate's scores stay in groups already built, with no link to them."""
    db.session.execute(
        NormGroupMember.__table__.update()
        .where(NormGroupMember.assignment_id == assignment.id)
        .values(assignment_id=None)
    )
    assignment.norm_consent_at = None


def choices(engagement: Engagement) -> list[tuple[str, str]]:
    """The options of the engagement's norm group choice: per assessment version, follow
    the newest group, or keep one built group."""
    from assessor.services.candidates import ASSESSMENT_VERSIONS

    options: list[tuple[str, str]] = []
    by_version: dict[int, list[NormGroup]] = {}
    for group in groups(engagement.organisation_id):
        by_version.setdefault(group.instrument_version, []).append(group)
    for version in ASSESSMENT_VERSIONS:
        built = by_version.get(version, [])
        now = f"now group {built[0].number}, {built[0].n} candidates" if built else "none yet"
        options.append((f"{version}:newest", f"Version {version}: the newest group ({now})"))
        options += [
            (
                f"{version}:{g.id}",
                f"Version {version}: keep group {g.number} ({g.n} candidates, built "
                f"{g.built_at:%d %b %Y})",
            )
            for g in built
        ]
    return options


def parse_choice(value: str) -> tuple[int, int | None]:
    """ "2:newest" → (2, None); "2:17" → (2, 17) (the form has checked it is offered)."""
    version, _, group = value.partition(":")
    return int(version), None if group == "newest" else int(group)


def engagement_summary(engagement: Engagement) -> list[dict[str, Any]]:
    """Per version with candidates or a group: what its candidates are compared with."""
    from assessor.services.candidates import ASSESSMENT_VERSIONS

    out = []
    for version in ASSESSMENT_VERSIONS:
        group = group_for(engagement, version)
        out.append(
            {
                "version": version,
                "pinned": choice_of(engagement, version) is not None,
                "group": group,
                "provisional": is_provisional(group),
                "note": comparison_note(group, version),
            }
        )
    return out


def overview(organisation_id: int) -> list[dict[str, Any]]:
    """Per assessment version: how many assessments a new group would hold now, and the
    groups built, newest first, with their reliability evidence per scale."""
    from assessor.services.candidates import ASSESSMENT_VERSIONS

    built = groups(organisation_id)
    out = []
    for version in ASSESSMENT_VERSIONS:
        sample = collect_sample(organisation_id, CANDIDATE_INSTRUMENT, version)
        names = {s.key: s.name for s in sample.instrument.scales}
        out.append(
            {
                "version": version,
                "available": sample.n,
                "excluded_flagged": sample.excluded_flagged,
                "not_consented": sample.not_consented,
                "can_build": sample.n >= NORM_SIZE_FLOOR,
                "floor": NORM_SIZE_FLOOR,
                "groups": [
                    {
                        "group": g,
                        "provisional": is_provisional(g),
                        "note": comparison_note(g, version),
                        "scales": [
                            {
                                "name": names.get(key, key),
                                "n": figures.get("n"),
                                "mean": figures.get("mean"),
                                "sd": figures.get("sd"),
                                "reliability": reliability_text(figures.get("evidence") or {}),
                                "omega": (figures.get("evidence") or {}).get("omega"),
                                "sem": (figures.get("evidence") or {}).get("sem"),
                            }
                            for key, figures in g.data.get("scale", {}).items()
                        ],
                    }
                    for g in built
                    if g.instrument_version == version
                ],
            }
        )
    return out
