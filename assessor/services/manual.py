"""The technical manual of a candidate assessment version, from the firm's own results.

The sample is the one a norm group would be built from now
(:func:`assessor.services.norm_groups.collect_sample`: completed, consented, unflagged
assessments of that version across the firm's engagements); :mod:`scoring.manual`
computes every figure. Reads only: nothing is written.

Building a manual costs seconds (the bootstrap intervals of omega), so the last few
manuals are kept per process, keyed by a digest of the exact sample (its members, their
answers, scores and dates): any new, changed or erased result gives a new key. What is kept is
aggregate statistics only, never a candidate's row.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import questionnaires
from assessor.services import norm_groups
from assessor.services.errors import NotFoundError, ServiceError
from scoring.errors import ScoringError
from scoring.manual import Manual, SampleDescription, technical_manual

#: Instruments whose results form a norm sample (candidates' assessments).
MANUAL_INSTRUMENTS = (norm_groups.CANDIDATE_INSTRUMENT,)
#: Manuals kept per process (a few instrument versions of a few firms).
CACHE_SIZE = 8

_cache: OrderedDict[tuple, Manual] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class VersionSummary:
    """One instrument version an admin can open a manual of, with its sample size now."""

    key: str
    version: int
    title: str
    is_draft: bool
    n: int
    excluded_flagged: int
    not_consented: int


def _available() -> str:
    return "; ".join(
        f"{key} version{'s' if len(questionnaires.versions(key)) > 1 else ''} "
        + ", ".join(str(v) for v in questionnaires.versions(key))
        for key in MANUAL_INSTRUMENTS
    )


def check_version(instrument_key: str, version: int) -> None:
    """NotFoundError naming the available instrument versions unless this one has a manual."""
    if instrument_key not in MANUAL_INSTRUMENTS:
        raise NotFoundError(
            f"There is no technical manual for {instrument_key!r}: manuals exist for the "
            f"candidate assessment only ({_available()})."
        )
    if version not in questionnaires.versions(instrument_key):
        raise NotFoundError(
            f"{instrument_key} has no version {version}; the available ones are: {_available()}."
        )


def versions(organisation_id: int) -> list[VersionSummary]:
    """Every candidate assessment version with the size of the firm's sample for it."""
    out = []
    for key in MANUAL_INSTRUMENTS:
        for version in questionnaires.versions(key):
            sample = norm_groups.collect_sample(organisation_id, key, version)
            out.append(
                VersionSummary(
                    key=key,
                    version=version,
                    title=sample.instrument.title,
                    is_draft=sample.instrument.is_draft,
                    n=sample.n,
                    excluded_flagged=sample.excluded_flagged,
                    not_consented=sample.not_consented,
                )
            )
    return out


def describe(sample: norm_groups.Sample) -> SampleDescription:
    """The manual's description of the sample: size, spread over engagements and clients,
    roles and period."""
    roles = tuple(sorted(sample.roles.items(), key=lambda kv: (-kv[1], kv[0])))
    return SampleDescription(
        n=sample.n,
        engagements=sample.engagements,
        clients=sample.clients,
        roles=roles,
        first_completed=min(sample.completed_at).date().isoformat()
        if sample.completed_at
        else None,
        last_completed=max(sample.completed_at).date().isoformat() if sample.completed_at else None,
    )


def build(
    organisation_id: int,
    instrument_key: str,
    version: int,
    groups: Mapping[str, Sequence[str | None]] | None = None,
) -> Manual:
    """The technical manual of one instrument version from the firm's current sample.

    ``groups`` (one label per sample row, by variable) feeds the fairness sections; no
    group data is recorded yet, so callers pass none and the manual says so. Raises
    NotFoundError for an unknown version or when the firm has no assessment in the sample.
    """
    check_version(instrument_key, version)
    sample = norm_groups.collect_sample(organisation_id, instrument_key, version)
    if sample.n == 0:
        raise NotFoundError(
            f"No completed assessment of {instrument_key} version {version} can be used yet: "
            "a manual needs candidates who finished it, agreed to the anonymous use of their "
            f"scores for norms and were not flagged for response quality "
            f"({sample.not_consented} without that agreement, {sample.excluded_flagged} "
            "flagged)."
        )
    fingerprint = (organisation_id, instrument_key, version, _digest(sample))
    if groups is None:
        with _lock:
            hit = _cache.get(fingerprint)
            if hit is not None:
                _cache.move_to_end(fingerprint)
                return hit
    try:
        manual = technical_manual(
            sample.instrument,
            sample.key,
            sample.matrix,
            sample.pomp,
            sample.se,
            groups=groups,
            description=describe(sample),
            n_boot=norm_groups.bootstrap_resamples(),
        )
    except ScoringError as exc:
        raise ServiceError(f"The manual cannot be computed from this sample: {exc}") from None
    if groups is None:
        with _lock:
            _cache[fingerprint] = manual
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return manual


def _digest(sample: norm_groups.Sample) -> str:
    """A key that changes with any row of the sample: its members, answers, scores, SEs
    and dates."""
    h = hashlib.sha256()
    h.update(sample.instrument.content_hash.encode())
    h.update(repr((sample.assignment_ids, sample.completed_at, sample.roles)).encode())
    for part in (sample.matrix, sample.pomp, sample.se):
        h.update(part.tobytes())
    return h.hexdigest()


def clear_cache() -> None:
    """Forget every kept manual (tests)."""
    with _lock:
        _cache.clear()
