"""The layering rule: scoring/ and questionnaires/ never pull in Flask or SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys


def test_pure_packages_import_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, scoring, questionnaires, scoring.readiness, scoring.ahp, scoring.fit, "
        "scoring.rolescope, scoring.fairness, questionnaires.flow; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
