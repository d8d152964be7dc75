"""Benchmark: what each markup cache saves on the page that uses it (issue #23).

Run:  .venv/bin/python bench/markup.py [--quick] [--requests 500] [--repeats 3] [--candidates 100]

Builds the app on a SQLite file (migrations, demo data, ``--candidates``
scored candidates and one candidate who consented and answered page 1),
signs the demo recruiter in through the test client, and times warm
requests in-process, each page with and without one cache:

- ``field_html`` (removed after this measurement: 1.2 ms of a dashboard, about
  11%, a gain nobody feels, for 70 lines of keying rules) is no longer measured;
- ``question_html`` (kept): the candidate's questionnaire page 1
  (``GET /r/<token>/page/<section>``, answered) and page 2 (unanswered);
  without it, every question is rendered live;
- fixed URLs (removed, was ``fixed_url``): ``url_for`` of the static files and
  of the sign-in page, kept per worker by a memo this script installs;
- signed CSRF token (removed): the token signed once per session secret, by
  a memo this script installs (it ignores the time limit: a measure only).

Each pair runs ``--repeats`` times, interleaved and in alternating order, of
``--requests`` requests each after a warm-up; the figure is the mean CPU time
of this process per request (``time.process_time``: the app, the test client
and SQLite all run in it, and other load on the machine does not count). A
cache pays when it saves at least 10% of its page and 0.1 ms.
Prints a table and writes ``bench/results/markup.json``. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # so that bench/scoring.py never shadows the scoring package

from bench import common  # noqa: E402

FIXED_ENDPOINTS = frozenset({"static", "auth.login"})
MIN_SHARE, MIN_MS = 0.10, 0.1


@contextmanager
def without_question_cache(app: Any) -> Iterator[None]:
    """Every question rendered live."""
    from assessor.forms import questionnaire

    kept = questionnaire.question_html

    def live(instrument: Any, item: Any, value: Any, error: str | None) -> Any:
        return questionnaire._render_question(item, questionnaire.choices(item), value, error)

    questionnaire.question_html = live
    try:
        yield
    finally:
        questionnaire.question_html = kept


@contextmanager
def with_fixed_urls(app: Any) -> Iterator[None]:
    """The removed ``fixed_url``: static and sign-in URLs kept per mount point."""
    from flask import request

    url_for = app.jinja_env.globals["url_for"]
    memo: dict[tuple[Any, ...], str] = {}

    def fixed(endpoint: str, **values: Any) -> str:
        if endpoint not in FIXED_ENDPOINTS:
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, tuple(sorted(values.items())))
        if key not in memo:
            memo[key] = url_for(endpoint, **values)
        return memo[key]

    app.jinja_env.globals["url_for"] = fixed
    try:
        yield
    finally:
        app.jinja_env.globals["url_for"] = url_for


@contextmanager
def with_signed_csrf(app: Any) -> Iterator[None]:
    """The removed CSRF cache: one signed token per session secret and worker."""
    from flask import g, session
    from flask_wtf import csrf

    generate = csrf.generate_csrf
    memo: dict[str, str] = {}

    def signed_once(secret_key: Any = None, token_key: Any = None) -> str:
        raw = session.get("csrf_token")
        if raw is None:
            return generate(secret_key, token_key)
        if raw not in memo:
            memo[raw] = generate(secret_key, token_key)
        g.csrf_token = memo[raw]
        return memo[raw]

    csrf.generate_csrf = signed_once  # what Flask-WTF's processor and forms call
    app.jinja_env.globals["csrf_token"] = signed_once  # what imported macros call
    try:
        yield
    finally:
        csrf.generate_csrf = generate
        app.jinja_env.globals["csrf_token"] = generate


def setup(database_url: str, candidates: int) -> tuple[Any, dict[str, tuple[Any, str]]]:
    """The app, and per page the client that asks for it and its path."""
    import questionnaires

    app = common.make_app(database_url)
    demo = common.load_demo(app, candidates=candidates, in_progress=1)
    recruiter = app.test_client()
    common.login(recruiter)
    candidate = app.test_client()
    token = demo["tokens"][0]
    sections = questionnaires.latest("cco_candidate").sections
    return app, {
        "dashboard": (recruiter, f"/engagements/{demo['engagement_id']}/candidates"),
        "questionnaire p1": (candidate, f"/r/{token}/page/{sections[0].key}"),
        "questionnaire p2": (candidate, f"/r/{token}/page/{sections[1].key}"),
        "sign-in": (app.test_client(), "/login"),
    }


# (page, cache, in the product, the context that turns the product into the other side)
CASES: list[tuple[str, str, bool, Callable[[Any], Any]]] = [
    ("questionnaire p1", "question_html", True, without_question_cache),
    ("questionnaire p2", "question_html", True, without_question_cache),
    ("sign-in", "fixed URLs", False, with_fixed_urls),
    ("questionnaire p1", "fixed URLs", False, with_fixed_urls),
    ("dashboard", "fixed URLs", False, with_fixed_urls),
    ("questionnaire p1", "signed CSRF", False, with_signed_csrf),
    ("dashboard", "signed CSRF", False, with_signed_csrf),
]


def mean_ms(client: Any, path: str, n: int) -> float:
    for _ in range(max(n // 10, 5)):
        client.get(path)
    t = time.process_time()
    for _ in range(n):
        response = client.get(path)
    elapsed = time.process_time() - t
    assert response.status_code == 200, (path, response.status_code)
    return elapsed / n * 1000


def measure(app: Any, client: Any, path: str, in_product: bool, toggle: Any, args: Any) -> dict:
    runs: dict[bool, list[float]] = {True: [], False: []}
    for repeat in range(args.repeats):
        for cached in (True, False) if repeat % 2 == 0 else (False, True):
            if cached == in_product:
                runs[cached].append(mean_ms(client, path, args.requests))
            else:
                with toggle(app):
                    runs[cached].append(mean_ms(client, path, args.requests))
    cached, live = statistics.mean(runs[True]), statistics.mean(runs[False])
    saved = live - cached
    return {
        "with_ms": cached,
        "without_ms": live,
        "saved_ms": saved,
        "saved_share": saved / live,
        "pays": saved >= MIN_MS and saved / live >= MIN_SHARE,
        "runs_with": runs[True],
        "runs_without": runs[False],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--requests", type=int, default=500, help="requests per timed run")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each side, interleaved")
    ap.add_argument("--candidates", type=int, default=100)
    args = ap.parse_args(argv)
    if args.quick:
        args.requests, args.repeats, args.candidates = 20, 2, 10

    figures: dict[str, Any] = {
        "command": "bench/markup.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": common.machine_facts(),
        "cases": [],
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-markup-")))
        app, pages = setup(stack.enter_context(common.sqlite_url(tmp)), args.candidates)
        for page, cache, in_product, toggle in CASES:
            client, path = pages[page]
            row = measure(app, client, path, in_product, toggle, args)
            row.update(page=page, cache=cache, in_product=in_product)
            figures["cases"].append(row)
        from assessor.extensions import db

        with app.app_context():
            db.engine.dispose()

    print("CPU ms per request, mean of the runs")
    print(f"{'page':<18}{'cache':<15}{'in product':>11}{'ms with':>10}{'ms without':>12}"
          f"{'saved ms':>10}{'saved':>8}  pays (≥10% and ≥0.1 ms)")  # fmt: skip
    for row in figures["cases"]:
        print(
            f"{row['page']:<18}{row['cache']:<15}{'yes' if row['in_product'] else 'no':>11}"
            f"{row['with_ms']:>10.3f}{row['without_ms']:>12.3f}{row['saved_ms']:>10.3f}"
            f"{row['saved_share']:>8.1%}  {'yes' if row['pays'] else 'no'}"
        )
    common.write_results("markup-quick" if args.quick else "markup", figures)
    return figures


if __name__ == "__main__":
    main()
