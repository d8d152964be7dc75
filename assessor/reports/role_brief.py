"""The role brief: the board's decision on the CCO role as a PDF for the client.

The data comes ready from :func:`assessor.services.board_brief.brief_data`;
this module only lays it out on the shared :class:`ReportDocument` furniture,
with the same chart Drawings the board view shows on screen.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from assessor.reports.base import PALETTE, ReportDocument, esc
from assessor.reports.charts import priority_bars
from assessor.services.board_brief import (
    INTERIM_AWAIT_CANDIDATES,
    INTERIM_NOT_NEEDED,
    RoleBriefData,
)
from questionnaires import ARCHETYPE_NAMES, ARCHETYPES


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


class RoleBrief(ReportDocument):
    """The role brief document: a cover, the board's answer, priorities, job specification."""

    def __init__(self, data: RoleBriefData) -> None:
        super().__init__(
            "Role brief",
            data.client,
            data.generated_on,
            subject=f"{data.role_title}: the board's decision on scope and priorities",
            keywords=("role brief", "chief customer officer", data.recommended_name),
        )
        self.data = data

    # --------------------------------------------------------------- parts
    def cover_page(self) -> list[Flowable]:
        d = self.data
        facts = [
            ("Client", d.client),
            ("Role", d.role_title),
            ("Prepared by", d.organisation or "—"),
            ("Board members", f"{d.completed} answered of {d.invited} invited"),
            ("Recommended archetype", d.recommended_name),
            ("Profile in use", d.in_use_label or "—"),
        ]
        if d.pending_label:
            facts.append(("Waiting for the board", d.pending_label))
        if d.profile_label not in (d.in_use_label, d.pending_label):
            facts.append(("Weights in this brief", d.profile_label))
        return self.cover(
            d.role_title,
            subtitle=f"What {d.client}'s board needs from the role, and what matters most",
            facts=facts,
            kicker="Role brief",
            notice=(
                "This brief pools the answers each board member gave alone, through a personal "
                "link. It is a starting point for the search, not a substitute for the board's "
                "own judgement."
            ),
        )

    def answer(self) -> list[Flowable]:
        d = self.data
        shares = d.archetype_shares
        runner_up = sorted(shares, key=lambda a: -shares[a])[1]
        agreement = (
            f"Agreement on the kind of role: <b>{_pct(d.archetype_agreement)}</b>."
            if d.archetype_agreement is not None
            else "Only one member answered, so agreement cannot be measured yet."
        )
        headline = [
            self.para("Recommended archetype", "Label"),
            self.para(esc(d.recommended_name), "BigNumber"),
            Spacer(1, 2 * mm),
            self.para(
                f"{_pct(shares[d.recommended])} of the board's archetype signal, "
                f"{100 * d.margin:.0f} points ahead of the {esc(ARCHETYPE_NAMES[runner_up])} "
                f"({_pct(shares[runner_up])})."
                + (" <b>A tie: the board must choose.</b>" if d.tie else "")
                + f" {agreement}",
                "Callout",
            ),
        ]
        story: list[Flowable] = [
            self.plain("The board's answer", "H1"),
            self.callout(headline),
            Spacer(1, 4 * mm),
            self.plain(d.rationale),
            self.section(
                "How the board's answers divide between the archetypes",
                priority_bars(
                    [ARCHETYPE_NAMES[a] for a in ARCHETYPES],
                    [shares[a] for a in ARCHETYPES],
                    width=self.content_width,
                    title="Archetype shares",
                    colour=PALETTE.navy,
                ),
                self.plain(
                    "Each option a member chose points to one or more archetypes; a share is "
                    "that archetype's part of all the points, averaged over the members.",
                    "Caption",
                ),
            ),
        ]
        rows = [
            [
                m.name,
                ARCHETYPE_NAMES[m.archetype],
                _pct(m.archetype_share),
                "—" if m.cr is None else f"{m.cr:.2f}",
            ]
            for m in d.members
        ]
        story.append(
            self.section(
                "Each member",
                self.table(
                    ["Member", "Leans to", "Share", "Consistency ratio"],
                    rows,
                    [self.content_width * f for f in (0.34, 0.34, 0.14, 0.18)],
                    align="llrr",
                ),
                self.plain(
                    "The consistency ratio says how well a member's pairwise comparisons hang "
                    "together; up to 0.10 is the usual limit.",
                    "Caption",
                ),
            )
        )
        return story

    def remit(self) -> list[Flowable]:
        d = self.data
        story: list[Flowable] = [self.plain("Remit and mandate", "H1")]
        if d.functions:
            rows = [
                [
                    name,
                    f"{n} of {d.completed}",
                    "In the remit" if n * 2 > d.completed else "Raised by a minority",
                ]
                for name, n in d.functions
            ]
            story.append(
                self.section(
                    "Functions the role runs directly",
                    self.table(
                        ["Function", "Members", "Conclusion"],
                        rows,
                        [self.content_width * f for f in (0.5, 0.18, 0.32)],
                        align="lrl",
                    ),
                )
            )
        if d.customers:
            story.append(
                self.section(
                    "Customers the role looks after",
                    self.plain(
                        "; ".join(f"{name} ({n} of {d.completed})" for name, n in d.customers)
                        + ". Every kind of CCO serves all of these; the answer describes the "
                        "role and does not change the recommended archetype.",
                    ),
                )
            )
        if d.mandate:
            rows = [[r.topic, r.board_view, r.recommended] for r in d.mandate]
            story.append(
                self.section(
                    "Budget, seat and reporting line",
                    self.table(
                        ["Question", "The board's majority", "Recommendation"],
                        rows,
                        [self.content_width * f for f in (0.16, 0.38, 0.46)],
                    ),
                )
            )
        return story

    def priorities(self) -> list[Flowable]:
        d = self.data
        order = sorted(d.weights, key=lambda c: -d.weights[c])
        chart = priority_bars(
            [d.cluster_names[c] for c in order],
            [d.weights[c] for c in order],
            width=self.content_width,
            title="Cluster weights of the role profile",
        )
        notes = [f"Weights of {d.weights_source.lower()}."]
        if d.group_cr is not None:
            notes.append(f"Consistency ratio of the pooled comparisons: {d.group_cr:.2f}.")
        if d.weight_agreement is not None:
            notes.append(f"Agreement between members on the weights: {_pct(d.weight_agreement)}.")
        story: list[Flowable] = [
            self.plain("Priorities", "H1"),
            self.plain(
                "Every member compared the six groups of candidate strengths two at a time. "
                "The comparisons were pooled by geometric mean into one set of weights, which "
                "ranks every candidate's fit."
            ),
            KeepTogether([chart, self.plain(" ".join(notes), "Caption")]),
        ]
        return story

    def agreement(self) -> list[Flowable]:
        d = self.data
        story: list[Flowable] = [self.plain("Where the board agreed, and where it did not", "H2")]
        if d.completed < 2:
            story.append(self.plain("Agreement shows once two members have answered."))
            return story
        if d.agreed:
            story.append(self.plain("Every member gave the same answer to:", "H3"))
            story.append(self.bullets(d.agreed))
        if d.disputed:
            story.append(self.plain("Members answered differently on:", "H3"))
            rows = [
                [
                    self.plain(question, "TableCellBold"),
                    self.para(
                        "<br/>".join(f"<b>{esc(who)}</b>: {esc(said)}" for who, said in choices),
                        "TableCell",
                    ),
                ]
                for question, choices in d.disputed
            ]
            story.append(
                self.table(
                    ["Point", "What each member said"],
                    rows,
                    [self.content_width * 0.3, self.content_width * 0.7],
                    extra_style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
                )
            )
            story.append(
                self.plain(
                    "Settle these points before the long list is drawn up: they change "
                    "which candidates fit.",
                    "Caption",
                )
            )
        else:
            story.append(self.plain("The members answered alike on every point."))
        return story

    def job_spec(self) -> list[Flowable]:
        job = self.data.job
        story: list[Flowable] = [
            PageBreak(),
            self.plain("Draft job specification", "H1"),
            self.plain(job["title"], "Lead"),
            self.plain("Purpose", "H2"),
            self.plain(job["purpose"]),
        ]
        if job["remit"] or job["remit_discussed"]:
            remit = list(job["remit"])
            remit += [
                f"{f} (to be confirmed: raised by a minority)" for f in job["remit_discussed"]
            ]
            story += [self.plain("Remit", "H2"), self.bullets(remit)]
        rows = [
            [str(rank), name, _pct(weight), f"{description} ({', '.join(scales)})"]
            for rank, (name, weight, description, scales) in enumerate(job["competencies"], 1)
        ]
        story.append(
            self.section(
                "Key competencies, in priority order",
                self.table(
                    ["#", "Competency", "Weight", "What it covers"],
                    rows,
                    [self.content_width * f for f in (0.05, 0.25, 0.1, 0.6)],
                    align="clrl",
                ),
            )
        )
        if job["must_haves"]:
            story.append(
                self.section(
                    "Must-haves",
                    self.bullets(
                        [
                            f"{name}: at least {value:.0f} out of 100 on the assessment"
                            for name, value in job["must_haves"]
                        ]
                    ),
                )
            )
        story.append(self.section("Experience", self.bullets(job["experience"])))
        return story

    def interim(self) -> list[Flowable]:
        """The interim-CEO conclusion as the service worded it, with the rule beneath."""
        advice = self.data.interim
        calm = advice.status in (INTERIM_NOT_NEEDED, INTERIM_AWAIT_CANDIDATES)
        body = [
            self.para(f"<b>{esc(advice.headline)}</b>", "Callout"),
            Spacer(1, 2 * mm),
            self.plain(advice.advice, "Callout"),
            Spacer(1, 2 * mm),
            self.plain("What the brief found: " + "; ".join(advice.reasons) + ".", "Callout"),
        ]
        box = self.callout(
            body,
            background=PALETTE.pale_green if calm else PALETTE.pale_amber,
            border=PALETTE.green if calm else PALETTE.amber,
        )
        return [
            self.section(
                "The interim option",
                box,
                Spacer(1, 2 * mm),
                self.plain(f"The rule ({advice.basis}): {advice.rule}", "Small"),
            )
        ]

    def values(self) -> list[Flowable]:
        """The organisation's values the board named: the yardstick of culture fit."""
        d = self.data
        if d.values:
            body: Flowable = self.bullets(
                [f"{name}: {behaviour}" if behaviour else name for name, behaviour, _ in d.values]
            )
        else:
            body = self.plain(
                "No board member has named the organisation's values yet; members invited with "
                "the current role-scope questionnaire name them on its last page."
            )
        return [
            self.section(
                "Values the board named",
                body,
                Spacer(1, 2 * mm),
                self.plain(
                    "Interviewers rate each candidate's past behaviour against these values. "
                    "Culture fit is reported beside the competency fit and never enters it: "
                    "the board decides how much weight it carries.",
                    "Small",
                ),
            )
        ]

    # --------------------------------------------------------------- build
    def render(self) -> bytes:
        story: list[Flowable] = []
        story += self.cover_page()
        story += self.answer()
        story += self.remit()
        story += self.priorities()
        story += self.agreement()
        story += self.values()
        story += self.interim()
        story += self.job_spec()
        return self.build(story)


def build_role_brief(data: RoleBriefData) -> bytes:
    """The role brief PDF of one engagement's board."""
    return RoleBrief(data).render()
