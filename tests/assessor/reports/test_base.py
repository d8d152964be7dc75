"""The shared report base: fonts, escaping, page furniture, page count, embedding."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from assessor.reports.base import ReportDocument, esc, format_date, text
from assessor.reports.fonts import FAMILY, FONTS, register_fonts


def pdf_pages_text(pdf: bytes) -> list[str]:
    """Text of each page, as a reader would copy it."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont name -> whether a TrueType font program (FontFile2) is embedded."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font")
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descendant = font["/DescendantFonts"].get_object()[0].get_object()
                descriptor = descendant.get("/FontDescriptor")
            has_program = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found[str(font["/BaseFont"])] = has_program
    return found


def _small_report(client: str = "Ann <b>& Co</b>") -> bytes:
    report = ReportDocument("Test report", client, date(2026, 3, 3))
    story = report.cover(
        "Σοφία Παπαδοπούλου",
        "Дмитрий Иванов · Zoë Ångström",
        [("Client", client), ("Name", "Łukasz Żółć")],
    )
    story += [
        report.para("First section", "H1"),
        report.plain("A line with <script>alert(1)</script> & more\nand a second line"),
        report.table(
            ["Name", "Score"], [["<i>not italic</i>", 72], ["A & B", None]], [300, 100], align="lr"
        ),
        report.bullets(["one <b>", "two & three"]),
    ]
    return report.build(story)


def test_register_fonts_is_idempotent():
    first = register_fonts()
    second = register_fonts()
    assert first == second == FONTS
    registered = set(pdfmetrics.getRegisteredFontNames())
    assert {FONTS.regular, FONTS.bold, FONTS.italic, FONTS.bold_italic} <= registered
    assert pdfmetrics.getFont(FONTS.regular).face.name  # a real TrueType face


def test_esc_and_text_escape_markup():
    assert esc("<script> & </b>") == "&lt;script&gt; &amp; &lt;/b&gt;"
    assert esc(None) == ""
    assert text("a < b\nc & d") == "a &lt; b<br/>c &amp; d"


def test_format_date_is_locale_independent():
    assert format_date(date(2026, 3, 3)) == "3 March 2026"
    assert format_date(date(2025, 12, 25)) == "25 December 2025"


def test_build_returns_pdf_with_furniture_and_page_count():
    pdf = _small_report()
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages_text(pdf)
    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0]
    assert "Page 2 of 2" in pages[1]
    for page in pages:
        assert "Confidential — prepared for Ann <b>& Co</b>" in page
        assert "Generated 3 March 2026" in page
    # body pages carry the header (report title and client)
    assert "Test report" in pages[1]


def test_user_text_renders_literally_in_every_script():
    everything = "\n".join(pdf_pages_text(_small_report()))
    for expected in (
        "Σοφία Παπαδοπούλου",
        "Дмитрий Иванов",
        "Zoë Ångström",
        "Łukasz Żółć",
        "<script>alert(1)</script> & more",
        "<i>not italic</i>",
        "A & B",
        "one <b>",
        "two & three",
    ):
        assert expected in everything


def test_fonts_are_embedded_subsets_of_the_family():
    fonts = embedded_fonts(_small_report())
    assert fonts, "no fonts found in the PDF"
    for name, has_program in fonts.items():
        assert FAMILY in name, f"{name} is not from the embedded family"
        assert has_program, f"{name} has no embedded FontFile2"


def test_metadata_and_outline():
    reader = PdfReader(io.BytesIO(_small_report(client="Acme")))
    assert reader.metadata.title == "Test report — Acme"
    assert [item.title for item in reader.outline] == ["First section"]


def test_long_client_names_are_shortened_in_the_page_furniture():
    client = "The Extremely Long Named International Holding Company of Everything plc"
    pages = pdf_pages_text(_small_report(client=client))
    assert "Confidential — prepared for The Extremely" in pages[1]
    assert "…" in pages[1]
    assert "Page 2 of 2" in pages[1]
