"""Benchmark: stored answers → answers matrix → scale scores, against the bare SELECT of the rows.

Run:  .venv/bin/python bench/stored.py [--quick] [--n 100000] [--sample 2000]
          [--databases sqlite,postgresql]

Issue #17: building the matrix from stored answers through ``answers_to_matrix``
on Python dicts took 30-47 s per 100,000 respondents while scoring them took a
quarter of a second. This script stores N candidates' answers (the v1 candidate
instrument, one row per assignment and item as in the product's ``answer``
table, the value as JSON) in a fresh database, SQLite and PostgreSQL, bulk
inserted with the raw driver (``executemany`` / ``COPY``; not measured), and
measures in one run, interleaved, best of several repeats:

- (a) baseline: the bare ``SELECT assignment_id, item_key, value FROM answer``
  fetched to Python with the raw driver (psycopg decodes the JSON column itself;
  sqlite3 returns its text);
- (b) start to finish: the same SELECT, respondent indices from the assignment
  ids (``np.unique``), ``scoring.rows_to_matrix`` (SQLite: ``json_text=True``)
  and ``scoring.score_scales``; target (b)/(a) ≤ 3;
- on PostgreSQL also ``value::text`` decoded in one ``json.loads`` (b-text,
  against its own bare SELECT);
- the old path: dicts built from the same rows and ``answers_to_matrix`` on a
  sample of respondents, scaled linearly to N, plus the SELECT and the scoring.

Prints a table per database and writes ``bench/results/stored.json``. Not a test.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    machine_facts,
    postgres_available,
    postgres_url,
    sqlite_url,
    verdict,
    write_results,
)
from bench.scoring import synthetic_matrix  # noqa: E402
from scoring import (  # noqa: E402
    ScoringKey,
    answers_to_matrix,
    compile_key,
    rows_to_matrix,
    score_scales,
)
from scoring.key import CHOICE, SET  # noqa: E402

TARGET = 3.0
SELECT = "SELECT assignment_id, item_key, value FROM answer"
SELECT_TEXT = "SELECT assignment_id, item_key, value::text FROM answer"
#: The product's answer table (assessor/models/assignment.py), without the foreign key.
DDL = """CREATE TABLE answer (
    id {pk},
    assignment_id INTEGER NOT NULL,
    section_key VARCHAR(80) NOT NULL,
    item_key VARCHAR(80) NOT NULL,
    value JSON,
    answered_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (assignment_id, item_key)
)"""


def stored_rows(
    key: ScoringKey, n: int, chunk: int = 2_000
) -> Iterator[list[tuple[int, str, str]]]:
    """(assignment id, item key, JSON text) rows, missing answers left out.

    Respondent by respondent (in chunks), as the product saves them page by
    page: the table's physical order is then the order the SELECT returns.
    """
    matrix = synthetic_matrix(key, n)
    for lo in range(0, n, chunk):
        per_item = []
        for i, item in enumerate(key.items):
            c = int(key.item_col[i])
            block = matrix[lo : lo + chunk, c : c + int(key.item_ncols[i])]
            if key.item_kind[i] == SET:
                opts = key.item_options[i]
                texts = [json.dumps([opts[j] for j in np.flatnonzero(row)]) for row in block]
            elif key.item_kind[i] == CHOICE:
                codes = [json.dumps(o) for o in key.item_options[i]] + ["null"]
                texts = [codes[-1 if x != x else int(x)] for x in block[:, 0]]
            elif key.item_types[i] in ("likert", "rating"):
                texts = ["null" if x != x else str(int(x)) for x in block[:, 0]]
            else:
                texts = ["null" if x != x else json.dumps(float(x)) for x in block[:, 0]]
            per_item.append((item, texts, np.isnan(block[:, 0])))
        yield [
            (1001 + lo + r, item, texts[r])  # assignment ids need not start at 0
            for r in range(len(per_item[0][1]))
            for item, texts, missing in per_item
            if not missing[r]
        ]


def fill_sqlite(path: str, key: ScoringKey, n: int) -> int:
    conn = sqlite3.connect(path)
    conn.execute(DDL.format(pk="INTEGER PRIMARY KEY"))
    total = 0
    for rows in stored_rows(key, n):
        conn.executemany(
            "INSERT INTO answer (assignment_id, section_key, item_key, value) "
            "VALUES (?, 's', ?, ?)",
            rows,
        )
        total += len(rows)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return total


def fill_postgres(url: str, key: ScoringKey, n: int) -> int:
    import psycopg

    total = 0
    with psycopg.connect(url) as conn:
        conn.execute(DDL.format(pk="SERIAL PRIMARY KEY"))
        with conn.cursor().copy(
            "COPY answer (assignment_id, section_key, item_key, value) FROM STDIN"
        ) as copy:
            for rows in stored_rows(key, n):
                copy.write("".join(f"{a}\ts\t{k}\t{v}\n" for a, k, v in rows))
                total += len(rows)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE answer")
    return total


def to_matrix(key: ScoringKey, rows: list[tuple[Any, ...]], json_text: bool) -> np.ndarray:
    """Rows as fetched → answers matrix (one row per assignment, ascending id)."""
    ids = np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))
    uniq, resp = np.unique(ids, return_inverse=True)
    items = list(map(itemgetter(1), rows))
    values = list(map(itemgetter(2), rows))
    return rows_to_matrix(key, resp, items, values, len(uniq), json_text=json_text)


def old_path(key: ScoringKey, rows: list[tuple[Any, ...]], json_text: bool) -> np.ndarray:
    """The earlier way: one dict per assignment, then ``answers_to_matrix``."""
    by_id: dict[int, dict[str, object]] = {}
    for a, k, v in rows:
        by_id.setdefault(a, {})[k] = json.loads(v) if json_text and isinstance(v, str) else v
    return answers_to_matrix(key, [by_id[a] for a in sorted(by_id)])


def measure(
    fetch: Callable[[str], list[tuple[Any, ...]]],
    key: ScoringKey,
    statements: dict[str, tuple[str, bool]],
    n: int,
    sample: int,
    repeats: int,
) -> dict[str, Any]:
    """Interleaved best-of timings of the bare SELECT and of SELECT → matrix → scores."""
    out: dict[str, Any] = {}
    for name, (sql, json_text) in statements.items():
        rows = fetch(sql)
        check = to_matrix(key, rows, json_text)
        sample_ids = sorted({r[0] for r in rows})[:sample]
        cut = set(sample_ids)
        sample_rows = [r for r in rows if r[0] in cut]
        assert np.array_equal(
            check[: len(sample_ids)], old_path(key, sample_rows, json_text), equal_nan=True
        ), "rows_to_matrix differs from answers_to_matrix"
        del rows, check
        t_select = t_full = t_conv = t_score = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            rows = fetch(sql)
            t1 = time.perf_counter()
            t_select = min(t_select, t1 - t0)
            del rows
            t0 = time.perf_counter()
            rows = fetch(sql)
            t1 = time.perf_counter()
            m = to_matrix(key, rows, json_text)
            t2 = time.perf_counter()
            score_scales(key, m)
            t3 = time.perf_counter()
            t_full = min(t_full, t3 - t0)
            t_conv = min(t_conv, t2 - t1)
            t_score = min(t_score, t3 - t2)
            del rows, m
        t0 = time.perf_counter()
        old_path(key, sample_rows, json_text)
        t_old_conv = (time.perf_counter() - t0) * n / len(sample_ids)
        t_old = t_select + t_old_conv + t_score
        out[name] = {
            "statement": sql,
            "json_text": json_text,
            "seconds": {
                "select": t_select,
                "select_to_scores": t_full,
                "rows_to_matrix_with_ids": t_conv,
                "score_scales": t_score,
                "old_dicts_answers_to_matrix_scaled": t_old_conv,
                "old_select_to_scores_scaled": t_old,
            },
            "ratio": t_full / t_select,
            "old_ratio": t_old / t_select,
            "speedup_of_conversion": t_old_conv / t_conv,
        }
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (10,000 respondents)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--databases", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.sample, args.repeats = 10_000, 500, 5
    import questionnaires

    instrument = questionnaires.load("cco_candidate", 1)
    key = compile_key(instrument)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    pg_version = postgres_available() if "postgresql" in databases else None
    results: dict[str, Any] = {}

    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as tmp, sqlite_url(Path(tmp)) as url:
            path = url.split("///", 1)[1]
            t0 = time.perf_counter()
            stored = fill_sqlite(path, key, args.n)
            print(f"sqlite: {stored:,} answer rows stored in {time.perf_counter() - t0:.1f} s")
            conn = sqlite3.connect(path)
            results["sqlite"] = measure(
                lambda sql: conn.execute(sql).fetchall(),
                key, {"json column": (SELECT, True)}, args.n, args.sample, args.repeats,
            )  # fmt: skip
            results["sqlite"]["rows"] = stored
            conn.close()
    if "postgresql" in databases and pg_version is None:
        print("postgresql: not available at 127.0.0.1:5432, skipped")
    elif "postgresql" in databases:
        import psycopg

        with postgres_url() as url:
            raw = url.replace("postgresql+psycopg://", "postgresql://", 1)
            t0 = time.perf_counter()
            stored = fill_postgres(raw, key, args.n)
            print(f"postgresql: {stored:,} answer rows stored in {time.perf_counter() - t0:.1f} s")
            with psycopg.connect(raw, autocommit=True) as conn:
                statements = {"json column": (SELECT, False), "value::text": (SELECT_TEXT, True)}
                results["postgresql"] = measure(
                    lambda sql: conn.execute(sql).fetchall(),
                    key, statements, args.n, args.sample, args.repeats,
                )  # fmt: skip
                results["postgresql"]["rows"] = stored
                results["postgresql"]["server"] = pg_version

    print(f"\n{args.n:,} respondents, cco_candidate v1: {len(key.items)} items in key, "
          f"{key.n_columns} columns; best of {args.repeats}; old path from a sample of "
          f"{args.sample:,} scaled linearly")  # fmt: skip
    head = f"{'database / statement':<28} {'(a) SELECT':>10} {'(b) →scores':>11} {'matrix':>8} "
    print(head + f"{'score':>7} {'(b)/(a)':>8} {'old, scaled':>11} {'old/(a)':>8}")
    for db, per in results.items():
        for name, r in per.items():
            if not isinstance(r, dict):
                continue
            s = r["seconds"]
            print(f"{db + ' / ' + name:<28} {s['select']:>10.3f} {s['select_to_scores']:>11.3f} "
                  f"{s['rows_to_matrix_with_ids']:>8.3f} {s['score_scales']:>7.3f} "
                  f"{r['ratio']:>7.2f}× {s['old_select_to_scores_scaled']:>11.2f} "
                  f"{r['old_ratio']:>7.1f}×  {verdict(r['ratio'] <= TARGET)}")  # fmt: skip
    result = {
        "command": "bench/stored.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "respondents": args.n,
        "sample": args.sample,
        "repeats": args.repeats,
        "columns": key.n_columns,
        "items": len(key.items),
        "target_ratio": TARGET,
        "results": results,
        **machine_facts(),
    }
    write_results("stored-quick" if args.quick else "stored", result)
    return result


if __name__ == "__main__":
    main()
