"""``pip install .`` must give a working app: the wheel carries templates and instruments."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_templates_static_migrations_and_instruments(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("cco_assessor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*.html"):
        assert "assessor/templates/" + template.relative_to(ROOT / "templates").as_posix() in names
    for instrument in (ROOT / "questionnaires").rglob("*.yaml"):
        assert instrument.relative_to(ROOT).as_posix() in names
    assert "assessor/static/app.css" in names
    assert any(n.startswith("assessor/migrations/versions/0001") for n in names)
    assert "assessor/migrations/env.py" in names
    assert any(n.startswith("scoring/") for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
