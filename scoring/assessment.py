"""Score the candidate assessment v2 (issue #16) from its instrument definition.

Why one function: v2 measures each competency with several formats (forced-choice
blocks, Likert self-ratings, situations rated for effectiveness, the experience
checklist) whose raw points mean different things.  Each source is put on the
common 0-100 metric by its own module, the sources are combined with the
weights the instrument declares per scale (``Scale.sources``), and the validity
evidence (overclaiming, unlikely virtues, profile elevation, attention checks,
long runs) is reported beside the scores, never inside them.

Pipeline (all respondents at once):

- blocks: :func:`thurstonian.design_of` / :func:`thurstonian.ranks_of` →
  MAP θ and SE → :func:`thurstonian.to_pomp` (50 + 15θ, SE·15); a trait's blocks
  source counts when at least ``MIN_BLOCK_SHARE`` of the blocks measuring it
  are answered;
- ratings: :func:`score_scales` POMP of the scale's Likert/rating items;
- situations: :func:`effectiveness.key_of` scale scores (0-100);
- checklist: :func:`score_scales` POMP of the scale's checklist items;
- :func:`composite.combine` with the declared weights; SE of the composite from
  the block SEs and ``DEFAULT_SOURCE_SEM`` for the other sources.

An instrument without forced-choice blocks (v1) raises ScoringError: score it
with :func:`score_scales` as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from questionnaires.model import Instrument
from scoring import effectiveness, faking, thurstonian
from scoring.composite import Composite, combine
from scoring.errors import ScoringError
from scoring.key import CHOICE, SET, VALUE, compile_key
from scoring.matrix import answers_to_matrix
from scoring.quality import QualityReport, response_quality
from scoring.reliability import DEFAULT_POMP_SD, DEFAULT_RELIABILITY
from scoring.scales import json_lists, score_scales

#: Share of a trait's blocks that must be answered for its blocks score.
MIN_BLOCK_SHARE = 0.5
#: SE (0-100) of a ratings, situations or checklist score until calibration data give
#: one: the classical SEM with reliability.py's documented defaults, 15·√(1 − 0.8).
DEFAULT_SOURCE_SEM = DEFAULT_POMP_SD * math.sqrt(1.0 - DEFAULT_RELIABILITY)
SOURCE_ORDER: tuple[str, ...] = ("blocks", "ratings", "situations", "checklist")


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


@dataclass(frozen=True, eq=False)
class AssessmentScores:
    """Competency composites, their sources and the validity evidence of n respondents.

    Arrays over competency scales are n × ``scales``; ``source_score`` /
    ``source_se`` map each source name to n × ``scales`` (NaN where the source
    does not measure the scale or is missing).  Nothing is rounded.
    """

    scales: tuple[str, ...]  # competency scales, instrument order
    score: np.ndarray  # (n, scales) composite 0-100, NaN = insufficient
    se: np.ndarray  # (n, scales) composite SE on 0-100
    insufficient: np.ndarray  # (n, scales) bool
    share: np.ndarray  # (n, scales) weight share of the present sources
    answered: np.ndarray  # (n, scales) items answered over the scale's sources
    n_items: np.ndarray  # (scales,) items over the scale's sources
    sources: tuple[str, ...]  # source names in use
    weights: Mapping[str, np.ndarray]  # source -> (scales,) weights
    source_score: Mapping[str, np.ndarray]
    source_se: Mapping[str, np.ndarray]
    traits: tuple[str, ...]  # traits of the forced-choice design
    thurstonian: thurstonian.ThurstonianScores
    quality: QualityReport
    overclaiming: faking.Overclaiming | None
    unlikely_virtues: faking.IndexEvidence | None
    elevation: faking.IndexEvidence | None
    flagged: np.ndarray  # (n,) any validity or quality flag
    reasons: tuple[tuple[str, ...], ...]
    cutoffs: Mapping[str, float]  # validity index -> cut-off

    @property
    def n(self) -> int:
        return int(self.score.shape[0])

    def column(self, scale: str) -> int:
        try:
            return self.scales.index(scale)
        except ValueError:
            raise ScoringError(f"no competency scale {scale!r} in these scores") from None

    def row(self, i: int) -> dict[str, dict[str, object]]:
        """One respondent as the app stores scale scores, plus ``se`` and ``sources``.

        ``{scale: {raw: None, mean: None, pomp, answered, n_items, insufficient,
        se, sources: {source: pomp}}}`` for the competency scales; ``raw`` and
        ``mean`` are None because a composite has no raw metric.
        """
        out: dict[str, dict[str, object]] = {}
        for s, name in enumerate(self.scales):
            bad = bool(self.insufficient[i, s])
            out[name] = {
                "raw": None,
                "mean": None,
                "pomp": None if bad else float(self.score[i, s]),
                "answered": int(self.answered[i, s]),
                "n_items": int(self.n_items[s]),
                "insufficient": bad,
                "se": None if bad else float(self.se[i, s]),
                "sources": {
                    src: _num(self.source_score[src][i, s])
                    for src in self.sources
                    if self.weights[src][s] > 0
                },
            }
        return out

    def _index_values(self, i: int) -> dict[str, tuple[float, bool]]:
        out: dict[str, tuple[float, bool]] = {}
        if self.overclaiming is not None:
            o = self.overclaiming
            out["overclaiming"] = (o.false_alarm_rate[i], bool(o.flagged[i]))
        if self.unlikely_virtues is not None:
            u = self.unlikely_virtues
            out["unlikely_virtues"] = (u.value[i], bool(u.flagged[i]))
        if self.elevation is not None:
            e = self.elevation
            out["elevation"] = (e.value[i], bool(e.flagged[i]))
        return out

    def quality_row(self, i: int) -> dict[str, object]:
        """The validity and quality evidence of respondent ``i`` (plain sentences in reasons)."""
        cut = self.cutoffs
        values = self._index_values(i)
        return {
            "flagged": bool(self.flagged[i]),
            "reasons": list(self.reasons[i]),
            "indices": {
                name: {"value": _num(v), "flagged": f, "cutoff": cut[name]}
                for name, (v, f) in values.items()
            },
            "attention_failed": int(self.quality.attention_failed[i]),
            "n_attention": int(self.quality.n_attention),
            "longest_run": int(self.quality.longest_run[i]),
        }

    def to_dict(self) -> dict[str, object]:
        """JSON-able arrays (NaN as None)."""
        return {
            "scales": list(self.scales),
            "score": json_lists(self.score),
            "se": json_lists(self.se),
            "insufficient": json_lists(self.insufficient),
            "share": json_lists(self.share),
            "answered": json_lists(self.answered),
            "n_items": json_lists(self.n_items),
            "sources": list(self.sources),
            "weights": {k: json_lists(v) for k, v in self.weights.items()},
            "source_score": {k: json_lists(v) for k, v in self.source_score.items()},
            "source_se": {k: json_lists(v) for k, v in self.source_se.items()},
            "traits": list(self.traits),
            "flagged": json_lists(self.flagged),
            "reasons": [list(r) for r in self.reasons],
        }


#: Cut-offs of the validity indices as reported (the faking module's defaults):
#: overclaiming = false-alarm rate, flagged at ≥ 0.5; unlikely virtues = mean
#: agreement 0-1, flagged at ≥ 0.75; elevation = mean desirable-pole rating 0-1,
#: flagged above 0.9.
CUTOFFS: Mapping[str, float] = {
    "overclaiming": faking.MAX_FALSE_ALARM_RATE,
    "unlikely_virtues": faking.MAX_UNLIKELY_VIRTUES,
    "elevation": faking.MAX_ELEVATION,
}


def _source_of_item(item_type: str) -> str:
    return "checklist" if item_type == "checklist" else "ratings"


def score_assessment(
    instrument: Instrument,
    answers: Sequence[Mapping[str, object]],
    *,
    source_sem: Mapping[str, float] | None = None,
) -> AssessmentScores:
    """Score every respondent of a v2 instrument (one with forced-choice blocks).

    ``answers``: one mapping per respondent, item key → stored answer
    (forced_choice [most, least]; effectiveness {option: rating}; familiarity
    0..6; likert 1..P; checklist list of option keys; missing = absent / None).
    ``source_sem`` overrides the SE (0-100) of the non-block sources
    (default ``DEFAULT_SOURCE_SEM`` for each).
    """
    if isinstance(answers, Mapping):
        raise ScoringError("answers must be a sequence of mappings, one per respondent")
    if not any(it.type == "forced_choice" for it in instrument.iter_items()):
        raise ScoringError("use score_scales for instruments without blocks")
    n = len(answers)
    if n == 0:
        raise ScoringError("no respondents to score")
    comp = instrument.competency_keys
    c_index = {s: j for j, s in enumerate(comp)}
    n_c = len(comp)
    sem = {src: DEFAULT_SOURCE_SEM for src in SOURCE_ORDER if src != "blocks"}
    if source_sem is not None:
        for src, v in source_sem.items():
            if src not in sem or not (math.isfinite(v) and v >= 0):
                raise ScoringError(f"source_sem: {src!r} → {v!r} is not a non-block source SE")
            sem[src] = float(v)

    # -- the key's sources: ratings and checklist (score_scales POMP) -----------------
    key = compile_key(instrument)
    matrix = answers_to_matrix(key, answers)
    scales = score_scales(key, matrix)
    quality = response_quality(key, matrix)
    src_items: dict[str, np.ndarray] = {s: np.zeros(n_c, dtype=np.intp) for s in SOURCE_ORDER}
    src_answered = {s: np.zeros((n, n_c), dtype=np.intp) for s in SOURCE_ORDER}
    src_score = {s: np.full((n, n_c), np.nan) for s in SOURCE_ORDER}
    src_se = {s: np.full((n, n_c), np.nan) for s in SOURCE_ORDER}
    for name, j in c_index.items():
        s = key.scale_index(name)
        touching = np.flatnonzero(key.touches[:, s])
        if touching.size == 0:
            continue
        kinds = {int(key.item_kind[i]) for i in touching}
        types = {key.item_types[i] for i in touching}
        if (
            CHOICE in kinds
            or (SET in kinds and types != {"checklist"})
            or (VALUE in kinds and SET in kinds)
        ):
            raise ScoringError(
                f"scale {name!r} mixes item types {sorted(types)}: the v2 pipeline scores "
                "likert/rating items (ratings) and checklists (checklist) separately"
            )
        src = _source_of_item(next(iter(types)))
        src_items[src][j] = int(key.n_items[s])
        src_answered[src][:, j] = scales.answered[:, s]
        ok = ~scales.insufficient[:, s]
        src_score[src][:, j] = np.where(ok, scales.pomp[:, s], np.nan)
        src_se[src][:, j] = np.where(ok, sem[src], np.nan)

    # -- blocks -------------------------------------------------------------------------
    design, traits, _block_items = thurstonian.design_of(instrument)
    ranks = thurstonian.ranks_of(instrument, answers)
    th = thurstonian.score(design, ranks)
    pomp = thurstonian.to_pomp(th.theta, th.se)
    incidence = np.zeros((design.n_blocks, design.n_traits))
    incidence[np.arange(design.n_blocks)[:, None], design.trait[design.blocks]] = 1.0
    blocks_done = (~np.isnan(ranks[:, :, 0])).astype(float) @ incidence  # (n, traits)
    per_trait = incidence.sum(axis=0)
    enough = blocks_done >= np.maximum(np.ceil(MIN_BLOCK_SHARE * per_trait - 1e-9), 1)
    cols = np.array([c_index[t] for t in traits], dtype=np.intp)
    src_items["blocks"][cols] = per_trait.astype(np.intp)
    src_answered["blocks"][:, cols] = blocks_done.astype(np.intp)
    src_score["blocks"][:, cols] = np.where(enough, pomp.score, np.nan)
    src_se["blocks"][:, cols] = np.where(enough, pomp.se, np.nan)

    # -- situations ---------------------------------------------------------------------
    if any(it.type == "effectiveness" for it in instrument.iter_items()):
        ekey = effectiveness.key_of(instrument)
        resp = effectiveness.responses_of(instrument, answers, ekey)
        eff = ekey.score(resp)
        pair_hot = np.zeros((len(ekey.pair_item), len(ekey.scales)))
        pair_hot[np.arange(len(ekey.pair_item)), ekey.item_scale] = 1.0
        any_answer = (eff.item_answered > 0).astype(float) @ pair_hot
        for name, j in c_index.items():
            s = ekey.scales.index(name)
            if pair_hot[:, s].any():
                src_items["situations"][j] = int(pair_hot[:, s].sum())
                src_answered["situations"][:, j] = any_answer[:, s].astype(np.intp)
                src_score["situations"][:, j] = eff.scale_score[:, s]
                src_se["situations"][:, j] = np.where(
                    np.isnan(eff.scale_score[:, s]), np.nan, sem["situations"]
                )

    # -- weights and the composite ------------------------------------------------------
    weights = {src: np.zeros(n_c) for src in SOURCE_ORDER}
    for name, j in c_index.items():
        declared = dict(instrument.scale(name).sources)
        if not declared:  # default: equal weights over the sources that measure the scale
            have = [src for src in SOURCE_ORDER if src_items[src][j] > 0]
            declared = {src: 1.0 / len(have) for src in have}
        for src, w in declared.items():
            if src not in weights:
                raise ScoringError(f"scale {name!r} declares unknown source {src!r}")
            if w > 0 and src_items[src][j] == 0:
                raise ScoringError(
                    f"scale {name!r} gives weight {w:g} to {src!r}, which has no items for it"
                )
            weights[src][j] = float(w)
    used = tuple(src for src in SOURCE_ORDER if weights[src].any())
    composite: Composite = combine(
        {src: src_score[src] for src in used},
        {src: weights[src] for src in used},
        {src: src_se[src] for src in used},
    )
    assert composite.se is not None
    answered = sum((src_answered[src] * (weights[src] > 0)) for src in used)
    n_items = sum((src_items[src] * (weights[src] > 0)) for src in used)

    # -- validity evidence --------------------------------------------------------------
    ratings, foil = faking.familiarity_of(instrument, answers)
    oc = faking.overclaiming(ratings, foil) if foil.size else None
    ux, upts = faking.virtues_of(instrument, answers)
    uv = faking.unlikely_virtues(ux, upts) if upts.size else None
    ex, epts, erev = faking.elevation_of(instrument, answers)
    el = faking.profile_elevation(ex, epts, erev) if epts.size else None

    flagged = quality.flagged.copy()
    for ev in (oc, uv, el):
        if ev is not None:
            flagged |= ev.flagged
    reasons: list[tuple[str, ...]] = [()] * n
    for r in np.flatnonzero(flagged):
        why: list[str] = []
        if oc is not None and oc.flagged[r]:
            fas = round(float(oc.false_alarm_rate[r]) * int(oc.n_foils[r]))
            why.append(
                f"Overclaiming: claimed to know {fas} of {oc.n_foils[r]} concepts that do not "
                f"exist (false-alarm rate {oc.false_alarm_rate[r]:.2f}; flagged at "
                f"{faking.MAX_FALSE_ALARM_RATE:.2f} or more)"
            )
        if uv is not None and uv.flagged[r]:
            why.append(
                f"Unlikely virtues: mean agreement {uv.value[r]:.2f} on a 0-1 scale with "
                f"{uv.n_items[r]} virtues almost nobody has (flagged at "
                f"{faking.MAX_UNLIKELY_VIRTUES:.2f} or more)"
            )
        if el is not None and el.flagged[r]:
            why.append(
                f"Profile elevation: mean self-rating {el.value[r]:.2f} on a 0-1 scale toward "
                f"the desirable answer over {el.n_items[r]} items (flagged above "
                f"{faking.MAX_ELEVATION:.2f})"
            )
        why.extend(quality.reasons[r])
        reasons[r] = tuple(why)

    return AssessmentScores(
        scales=comp,
        score=composite.score,
        se=composite.se,
        insufficient=composite.insufficient,
        share=composite.share,
        answered=np.asarray(answered, dtype=np.intp).reshape(n, n_c),
        n_items=np.asarray(n_items, dtype=np.intp).reshape(n_c),
        sources=used,
        weights={src: weights[src] for src in used},
        source_score={src: src_score[src] for src in used},
        source_se={src: src_se[src] for src in used},
        traits=traits,
        thurstonian=th,
        quality=quality,
        overclaiming=oc,
        unlikely_virtues=uv,
        elevation=el,
        flagged=flagged,
        reasons=tuple(reasons),
        cutoffs=CUTOFFS,
    )


__all__ = [
    "CUTOFFS",
    "DEFAULT_SOURCE_SEM",
    "MIN_BLOCK_SHARE",
    "AssessmentScores",
    "score_assessment",
]
