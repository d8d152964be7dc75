"""SQLite writers queue for their turn on a file lock, from their first write to
their commit, and always give it back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from assessor import database
from assessor.database import end_writer_turn, take_writer_turn


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def configured_engine(tmp_path, monkeypatch):
    """A file database set up as the app sets it up, with one table."""
    monkeypatch.setattr(database, "WRITER_TURN_TIMEOUT", 0.05)
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    database.configure_sqlite(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    yield engine
    engine.dispose()


def turn_is_free(engine) -> bool:
    turn = take_writer_turn(engine)
    end_writer_turn(turn)
    return turn is not None


def test_a_second_writer_waits_until_the_first_ends_its_turn(sqlite_engine):
    first = take_writer_turn(sqlite_engine)
    assert first is not None
    events: list[str] = []
    got_turn = threading.Event()

    def second_writer() -> None:
        turn = take_writer_turn(sqlite_engine)
        events.append("second in")
        got_turn.set()
        end_writer_turn(turn)

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not got_turn.wait(0.2)  # still waiting: the first holds the turn
    events.append("first out")
    end_writer_turn(first)
    assert got_turn.wait(5)
    thread.join(5)
    assert events == ["first out", "second in"]


def test_a_turn_that_does_not_come_in_time_falls_back_to_sqlites_own_wait(
    sqlite_engine, monkeypatch
):
    monkeypatch.setattr(database, "WRITER_TURN_TIMEOUT", 0.05)
    first = take_writer_turn(sqlite_engine)
    assert take_writer_turn(sqlite_engine) is None
    end_writer_turn(first)
    again = take_writer_turn(sqlite_engine)
    assert again is not None
    end_writer_turn(again)


def test_no_turn_without_a_file():
    memory = create_engine("sqlite://")
    assert take_writer_turn(memory) is None
    end_writer_turn(None)  # nothing to give back
    memory.dispose()


def test_a_transaction_holds_the_turn_only_from_its_first_write_to_its_end(configured_engine):
    with configured_engine.connect() as conn:
        with conn.begin():
            conn.execute(text("SELECT count(*) FROM note")).scalar()
            assert turn_is_free(configured_engine)  # reading, validating: nobody waits
            conn.execute(text("INSERT INTO note (body) VALUES ('a')"))
            assert not turn_is_free(configured_engine)  # from the first write
            conn.execute(text("SELECT count(*) FROM note")).scalar()
        assert turn_is_free(configured_engine)  # committed: given back
        with conn.begin() as transaction:
            conn.execute(text("UPDATE note SET body = 'b'"))
            assert not turn_is_free(configured_engine)
            transaction.rollback()
        assert turn_is_free(configured_engine)  # rolled back: given back too


def test_a_reader_that_writes_after_another_writer_committed_still_writes(configured_engine):
    """In WAL mode a deferred transaction may not write on a snapshot that another
    writer has since moved past; the first write restarts it at the latest state."""
    with configured_engine.connect() as late, configured_engine.connect() as quick:
        transaction = late.begin()
        assert late.execute(text("SELECT count(*) FROM note")).scalar() == 0
        with quick.begin():
            quick.execute(text("INSERT INTO note (body) VALUES ('quick')"))
        late.execute(text("INSERT INTO note (body) VALUES ('late')"))
        # after its first write the transaction sees the other writer's row
        assert late.execute(text("SELECT count(*) FROM note")).scalar() == 2
        transaction.commit()
    with configured_engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM note ORDER BY id")).scalars().all()
    assert bodies == ["quick", "late"]


def test_a_write_inside_a_savepoint_keeps_the_savepoint(configured_engine):
    with configured_engine.connect() as conn, conn.begin():
        savepoint = conn.begin_nested()
        conn.execute(text("INSERT INTO note (body) VALUES ('kept')"))
        savepoint.commit()
    with configured_engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["kept"]
    assert turn_is_free(configured_engine)


@pytest.mark.parametrize(
    ("path", "status", "writes"),
    [("/fine", 200, True), ("/refused", 400, True), ("/boom", 500, True), ("/reads", 200, False)],
    ids=["saved", "refused", "failed", "read-only"],
)
def test_every_request_gives_its_turn_back(tmp_path, monkeypatch, path, status, writes):
    """After a request, saved, refused or failed, the next writer gets in at once;
    a request that only reads never queues."""
    from flask import abort

    from assessor import create_app
    from assessor.database import upgrade
    from assessor.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )

    def write() -> None:
        db.session.execute(text("UPDATE organisation SET name = name"))

    @app.post("/fine")
    def fine() -> str:
        write()
        return "saved"

    @app.post("/refused")
    def refused() -> str:
        write()
        abort(400, "refused after writing")

    @app.post("/boom")
    def boom() -> str:
        write()
        raise RuntimeError("a bug in a view")

    @app.post("/reads")
    def reads() -> str:
        return str(db.session.execute(text("SELECT count(*) FROM organisation")).scalar())

    with app.app_context():
        upgrade(db.engine)
    monkeypatch.setattr(database, "WRITER_TURN_TIMEOUT", 0.05)
    taken = []

    def recording(engine):
        taken.append(take_writer_turn(engine))
        return taken[-1]

    monkeypatch.setattr(database, "take_writer_turn", recording)
    response = app.test_client().post(path, data={"consent": "yes"})
    assert response.status_code == status
    assert taken == ([taken[0]] if writes else [])
    if writes:
        assert taken[0] is not None  # the write had the turn
    with app.app_context():
        turn = take_writer_turn(db.engine)
        assert turn is not None  # and gave it back
        end_writer_turn(turn)
        db.engine.dispose()
