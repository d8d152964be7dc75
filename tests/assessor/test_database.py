"""SQLite writers queue for their turn on a file lock, and always give it back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine

from assessor import database
from assessor.database import end_writer_turn, take_writer_turn


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    yield engine
    engine.dispose()


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


@pytest.mark.parametrize(
    ("path", "status"),
    [("/fine", 200), ("/r/not-a-token", 404), ("/boom", 500)],
    ids=["saved", "refused", "failed"],
)
def test_every_post_gives_its_turn_back(tmp_path, monkeypatch, path, status):
    """After a request, saved, refused or failed, the next writer gets in at once."""
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

    @app.post("/fine")
    def fine() -> str:
        return "saved"

    @app.post("/boom")
    def boom() -> str:
        raise RuntimeError("a bug in a view")

    with app.app_context():
        upgrade(db.engine)
    monkeypatch.setattr(database, "WRITER_TURN_TIMEOUT", 0.05)
    taken = []

    def recording(engine):
        taken.append(take_writer_turn(engine))
        return taken[-1]

    monkeypatch.setattr("assessor.web.take_writer_turn", recording)
    response = app.test_client().post(path, data={"consent": "yes"})
    assert response.status_code == status
    assert len(taken) == 1 and taken[0] is not None  # the POST had the turn
    with app.app_context():
        turn = take_writer_turn(db.engine)
        assert turn is not None  # and gave it back
        end_writer_turn(turn)
        db.engine.dispose()
