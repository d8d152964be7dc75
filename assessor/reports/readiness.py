"""The readiness report PDF, and the heatmaps shared with the results page.

The data is fetched first (:func:`assessor.services.survey_results.build`
returns a :class:`SurveyResults` holding published aggregates only), then
:class:`ReadinessReport` turns it into a story.  The heatmap Drawings built
here are the very ones the web page shows as SVG, so screen and paper agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer, Table

from assessor.reports.base import ReportDocument, esc, format_date
from assessor.reports.charts import heatmap, to_svg
from assessor.services.survey_results import DimensionView, HeatRow, SurveyResults, short_label
from scoring.readiness import NO_AGREEMENT, RWG_LABELS
from scoring.readiness import agreement_label as agreement_words

EN_DASH = "–"
HIDDEN = "hidden"
#: Weak dimensions named in the executive summary; the recommendations list them all.
PRIORITIES = 3
#: Rows of the level-gap table (the CSV and JSON hold every gap).
MAX_GAP_ROWS = 12
#: Gaps spelled out as differences of perception under the gap table.
PERCEPTION_LINES = 6


#: What the report says when sponsorship is below the strong threshold (scoring.readiness).
WEAK_SPONSORSHIP = (
    "Executive sponsorship is not yet strong. Win the chief executive and the board over "
    "before appointing a Chief Customer Officer: a named sponsor, a seat and a sufficient "
    "budget. Without that backing a new CCO would struggle, and the chief executive acting "
    "as interim CCO would fail too."
)


def _weak_sponsorship(v: SurveyResults) -> bool:
    """The release shows sponsorship below the strong threshold (not merely unknown)."""
    return v.result is not None and v.result.ceo_interim is False


def score(value: float | None, digits: int = 0) -> str:
    return EN_DASH if value is None else f"{value:.{digits}f}"


def signed(value: float | None) -> str:
    return EN_DASH if value is None else f"{value:+.1f}"


def agreement_label(rwg: float | None) -> str:
    """Conventional reading of r_wg (LeBreton & Senter 2008; scoring.readiness.RWG_LABELS).

    Only ever printed for one level's respondents: over everyone together a high value
    can hide levels that each agree but see the organisation differently.
    """
    return agreement_words(rwg) or EN_DASH


def _count(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def _heat(view: SurveyResults, rows: Sequence[HeatRow], width: float, title: str) -> Drawing:
    """Dimensions (and the index) down, all respondents then each segment across."""
    overall = view.result.overall if view.result else None
    columns = ["All", *[short_label(r.label) for r in rows]]
    values: list[list[float | None]] = []
    for d_index, dim in enumerate(view.dimensions):
        values.append([dim.mean, *[r.values[d_index] for r in rows]])
    values.append([view.index if overall else None, *[r.index for r in rows]])
    return heatmap(
        [d.name for d in view.dimensions] + ["Readiness index"],
        columns,
        values,
        width,
        title=title,
        suppressed_text=HIDDEN,
        suppressed_note="kept hidden to protect anonymity",
    )


def heatmaps(view: SurveyResults, width: float = 480) -> dict[str, tuple[Drawing, str]]:
    """The level and department heatmaps (only groups present in the data appear)."""
    out: dict[str, tuple[Drawing, str]] = {}
    if view.level_rows:
        title = "Readiness by level (0–100)"
        out["level"] = (_heat(view, view.level_rows, width, title), title)
    if view.department_rows:
        title = "Readiness by department (0–100)"
        out["department"] = (_heat(view, view.department_rows, width, title), title)
    return out


def chart_svg(drawing: Drawing, title: str) -> str:
    """Inline SVG of a heatmap for the results page."""
    return to_svg(drawing, title)


class ReadinessReport(ReportDocument):
    """The consultant's readiness report for one survey round."""

    def __init__(self, view: SurveyResults, generated_on: date | None = None) -> None:
        super().__init__(
            "Readiness for a Chief Customer Officer",
            view.client_name,
            generated_on or date.today(),
            subject=f"Organisational readiness survey, round {view.survey.round}",
            keywords=("readiness", "customer", "CCO"),
        )
        self.view = view

    # ------------------------------------------------------------ story
    def render(self) -> bytes:
        story: list[Flowable] = []
        story += self.cover_page()
        story += self.summary_page()
        story += self.heatmap_pages()
        story += self.levels_page()
        story += self.dont_know_page()
        story += self.gap_page()
        story += self.change_page()
        story += self.dimension_pages()
        story += self.recommendations_page()
        story += self.method_page()
        return self.build(story)

    def cover_page(self) -> list[Flowable]:
        v = self.view
        s = v.survey
        collected = format_date(s.created_at.date())
        if s.closed_at:
            collected += f" {EN_DASH} {format_date(s.closed_at.date())}"
        elif s.closes_at:
            collected += f" {EN_DASH} {format_date(s.closes_at.date())} (planned)"
        else:
            collected += f" {EN_DASH} still open"
        facts = [
            ("Client", v.client_name),
            ("Survey", f"{s.title} (round {s.round})"),
            (
                "Responses",
                f"{v.release.included} in the results (release {v.release.number})"
                if v.release
                else EN_DASH,
            ),
            ("Collected", collected),
            ("Anonymity minimum", f"{v.k} respondents per reported group"),
        ]
        story = self.cover(
            "Is the organisation ready for a Chief Customer Officer?",
            subtitle="Where a new CCO will find support, where levels see the organisation "
            "differently, and what must happen first.",
            facts=facts,
            kicker="Organisational readiness survey",
            notice="Responses were collected anonymously. No figure in this report, and no "
            f"difference between it and an earlier release, describes fewer than {v.k} people.",
        )
        glance = [
            self.para("At a glance", "H3"),
            self.para(
                f"Readiness index <b>{score(v.index)}</b> of 100 · maturity stage "
                f"<b>{v.stage} of 5, {esc(v.stage_name or '')}</b>",
                "Lead",
            ),
        ]
        if v.strongest and v.weakest:
            glance.append(
                self.para(
                    f"Strongest: {esc(v.strongest.name)} ({score(v.strongest.mean)}) · "
                    f"weakest: {esc(v.weakest.name)} ({score(v.weakest.mean)})",
                    "BodySmall",
                )
            )
        if v.interim_ceo:
            glance.append(
                self.para(
                    "Sponsorship is strong enough for the chief executive to act as interim "
                    "CCO, should no candidate be ready.",
                    "BodySmall",
                )
            )
        elif _weak_sponsorship(v):
            glance.append(
                self.para("Secure executive sponsorship before appointing a CCO.", "BodySmall")
            )
        # before the notice, the template switch and the page break that end the cover
        return [*story[:-4], Spacer(1, 8 * mm), self.callout(glance), *story[-4:]]

    def summary_page(self) -> list[Flowable]:
        v = self.view
        p = self.palette
        story: list[Flowable] = [self.para("Executive summary", "H1")]
        big = Table(
            [
                [
                    [
                        self.para("Readiness index", "Label"),
                        self.para(score(v.index), "BigNumber"),
                        self.para("out of 100", "Small"),
                    ],
                    [
                        self.para("Maturity stage", "Label"),
                        self.para(f"{v.stage} · {esc(v.stage_name or '')}", "H2"),
                        self.plain(v.stage_description or "", "BodySmall"),
                    ],
                ]
            ],
            colWidths=[45 * mm, self.content_width - 45 * mm],
            hAlign="LEFT",
        )
        big.setStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEAFTER", (0, 0), (0, 0), 0.6, p.rule),
                ("LEFTPADDING", (1, 0), (1, 0), 10),
            ]
        )
        story += [big, Spacer(1, 4 * mm)]
        if v.capped_by:
            capped = next((d for d in v.dimensions if d.key == v.capped_by), None)
            story.append(
                self.para(
                    f"The index alone would place the organisation at the "
                    f"<b>{esc(v.uncapped_stage_name)}</b> stage; the stage is held back by "
                    f"<b>{esc(capped.name if capped else v.capped_by)}</b>, a dimension a CCO "
                    "cannot succeed without.",
                    "BodySmall",
                )
            )
        findings: list[str] = []
        if v.strongest:
            findings.append(
                f"Strongest: {v.strongest.name} ({score(v.strongest.mean)}, "
                f"{v.strongest.band_label})."
            )
        if v.weakest:
            findings.append(
                f"Weakest: {v.weakest.name} ({score(v.weakest.mean)}, {v.weakest.band_label})."
            )
        top_front = [g for g in v.gaps if g.top_vs_front]
        if top_front:
            g = top_front[0]
            findings.append(
                f"Largest difference of perception between the top and the front line: "
                f"{g.text} {len(top_front)} top-versus-front-line gap"
                f"{'s' if len(top_front) != 1 else ''} of 15 points or more in all."
            )
        elif v.level_rows:
            findings.append("No gap of 15 points or more between the top and the front line.")
        if v.has_comparison:
            findings.append(
                f"Change since round {v.previous_round}: index {signed(v.index_change)} points"
                + (f" (stage was {v.previous_stage_name})." if v.previous_stage_name else ".")
            )
        story += [self.para("Key findings", "H2"), self.bullets(findings)]
        weak = [d for d in v.weak_dimensions if d.actions][:PRIORITIES]
        if weak:
            story += [
                self.para("What must happen first", "H2"),
                self.bullets([f"{d.name} ({score(d.mean)}): {d.actions[0]}" for d in weak]),
            ]
            if len(v.weak_dimensions) > len(weak):
                story.append(
                    self.para(
                        f"The weakest {len(weak)} of {len(v.weak_dimensions)} dimensions "
                        "scoring below 60; every one has its actions under Recommendations.",
                        "Caption",
                    )
                )
        if v.interim_ceo and v.interim_text:
            story += [
                Spacer(1, 3 * mm),
                self.callout(
                    [
                        self.para("If no candidate is ready: the CEO as interim CCO", "H3"),
                        self.plain(v.interim_text, "Callout"),
                    ],
                    background=p.pale_amber,
                    border=p.amber,
                ),
            ]
        story += [Spacer(1, 4 * mm), self.stage_table()]
        return story

    def stage_table(self) -> Flowable:
        v = self.view
        rows = [[str(s["stage"]), s["name"], s["description"]] for s in v.stages]
        current = [
            ("BACKGROUND", (0, i + 1), (-1, i + 1), self.palette.pale_navy)
            for i, s in enumerate(v.stages)
            if s["stage"] == v.stage
        ]
        return self.section(
            "Maturity stages",
            self.table(
                ["Stage", "Name", "What it looks like"],
                rows,
                [14 * mm, 28 * mm, self.content_width - 42 * mm],
                align="cll",
                zebra=False,
                extra_style=current,
            ),
            self.para(
                f"The highlighted row is this organisation's stage ({esc(v.stage_name)}).",
                "Caption",
            ),
        )

    def heatmap_pages(self) -> list[Flowable]:
        v = self.view
        story: list[Flowable] = [PageBreak(), self.para("Readiness across the organisation", "H1")]
        story.append(
            self.para(
                "Scores run from 0 (the statement is rejected throughout) to 100 (fully "
                "agreed). Cells marked <i>hidden</i> rest on too few responses to report, or "
                "would let such a group be worked out from the others.",
                "BodySmall",
            )
        )
        charts = heatmaps(v, self.content_width)
        for name in ("level", "department"):
            if name in charts:
                drawing, title = charts[name]
                story.append(KeepTogether([self.para(title, "H2"), drawing]))
        return story

    def levels_page(self) -> list[Flowable]:
        """ICC(1)/ICC(2) per dimension, and r_wg read within each published level."""
        v = self.view
        if not v.level_rows:
            return []
        story: list[Flowable] = [
            CondPageBreak(90 * mm),
            self.para("Levels and agreement", "H1"),
        ]
        if v.has_icc:
            rows = [
                [d.name, score(d.icc1, 2), score(d.icc2, 2), d.icc_verdict or "not computed"]
                for d in v.dimensions
            ]
            story += [
                self.para("Do the levels differ? ICC(1) and ICC(2)", "H2"),
                self.plain(v.icc_explanation, "BodySmall"),
                self.table(
                    ["Dimension", "ICC(1)", "ICC(2)", "Reading"],
                    rows,
                    [56 * mm, 16 * mm, 16 * mm, self.content_width - 88 * mm],
                    align="lrrl",
                ),
            ]
        else:
            story.append(
                self.para(
                    "ICC(1) and ICC(2) were not computed for this release (it predates them, "
                    "or fewer than two levels can be reported).",
                    "BodySmall",
                )
            )
        head = ["Dimension", *[short_label(r.label) for r in v.level_rows]]
        width = (self.content_width - 56 * mm) / len(v.level_rows)
        rows = [
            [d.name, *[HIDDEN if a.rwg is None else score(a.rwg, 2) for a in d.within]]
            for d in v.dimensions
        ]
        story += [
            self.para("Agreement within each level (r_wg)", "H2"),
            self.plain(v.agreement_explanation, "BodySmall"),
            self.table(
                head,
                rows,
                [56 * mm, *[width] * len(v.level_rows)],
                align="l" + "r" * len(v.level_rows),
            ),
            self.para(
                "Reading (LeBreton &amp; Senter 2008): "
                + ", ".join(f"{bound:.1f} or more {words}" for bound, words in RWG_LABELS)
                + f", below that {NO_AGREEMENT}. A level marked <i>hidden</i> rests on fewer "
                f"than {v.k} responses, or would let a group that small be worked out from "
                "the other figures.",
                "Caption",
            ),
        ]
        return story

    def dont_know_page(self) -> list[Flowable]:
        """How many answered "don't know", per dimension and level, and per statement."""
        v = self.view
        if not v.counts_dont_know:
            return []
        story: list[Flowable] = [
            CondPageBreak(80 * mm),
            self.para("“Don’t know” answers", "H1"),
            self.plain(
                v.dont_know_explanation + " Many of them at one level show what that level "
                "cannot see from where it works.",
                "BodySmall",
            ),
        ]
        levels = v.level_rows
        head = ["Dimension", "All", *[short_label(r.label) for r in levels]]
        rows = []
        for i, d in enumerate(v.dimensions):
            if not d.dont_know:
                continue
            per_level = [
                HIDDEN if r.suppressed or not r.dont_know else _count(r.dont_know[i])
                for r in levels
            ]
            rows.append([d.name, _count(d.dont_know), *per_level])
        if not rows:
            story.append(self.para("Nobody answered “Don’t know”.", "BodySmall"))
            return story
        width = (self.content_width - 72 * mm) / max(len(levels), 1)
        story.append(
            self.table(
                head,
                rows,
                [56 * mm, 16 * mm, *[width] * len(levels)],
                align="lr" + "r" * len(levels),
            )
        )
        if v.dont_know_items:
            story += [
                self.para("By statement", "H2"),
                self.table(
                    ["Statement", "All", *[short_label(r.label) for r in levels]],
                    [
                        [i.text, _count(i.total), *[_count(c) for c in i.by_level]]
                        for i in v.dont_know_items
                    ],
                    [self.content_width - 16 * mm - width * len(levels), 16 * mm]
                    + [width] * len(levels),
                    align="lr" + "r" * len(levels),
                ),
            ]
        return story

    def gap_page(self) -> list[Flowable]:
        v = self.view
        story: list[Flowable] = [CondPageBreak(80 * mm), self.para("Gaps between levels", "H1")]
        story.append(
            self.para(
                "A gap is flagged where two levels' average scores differ by 15 points or "
                "more. Gaps between the top (board or executives) and the front line matter "
                "most: they show where the top sees the company as more customer-centric "
                "than the people who serve customers experience it.",
                "BodySmall",
            )
        )
        story.append(self.plain(v.perception_note, "BodySmall"))
        if not v.gaps:
            story.append(
                self.para("No gap of 15 points or more between levels that can be reported.")
            )
            return story
        shown = v.gaps[:MAX_GAP_ROWS]
        rows = [
            [
                g.dimension_name,
                f"{short_label(g.upper_label)} ({score(g.upper_mean)})",
                f"{short_label(g.lower_label)} ({score(g.lower_mean)})",
                signed(g.gap),
                "top vs front line" if g.top_vs_front else "",
            ]
            for g in shown
        ]
        highlight = [
            ("BACKGROUND", (0, i + 1), (-1, i + 1), self.palette.pale_coral)
            for i, g in enumerate(shown)
            if g.top_vs_front
        ]
        story.append(
            self.table(
                ["Dimension", "Level above", "Level below", "Gap", ""],
                rows,
                [56 * mm, 40 * mm, 40 * mm, 14 * mm, self.content_width - 150 * mm],
                align="lllrl",
                zebra=False,
                extra_style=highlight,
            )
        )
        if len(v.gaps) > len(shown):
            story.append(
                self.para(
                    f"The {len(shown)} largest of {len(v.gaps)} gaps; the CSV export lists "
                    "them all. Shaded rows compare the top with the front line.",
                    "Caption",
                )
            )
        story += [
            self.para("How the levels see it", "H2"),
            self.bullets([g.text for g in shown[:PERCEPTION_LINES]]),
        ]
        return story

    def change_page(self) -> list[Flowable]:
        v = self.view
        if not v.has_comparison:
            return []
        story: list[Flowable] = [
            CondPageBreak(90 * mm),
            self.para(f"Change since round {v.previous_round}", "H1"),
            self.para(
                "Points of change on the 0–100 scale, this round minus the previous one. "
                "Groups hidden in either round show no change.",
                "BodySmall",
            ),
        ]
        rows = [[d.name, score(d.mean), signed(d.change)] for d in v.dimensions]
        rows.append(["Readiness index", score(v.index), signed(v.index_change)])
        story.append(
            self.table(
                ["Dimension", f"Round {v.survey.round}", "Change"],
                rows,
                [90 * mm, 30 * mm, 30 * mm],
                align="lrr",
            )
        )
        if v.level_changes:
            head = ["Level", *[short_label(d.name) for d in v.dimensions], "Index"]
            width = (self.content_width - 34 * mm) / (len(v.dimensions) + 1)
            story += [
                self.para("Change by level", "H2"),
                self.table(
                    head,
                    [
                        [short_label(lc.label), *[signed(c) for c in lc.changes], signed(lc.index)]
                        for lc in v.level_changes
                    ],
                    [34 * mm, *[width] * (len(v.dimensions) + 1)],
                    align="l" + "r" * (len(v.dimensions) + 1),
                ),
            ]
        return story

    def dimension_pages(self) -> list[Flowable]:
        story: list[Flowable] = []
        for d in self.view.dimensions:
            story += [PageBreak(), *self.dimension_page(d)]
        return story

    def dimension_page(self, d: DimensionView) -> list[Flowable]:
        v = self.view
        p = self.palette
        facts = [
            ("Score", f"{score(d.mean)} of 100" + (f" · {d.band_label}" if d.band_label else "")),
        ]
        if d.icc1 is not None:
            facts.append(
                (
                    "Levels: ICC(1), ICC(2)",
                    f"{score(d.icc1, 2)}, {score(d.icc2, 2)} · {d.icc_verdict}",
                )
            )
        if d.dont_know:  # dimensions whose statements offer it and got some
            facts.append(("Answered “Don’t know”", f"{d.dont_know} respondents"))
        if v.has_comparison:
            facts.append((f"Change since round {v.previous_round}", signed(d.change)))
        story: list[Flowable] = [
            self.para(esc(d.name), "H1"),
            self.plain(d.description, "Lead"),
            self.key_value_table(facts),
            Spacer(1, 4 * mm),
        ]
        if d.narrative:
            story.append(
                self.callout(
                    [self.para("What the answers describe", "H3"), self.plain(d.narrative)],
                    background=p.pale_coral if d.is_weak else p.pale_green,
                    border=p.coral if d.is_weak else p.green,
                )
            )
        idx = [x.key for x in v.dimensions].index(d.key)
        counted = v.counts_dont_know
        rows = []
        for r in v.level_rows:
            within = r.rwg[idx] if r.rwg else None
            row = [
                r.label,
                HIDDEN if r.suppressed else str(r.n),
                score(r.values[idx]),
                HIDDEN if r.suppressed else f"{score(within, 2)} {agreement_label(within)}",
            ]
            if counted:
                row.append(HIDDEN if r.suppressed or not r.dont_know else _count(r.dont_know[idx]))
            rows.append(row)
        if rows:
            head = ["Level", "Responses", "Score", "Agreement within"]
            widths = [62 * mm, 22 * mm, 18 * mm, 44 * mm]
            if counted:
                head.append("Don’t know")
                widths.append(self.content_width - sum(widths))
            story += [
                self.para("By level", "H2"),
                self.table(head, rows, widths, align="lrrr" + ("r" if counted else "")),
            ]
        gaps = [g for g in v.gaps if g.dimension == d.key]
        if gaps:
            story.append(self.bullets([g.text for g in gaps]))
        if d.is_weak and d.actions:
            story += [self.para("Recommended actions", "H2"), self.bullets(d.actions)]
        return story

    def recommendations_page(self) -> list[Flowable]:
        v = self.view
        story: list[Flowable] = [PageBreak(), self.para("Recommendations", "H1")]
        weak = v.weak_dimensions
        if weak:
            story.append(
                self.para(
                    "Actions for the dimensions scoring below 60, weakest first. They are the "
                    "ground a new CCO needs prepared; most need the chief executive's visible "
                    "backing.",
                    "BodySmall",
                )
            )
            for d in sorted(weak, key=lambda x: (x.mean is None, x.mean or 0)):
                story.append(
                    KeepTogether(
                        [
                            self.para(f"{esc(d.name)} · {score(d.mean)}", "H2"),
                            self.bullets(d.actions),
                        ]
                    )
                )
        if v.interim_ceo and v.interim_text:
            story += [
                Spacer(1, 4 * mm),
                self.callout(
                    [
                        self.para("If no candidate is ready: the CEO as interim CCO", "H3"),
                        self.plain(v.interim_text, "Callout"),
                        self.plain("Why: " + "; ".join(v.interim_reasons) + ".", "Small"),
                    ],
                    background=self.palette.pale_amber,
                    border=self.palette.amber,
                ),
            ]
        elif _weak_sponsorship(v):
            story += [
                Spacer(1, 4 * mm),
                self.callout(
                    [
                        self.para("Secure executive sponsorship first", "H3"),
                        self.plain(WEAK_SPONSORSHIP, "Callout"),
                        self.plain("Why: " + "; ".join(v.interim_reasons) + ".", "Small"),
                    ],
                    background=self.palette.pale_amber,
                    border=self.palette.amber,
                ),
            ]
        return story

    def method_page(self) -> list[Flowable]:
        v = self.view
        story: list[Flowable] = [PageBreak(), self.para("Method, anonymity and responses", "H1")]
        story += [
            self.para("How the survey worked", "H2"),
            self.bullets(
                [
                    f"Instrument: {v.instrument.title}, version {v.survey.instrument_version}; "
                    f"{len(v.dimensions)} dimensions of readiness with six statements each, "
                    "answered on a five-point agreement scale (some statements reverse-keyed).",
                    "Each dimension score is the percentage of the maximum possible (0–100); "
                    "the readiness index is the mean of the eight dimensions.",
                    "The maturity stage follows the index, but is held at most one stage above "
                    "the weakest of executive sponsorship, the voice of the customer at the top "
                    "and cross-functional cooperation.",
                    "Agreement is r_wg(J) against a uniform null (James, Demaree & Wolf 1984), "
                    "read within each level, never over everyone together.",
                    "Whether a dimension may be reported level by level is judged by ICC(1) "
                    "and ICC(2) with the reported levels as groups (Bliese 2000): ICC(1) "
                    "above 0.05 and ICC(2) of 0.70 or more.",
                    "Statements about other levels could be answered “Don’t know”: those "
                    "answers are left out of the scores and counted.",
                ]
            ),
            self.para("How anonymity is kept", "H2"),
            self.bullets(
                [
                    (
                        "Each respondent used a personal link that works once. The database "
                        "keeps only whether a link was used, never which answers it gave, and "
                        "the e-mail addresses are deleted when the round closes."
                        if v.survey.collection == "invitation"
                        else "Respondents opened one shared link. An open link cannot stop "
                        "someone answering more than once, so its results are released once."
                    ),
                    "No name, e-mail address, IP address or browser detail is stored with the "
                    "answers; only the level, department and region describe respondents.",
                    f"No figure in this report describes fewer than {v.k} respondents, and "
                    "neither does any difference between figures, within this release or "
                    "against an earlier release of the round: a group is hidden when it, or "
                    "what it leaves when subtracted from the others, would be smaller.",
                    "Responses left out of the results (a missed attention check, an "
                    "unanswered dimension) are counted in totals only.",
                    "Individual answers are never shown or exported.",
                ]
            ),
        ]
        if v.release is None:
            return story
        r = v.release
        rows = [
            ["Responses submitted", str(r.submitted)],
            ["In the results", str(r.included)],
            ["Left out: attention check missed", str(r.failed_attention)],
            ["Left out: a dimension unanswered", str(r.incomplete)],
        ]
        rows += [
            [f"{row.label}", "hidden" if row.suppressed else str(row.n)] for row in v.level_rows
        ]
        story += [
            self.para("Responses", "H2"),
            self.table(
                ["", "Respondents"],
                rows,
                [110 * mm, 40 * mm],
                align="lr",
            ),
            self.para(
                f"Release {r.number} of round {v.survey.round}, published "
                f"{format_date(r.released_at.date())}. Counts by level are those of the "
                f"results; a level is hidden where it would describe fewer than {v.k} people.",
                "Caption",
            ),
        ]
        return story


def build_readiness_report(view: SurveyResults, generated_on: date | None = None) -> bytes:
    """PDF bytes of the readiness report for a round with published results."""
    return ReadinessReport(view, generated_on).render()
