"""The honest limits of ``bench/web.py``: a bare Flask app on the raw database driver.

Served by the same gunicorn command as the product (``bench.bare:create_app()``,
2 sync workers), with no extension, no session, no login, no CSRF, no ORM:
what the machine, gunicorn, Flask's routing and the driver cost by themselves.

- ``GET /hello``: the baseline every page is compared with;
- ``GET /page-select``: one page of the dashboard as one bare statement, the
  dashboard's own shape (``SELECT id, name, email, status FROM assignment
  WHERE engagement_id = ? AND kind = 'candidate' ORDER BY … LIMIT 50``),
  returned as text: what a dashboard page cannot go below;
- ``POST /raw-save/<assignment id>/page/<section key>``: a save's writes, given
  the product's save form body: the claim ``UPDATE … RETURNING``, every answer
  upserted in one ``executemany``, the page-time upsert, one commit.

The database comes from ``BENCH_DATABASE_URL`` (a SQLAlchemy URL, SQLite file or
``postgresql+psycopg``), the engagement from ``BENCH_ENGAGEMENT_ID``. Each worker
opens one connection, on its first request (gunicorn forks before that).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request

#: The dashboard's default order once results are stored on the assignment row
#: ("stored standings", migration 0003): score descending, unscored last, then
#: name; ``is_scored DESC`` puts NULLs last on both databases and matches the
#: listing index, as the product's own statement does. ``FALLBACK_ORDER`` where
#: those columns do not exist (the earlier code, which sorted in Python): newest
#: first, read backwards off the primary key. (SQLite's planner would rather
#: take the engagement's index and sort all its rows, 200 ms at 50,000, which is
#: no limit; ``NOT INDEXED`` keeps it on the rowid.)
PAGE_ORDER = "is_scored DESC, score DESC, name, id"
ORDER_COLUMNS = {"is_scored", "score"}
FALLBACK_ORDER = "id DESC"
PAGE_SIZE = 50
FIELD_PREFIX = "q_"  # assessor.forms.questionnaire.FIELD_PREFIX
MAX_SECONDS_PER_PAGE = 1800.0


def connect(url: str) -> Any:
    """A raw connection to ``url`` (a SQLAlchemy URL): autocommit, transactions
    begun explicitly.

    SQLite gets the product's pragmas (WAL, ``synchronous=NORMAL``, a 10 s busy
    timeout); PostgreSQL is psycopg in autocommit mode, so a read is one round
    trip and a save one transaction block.
    """
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
    conn.autocommit = True
    return conn


def page_order(conn: Any) -> str:
    """``PAGE_ORDER`` when the assignment table has its columns, else ``FALLBACK_ORDER``."""
    if isinstance(conn, sqlite3.Connection):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(assignment)")}
    else:
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'assignment'"
            )
        }
    return PAGE_ORDER if columns >= ORDER_COLUMNS else FALLBACK_ORDER


def statements(order: str, sqlite: bool) -> dict[str, str]:
    """The bare statements in the driver's parameter style."""
    p = "?" if sqlite else "%s"
    value = p if sqlite else "%s::json"
    table = "assignment NOT INDEXED" if sqlite and order == FALLBACK_ORDER else "assignment"
    return {
        "page": (
            f"SELECT id, name, email, status FROM {table} "
            f"WHERE engagement_id = {p} AND kind = 'candidate' "
            f"ORDER BY {order} LIMIT {PAGE_SIZE}"
        ),
        "claim": (
            f"UPDATE assignment SET current_section = {p}, "
            f"started_at = COALESCE(started_at, {p}), "
            "status = CASE WHEN status = 'invited' THEN 'in_progress' ELSE status END "
            f"WHERE id = {p} AND submitted_at IS NULL RETURNING started_at, status"
        ),
        "answer": (
            "INSERT INTO answer (assignment_id, section_key, item_key, value, answered_at) "
            f"VALUES ({p}, {p}, {p}, {value}, {p}) ON CONFLICT (assignment_id, item_key) "
            "DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at, "
            "section_key = excluded.section_key"
        ),
        "timing": (
            "INSERT INTO page_timing (assignment_id, section_key, seconds, saved_at) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (assignment_id, section_key) "
            "DO UPDATE SET seconds = page_timing.seconds + excluded.seconds, "
            "saved_at = excluded.saved_at"
        ),
    }


def answer_value(raw: list[str]) -> str:
    """A form field's value as the JSON the product stores (int, str or list)."""
    values: list[Any] = [int(v) if v.lstrip("-").isdigit() else v for v in raw]
    return json.dumps(values if len(values) > 1 else values[0])


def create_app() -> Flask:
    """The bare app (gunicorn entry point: ``bench.bare:create_app()``)."""
    app = Flask(__name__)
    url = os.environ["BENCH_DATABASE_URL"]
    sqlite = url.startswith("sqlite")
    engagement_id = int(os.environ["BENCH_ENGAGEMENT_ID"])
    prepared: dict[str, str] = {}
    connections: dict[int, Any] = {}  # pid -> the worker's connection (gunicorn forks first)

    def conn() -> Any:
        pid = os.getpid()
        if pid not in connections:
            connections[pid] = connect(url)
        return connections[pid]

    def sql(name: str) -> str:
        if not prepared:
            prepared.update(statements(page_order(conn()), sqlite))
        return prepared[name]

    @app.get("/hello")
    def hello() -> str:
        return "Hello, world!"

    @app.get("/page-select")
    def page_select() -> Response:
        rows = conn().execute(sql("page"), (engagement_id,)).fetchall()
        text = "\n".join("\t".join(str(v) for v in row) for row in rows)
        return Response(text, mimetype="text/plain")

    @app.post("/raw-save/<int:assignment_id>/page/<section_key>")
    def raw_save(assignment_id: int, section_key: str) -> Response:
        db = conn()
        form = request.form
        now = datetime.now(UTC)
        # SQLite stores what SQLAlchemy writes for a naive UTC DateTime
        stamp: Any = now.replace(tzinfo=None).isoformat(" ") if sqlite else now
        try:
            started = float(form.get("page_started", ""))
            seconds = min(max(time.time() - started, 0.0), MAX_SECONDS_PER_PAGE)
        except ValueError:
            seconds = 0.0
        rows = [
            (assignment_id, section_key, key[len(FIELD_PREFIX) :], answer_value(raw), stamp)
            for key, raw in form.lists()
            if key.startswith(FIELD_PREFIX)
        ]
        if sqlite:
            cursor = db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                claimed = cursor.execute(
                    sql("claim"), (section_key, stamp, assignment_id)
                ).fetchone()
                cursor.executemany(sql("answer"), rows)
                cursor.execute(sql("timing"), (assignment_id, section_key, seconds, stamp))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        else:
            with db.transaction(), db.cursor() as cursor:
                cursor.execute(sql("claim"), (section_key, stamp, assignment_id))
                claimed = cursor.fetchone()
                cursor.executemany(sql("answer"), rows)
                cursor.execute(sql("timing"), (assignment_id, section_key, seconds, stamp))
        if claimed is None:
            return Response("submitted", status=409)
        return Response(status=303, headers={"Location": "/hello"})

    return app
