"""Embedded TrueType fonts for every PDF and chart the product draws.

ReportLab's built-in Helvetica only covers Latin-1, so a candidate called
"Łukasz Żółć", "Σοφία Παπαδοπούλου" or "Дмитрий Иванов" would come out as
black boxes.  Roboto (Apache-2.0) covers Latin, Greek and Cyrillic in every
weight; it comes from the ``font-roboto`` PyPI package so the repository
carries no font files.  The fonts are registered once per process and are
subset-embedded by ReportLab into each PDF.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: The Python package that ships the TTF files, and the folder inside it.
FONT_PACKAGE = "font_roboto"
FONT_FOLDER = "files"
FAMILY = "Roboto"


@dataclass(frozen=True)
class FontNames:
    """The ReportLab font names of the family, for styles and drawings."""

    regular: str = "Roboto"
    bold: str = "Roboto-Bold"
    italic: str = "Roboto-Italic"
    bold_italic: str = "Roboto-BoldItalic"
    medium: str = "Roboto-Medium"


FONTS = FontNames()

_FILES: dict[str, str] = {
    FONTS.regular: "Roboto-Regular.ttf",
    FONTS.bold: "Roboto-Bold.ttf",
    FONTS.italic: "Roboto-Italic.ttf",
    FONTS.bold_italic: "Roboto-BoldItalic.ttf",
    FONTS.medium: "Roboto-Medium.ttf",
}
_lock = threading.Lock()
_registered = False


def _load(name: str, filename: str) -> TTFont:
    source = resources.files(FONT_PACKAGE).joinpath(FONT_FOLDER, filename)
    # as_file copes with zipped installs; TTFont reads the whole file at once.
    with resources.as_file(source) as path:
        return TTFont(name, str(path))


def register_fonts() -> FontNames:
    """Register the family with ReportLab (idempotent, thread-safe) and return its names.

    Call it before building any style or drawing that names these fonts; the
    report base and the chart functions do so themselves.
    """
    global _registered
    if _registered:
        return FONTS
    with _lock:
        if _registered:
            return FONTS
        known = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in _FILES.items():
            if name not in known:
                pdfmetrics.registerFont(_load(name, filename))
        # The family mapping lets <b>/<i> in Paragraph markup pick the right face.
        pdfmetrics.registerFontFamily(
            FONTS.regular,
            normal=FONTS.regular,
            bold=FONTS.bold,
            italic=FONTS.italic,
            boldItalic=FONTS.bold_italic,
        )
        _registered = True
    return FONTS
