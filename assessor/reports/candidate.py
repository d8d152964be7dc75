"""The candidate profile PDF: one candidate's results against one role profile.

The service layer fetches everything the report shows into a
:class:`CandidateProfileData` (plain, JSON-able values, no ORM objects), and
:func:`build_candidate_profile` turns it into PDF bytes.  Keeping the two
apart means the PDF can be built in a test or a bench without a database,
and the same data can feed the HTML view and the JSON API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Spacer,
    Table,
)

from assessor.reports.base import PALETTE, ReportDocument, esc, format_date, table_style
from assessor.reports.charts import competency_bars, radar_chart

EN_DASH = "–"


# --------------------------------------------------------------------- data
@dataclass(frozen=True)
class FitSummary:
    """Overall fit to the role profile (0–100) with its confidence band and label."""

    value: float | None
    low: float | None
    high: float | None
    band_label: str


@dataclass(frozen=True)
class CompetencyRow:
    """One scale's result, as shown in the bars, the table and the narratives."""

    scale_key: str
    name: str
    cluster: str
    pomp: float | None
    low: float | None
    high: float | None
    percentile: float | None
    band_label: str
    required_minimum: float | None = None
    narrative: str = ""
    percentile_low: float | None = None
    percentile_high: float | None = None
    #: the scale's reliability in the norm group with its interval, e.g. "α .84 (.79–.88)"
    reliability: str = ""
    t: float | None = None
    sten: float | None = None

    @property
    def below_minimum(self) -> bool:
        """True when the score is under the role's must-have minimum."""
        return (
            self.required_minimum is not None
            and self.pomp is not None
            and self.pomp < self.required_minimum
        )


@dataclass(frozen=True)
class NamedText:
    """A titled paragraph (a strength or a development area)."""

    name: str
    text: str


@dataclass(frozen=True)
class InterviewTopic:
    """Questions to probe one competency; ``gap`` is points below the role profile."""

    competency: str
    gap: float | None
    questions: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))


def _tuple_of(kind: type, items: Sequence[Any]) -> tuple[Any, ...]:
    """Tuple of dataclass instances, accepting dicts or lists as produced by to_dict."""
    out = []
    for item in items:
        if isinstance(item, kind):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(kind(**item))
        else:
            out.append(kind(*item))
    return tuple(out)


@dataclass(frozen=True)
class CandidateProfileData:
    """Everything the candidate profile shows, fetched before the PDF is built.

    ``profile_values`` has one value per competency (same order): what the
    role profile asks for on the 0–100 scale (the must-have minimum, or the
    cluster weight scaled to 0–100), drawn against the candidate on the radar.
    Sequences may be given as lists; they are stored as tuples.
    """

    candidate_name: str
    candidate_email: str
    role_title: str
    client_name: str
    generated_on: date
    engagement_id: int | str
    fit: FitSummary
    archetype_name: str
    profile_label: str
    profile_version: str
    recommendation: str
    competencies: tuple[CompetencyRow, ...]
    profile_values: tuple[float | None, ...]
    pool_size: int
    norms_usable: bool
    strengths: tuple[NamedText, ...] = ()
    development_areas: tuple[NamedText, ...] = ()
    interview_guide: tuple[InterviewTopic, ...] = ()
    response_quality_notes: tuple[str, ...] = ()
    experience_checklist: tuple[str, ...] = ()
    must_have_flags: tuple[str, ...] = ()
    method_notes: tuple[str, ...] = ()
    interview_blend_note: str | None = None
    completed_on: date | None = None
    instrument_label: str = ""
    band_level: int = 90
    profile_values_label: str = "Role profile"
    #: what the percentiles compare with (the norm group, provisional or not, and why)
    norm_note: str = ""
    #: after interviews: the assessment's own fit and band, beside the blended score
    assessment_note: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if isinstance(self.fit, Mapping):
            set_(self, "fit", FitSummary(**self.fit))
        set_(self, "competencies", _tuple_of(CompetencyRow, self.competencies))
        set_(self, "strengths", _tuple_of(NamedText, self.strengths))
        set_(self, "development_areas", _tuple_of(NamedText, self.development_areas))
        set_(self, "interview_guide", _tuple_of(InterviewTopic, self.interview_guide))
        for name in (
            "profile_values",
            "response_quality_notes",
            "experience_checklist",
            "must_have_flags",
            "method_notes",
        ):
            set_(self, name, tuple(getattr(self, name)))
        for name in ("generated_on", "completed_on"):
            value = getattr(self, name)
            if isinstance(value, str):
                set_(self, name, date.fromisoformat(value))
        if len(self.profile_values) != len(self.competencies):
            raise ValueError(
                f"{len(self.profile_values)} profile values for "
                f"{len(self.competencies)} competencies"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (dates as ISO strings); ``from_dict`` reverses it."""
        out = dataclasses.asdict(self)
        out["generated_on"] = self.generated_on.isoformat()
        out["completed_on"] = self.completed_on.isoformat() if self.completed_on else None
        return _lists(out)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CandidateProfileData:
        """Rebuild from :meth:`to_dict` output (e.g. a cached JSON document)."""
        return cls(**data)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


# --------------------------------------------------------------- formatting
def format_score(value: float | None) -> str:
    """A POMP score as printed: whole points, an en dash when missing."""
    return EN_DASH if value is None else f"{value:.0f}"


def format_band(low: float | None, high: float | None) -> str:
    """A confidence band as printed, e.g. '61–77'."""
    if low is None or high is None:
        return EN_DASH
    return f"{low:.0f}{EN_DASH}{high:.0f}"


def format_percentile_interval(row: CompetencyRow) -> str:
    """'64th (52nd–75th)': the percentile with the percentiles of its band's ends."""
    if row.percentile is None:
        return EN_DASH
    if row.percentile_low is None or row.percentile_high is None:
        return format_percentile(row.percentile)
    return (
        f"{format_percentile(row.percentile)} ({format_percentile(row.percentile_low)}"
        f"–{format_percentile(row.percentile_high)})"
    )


def format_percentile(value: float | None) -> str:
    """An ordinal percentile ('64th'), kept within 1st–99th; an en dash when missing."""
    if value is None:
        return EN_DASH
    n = min(99, max(1, round(value)))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------- report
class CandidateProfileReport(ReportDocument):
    """Lays out a :class:`CandidateProfileData` as the candidate profile PDF."""

    def __init__(self, data: CandidateProfileData) -> None:
        super().__init__(
            "Candidate profile",
            data.client_name,
            data.generated_on,
            subject=f"{data.candidate_name} — {data.role_title}",
            keywords=("candidate profile", data.archetype_name),
        )
        self.data = data

    def render(self) -> bytes:
        """Build the whole story and return the PDF bytes."""
        story: list[Flowable] = []
        story += self.cover_page()
        story += self.summary_page()
        story += self.profile_pages()
        story += self.score_table()
        story += self.narratives()
        story += self.strengths_and_development()
        story += self.interview_guide()
        story += self.quality_and_experience()
        story += self.method_page()
        return self.build(story)

    # ------------------------------------------------------------ pages
    def cover_page(self) -> list[Flowable]:
        d = self.data
        facts = [
            ("Candidate", d.candidate_name),
            ("E-mail", d.candidate_email),
            ("Role", d.role_title),
            ("Client", d.client_name),
            ("Role profile", self.profile_text()),
            ("Engagement", str(d.engagement_id)),
        ]
        if d.completed_on:
            facts.append(("Questionnaire completed", format_date(d.completed_on)))
        facts.append(("Report generated", format_date(d.generated_on)))
        notice = (
            "This report contains personal data about the candidate. It is confidential to "
            f"{d.client_name} and the people running this search: share it only with those "
            "involved in the hiring decision and delete it in line with your retention policy."
        )
        return self.cover(
            d.candidate_name,
            f"{d.role_title} · {d.client_name}",
            facts,
            kicker="Candidate",
            notice=notice,
        )

    def profile_text(self) -> str:
        d = self.data
        text = d.archetype_name
        if d.profile_label and d.profile_label != d.archetype_name:
            text += f" — {d.profile_label}"
        if d.profile_version:
            text += f" (version {d.profile_version})"
        return text

    def summary_page(self) -> list[Flowable]:
        d = self.data
        p = self.palette
        story: list[Flowable] = [self.para("Summary", "H1")]

        fit = d.fit
        fit_cell = [
            self.para("OVERALL FIT", "Label"),
            self.para(
                f"{esc(format_score(fit.value))}<font size=12 color='#5F6B78'> / 100</font>",
                "BigNumber",
            ),
            self.para(f"<b>{esc(fit.band_label or 'not rated')}</b>", "Body"),
            self.para(f"{d.band_level}% band {esc(format_band(fit.low, fit.high))}", "Small"),
        ]
        profile_cell = [
            self.para("ROLE PROFILE", "Label"),
            self.plain(d.archetype_name, "H2"),
            self.plain(d.profile_label, "BodySmall"),
            self.para(f"version {esc(d.profile_version)}" if d.profile_version else "", "Small"),
        ]
        flags = len(d.must_have_flags)
        must_cell = [
            self.para("MUST-HAVE MINIMA", "Label"),
            self.para(
                "<font color='#2E7D4F'>All met</font>"
                if not flags
                else f"<font color='#C0503A'>{flags} not met</font>",
                "H2",
            ),
            self.para(
                "Checked separately from the overall fit: strength elsewhere does "
                "not make up for them.",
                "Small",
            ),
        ]
        third = self.content_width / 3
        cards = Table([[fit_cell, profile_cell, must_cell]], colWidths=[third] * 3)
        cards.setStyle(
            table_style(
                [
                    ("BACKGROUND", (0, 0), (0, 0), p.pale_navy),
                    ("BACKGROUND", (1, 0), (1, 0), p.light),
                    ("BACKGROUND", (2, 0), (2, 0), p.pale_green if not flags else p.pale_coral),
                    ("LINEBEFORE", (1, 0), (-1, 0), 4, p.white),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                    ("TOPPADDING", (0, 0), (-1, -1), 9),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ]
            )
        )
        story += [cards, Spacer(1, 6 * mm)]

        story.append(self.para("Recommendation", "H2"))
        story.append(self.callout([self.plain(d.recommendation, "Callout")]))
        if d.interview_blend_note:
            story += [Spacer(1, 2 * mm), self.plain(d.interview_blend_note, "Small")]
        if d.assessment_note:
            story += [Spacer(1, 1 * mm), self.plain(d.assessment_note, "Small")]

        story.append(self.para("Must-have minima", "H2"))
        if d.must_have_flags:
            story.append(
                self.callout(
                    [self.bullets(d.must_have_flags)], background=p.pale_coral, border=p.coral
                )
            )
        else:
            story.append(
                self.callout(
                    [
                        self.para(
                            "The candidate meets every must-have minimum of this role profile.",
                            "Callout",
                        )
                    ],
                    background=p.pale_green,
                    border=p.green,
                )
            )

        story.append(self.para("At a glance", "H2"))
        glance = [
            ("Strengths", ", ".join(s.name for s in d.strengths) or "none stand out"),
            (
                "Development areas",
                ", ".join(s.name for s in d.development_areas) or "none stand out",
            ),
            (
                "Response quality",
                "no concerns"
                if not d.response_quality_notes
                else f"{len(d.response_quality_notes)} note(s); see “Response quality”",
            ),
            ("Comparison pool", self.pool_text()),
        ]
        story.append(self.key_value_table(glance))
        story.append(PageBreak())
        return story

    def pool_text(self) -> str:
        d = self.data
        if d.norm_note:
            return d.norm_note
        people = "candidate" if d.pool_size == 1 else "candidates"
        return (
            f"{d.pool_size} {people} ranked in this engagement; no norm group yet, so no "
            "percentiles."
        )

    def profile_pages(self) -> list[Flowable]:
        d = self.data
        labels = [c.name for c in d.competencies]
        radar = radar_chart(
            labels,
            [
                (d.candidate_name, [c.pomp for c in d.competencies], PALETTE.navy),
                (d.profile_values_label, list(d.profile_values), PALETTE.coral),
            ],
            size=self.content_width,
            title=f"{d.candidate_name} against the role profile",
        )
        radar.hAlign = "CENTER"
        bars = competency_bars(
            [
                (c.name, c.pomp, c.low, c.high, c.required_minimum, c.band_label)
                for c in d.competencies
            ],
            width=self.content_width,
            band_level=d.band_level,
            title=f"Competency scores of {d.candidate_name}",
        )
        return [
            self.para("Competency profile", "H1"),
            self.para(
                "The chart sets the candidate’s score on each competency (navy) against "
                f"what the {esc(d.archetype_name.lower())} profile asks for (coral). Points "
                "outside the coral line are where the candidate brings more than the role "
                "needs; points inside it are the gaps to probe in interview.",
                "Body",
            ),
            Spacer(1, 2 * mm),
            radar,
            self.para(
                "Scores are on a 0–100 scale (percentage of the maximum possible). "
                "The role profile line shows the required minimum where there is one, "
                "otherwise the weight the role gives that competency’s cluster, "
                "scaled to 0–100.",
                "Caption",
            ),
            PageBreak(),
            self.para("Scores with confidence bands", "H1"),
            self.para(
                f"Each bar is the candidate’s score; the shaded interval and whisker are the "
                f"{d.band_level}% band, the range the score would usually fall in if the "
                "candidate answered again. A red marker is the role’s must-have minimum; a "
                "red bar means the whole band lies below it.",
                "Body",
            ),
            Spacer(1, 2 * mm),
            bars,
            Spacer(1, 6 * mm),
        ]

    def score_table(self) -> list[Flowable]:
        d = self.data
        rows = []
        for c in d.competencies:
            name = self.para(
                f"<font name='Roboto-Medium'>{esc(c.name)}</font><br/>"
                f"<font size=7 color='#5F6B78'>{esc(c.cluster)}</font>",
                "TableCell",
            )
            if c.required_minimum is None:
                minimum: object = EN_DASH
            elif c.below_minimum:
                minimum = self.para(
                    f"<font color='#C0503A'><b>{esc(format_score(c.required_minimum))}"
                    "</b> not met</font>",
                    "TableCellRight",
                )
            else:
                minimum = f"{format_score(c.required_minimum)} met"
            rows.append(
                [
                    name,
                    self.para(f"<b>{esc(format_score(c.pomp))}</b>", "TableCellRight"),
                    format_band(c.low, c.high),
                    format_percentile_interval(c) if d.norms_usable else EN_DASH,
                    c.band_label,
                    minimum,
                ]
            )
        w = self.content_width
        widths = [w * 0.31, w * 0.08, w * 0.11, w * 0.20, w * 0.15, w * 0.15]
        table = self.table(
            ["Competency", "Score", f"{d.band_level}% band", "Percentile", "Band", "Minimum"],
            rows,
            widths,
            align="lrrrlr",
        )
        return [
            CondPageBreak(90 * mm),
            self.para("Scores in detail", "H1"),
            table,
            Spacer(1, 2 * mm),
            self.para(f"Comparison pool: {esc(self.pool_text())}", "Caption"),
            PageBreak(),
        ]

    def narratives(self) -> list[Flowable]:
        d = self.data
        story: list[Flowable] = [
            self.para("What the scores say", "H1"),
            self.para(
                "A short reading of each competency, grouped by cluster. The text "
                "follows from the band the score falls in; read it together with the "
                "confidence band, especially for scores near a band boundary.",
                "Body",
            ),
        ]
        cluster = None
        for c in d.competencies:
            if c.cluster != cluster:
                cluster = c.cluster
                story.append(self.plain(cluster, "H2"))
            head = self.para(
                f"{esc(c.name)} <font name='Roboto' color='#5F6B78'>· "
                f"{esc(format_score(c.pomp))} · {esc(c.band_label)}</font>",
                "H3",
            )
            body = self.plain(c.narrative or "No narrative for this score.", "Body")
            story.append(KeepTogether([head, body]))
        return story

    def _named_texts(self, items: Sequence[NamedText], empty: str) -> list[Flowable]:
        if not items:
            return [self.plain(empty, "Body")]
        return [KeepTogether([self.plain(i.name, "H3"), self.plain(i.text, "Body")]) for i in items]

    def strengths_and_development(self) -> list[Flowable]:
        d = self.data
        return [
            CondPageBreak(70 * mm),
            self.para("Strengths and development areas", "H1"),
            self.para("Strengths", "H2"),
            *self._named_texts(d.strengths, "No competency stands out as a clear strength."),
            self.para("Development areas", "H2"),
            *self._named_texts(
                d.development_areas, "No competency stands out as a clear development area."
            ),
        ]

    def interview_guide(self) -> list[Flowable]:
        d = self.data
        story: list[Flowable] = [
            PageBreak(),
            self.para("Interview guide", "H1"),
            self.para(
                "Questions for the competencies where the candidate is furthest below "
                "the role profile. Ask for specific, recent examples, probe what the "
                "candidate personally did, and rate the evidence from 1 (no evidence) "
                "to 5 (strong, repeated evidence).",
                "Body",
            ),
        ]
        if not d.interview_guide:
            story.append(
                self.para(
                    "No gaps to the role profile call for targeted questions; "
                    "use the standard interview.",
                    "Body",
                )
            )
            return story
        for topic in d.interview_guide:
            gap = (
                ""
                if topic.gap is None
                else f" <font name='Roboto' color='#5F6B78'>· {topic.gap:.0f} points below the "
                "role profile</font>"
            )
            questions = ListFlowable(
                [ListItem(self.plain(q, "Body"), leftIndent=14) for q in topic.questions],
                bulletType="1",
                leftIndent=14,
                bulletFontName="Roboto-Medium",
                bulletFontSize=9,
                bulletColor=self.palette.teal,
            )
            notes = Table(
                [
                    [
                        self.para("Evidence and notes", "Label"),
                        self.para("Rating  1 · 2 · 3 · 4 · 5", "Label"),
                    ]
                ],
                colWidths=[self.content_width * 0.7, self.content_width * 0.3],
                rowHeights=[22 * mm],
            )
            notes.setStyle(
                table_style(
                    [
                        ("BOX", (0, 0), (-1, -1), 0.6, self.palette.rule),
                        ("LINEBEFORE", (1, 0), (1, 0), 0.6, self.palette.rule),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(
                KeepTogether(
                    [
                        self.para(f"{esc(topic.competency)}{gap}", "H2"),
                        questions,
                        Spacer(1, 2 * mm),
                        notes,
                        Spacer(1, 3 * mm),
                    ]
                )
            )
        return story

    def quality_and_experience(self) -> list[Flowable]:
        d = self.data
        story: list[Flowable] = [CondPageBreak(80 * mm), self.para("Response quality", "H1")]
        if d.response_quality_notes:
            story.append(
                self.para(
                    "The checks look for answering patterns that make scores less trustworthy, "
                    "such as very fast answering, the same answer throughout, or contradictory "
                    "answers. A note is a reason to probe, not proof of anything.",
                    "Body",
                )
            )
            story.append(
                self.callout(
                    [self.bullets(d.response_quality_notes)],
                    background=self.palette.pale_amber,
                    border=self.palette.amber,
                )
            )
        else:
            story.append(
                self.callout(
                    [
                        self.para(
                            "<b>No concerns.</b> The checks found no sign of rushed, "
                            "patterned or inconsistent answering.",
                            "Callout",
                        )
                    ],
                    background=self.palette.pale_green,
                    border=self.palette.green,
                )
            )
        story.append(self.para("Experience the candidate reports", "H2"))
        if d.experience_checklist:
            story.append(self.bullets(d.experience_checklist))
        else:
            story.append(
                self.para("The candidate ticked none of the listed kinds of experience.", "Body")
            )
        return story

    def method_page(self) -> list[Flowable]:
        d = self.data
        pool = d.norm_note or "No norm group has been built yet, so no percentiles are shown."
        sections = [
            (
                "What the scores are",
                "Each competency score is a POMP score: the percentage of the maximum possible "
                "on that scale, from 0 to 100. A score of 60 means the candidate’s answers went "
                "60% of the way from the lowest possible result to the highest. It is not a "
                "pass mark and not a comparison with other people. The labels (for example "
                "“Solid” or “Strength”) describe fixed ranges of the scale set by the "
                "questionnaire, and are the same for every candidate.",
            ),
            (
                "How precise they are",
                f"No questionnaire measures without error. The {d.band_level}% band around each "
                "score comes from the scale’s standard error of measurement, which in turn "
                "comes from how consistently the scale’s questions measure. If the candidate "
                "answered a similar questionnaire again, the score would usually fall inside "
                "this band. When the bands of two scores overlap, do not read the difference as "
                "real; a difference of a few points means nothing.",
            ),
            (
                "Percentiles",
                "A percentile compares the candidate with a norm group: candidates who took "
                "the same version of the assessment across the firm's engagements and agreed "
                "to the anonymous use of their scores; a candidate in the group is compared "
                "with the others, never with themselves. The 70th percentile means a higher "
                "score than about 70% of that group; the range beside it is the percentile "
                "of each end of the score's band. " + pool,
            ),
            (
                "Fit to the role",
                "The overall fit is a weighted average of the candidate’s cluster scores, using "
                f"the weights of the role profile ({d.archetype_name}). Strength in one area can "
                "make up for weakness in another, which is why the must-have minima are checked "
                "separately: a score below a minimum is flagged whatever the overall fit. The "
                "fit’s own band shows how uncertain it is.",
            ),
            (
                "What they rest on",
                "The answers are the candidate’s own account of how they work and what they have "
                "done. People applying for a job tend to present themselves well; the situational "
                "questions and the response-quality checks reduce this, but cannot rule it out. "
                "The results say nothing about matters the questionnaire does not cover, such as "
                "technical knowledge of your industry.",
            ),
            (
                "How to use this report",
                "Use it to focus interviews and reference checks, not to replace them. It must "
                "not be the sole basis for a hiring decision: weigh it with structured "
                "interviews, references and the candidate’s track record, and give the candidate "
                "a chance to respond to anything that counts against them. Keep the report "
                "confidential and share it only with those involved in the decision.",
            ),
        ]
        story: list[Flowable] = [
            PageBreak(),
            self.para("About this report: method and limits", "H1"),
        ]
        for heading, body in sections:
            story.append(KeepTogether([self.para(heading, "H2"), self.para(body, "Body")]))
        measured = [c for c in d.competencies if c.reliability]
        if measured:
            story.append(self.para("Reliability and standard scores", "H2"))
            story.append(
                self.para(
                    "Each scale's reliability in the norm group, with its 90% interval "
                    "(α: Cronbach's alpha with Feldt's interval; model: the marginal "
                    "reliability of a forced-choice scale), and the candidate's normalised T "
                    "score (mean 50, SD 10) and sten (1 to 10) in that group.",
                    "Body",
                )
            )
            w = self.content_width
            story.append(
                self.table(
                    ["Competency", "Reliability", "T", "Sten"],
                    [
                        [c.name, c.reliability, format_score(c.t), format_score(c.sten)]
                        for c in measured
                    ],
                    col_widths=[w * 0.52, w * 0.28, w * 0.1, w * 0.1],
                )
            )
        notes = list(d.method_notes)
        if d.instrument_label:
            notes.insert(0, f"Questionnaire: {d.instrument_label}.")
        if notes:
            story.append(self.para("Notes on this assessment", "H2"))
            story.append(self.bullets(notes))
        return story


def build_candidate_profile(data: CandidateProfileData) -> bytes:
    """The candidate profile PDF for ``data``, as bytes."""
    return CandidateProfileReport(data).render()


# ------------------------------------------------------------------- sample
_SAMPLE_SCALES: tuple[tuple[str, str, str, float, float, float | None, str], ...] = (
    # key, name, cluster, score, percentile, minimum, narrative
    (
        "empathy",
        "Emotional intelligence and empathy",
        "Customer focus",
        74,
        67,
        50,
        "Reports staying close to customers’ own words and to the mood of the team, and uses "
        "what they hear when making decisions.",
    ),
    (
        "service",
        "Service mentality",
        "Customer focus",
        81,
        83,
        55,
        "Treats serving customers, internal ones included, as the first goal and raises "
        "service problems wherever they sit in the organisation.",
    ),
    (
        "advocacy_fiscal",
        "Customer advocacy with fiscal responsibility",
        "Customer focus",
        58,
        42,
        None,
        "Speaks up for customers but is less sure-footed when service goals meet cost targets; "
        "ask how they have argued a customer case in a budget round.",
    ),
    (
        "metrics",
        "Measures and analytics",
        "Insight and technology",
        49,
        25,
        55,
        "Uses customer measures regularly but has not yet defined what satisfaction means for "
        "a whole business or taken the measures to board level.",
    ),
    (
        "technology",
        "Technology understanding",
        "Insight and technology",
        62,
        50,
        None,
        "Understands how the main customer systems support the work and can hold a useful "
        "conversation with technology leaders.",
    ),
    (
        "influence",
        "Leadership and influence",
        "Influence and collaboration",
        77,
        75,
        None,
        "Describes moving peers who did not report to them through evidence and coalitions "
        "rather than rank.",
    ),
    (
        "collaboration",
        "Listening, collaboration and humility",
        "Influence and collaboration",
        70,
        58,
        None,
        "Builds solutions with colleagues and coaches their people; may take the lead too early "
        "in a new team.",
    ),
    (
        "rallying",
        "Rallying people and celebrating wins",
        "Influence and collaboration",
        66,
        50,
        None,
        "Gives teams a shared goal and marks progress, though success stories are not yet used "
        "deliberately to shape the culture.",
    ),
    (
        "foresight",
        "Strategic foresight",
        "Strategy and commercial judgement",
        63,
        42,
        None,
        "Looks beyond the current year in their own area; less evidence of shaping company-wide "
        "strategy.",
    ),
    (
        "business_acumen",
        "Business and operations acumen",
        "Strategy and commercial judgement",
        68,
        58,
        None,
        "Knows how the business makes money and runs day to day, which gives credibility beyond "
        "customer service.",
    ),
    (
        "pragmatism",
        "Pragmatism and business sense",
        "Strategy and commercial judgement",
        71,
        67,
        None,
        "Makes sensible choices about which customers and battles are worth the effort.",
    ),
    (
        "action",
        "Action orientation",
        "Execution and change",
        59,
        33,
        50,
        "Turns conclusions into plans, though programmes can take a while to get moving.",
    ),
    (
        "change_leadership",
        "Leading education and change",
        "Execution and change",
        64,
        50,
        None,
        "Has led change in their own function; company-wide education programmes would be a "
        "step up.",
    ),
    (
        "curiosity",
        "Curiosity and learning",
        "Learning and experience",
        83,
        92,
        None,
        "Learns actively from their own and others’ experience and keeps raising their goals.",
    ),
)
_SAMPLE_WEIGHTS = {
    "Customer focus": 0.25,
    "Insight and technology": 0.28,
    "Influence and collaboration": 0.10,
    "Strategy and commercial judgement": 0.08,
    "Execution and change": 0.22,
    "Learning and experience": 0.07,
}


def _sample_band(score: float) -> str:
    for lower, label in ((85, "Distinctive"), (65, "Strength"), (40, "Solid")):
        if score >= lower:
            return label
    return "Development area"


def sample_candidate_profile_data(candidate_name: str = "Łukasz Żółć") -> CandidateProfileData:
    """Realistic made-up data for 14 competencies: for previews, benches and tests only.

    The candidate, client and scores are invented; nothing here is computed
    by the scoring package.
    """
    top = max(_SAMPLE_WEIGHTS.values())
    rows = []
    profile = []
    for key, name, cluster, score, pct, minimum, narrative in _SAMPLE_SCALES:
        half = 8.0  # about 1.645 standard errors of measurement
        rows.append(
            CompetencyRow(
                scale_key=key,
                name=name,
                cluster=cluster,
                pomp=score,
                low=max(0.0, score - half),
                high=min(100.0, score + half),
                percentile=pct,
                band_label=_sample_band(score),
                required_minimum=minimum,
                narrative=narrative,
            )
        )
        emphasis = round(75 * _SAMPLE_WEIGHTS[cluster] / top)
        profile.append(float(minimum) if minimum is not None else float(emphasis))
    return CandidateProfileData(
        candidate_name=candidate_name,
        candidate_email="candidate@example.com",
        role_title="Chief Customer Officer",
        client_name="Northwind Utilities plc",
        generated_on=date(2026, 3, 3),
        completed_on=date(2026, 2, 26),
        engagement_id="ENG-2026-014",
        fit=FitSummary(value=67.6, low=62.1, high=73.1, band_label="good fit"),
        archetype_name="Operating executive",
        profile_label="Operating executive, board-adjusted",
        profile_version="2",
        recommendation=(
            "Take forward to the final interview. The candidate is a good fit for an operating "
            "CCO, with real strengths in service, empathy and influence. The one concern is "
            "measures and analytics, a must-have for this role, where the score is below the "
            "minimum but its band reaches it: test it in interview with the questions in the "
            "guide before deciding."
        ),
        interview_blend_note=(
            "Fit is based on the questionnaire only; interview ratings will be blended in "
            "(40% weight) once the panel has scored them."
        ),
        competencies=tuple(rows),
        profile_values=tuple(profile),
        pool_size=12,
        norms_usable=True,
        norm_note=(
            "Percentiles compare with norm group 3 of assessment version 1: 212 candidates "
            "across 9 engagements for 8 clients, who completed it between 4 Mar 2025 and "
            "20 Nov 2026; a candidate in the group is compared with the others."
        ),
        strengths=(
            NamedText(
                "Service mentality",
                "Consistently puts customers first and takes "
                "service problems up with the people who own them.",
            ),
            NamedText(
                "Curiosity and learning",
                "Seeks out lessons from their own and other "
                "companies’ experience; likely to grow quickly into the role.",
            ),
            NamedText(
                "Leadership and influence",
                "Moves peers without formal authority — "
                "vital when the contact centres, digital and billing report elsewhere.",
            ),
        ),
        development_areas=(
            NamedText(
                "Measures and analytics",
                "Would need to define a company-wide measure "
                "of customer satisfaction and put it on the board’s agenda; so far has "
                "worked with measures others set.",
            ),
            NamedText(
                "Action orientation",
                "Programmes can be slow to start; ask for "
                "examples of turning a finding into a funded programme.",
            ),
        ),
        interview_guide=(
            InterviewTopic(
                "Measures and analytics",
                6,
                (
                    "Tell us about a customer measure you introduced. Why that measure, and what "
                    "changed in the business because of it?",
                    "When two customer measures told different stories, what did you do?",
                    "How have you brought customer measures to an executive or board meeting?",
                ),
            ),
            InterviewTopic(
                "Customer advocacy with fiscal responsibility",
                2,
                (
                    "Describe a time a cost-cutting target threatened the customer experience. "
                    "What did you argue for, and what was the result?",
                    "How do you decide which service improvements are worth their cost?",
                ),
            ),
        ),
        response_quality_notes=(
            "The situational section was answered faster than by most candidates in the pool; "
            "the answers were nonetheless consistent with the rest of the questionnaire.",
        ),
        experience_checklist=(
            "Sales management",
            "Many hours listening to contact-centre agents with customers",
            "Led a reorganisation",
            "International or global role",
        ),
        must_have_flags=(
            "Measures and analytics: 49 is below the required 55; the 90% band (41–57) "
            "reaches the minimum, so confirm in interview.",
        ),
        method_notes=(
            "Scores are based on 112 answered items; no scale had missing answers.",
            "This is sample data for previews and tests; the people and figures are invented.",
        ),
        instrument_label="CCO candidate questionnaire, version 1",
    )


__all__ = [
    "CandidateProfileData",
    "CandidateProfileReport",
    "CompetencyRow",
    "FitSummary",
    "InterviewTopic",
    "NamedText",
    "build_candidate_profile",
    "format_band",
    "format_percentile",
    "format_score",
    "sample_candidate_profile_data",
]
