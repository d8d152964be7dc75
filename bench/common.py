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
PASSWORD = "cco-demo-walkthrough"
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
    in-progress candidates (each consented, first page answered), with their
    assignment ids under ``ids``.
    """
    from sqlalchemy import select

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
            add_scored(app, engagement.id, candidates)
        started = add_in_progress(engagement, in_progress) if in_progress else []
        return {
            "engagement_id": engagement.id,
            "tokens": [token for _, token in started],
            "ids": [aid for aid, _ in started],
        }


def add_scored(app: Flask, engagement_id: int, n: int, seed: int = 1) -> float:
    """Bulk-insert ``n`` scored candidates through the product's own seeding
    (``assessor.demo.add_scored_candidates``, which also writes whatever the
    product stores per candidate); the seconds it took."""
    import time

    from sqlalchemy import text

    from assessor.demo import add_scored_candidates
    from assessor.extensions import db
    from assessor.models import Engagement

    t0 = time.perf_counter()
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        add_scored_candidates(engagement, n, seed)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # autovacuum would analyze after such a bulk insert within a minute or
            # so; done now, the plans are those of a settled database from the start
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - t0


def add_in_progress(
    engagement: Any, n: int, prefix: str = "Bench Respondent"
) -> list[tuple[int, str]]:
    """Invite ``n`` candidates through the service, consent, answer page 1.

    Returns each one's assignment id and link token.
    """
    import numpy as np
    from sqlalchemy import func, select

    from assessor.demo import synthetic_answers
    from assessor.extensions import db
    from assessor.models import Assignment, User
    from assessor.services import invitations, responses

    recruiter = db.session.scalars(select(User).where(User.email == RECRUITER)).one()
    rng = np.random.default_rng(3)
    first = db.session.scalar(select(func.count(Assignment.id))) or 0
    started = []
    for i in range(n):
        a = invitations.invite(
            recruiter, engagement, f"{prefix} {first + i}", f"respondent{first + i}@example.com"
        )
        instrument = responses.instrument_of(a)
        responses.consent(a)
        answers = synthetic_answers(instrument, rng)
        section = instrument.sections[0]
        responses.save_page(a, section, page_values(section, answers), 60.0, strict=True)
        db.session.flush()
        started.append((a.id, invitations.link_token(a)))
    db.session.commit()
    return started


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


# ------------------------------------------------------------------ serving over HTTP
HOST = "127.0.0.1"
USER_AGENT = "assessor-bench/1"  # Flask-Login's strong session protection hashes it
GUNICORN_TIMEOUT = 120  # the earlier code's first dashboard after a change at 50,000: 12-16 s


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def fetch(
    port: int, method: str, path: str, cookie: str = "", body: str = "", timeout: float = 180
) -> tuple[int, dict[str, str], str]:
    """One request on a fresh connection; status, headers (lower-cased), body text."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        conn.close()


def session_cookie(headers: dict[str, str], previous: str = "") -> str:
    """The ``session=`` cookie a response sets, else ``previous``."""
    raw = headers.get("set-cookie", "")
    if not raw.startswith("session="):
        return previous
    return raw.split(";", 1)[0]


def login_cookie(server: Server) -> str:
    """The demo recruiter's session cookie, from a real sign-in over HTTP."""
    import urllib.parse

    _, headers, html = server.fetch("GET", "/login")
    cookie = session_cookie(headers)
    body = urllib.parse.urlencode(
        {"email": RECRUITER, "password": PASSWORD, "csrf_token": csrf_token(html)}
    )
    status, headers, _ = server.fetch("POST", "/login", cookie=cookie, body=body)
    assert status in (302, 303), status
    return session_cookie(headers, cookie)


class Server:
    """A gunicorn master serving ``app_spec`` with sync workers on a free loopback port.

    The same command serves the product and the bare app, so both pay the same
    server. ``access_log`` (off for throughput runs, where it would cost every
    request a log line) records which worker served each request.
    """

    def __init__(
        self,
        app_spec: str,
        env: dict[str, str],
        workers: int = 2,
        access_log: Path | None = None,
        probe: str = "/login",
    ) -> None:
        import subprocess

        self.port = free_port()
        self.access_log = access_log
        self.sent = 0  # requests sent through ``fetch``
        self.failures: list[dict[str, Any]] = []  # requests that got no answer
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers", str(workers),
            "--bind", f"{HOST}:{self.port}",
            "--log-level", "warning",
            "--timeout", str(GUNICORN_TIMEOUT),
        ]  # fmt: skip
        if access_log is not None:
            access_log.write_text("")
            cmd += ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(D)s"]
        self.proc = subprocess.Popen(
            [*cmd, app_spec], cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": path}
        )
        self._wait_until_up(probe)

    def _wait_until_up(self, probe: str) -> None:
        import time

        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(self.port, "GET", probe, timeout=10)[0] < 500:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start ({probe})")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            return sorted(int(x) for x in children.read_text().split())
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                if f"\nPPid:\t{pid}\n" in status.read_text():
                    found.append(int(status.parent.name))
            except OSError:
                continue
        return sorted(found)

    def memory(self) -> dict[int, dict[str, float]]:
        """Each worker's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
        out: dict[int, dict[str, float]] = {}
        for pid in self.workers():
            fields = {}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) / 1024  # kB -> MB
            out[pid] = {"rss_mb": fields["VmRSS"], "peak_mb": fields["VmHWM"]}
        return out

    def fetch(
        self, method: str, path: str, cookie: str = "", body: str = ""
    ) -> tuple[int, dict[str, str], str]:
        """``fetch`` on this server, counted (the access log has a line per request)."""
        self.sent += 1
        return fetch(self.port, method, path, cookie=cookie, body=body)

    def last_served(self) -> tuple[int, float]:
        """The worker that answered the last request sent through ``fetch``, and
        the seconds gunicorn measured it took.

        gunicorn writes the access log line after the answer: wait for it.
        """
        import time

        assert self.access_log is not None
        deadline = time.monotonic() + 10
        while True:
            lines = self.access_log.read_text().splitlines()
            if len(lines) >= self.sent:
                pid, _, micros = lines[self.sent - 1].split()
                return int(pid.strip("<>")), int(micros) / 1e6
            if time.monotonic() > deadline:
                raise RuntimeError("the access log did not record the request")
            time.sleep(0.002)

    def resync(self) -> None:
        """After a request that got no answer (and so no log line): count anew."""
        import time

        time.sleep(1)
        assert self.access_log is not None
        self.sent = len(self.access_log.read_text().splitlines())

    def stop(self) -> None:
        """Stop the master (it stops its workers), killing it after 30 s."""
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
