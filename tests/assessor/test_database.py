"""SQLite transactions as SQLAlchemy documents them: a request that writes begins
``BEGIN IMMEDIATE`` (holding the write lock from its start), a request that reads
begins ``BEGIN`` and never blocks a writer, and every request gives the lock back."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from flask import abort
from sqlalchemy import create_engine, event, text

from assessor import create_app, database
from assessor.database import upgrade, writing
from assessor.extensions import db
from assessor.services import accounts, audit


def write_lock_is_free(path) -> bool:
    """Whether another connection could take the write lock right now (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


@pytest.fixture
def configured_engine(tmp_path):
    """A file database set up as the app sets it up, with one table."""
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    database.configure_sqlite(engine)
    with writing(), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    yield engine
    engine.dispose()


def begins_of(engine) -> list[str]:
    """Every BEGIN statement the engine sends, in order (the list fills as it runs)."""
    begins: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    return begins


def test_a_transaction_marked_as_writing_takes_the_write_lock_at_its_start(
    configured_engine, tmp_path
):
    path = tmp_path / "c.sqlite3"
    begins = begins_of(configured_engine)
    with configured_engine.connect() as conn:
        with writing(), conn.begin():
            conn.execute(text("SELECT count(*) FROM note")).scalar()
            assert not write_lock_is_free(path)  # held before anything is written
            conn.execute(text("INSERT INTO note (body) VALUES ('a')"))
        assert write_lock_is_free(path)  # committed: given back
        with conn.begin():
            conn.execute(text("SELECT count(*) FROM note")).scalar()
            assert write_lock_is_free(path)  # a reader holds nothing a writer needs
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]
    assert database.WRITING.get() is False  # the mark ends with the block


def test_a_second_writer_waits_for_the_first_then_sees_its_write(configured_engine):
    """Writers run one after the other, each at the latest state."""
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[int] = []

    def second_writer() -> None:
        first_in.wait(5)
        with writing(), configured_engine.begin() as conn:
            seen.append(conn.execute(text("SELECT count(*) FROM note")).scalar())
            conn.execute(text("INSERT INTO note (body) VALUES ('second')"))
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with writing(), configured_engine.begin() as conn:
        conn.execute(text("INSERT INTO note (body) VALUES ('first')"))
        first_in.set()
        assert not second_done.wait(0.3)  # waiting for the write lock
    thread.join(10)
    assert seen == [1]  # it began after the first committed, and saw its row
    with configured_engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM note ORDER BY id")).scalars().all() == [
            "first",
            "second",
        ]


def test_a_savepoint_still_works(configured_engine):
    with writing(), configured_engine.connect() as conn, conn.begin():
        kept = conn.begin_nested()
        conn.execute(text("INSERT INTO note (body) VALUES ('kept')"))
        kept.commit()
        dropped = conn.begin_nested()
        conn.execute(text("INSERT INTO note (body) VALUES ('dropped')"))
        dropped.rollback()
    with configured_engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["kept"]


@pytest.fixture
def file_app(tmp_path):
    """The real app on a SQLite file, with a few views that write, fail or only read."""
    path = tmp_path / "app.sqlite3"
    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.config["lock_was_free"] = []

    def note_lock() -> None:
        app.config["lock_was_free"].append(write_lock_is_free(path))

    def write() -> None:
        db.session.execute(text("UPDATE organisation SET name = name"))

    @app.post("/fine")
    def fine() -> str:
        db.session.execute(text("SELECT count(*) FROM organisation")).scalar()
        note_lock()  # before the view has written anything
        write()
        return "saved"

    @app.post("/refused")
    def refused() -> str:
        write()
        note_lock()
        abort(400, "refused after writing")

    @app.post("/boom")
    def boom() -> str:
        write()
        note_lock()
        raise RuntimeError("a bug in a view")

    @app.get("/reads")
    def reads() -> str:
        count = db.session.execute(text("SELECT count(*) FROM organisation")).scalar()
        note_lock()
        return str(count)

    @app.get("/audited")
    def audited() -> str:
        db.session.execute(text("SELECT count(*) FROM organisation")).scalar()
        audit.record_after_response(1, None, "test.view", "organisation", 1)
        return "shown"

    with app.app_context():
        upgrade(db.engine)
        accounts.create_organisation("Firm")
        db.session.commit()
        app.config["begins"] = begins_of(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status", "begin", "lock_was_free"),
    [
        ("post", "/fine", 200, "BEGIN IMMEDIATE", False),
        ("post", "/refused", 400, "BEGIN IMMEDIATE", False),
        ("post", "/boom", 500, "BEGIN IMMEDIATE", False),
        ("get", "/reads", 200, "BEGIN", True),
    ],
    ids=["saved", "refused", "failed", "read-only"],
)
def test_every_request_begins_as_it_means_to_go_on_and_gives_the_lock_back(
    file_app, tmp_path, method, path, status, begin, lock_was_free
):
    """A POST holds the write lock from its first statement; a GET never takes
    it; after any request, saved, refused or failed, the next writer gets in."""
    response = getattr(file_app.test_client(), method)(path)
    assert response.status_code == status
    assert file_app.config["begins"] == [begin]
    assert file_app.config["lock_was_free"] == [lock_was_free]
    assert write_lock_is_free(tmp_path / "app.sqlite3")
    assert database.WRITING.get() is False  # nothing carried into what comes next


def test_a_reading_request_runs_while_another_writer_holds_the_lock(file_app, tmp_path):
    writer = sqlite3.connect(tmp_path / "app.sqlite3", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE organisation SET name = 'Renamed'")
        response = file_app.test_client().get("/reads")
        assert response.status_code == 200 and response.get_data(as_text=True) == "1"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_reading_requests_audit_event_is_written_in_a_write_transaction_of_its_own(
    file_app, tmp_path
):
    response = file_app.test_client().get("/audited")
    assert response.status_code == 200 and response.get_data(as_text=True) == "shown"
    assert file_app.config["begins"] == ["BEGIN", "BEGIN IMMEDIATE"]
    with sqlite3.connect(tmp_path / "app.sqlite3") as conn:
        assert conn.execute("SELECT action FROM audit_event").fetchall() == [("test.view",)]
