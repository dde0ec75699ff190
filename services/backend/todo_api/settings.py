"""Settings read from the environment, validated once at start-up.

Every rule here matches the ``# @rule`` comment of the same variable in the
repository's ``.env.example``. A bad value raises :class:`ConfigError` whose
message is one line for people: what is wrong and what to do. Messages never
contain a secret's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 8
DEFAULT_DATABASE_URL = "sqlite:////data/todo.db"
ENVIRONMENTS = ("development", "production")


class ConfigError(Exception):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    jwt_secret: str
    admin_username: str
    admin_password: str
    port: int = 8000
    database_url: str = DEFAULT_DATABASE_URL
    environment: str = "production"
    version: str = "0.0.0"
    token_ttl_seconds: int = 3600

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return (
            f"Settings(port={self.port}, environment={self.environment!r}, "
            f"version={self.version!r}, database={self.database_dialect!r})"
        )

    @property
    def database_dialect(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite:") else "postgresql"


def parse_port(raw: str) -> int:
    """Return ``raw`` as a TCP port number or raise ConfigError."""
    text = raw.strip()
    if text.isdigit() and 1 <= int(text) <= 65535:
        return int(text)
    raise ConfigError(f"PORT={raw!r} is not a valid TCP port; use an integer from 1 to 65535")


def _jwt_secret(env: Mapping[str, str]) -> str:
    secret = env.get("JWT_SECRET", "")
    if not secret:
        raise ConfigError(
            f"JWT_SECRET is not set; set it to a random string of at least "
            f"{MIN_SECRET_LENGTH} characters"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"JWT_SECRET is too short ({len(secret)} characters); use at least "
            f"{MIN_SECRET_LENGTH} random characters"
        )
    return secret


def _admin_password(env: Mapping[str, str]) -> str:
    password = env.get("ADMIN_PASSWORD", "")
    if len(password) < MIN_PASSWORD_LENGTH:
        state = "is not set" if not password else f"is too short ({len(password)} characters)"
        raise ConfigError(
            f"ADMIN_PASSWORD {state}; set the default user's password "
            f"(at least {MIN_PASSWORD_LENGTH} characters)"
        )
    return password


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise ConfigError(
                "DATABASE_URL has no SQLite file path; use sqlite:////absolute/path.db"
            )
        return url
    if scheme in ("postgresql", "postgres"):
        if not urlsplit(url).hostname:
            raise ConfigError(
                "DATABASE_URL has no host; use postgresql://USER:PASSWORD@HOST:5432/DB"
            )
        return url
    # The URL may hold a password: name only its scheme.
    raise ConfigError(
        f"DATABASE_URL scheme {scheme or '(none)'!r} is not supported; "
        "use postgresql://... or sqlite:////path"
    )


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping, or raise ConfigError."""
    environment = env.get("ENVIRONMENT", "").strip() or "production"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"ENVIRONMENT={environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    username = env.get("ADMIN_USERNAME", "").strip() or "admin"
    return Settings(
        jwt_secret=_jwt_secret(env),
        admin_username=username,
        admin_password=_admin_password(env),
        port=parse_port(env.get("PORT", "") or "8000"),
        database_url=_database_url(env),
        environment=environment,
        version=env.get("APP_VERSION", "").strip() or "0.0.0",
    )
