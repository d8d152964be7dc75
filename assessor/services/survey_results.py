"""A released readiness result as every output shows it: page, CSV, JSON and PDF.

Everything shown anywhere comes from :func:`build`, which reads one stored
release (``services.survey_releases``) and nothing live: no value resting on
fewer than the round's anonymity minimum, and no combination of values, across
every release of the round, that would single out a smaller group.  Texts
(bands, actions, stages, the interim-CEO advice) come from the instrument's
``narratives.yaml``; the maturity stage *names* are the narratives' ones, not
the scoring module's working labels.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import questionnaires
import scoring
from assessor.models import Engagement, Survey, SurveyRelease
from assessor.services import survey_releases, surveys
from assessor.services.candidates import safe_cell
from questionnaires import Instrument
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


@dataclass(frozen=True)
class ReleaseInfo:
    """Which release a view shows and the totals it published (totals only, never per group)."""

    number: int
    released_at: Any
    is_final: bool
    submitted: int
    included: int
    failed_attention: int
    incomplete: int
    breakdowns: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "released_at": self.released_at.isoformat(),
            "final": self.is_final,
            "responses": self.submitted,
            "in_results": self.included,
            "left_out": {
                "failed_attention_check": self.failed_attention,
                "incomplete": self.incomplete,
            },
            "breakdowns": self.breakdowns,
        }


@dataclass(frozen=True)
class CountGrid:
    """Respondents by department × level as released: a number, "hidden" (None), or 0."""

    levels: tuple[tuple[str, str], ...]
    departments: tuple[tuple[str, str], ...]
    cells: Mapping[str, Mapping[str, int | None]]


@dataclass
class SurveyResults:
    """One release of a round's results, ready to render (HTML, CSV, JSON, PDF)."""

    survey: Survey
    client_name: str
    role_title: str
    instrument: Instrument
    k: int
    #: responses submitted in the round now (a total is all a live figure may say)
    submitted_now: int
    release: ReleaseInfo | None
    releases: tuple[int, ...]
    result: ReadinessResult | None
    grid: CountGrid | None = None
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
    #: set when sponsorship is known and below scoring.readiness.STRONG_SPONSORSHIP
    sponsorship_weak_text: str | None = None
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
                "collection": self.survey.collection,
                "anonymity_minimum": self.k,
            },
            "release": None if self.release is None else self.release.to_dict(),
            "releases": list(self.releases),
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
            "department_by_level": None
            if self.grid is None
            else {
                level: {dept: (SUPPRESSED if n is None else n) for dept, n in row.items()}
                for level, row in self.grid.cells.items()
            },
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
                # sponsorship strong enough for the CEO to act as interim CCO, should
                # no candidate be ready (the candidate half is the role brief's)
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


def _release_info(release: SurveyRelease) -> ReleaseInfo:
    excluded = release.data.get("excluded") or {}
    return ReleaseInfo(
        number=release.number,
        released_at=release.released_at,
        is_final=bool(release.is_final),
        submitted=int(release.submitted),
        included=int(release.included),
        failed_attention=int(excluded.get("attention", 0)),
        incomplete=int(excluded.get("incomplete", 0)),
        breakdowns=bool(release.data.get("breakdowns", False)),
    )


def _grid(result: ReadinessResult, options: Mapping[str, Sequence[tuple[str, str]]]) -> CountGrid:
    table = result.tables.get("level_department")
    published = (
        {}
        if table is None
        else {(c.segment["level"], c.segment["department"]): c.n for c in table.cells}
    )
    hidden = set() if table is None else {(s["level"], s["department"]) for s in table.suppressed}
    levels = tuple(options.get("level", ()))
    departments = tuple(options.get("department", ()))
    return CountGrid(
        levels,
        departments,
        {
            lv: {
                dp: (None if (lv, dp) in hidden else published.get((lv, dp), 0))
                for dp, _ in departments
            }
            for lv, _ in levels
        },
    )


def build(
    engagement: Engagement, survey: Survey, release: SurveyRelease | None = None
) -> SurveyResults:
    """Everything the results page, the CSV, the JSON API and the PDF show for a release
    (the round's latest when none is named)."""
    instrument = surveys.instrument_of(survey)
    narratives = questionnaires.load_narratives(survey.instrument_key)
    releases = survey_releases.list_releases(survey)
    if release is None and releases:
        release = releases[-1]
    result = None if release is None else survey_releases.result_of(release)
    view = SurveyResults(
        survey=survey,
        client_name=engagement.client_name,
        role_title=engagement.role_title,
        instrument=instrument,
        k=survey.min_cell,
        submitted_now=surveys.submitted_counts([survey])[survey.id][1],
        release=None if release is None else _release_info(release),
        releases=tuple(r.number for r in releases),
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
        view.flags = ("no results released yet",)
        return view
    view.flags = result.flags
    if result.overall is None:  # nothing at all could be published
        return view
    dims = result.dimensions
    comparison: RoundComparison | None = None
    previous = surveys.previous_round(survey)
    if previous is not None:
        before_release = survey_releases.latest(previous)
        if before_release is not None:
            view.previous_round = previous.round
            before = survey_releases.result_of(before_release)
            if before.dimensions == dims:
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
    if "level_department" in result.tables:
        view.grid = _grid(result, options)
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
    if result.ceo_interim is False:
        from scoring.readiness import STRONG_SPONSORSHIP

        view.sponsorship_weak_text = (
            f"Executive sponsorship is below {STRONG_SPONSORSHIP:.0f} out of 100. Before a "
            "Chief Customer Officer is appointed, the chief executive and the board need to "
            "back the role openly: without that, neither a new appointment nor the chief "
            "executive acting as interim CCO would hold."
        )
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
            f"release {view.release.number}" if view.release else "not released",
            f"no figure and no difference between figures describes fewer than {k} people",
        ]
    )
    if view.release is not None:
        r = view.release
        write(
            [
                "# responses",
                f"{r.submitted} submitted",
                f"{r.included} in the results",
                f"{r.failed_attention} left out: attention check",
                f"{r.incomplete} left out: incomplete",
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
    if view.grid is not None:
        level_labels = dict(view.grid.levels)
        for level, row in view.grid.cells.items():
            for dept, label in view.grid.departments:
                n = row[dept]
                write(
                    [
                        "respondents by level and department",
                        f"{level_labels[level]} / {label}",
                        "" if n is None else n,
                        "",
                        *["" for _ in dims],
                        SUPPRESSED if n is None else "",
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
