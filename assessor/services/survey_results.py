"""Aggregated readiness results of a survey round: one view model for page, CSV, JSON and PDF.

Everything shown anywhere comes from :func:`build`, which only ever holds
what :func:`scoring.readiness.aggregate_readiness` published: no value resting
on fewer than the round's anonymity minimum, and no value that would let a
hidden one be recovered by subtraction.  Respondent-level data never leaves
this module.  Texts (bands, actions, stages, the interim-CEO advice) come
from the instrument's ``narratives.yaml``; the maturity stage *names* are
the narratives' ones, not the scoring module's working labels.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import select

import questionnaires
import scoring
from assessor.extensions import db
from assessor.models import Assignment, Engagement, Result, Survey
from assessor.services import surveys
from assessor.services.candidates import safe_cell
from questionnaires import Instrument
from scoring.key import VALUE
from scoring.readiness import (
    CRITICAL_DIMENSIONS as CRITICAL,
)
from scoring.readiness import (
    ReadinessResult,
    RoundComparison,
    SegmentTable,
)

#: Bands (narratives keys) whose dimensions get recommended actions.
WEAK_BANDS: tuple[str, ...] = ("development", "solid")
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class DimensionView:
    """One readiness dimension as every output shows it (published values only)."""

    key: str
    name: str
    description: str
    mean: float | None
    sd: float | None
    rwg: float | None
    band: str | None
    band_label: str | None
    narrative: str | None
    change: float | None
    actions: tuple[str, ...]
    is_weak: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "mean": self.mean,
            "sd": self.sd,
            "rwg": self.rwg,
            "band": self.band,
            "band_label": self.band_label,
            "change_since_previous_round": self.change,
            "recommended_actions": list(self.actions) if self.is_weak else [],
        }


@dataclass(frozen=True)
class HeatRow:
    """One row of a heatmap table: a published segment, or a suppressed one (values None)."""

    key: str
    label: str
    n: int | None
    values: tuple[float | None, ...]
    index: float | None

    @property
    def suppressed(self) -> bool:
        return self.n is None


def short_label(label: str) -> str:
    """A label short enough for a chart head: 'Digital, IT or technology' → 'Digital'."""
    return label.split(" or ")[0].split(",")[0].strip() or label


@dataclass(frozen=True)
class GapView:
    """A flagged difference between two levels (upper = higher in the hierarchy)."""

    dimension: str
    dimension_name: str
    upper: str
    upper_label: str
    lower: str
    lower_label: str
    upper_mean: float
    lower_mean: float
    gap: float
    top_vs_front: bool

    @property
    def upper_short(self) -> str:
        return short_label(self.upper_label)

    @property
    def lower_short(self) -> str:
        return short_label(self.lower_label)


@dataclass(frozen=True)
class LevelChange:
    level: str
    label: str
    changes: tuple[float | None, ...]
    index: float | None


@dataclass
class SurveyResults:
    """The readiness results of one round, ready to render (HTML, CSV, JSON, PDF)."""

    survey: Survey
    client_name: str
    role_title: str
    instrument: Instrument
    k: int
    counts: surveys.ResponseCounts
    result: ReadinessResult | None
    dimensions: list[DimensionView] = field(default_factory=list)
    index: float | None = None
    stage: int | None = None
    stage_name: str | None = None
    stage_description: str | None = None
    capped_by: str | None = None
    uncapped_stage_name: str | None = None
    strongest: DimensionView | None = None
    weakest: DimensionView | None = None
    level_rows: list[HeatRow] = field(default_factory=list)
    department_rows: list[HeatRow] = field(default_factory=list)
    region_rows: list[HeatRow] = field(default_factory=list)
    gaps: list[GapView] = field(default_factory=list)
    interim_ceo: bool = False
    interim_text: str | None = None
    interim_reasons: tuple[str, ...] = ()
    stages: list[dict[str, Any]] = field(default_factory=list)
    previous_round: int | None = None
    index_change: float | None = None
    previous_stage_name: str | None = None
    level_changes: list[LevelChange] = field(default_factory=list)
    flags: tuple[str, ...] = ()

    @property
    def has_results(self) -> bool:
        return self.result is not None and self.result.overall is not None

    @property
    def dimension_names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    @property
    def weak_dimensions(self) -> list[DimensionView]:
        """Dimensions needing action, weakest first (critical ones first among equals)."""
        weak = [d for d in self.dimensions if d.is_weak]
        return sorted(weak, key=lambda d: (d.mean is None, d.mean or 0.0, d.key not in CRITICAL))

    @property
    def has_comparison(self) -> bool:
        return self.previous_round is not None and any(
            d.change is not None for d in self.dimensions
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON API body: aggregates only, with suppressed cells named but empty."""
        return {
            "survey": {
                "id": self.survey.id,
                "round": self.survey.round,
                "title": self.survey.title,
                "client": self.client_name,
                "instrument": {
                    "key": self.survey.instrument_key,
                    "version": self.survey.instrument_version,
                    "hash": self.survey.instrument_hash,
                },
                "status": surveys.state_label(self.survey),
                "anonymity_minimum": self.k,
            },
            "counts": self.counts.to_dict(),
            "published": self.has_results,
            "index": self.index,
            "stage": self.stage,
            "stage_name": self.stage_name,
            "stage_capped_by": self.capped_by,
            "strongest": self.strongest.key if self.strongest else None,
            "weakest": self.weakest.key if self.weakest else None,
            "dimensions": [d.to_dict() for d in self.dimensions],
            "by_level": [_row_dict(r, self.dimensions) for r in self.level_rows],
            "by_department": [_row_dict(r, self.dimensions) for r in self.department_rows],
            "by_region": [_row_dict(r, self.dimensions) for r in self.region_rows],
            "level_gaps": [
                {
                    "dimension": g.dimension,
                    "upper": g.upper,
                    "lower": g.lower,
                    "upper_mean": g.upper_mean,
                    "lower_mean": g.lower_mean,
                    "gap": g.gap,
                    "top_vs_front_line": g.top_vs_front,
                }
                for g in self.gaps
            ],
            "ceo_interim": {
                "recommended": self.interim_ceo,
                "reasons": list(self.interim_reasons),
                "text": self.interim_text,
            },
            "comparison": None
            if self.previous_round is None
            else {
                "previous_round": self.previous_round,
                "index_change": self.index_change,
                "dimension_change": {d.key: d.change for d in self.dimensions},
                "level_change": {
                    lc.level: {
                        **{d.key: v for d, v in zip(self.dimensions, lc.changes, strict=True)},
                        "index": lc.index,
                    }
                    for lc in self.level_changes
                },
            },
            "flags": list(self.flags),
        }


def _row_dict(row: HeatRow, dims: Sequence[DimensionView]) -> dict[str, Any]:
    if row.suppressed:
        return {"segment": row.key, "suppressed": True}
    return {
        "segment": row.key,
        "n": row.n,
        "index": row.index,
        "mean": {d.key: v for d, v in zip(dims, row.values, strict=True)},
    }


# ------------------------------------------------------------- aggregation


def passed_attention(key: scoring.ScoringKey, matrix: np.ndarray) -> np.ndarray:
    """True for respondents who answered every attention check they saw as expected."""
    if not len(key.attention_cols):
        return np.ones(matrix.shape[0], dtype=bool)
    answers = matrix[:, key.attention_cols]
    wrong = ~np.isnan(answers) & (answers != key.attention_expected)
    return ~wrong.any(axis=1)


def aggregate(survey: Survey) -> ReadinessResult | None:
    """Aggregate the round's submitted responses (two queries, vectorised), or None if none.

    Scale scores and the answer-matrix row stored at submission are used;
    item-level answers for r_wg come from the matrix's value columns, whose
    raw 1..5 answers have the same spread whether or not an item is reversed.
    """
    instrument = surveys.instrument_of(survey)
    stmt = (
        select(Assignment.segment, Result.data)
        .join(Result, Result.assignment_id == Assignment.id)
        .where(
            Assignment.survey_id == survey.id,
            Assignment.kind == "respondent",
            Assignment.submitted_at.is_not(None),
            Result.instrument_hash == survey.instrument_hash,
        )
    )
    rows = db.session.execute(stmt).all()
    if not rows:
        return None
    key = scoring.compile_key(instrument)
    dims = instrument.scale_keys
    scores = np.array(
        [
            [
                np.nan if (v := (data["scales"].get(d) or {}).get("pomp")) is None else v
                for d in dims
            ]
            for _segment, data in rows
        ],
        dtype=float,
    )
    matrix = np.array(
        [[np.nan if v is None else v for v in data["matrix"]] for _segment, data in rows],
        dtype=float,
    )
    attentive = passed_attention(key, matrix)
    if not attentive.all():
        # Someone who failed the attention check did not read the items: leave them out.
        rows = [row for row, keep in zip(rows, attentive, strict=True) if keep]
        scores, matrix = scores[attentive], matrix[attentive]
        if not rows:
            return None
    value_items = [
        i for i in range(key.n_scored) if key.item_kind[i] == VALUE and key.item_scale[i] >= 0
    ]
    cols = [int(key.item_col[i]) for i in value_items]
    item_dims = [key.scales[int(key.item_scale[i])] for i in value_items]
    points = {int(key.item_points[i]) for i in value_items} or {5}
    segments = {
        name: [(segment or {}).get(name) for segment, _data in rows] for name in surveys.SEGMENTS
    }
    try:
        return scoring.aggregate_readiness(
            scores,
            segments,
            dimensions=dims,
            k=survey.min_cell,
            item_responses=matrix[:, cols],
            item_dimensions=item_dims,
            response_options=max(points),
        )
    except scoring.ScoringError:
        return None


# ---------------------------------------------------------------- view model


def _stage_text(narratives: Mapping[str, Any], stage: int | None) -> tuple[str | None, str | None]:
    if stage is None:
        return None, None
    for entry in narratives.get("stages", []):
        if int(entry.get("stage", 0)) == int(stage):
            return str(entry["name"]), " ".join(str(entry.get("description", "")).split())
    return None, None


def _heat_rows(
    table: SegmentTable | None,
    segment: str,
    options: Sequence[tuple[str, str]],
    dims: Sequence[str],
) -> list[HeatRow]:
    """Rows in questionnaire order: published cells with values, suppressed ones without."""
    if table is None:
        return []
    published = {c.segment[segment]: c for c in table.cells}
    hidden = {s[segment] for s in table.suppressed}
    labels = dict(options)
    order = [key for key, _ in options] + sorted(
        (set(published) | hidden) - {key for key, _ in options}
    )
    rows: list[HeatRow] = []
    for key in order:
        if key in published:
            cell = published[key]
            rows.append(
                HeatRow(
                    key, labels.get(key, key), cell.n, tuple(cell.mean[d] for d in dims), cell.index
                )
            )
        elif key in hidden:
            rows.append(HeatRow(key, labels.get(key, key), None, tuple(None for _ in dims), None))
    return rows


def build(engagement: Engagement, survey: Survey) -> SurveyResults:
    """Everything the results page, the CSV, the JSON API and the PDF show for a round."""
    instrument = surveys.instrument_of(survey)
    narratives = questionnaires.load_narratives(survey.instrument_key)
    counts = surveys.response_counts(survey)
    result = aggregate(survey)
    view = SurveyResults(
        survey=survey,
        client_name=engagement.client_name,
        role_title=engagement.role_title,
        instrument=instrument,
        k=survey.min_cell,
        counts=counts,
        result=result,
        stages=[
            {
                "stage": int(s["stage"]),
                "name": str(s["name"]),
                "description": " ".join(str(s.get("description", "")).split()),
            }
            for s in narratives.get("stages", [])
        ],
    )
    if result is None:
        view.flags = ("no submitted responses yet",)
        return view
    view.flags = result.flags
    if result.overall is None:  # fewer than k respondents: nothing at all is published
        return view
    dims = result.dimensions
    previous = surveys.previous_round(survey)
    comparison: RoundComparison | None = None
    if previous is not None:
        view.previous_round = previous.round
        before = aggregate(previous)
        if before is not None and before.dimensions == dims:
            comparison = scoring.compare_rounds(before, result)
            view.index_change = comparison.index_change
            view.previous_stage_name = _stage_text(narratives, comparison.stage_before)[0]
    actions = narratives.get("actions", {})
    overall = result.overall
    for d in dims:
        mean = None if overall is None else overall.mean[d]
        told = scoring.narrative(d, mean, narratives)
        scale = instrument.scale(d)
        view.dimensions.append(
            DimensionView(
                key=d,
                name=scale.name,
                description=" ".join(scale.description.split()),
                mean=mean,
                sd=None if overall is None else overall.sd[d],
                rwg=None if overall is None or overall.rwg is None else overall.rwg[d],
                band=told.band,
                band_label=told.label,
                narrative=None if told.text is None else " ".join(told.text.split()),
                change=None if comparison is None else comparison.dimension_change[d],
                actions=tuple(actions.get(d, ())),
                is_weak=told.band in WEAK_BANDS,
            )
        )
    by_key = {d.key: d for d in view.dimensions}
    if not view.weak_dimensions and result.weakest is not None:
        # Nothing is weak: still recommend the next steps for the weakest dimension.
        w = by_key[result.weakest]
        by_key[w.key] = replace(w, is_weak=True)
        view.dimensions = [by_key[d] for d in dims]
    view.index = result.index
    view.stage = result.stage
    view.stage_name, view.stage_description = _stage_text(narratives, result.stage)
    if result.capped_by is not None:
        view.capped_by = result.capped_by
        view.uncapped_stage_name = _stage_text(narratives, result.uncapped_stage)[0]
    view.strongest = by_key.get(result.strongest or "")
    view.weakest = by_key.get(result.weakest or "")
    options = surveys.segment_options(instrument)
    view.level_rows = _heat_rows(result.tables.get("level"), "level", options["level"], dims)
    view.department_rows = _heat_rows(
        result.tables.get("department"), "department", options["department"], dims
    )
    view.region_rows = _heat_rows(result.tables.get("region"), "region", options["region"], dims)
    level_labels = dict(options["level"])
    names = {d: instrument.scale(d).name for d in dims}
    names["index"] = "Readiness index"
    view.gaps = [
        GapView(
            g.dimension,
            names.get(g.dimension, g.dimension),
            g.upper,
            level_labels.get(g.upper, g.upper),
            g.lower,
            level_labels.get(g.lower, g.lower),
            g.upper_mean,
            g.lower_mean,
            g.gap,
            g.top_vs_front,
        )
        for g in result.gaps
    ]
    view.interim_ceo = bool(result.ceo_interim)
    view.interim_reasons = result.ceo_interim_reasons
    if view.interim_ceo:
        view.interim_text = " ".join(str(narratives.get("interim_ceo", "")).split())
    if comparison is not None:
        view.level_changes = [
            LevelChange(
                level,
                level_labels.get(level, level),
                tuple(changes.get(d) for d in dims),
                changes.get("index"),
            )
            for level, changes in comparison.level_change.items()
        ]
    return view


def top_front_gaps(view: SurveyResults) -> list[GapView]:
    """Gaps between the top (board or executive) and the front line, largest first."""
    return [g for g in view.gaps if g.top_vs_front]


# --------------------------------------------------------------------- CSV


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def export_csv(view: SurveyResults) -> str:
    """Aggregated results only; suppressed cells are named but carry no number."""
    out = io.StringIO()
    writer = csv.writer(out)
    dims = view.dimensions
    k = view.k

    def write(row: Sequence[Any]) -> None:
        writer.writerow([safe_cell(v) for v in row])

    write(
        [
            "# readiness results",
            view.client_name,
            view.survey.title,
            f"round {view.survey.round}",
            f"cells with fewer than {k} respondents are suppressed",
        ]
    )
    write(["table", "group", "n", "index", *[d.name for d in dims], "note"])
    if view.has_results:
        overall = view.result.overall if view.result else None
        write(
            [
                "overall",
                "all respondents",
                overall.n if overall else "",
                _fmt(view.index),
                *[_fmt(d.mean) for d in dims],
                f"stage {view.stage}: {view.stage_name}" if view.stage else "",
            ]
        )
        write(["agreement r_wg", "all respondents", "", "", *[_fmt(d.rwg, 2) for d in dims], ""])
    else:
        write(["overall", "all respondents", "", "", *["" for _ in dims], SUPPRESSED])
    for table, rows in (
        ("level", view.level_rows),
        ("department", view.department_rows),
        ("region", view.region_rows),
    ):
        for row in rows:
            if row.suppressed:
                write([table, row.label, "", "", *["" for _ in dims], SUPPRESSED])
            else:
                write(
                    [
                        table,
                        row.label,
                        row.n,
                        _fmt(row.index),
                        *[_fmt(v) for v in row.values],
                        "",
                    ]
                )
    if view.has_comparison:
        write(
            [
                f"change since round {view.previous_round}",
                "all respondents",
                "",
                _fmt(view.index_change),
                *[_fmt(d.change) for d in dims],
                "",
            ]
        )
        for lc in view.level_changes:
            write(
                [
                    f"change since round {view.previous_round}",
                    lc.label,
                    "",
                    _fmt(lc.index),
                    *[_fmt(v) for v in lc.changes],
                    "",
                ]
            )
    write([])
    write(["level gaps", "dimension", "level above", "level below", "gap", "top vs front line"])
    for g in view.gaps:
        write(
            [
                "level gap",
                g.dimension_name,
                f"{g.upper_label} ({g.upper_mean:.1f})",
                f"{g.lower_label} ({g.lower_mean:.1f})",
                f"{g.gap:.1f}",
                "yes" if g.top_vs_front else "no",
            ]
        )
    return out.getvalue()
