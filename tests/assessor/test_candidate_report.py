"""The PDF profile says what the page says: same name, same scores."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from pypdf import PdfReader

from tests.conftest import unavailable


def test_pdf_holds_the_name_and_the_scores_of_the_page(client, auth, completed, output_dir):
    recruiter, engagement, (strong, _weak) = completed
    auth.login(recruiter.email)
    base = f"/engagements/{engagement.id}/candidates/{strong.id}"
    html = client.get(base).get_data(as_text=True)
    fit_on_page = re.search(r'<p class="fit-big">(\d+)<', html).group(1)
    scores_on_page = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="pomp">(\d+)</td>', html)
    assert len(scores_on_page) >= 14

    response = client.get(f"{base}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Strong Candidate" in text
    assert "Halden Utilities" in text
    assert fit_on_page in text
    flat = " ".join(text.split())
    for name, score in scores_on_page:
        name = name.replace("&amp;", "&")
        assert re.search(re.escape(" ".join(name.split())) + r"\s+" + score + r"\b", flat), (
            name,
            score,
        )
    path = output_dir / "candidate-profile.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm (Debian poppler-utils) is not installed")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(output_dir / "candidate-profile"),
        ],
        check=True,
    )
    png = next(output_dir.glob("candidate-profile-*1.png"))
    assert png.stat().st_size > 10_000


def test_recommendation_follows_the_fit_band():
    from assessor.services.candidate_view import recommendation_for

    assert recommendation_for(85.0, "strong fit", [], False).startswith("Strong fit")
    assert recommendation_for(70.0, "good fit", [], False).startswith("Good fit")
    text = recommendation_for(55.0, "partial fit", ["Service mentality"], True)
    assert text.startswith("Partial fit")
    assert "Service mentality" in text and "Response-quality concerns" in text
    assert recommendation_for(None, None, [], False).startswith("Not enough answers")
