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


def test_0006_moves_client_names_to_clients_and_keeps_staff_on_their_engagements(
    own_database, request
):
    """A database from before clients: one client per distinct name and firm, every
    engagement pointing at it, recruiters and consultants (and the creator) members,
    board users not (they saw every client's engagements, which membership ends),
    audit events placed in their engagement; and back down again."""
    from sqlalchemy import create_engine, text

    from assessor.database import upgrade

    engine = create_engine(own_database)
    request.addfinalizer(engine.dispose)  # also when an assertion fails
    upgrade(engine, "0005")
    now = "2026-01-01 00:00:00+00:00"
    with engine.begin() as c:
        for org in (1, 2):
            c.execute(
                text(
                    "INSERT INTO organisation (id, name, slug, created_at) VALUES (:o, :n, :s, :t)"
                ),
                {"o": org, "n": f"Firm {org}", "s": f"firm-{org}", "t": now},
            )
        users = [
            (1, 1, "recruiter"),
            (2, 1, "consultant"),
            (3, 1, "board"),
            (4, 1, "admin"),
            (5, 2, "recruiter"),
        ]
        for uid, org, role in users:
            c.execute(
                text(
                    "INSERT INTO user_account (id, organisation_id, email, name, password_hash,"
                    " role, is_enabled, created_at, session_version)"
                    " VALUES (:u, :o, :e, :n, 'x', :r, true, :t, 1)"
                ),
                {
                    "u": uid,
                    "o": org,
                    "e": f"u{uid}@example.com",
                    "n": f"U{uid}",
                    "r": role,
                    "t": now,
                },
            )
        engagements = [
            (1, 1, "Halden Utilities", 1),
            (2, 1, "Halden Utilities", 2),
            (3, 1, "Marlow Rail", 4),
            (4, 2, "Halden Utilities", 5),
        ]
        for eid, org, client, creator in engagements:
            c.execute(
                text(
                    "INSERT INTO engagement (id, organisation_id, client_name, role_title, notes,"
                    " status, interview_weight, created_by_id, created_at, candidate_counts,"
                    " score_counts) VALUES (:e, :o, :c, 'CCO', '', 'open', 0.4, :u, :t, '{}', '[]')"
                ),
                {"e": eid, "o": org, "c": client, "u": creator, "t": now},
            )
        c.execute(
            text(
                "INSERT INTO audit_event (organisation_id, actor_id, action, object_type,"
                " object_id, detail, created_at) VALUES (1, 1, 'engagement.create',"
                " 'engagement', 3, '{}', :t)"
            ),
            {"t": now},
        )
    upgrade(engine)
    with engine.connect() as c:
        clients = c.execute(text("SELECT organisation_id, name FROM client ORDER BY 1, 2")).all()
        assert [tuple(r) for r in clients] == [
            (1, "Halden Utilities"),
            (1, "Marlow Rail"),
            (2, "Halden Utilities"),
        ]
        named = c.execute(
            text(
                "SELECT e.id, c.name, c.organisation_id FROM engagement e"
                " JOIN client c ON c.id = e.client_id ORDER BY e.id"
            )
        ).all()
        assert [tuple(r) for r in named] == [
            (1, "Halden Utilities", 1),
            (2, "Halden Utilities", 1),
            (3, "Marlow Rail", 1),
            (4, "Halden Utilities", 2),
        ]
        members = c.execute(
            text("SELECT engagement_id, user_id FROM engagement_member ORDER BY 1, 2")
        ).all()
        # staff of firm 1 on each of its engagements, the admin creator of 3 too; no board user
        assert [tuple(r) for r in members] == [
            (1, 1),
            (1, 2),
            (2, 1),
            (2, 2),
            (3, 1),
            (3, 2),
            (3, 4),
            (4, 5),
        ]
        placed = c.execute(text("SELECT engagement_id FROM audit_event")).scalar_one()
        assert placed == 3
    from alembic import command

    from assessor.database import alembic_config

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0005")
    with engine.connect() as c:
        names = c.execute(text("SELECT id, client_name FROM engagement ORDER BY id")).all()
        assert [tuple(r) for r in names] == [
            (1, "Halden Utilities"),
            (2, "Halden Utilities"),
            (3, "Marlow Rail"),
            (4, "Halden Utilities"),
        ]
    engine.dispose()


def test_0010_norm_groups_up_and_down(own_database, request):
    """Norm group tables come and go, the engagement's own norm goes and comes back, and
    stored standings (derived data) are cleared both ways for init-db to store again."""
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from assessor.database import alembic_config, upgrade

    engine = create_engine(own_database)
    request.addfinalizer(engine.dispose)
    upgrade(engine, "0009")
    assert "engagement_norm" in inspect(engine).get_table_names()
    upgrade(engine, "0010")
    tables = set(inspect(engine).get_table_names())
    assert {"norm_group", "norm_group_member", "engagement_norm_choice"} <= tables
    assert "engagement_norm" not in tables
    columns = {c["name"] for c in inspect(engine).get_columns("candidate_standing")}
    assert {"score_low", "score_high", "interview", "fit_reliability", "norm_group_id"} <= columns
    assert "norm_consent_at" in {c["name"] for c in inspect(engine).get_columns("assignment")}
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0009")
    tables = set(inspect(engine).get_table_names())
    assert "engagement_norm" in tables and "norm_group" not in tables
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM candidate_standing")).scalar_one() == 0
