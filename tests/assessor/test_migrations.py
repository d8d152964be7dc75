"""Alembic is the only source of the schema: the models and migrations must agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from assessor.extensions import db
from assessor.models import Base


def test_autogenerate_finds_no_difference(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent(migrated_app):
    from assessor.database import upgrade

    with migrated_app.app_context():
        upgrade(db.engine)
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert len(version.all()) == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from sqlalchemy import create_engine

    from assessor.database import configure_sqlite

    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    configure_sqlite(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
