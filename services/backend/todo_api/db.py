"""Database access: SQLite (the default) or PostgreSQL, and schema migrations.

A connection is opened per unit of work. That costs a millisecond or two and
means a database restart never leaves the API holding dead connections: the
next request simply connects again.

SQL is written once with ``?`` placeholders; for PostgreSQL (pg8000's
``format`` paramstyle) they are rewritten to ``%s``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

CONNECT_TIMEOUT_SECONDS = 5
# Any constant works; it only has to be the same for every backend replica.
MIGRATION_LOCK_ID = 7_400_431

# version -> statements per dialect. Append new versions; never edit old ones.
MIGRATIONS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "sqlite": (
            """CREATE TABLE todos (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                owner TEXT NOT NULL,
                title TEXT NOT NULL,
                done BOOLEAN NOT NULL DEFAULT FALSE,
                created_at TEXT NOT NULL
            )""",
        ),
        "postgresql": (
            """CREATE TABLE todos (
                id BIGSERIAL PRIMARY KEY,
                owner TEXT NOT NULL,
                title TEXT NOT NULL,
                done BOOLEAN NOT NULL DEFAULT FALSE,
                created_at TEXT NOT NULL
            )""",
        ),
    },
    2: {
        "sqlite": (
            "ALTER TABLE todos ADD COLUMN updated_at TEXT",
            "CREATE INDEX todos_owner ON todos (owner, id)",
        ),
        "postgresql": (
            "ALTER TABLE todos ADD COLUMN updated_at TEXT",
            "CREATE INDEX todos_owner ON todos (owner, id)",
        ),
    },
}
LATEST_VERSION = max(MIGRATIONS)


class DatabaseUnavailable(Exception):
    """The database could not be reached or refused the operation."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Database:
    """Opens connections for one DATABASE_URL and runs SQL on them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite:") else "postgresql"
        self._schema_ready = False

    def __repr__(self) -> str:  # the URL may carry a password
        return f"Database(dialect={self.dialect!r})"

    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so DDL in
            # migrations is transactional too.
            conn = sqlite3.connect(path, timeout=CONNECT_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        import pg8000.dbapi  # imported lazily: SQLite-only runs do not need it

        parts = urlsplit(self.url)
        sslmode = parse_qs(parts.query).get("sslmode", ["disable"])[0]
        return pg8000.dbapi.connect(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password is not None else None,
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            database=unquote(parts.path.lstrip("/")) or None,
            timeout=CONNECT_TIMEOUT_SECONDS,
            ssl_context=True if sslmode in ("require", "verify-full") else None,
        )

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """Yield a cursor inside a transaction; commit on success, roll back on error."""
        try:
            conn = self._connect()
        except Exception as exc:  # every driver has its own error tree
            raise DatabaseUnavailable(f"cannot connect to {self.dialect}: {exc}") from exc
        try:
            cursor = conn.cursor()
            if self.dialect == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            conn.commit()
        except Exception as exc:
            _quietly(conn.rollback)
            if isinstance(exc, sqlite3.Error | OSError) or type(exc).__module__.startswith(
                "pg8000"
            ):
                raise DatabaseUnavailable(f"{self.dialect} error: {exc}") from exc
            raise
        finally:
            _quietly(conn.close)

    def sql(self, text: str) -> str:
        return text if self.dialect == "sqlite" else text.replace("?", "%s")

    def fetch(self, cursor: Any, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor.execute(self.sql(text), tuple(params))
        if cursor.description is None:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- schema -----------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema to LATEST_VERSION; safe to run any number of times."""
        with self.transaction() as cursor:
            if self.dialect == "postgresql":
                # Two backends starting together must not both apply version 1.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            rows = self.fetch(cursor, "SELECT version FROM schema_migrations")
            applied = {row["version"] for row in rows}
            for version in sorted(set(MIGRATIONS) - applied):
                for statement in MIGRATIONS[version][self.dialect]:
                    cursor.execute(statement)
                cursor.execute(
                    self.sql("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"),
                    (version, utc_now()),
                )
        self._schema_ready = True
        return LATEST_VERSION

    def ensure_schema(self) -> None:
        if not self._schema_ready:
            self.migrate()

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers and has our schema."""
        self.ensure_schema()
        with self.transaction() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()

    def schema_version(self) -> int:
        with self.transaction() as cursor:
            rows = self.fetch(cursor, "SELECT MAX(version) AS version FROM schema_migrations")
        return int(rows[0]["version"] or 0)


def _quietly(action: Any) -> None:
    """Run a clean-up step whose own failure must not hide the original error."""
    with suppress(Exception):  # the connection is already broken
        action()
