"""The candidate profile PDF, read back as text and rendered to PNG."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assessor.reports.candidate import (
    CandidateProfileData,
    build_candidate_profile,
    format_band,
    format_percentile,
    format_score,
    sample_candidate_profile_data,
)
from assessor.reports.fonts import FAMILY
from tests.assessor.reports.test_base import embedded_fonts, pdf_pages_text
from tests.conftest import unavailable

GREEK = "Σοφία Παπαδοπούλου"
MARKUP = "Ann <b>& Co</b>"


@pytest.fixture(scope="module")
def greek_pdf() -> bytes:
    return build_candidate_profile(sample_candidate_profile_data(GREEK))


def flat(pdf: bytes) -> str:
    """All text with whitespace (including line breaks) collapsed to single spaces."""
    return " ".join(" ".join(pdf_pages_text(pdf)).split())


def test_sample_has_fourteen_competencies_and_is_json_able():
    data = sample_candidate_profile_data()
    assert len(data.competencies) == 14
    assert len(data.profile_values) == 14
    encoded = json.dumps(data.to_dict())
    assert CandidateProfileData.from_dict(json.loads(encoded)) == data


def test_profile_values_must_match_competencies():
    data = sample_candidate_profile_data()
    with pytest.raises(ValueError, match="profile values"):
        dataclasses.replace(data, profile_values=data.profile_values[:-1])


def test_formatting():
    assert format_score(67.6) == "68"
    assert format_score(None) == "–"
    assert format_band(61.2, 77.9) == "61–78"
    assert [format_percentile(p) for p in (0, 1, 2, 3, 11, 12, 13, 21, 42.4, 100)] == [
        "1st",
        "1st",
        "2nd",
        "3rd",
        "11th",
        "12th",
        "13th",
        "21st",
        "42nd",
        "99th",
    ]
    assert format_percentile(None) == "–"


def test_pdf_text_has_name_scores_and_page_count(greek_pdf):
    pages = pdf_pages_text(greek_pdf)
    assert len(pages) >= 8
    assert GREEK in pages[0]
    assert "Page 1 of" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    text = " ".join(" ".join(pages).split())
    data = sample_candidate_profile_data(GREEK)
    table_page = next(p for p in pages if "Scores in detail" in p)
    for row in data.competencies:
        assert format_score(row.pomp) in table_page
        assert format_band(row.low, row.high) in table_page
        assert format_percentile(row.percentile) in table_page
    assert "compare with norm group 3 of assessment version 1: 212 candidates" in text
    assert "Confidential — prepared for Northwind Utilities plc" in text
    assert data.recommendation.split(".")[0] in text
    assert "About this report: method and limits" in text
    assert "not be the sole basis for a hiring decision" in text


def test_markup_in_names_renders_literally():
    data = dataclasses.replace(
        sample_candidate_profile_data(MARKUP),
        client_name="Smith & Jones <Holdings>",
        role_title="Chief <i>Customer</i> Officer",
    )
    text = flat(build_candidate_profile(data))
    assert MARKUP in text
    assert "Smith & Jones <Holdings>" in text
    assert "Chief <i>Customer</i> Officer" in text


def test_cyrillic_name_and_fonts_are_embedded():
    pdf = build_candidate_profile(sample_candidate_profile_data("Дмитрий Иванов"))
    assert "Дмитрий Иванов" in flat(pdf)
    fonts = embedded_fonts(pdf)
    assert fonts
    for name, has_program in fonts.items():
        assert FAMILY in name
        assert has_program, f"{name} is not embedded"


def test_empty_sections_say_so():
    data = dataclasses.replace(
        sample_candidate_profile_data(),
        response_quality_notes=(),
        must_have_flags=(),
        interview_guide=(),
        experience_checklist=(),
        norms_usable=False,
        norm_note="",
        pool_size=3,
        interview_blend_note=None,
    )
    text = flat(build_candidate_profile(data))
    assert "No concerns." in text
    assert "meets every must-have minimum" in text
    assert "3 candidates ranked in this engagement; no norm group yet, so no percentiles" in text
    table_page = next(
        p for p in pdf_pages_text(build_candidate_profile(data)) if "Scores in detail" in p
    )
    assert "67th" not in table_page  # percentiles hidden when norms are not usable


def test_missing_scores_still_build():
    data = sample_candidate_profile_data()
    rows = list(data.competencies)
    rows[3] = dataclasses.replace(rows[3], pomp=None, low=None, high=None, percentile=None)
    data = dataclasses.replace(
        data,
        competencies=tuple(rows),
        fit=dataclasses.replace(data.fit, value=None, low=None, high=None, band_label=""),
    )
    text = flat(build_candidate_profile(data))
    assert "not rated" in text


def test_first_page_renders_to_png(greek_pdf, output_dir: Path, tmp_path: Path):
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm (Debian poppler-utils) is not installed")
    source = tmp_path / "candidate-profile.pdf"
    source.write_bytes(greek_pdf)
    for page in (1, 2, 3):
        target = output_dir / f"candidate-profile-page{page}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(source),
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        png = target.with_suffix(".png")
        assert png.exists()
        assert png.read_bytes().startswith(b"\x89PNG")
        assert png.stat().st_size > 15_000  # a real page, not a blank sheet
