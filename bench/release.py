"""Benchmark: planning a readiness release against the bare arithmetic of its aggregates.

Run:  .venv/bin/python bench/release.py [--quick] [--n 5000] [--releases 5]

N synthetic respondents (4 levels, 5 departments, 2 regions, a dozen without
one label or another) are released in equal slices. Each release runs
``scoring.aggregate_readiness`` with the sets of every earlier release
(``scoring.disclosure`` plans what may be published), and is set against:

- bare: the sums of every candidate set in one (sets × N) @ (N × 8) product,
  the least any publication of those aggregates must compute.

A release is a consultant's button press, so the target is absolute as well:
under a second for the last release at 5,000 respondents. Prints a table and
writes ``bench/results/release.json``.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoring.readiness import TABLES, aggregate_readiness, published_sets  # noqa: E402


def respondents(n: int, seed: int = 0) -> tuple[np.ndarray, dict[str, list[str | None]]]:
    rng = np.random.default_rng(seed)
    segments: dict[str, list[str | None]] = {
        "level": list(rng.choice(["board", "executive", "middle_management", "front_line"], n,
                                 p=[0.02, 0.08, 0.3, 0.6])),
        "department": list(rng.choice([f"d{j}" for j in range(5)], n)),
        "region": list(rng.choice(["eu", "us"], n, p=[0.8, 0.2])),
    }  # fmt: skip
    for labels in segments.values():
        for i in rng.choice(n, 12, replace=False):
            labels[i] = None
    return rng.uniform(0, 100, (n, 8)), segments


def candidate_sets(segments: dict[str, list[str | None]], n: int) -> np.ndarray:
    """The overall set and every cell of every table: what a release could publish."""
    rows = [np.ones(n, dtype=bool)]
    for by in TABLES.values():
        keys = list(zip(*(segments[b][:n] for b in by), strict=True))
        for cell in sorted({k for k in keys if None not in k}):
            rows.append(np.array([k == cell for k in keys]))
    return np.array(rows)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--releases", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 respondents")
    args = parser.parse_args(argv)
    n = 1000 if args.quick else args.n
    x, segments = respondents(n)
    cuts = np.linspace(0, n, args.releases + 1).astype(int)[1:]
    earlier = np.zeros((0, n), dtype=bool)
    rows = []
    for number, cut in enumerate(cuts, start=1):
        seg = {b: v[:cut] for b, v in segments.items()}
        start = time.perf_counter()
        result = aggregate_readiness(x[:cut], seg, k=5, earlier=earlier[:, :cut])
        planned = time.perf_counter() - start
        sets = candidate_sets(segments, cut).astype(float)
        bare = best_of(lambda sets=sets, cut=cut: sets @ x[:cut], 5)
        earlier = np.vstack([earlier, published_sets(result, segments, np.arange(n) < cut)])
        shown = sum(len(t.cells) for t in result.tables.values()) + 1
        rows.append(
            {"release": number, "respondents": int(cut), "candidates": len(sets),
             "published": shown, "earlier_sets": int(earlier.shape[0] - shown),
             "planned_s": planned, "bare_s": bare, "ratio": planned / bare}
        )  # fmt: skip
    print(f"readiness releases, {n:,} respondents, k = 5 ({platform.processor() or 'cpu'})")
    print(f"{'release':>7} {'n':>6} {'sets':>5} {'shown':>5} {'planned s':>10} {'× bare':>9}")
    for r in rows:
        print(f"{r['release']:>7} {r['respondents']:>6} {r['candidates']:>5} {r['published']:>5}"
              f" {r['planned_s']:>10.3f} {r['ratio']:>9.0f}")  # fmt: skip
    target = rows[-1]["planned_s"] < 1.0
    verdict = "met" if target else "MISSED"
    print(f"last release {rows[-1]['planned_s']:.2f} s: target (< 1 s) {verdict}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    report = {"n": n, "releases": rows, "target_met": target}
    (out / "release.json").write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
