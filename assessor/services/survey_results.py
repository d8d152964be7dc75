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
    ICC1_MIN,
    ICC2_MIN,
    ReadinessResult,
    RoundComparison,
    SegmentTable,
    agreement_label,
    perception_gap,
)
from scoring.scales import MIN_SHARE

#: Bands (narratives keys) whose dimensions get recommended actions.
WEAK_BANDS: tuple[str, ...] = ("development", "solid")
SUPPRESSED = "suppressed"


#: One line for readers on what ICC(1) and ICC(2) say (page and PDF).
ICC_EXPLANATION = (
    f"ICC(1) is the share of the differences between people's answers that goes with their "
    f"level; ICC(2) is how dependable a level's average is. Reporting a dimension level by "
    f"level is justified when ICC(1) is above {ICC1_MIN:.2f} and ICC(2) is {ICC2_MIN:.2f} or "
    "more (Bliese 2000; LeBreton & Senter 2008)."
)
#: What agreement means once it is read within levels (page and PDF).
AGREEMENT_EXPLANATION = (
    "Agreement (r_wg) is read within each level: how far people of the same level answer "
    "alike (0.7 or more is strong). It is not computed over everyone together, where levels "
    "that each agree but see things differently could still look like agreement."
)
#: What a "don't know" does to the scores (page and PDF); the share is the scorer's own.
DONT_KNOW_EXPLANATION = (
    "Statements about the board and senior leaders could be answered “Don’t know”. Those "
    "answers are left out of the scores and counted here: respondents who answered “Don’t "
    "know” to at least one statement of a dimension. Someone left with fewer than "
    f"{MIN_SHARE:.0%} of a dimension's statements has no score on it, so that dimension's "
    "figures rest on the people who could judge it."
)
#: How gaps are to be read (page and PDF).
PERCEPTION_NOTE = (
    "A gap shows that two levels see the organisation differently. It is a difference of "
    "perception, often of what each level can see from where it works, not a sign that one "
    "level opposes the other."
)


@dataclass(frozen=True)
class LevelAgreement:
    """r_wg(J) of one dimension within one level; None where that figure is hidden."""

    level: str
    label: str
    rwg: float | None
    words: str | None


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
    #: ICC(1), ICC(2) with the published levels as groups (None: not computed)
    icc1: float | None = None
    icc2: float | None = None
    icc_levels: int | None = None
    icc_justified: bool | None = None
    icc_verdict: str | None = None
    within: tuple[LevelAgreement, ...] = ()
    #: respondents answering "don't know" to one of its statements (None: not counted)
    dont_know: int | None = None

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
            "levels_icc": None
            if self.icc1 is None
            else {
                "icc1": self.icc1,
                "icc2": self.icc2,
                "levels": self.icc_levels,
                "aggregation_justified": self.icc_justified,
                "reading": self.icc_verdict,
            },
            "agreement_within_levels": [
                {"level": a.level, "rwg": a.rwg, "reading": a.words} for a in self.within
            ],
            "dont_know_respondents": self.dont_know,
        }


@dataclass(frozen=True)
class DontKnowItem:
    """A statement offering "don't know": how many answered so, overall and per level
    (None in ``by_level`` where that level is hidden)."""

    key: str
    text: str
    dimension: str
    total: int | None
    by_level: tuple[int | None, ...]


@dataclass(frozen=True)
class HeatRow:
    """One row of a heatmap table: a published segment, or a suppressed one (values None)."""

    key: str
    label: str
    n: int | None
    values: tuple[float | None, ...]
    index: float | None
    #: per dimension: r_wg within the segment, and "don't know" respondents (None: hidden
    #: or not counted)
    rwg: tuple[float | None, ...] = ()
    dont_know: tuple[int | None, ...] = ()

    @property
    def suppressed(self) -> bool:
        return self.n is None

    @property
    def short(self) -> str:
        return short_label(self.label)


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

    @property
    def text(self) -> str:
        """The gap as a difference of perception ("The board sees … than the front line does")."""
        name = "index" if self.dimension == "index" else self.dimension_name
        return perception_gap(name, self.upper, self.upper_mean, self.lower, self.lower_mean)


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
    #: statements offering "don't know" with their counts (empty: none, or not counted)
    dont_know_items: list[DontKnowItem] = field(default_factory=list)

    #: the plain explanations every output prints beside the figures
    icc_explanation: str = ICC_EXPLANATION
    agreement_explanation: str = AGREEMENT_EXPLANATION
    perception_note: str = PERCEPTION_NOTE
    dont_know_explanation: str = DONT_KNOW_EXPLANATION

    @property
    def has_icc(self) -> bool:
        return any(d.icc1 is not None for d in self.dimensions)

    @property
    def counts_dont_know(self) -> bool:
        return any(d.dont_know is not None for d in self.dimensions)

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
                    "perception": g.text,
                }
                for g in self.gaps
            ],
            "dont_know_items": [
                {
                    "item": i.key,
                    "text": i.text,
                    "dimension": i.dimension,
                    "total": i.total,
                    "by_level": {
                        r.key: (SUPPRESSED if c is None else c)
                        for r, c in zip(self.level_rows, i.by_level, strict=True)
                    },
                }
                for i in self.dont_know_items
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
    out: dict[str, Any] = {
        "segment": row.key,
        "n": row.n,
        "index": row.index,
        "mean": {d.key: v for d, v in zip(dims, row.values, strict=True)},
    }
    if row.rwg:
        out["rwg"] = {d.key: v for d, v in zip(dims, row.rwg, strict=True)}
    if row.dont_know:
        out["dont_know"] = {d.key: v for d, v in zip(dims, row.dont_know, strict=True)}
    return out


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
            rwg = cell.rwg or {}
            unknown = cell.dont_know
            rows.append(
                HeatRow(
                    key,
                    labels.get(key, key),
                    cell.n,
                    tuple(cell.mean[d] for d in dims),
                    cell.index,
                    rwg=tuple(rwg.get(d) for d in dims) if cell.rwg is not None else (),
                    dont_know=()
                    if unknown is None
                    else tuple(unknown.get(d) if d in unknown else None for d in dims),
                )
            )
        elif key in hidden:
            rows.append(HeatRow(key, labels.get(key, key), None, tuple(None for _ in dims), None))
    return rows


def _within(
    rows: Sequence[HeatRow], index: int, labels: Mapping[str, str]
) -> tuple[LevelAgreement, ...]:
    """r_wg of one dimension in each level row (hidden levels listed without a value)."""
    out = []
    for row in rows:
        value = row.rwg[index] if row.rwg else None
        label = labels.get(row.key, row.label)
        out.append(LevelAgreement(row.key, label, value, agreement_label(value)))
    return tuple(out)


def _dont_know_items(
    instrument: Instrument, result: ReadinessResult, rows: Sequence[HeatRow]
) -> list[DontKnowItem]:
    """Per statement offering "don't know": the published counts, overall and per level."""
    overall = result.overall
    if overall is None or overall.dont_know_items is None:
        return []
    table = result.tables.get("level")
    cells = {} if table is None else {c.segment["level"]: c for c in table.cells}
    out = []
    for item in instrument.dont_know_items:
        by_level = []
        for row in rows:
            cell = cells.get(row.key)
            counts = None if cell is None else cell.dont_know_items
            by_level.append(None if counts is None else counts.get(item.key))
        out.append(
            DontKnowItem(
                item.key,
                item.text,
                instrument.scale(item.scale).name if item.scale else "",
                overall.dont_know_items.get(item.key),
                tuple(by_level),
            )
        )
    return out


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
    level_names = dict(options["level"])
    for i, d in enumerate(view.dimensions):
        icc = result.icc.get(d.key)
        unknown = None if overall.dont_know is None else overall.dont_know.get(d.key)
        view.dimensions[i] = replace(
            d,
            icc1=None if icc is None else icc.icc1,
            icc2=None if icc is None else icc.icc2,
            icc_levels=None if icc is None else icc.levels,
            icc_justified=None if icc is None else icc.justified,
            icc_verdict=None if icc is None else icc.verdict,
            within=_within(view.level_rows, i, level_names),
            dont_know=unknown,
        )
    by_key = {d.key: d for d in view.dimensions}
    view.strongest = by_key.get(result.strongest or "")
    view.weakest = by_key.get(result.weakest or "")
    view.dont_know_items = _dont_know_items(instrument, result, view.level_rows)
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
        write(
            [
                "agreement r_wg",
                "all respondents (pooled: read the levels' values)",
                "",
                "",
                *[_fmt(d.rwg, 2) for d in dims],
                "",
            ]
        )
        if view.has_icc:
            for name, attr in (("ICC(1) across levels", "icc1"), ("ICC(2) across levels", "icc2")):
                write([name, "levels", "", "", *[_fmt(getattr(d, attr), 2) for d in dims], ""])
        if view.counts_dont_know:
            write(
                [
                    "don't know (respondents)",
                    "all respondents",
                    overall.n if overall else "",
                    "",
                    *["" if d.dont_know is None else d.dont_know for d in dims],
                    "",
                ]
            )
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
                if table == "level" and row.rwg:
                    write(
                        ["agreement r_wg within level", row.label, row.n, ""]
                        + [_fmt(v, 2) for v in row.rwg]
                        + [""]
                    )
                if table == "level" and row.dont_know:
                    write(
                        ["don't know (respondents)", row.label, row.n, ""]
                        + ["" if v is None else v for v in row.dont_know]
                        + [""]
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
    write(
        [
            "level gaps",
            "dimension",
            "level above",
            "level below",
            "gap",
            "top vs front line",
            "difference of perception",
        ]
    )
    for g in view.gaps:
        write(
            [
                "level gap",
                g.dimension_name,
                f"{g.upper_label} ({g.upper_mean:.1f})",
                f"{g.lower_label} ({g.lower_mean:.1f})",
                f"{g.gap:.1f}",
                "yes" if g.top_vs_front else "no",
                g.text,
            ]
        )
    if view.dont_know_items:
        write([])
        labels = [r.label for r in view.level_rows]
        write(["don't know by statement", "statement", "dimension", "all respondents", *labels])
        for i in view.dont_know_items:
            write(
                [
                    "don't know",
                    i.text,
                    i.dimension,
                    "" if i.total is None else i.total,
                    *[SUPPRESSED if c is None else c for c in i.by_level],
                ]
            )
    return out.getvalue()
