"""The technical manual of an instrument version, as a PDF and as the admins' web page.

Both are drawn from one :class:`ManualView`: the :class:`scoring.manual.Manual` turned into
sections of already formatted tables, every number passing through :func:`fmt` once. The
PDF and the HTML page therefore print the same characters for the same figure.

Each section opens with a sentence on what its figures mean, written for a reader who is
not a psychometrician (a recruiter or a client's HR lead checking the evidence behind the
instrument), and items that need review are highlighted: a corrected item-total
correlation below .20, or an alpha that would rise without the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Spacer,
)
from reportlab.platypus.tableofcontents import TableOfContents

from assessor.reports import base
from assessor.reports.base import PALETTE, ReportDocument
from scoring import manual as m

DASH = "—"
#: Tables of fewer rows than this are kept on one page with their heading; longer ones
#: split across pages with their header row repeated.
KEEP_ROWS = 8
MINUS = "−"


def fmt(value: float | int | None, kind: str) -> str:
    """The one place a manual's number becomes text (PDF and HTML alike).

    ``r``: correlations and reliabilities, two decimals without the leading zero (".78",
    "−.12"); ``d``: effect sizes and ratios, two decimals ("0.35"); ``mean``: item means
    and SDs, two decimals; ``score``: POMP scores, one decimal; ``p``: p-values, three
    decimals, "<.001" below; ``pct``: percentiles, whole numbers ("<1" and ">99" at the
    ends); ``int``: counts and T-scores; ``chi2``: one decimal.  None is a dash.
    """
    if value is None:
        return DASH
    v = float(value)
    if kind == "int":
        return f"{round(v):,}".replace("-", MINUS)
    if kind == "r":
        s = f"{v:.2f}"
        if s == "-0.00":
            s = "0.00"
        if s.startswith(("0.", "-0.")):
            s = s.replace("0.", ".", 1)
        return s.replace("-", MINUS)
    if kind in ("d", "mean"):
        return f"{v:.2f}".replace("-", MINUS)
    if kind == "score":
        return f"{v:.1f}".replace("-", MINUS)
    if kind == "chi2":
        return f"{v:,.1f}"
    if kind == "p":
        return "<.001" if v < 0.001 else f"{v:.3f}".replace("0.", ".", 1)
    if kind == "pct":
        if v < 0.5:
            return "<1"
        if v > 99.5:
            return ">99"
        return f"{round(v)}"
    raise ValueError(f"unknown number kind {kind!r}")


def fmt_range(low: float | None, high: float | None, kind: str) -> str:
    """An interval as "low–high" (a dash when either end is missing)."""
    if low is None or high is None:
        return DASH
    return f"{fmt(low, kind)}–{fmt(high, kind)}"


# --- The view both outputs draw ----------------------------------------------------------------


@dataclass
class TableView:
    """A table of formatted cells; ``flagged`` rows are highlighted in both outputs."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float]  # shares of the page width (at most 1 in all)
    align: str = ""
    flagged: set[int] = field(default_factory=set)
    caption: str = ""
    heading: str = ""
    compact: bool = False


@dataclass
class SectionView:
    anchor: str
    title: str
    method: str
    blocks: list[TableView | str] = field(default_factory=list)


@dataclass
class ManualView:
    title: str
    heading: str
    subtitle: str
    organisation: str
    generated_on: date
    facts: list[tuple[str, str]]
    sections: list[SectionView]


def _day(iso: str | None) -> str:
    return DASH if not iso else base.format_date(date.fromisoformat(iso))


METHOD_LABELS = {
    "alpha": "Alpha (items)",
    "model": "Model (IRT SEs)",
    "assumed": "Assumed",
    "single item": "Single item",
}


def _sample_section(man: m.Manual) -> SectionView:
    s = man.sample
    sec = SectionView(
        "sample",
        "1. The sample",
        "Every figure in this manual comes from the completed assessments described here: "
        "candidates of this instrument version, across the firm's engagements, who agreed "
        "that their scores may be used anonymously for comparisons, and whose answers were "
        "not flagged for response quality. The figures describe this group; they carry over "
        "to new candidates only as far as these candidates resemble them.",
    )
    facts = [
        ["Completed assessments", fmt(s.n, "int")],
        ["Engagements", fmt(s.engagements, "int")],
        ["Client companies", fmt(s.clients, "int")],
        ["Completed between", f"{_day(s.first_completed)} and {_day(s.last_completed)}"],
    ]
    sec.blocks.append(TableView(["Fact", "Value"], facts, [0.45, 0.55], align="lr"))
    if s.roles:
        rows = [[title, fmt(n, "int")] for title, n in s.roles]
        sec.blocks.append(
            TableView(
                ["Role the candidates applied for", "Candidates"],
                rows,
                [0.75, 0.25],
                align="lr",
                heading="Roles",
            )
        )
    if man.not_covered:
        sec.blocks.append("What this version's stored answers cannot show:")
        sec.blocks.extend(man.not_covered)
    return sec


def _item_section(man: m.Manual) -> SectionView:
    sec = SectionView(
        "items",
        "2. Item statistics",
        "For each item: how many answered, the mean and spread of its answers (after "
        "reverse-keyed items are turned round, so a high value always means more of the "
        "competency), the correlation of the item with the rest of its scale (corrected "
        "item-total r: how well it agrees with the other items; below .20 it adds little), "
        "the scale's alpha if the item were dropped (when alpha would rise, the item weakens "
        "the scale), and its loading on the scale's single factor. Flagged items are "
        "highlighted for review by the instrument's authors; a flag is a question, not a "
        "verdict.",
    )
    loadings = {
        (f.scale, ld.item): ld.loading for f in man.factors for ld in f.loadings
    }  # fmt: skip
    for scale in man.items:
        rows, flagged = [], set()
        for i, it in enumerate(scale.items):
            rows.append(
                [
                    it.item + (" (R)" if it.reverse else ""),
                    it.text,
                    fmt(it.n, "int"),
                    fmt(it.mean, "mean"),
                    fmt(it.sd, "mean"),
                    fmt(it.item_rest_r, "r"),
                    fmt(it.alpha_if_deleted, "r"),
                    fmt(loadings.get((scale.scale, it.item)), "r"),
                    "; ".join(it.flags) or (it.note or ""),
                ]
            )
            if it.flags:
                flagged.add(i)
        caption = f"Alpha of the scale: {fmt(scale.alpha, 'r')}." if scale.alpha else ""
        if scale.note:
            caption = (caption + " " + scale.note[0].upper() + scale.note[1:] + ".").strip()
        sec.blocks.append(
            TableView(
                ["Item", "Statement", "n", "Mean", "SD", "Item-rest r", "Alpha if dropped",
                 "Loading", "Flag"],
                rows,
                [0.085, 0.265, 0.055, 0.065, 0.055, 0.095, 0.095, 0.085, 0.2],
                align="llrrrrrrl",
                flagged=flagged,
                heading=scale.name,
                caption=caption,
            )
        )  # fmt: skip
    return sec


def _reliability_section(man: m.Manual) -> SectionView:
    sec = SectionView(
        "reliability",
        "3. Scale reliabilities",
        "Reliability says how much of the spread between candidates' scores is real "
        "difference rather than measurement error: 1 would be error-free, .70 is the usual "
        "floor for decisions about individuals, .80 is better. Each estimate comes with a 90% "
        "interval: the true value probably lies within it, and a wide interval means the "
        "sample is still small. The SEM (standard error of measurement, on the 0-100 scale) "
        "is the typical distance between a candidate's observed and true score; score bands "
        "are built from it. Alpha and omega estimate reliability from how the items agree; "
        "forced-choice scores use the standard errors of the IRT model instead.",
    )
    rows, flagged = [], set()
    for i, r in enumerate(man.reliability):
        rel = fmt(r.reliability, "r")
        if r.method == "alpha" or r.method == "model":
            rel = f"{rel} ({fmt_range(r.low, r.high, 'r')})"
        rows.append(
            [
                r.name + (" (validity index)" if r.kind != "competency" else ""),
                fmt(r.n, "int"),
                DASH if r.method == "model" else fmt(r.n_items, "int"),
                fmt(r.mean, "score"),
                fmt(r.sd, "score"),
                METHOD_LABELS.get(r.method, r.method),
                rel,
                f"{fmt(r.omega, 'r')} ({fmt_range(r.omega_low, r.omega_high, 'r')})"
                if r.omega is not None
                else DASH,
                fmt(r.sem, "score"),
            ]
        )
        if r.reliability is not None and r.method in ("alpha", "model") and r.reliability < 0.7:
            flagged.add(i)
    reasons = [
        f"{r.name}: {r.reason}." for r in man.reliability if r.reason and r.method != "alpha"
    ]
    sec.blocks.append(
        TableView(
            ["Scale", "n", "Items", "Mean", "SD", "Method", "Reliability (90% interval)",
             "Omega (90% interval)", "SEM"],
            rows,
            [0.2, 0.06, 0.065, 0.065, 0.055, 0.13, 0.17, 0.17, 0.065],
            align="lrrrrlrrr",
            flagged=flagged,
            caption="Highlighted: an estimated reliability below .70. Items: those in the "
            "answer matrix; a model-scored scale rests on its forced-choice blocks instead.",
        )
    )  # fmt: skip
    if reasons:
        sec.blocks.append("Why some scales have no estimate: " + " ".join(reasons))
    return sec


def _correlation_section(man: m.Manual) -> SectionView:
    c = man.correlations
    sec = SectionView(
        "correlations",
        "4. Scale intercorrelations",
        "How strongly candidates' scores on two competencies go together (Pearson r, from "
        "−1 to 1). Moderate positive values are expected, since the competencies belong to "
        "one role; values near 1 would mean two scales measure the same thing, values near 0 "
        "that they are unrelated. The fit score's band uses these correlations.",
    )
    k = len(c.scales)
    header = ["Scale"] + [str(j + 1) for j in range(k)]
    rows = []
    for i in range(k):
        rows.append(
            [f"{i + 1}. {c.names[i]}"] + [fmt(c.r[i][j], "r") if j < i else "" for j in range(k)]
        )
    first = 0.26
    sec.blocks.append(
        TableView(
            header,
            rows,
            [first] + [(1 - first) / max(k, 1)] * k,
            align="l" + "r" * k,
            compact=True,
            caption=f"Pairwise: each r uses the candidates with both scores; a dash where "
            f"fewer than {c.min_n} share them.",
        )
    )
    return sec


def _factor_section(man: m.Manual) -> SectionView:
    sec = SectionView(
        "factors",
        "5. Does each scale measure one thing?",
        "A one-factor model asks whether a scale's items can be explained by a single "
        "underlying competency. The fit figures say how well: RMSEA up to about .06 and "
        "SRMR up to about .08 indicate good fit, CFI from about .95; the chi-square test is "
        "strict and rejects small misfits in large samples. Loadings (in the item tables) "
        "show how strongly each item reflects the competency. Maximum likelihood on the "
        "items' correlations.",
    )
    rows = []
    for f in man.factors:
        if f.note and f.chi2 is None:
            rows.append([f.name, fmt(f.n, "int"), fmt(f.n_items, "int"), DASH, DASH, DASH,
                         DASH, DASH, f.note])  # fmt: skip
            continue
        low = min(f.loadings, key=lambda ld: ld.loading) if f.loadings else None
        rows.append(
            [
                f.name,
                fmt(f.n, "int"),
                fmt(f.n_items, "int"),
                f"{fmt(f.chi2, 'chi2')} ({fmt(f.df, 'int')})",
                fmt(f.p_value, "p"),
                fmt(f.rmsea, "r"),
                fmt(f.cfi, "r"),
                fmt(f.srmr, "r"),
                (f"lowest loading {fmt(low.loading, 'r')} ({low.item})" if low else "")
                + (f"; {f.note}" if f.note else ""),
            ]
        )
    if rows:
        sec.blocks.append(
            TableView(
                ["Scale", "n", "Items", "Chi-square (df)", "p", "RMSEA", "CFI", "SRMR", "Note"],
                rows,
                [0.19, 0.06, 0.065, 0.12, 0.065, 0.08, 0.06, 0.07, 0.29],
                align="lrrrrrrrl",
            )
        )  # fmt: skip
    else:
        sec.blocks.append("No scale of this version has two or more items in the answer matrix.")
    return sec


NO_GROUPS = (
    "No group data is recorded in this installation: candidates are not yet asked to "
    "self-identify (sex, ethnicity, age band). This section will fill once they do; until "
    "then no statement about group differences, adverse impact or differential item "
    "functioning can be made from this sample."
)


def _group_section(man: m.Manual) -> SectionView:
    sec = SectionView(
        "groups",
        "6. Groups: score differences, adverse impact and item bias",
        "Whether candidates from different groups score differently (d: the difference in "
        "means in standard deviations; about .2 is small, .5 medium, .8 large), whether a "
        "cut on a scale would select them at different rates (the impact ratio: a group's "
        "selection rate divided by the highest group's; below 0.80 the four-fifths rule "
        "treats it as evidence of adverse impact, and Fisher's exact test says whether the "
        "difference could be chance), and whether an item is harder to endorse for one group "
        "than for another group of the same standing on the rest of the scale "
        "(Mantel-Haenszel DIF, classed A negligible, B moderate, C large by the ETS rule). "
        "Intervals are 95%.",
    )
    if not man.groups:
        sec.blocks.append(NO_GROUPS)
        return sec
    names = {r.scale: r.name for r in man.reliability}
    for g in man.groups:
        counts = ", ".join(f"{label} {fmt(n, 'int')}" for label, n in g.counts)
        sec.blocks.append(
            f"{g.variable.capitalize()}: {counts}; not recorded {fmt(g.unknown, 'int')}. "
            f"Reference group: {g.reference or DASH}. Selection at {g.cut_rule}."
        )
        sec.blocks.extend(n[0].upper() + n[1:] + "." for n in g.notes)
        if g.differences:
            rows = [
                [
                    names.get(d.scale, d.scale),
                    f"{d.focal} vs {d.reference}",
                    f"{fmt(d.n_focal, 'int')} / {fmt(d.n_reference, 'int')}",
                    f"{fmt(d.mean_focal, 'score')} / {fmt(d.mean_reference, 'score')}",
                    fmt(d.d, "d"),
                    fmt_range(d.low, d.high, "d"),
                    d.note or "",
                ]
                for d in g.differences
            ]
            flagged = {i for i, d in enumerate(g.differences) if d.d is not None and
                       abs(d.d) >= 0.5}  # fmt: skip
            sec.blocks.append(
                TableView(
                    ["Scale", "Groups", "n", "Means", "d", "95% interval", "Note"],
                    rows,
                    [0.2, 0.18, 0.12, 0.14, 0.08, 0.13, 0.15],
                    align="llrrrrl",
                    flagged=flagged,
                    heading=f"Score differences by {g.variable}",
                    caption="Highlighted: |d| of .50 or more.",
                )
            )
        if g.impact:
            rows = [
                [
                    names.get(r.scale, r.scale),
                    r.group + (" (reference)" if r.is_reference else ""),
                    fmt(r.n, "int"),
                    fmt(r.selected, "int"),
                    fmt(100 * r.rate, "pct") + "%",
                    fmt(r.impact_ratio, "d"),
                    fmt_range(r.low, r.high, "d"),
                    fmt(r.p_value, "p"),
                    "below four-fifths" if r.adverse else (r.note or ""),
                ]
                for r in g.impact
            ]
            sec.blocks.append(
                TableView(
                    ["Scale", "Group", "n", "Selected", "Rate", "Impact ratio", "95% interval",
                     "Fisher p", "Note"],
                    rows,
                    [0.15, 0.15, 0.06, 0.095, 0.065, 0.09, 0.12, 0.075, 0.195],
                    align="llrrrrrrl",
                    flagged={i for i, r in enumerate(g.impact) if r.adverse},
                    heading=f"Adverse impact by {g.variable}",
                )
            )  # fmt: skip
        if g.dif:
            shown = [r for r in g.dif if r.ets_class in ("B", "C") or r.ets_class is None]
            class_a = sum(1 for r in g.dif if r.ets_class == "A")
            rows = [
                [
                    names.get(r.scale, r.scale),
                    r.item,
                    f"{r.focal} vs {r.reference}",
                    f"{fmt(r.n_focal, 'int')} / {fmt(r.n_reference, 'int')}",
                    fmt(r.delta, "d"),
                    fmt(r.p_value, "p"),
                    r.ets_class or DASH,
                    r.note or r.criterion,
                ]
                for r in shown
            ]
            sec.blocks.append(
                f"Differential item functioning by {g.variable}: {fmt(len(g.dif), 'int')} "
                f"item comparisons, {fmt(class_a, 'int')} negligible (class A)."
            )
            if rows:
                sec.blocks.append(
                    TableView(
                        ["Scale", "Item", "Groups", "n", "MH D-DIF", "p", "Class", "Note"],
                        rows,
                        [0.16, 0.1, 0.17, 0.12, 0.09, 0.08, 0.07, 0.21],
                        align="lllrrrcl",
                        flagged={i for i, r in enumerate(shown) if r.ets_class in ("B", "C")},
                        caption="Negative MH D-DIF: the item is harder to endorse for the "
                        "focal group at the same standing.",
                    )
                )
    return sec


def _norm_section(man: m.Manual) -> SectionView:
    sec = SectionView(
        "norms",
        "7. Norm tables",
        "Where a score (0-100) stands among the candidates in this sample: the percentile is "
        "the share of candidates scoring lower (ties counted half); the range beside it is "
        "where the percentile could lie given the score's measurement error (its 90% band); "
        "T (mean 50, SD 10) and the sten (1-10, mean 5.5) are normalised from the "
        "percentile, so they mean the same whatever the shape of the scores. Tables from "
        f"fewer than {m.PROVISIONAL_NORM_N} candidates are provisional.",
    )
    for t in man.norms:
        heading = f"{t.name} (n = {fmt(t.n, 'int')}, mean {fmt(t.mean, 'score')}, SD " \
                  f"{fmt(t.sd, 'score')})"  # fmt: skip
        if not t.rows:
            sec.blocks.append(TableView(["Score", "Note"], [[DASH, t.note or ""]], [0.3, 0.7],
                                        heading=heading))  # fmt: skip
            continue
        rows = [
            [
                fmt(r.pomp, "int"),
                fmt(r.percentile, "pct"),
                fmt_range(r.low, r.high, "pct"),
                fmt(r.t, "int"),
                fmt(r.sten, "int"),
            ]
            for r in t.rows
        ]
        sec.blocks.append(
            TableView(
                ["Score", "Percentile", "Range (90%)", "T", "Sten"],
                rows,
                [0.12, 0.14, 0.16, 0.1, 0.1],
                align="rrrrr",
                heading=heading,
                caption=(t.note[0].upper() + t.note[1:] + ".") if t.note else "",
            )
        )
    return sec


def _appendix(man: m.Manual) -> SectionView:
    sec = SectionView(
        "appendix",
        "8. Minimum sizes",
        "Below these sizes the manual says 'not enough data' instead of printing a number "
        "that the next few candidates could change a great deal.",
    )
    rows = [
        [label, fmt(value, "r") if value < 1 else fmt(value, "int")]
        for label, value in man.thresholds
    ]
    sec.blocks.append(TableView(["Rule", "Value"], rows, [0.8, 0.2], align="lr"))
    return sec


def manual_view(man: m.Manual, organisation: str, generated_on: date) -> ManualView:
    """The manual as formatted sections: what the PDF and the web page both print."""
    facts = [
        ("Instrument", man.title),
        ("Version", f"{man.version} ({man.instrument}, content {man.content_hash[:12]})"),
        ("Sample", f"{fmt(man.n, 'int')} completed assessments"),
        ("Prepared for", organisation),
    ]
    return ManualView(
        title=f"Technical manual: {man.title}, version {man.version}",
        heading=f"{man.title}, version {man.version}",
        subtitle="Item analysis, reliability, structure, fairness and norms from the "
        "installation's own candidates",
        organisation=organisation,
        generated_on=generated_on,
        facts=facts,
        sections=[
            _sample_section(man),
            _item_section(man),
            _reliability_section(man),
            _correlation_section(man),
            _factor_section(man),
            _group_section(man),
            _norm_section(man),
            _appendix(man),
        ],
    )


# --- PDF --------------------------------------------------------------------------------------


class ManualReport(ReportDocument):
    """The technical manual: cover, contents, one section per part of the evidence."""

    def __init__(self, view: ManualView) -> None:
        super().__init__(
            "Technical manual",
            view.organisation,
            view.generated_on,
            subject=view.title,
            keywords=("technical manual", "reliability", "item analysis", "norms"),
        )
        self.view = view
        # Styled as a section heading but not one: it gets no outline or contents entry.
        self.styles.add(ParagraphStyle("ContentsHead", parent=self.styles["H1"]))
        self.styles.add(ParagraphStyle("H3Loose", parent=self.styles["H3"], keepWithNext=0))

    def footer_note(self) -> str:
        return f"Confidential — {self.view.organisation}"

    def _table(self, t: TableView) -> Flowable:
        widths = [self.content_width * w for w in t.widths]
        extra: list[tuple] = [
            ("BACKGROUND", (0, i + 1), (-1, i + 1), PALETTE.pale_coral) for i in sorted(t.flagged)
        ]
        pad = 2 if t.compact else 3
        extra += [("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad)]
        cells: list[list[object]] = [list(r) for r in t.rows]
        if t.compact:
            cells = [[self.plain(v, "BodySmall" if j == 0 else "TableCellRight") if v else ""
                      for j, v in enumerate(r)] for r in cells]  # fmt: skip
        return self.table(t.header, cells, widths, align=t.align, extra_style=extra)

    def story(self) -> list[Flowable]:
        v = self.view
        story: list[Flowable] = self.cover(
            v.heading,
            subtitle=v.subtitle,
            facts=v.facts,
            kicker="Technical manual",
            notice="Generated from the stored results of this installation. The figures "
            "change as candidates are added; the date of generation is in the footer.",
        )
        toc = TableOfContents()
        toc.levelStyles = [self.styles["Body"]]
        story += [self.plain("Contents", "ContentsHead"), toc, PageBreak()]
        for sec in v.sections:
            story.append(self.plain(sec.title, "H1"))
            story.append(self.plain(sec.method, "Lead"))
            for block in sec.blocks:
                if isinstance(block, str):
                    story.append(self.plain(block))
                    continue
                short = len(block.rows) < KEEP_ROWS
                parts: list[Flowable] = []
                if block.heading:
                    # A long table splits across pages with its header row repeated; its
                    # heading starts a page only when too little room is left for a few
                    # rows (keepWithNext would push the whole table to the next page).
                    if not short:
                        parts.append(CondPageBreak(45 * mm))
                    parts.append(self.plain(block.heading, "H3" if short else "H3Loose"))
                parts.append(self._table(block))
                if block.caption:
                    parts.append(self.plain(block.caption, "Caption"))
                story.extend([KeepTogether(parts)] if short else parts)
                story.append(Spacer(1, 2 * mm))
        return story

    def build_pdf(self) -> bytes:
        """Lay the story out until the contents' page numbers settle; return the PDF."""
        return self.build(self.story(), contents=True)


def build_manual_pdf(view: ManualView) -> bytes:
    """The technical manual as PDF bytes."""
    return ManualReport(view).build_pdf()


def table_rows(view: ManualView) -> Sequence[TableView]:
    """Every table of the view, in order (what the tests compare between the outputs)."""
    return [b for s in view.sections for b in s.blocks if isinstance(b, TableView)]
