"""The technical manual of the demo data, generated through the CLI and read back.

CI runs this: it loads the demo (its archive of earlier searches gives version 1 a
sample of about 120 consented assessments), writes the manual of both versions as PDF
and HTML with ``assessor manual``, and checks the files against the Manual object the
same service returns.
"""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape
from pypdf import PdfReader

from assessor.demo import DEMO_ORG_SLUG
from assessor.reports.manual import fmt, manual_view, table_rows
from assessor.services import manual as manuals
from assessor.services.accounts import find_organisation

SECTIONS = (
    "1. The sample",
    "2. Item statistics",
    "3. Scale reliabilities",
    "4. Scale intercorrelations",
    "5. Does each scale measure one thing?",
    "6. Groups: score differences, adverse impact and item bias",
    "7. Norm tables",
    "8. Minimum sizes",
)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def demo(app):
    manuals.clear_cache()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    yield find_organisation(DEMO_ORG_SLUG)
    manuals.clear_cache()


def test_demo_manuals_through_the_cli(app, demo, tmp_path: Path, output_dir: Path):
    for version in (1, 2):  # one demo load for both versions: it takes half a minute
        _check_version(app, demo, tmp_path, version, output_dir)


def _check_version(app, demo, tmp_path: Path, version: int, output_dir: Path) -> None:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(
        args=["manual", "cco_candidate", "--version", str(version), "--output", str(tmp_path)]
    )
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    pdf_path = tmp_path / f"technical-manual-cco_candidate-v{version}-{DEMO_ORG_SLUG}.pdf"
    html_path = pdf_path.with_suffix(".html")
    assert str(pdf_path) in result.output and str(html_path) in result.output

    built = manuals.build(demo.id, "cco_candidate", version)  # the same sample: the same object
    assert f"{built.n} completed assessments" in result.output
    assert built.n > 0

    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    pages = [p.extract_text() for p in reader.pages]
    text = _flat("\n".join(pages))
    for title in SECTIONS:
        assert title in text, title
    assert "Contents" in _flat(pages[1])
    assert "No group data is recorded in this installation" in text

    # Figures printed equal the Manual's: the sample size, a reliability with its interval,
    # and the first norm table's first row.
    assert f"Completed assessments {fmt(built.n, 'int')}" in text
    estimated = [r for r in built.reliability if r.method in ("alpha", "model")]
    assert estimated, "the demo sample gives every version estimated reliabilities"
    rel = estimated[0]
    figure = f"{fmt(rel.reliability, 'r')} ({fmt(rel.low, 'r')}–{fmt(rel.high, 'r')})"
    assert figure in text
    table = next(t for t in built.norms if t.rows)
    row = table.rows[0]
    assert _flat(f"{fmt(row.pomp, 'int')} {fmt(row.percentile, 'pct')}") in text

    # The HTML file prints the same cells as the PDF (one formatter, one view).
    html = html_path.read_text(encoding="utf-8")
    assert figure in html
    view = manual_view(built, demo.name, date.today())
    for t in table_rows(view)[:4]:
        for cell in t.rows[0]:
            assert str(escape(cell)) in html, cell

    if version == 1:
        assert any(r.method == "alpha" for r in built.reliability)
        assert any(f.chi2 is not None for f in built.factors) or built.n < 100
    else:
        assert any("Forced-choice blocks" in t for t in built.not_covered)
        assert "Forced-choice blocks" in text
    (output_dir / f"manual_v{version}.txt").write_text(
        f"n={built.n} pages={len(reader.pages)} seconds={seconds:.1f}\n"
    )
