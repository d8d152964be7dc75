"""The page furniture and styles every PDF of the product shares.

A report is built in two steps, in the manner of pretix's exporters: a plain
results dataclass is fetched first, then a subclass of :class:`ReportDocument`
turns it into a story of flowables.  The base class owns everything that
must look the same in every report (cover and body page templates, header,
footer with "Page N of M", fonts, colours, paragraph styles, tables), so a
new report only writes its story.

User text (names, company names, free answers) must never be read as
Paragraph markup: pass it through :func:`esc` or :func:`text`, or hand plain
strings to :meth:`ReportDocument.table`, which escapes them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from assessor.reports.fonts import FONTS, register_fonts

PRODUCT_NAME = "CCO Assessor"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Palette:
    """The product's report colours; charts use the same ones so web and PDF match.

    Class attributes rather than dataclass fields: the colours are constants.
    """

    ink: colors.Color = colors.HexColor("#1B2733")
    navy: colors.Color = colors.HexColor("#1F3A5F")
    teal: colors.Color = colors.HexColor("#2A7F8F")
    amber: colors.Color = colors.HexColor("#C98A0B")
    coral: colors.Color = colors.HexColor("#C0503A")
    green: colors.Color = colors.HexColor("#2E7D4F")
    purple: colors.Color = colors.HexColor("#6A4C93")
    muted: colors.Color = colors.HexColor("#5F6B78")
    rule: colors.Color = colors.HexColor("#D3D9E0")
    light: colors.Color = colors.HexColor("#F2F4F7")
    pale_navy: colors.Color = colors.HexColor("#E6ECF3")
    pale_coral: colors.Color = colors.HexColor("#F8E6E2")
    pale_green: colors.Color = colors.HexColor("#E3F1E8")
    pale_amber: colors.Color = colors.HexColor("#FBF1DC")
    white: colors.Color = colors.white


PALETTE = Palette()


def esc(value: object) -> str:
    """Escape user text for Paragraph markup so ``<b>`` or ``A & B`` render literally."""
    return _xml_escape("" if value is None else str(value))


def text(value: object) -> str:
    """Escape user text and keep its line breaks (``\\n`` becomes ``<br/>``)."""
    return "<br/>".join(esc(line) for line in str(value or "").splitlines())


def format_date(value: date) -> str:
    """'3 March 2026', independent of the process locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def report_styles() -> StyleSheet1:
    """The shared paragraph styles, all in the embedded font family.

    A fresh sheet each call, so a report may tweak its copy freely.
    """
    register_fonts()
    p = PALETTE
    sheet = StyleSheet1()
    base = ParagraphStyle(
        "Body",
        fontName=FONTS.regular,
        fontSize=9.5,
        leading=13.5,
        textColor=p.ink,
        spaceAfter=5,
    )
    sheet.add(base)

    def add(name: str, **kw: Any) -> None:
        sheet.add(ParagraphStyle(name, parent=kw.pop("parent", base), **kw))

    add(
        "CoverKicker",
        fontName=FONTS.medium,
        fontSize=10,
        leading=13,
        textColor=p.teal,
        spaceAfter=4,
    )
    add("CoverTitle", fontName=FONTS.bold, fontSize=26, leading=31, textColor=p.navy, spaceAfter=6)
    add("CoverSubtitle", fontSize=13, leading=18, textColor=p.muted, spaceAfter=18)
    add(
        "H1",
        fontName=FONTS.bold,
        fontSize=16,
        leading=20,
        textColor=p.navy,
        spaceBefore=4,
        spaceAfter=8,
        keepWithNext=1,
    )
    add(
        "H2",
        fontName=FONTS.bold,
        fontSize=12,
        leading=15.5,
        textColor=p.navy,
        spaceBefore=10,
        spaceAfter=5,
        keepWithNext=1,
    )
    add(
        "H3",
        fontName=FONTS.bold,
        fontSize=10,
        leading=13.5,
        textColor=p.ink,
        spaceBefore=6,
        spaceAfter=2,
        keepWithNext=1,
    )
    add("Lead", fontSize=11, leading=16, spaceAfter=8)
    add("BodySmall", fontSize=8.5, leading=12)
    add("Small", fontSize=7.5, leading=10, textColor=p.muted, spaceAfter=3)
    add(
        "Caption",
        fontName=FONTS.italic,
        fontSize=8,
        leading=11,
        textColor=p.muted,
        spaceBefore=2,
        spaceAfter=8,
    )
    add("Label", fontName=FONTS.medium, fontSize=7.5, leading=10, textColor=p.muted, spaceAfter=1)
    add("BigNumber", fontName=FONTS.bold, fontSize=30, leading=34, textColor=p.navy, spaceAfter=0)
    add("Callout", fontSize=9.5, leading=13.5, spaceAfter=0)
    add("TableHead", fontName=FONTS.bold, fontSize=8, leading=10.5, textColor=p.white, spaceAfter=0)
    add("TableHeadRight", parent=sheet["TableHead"], alignment=TA_RIGHT)
    add("TableHeadCenter", parent=sheet["TableHead"], alignment=TA_CENTER)
    add("TableCell", fontSize=8.5, leading=11, spaceAfter=0)
    add("TableCellBold", parent=sheet["TableCell"], fontName=FONTS.medium)
    add("TableCellRight", parent=sheet["TableCell"], alignment=TA_RIGHT)
    add("TableCellCenter", parent=sheet["TableCell"], alignment=TA_CENTER)
    add("TableCellMuted", parent=sheet["TableCell"], textColor=p.muted)
    add("Bullet", spaceAfter=2, alignment=TA_LEFT)
    return sheet


def fit_text(value: str, font: str, size: float, width: float) -> str:
    """Shorten a one-line canvas string with an ellipsis so it never runs into its neighbour."""
    if stringWidth(value, font, size) <= width:
        return value
    while value and stringWidth(value + "…", font, size) > width:
        value = value[:-1]
    return value.rstrip() + "…"


def table_style(commands: Iterable[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle in the embedded font.

    Table cells default to Helvetica even when they only hold Paragraphs,
    which would put an unembedded font into the PDF; every table of a report
    should be styled through this.
    """
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONTS.regular), *commands])


def _numbered_canvas(report: ReportDocument) -> type[Canvas]:
    """A canvas class that defers each page until the page count is known.

    ReportLab only knows the number of pages at the end, so every page's
    state is kept and replayed in ``save`` with "Page N of M" drawn on it.
    """

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                report.draw_page_count(self, self.getPageNumber(), total)
                super().showPage()
            super().save()

    return NumberedCanvas


class _DocTemplate(BaseDocTemplate):
    """BaseDocTemplate that adds a PDF outline entry for every H1/H2 heading."""

    def __init__(
        self, buffer: io.BytesIO, report: ReportDocument, contents: bool = False, **kwargs: Any
    ) -> None:
        self._report = report
        self._outline_count = 0
        self._contents = contents
        super().__init__(buffer, **kwargs)

    def afterFlowable(self, flowable: Flowable) -> None:
        if self._contents and isinstance(flowable, Paragraph) and flowable.style.name == "H1":
            self.notify("TOCEntry", (0, flowable.getPlainText(), self.page))
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            level = 0 if flowable.style.name == "H1" else 1
            self._outline_count += 1
            key = f"section-{self._outline_count}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=True)


class ReportDocument:
    """Base of every PDF report: page templates, header, footer, styles, build to bytes.

    Subclasses build a story (usually starting with :meth:`cover`) and pass
    it to :meth:`build`.  The story starts on the ``cover`` template;
    :meth:`cover` switches to ``body`` for the pages after it.
    """

    pagesize: tuple[float, float] = A4
    margin_left: float = 20 * mm
    margin_right: float = 20 * mm
    margin_top: float = 24 * mm
    margin_bottom: float = 22 * mm
    cover_band_height: float = 62 * mm

    def __init__(
        self,
        title: str,
        client: str,
        generated_on: date,
        *,
        subject: str = "",
        author: str = PRODUCT_NAME,
        keywords: Sequence[str] = (),
        lang: str = "en-GB",
    ) -> None:
        register_fonts()
        self.title = title
        self.client = client
        self.generated_on = generated_on
        self.subject = subject
        self.author = author
        self.keywords = tuple(keywords)
        self.lang = lang
        self.styles = report_styles()
        self.palette = PALETTE

    # ----------------------------------------------------------- geometry
    @property
    def page_width(self) -> float:
        return self.pagesize[0]

    @property
    def page_height(self) -> float:
        return self.pagesize[1]

    @property
    def content_width(self) -> float:
        """Width of the body frame: what tables and charts should fit into."""
        return self.page_width - self.margin_left - self.margin_right

    @property
    def content_height(self) -> float:
        return self.page_height - self.margin_top - self.margin_bottom

    def footer_note(self) -> str:
        """The left footer text; plain text (it is drawn, not parsed as markup)."""
        return f"Confidential — prepared for {self.client}"

    # ----------------------------------------------------- page templates
    def page_templates(self) -> list[PageTemplate]:
        """The ``cover`` and ``body`` templates; override to add e.g. a landscape one."""
        body_frame = Frame(
            self.margin_left,
            self.margin_bottom,
            self.content_width,
            self.content_height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        cover_top = self.page_height - self.cover_band_height - 18 * mm
        cover_frame = Frame(
            self.margin_left,
            self.margin_bottom,
            self.content_width,
            cover_top - self.margin_bottom,
            id="cover",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        return [
            PageTemplate(
                id="cover",
                frames=[cover_frame],
                onPage=self.draw_cover_page,
                pagesize=self.pagesize,
            ),
            PageTemplate(
                id="body", frames=[body_frame], onPage=self.draw_body_page, pagesize=self.pagesize
            ),
        ]

    def draw_cover_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Cover furniture: a coloured band with the product and report name, and the footer."""
        p = self.palette
        canvas.saveState()
        band_y = self.page_height - self.cover_band_height
        canvas.setFillColor(p.navy)
        canvas.rect(0, band_y, self.page_width, self.cover_band_height, stroke=0, fill=1)
        canvas.setFillColor(p.teal)
        canvas.rect(0, band_y - 2.2 * mm, self.page_width, 2.2 * mm, stroke=0, fill=1)
        x = self.margin_left
        canvas.setFillColor(colors.HexColor("#AFC3D9"))
        canvas.setFont(FONTS.medium, 9)
        canvas.drawString(x, self.page_height - 20 * mm, PRODUCT_NAME.upper())
        canvas.setFillColor(p.white)
        canvas.setFont(FONTS.bold, 24)
        canvas.drawString(
            x, band_y + 22 * mm, fit_text(self.title, FONTS.bold, 24, self.content_width)
        )
        canvas.setFont(FONTS.regular, 11)
        canvas.setFillColor(colors.HexColor("#D6E1EC"))
        canvas.drawString(
            x, band_y + 13 * mm, fit_text(self.client, FONTS.regular, 11, self.content_width)
        )
        canvas.restoreState()
        self.draw_footer(canvas)

    def draw_body_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """Body furniture: header (report title, client) and footer."""
        p = self.palette
        canvas.saveState()
        y = self.page_height - 13 * mm
        canvas.setFont(FONTS.bold, 8.5)
        canvas.setFillColor(p.navy)
        half = self.content_width / 2 - 6
        canvas.drawString(self.margin_left, y, fit_text(self.title, FONTS.bold, 8.5, half))
        canvas.setFont(FONTS.regular, 8.5)
        canvas.setFillColor(p.muted)
        canvas.drawRightString(
            self.page_width - self.margin_right, y, fit_text(self.client, FONTS.regular, 8.5, half)
        )
        canvas.setStrokeColor(p.rule)
        canvas.setLineWidth(0.6)
        canvas.line(self.margin_left, y - 3 * mm, self.page_width - self.margin_right, y - 3 * mm)
        canvas.restoreState()
        self.draw_footer(canvas)

    def draw_footer(self, canvas: Canvas) -> None:
        """Confidentiality note and generation date; the page count is added at save time."""
        p = self.palette
        canvas.saveState()
        y = 12 * mm
        canvas.setStrokeColor(p.rule)
        canvas.setLineWidth(0.6)
        canvas.line(self.margin_left, y + 4 * mm, self.page_width - self.margin_right, y + 4 * mm)
        canvas.setFont(FONTS.regular, 7.5)
        canvas.setFillColor(p.muted)
        # Left note gets the space up to the centred date (which is about 90pt wide).
        room = self.content_width / 2 - 60
        canvas.drawString(
            self.margin_left, y, fit_text(self.footer_note(), FONTS.regular, 7.5, room)
        )
        canvas.drawCentredString(
            self.page_width / 2, y, f"Generated {format_date(self.generated_on)}"
        )
        canvas.restoreState()

    def draw_page_count(self, canvas: Canvas, page: int, total: int) -> None:
        """Draw "Page N of M" at the right of the footer (called once per page at save)."""
        canvas.saveState()
        canvas.setFont(FONTS.regular, 7.5)
        canvas.setFillColor(self.palette.muted)
        canvas.drawRightString(
            self.page_width - self.margin_right, 12 * mm, f"Page {page} of {total}"
        )
        canvas.restoreState()

    # ------------------------------------------------------ story helpers
    def para(self, markup: str, style: str = "Body") -> Paragraph:
        """A Paragraph from markup the report wrote itself (escape user parts with esc)."""
        return Paragraph(markup, self.styles[style])

    def plain(self, value: object, style: str = "Body") -> Paragraph:
        """A Paragraph from user text, escaped, line breaks kept."""
        return Paragraph(text(value), self.styles[style])

    def cover(
        self,
        heading: str,
        subtitle: str = "",
        facts: Sequence[tuple[str, str]] = (),
        kicker: str = "",
        notice: str = "",
    ) -> list[Flowable]:
        """Standard cover page flowables (all arguments are plain text), ending with a
        switch to the body template and a page break."""
        story: list[Flowable] = []
        if kicker:
            story.append(self.plain(kicker, "CoverKicker"))
        story.append(self.plain(heading, "CoverTitle"))
        if subtitle:
            story.append(self.plain(subtitle, "CoverSubtitle"))
        if facts:
            story.append(self.key_value_table(facts))
        if notice:
            story += [Spacer(1, 14 * mm), self.plain(notice, "Small")]
        story += [NextPageTemplate("body"), PageBreak()]
        return story

    def key_value_table(
        self, facts: Sequence[tuple[str, str]], label_width: float = 42 * mm
    ) -> Table:
        """Two columns of label and value with hairlines between rows (plain text in)."""
        rows = [
            [self.plain(label, "Label"), self.plain(value, "TableCell")] for label, value in facts
        ]
        table = Table(
            rows, colWidths=[label_width, self.content_width - label_width], hAlign="LEFT"
        )
        table.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.palette.rule),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        col_widths: Sequence[float],
        *,
        align: str = "",
        zebra: bool = True,
        extra_style: Sequence[tuple[Any, ...]] = (),
    ) -> Table:
        """A data table with a coloured header row that repeats on each page.

        Cells may be plain values (escaped and wrapped in a Paragraph) or
        flowables (used as they are).  ``align`` has one letter per column:
        ``l``, ``r`` or ``c`` (default left).
        """
        letters = (align or "l" * len(header)).ljust(len(header), "l")
        head_style = {"l": "TableHead", "r": "TableHeadRight", "c": "TableHeadCenter"}
        cell_style = {"l": "TableCell", "r": "TableCellRight", "c": "TableCellCenter"}

        def cell(value: object, kind: str, column: int) -> Flowable:
            if isinstance(value, Flowable):
                return value
            name = (head_style if kind == "head" else cell_style)[letters[column]]
            return self.plain("" if value is None else value, name)

        data = [[cell(h, "head", i) for i, h in enumerate(header)]]
        data += [[cell(v, "cell", i) for i, v in enumerate(row)] for row in rows]
        table = Table(data, colWidths=list(col_widths), repeatRows=1, hAlign="LEFT")
        style: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, 0), self.palette.navy),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, self.palette.rule),
        ]
        if zebra:
            style.append(
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [self.palette.white, self.palette.light])
            )
        table.setStyle(table_style(style + list(extra_style)))
        return table

    def bullets(self, items: Iterable[str], style: str = "Bullet") -> ListFlowable:
        """A bulleted list of plain-text items (escaped)."""
        return ListFlowable(
            [ListItem(self.plain(item, style), leftIndent=12) for item in items],
            bulletType="bullet",
            start="•",
            leftIndent=12,
            bulletFontName=FONTS.regular,
            bulletFontSize=9,
            bulletColor=self.palette.teal,
        )

    def callout(
        self,
        flowables: Sequence[Flowable],
        *,
        background: colors.Color | None = None,
        border: colors.Color | None = None,
        width: float | None = None,
    ) -> Table:
        """A shaded box with a coloured left edge around some flowables (for key messages)."""
        box = Table([[list(flowables)]], colWidths=[width or self.content_width], hAlign="LEFT")
        box.setStyle(
            table_style(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), background or self.palette.pale_navy),
                    ("LINEBEFORE", (0, 0), (0, -1), 3, border or self.palette.navy),
                    ("LEFTPADDING", (0, 0), (-1, -1), 10),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return box

    def section(self, heading: str, *flowables: Flowable, style: str = "H2") -> KeepTogether:
        """A heading kept on the same page as the flowables that follow it."""
        return KeepTogether([self.plain(heading, style), *flowables])

    # ---------------------------------------------------------------- build
    def build(self, story: list[Flowable], *, contents: bool = False) -> bytes:
        """Lay out the story on the templates and return the PDF bytes. With ``contents``
        every H1 is a contents entry (a ``TableOfContents`` in the story lists them) and
        the story is laid out until the page numbers settle."""
        buffer = io.BytesIO()
        doc = _DocTemplate(
            buffer,
            self,
            contents,
            pagesize=self.pagesize,
            leftMargin=self.margin_left,
            rightMargin=self.margin_right,
            topMargin=self.margin_top,
            bottomMargin=self.margin_bottom,
            title=self.title if not self.client else f"{self.title} — {self.client}",
            author=self.author,
            subject=self.subject,
            keywords=list(self.keywords),
            creator=PRODUCT_NAME,
            lang=self.lang,
            # Otherwise every page names Helvetica, a font that is not embedded.
            initialFontName=FONTS.regular,
        )
        doc.addPageTemplates(self.page_templates())
        if contents:
            doc.multiBuild(list(story), canvasmaker=_numbered_canvas(self))
        else:
            doc.build(list(story), canvasmaker=_numbered_canvas(self))
        return buffer.getvalue()
