"""Benchmark: the ReportLab candidate profile against WeasyPrint printing the web profile page.

Run:  .venv/bin/python bench/pdf.py [--quick] [--repeats 15] [--batch 500]

Builds a real app (temporary SQLite, migrations, ``assessor.demo.load_demo()``),
takes a completed demo candidate, and prepares in one run:

- ReportLab: ``candidate_view.to_report_data(candidate_view.build(...))``, the
  data the product's ``.pdf`` route hands to ``build_candidate_profile``;
- WeasyPrint: the candidate's web profile page as the recruiter sees it,
  fetched through the test client (logged in as the demo recruiter), printed
  with the app's CSS (a URL fetcher serves ``/static/...`` from the app).

Then it measures, on the same machine in the same run:

- one profile: median of ``--repeats`` builds of each (data → PDF bytes; the
  page HTML is rendered once beforehand, so WeasyPrint is not charged for
  Flask). Target: ReportLab at least 3 times faster;
- a batch of ``--batch`` profiles on 2 worker processes (multiprocessing):
  profiles per second for each engine (WeasyPrint's batch is
  ``--weasy-batch``, 100 by default: 500 take about 9 minutes);
- peak memory: ``tracemalloc`` peak of one build in a forked process (Python
  allocations only), and how much that build raised the process's peak
  resident set size (``ru_maxrss``: native memory too, pango, cairo, fonts).

Prints a table and writes ``bench/results/pdf.json``. Not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # so that bench/scoring.py never shadows the scoring package

from bench import common  # noqa: E402

BASE_URL = "http://assessor.bench/"
TARGET_SPEEDUP = 3.0


# ------------------------------------------------------------------ inputs
def prepare_inputs(workdir: Path) -> dict[str, Any]:
    """The ReportLab data and the page HTML + static files of one demo candidate."""
    from sqlalchemy import select

    from assessor.extensions import db
    from assessor.models import Assignment, Engagement, Result
    from assessor.services import candidate_view

    app = common.make_app(f"sqlite:///{workdir / 'pdf.sqlite3'}", SERVER_NAME="assessor.bench")
    info = common.load_demo(app)
    with app.app_context():
        engagement = db.session.get(Engagement, info["engagement_id"])
        assignment = db.session.scalars(
            select(Assignment)
            .join(Result, Result.assignment_id == Assignment.id)
            .where(Assignment.engagement_id == info["engagement_id"])
            .order_by(Assignment.id)
        ).first()
        assert engagement is not None and assignment is not None
        data = candidate_view.to_report_data(candidate_view.build(engagement, assignment))
        path = f"/engagements/{engagement.id}/candidates/{assignment.id}"
        name = assignment.name
    client = app.test_client()
    common.login(client)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    static: dict[str, tuple[bytes, str]] = {}
    for url in sorted(set(_static_urls(html))):
        r = client.get(url)
        assert r.status_code == 200, url
        static[BASE_URL.rstrip("/") + url] = (r.get_data(), r.mimetype)
    with app.app_context():
        db.engine.dispose()
    return {"data": data, "html": html, "static": static, "candidate": name, "path": path}


def _static_urls(html: str) -> list[str]:
    import re

    return re.findall(r'(?:href|src)="(/static/[^"?#]+)', html)


# ------------------------------------------------------------------ builders
def reportlab_pdf(inputs: dict[str, Any]) -> bytes:
    from assessor.reports.candidate import build_candidate_profile

    return build_candidate_profile(inputs["data"])


def weasyprint_pdf(inputs: dict[str, Any]) -> bytes:
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static = inputs["static"]

    class AppStatic(URLFetcher):  # type: ignore[misc]
        """Serves the app's /static files captured through the test client; nothing else."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url not in static:
                raise ValueError(f"not served in the bench: {url}")
            body, mimetype = static[url]
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mimetype})

    document = weasyprint.HTML(string=inputs["html"], base_url=BASE_URL, url_fetcher=AppStatic())
    return bytes(document.write_pdf())


BUILDERS = {"reportlab": reportlab_pdf, "weasyprint": weasyprint_pdf}


def page_count(pdf: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return -1
    import io

    return len(PdfReader(io.BytesIO(pdf)).pages)


# ------------------------------------------------------------------ measurements
def time_builds(engine: str, inputs: dict[str, Any], repeats: int) -> list[float]:
    build = BUILDERS[engine]
    build(inputs)  # warm: imports, fonts, caches
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        build(inputs)
        times.append(time.perf_counter() - t)
    return times


_WORKER_INPUTS: dict[str, Any] = {}


def _init_worker(inputs: dict[str, Any], engine: str) -> None:
    _WORKER_INPUTS.update(inputs)
    BUILDERS[engine](inputs)  # warm each worker before the clock starts counting profiles


def _build_one(engine: str) -> int:
    return len(BUILDERS[engine](_WORKER_INPUTS))


def batch(engine: str, inputs: dict[str, Any], n: int, workers: int) -> dict[str, Any]:
    """``n`` profiles on ``workers`` processes; profiles per second once the workers are up."""
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(inputs, engine)) as pool:
        pool.map(_build_one, [engine] * workers, chunksize=1)  # workers are warm
        t = time.perf_counter()
        sizes = pool.map(_build_one, [engine] * n, chunksize=4)
        seconds = time.perf_counter() - t
    return {"profiles": n, "seconds": seconds, "per_second": n / seconds, "bytes": sizes[0]}


def _memory_probe(engine: str, inputs: dict[str, Any], queue: Any) -> None:
    build = BUILDERS[engine]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    build(inputs)  # first build: imports, fonts
    tracemalloc.start()
    build(inputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"tracemalloc_peak_mb": peak / 2**20, "maxrss_mb": after / 1024,
               "maxrss_growth_mb": (after - before) / 1024})  # fmt: skip


def memory(engine: str, inputs: dict[str, Any]) -> dict[str, float]:
    """Peak memory of building one profile, in a fresh forked process."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_memory_probe, args=(engine, inputs, queue))
    proc.start()
    result = queue.get(timeout=300)
    proc.join()
    return dict(result)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--weasy-batch", type=int, default=100, help="WeasyPrint's batch (slow: 100)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.batch, args.weasy_batch = 3, 20, 6

    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        inputs = prepare_inputs(Path(tmp))
    samples = {"reportlab": reportlab_pdf(inputs), "weasyprint": weasyprint_pdf(inputs)}
    one = {engine: time_builds(engine, inputs, args.repeats) for engine in BUILDERS}
    median = {engine: statistics.median(times) for engine, times in one.items()}
    sizes = {"reportlab": args.batch, "weasyprint": args.weasy_batch}
    batches = {e: batch(e, inputs, sizes[e], args.workers) for e in BUILDERS}
    mem = {engine: memory(engine, inputs) for engine in BUILDERS}
    speedup = median["weasyprint"] / median["reportlab"]
    batch_ratio = batches["reportlab"]["per_second"] / batches["weasyprint"]["per_second"]

    import reportlab
    import weasyprint

    print(f"candidate: {inputs['candidate']} ({inputs['path']}); "
          f"ReportLab {reportlab.Version}, WeasyPrint {weasyprint.__version__}")  # fmt: skip
    print(f"{'engine':<12}{'pages':>6}{'KiB':>7}{'median s':>10}{'min s':>8}"
          f"{'batch/s':>9}{'tracemalloc MiB':>16}{'maxrss MiB':>11}")  # fmt: skip
    for engine in BUILDERS:
        print(
            f"{engine:<12}{page_count(samples[engine]):>6}{len(samples[engine]) / 1024:>7.0f}"
            f"{median[engine]:>10.4f}{min(one[engine]):>8.4f}"
            f"{batches[engine]['per_second']:>9.1f}{mem[engine]['tracemalloc_peak_mb']:>16.1f}"
            f"{mem[engine]['maxrss_mb']:>11.0f}"
        )
    print(f"ReportLab / WeasyPrint, one profile: {speedup:.1f}× faster (target ≥ "
          f"{TARGET_SPEEDUP:.0f}×) {common.verdict(speedup >= TARGET_SPEEDUP)}")  # fmt: skip
    print(f"batch on {args.workers} workers: ReportLab {batches['reportlab']['per_second']:.1f} "
          f"profiles/s, WeasyPrint {batches['weasyprint']['per_second']:.1f} profiles/s "
          f"({batch_ratio:.1f}×)")  # fmt: skip

    result = {
        "command": "bench/pdf.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": common.machine_facts(),
        "reportlab": reportlab.Version,
        "weasyprint": weasyprint.__version__,
        "candidate_page": inputs["path"],
        "pages": {e: page_count(samples[e]) for e in BUILDERS},
        "bytes": {e: len(samples[e]) for e in BUILDERS},
        "one_profile_seconds": {e: {"median": median[e], "min": min(one[e])} for e in BUILDERS},
        "speedup": speedup,
        "target_speedup": TARGET_SPEEDUP,
        "met": speedup >= TARGET_SPEEDUP,
        "batch": {"workers": args.workers, **batches},
        "batch_ratio": batch_ratio,
        "memory": mem,
    }
    common.write_results("pdf-quick" if args.quick else "pdf", result)
    return result


if __name__ == "__main__":
    main()
