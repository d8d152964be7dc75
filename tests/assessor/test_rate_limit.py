"""Sign-in is rate limited per address, in Redis when configured (memory otherwise)."""

from __future__ import annotations

import uuid

import pytest

from assessor.database import upgrade
from assessor.extensions import db
from tests.conftest import make_test_app, unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, tmp_path):
    if request.param == "redis" and not redis_available():
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    storage = "memory://" if request.param == "memory" else REDIS_URL
    prefix = f"assessor-test-{uuid.uuid4().hex}"
    app = make_test_app(
        f"sqlite:///{tmp_path / 'limit.sqlite3'}",
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        upgrade(db.engine)
    yield app, request.param, prefix
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    with app.app_context():
        db.engine.dispose()


def test_fourth_attempt_in_a_minute_is_refused_with_a_clear_message(limited_app):
    from tests.conftest import csrf_token_from

    app, storage, prefix = limited_app
    client = app.test_client()
    statuses = []
    for _ in range(4):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login",
            data={"email": "nobody@example.com", "password": "wrong-password", "csrf_token": token},
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    # Viewing the form is not limited, so the message can always be read.
    assert client.get("/login").status_code == 200
    if storage == "redis":
        import redis

        assert any(True for _ in redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))
