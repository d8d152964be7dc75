"""Shared set-up for the benchmarks: a real app with demo data, a big pool, results files.

Not a benchmark itself. Every bench script builds the app the same way:
``create_app`` on a throw-away database (a temporary SQLite file, or a
PostgreSQL database created for the run and dropped afterwards), the Alembic
migrations, ``assessor.demo.load_demo()``, and when asked N completed and
scored candidates bulk-inserted into the demo engagement (a few distinct
answer patterns, as in ``tests/assessor/test_recruiter_scale.py``).
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"
RECRUITER = "recruiter@demo.example"
PASSWORD = "demo-password"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_app(database_url: str, **overrides: Any) -> Flask:
    """The product's app on ``database_url`` (schema by the migrations), nothing added."""
    from assessor import create_app
    from assessor.database import upgrade
    from assessor.extensions import db

    config = {"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url}
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade(db.engine)
    return app


def load_demo(app: Flask, candidates: int = 0, in_progress: int = 0) -> dict[str, Any]:
    """Load the demo; add ``candidates`` scored and ``in_progress`` half-answered ones.

    Returns the demo engagement id and the invitation tokens of the
    in-progress candidates (each consented, first page answered).
    """
    from sqlalchemy import select

    from assessor.demo import add_scored_candidates
    from assessor.demo import load_demo as product_load_demo
    from assessor.extensions import db
    from assessor.models import Engagement, Organisation

    with app.app_context():
        product_load_demo()
        db.session.commit()
        engagement = db.session.scalars(
            select(Engagement)
            .join(Organisation, Organisation.id == Engagement.organisation_id)
            .where(Organisation.slug == "demo")
            .order_by(Engagement.id)
        ).first()
        assert engagement is not None
        if candidates:
            add_scored_candidates(engagement, candidates)
        tokens = add_in_progress(engagement, in_progress) if in_progress else []
        return {"engagement_id": engagement.id, "tokens": tokens}


def add_in_progress(engagement: Any, n: int) -> list[str]:
    """Invite ``n`` candidates through the service, consent, answer page 1; their tokens."""
    import numpy as np
    from sqlalchemy import select

    from assessor.demo import synthetic_answers
    from assessor.extensions import db
    from assessor.models import User
    from assessor.services import invitations, responses

    recruiter = db.session.scalars(select(User).where(User.email == RECRUITER)).one()
    rng = np.random.default_rng(3)
    tokens = []
    for i in range(n):
        a = invitations.invite(
            recruiter, engagement, f"Bench Respondent {i}", f"respondent{i}@example.com"
        )
        instrument = responses.instrument_of(a)
        responses.consent(a)
        answers = synthetic_answers(instrument, rng)
        section = instrument.sections[0]
        responses.save_page(a, section, page_values(section, answers), 60.0, strict=True)
        db.session.flush()
        tokens.append(invitations.link_token(a))
    db.session.commit()
    return tokens


def page_values(section: Any, answers: dict[str, Any]) -> dict[str, Any]:
    """One section's answers in the shape ``responses.save_page`` takes."""
    return {
        item.key: (
            [str(v) for v in answers[item.key]]
            if isinstance(answers.get(item.key), list)
            else answers.get(item.key)
        )
        for item in section.items
    }


def login(client: FlaskClient) -> None:
    """Sign the demo recruiter in through the real login form."""
    html = client.get("/login").get_data(as_text=True)
    token = csrf_token(html)
    response = client.post(
        "/login", data={"email": RECRUITER, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code in (302, 303), response.status_code


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("page has no CSRF token")
    return match.group(1)


@contextmanager
def sqlite_url(tmp: Path) -> Iterator[str]:
    """A SQLite file database under ``tmp``."""
    yield f"sqlite:///{tmp / 'bench.sqlite3'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local service, dropped afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"assessor_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def postgres_available() -> str | None:
    """The server version when the local PostgreSQL answers, else None."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = str(conn.exec_driver_sql("SHOW server_version").scalar())
        engine.dispose()
        return version
    except Exception:
        return None


def machine_facts() -> dict[str, Any]:
    """What the figures were measured on."""
    import numpy as np

    return {
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"
