"""Engine set-up and schema migration, shared by the app, the CLI and the tests."""

from __future__ import annotations

import fcntl
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, func
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def configure_sqlite(engine: Engine) -> None:
    """WAL mode, foreign keys on, real transactions, and writers in turn on SQLite.

    pysqlite's own transaction handling skips BEGIN before DDL and breaks
    SAVEPOINT; SQLAlchemy's documented recipe takes over that job. Every
    transaction begins as a reader; at its first write it waits for the
    file's writer turn (:func:`take_writer_turn`) and restarts as ``BEGIN
    IMMEDIATE``, and the turn is given back right after
    the transaction's COMMIT or ROLLBACK. So a request holds the one
    writer's place only from its first write to its commit, not while it
    checks links, reads and validates. Reads before the first write see the
    state at their start, as under PostgreSQL's READ COMMITTED; the writes
    and everything after them see the latest.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: the same statement as the recipe's exec_driver_sql,
        # without a full SQLAlchemy execution on every request.
        connection.connection.driver_connection.execute("BEGIN DEFERRED")
        connection.info[_WRITES_NOT_BEGUN] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _writer_turn_at_first_write(
        connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if not connection.info.get(_WRITES_NOT_BEGUN) or not _is_write(statement, context):
            return
        connection.info[_WRITES_NOT_BEGUN] = False
        if connection.in_nested_transaction():
            return  # a savepoint would not survive the restart below
        connection.info[_WRITER_TURN] = take_writer_turn(engine)
        # Restart as a write transaction at the latest state: the reads so far
        # held only a snapshot, nothing is written yet. A deferred transaction
        # that writes after another writer committed would fail in WAL mode.
        driver = connection.connection.driver_connection
        driver.execute("COMMIT")
        driver.execute("BEGIN IMMEDIATE")

    # SQLAlchemy's commit and rollback events come just before the driver's call:
    # end the transaction here, then give the turn back. The driver's own
    # commit() or rollback() that follows finds no transaction and does nothing.
    @event.listens_for(engine, "commit")
    def _commit_then_give_turn_back(connection: Any) -> None:
        _end_turn(connection, "COMMIT")

    @event.listens_for(engine, "rollback")
    def _roll_back_then_give_turn_back(connection: Any) -> None:
        _end_turn(connection, "ROLLBACK")

    @event.listens_for(engine, "close")
    def _give_turn_back_on_close(_dbapi_connection: Any, record: Any) -> None:
        end_writer_turn(record.info.pop(_WRITER_TURN, None))


def _end_turn(connection: Any, statement: str) -> None:
    turn = connection.info.pop(_WRITER_TURN, None)
    if turn is None:
        return
    try:
        connection.connection.driver_connection.execute(statement)
    except Exception:  # the driver's own call that follows raises it again, wrapped
        pass
    finally:
        end_writer_turn(turn)


_WRITES_NOT_BEGUN = "assessor_writes_not_begun"
_WRITER_TURN = "assessor_writer_turn"
_WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:7].upper().startswith(_WRITE_STATEMENTS)


#: How long a writer waits for its turn: SQLite's own busy timeout (set on connect).
WRITER_TURN_TIMEOUT = 10.0


def take_writer_turn(engine: Engine) -> int | None:
    """Wait for this SQLite file's writer turn: an exclusive lock on ``<file>-writers``.

    SQLite lets one writer in at a time and makes the others poll, sleeping
    up to 100 ms between tries, so under concurrent saves some wait far longer
    than the lock is held. Writers that queue on an OS file lock first (each
    writing transaction with its own descriptor, so threads queue too) get in
    within a millisecond of the previous commit. Returns the descriptor to give back to
    :func:`end_writer_turn`; None for a database without a file, or when the
    turn did not come in time (SQLite's own waiting then applies as before).
    The kernel drops the lock if the process dies.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    fd = os.open(f"{database}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + WRITER_TURN_TIMEOUT
    pause = 0.0002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.002)


def end_writer_turn(fd: int | None) -> None:
    """Let the next writer in (after the transaction has ended)."""
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def alembic_config(database_url: str) -> Config:
    """An Alembic config that works from a source tree and from an installed wheel."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; Alembic is the only source of the schema."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def insert_for(dialect: str, model: Any) -> Any:
    """The INSERT construct of a dialect by name."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def json_object_agg(dialect: str, key: Any, value: Any) -> Any:
    """An aggregate folding (text key, JSON value) rows into one JSON object.

    SQLite gives the object as text, PostgreSQL's driver as a dict; no rows
    give NULL on PostgreSQL and ``{}`` on SQLite.
    """
    if dialect == "postgresql":
        return func.json_object_agg(key, value)
    return func.json_group_object(key, func.json(value))


def upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    updates: dict[str, str],
) -> None:
    """INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL alike.

    Two tabs (or a retried request) saving the same rows both succeed; the
    last write wins instead of one of them failing on the unique key.
    """
    if not rows:
        return
    statement = upsert_statement(
        session.get_bind().dialect.name, model, keys, tuple(sorted(updates.items()))
    )
    # Parameters apart from the statement: compiled once, cached, run as one batch
    # on the session's connection (Core executemany; the ORM's bulk path costs more).
    session.connection().execute(statement, rows)


@lru_cache(maxsize=64)
def upsert_statement(
    dialect: str, model: Any, keys: tuple[str, ...], updates: tuple[tuple[str, str], ...]
) -> Any:
    """The upsert construct, built once: building ``excluded`` costs more than running it."""
    statement = insert_for(dialect, model)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: getattr(statement.excluded, source) for column, source in updates},
    )
