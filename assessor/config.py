"""Configuration read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scoring.norms import DEFAULT_MIN_NORM_SIZE, NORM_SIZE_FLOOR
from scoring.reliability import N_BOOT

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"

#: The only ASSESSOR_ENV values that are not production (compared case-insensitively):
#: anything else, a typo included, fails closed and gets production's checks.
NON_PRODUCTION_ENVS = frozenset({"development", "test"})
#: A production SECRET_KEY has at least this many characters once stripped of spaces...
MIN_SECRET_KEY_LENGTH = 32
#: ...and at least this many distinct characters, so "aaaa…" or "abab…" is refused.
MIN_SECRET_KEY_DISTINCT = 12


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
        "PROXY_FIX_HOPS": _non_negative_int(env.get("PROXY_FIX_HOPS", "0"), "PROXY_FIX_HOPS"),
        "INVITATION_MAX_AGE_DAYS": int(env.get("INVITATION_MAX_AGE_DAYS", "21")),
        "RETENTION_DAYS": int(env.get("RETENTION_DAYS", "90")),
        "NORM_MIN_SIZE": norm_min_size(env.get("NORM_MIN_SIZE", str(DEFAULT_MIN_NORM_SIZE))),
        "NORM_BOOTSTRAP": bootstrap_resamples(env.get("NORM_BOOTSTRAP", str(N_BOOT))),
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
    # A form has at most 1,000 fields and 500 KB of text (the longest questionnaire
    # page has about 100): more is refused with 413 before it is parsed, see
    # assessor.web.register_resource_limits. File uploads count toward
    # MAX_CONTENT_LENGTH only.
    "MAX_FORM_PARTS": 1000,
    "MAX_FORM_MEMORY_SIZE": 500 * 1024,
    "PAGE_SIZE": 50,
}


def engine_options(database_url: str) -> dict[str, Any]:
    """Engine options for the database: a server's pooled connections are checked
    before use (they die when the server restarts); a SQLite file's cannot die, so
    the check would only cost a query per request."""
    return {} if database_url.startswith("sqlite") else {"pool_pre_ping": True}


def _int_at_least(value: str, name: str, minimum: int, why: str = "") -> int:
    """An integer setting of at least ``minimum``: a clear ConfigError, never a traceback."""
    try:
        number = int(value.strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        at_least = "0 or more" if minimum == 0 else f"of at least {minimum}"
        raise ConfigError(f"{name} must be a whole number, {at_least} (got {value!r}){why}.")
    return number


def _non_negative_int(value: str, name: str) -> int:
    return _int_at_least(value, name, 0)


def norm_min_size(value: str) -> int:
    """The size under which a norm group is called provisional: never under the floor
    below which no group is built at all."""
    return _int_at_least(
        value, "NORM_MIN_SIZE", NORM_SIZE_FLOOR,
        ": smaller norm groups give percentiles that move with every new candidate",
    )  # fmt: skip


def bootstrap_resamples(value: str) -> int:
    """Resamples behind the bootstrap intervals of norm groups and manuals: fewer than
    100 cannot place a 5th and a 95th percentile."""
    return _int_at_least(value, "NORM_BOOTSTRAP", 100)


def is_production(config: dict[str, Any]) -> bool:
    """Fail closed: only ``development`` and ``test`` (any case) are not production."""
    name = str(config.get("ENV_NAME") or "").strip().lower()
    return name not in NON_PRODUCTION_ENVS


def is_development(config: dict[str, Any]) -> bool:
    """Only development may create demo data (its accounts share one known password)."""
    return str(config.get("ENV_NAME") or "").strip().lower() == "development"


def secret_key_problem(key: Any) -> str | None:
    """Why ``key`` is unfit for production, or None. The rule: not the development
    default, at least 32 characters once surrounding whitespace is stripped, and at
    least 12 distinct characters (a token_hex(32) has 16)."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key or "")
    stripped = text.strip()
    if not stripped:
        return "SECRET_KEY is missing or blank"
    if text == DEFAULT_SECRET_KEY or stripped == DEFAULT_SECRET_KEY:
        return "SECRET_KEY is the development default"
    if len(stripped) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(stripped)) < MIN_SECRET_KEY_DISTINCT:
        return (
            f"SECRET_KEY has fewer than {MIN_SECRET_KEY_DISTINCT} distinct characters "
            "(too easy to guess)"
        )
    return None


def check_production(config: dict[str, Any]) -> None:
    """Refuse to run in production (any ASSESSOR_ENV but development/test) with a
    missing, default, short, blank or low-entropy secret key: it signs the sessions."""
    if not is_production(config):
        return
    problem = secret_key_problem(config.get("SECRET_KEY"))
    if problem is not None:
        raise ConfigError(
            f"{problem}, and ASSESSOR_ENV={config.get('ENV_NAME')!r} counts as production "
            "(only 'development' and 'test' do not). Set the SECRET_KEY environment "
            f"variable to a random string of at least {MIN_SECRET_KEY_LENGTH} characters "
            f"with at least {MIN_SECRET_KEY_DISTINCT} distinct ones, e.g. the output of: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
