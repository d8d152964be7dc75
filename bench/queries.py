"""Benchmark: SQL statements and time per request at 10 and at 5,000 candidates (no N+1).

Run:  .venv/bin/python bench/queries.py [--quick] [--large 5000] [--databases sqlite,postgresql]

Builds the app (migrations, demo data), adds two engagements for the demo
recruiter, one with ``--small`` (10) and one with ``--large`` (5,000)
completed, scored candidates, signs the recruiter in through the test client,
and for each page counts the SQL statements the request sends (a SQLAlchemy
``before_cursor_execute`` listener on the engine) and times it in-process:

- cold: the candidate pool cache emptied first (the first view after a result
  changed);
- warm: the pool taken from the cache (every other view).

Pages: the dashboard (sorted by fit, page 1; sorted by name, page 3), the
candidate page and the candidate PDF. Target: the same statement count at
10 and at 5,000 candidates. The 5,000/10 time ratio shows what the pool size
still costs. Prints a table and writes ``bench/results/queries.json``. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # so that bench/scoring.py never shadows the scoring package

from bench import common  # noqa: E402

PAGES = {
    "dashboard": "/engagements/{e}/candidates",
    "dashboard, by name, page 3": "/engagements/{e}/candidates?sort=name&page=3",
    "candidate page": "/engagements/{e}/candidates/{c}",
    "candidate PDF": "/engagements/{e}/candidates/{c}.pdf",
}


def setup(database_url: str, sizes: dict[str, int]) -> tuple[Any, dict[str, tuple[int, int]]]:
    """The app, and per size the engagement id and its first candidate's id."""
    from sqlalchemy import select

    from assessor.demo import add_scored_candidates
    from assessor.extensions import db
    from assessor.models import Assignment, User
    from assessor.services import engagements, profiles

    app = common.make_app(database_url)
    common.load_demo(app)
    targets: dict[str, tuple[int, int]] = {}
    with app.app_context():
        recruiter = db.session.scalars(select(User).where(User.email == common.RECRUITER)).one()
        for label, n in sizes.items():
            engagement = engagements.create_engagement(
                recruiter, f"Bench client {label}", "Chief Customer Officer", ""
            )
            profiles.set_archetype(recruiter, engagement, "operating_executive")
            db.session.commit()
            add_scored_candidates(engagement, n)
            first = db.session.scalar(
                select(Assignment.id)
                .where(Assignment.engagement_id == engagement.id)
                .order_by(Assignment.id)
            )
            targets[label] = (engagement.id, int(first or 0))
    return app, targets


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs."""
    from sqlalchemy import event

    from assessor.extensions import db

    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def measure(app: Any, client: Any, path: str, repeats: int) -> dict[str, Any]:
    import importlib.util

    if importlib.util.find_spec("assessor.services.revisions"):
        # the per-worker pool caches of the earlier code (stored standings have none)
        from assessor.services import revisions

        revisions.clear_caches()
    with counting(app) as statements:
        t = time.perf_counter()
        response = client.get(path)
        cold = time.perf_counter() - t
    assert response.status_code == 200, (path, response.status_code)
    cold_count = len(statements)
    warm_times = []
    for _ in range(repeats):
        with counting(app) as statements:
            t = time.perf_counter()
            client.get(path)
            warm_times.append(time.perf_counter() - t)
    return {
        "statements_cold": cold_count,
        "statements_warm": len(statements),
        "cold_ms": cold * 1000,
        "warm_ms": statistics.median(warm_times) * 1000,
    }


def bench_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    sizes = {"small": args.small, "large": args.large}
    app, targets = setup(url, sizes)
    client = app.test_client()
    common.login(client)
    pages: dict[str, Any] = {}
    for page, template in PAGES.items():
        row: dict[str, Any] = {}
        for label, (engagement_id, candidate_id) in targets.items():
            path = template.format(e=engagement_id, c=candidate_id)
            row[label] = measure(app, client, path, args.repeats)
        row["equal_counts"] = all(
            row["small"][k] == row["large"][k] for k in ("statements_cold", "statements_warm")
        )
        pages[page] = row
    from assessor.extensions import db

    with app.app_context():
        db.engine.dispose()
    return {"sizes": sizes, "pages": pages}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (SQLite only)")
    ap.add_argument("--small", type=int, default=10)
    ap.add_argument("--large", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=5, help="warm requests per page")
    ap.add_argument("--databases", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.databases = 2, "sqlite"

    facts = common.machine_facts()
    figures: dict[str, Any] = {
        "command": "bench/queries.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": facts,
        "databases": {},
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-queries-")))
        for name in [d.strip() for d in args.databases.split(",") if d.strip()]:
            if name == "postgresql":
                version = common.postgres_available()
                if version is None:
                    print("[postgresql] not answering at 127.0.0.1:5432; skipped")
                    continue
                facts["postgresql"] = version
                url = stack.enter_context(common.postgres_url())
            else:
                url = stack.enter_context(common.sqlite_url(tmp))
            figures["databases"][name] = bench_database(name, url, args)

    print(f"{'database':<11}{'page':<28}{'statements (cold/warm)':>24}"
          f"{'ms warm':>16}{'ms cold':>18}  same count")  # fmt: skip
    print(f"{'':<39}{f'{args.small} / {args.large}':>24}{'10 / 5,000':>16}{'10 / 5,000':>18}")
    for name, result in figures["databases"].items():
        for page, row in result["pages"].items():
            s, g = row["small"], row["large"]
            counts = (
                f"{s['statements_cold']}/{s['statements_warm']} · "
                f"{g['statements_cold']}/{g['statements_warm']}"
            )
            print(
                f"{name:<11}{page:<28}{counts:>24}"
                f"{s['warm_ms']:>8.1f}{g['warm_ms']:>8.1f}{s['cold_ms']:>9.1f}{g['cold_ms']:>9.1f}"
                f"  {common.verdict(row['equal_counts'])}"
            )
    common.write_results("queries-quick" if args.quick else "queries", figures)
    return figures


if __name__ == "__main__":
    main()
