"""Engine set-up and schema migration, shared by the app, the CLI and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Engine, cast, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: True while the work under way is meant to write (a POST, a CLI command); set
#: it with :func:`writing`, or as the request boundary does for unsafe methods.
WRITING: ContextVar[bool] = ContextVar("assessor_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Mark the transactions begun inside the block as ones that write.

    On SQLite they then start by taking the database's single write lock
    (``BEGIN IMMEDIATE``), waiting their turn if another writer has it, so
    they never read old data and then fail to write it. Nothing changes on
    PostgreSQL, which locks only the rows written.
    """
    token = WRITING.set(True)
    try:
        yield
    finally:
        WRITING.reset(token)


def configure_sqlite(engine: Engine) -> None:
    """WAL mode, foreign keys on, and transactions begun as SQLAlchemy documents.

    The Python driver's own transaction handling skips BEGIN before DDL and
    breaks SAVEPOINT, so it is switched off and every transaction begins
    explicitly (SQLAlchemy's "Serializable isolation / Savepoints /
    Transactional DDL" recipe for pysqlite). A transaction inside
    :func:`writing` begins ``BEGIN IMMEDIATE``: it holds the write lock from
    its start to its commit, so writers run one after the other and each sees
    what the previous one committed. Any other transaction begins a plain
    ``BEGIN`` and only reads; readers never wait for writers in WAL mode.
    A writer that finds the lock taken waits up to ``busy_timeout``.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if WRITING.get() else "BEGIN")


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
    with writing(), engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def insert_for(dialect: str, model: Any) -> Any:
    """The INSERT construct of a dialect by name."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    updates: dict[str, str],
    unless_same: str | None = None,
) -> None:
    """INSERT … ON CONFLICT DO UPDATE on SQLite and PostgreSQL alike.

    Two tabs (or a retried request) saving the same rows both succeed; the
    last write wins instead of one of them failing on the unique key. With
    ``unless_same``, a row whose stored value of that column equals the one
    sent is left as it is (its other columns, e.g. when it was answered,
    keep their values): the database compares with the row as it is now, not
    as the request read it, so no write is skipped on a stale read.
    """
    if not rows:
        return
    statement = upsert_statement(
        session.get_bind().dialect.name,
        model,
        keys,
        tuple(sorted(updates.items())),
        unless_same,
    )
    # Parameters apart from the statement: compiled once, cached, run as one batch
    # on the session's connection (Core executemany; the ORM's bulk path costs more).
    session.connection().execute(statement, rows)


@lru_cache(maxsize=64)
def upsert_statement(
    dialect: str,
    model: Any,
    keys: tuple[str, ...],
    updates: tuple[tuple[str, str], ...],
    unless_same: str | None = None,
) -> Any:
    """The upsert construct, built once: building ``excluded`` costs more than running it."""
    statement = insert_for(dialect, model)
    condition = None
    if unless_same is not None:
        stored, sent = getattr(model, unless_same), getattr(statement.excluded, unless_same)
        if dialect == "postgresql" and isinstance(stored.type, JSON):
            # PostgreSQL's json has no equality: compare as jsonb
            stored, sent = cast(stored, JSONB), cast(sent, JSONB)
        condition = stored.is_distinct_from(sent)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={column: getattr(statement.excluded, source) for column, source in updates},
        where=condition,
    )
