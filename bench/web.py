"""Benchmark: the web app under gunicorn, each figure against an honest limit in the same run.

Run:  .venv/bin/python bench/web.py [--quick] [--databases sqlite,postgresql]
                                    [--candidates 50000] [--scenarios ...]

For each database (a SQLite file; a throw-away PostgreSQL database on the local
service at 127.0.0.1:5432 when it answers) the script loads the demo, 2 × 50
in-progress candidates (consented, first page answered) and scored candidates
through ``assessor.demo.add_scored_candidates``, then serves the product
(``assessor:create_app()``) and the bare app of ``bench/bare.py`` with the same
gunicorn command (2 sync workers) on 127.0.0.1. The limits are the bare app's:
``/hello`` (Flask and gunicorn alone), ``/page-select`` (one dashboard page as
one bare SELECT) and ``/raw-save`` (a save's writes on the raw driver).

Throughput (``wrk``, in slices that alternate with the slices of the limits,
so that both see the same load on a shared machine; at ``--candidates``):

- page: a candidate's questionnaire page GET, against hello;
- save: that page POSTed (autosave; each save changes every answer), against
  hello and against raw-save (the same bodies, other candidates);
- dashboard: the recruiter's dashboard, default view, against hello and
  page-select;
- candidate: a candidate's page (20 candidates in turn), against hello and
  the dashboard;
- save-c50: the save with 50 connections, each a different candidate (a wrk
  thread each): p50, p99 and p99/p50; raw-save the same way beside it.

Not wrk (one request at a time on a fresh connection; gunicorn's access log,
on only here, says which worker answered):

- first-view: a change through the product (a pipeline move of one
  candidate, as the recruiter), then dashboard GETs (or, every other time,
  the moved candidate's page, where the browser goes next) until each worker
  has answered twice: the first answer of each worker is the first view after
  the change, the second a warm one; then bare page-selects. Repeated
  ``--first-view-reps`` times within ``--first-view-budget`` seconds;
- rss: at each of ``--rss-levels`` candidates (the pool grows between them),
  a fresh server gets a warm load (dashboard views and sorts, candidate pages,
  two changes each followed by views on both workers); then each worker's
  VmRSS (and VmHWM, its peak) from /proc.

Prints a table and writes ``bench/results/web.json``. Everything stays on
127.0.0.1; every load is bounded in time or count and stops by itself. A
benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # so that bench/scoring.py never shadows the scoring package

from bench import bare, common  # noqa: E402

PAGE_SECTION = 1  # the second page of the candidate questionnaire (23 likert items)
PAGE_QUESTIONS = 23
CANDIDATE_PAGES = 20  # the candidate scenario rotates over this many scored candidates
#: Each throughput scenario and the loads it is compared with, slice by slice.
GROUPS: dict[str, tuple[str, ...]] = {
    "page": ("hello",),
    "save": ("hello", "raw-save"),
    "dashboard": ("hello", "page-select"),
    "candidate": ("hello", "dashboard"),
    "save-c50": ("raw-save-c50",),
}
SCENARIOS = (*GROUPS, "first-view", "rss")
SETTINGS = (
    "candidates", "rss_levels", "respondents", "duration", "rounds", "warmup",
    "connections", "first_view_reps", "first_view_budget", "changed",
)  # fmt: skip


@dataclass
class Load:
    """What one wrk run sends, and where: requests in rotation, or with
    ``per_connection`` one wrk thread and connection per request pair."""

    port: int
    requests: list[dict[str, Any]]
    connections: int = 4
    per_connection: bool = False
    script: Path | None = field(default=None, repr=False)


# ------------------------------------------------------------------ wrk
def lua_request(r: dict[str, Any]) -> str:
    headers = {"User-Agent": common.USER_AGENT}
    if r.get("cookie"):
        headers["Cookie"] = r["cookie"]
    if r.get("body"):
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    lua_headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    body = json.dumps(r["body"]) if r.get("body") else "nil"  # JSON strings are Lua strings here
    return (
        f"{{method = {json.dumps(r['method'])}, path = {json.dumps(r['path'])}, "
        f"headers = {{{lua_headers}}}, body = {body}}}"
    )


def lua_script(load: Load) -> str:
    """A wrk script: a rotation over the requests, or a pair of requests per
    thread (``thread:set`` gives each thread its slot), alternating; the summary
    is printed as JSON."""
    if load.per_connection:
        pairs = [load.requests[i : i + 2] for i in range(0, len(load.requests), 2)]
        entries = ["{" + ", ".join(lua_request(r) for r in pair) + "}," for pair in pairs]
        body = LUA_PER_CONNECTION
    else:
        entries = [lua_request(r) + "," for r in load.requests]
        body = LUA_ROTATION
    return "\n".join(["local reqs = {", *entries, "}", body, LUA_DONE])


LUA_ROTATION = r"""
local i = 0
request = function()
  i = i % #reqs + 1
  local r = reqs[i]
  return wrk.format(r.method, r.path, r.headers, r.body)
end
"""
LUA_PER_CONNECTION = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("slot", threads)
end
local i = 0
request = function()
  local pair = reqs[(slot - 1) % #reqs + 1]
  i = i % #pair + 1
  local r = pair[i]
  return wrk.format(r.method, r.path, r.headers, r.body)
end
"""
LUA_DONE = r"""
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


def run_wrk(load: Load, seconds: float) -> dict[str, Any]:
    """One wrk run of ``load``; requests per second count answers below 400 only."""
    assert load.script is not None
    threads = load.connections if load.per_connection else 1
    cmd = [
        "wrk", "-t", str(threads), "-c", str(load.connections),
        "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(load.script), f"http://{common.HOST}:{load.port}",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    figures = json.loads(line.removeprefix("BENCHJSON "))
    duration = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "seconds": duration,
        "rps": (figures["requests"] - figures["status"]) / duration,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        # answers of 400 and above, timeouts, refused connections. Not read errors:
        # gunicorn's sync workers close every connection after its answer.
        "errors": figures["status"] + figures["timeout"] + figures["connect"] + figures["write"],
    }


def merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Slices of one load: summed counts, the median slice's p50, the worst slice's p99."""
    seconds = sum(r["seconds"] for r in runs)
    ok = sum(r["rps"] * r["seconds"] for r in runs)
    return {
        "requests": sum(r["requests"] for r in runs),
        "seconds": round(seconds, 2),
        "rps": ok / seconds,
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "max_ms": max(r["max_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "slices": [round(r["rps"], 1) for r in runs],
    }


def throughput(loads: dict[str, Load], args: argparse.Namespace) -> dict[str, Any]:
    """Each chosen group: a warm-up of every load, then ``--rounds`` rounds of one
    slice of each limit followed by one of the scenario; ratios over the same slices."""
    out: dict[str, Any] = {}
    slice_seconds = args.duration / args.rounds
    for scenario, limits in GROUPS.items():
        if scenario not in args.scenarios:
            continue
        members = (*limits, scenario)
        for name in members:
            run_wrk(loads[name], args.warmup)
        slices: dict[str, list[dict[str, Any]]] = {name: [] for name in members}
        for _ in range(args.rounds):
            for name in members:
                slices[name].append(run_wrk(loads[name], slice_seconds))
        figures = {name: merge(runs) for name, runs in slices.items()}
        result = figures[scenario]
        out[scenario] = {
            **result,
            "limits": {name: figures[name] for name in limits},
            "ratio": {name: result["rps"] / figures[name]["rps"] for name in limits},
        }
        against = "  ".join(
            f"{name} {figures[name]['rps']:.0f}/s → {out[scenario]['ratio'][name]:.3f}×"
            for name in limits
        )
        print(
            f"  {scenario:<10} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
            f"p99 {result['p99_ms']:7.1f} ms  errors {result['errors']} | {against}",
            flush=True,
        )
    return out


# ------------------------------------------------------------------ preparing requests
@dataclass
class Site:
    """What the scenarios need to know about one database's data."""

    engagement_id: int
    savers: list[tuple[int, str]]  # in-progress candidates the product's saves go to
    raw_savers: list[tuple[int, str]]  # in-progress candidates the raw saves go to
    scored: list[int]  # scored candidates whose pages are viewed
    moved: int  # the candidate the first-view changes move back and forth
    recruiter: str = ""  # session cookie
    csrf: str = ""  # the recruiter's CSRF token
    bodies: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id -> cookie, A, B

    @property
    def dashboard(self) -> str:
        return f"/engagements/{self.engagement_id}/candidates"

    def candidate(self, assignment_id: int) -> str:
        return f"/engagements/{self.engagement_id}/candidates/{assignment_id}"


def page_path(token: str) -> str:
    import questionnaires

    section = questionnaires.latest("cco_candidate").sections[PAGE_SECTION]
    return f"/r/{token}/page/{section.key}"


def prepare(server: common.Server, site: Site, changed: int) -> None:
    """Sign the recruiter in; for every in-progress candidate fetch the page once
    (session cookie, CSRF token) and post its two versions once, checking each answer.

    Each candidate's page is posted in two versions that differ in ``changed``
    answers, alternately, so every save changes that many stored answers.
    """
    import numpy as np

    import questionnaires
    from assessor.demo import synthetic_answers

    instrument = questionnaires.latest("cco_candidate")
    section = instrument.sections[PAGE_SECTION]
    rng = np.random.default_rng(11)
    for aid, token in site.savers + site.raw_savers:
        path = page_path(token)
        status, headers, html = server.fetch("GET", path)
        assert status == 200, (status, html[:300])
        cookie = common.session_cookie(headers)
        csrf = common.csrf_token(html)
        first = synthetic_answers(instrument, rng)
        second = with_changes(section, first, changed)
        bodies = (page_body(section, first, csrf), page_body(section, second, csrf))
        for body in bodies:
            status, _, text = server.fetch("POST", path, cookie=cookie, body=body)
            assert status in (302, 303), (status, text[:300])
        site.bodies[aid] = (cookie, *bodies)
    site.recruiter = common.login_cookie(server)
    status, _, html = server.fetch("GET", site.dashboard, cookie=site.recruiter)
    assert status == 200, status
    site.csrf = common.csrf_token(html)
    for aid in site.scored:
        status, _, html = server.fetch("GET", site.candidate(aid), cookie=site.recruiter)
        assert status == 200, (status, html[:300])


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


def loads_for(
    site: Site, product: int, bare_port: int, args: argparse.Namespace
) -> dict[str, Load]:
    """Every wrk load, keyed by scenario or limit name."""

    def saves(who: list[tuple[int, str]], raw: bool) -> list[dict[str, Any]]:
        out = []
        for aid, token in who:
            cookie, first, second = site.bodies[aid]
            path = page_path(token)
            if raw:
                path = f"/raw-save/{aid}/page/{path.rsplit('/', 1)[1]}"
            out.append([{"method": "POST", "path": path, "cookie": cookie, "body": b}
                        for b in (first, second)])  # fmt: skip
        return [r for pair in out for r in pair]

    def rotation(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # every candidate's first version, then every second one: the rotation
        # visits every other candidate in between, and each POST finds the
        # other version stored
        return pairs[0::2] + pairs[1::2]

    c, get = args.connections, "GET"
    loads = {
        "hello": Load(bare_port, [{"method": get, "path": "/hello"}], c),
        "page-select": Load(bare_port, [{"method": get, "path": "/page-select"}], c),
        "raw-save": Load(bare_port, rotation(saves(site.raw_savers, raw=True)), c),
        "raw-save-c50": Load(bare_port, saves(site.raw_savers, raw=True), 0, True),
        "page": Load(
            product,
            [
                {"method": get, "path": page_path(t), "cookie": site.bodies[a][0]}
                for a, t in site.savers
            ],
            c,
        ),
        "save": Load(product, rotation(saves(site.savers, raw=False)), c),
        "save-c50": Load(product, saves(site.savers, raw=False), 0, True),
        "dashboard": Load(
            product, [{"method": get, "path": site.dashboard, "cookie": site.recruiter}], c
        ),
        "candidate": Load(
            product,
            [
                {"method": get, "path": site.candidate(a), "cookie": site.recruiter}
                for a in site.scored
            ],
            c,
        ),
    }
    for name in ("raw-save-c50", "save-c50"):
        loads[name].connections = len(loads[name].requests) // 2
    return loads


# ------------------------------------------------------------------ views one at a time
def timed(
    server: common.Server | int, method: str, path: str, cookie: str = "", body: str = ""
) -> float:
    """Seconds for one request on a fresh connection, answer read whole."""
    t0 = time.perf_counter()
    if isinstance(server, common.Server):
        status, _, text = server.fetch(method, path, cookie=cookie, body=body)
    else:
        status, _, text = common.fetch(server, method, path, cookie=cookie, body=body)
    elapsed = time.perf_counter() - t0
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status} {text[:200]}")
    return elapsed


def on_each_worker(
    server: common.Server, path: str, cookie: str, need: int, cap: int = 12
) -> list[dict[str, Any]]:
    """GET ``path`` one request at a time until every worker answered it ``need``
    times (at most ``cap`` requests): who answered, the how-manieth, how long."""
    workers = server.workers()
    seen: Counter[int] = Counter()
    views: list[dict[str, Any]] = []
    for _ in range(cap):
        t0 = time.perf_counter()
        try:
            seconds = timed(server, "GET", path, cookie=cookie)
        except (OSError, RuntimeError) as exc:
            # e.g. a worker killed by gunicorn's timeout: note it, go on with the rest
            failed = {"path": path, "seconds": time.perf_counter() - t0, "error": repr(exc)}
            print(f"    failed: GET {path} after {failed['seconds']:.1f} s: {exc!r}", flush=True)
            server.failures.append(failed)
            server.resync()
            break
        pid, in_server = server.last_served()
        seen[pid] += 1
        views.append({"worker": pid, "nth": seen[pid], "seconds": seconds, "server": in_server})
        if all(seen[w] >= need for w in workers):
            break
    return views


def change(server: common.Server, site: Site, rep: int) -> float:
    """A pipeline move of ``site.moved`` (shortlist, then back), as the recruiter."""
    body = urllib.parse.urlencode(
        {"csrf_token": site.csrf, "action": ("shortlist", "reopen")[rep % 2]}
    )
    path = f"{site.candidate(site.moved)}/move"
    seconds = timed(server, "POST", path, cookie=site.recruiter, body=body)
    server.last_served()
    return seconds


def warm_load(server: common.Server, site: Site) -> dict[str, Any]:
    """The same load at every pool size before RSS is read: dashboard views and
    sorts on every worker, candidate pages, two changes each followed by views."""
    t0 = time.perf_counter()
    cookie = site.recruiter
    for query in ("", "?page=2", "?page=3", "?sort=name", "?sort=status", "?sort=invited"):
        on_each_worker(server, site.dashboard + query, cookie, need=1, cap=8)
    for aid in site.scored[:10]:
        on_each_worker(server, site.candidate(aid), cookie, need=1, cap=6)
    for rep in range(2):
        change(server, site, rep)
        on_each_worker(server, site.dashboard, cookie, need=1, cap=8)
        on_each_worker(server, site.candidate(site.moved), cookie, need=1, cap=8)
    return {"seconds": round(time.perf_counter() - t0, 1)}


def first_views(
    server: common.Server, bare_port: int, site: Site, args: argparse.Namespace
) -> dict[str, Any]:
    """Changes, each followed by the next views on every worker, and bare page-selects."""
    deadline = time.monotonic() + args.first_view_budget
    views: dict[str, list[dict[str, Any]]] = {"dashboard": [], "candidate": []}  # by rep
    selects: list[float] = []
    changes: list[float] = []
    reps = 0
    for rep in range(args.first_view_reps):
        if rep >= 4 and time.monotonic() > deadline:
            break  # at least two of each, then within the budget
        page = ("dashboard", "candidate")[(rep // 2) % 2]
        path = site.dashboard if page == "dashboard" else site.candidate(site.moved)
        changes.append(change(server, site, rep))
        views[page].append(on_each_worker(server, path, site.recruiter, need=2))
        selects += [timed(bare_port, "GET", "/page-select") for _ in range(4)]
        reps += 1
    out: dict[str, Any] = {
        "reps": reps,
        "change_ms": summary(changes),
        "page_select_ms": summary(selects),
    }
    for page, reps_seen in views.items():
        seen = [v for rep_views in reps_seen for v in rep_views]
        first = [v["seconds"] for v in seen if v["nth"] == 1]
        warm = [v["seconds"] for v in seen if v["nth"] >= 2]
        out[page] = {"first_ms": summary(first), "warm_ms": summary(warm), "views": reps_seen}
        if first and warm:
            out[page]["first_over_warm"] = statistics.median(first) / statistics.median(warm)
            out[page]["first_over_select"] = statistics.median(first) / statistics.median(selects)
            out[page]["warm_over_select"] = statistics.median(warm) / statistics.median(selects)
    return out


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, 90th percentile and worst, in milliseconds."""
    if not seconds:
        return {}
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median": statistics.median(ordered) * 1000,
        "p90": p90 * 1000,
        "max": ordered[-1] * 1000,
    }


def prime(port: int, paths: list[str], cookie: str) -> None:
    """Every path twice on two connections at once, so that each worker has
    built its caches before wrk's 10 s timeout applies."""
    with ThreadPoolExecutor(2) as pool:
        for path in paths:
            for _ in range(2):
                list(pool.map(lambda p: timed(port, "GET", p, cookie=cookie), [path, path]))


# ------------------------------------------------------------------ one database
def bench_database(name: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Everything chosen, on one database, at every pool size asked for."""
    from sqlalchemy import func, select

    from assessor.extensions import db
    from assessor.models import Assignment, Engagement

    t0 = time.perf_counter()
    app = common.make_app(url)
    engagement_id = common.load_demo(app)["engagement_id"]
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        savers = common.add_in_progress(engagement, args.respondents, "Bench Saver")
        raw_savers = common.add_in_progress(engagement, args.respondents, "Bench Raw Saver")
    setup = {"demo_and_in_progress_s": round(time.perf_counter() - t0, 1)}
    conn = bare.connect(url)
    order = bare.page_order(conn)
    conn.close()
    print(f"[{name}] demo and in-progress candidates in {setup['demo_and_in_progress_s']} s; "
          f"bare page-select ORDER BY {order}", flush=True)  # fmt: skip

    levels = sorted({*args.rss_levels, args.candidates})
    product_env = {
        "DATABASE_URL": url,
        "SECRET_KEY": common.SECRET_KEY,
        "ASSESSOR_ENV": "production",
    }
    bare_env = {"BENCH_DATABASE_URL": url, "BENCH_ENGAGEMENT_ID": str(engagement_id)}
    result: dict[str, Any] = {"setup": setup, "page_order": order, "levels": {}}
    site: Site | None = None
    seeded = 0
    with common.Server("bench.bare:create_app()", bare_env, probe="/hello") as bare_server:
        for step, level in enumerate(levels):
            seconds = common.add_scored(app, engagement_id, level - seeded, seed=step + 1)
            seeded = level
            with app.app_context():
                total = db.session.scalar(
                    select(func.count(Assignment.id)).where(
                        Assignment.engagement_id == engagement_id, Assignment.kind == "candidate"
                    )
                )
                if site is None:
                    scored = db.session.scalars(
                        select(Assignment.id)
                        .where(
                            Assignment.engagement_id == engagement_id,
                            Assignment.kind == "candidate",
                            Assignment.submitted_at.is_not(None),
                        )
                        .order_by(Assignment.id)
                        .limit(CANDIDATE_PAGES + 1)
                    ).all()
                    site = Site(engagement_id, savers, raw_savers, list(scored[1:]), scored[0])
                db.engine.dispose()
            setup[f"seed_{level}_s"] = round(seconds, 1)
            print(f"[{name}] {level:,} scored candidates ({total:,} in all), "
                  f"seeded in {seconds:.1f} s", flush=True)  # fmt: skip
            figures: dict[str, Any] = {"candidates": total}
            result["levels"][level] = figures
            log = workdir / f"{name}-{level}-access.log"
            with common.Server("assessor:create_app()", product_env, access_log=log) as product:
                if not site.bodies:
                    prepare(product, site, args.changed)
                if "rss" in args.scenarios:
                    figures["warm_load"] = warm_load(product, site)
                    figures["rss"] = rss_figures(product)
                    print(f"[{name}]   worker RSS after the warm load: "
                          f"{figures['rss']['max_rss_mb']:.0f} MB (peak "
                          f"{figures['rss']['max_peak_mb']:.0f} MB), warm load "
                          f"{figures['warm_load']['seconds']} s", flush=True)  # fmt: skip
                if level == args.candidates and "first-view" in args.scenarios:
                    fv = first_views(product, bare_server.port, site, args)
                    result["first_view"] = fv
                    print_first_views(name, fv)
                figures["failed_requests"] = product.failures
            if level == args.candidates and any(s in GROUPS for s in args.scenarios):
                with common.Server("assessor:create_app()", product_env) as product:
                    loads = loads_for(site, product.port, bare_server.port, args)
                    for key, load in loads.items():
                        load.script = workdir / f"{name}-{key}.lua"
                        load.script.write_text(lua_script(load))
                    prime(product.port, [site.dashboard, *map(site.candidate, site.scored[:2])],
                          site.recruiter)  # fmt: skip
                    print(f"[{name}] throughput at {level:,} candidates", flush=True)
                    result["throughput"] = throughput(loads, args)
    result["rss_ratio"] = rss_ratio(result["levels"])
    return result


def rss_figures(server: common.Server) -> dict[str, Any]:
    workers = server.memory()
    return {
        "workers": {str(pid): figures for pid, figures in workers.items()},
        "max_rss_mb": max(f["rss_mb"] for f in workers.values()),
        "max_peak_mb": max(f["peak_mb"] for f in workers.values()),
    }


def rss_ratio(levels: dict[int, dict[str, Any]]) -> float | None:
    """The largest worker's RSS at the largest pool over that at the smallest."""
    measured = [level for level in sorted(levels) if "rss" in levels[level]]
    if len(measured) < 2:
        return None
    low, high = levels[measured[0]]["rss"], levels[measured[-1]]["rss"]
    return float(high["max_rss_mb"] / low["max_rss_mb"])


def print_first_views(name: str, fv: dict[str, Any]) -> None:
    print(f"[{name}] first view after a change, {fv['reps']} changes; bare page-select "
          f"median {fv['page_select_ms'].get('median', 0):.1f} ms", flush=True)  # fmt: skip
    for page in ("dashboard", "candidate"):
        f = fv[page]
        if not f.get("first_ms") or not f.get("warm_ms"):
            continue
        print(
            f"  {page:<10} first median {f['first_ms']['median']:8.1f} ms  p90 "
            f"{f['first_ms']['p90']:8.1f} ms | warm median {f['warm_ms']['median']:6.1f} ms  "
            f"p90 {f['warm_ms']['p90']:6.1f} ms | first/warm {f['first_over_warm']:.2f}×  "
            f"first/page-select {f['first_over_select']:.2f}×",
            flush=True,
        )


# ------------------------------------------------------------------ targets and table
def targets(result: dict[str, Any], before: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The issue's targets for one database: (what, figure, target, met)."""
    rows: list[dict[str, Any]] = []

    def add(what: str, value: float | None, goal: str, ok: bool | None) -> None:
        rows.append({"what": what, "value": value, "target": goal, "met": ok})

    tp = result.get("throughput", {})
    if "dashboard" in tp:
        r = tp["dashboard"]["ratio"]["page-select"]
        add("dashboard warm, req/s × page-select", r, "≥ 0.20 (within 5×)", r >= 0.2)
    fv = result.get("first_view", {})
    dash = fv.get("dashboard", {})
    if "first_over_select" in dash:
        r = dash["first_over_select"]
        add("dashboard first after a change, time ÷ page-select", r, "≤ 5", r <= 5)
        r = dash["first_over_warm"]
        add("dashboard first after a change ÷ warm", r, "≤ 2", r <= 2)
    if "first_over_warm" in fv.get("candidate", {}):
        add("candidate page first after a change ÷ warm", fv["candidate"]["first_over_warm"],
            "—", None)  # fmt: skip
    if result.get("rss_ratio") is not None:
        r = result["rss_ratio"]
        add("worker RSS, largest pool ÷ smallest", r, "≤ 1.5", r <= 1.5)
    if "candidate" in tp:
        r = tp["candidate"]["ratio"]["dashboard"]
        add("candidate page req/s × dashboard", r, "≥ 0.5", r >= 0.5)
    if "save-c50" in tp:
        s = tp["save-c50"]
        r = s["p99_ms"] / s["p50_ms"]
        add("save at 50 connections, p99 ÷ p50", r, "≤ 5", r <= 5)
    for scenario in ("page", "save"):
        if scenario not in tp:
            continue
        r = tp[scenario]["ratio"]["hello"]
        old = (before or {}).get("throughput", {}).get(scenario, {}).get("ratio", {}).get("hello")
        goal = f"≥ {old:.3f} (before)" if old else "≥ before"
        add(f"{scenario} req/s × hello", r, goal, r >= old if old else None)
    return rows


def print_table(figures: dict[str, Any]) -> None:
    print()
    for name, result in figures["databases"].items():
        tp = result.get("throughput", {})
        if tp:
            print(f"{name}: throughput at {result['levels'][max(result['levels'])]['candidates']:,}"
                  " candidates")  # fmt: skip
            print(f"  {'scenario':<11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  ratios")
            for scenario, r in tp.items():
                ratios = ", ".join(
                    f"× {lim} ({r['limits'][lim]['rps']:.0f}/s) {v:.3f}"
                    for lim, v in r["ratio"].items()
                )
                print(f"  {scenario:<11}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                      f"{r['errors']:>8}  {ratios}")  # fmt: skip
        rss = [(level, f["rss"]["max_rss_mb"]) for level, f in result["levels"].items()
               if "rss" in f]  # fmt: skip
        if rss:
            print(f"{name}: worker RSS (MB, largest worker) "
                  + ", ".join(f"{level:,}: {mb:.0f}" for level, mb in rss))  # fmt: skip
        print(f"{name}: targets")
        for row in result["targets"]:
            verdict = "—" if row["met"] is None else common.verdict(row["met"])
            print(f"  {row['what']:<48}{row['value']:>9.3f}  {row['target']:<22}{verdict}")
        print()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small and short smoke run (SQLite)")
    ap.add_argument("--databases", help="default sqlite,postgresql (--quick: sqlite)")
    ap.add_argument("--candidates", type=int, default=50_000, help="pool for throughput")
    ap.add_argument("--rss-levels", default="500,5000,50000", help="pools RSS is read at")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help=",".join(SCENARIOS))
    ap.add_argument("--duration", type=float, default=12.0, help="seconds per load and group")
    ap.add_argument("--rounds", type=int, default=3, help="slices per load and group")
    ap.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per load")
    ap.add_argument("--connections", type=int, default=4, help="wrk connections (not c50)")
    ap.add_argument("--respondents", type=int, default=50, help="in-progress candidates ×2")
    ap.add_argument("--first-view-reps", type=int, default=20)
    ap.add_argument("--first-view-budget", type=float, default=300.0, help="seconds")
    ap.add_argument("--changed", type=int, default=PAGE_QUESTIONS, help="answers each save changes")
    ap.add_argument("--before", type=Path, help="a web.json of the earlier code, to compare")
    ap.add_argument("--output", default="", help="results name (default web / web-quick)")
    args = ap.parse_args(argv)
    if args.quick:
        args.candidates, args.rss_levels, args.respondents = 500, "100,500", 10
        args.duration, args.warmup, args.rounds = 2.0, 1.0, 1
        args.first_view_reps, args.first_view_budget = 4, 30.0
    args.databases = args.databases or ("sqlite" if args.quick else "sqlite,postgresql")
    args.rss_levels = [int(x) for x in args.rss_levels.split(",") if x.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the chosen scenarios on each database; print and save the figures."""
    args = parse_args(argv)
    # stopped from outside (e.g. by ``timeout``): unwind, so servers stop and
    # the PostgreSQL database is dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    before = json.loads(args.before.read_text()) if args.before else None
    facts = common.machine_facts()
    figures: dict[str, Any] = {
        "command": "bench/web.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "code": str(common.ROOT),
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
            result = bench_database(name, url, args, workdir)
            old = (before or {}).get("databases", {}).get(name)
            result["targets"] = targets(result, old)
            figures["databases"][name] = result
            common.write_results(args.output or ("web-quick" if args.quick else "web"), figures)
    print_table(figures)
    return figures


if __name__ == "__main__":
    main()
