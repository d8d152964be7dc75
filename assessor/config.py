"""Configuration read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(RuntimeError):
    """The app cannot start with this configuration; the message says what to set."""


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    """The embedded default: one SQLite file under the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'assessor.sqlite3'}"


def from_environment(instance_path: str) -> dict[str, Any]:
    """Settings taken from environment variables (documented in the README)."""
    env = os.environ
    return {
        "ENV_NAME": env.get("ASSESSOR_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or default_database_url(instance_path),
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "INVITATION_MAX_AGE_DAYS": int(env.get("INVITATION_MAX_AGE_DAYS", "21")),
        "RETENTION_DAYS": int(env.get("RETENTION_DAYS", "90")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI")
        or env.get("REDIS_URL")
        or "memory://",
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_FROM": env.get("MAIL_FROM", "no-reply@localhost"),
    }


BASE: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A page's CSRF token is refused after a working day (seconds): a form left open
    # longer gets the 400 page that says to reload it. Sign-out clears the session.
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "PAGE_SIZE": 50,
}


def engine_options(database_url: str) -> dict[str, Any]:
    """Engine options for the database: a server's pooled connections are checked
    before use (they die when the server restarts); a SQLite file's cannot die, so
    the check would only cost a query per request."""
    return {} if database_url.startswith("sqlite") else {"pool_pre_ping": True}


def check_production(config: dict[str, Any]) -> None:
    """Refuse to run in production with a missing or default secret key."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY")
    if not key or key == DEFAULT_SECRET_KEY or len(str(key)) < 32:
        raise ConfigError(
            "SECRET_KEY is missing or is the development default. Set the SECRET_KEY "
            "environment variable to a random string of at least 32 characters, e.g. "
            "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
