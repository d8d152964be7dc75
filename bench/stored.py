"""Benchmark: stored answers → scale scores, start to finish, against the bare SELECT of the rows.

Run:  .venv/bin/python bench/stored.py [--quick] [--n 100000] [--sample 2000] [--repeats 3]
          [--databases sqlite,postgresql]

Issue #17: building the matrix from stored answers through ``answers_to_matrix``
on Python dicts took 30-47 s per 100,000 respondents while scoring them took a
quarter of a second. Per database (a temporary SQLite file; a PostgreSQL
database created for the run and dropped after it) this script creates the
product's tables from its models, one organisation, client and two
engagements, N submitted candidates of the v1 candidate instrument in the
first and N/10 in the second, their assignments through SQLAlchemy and their
answers with the raw driver (``executemany`` / ``COPY``): one row per
candidate and item with the value as JSON, unanswered items absent, candidate
after candidate as the product saves them. None of that is measured. Then, in
one run, interleaved, best of several repeats, on one raw driver connection
(sqlite3 / psycopg):

- (a) the bare SELECT: ``answers_statement``, the product's query for the
  stored answers of an engagement's submitted candidates of one instrument
  version (``answer`` joined to ``assignment``), built from its models,
  executed and fetched to Python (``fetchall``);
- (b) start to finish: the same statement, fetched the same way, then
  ``scores_of_rows``: respondent indices from the assignment ids
  (``np.unique``), ``scoring.rows_to_matrix`` and ``scoring.score_scales``, the
  scale scores the product computes for a v1 candidate
  (``results.score_candidate``); target (b)/(a) ≤ 3.

The value is read as the column holds it: psycopg decodes the ``json`` column
itself; sqlite3 returns the JSON text (numbers as numbers: the column's
NUMERIC affinity), which ``rows_to_matrix(json_text=True)`` decodes in one
``json.loads``. On PostgreSQL the same statement reading ``value::text``
(decoded the same way) is measured too, against its own bare SELECT. For
comparison, the earlier way (dicts and ``answers_to_matrix``) on a sample of
respondents, scaled linearly to N.

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
from typing import TYPE_CHECKING, Any

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
    ScaleScores,
    ScoringKey,
    answers_to_matrix,
    compile_key,
    rows_to_matrix,
    score_scales,
)
from scoring.key import CHOICE, SET  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy import Select

TARGET = 3.0
INSTRUMENT = ("cco_candidate", 1)
Rows = list[tuple[Any, ...]]


def answers_statement(engagement_id: int, instrument_key: str, version: int) -> Select[Any]:
    """The stored answers of an engagement's submitted candidates of one instrument version.

    What the product would ask to score them together: its models, its join.
    """
    from sqlalchemy import select

    from assessor.models import Answer, Assignment

    return (
        select(Answer.assignment_id, Answer.item_key, Answer.value)
        .join(Assignment, Assignment.id == Answer.assignment_id)
        .where(
            Assignment.engagement_id == engagement_id,
            Assignment.kind == "candidate",
            Assignment.instrument_key == instrument_key,
            Assignment.instrument_version == version,
            Assignment.submitted_at.is_not(None),
        )
    )


def stored_rows(
    key: ScoringKey, ids: list[int], chunk: int = 2_000
) -> Iterator[list[tuple[int, str, str]]]:
    """(assignment id, item key, JSON text) rows of ``ids``, missing answers left out.

    Candidate after candidate (in chunks), as the product saves them page by
    page: the table's physical order is then the order the SELECT returns.
    """
    n = len(ids)
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
            (ids[lo + r], item, texts[r])
            for r in range(len(per_item[0][1]))
            for item, texts, missing in per_item
            if not missing[r]
        ]


def build(url: str, key: ScoringKey, n: int) -> tuple[str, int]:
    """The product's tables on ``url`` with ``n`` submitted candidates of one engagement,
    and ``n // 10`` of another (stored after them, so the statement has rows to skip).

    The tables come from the product's models (their indexes and constraints);
    an organisation, a client and two engagements are all the rest the
    statement touches. Returns the statement's SQL, with its values inlined for
    the raw driver, and the number of answer rows stored.
    """
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    import questionnaires
    from assessor.models import Assignment, Client, Engagement, Organisation, utcnow
    from assessor.models.base import Base

    instrument = questionnaires.load(*INSTRUMENT)
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as session:
        org = Organisation(name="Bench", slug="bench")
        session.add(org)
        session.flush()
        client = Client(organisation_id=org.id, name="Bench client")
        session.add(client)
        session.flush()
        engagements = [
            Engagement(organisation_id=org.id, client_id=client.id, role_title=title)
            for title in ("Scored", "Other")
        ]
        session.add_all(engagements)
        session.flush()
        ids = []
        for engagement, count in zip(engagements, (n, n // 10), strict=True):
            first = session.scalar(sa.select(sa.func.max(Assignment.id))) or 0
            session.execute(
                sa.insert(Assignment),
                [
                    {
                        "organisation_id": org.id,
                        "engagement_id": engagement.id,
                        "kind": "candidate",
                        "instrument_key": instrument.key,
                        "instrument_version": instrument.version,
                        "instrument_hash": instrument.content_hash,
                        "name": f"Candidate {first + i}",
                        "email": f"candidate{first + i}@example.com",
                        "status": "completed",
                        "token_nonce": f"{first + i:032x}",
                        "expires_at": now,
                        "submitted_at": now,
                    }
                    for i in range(1, count + 1)
                ],
            )
            ids += session.scalars(
                sa.select(Assignment.id).where(Assignment.id > first).order_by(Assignment.id)
            ).all()
        session.commit()
        stmt = answers_statement(engagements[0].id, instrument.key, instrument.version)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    dialect = engine.dialect.name
    engine.dispose()

    section = {it.key: s.key for s in instrument.sections for it in s.items}
    total = 0
    if dialect == "sqlite":
        conn = sqlite3.connect(url.split("///", 1)[1])
        for rows in stored_rows(key, ids):
            conn.executemany(
                "INSERT INTO answer (assignment_id, section_key, item_key, value, answered_at) "
                "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                [(a, section[k], k, v) for a, k, v in rows],
            )
            total += len(rows)
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg

        with psycopg.connect(raw_postgres(url)) as conn:
            copy_sql = "COPY answer (assignment_id, section_key, item_key, value, answered_at) "
            with conn.cursor().copy(copy_sql + "FROM STDIN") as copy:
                for rows in stored_rows(key, ids):
                    copy.write("".join(f"{a}\t{section[k]}\t{k}\t{v}\tnow\n" for a, k, v in rows))
                    total += len(rows)
            conn.commit()
        with psycopg.connect(raw_postgres(url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return sql, total


def raw_postgres(url: str) -> str:
    """``url`` (SQLAlchemy's) as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def scores_of_rows(key: ScoringKey, rows: Rows, json_text: bool) -> tuple[np.ndarray, ScaleScores]:
    """The statement's rows → (assignment ids, ascending; their scale scores)."""
    ids = np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))
    uniq, resp = np.unique(ids, return_inverse=True)
    items = list(map(itemgetter(1), rows))
    values = list(map(itemgetter(2), rows))
    matrix = rows_to_matrix(key, resp, items, values, len(uniq), json_text=json_text)
    return uniq, score_scales(key, matrix)


def old_path(key: ScoringKey, rows: Rows, json_text: bool) -> np.ndarray:
    """The earlier way: one dict per assignment, then ``answers_to_matrix``."""
    by_id: dict[int, dict[str, object]] = {}
    for a, k, v in rows:
        by_id.setdefault(a, {})[k] = json.loads(v) if json_text and isinstance(v, str) else v
    return answers_to_matrix(key, [by_id[a] for a in sorted(by_id)])


def measure(
    fetch: Callable[[str], Rows],
    sql: str,
    key: ScoringKey,
    json_text: bool,
    sample: int,
    repeats: int,
) -> dict[str, Any]:
    """Interleaved best-of timings of the bare SELECT and of SELECT → scale scores."""
    rows = fetch(sql)
    ids, scores = scores_of_rows(key, rows, json_text)
    sample_ids = set(ids[:sample].tolist())
    sample_rows = [r for r in rows if r[0] in sample_ids]
    want = score_scales(key, old_path(key, sample_rows, json_text))
    got = scores.pomp[: len(sample_ids)]
    assert np.array_equal(got, want.pomp, equal_nan=True), "scores differ from the old path's"
    n_rows, n = len(rows), len(ids)
    del rows, ids, scores
    t_select = t_full = t_conv = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = fetch(sql)
        t_select = min(t_select, time.perf_counter() - t0)
        del rows
        t0 = time.perf_counter()
        rows = fetch(sql)
        t1 = time.perf_counter()
        scores_of_rows(key, rows, json_text)
        t2 = time.perf_counter()
        t_full = min(t_full, t2 - t0)
        t_conv = min(t_conv, t2 - t1)
        del rows
    t0 = time.perf_counter()
    old_path(key, sample_rows, json_text)
    t_old_conv = (time.perf_counter() - t0) * n / len(sample_ids)
    return {
        "rows": n_rows,
        "respondents": n,
        "seconds": {
            "select": t_select,
            "select_to_scores": t_full,
            "rows_to_scores": t_conv,
            "old_dicts_answers_to_matrix_scaled": t_old_conv,
        },
        "ratio": t_full / t_select,
        "old_ratio": (t_select + t_old_conv) / t_select,
    }


HEADER = (
    f"{'database / value':<26} {'rows':>11} {'respondents':>11} {'(a) SELECT':>10} "
    f"{'(b) →scores':>11} {'(b)/(a)':>8} {'old/(a)':>8}"
)


def line(label: str, r: dict[str, Any]) -> str:
    """One row of the table under ``HEADER``."""
    s = r["seconds"]
    return (
        f"{label:<26} {r['rows']:>11,} {r['respondents']:>11,} {s['select']:>9.2f}s "
        f"{s['select_to_scores']:>10.2f}s {r['ratio']:>7.2f}× {r['old_ratio']:>7.1f}×  "
        f"{verdict(r['ratio'] <= TARGET)}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short smoke run (10,000 respondents)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--databases", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.sample, args.repeats = 10_000, 500, 3
    import questionnaires

    key = compile_key(questionnaires.load(*INSTRUMENT))
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    pg_version = postgres_available() if "postgresql" in databases else None
    results: dict[str, Any] = {}

    def run(db: str, url: str, fetch: Callable[[str], Rows]) -> None:
        t0 = time.perf_counter()
        sql, stored = build(url, key, args.n)
        print(f"{db}: {stored:,} answer rows stored in {time.perf_counter() - t0:.0f} s")
        # sqlite3 hands back the JSON text; psycopg decodes a json column itself, or
        # hands back text for ``value::text`` (decoded here in one json.loads)
        statements = {"json column": (sql, db == "sqlite")}
        if db == "postgresql":
            text_sql = sql.replace("answer.value", "answer.value::text", 1)
            statements["value::text"] = (text_sql, True)
        results[db] = {}
        for name, (statement, json_text) in statements.items():
            r = measure(fetch, statement, key, json_text, args.sample, args.repeats)
            results[db][name] = {"statement": statement, **r}
            print(line(f"{db} / {name}", r), flush=True)

    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as tmp, sqlite_url(Path(tmp)) as url:
            conn = sqlite3.connect(url.split("///", 1)[1])
            run("sqlite", url, lambda sql: conn.execute(sql).fetchall())
            conn.close()
    if "postgresql" in databases and pg_version is None:
        print("postgresql: not available at 127.0.0.1:5432, skipped")
    elif "postgresql" in databases:
        import psycopg

        with postgres_url() as url:
            with psycopg.connect(raw_postgres(url), autocommit=True) as conn:
                run("postgresql", url, lambda sql: conn.execute(sql).fetchall())
            results["postgresql"]["server"] = pg_version

    print(f"\n{args.n:,} candidates of cco_candidate v1 ({len(key.items)} items scored, "
          f"{key.n_columns} columns), best of {args.repeats}; old path from a sample of "
          f"{args.sample:,} scaled linearly")  # fmt: skip
    print(HEADER)
    for db, per in results.items():
        for name, r in per.items():
            if isinstance(r, dict):
                print(line(f"{db} / {name}", r))
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
