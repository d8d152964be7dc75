"""Benchmark: the web app under gunicorn, each scenario against a hello-world baseline.

Run:  .venv/bin/python bench/web.py [--quick] [--duration 12] [--databases sqlite,postgresql]

For each database (a SQLite file, and a throw-away PostgreSQL database on the
local service at 127.0.0.1:5432 when it answers) the script builds the app
with the demo data plus ``--candidates`` scored candidates (5,000) and a few
in-progress ones, serves it with gunicorn (2 sync workers) on 127.0.0.1, and
drives it with Debian's ``wrk`` (one thread, ``--connections`` connections,
``--duration`` seconds per scenario, after a warm-up) through a Lua script
that rotates over prepared requests:

- (a) hello: ``GET /_bench/hello``, a route added to the app **by this script
  only** (``bench_app``), through the same middleware: the baseline;
- (b) page: a candidate's questionnaire page ``GET /r/<token>/page/<section>``;
- (c) save: the same page ``POST``-ed with a full page of answers (autosave,
  upsert), with a real CSRF token and session cookie fetched once per
  candidate (CSRF stays on); each candidate's page is posted in two versions
  alternately, which differ in ``--changed`` answers (default: every answer
  but the attention check), so every save changes that many stored answers;
- (d) dashboard: the recruiter's engagement dashboard with 5,000 candidates,
  logged in (session cookie);
- reference floors, no target: the save's very requests sent to four
  bench-only routes, ``post-floor`` (session, CSRF check, form parsed, a
  redirect), ``read-floor`` (that plus the link checked and the answers
  read), ``check-floor`` (that plus every answer checked and the next
  page's redirect: everything the save does but write) and ``raw-floor``
  (that plus the save's writes as hand-written SQL on the bare driver
  connection).

Each scenario runs in ``--rounds`` slices that alternate with slices of the
baseline, so both see the same machine load; its ratio is its requests per
second (answers below 400 only) over the baseline's of the same slices.
Targets: (b) and (c) ≥ 40% of (a)'s requests per second, (d) ≥ 20%.
Prints a table and writes ``bench/results/web.json``. Everything stays on
127.0.0.1; every load run is bounded in time and stops by itself. Not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # so that bench/scoring.py never shadows the scoring package

from bench import common  # noqa: E402

HOST = "127.0.0.1"
USER_AGENT = "assessor-bench/1"  # Flask-Login's strong session protection hashes it
PAGE_SECTION = 1  # the second page of the candidate questionnaire (23 likert items)
PAGE_QUESTIONS = 23
TARGETS = {"page": 0.40, "save": 0.40, "dashboard": 0.20}
#: Reference points without a target: the save's POST to bench-only routes that do
#: only the first part of its work (see ``bench_app``).
FLOORS = ("post-floor", "read-floor", "check-floor", "raw-floor")
SCENARIOS = ("hello", "page", "save", "dashboard", *FLOORS)
SETTINGS = ("duration", "rounds", "warmup", "connections", "threads", "workers", "changed")


def bench_app() -> Any:
    """The product's app plus a bench-only ``/_bench/hello`` route (gunicorn entry point)."""
    from assessor import create_app

    app = create_app(
        {
            "SECRET_KEY": common.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
        }
    )

    @app.route("/_bench/hello")
    def _bench_hello() -> str:
        return "Hello, world!"

    from flask import redirect, request, url_for

    from assessor.extensions import db
    from assessor.forms.questionnaire import field_name
    from assessor.services import invitations, responses
    from questionnaires.flow import missing_required, parse_answer

    @app.post("/_bench/post-floor/r/<token>/page/<section_key>")
    def _bench_post_floor(token: str, section_key: str) -> Any:
        """What any page of answers POST costs before its own work: the session,
        the CSRF check (CSRFProtect, before the view), the form parsed."""
        request.form.get("action")
        return redirect("/_bench/hello")

    @app.post("/_bench/read-floor/r/<token>/page/<section_key>")
    def _bench_read_floor(token: str, section_key: str) -> Any:
        """The floor plus what the save reads first: the link checked, its
        instrument, the stored answers. No validation, no writes."""
        assignment = invitations.resolve_token(token)
        responses.instrument_of(assignment)
        responses.answers_of(assignment)
        request.form.get("action")
        return redirect("/_bench/hello")

    def checked(token: str, section_key: str) -> tuple[Any, Any, dict[str, Any], str]:
        assignment = invitations.resolve_token(token)
        instrument = responses.instrument_of(assignment)
        answers = responses.answers_of(assignment)
        section = responses.section_by_key(instrument, section_key)
        assert section is not None
        merged = dict(answers)
        for item in section.items:
            merged[item.key] = parse_answer(item, request.form.get(field_name(item)))
        missing_required([section], merged)
        following = responses.next_section(instrument, merged, section.key)
        assert following is not None
        return (
            assignment,
            section,
            merged,
            url_for("respond.page", token=token, section_key=following.key),
        )

    @app.post("/_bench/check-floor/r/<token>/page/<section_key>")
    def _bench_check_floor(token: str, section_key: str) -> Any:
        """The read floor plus everything the save does but write: each answer
        checked, the next page found, the redirect to it built."""
        return redirect(checked(token, section_key)[3])

    @app.post("/_bench/raw-floor/r/<token>/page/<section_key>")
    def _bench_raw_floor(token: str, section_key: str) -> Any:
        """The check floor plus the save's writes as hand-written SQL on the bare
        driver connection: the claim, every answer upserted, the page time added
        (committed by the same boundary). What the save would cost without the ORM
        and SQLAlchemy's statement handling."""
        assignment, section, merged, target = checked(token, section_key)
        connection = db.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        p = "?" if sqlite else "%s"
        now = datetime.now(UTC)
        stamp = now.replace(tzinfo=None).isoformat(" ") if sqlite else now
        # through SQLAlchemy once, so that SQLite's writer turn is taken as for any write
        connection.exec_driver_sql(
            f"UPDATE assignment SET current_section = {p} WHERE id = {p} AND submitted_at IS NULL",
            (section.key, assignment.id),
        )
        cursor = connection.connection.driver_connection.cursor()
        json_value = p if sqlite else "%s::json"
        cursor.executemany(
            f"INSERT INTO answer (assignment_id, section_key, item_key, value, answered_at) "
            f"VALUES ({p}, {p}, {p}, {json_value}, {p}) ON CONFLICT (assignment_id, item_key) "
            "DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at",
            [
                (assignment.id, section.key, item.key, json.dumps(merged[item.key]), stamp)
                for item in section.items
                if merged[item.key] is not None
            ],
        )
        cursor.execute(
            f"INSERT INTO page_timing (assignment_id, section_key, seconds, saved_at) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (assignment_id, section_key) "
            "DO UPDATE SET seconds = page_timing.seconds + excluded.seconds, "
            "saved_at = excluded.saved_at",
            (assignment.id, section.key, 1.0, stamp),
        )
        return redirect(target)

    return app


# ------------------------------------------------------------------ HTTP helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def fetch(
    port: int, method: str, path: str, cookie: str = "", body: str = ""
) -> tuple[int, dict[str, str], str]:
    """One request on a fresh connection; status, headers (lower-cased), body text."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
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
    raw = headers.get("set-cookie", "")
    if not raw.startswith("session="):
        return previous
    return raw.split(";", 1)[0]


@contextmanager
def gunicorn(database_url: str, workers: int, app_spec: str) -> Iterator[int]:
    """Serve ``bench_app()`` with gunicorn on a free loopback port; stop it afterwards."""
    port = free_port()
    path = os.pathsep.join(p for p in (str(common.ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "PYTHONPATH": path}
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers", str(workers),
        "--bind", f"{HOST}:{port}",
        "--log-level", "warning",
        "--timeout", "60",
        app_spec,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(port, "GET", "/_bench/hello")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ requests
def prepare(port: int, info: dict[str, Any], changed: int) -> dict[str, list[dict[str, Any]]]:
    """The requests of every scenario, each checked once (status) before the load.

    Each candidate's page is posted in two versions that differ in ``changed``
    answers, alternately: every save changes that many stored answers.
    """
    import numpy as np

    import questionnaires
    from assessor.demo import synthetic_answers

    instrument = questionnaires.latest("cco_candidate")
    section = instrument.sections[PAGE_SECTION]
    rng = np.random.default_rng(11)
    pages: list[dict[str, Any]] = []
    saves: list[dict[str, Any]] = []
    for token in info["tokens"]:
        path = f"/r/{token}/page/{section.key}"
        status, headers, html = fetch(port, "GET", path)
        assert status == 200, (status, html[:300])
        cookie = session_cookie(headers)
        csrf = common.csrf_token(html)
        first = synthetic_answers(instrument, rng)
        second = with_changes(section, first, changed)
        bodies = [page_body(section, answers, csrf) for answers in (first, second)]
        for body in bodies:
            status, _, text = fetch(port, "POST", path, cookie=cookie, body=body)
            assert status in (302, 303), (status, text[:300])
        pages.append({"method": "GET", "path": path, "cookie": cookie})
        saves += [{"method": "POST", "path": path, "cookie": cookie, "body": b} for b in bodies]
    # Each candidate's two pages alternate (the rotation visits every candidate in
    # between), so every POST finds the other page's answers stored.
    saves = saves[0::2] + saves[1::2]

    status, headers, html = fetch(port, "GET", "/login")
    cookie = session_cookie(headers)
    body = urllib.parse.urlencode(
        {
            "email": common.RECRUITER,
            "password": common.PASSWORD,
            "csrf_token": common.csrf_token(html),
        }
    )
    status, headers, _ = fetch(port, "POST", "/login", cookie=cookie, body=body)
    assert status in (302, 303), status
    cookie = session_cookie(headers, cookie)
    dashboard = f"/engagements/{info['engagement_id']}/candidates"
    status, _, html = fetch(port, "GET", dashboard, cookie=cookie)
    assert status == 200 and f"({info['candidates_total']} candidates)" in html, status
    return {
        "hello": [{"method": "GET", "path": "/_bench/hello", "cookie": ""}],
        "page": pages,
        "save": saves,
        **{
            floor: [{**r, "path": f"/_bench/{floor}{r['path']}"} for r in saves] for floor in FLOORS
        },
        "dashboard": [{"method": "GET", "path": dashboard, "cookie": cookie}],
    }


def with_changes(section: Any, answers: dict[str, Any], changed: int) -> dict[str, Any]:
    """``answers`` with the first ``changed`` rating questions of ``section`` answered
    differently (attention checks keep their expected answer)."""
    other = dict(answers)
    items = [i for i in section.items if i.type in ("likert", "rating") and i.attention is None]
    for item in items[:changed]:
        other[item.key] = answers[item.key] % (item.points or 5) + 1
    return other


def page_body(section: Any, answers: dict[str, Any], csrf: str) -> str:
    """The urlencoded POST of one page, as the browser sends it with "Save and continue"."""
    from assessor.forms.questionnaire import field_name

    fields: list[tuple[str, str]] = [("csrf_token", csrf)]
    fields.append(("page_started", f"{time.time() - 120:.3f}"))
    for item in section.items:
        value = answers.get(item.key)
        values = value if isinstance(value, list) else [value]
        fields += [(field_name(item), str(v)) for v in values if v is not None]
    fields.append(("action", "next"))
    return urllib.parse.urlencode(fields)


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def lua_script(requests: list[dict[str, Any]]) -> str:
    """A wrk script that rotates over ``requests`` and prints its summary as JSON."""
    entries = []
    for r in requests:
        headers = {"User-Agent": USER_AGENT}
        if r.get("cookie"):
            headers["Cookie"] = r["cookie"]
        if r.get("body"):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        lua_headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        body = lua_string(r["body"]) if r.get("body") else "nil"
        entries.append(
            f"  {{method = {lua_string(r['method'])}, path = {lua_string(r['path'])}, "
            f"headers = {{{lua_headers}}}, body = {body}}},"
        )
    return "\n".join(["local reqs = {", *entries, "}", LUA_BODY])


LUA_BODY = r"""
local i = 0
request = function()
  i = i % #reqs + 1
  local r = reqs[i]
  return wrk.format(r.method, r.path, r.headers, r.body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def run_wrk(
    port: int, script: Path, seconds: float, connections: int, threads: int
) -> dict[str, Any]:
    cmd = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), f"http://{HOST}:{port}",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    figures = json.loads(line.removeprefix("BENCHJSON "))
    duration = figures["duration_us"] / 1e6
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": figures["requests"],
        "seconds": round(duration, 2),
        # only answers below 400 count: a request that failed is not throughput
        "rps": (figures["requests"] - figures["status"]) / duration,
        "all_rps": figures["requests"] / duration,
        "p50_ms": figures["p50_us"] / 1000,
        "p90_ms": figures["p90_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        "errors": errors,
        "non_2xx_3xx": figures["status"],
        # gunicorn's sync workers close every connection after the response; wrk
        # counts those closes as read errors when it reuses the socket.
        "read_errors": figures["read"],
    }


# ------------------------------------------------------------------ one database
def bench_database(
    name: str, database_url: str, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    from assessor.extensions import db

    t0 = time.perf_counter()
    app = common.make_app(database_url)
    info = common.load_demo(app, candidates=args.candidates, in_progress=args.respondents)
    with app.app_context():
        from sqlalchemy import func, select

        from assessor.models import Assignment

        info["candidates_total"] = db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.engagement_id == info["engagement_id"], Assignment.kind == "candidate"
            )
        )
        db.engine.dispose()
    setup = time.perf_counter() - t0
    print(f"[{name}] data ready in {setup:.1f} s: {info['candidates_total']:,} candidates")
    results: dict[str, Any] = {}
    baselines: dict[str, dict[str, Any]] = {}
    chosen = [s for s in SCENARIOS if s in args.scenarios and s != "hello"]
    with gunicorn(database_url, args.workers, args.app) as port:
        scenarios = prepare(port, info, args.changed)
        scripts = {}
        for scenario in ("hello", *chosen):
            scripts[scenario] = workdir / f"{name}-{scenario}.lua"
            scripts[scenario].write_text(lua_script(scenarios[scenario]))
        slice_seconds = args.duration / args.rounds
        for scenario in chosen:
            # warm-up: every worker builds its pool cache, compiles templates, connects
            run_wrk(port, scripts[scenario], args.warmup, args.connections, args.threads)
            # the scenario and the baseline alternate in short slices, so that both
            # see the same machine load (other processes come and go on a shared box)
            pairs = [
                (
                    run_wrk(port, scripts["hello"], slice_seconds, args.connections, args.threads),
                    run_wrk(port, scripts[scenario], slice_seconds, args.connections, args.threads),
                )
                for _ in range(args.rounds)
            ]
            baselines[scenario] = merge([h for h, _ in pairs])
            results[scenario] = merge([r for _, r in pairs])
            b, r = baselines[scenario], results[scenario]
            print(
                f"[{name}] {scenario:<10} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                f"p99 {r['p99_ms']:7.1f} ms  ({r['requests']} requests, {r['non_2xx_3xx']} "
                f"failed) | hello {b['rps']:7.1f} req/s  p50 {b['p50_ms']:5.1f} ms  "
                f"p99 {b['p99_ms']:5.1f} ms  → {r['rps'] / b['rps']:.3f}×"
            )
    ratios = {s: results[s]["rps"] / baselines[s]["rps"] for s in chosen}
    return {
        "setup_seconds": round(setup, 1),
        "candidates": info["candidates_total"],
        "respondents": len(info["tokens"]),
        "scenarios": results,
        "baselines": baselines,
        "ratio_to_hello": ratios,
        "targets": {s: TARGETS[s] for s in chosen if s in TARGETS},
        "met": {s: ratios[s] >= TARGETS[s] for s in chosen if s in TARGETS},
    }


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several slices of one scenario: summed counts; median p50, worst p99 and max."""
    seconds = sum(r["seconds"] for r in runs)
    ok = sum(r["requests"] - r["non_2xx_3xx"] for r in runs)
    return {
        "requests": sum(r["requests"] for r in runs),
        "seconds": round(seconds, 2),
        "rps": ok / seconds,
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "max_ms": max(r["max_ms"] for r in runs),
        "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs),
        "slices": [round(r["rps"], 1) for r in runs],
    }


def print_table(figures: dict[str, Any]) -> None:
    print()
    print(f"{'database':<11}{'scenario':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'hello/s':>9}{'× hello':>9}{'target':>9}  verdict")  # fmt: skip
    for name, result in figures["databases"].items():
        for scenario, r in result["scenarios"].items():
            b = result["baselines"][scenario]
            ratio, target = result["ratio_to_hello"][scenario], TARGETS.get(scenario)
            goal = f"≥ {target:.2f}" if target else "—"
            print(
                f"{name:<11}{scenario:<12}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                f"{b['rps']:>9.1f}{ratio:>9.3f}{goal:>9}  "
                f"{common.verdict(ratio >= target) if target else 'reference'}"
                + (f" ({r['non_2xx_3xx']} failed)" if r["non_2xx_3xx"] else "")
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (SQLite, 2 s each)")
    ap.add_argument("--duration", type=float, default=12.0, help="seconds per scenario")
    ap.add_argument("--rounds", type=int, default=3, help="baseline/scenario alternations")
    ap.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per scenario")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--candidates", type=int, default=5000)
    ap.add_argument("--respondents", type=int, default=20, help="in-progress candidates")
    ap.add_argument(
        "--changed",
        type=int,
        default=PAGE_QUESTIONS,
        help="answers each save changes (default: all; the page is posted in two versions)",
    )
    ap.add_argument("--databases", default="sqlite,postgresql")
    ap.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="subset of " + ",".join(SCENARIOS)
    )
    ap.add_argument("--app", default="bench.web:bench_app()", help="gunicorn app (experiments)")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.respondents, args.rounds = 2.0, 2.0, 4, 1
        args.databases = "sqlite"
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    facts = common.machine_facts()
    figures: dict[str, Any] = {
        "command": "bench/web.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": facts,
        "settings": {k: getattr(args, k) for k in SETTINGS},
        "load_generator": subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True
        ).stdout.splitlines()[0:1],
        "databases": {},
    }
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-")))
        for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
            if name == "sqlite":
                url = stack.enter_context(common.sqlite_url(workdir))
            elif name == "postgresql":
                version = common.postgres_available()
                if version is None:
                    print("[postgresql] not answering at 127.0.0.1:5432; skipped")
                    continue
                facts["postgresql"] = version
                url = stack.enter_context(common.postgres_url())
            else:
                sys.exit(f"unknown database {name!r}")
            figures["databases"][name] = bench_database(name, url, args, workdir)
    print_table(figures)
    common.write_results("web-quick" if args.quick else "web", figures)
    return figures


if __name__ == "__main__":
    main()
