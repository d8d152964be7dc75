"""Nothing lost: 30 candidates answer in parallel while the server is killed and restarted.

The app runs under gunicorn (2 workers) against a fresh SQLite file and a
fresh PostgreSQL database. Mid-way the whole server gets SIGKILL, then comes
back. Afterwards every page the server acknowledged must be in the database,
no assessment may be submitted twice or half, and every stored score must
equal a fresh recompute. Some candidates use two tabs and double-click submit.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import sqlalchemy as sa

import questionnaires
from assessor.demo import synthetic_answers
from questionnaires.flow import parse_answer
from tests.assessor.conftest import free_port
from tests.conftest import IN_CI, OUTPUT_DIR

CANDIDATES = 30
SECRET = "reliability-test-secret-key-0123456789abcdef"
DEADLINE_SECONDS = 150
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def kill_app(own_database, tmp_path):
    """The in-process app used to prepare and to check; its pool is closed afterwards."""
    from assessor.extensions import db

    app = make_app(own_database, tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def make_app(url: str, instance: Path):
    from assessor import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "SERVER_NAME": None})
    app.instance_path = str(instance)
    return app


def prepare(app) -> list[str]:
    """Migrate, then invite the candidates; returns their link paths."""
    from assessor.database import upgrade
    from assessor.extensions import db
    from assessor.services import accounts, engagements, invitations

    with app.app_context():
        upgrade(db.engine)
        org = accounts.create_organisation("Reliability Search")
        recruiter = accounts.create_user(
            org, "rec@example.com", "Rec", "recruiter", "long-enough-password"
        )
        engagement = engagements.create_engagement(recruiter, "Client", "CCO")
        links = []
        for i in range(CANDIDATES):
            a = invitations.invite(recruiter, engagement, f"Candidate {i}", f"c{i}@example.com")
            db.session.flush()
            links.append("/r/" + invitations.link_token(a))
        db.session.commit()
        db.engine.dispose()
    return links


class Server:
    """gunicorn in its own process group, so SIGKILL takes master and workers at once."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "SECRET_KEY": SECRET,
            "ASSESSOR_ENV": "production",
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    gunicorn,
                    "-w",
                    "2",
                    "--threads",
                    "4",
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "30",
                    "assessor:create_app()",
                ],
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        for _ in range(200):
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/login", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


class Candidate:
    """One simulated person; retries whatever the dead server did not answer."""

    def __init__(
        self,
        base: str,
        link: str,
        answers: dict[str, Any],
        tabs: int,
        double_click: bool,
        acknowledged: list,
        deadline: float,
    ) -> None:
        self.base, self.link, self.answers = base, link, answers
        self.sessions = [requests.Session() for _ in range(tabs)]
        self.double_click = double_click
        self.acknowledged = acknowledged
        self.deadline = deadline

    def call(self, session: requests.Session, method: str, path: str, **kw: Any):
        while time.monotonic() < self.deadline:
            try:
                return session.request(
                    method, self.base + path, timeout=15, allow_redirects=False, **kw
                )
            except requests.RequestException:
                time.sleep(0.2)
        raise TimeoutError(f"gave up on {method} {path}")

    def token(self, session: requests.Session, path: str) -> str | None:
        response = self.call(session, "GET", path)
        match = CSRF.search(response.text)
        return match.group(1) if match else None

    def run(self, instrument) -> None:
        main = self.sessions[0]
        while True:
            token = self.token(main, self.link)
            if (
                token is None
                or "Continue where you left off" in self.call(main, "GET", self.link).text
            ):
                break
            response = self.call(
                main, "POST", self.link, data={"csrf_token": token, "consent": "yes"}
            )
            if response.status_code == 302:
                break
        for section in instrument.sections:
            form = {
                f"q_{i.key}": (
                    self.answers[i.key]
                    if not isinstance(self.answers[i.key], list)
                    else [str(v) for v in self.answers[i.key]]
                )
                for i in section.items
                if i.key in self.answers
            }
            path = f"{self.link}/page/{section.key}"
            for session in self.sessions:  # a second tab saves the same page again
                while True:
                    token = self.token(session, path)
                    if token is None:
                        continue
                    response = self.call(
                        session,
                        "POST",
                        path,
                        data={
                            **form,
                            "csrf_token": token,
                            "action": "next",
                            "page_started": f"{time.time() - 20:.3f}",
                        },
                    )
                    assert response.status_code == 302, (response.status_code, response.text[-800:])
                    self.acknowledged.append((self.link, section.key, form))
                    break
        self.submit()

    def submit(self) -> None:
        main = self.sessions[0]
        while True:
            token = self.token(main, f"{self.link}/review")
            if token is None:  # already submitted: the link says so
                return
            clicks = 2 if self.double_click else 1
            with ThreadPoolExecutor(clicks) as pool:
                results = list(
                    pool.map(
                        lambda _, token=token: self.call(
                            main, "POST", f"{self.link}/review", data={"csrf_token": token}
                        ),
                        range(clicks),
                    )
                )
            if any(r.status_code == 302 for r in results):
                return


def test_kill_and_restart_loses_nothing(own_database, kill_app, tmp_path):
    if sys.platform != "linux":
        pytest.skip("process groups and SIGKILL as on the Linux servers")
    from assessor.extensions import db
    from assessor.models import Answer, Assignment, Result
    from assessor.services import responses
    from assessor.services.results import score_candidate

    app = kill_app
    links = prepare(app)
    instrument = questionnaires.latest("cco_candidate")
    rng = np.random.default_rng(99)
    port = free_port()
    server = Server(own_database, port, tmp_path / "gunicorn.log")
    server.start()
    acknowledged: list = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    total_pages = CANDIDATES * len(instrument.sections)
    kills = 0

    def killer() -> None:
        nonlocal kills
        while time.monotonic() < deadline and len(acknowledged) < total_pages * 0.4:
            time.sleep(0.05)
        server.kill()
        kills += 1
        time.sleep(0.5)
        server.start()

    people = [
        Candidate(
            f"http://127.0.0.1:{port}",
            link,
            {
                k: str(v) if not isinstance(v, list) else v
                for k, v in synthetic_answers(instrument, rng, {"_base": 0.3 + i / 60}).items()
            },
            tabs=2 if i % 5 == 0 else 1,
            double_click=i % 3 == 0,
            acknowledged=acknowledged,
            deadline=deadline,
        )
        for i, link in enumerate(links)
    ]
    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    try:
        with ThreadPoolExecutor(10) as pool:
            for future in [pool.submit(p.run, instrument) for p in people]:
                future.result()
    finally:
        kill_thread.join(timeout=30)
        server.stop()
    assert kills == 1

    with app.app_context():
        token_of = {link: link.rsplit("/", 1)[1] for link in links}
        from assessor.services.invitations import resolve_token

        checked_pages = 0
        for link, section_key, form in acknowledged:
            assignment = resolve_token(token_of[link], allow_completed=True)
            stored = dict(
                db.session.execute(
                    sa.select(Answer.item_key, Answer.value).where(
                        Answer.assignment_id == assignment.id
                    )
                ).all()
            )
            section = next(s for s in instrument.sections if s.key == section_key)
            for item in section.items:
                if f"q_{item.key}" in form:
                    assert stored[item.key] == parse_answer(item, form[f"q_{item.key}"])
            checked_pages += 1
        assignments = db.session.scalars(sa.select(Assignment)).all()
        assert len(assignments) == CANDIDATES
        recomputed = 0
        for assignment in assignments:
            assert assignment.status == "completed" and assignment.submitted_at is not None
            results = db.session.scalars(
                sa.select(Result).where(Result.assignment_id == assignment.id)
            ).all()
            assert len(results) == 1
            fresh = score_candidate(instrument, responses.answers_of(assignment), {})
            assert results[0].data["scales"] == fresh["scales"]
            assert results[0].data["matrix"] == fresh["matrix"]
            recomputed += 1
    backend = own_database.split(":", 1)[0]
    OUTPUT_DIR.mkdir(exist_ok=True)
    report = OUTPUT_DIR / "reliability.json"
    figures = json.loads(report.read_text()) if report.exists() else {}
    figures[backend] = {
        "candidates": CANDIDATES,
        "pages_acknowledged": len(acknowledged),
        "pages_found": checked_pages,
        "kills": kills,
        "scores_recomputed_equal": recomputed,
        "ci": IN_CI,
    }
    report.write_text(json.dumps(figures, indent=2))
