"""Unit tests of the reference backend (services/backend), through TestClient."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from todo_api.db import LATEST_VERSION, Database
from todo_api.settings import ConfigError, Settings, load_settings

BACKEND_SRC = Path(__file__).resolve().parents[2] / "services" / "backend"
GOOD_ENV = {"JWT_SECRET": "k" * 32, "ADMIN_PASSWORD": "password1"}


class TestHealth:
    """GET /health answers the shared shape and reflects the database."""

    def test_healthy_shape(self, client: Any) -> None:
        response = client.get("/health")
        body = response.json()
        assert response.status_code == 200
        assert set(body) == {"status", "timestamp", "version", "uptime"}
        assert body["status"] == "healthy"
        assert body["version"] == "1.2.3"
        assert isinstance(body["uptime"], int) and body["uptime"] >= 0
        assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None

    def test_unreachable_database_is_unhealthy_503(
        self, settings: Settings, tmp_path: Path, client_for: Any
    ) -> None:
        missing = dataclasses.replace(
            settings, database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'todo.db'}"
        )
        with client_for(missing) as client:
            response = client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "unhealthy"

    def test_unreachable_postgres_is_unhealthy_503(
        self, settings: Settings, client_for: Any
    ) -> None:
        pytest.importorskip("pg8000", reason="pg8000 is only in the backend image")
        down = dataclasses.replace(settings, database_url="postgresql://u:p@127.0.0.1:9/db")
        with client_for(down) as client:
            assert client.get("/health").status_code == 503

    def test_todo_routes_answer_503_while_database_is_down(
        self, settings: Settings, tmp_path: Path, client_for: Any
    ) -> None:
        missing = dataclasses.replace(
            settings, database_url=f"sqlite:///{tmp_path / 'no-such-dir' / 'todo.db'}"
        )
        with client_for(missing) as client:
            token = client.post(
                "/api/auth/token", json={"username": "admin", "password": settings.admin_password}
            ).json()["access_token"]
            response = client.get("/api/todos", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert response.json() == {"detail": "database unavailable"}


class TestAuth:
    """POST /api/auth/token signs the default user in; todos need its token."""

    def test_wrong_password_is_401(self, client: Any) -> None:
        response = client.post("/api/auth/token", json={"username": "admin", "password": "nope"})
        assert response.status_code == 401

    def test_unknown_user_is_401(self, client: Any, settings: Settings) -> None:
        body = {"username": "mallory", "password": settings.admin_password}
        assert client.post("/api/auth/token", json=body).status_code == 401

    def test_token_is_hs256_with_subject_and_expiry(self, client: Any, settings: Settings) -> None:
        body = {"username": "admin", "password": settings.admin_password}
        answer = client.post("/api/auth/token", json=body).json()
        claims = jwt.decode(answer["access_token"], settings.jwt_secret, algorithms=["HS256"])
        assert claims["sub"] == "admin"
        assert answer["token_type"] == "bearer"
        assert answer["expires_in"] == settings.token_ttl_seconds

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param(None, id="no-header"),
            pytest.param("Bearer not-a-jwt", id="garbage"),
            pytest.param("Basic YWRtaW46eA==", id="wrong-scheme"),
        ],
    )
    def test_todos_without_valid_token_is_401(self, client: Any, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.get("/api/todos", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        ("secret", "expires"),
        [
            pytest.param("o" * 40, timedelta(minutes=5), id="other-secret"),
            pytest.param(None, timedelta(minutes=-1), id="expired"),
        ],
    )
    def test_forged_or_expired_token_is_401(
        self, client: Any, settings: Settings, secret: str | None, expires: timedelta
    ) -> None:
        claims = {"sub": "admin", "exp": datetime.now(UTC) + expires}
        token = jwt.encode(claims, secret or settings.jwt_secret, algorithm="HS256")
        response = client.get("/api/todos", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


class TestTodos:
    """The todo list: create, read, update, delete; each user sees only their own."""

    def test_create_then_list(self, client: Any, auth: dict[str, str]) -> None:
        created = client.post("/api/todos", json={"title": "write tests"}, headers=auth)
        assert created.status_code == 201
        todo = created.json()
        assert todo["title"] == "write tests" and todo["done"] is False
        assert client.get("/api/todos", headers=auth).json() == [todo]
        assert client.get(f"/api/todos/{todo['id']}", headers=auth).json() == todo

    def test_patch_marks_done_and_keeps_title(self, client: Any, auth: dict[str, str]) -> None:
        todo = client.post("/api/todos", json={"title": "a"}, headers=auth).json()
        patched = client.patch(f"/api/todos/{todo['id']}", json={"done": True}, headers=auth)
        assert patched.status_code == 200
        assert patched.json()["done"] is True
        assert patched.json()["title"] == "a"
        assert patched.json()["updated_at"]

    def test_delete_then_404(self, client: Any, auth: dict[str, str]) -> None:
        todo = client.post("/api/todos", json={"title": "a"}, headers=auth).json()
        assert client.delete(f"/api/todos/{todo['id']}", headers=auth).status_code == 204
        assert client.get(f"/api/todos/{todo['id']}", headers=auth).status_code == 404
        assert client.delete(f"/api/todos/{todo['id']}", headers=auth).status_code == 404

    @pytest.mark.parametrize("title", ["", "x" * 201], ids=["empty", "too-long"])
    def test_invalid_title_is_422(self, client: Any, auth: dict[str, str], title: str) -> None:
        assert client.post("/api/todos", json={"title": title}, headers=auth).status_code == 422

    def test_other_users_todos_are_invisible(
        self, client: Any, auth: dict[str, str], settings: Settings
    ) -> None:
        todo = client.post("/api/todos", json={"title": "mine"}, headers=auth).json()
        claims = {"sub": "someone-else", "exp": datetime.now(UTC) + timedelta(minutes=5)}
        other = {"Authorization": "Bearer " + jwt.encode(claims, settings.jwt_secret, "HS256")}
        assert client.get("/api/todos", headers=other).json() == []
        assert client.get(f"/api/todos/{todo['id']}", headers=other).status_code == 404
        patched = client.patch(f"/api/todos/{todo['id']}", json={"done": True}, headers=other)
        assert patched.status_code == 404

    def test_todos_survive_a_new_app_on_the_same_file(
        self, settings: Settings, client_for: Any
    ) -> None:
        login = {"username": "admin", "password": settings.admin_password}
        for _ in range(2):  # second round: a restarted backend, same SQLite file
            with client_for(settings) as client:
                token = client.post("/api/auth/token", json=login).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                client.post("/api/todos", json={"title": "persist"}, headers=headers)
                titles = [t["title"] for t in client.get("/api/todos", headers=headers).json()]
        assert titles == ["persist", "persist"]


class TestMigrations:
    """The schema is created or brought up to date on start, idempotently."""

    def test_migrate_twice_is_a_no_op(self, tmp_path: Path) -> None:
        database = Database(f"sqlite:///{tmp_path / 'm.db'}")
        assert database.migrate() == LATEST_VERSION
        assert database.migrate() == LATEST_VERSION
        assert database.schema_version() == LATEST_VERSION

    def test_upgrades_a_version_1_database(self, tmp_path: Path) -> None:
        import todo_api.db as db

        url = f"sqlite:///{tmp_path / 'old.db'}"
        original = dict(db.MIGRATIONS)
        try:
            db.MIGRATIONS.clear()
            db.MIGRATIONS[1] = original[1]
            Database(url).migrate()
        finally:
            db.MIGRATIONS.clear()
            db.MIGRATIONS.update(original)
        database = Database(url)
        assert database.schema_version() == 1
        database.migrate()
        assert database.schema_version() == LATEST_VERSION
        with database.transaction() as cursor:
            columns = {row["name"] for row in database.fetch(cursor, "PRAGMA table_info(todos)")}
        assert "updated_at" in columns


class TestSettings:
    """Settings come from the environment; bad ones raise one clear line."""

    def test_defaults(self) -> None:
        settings = load_settings(GOOD_ENV)
        assert settings.port == 8000
        assert settings.admin_username == "admin"
        assert settings.version == "0.0.0"
        assert settings.environment == "production"
        assert settings.database_url == "sqlite:////data/todo.db"

    def test_app_version_and_postgres_url(self) -> None:
        env = GOOD_ENV | {"APP_VERSION": "2.0.1", "DATABASE_URL": "postgresql://u:p@db:5432/t"}
        settings = load_settings(env)
        assert settings.version == "2.0.1"
        assert settings.database_dialect == "postgresql"

    @pytest.mark.parametrize(
        ("override", "message"),
        [
            pytest.param({"JWT_SECRET": ""}, "JWT_SECRET is not set", id="secret-missing"),
            pytest.param(
                {"JWT_SECRET": "x" * 31}, "JWT_SECRET is too short (31", id="secret-short"
            ),
            pytest.param({"PORT": "http"}, "PORT='http' is not a valid TCP port", id="port-word"),
            pytest.param({"PORT": "0"}, "PORT='0' is not a valid TCP port", id="port-zero"),
            pytest.param({"PORT": "65536"}, "PORT='65536' is not a valid", id="port-too-big"),
            pytest.param({"ADMIN_PASSWORD": ""}, "ADMIN_PASSWORD is not set", id="no-password"),
            pytest.param({"ENVIRONMENT": "staging"}, "ENVIRONMENT='staging'", id="environment"),
            pytest.param({"DATABASE_URL": "mysql://u:pw@h/d"}, "scheme 'mysql'", id="db-scheme"),
        ],
    )
    def test_invalid_setting_is_rejected(self, override: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(GOOD_ENV | override)
        assert message in str(caught.value)
        assert "\n" not in str(caught.value)
        assert ":pw@" not in str(caught.value)

    def test_repr_hides_secrets(self) -> None:
        settings = load_settings(GOOD_ENV)
        assert "k" * 32 not in repr(settings)
        assert "password1" not in repr(settings)


class TestEntryPoint:
    """``python -m todo_api`` refuses bad settings with one stderr line, no traceback."""

    @pytest.mark.parametrize(
        ("override", "expected"),
        [
            pytest.param({}, "todo-api: configuration error: JWT_SECRET is not set", id="missing"),
            pytest.param(
                {"JWT_SECRET": "short"},
                "todo-api: configuration error: JWT_SECRET is too short (5 characters)",
                id="short",
            ),
            pytest.param(
                {"JWT_SECRET": "k" * 32, "PORT": "99999"},
                "todo-api: configuration error: PORT='99999' is not a valid TCP port",
                id="port",
            ),
        ],
    )
    def test_bad_setting_exits_78_with_one_line(
        self, override: dict[str, str], expected: str
    ) -> None:
        env = {"PATH": os.environ["PATH"], "ADMIN_PASSWORD": "password1"} | override
        result = subprocess.run(
            [sys.executable, "-m", "todo_api"],
            cwd=BACKEND_SRC,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 78
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(expected)

    def test_healthcheck_probe_fails_when_nothing_listens(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "todo_api.healthcheck"],
            cwd=BACKEND_SRC,
            env={"PATH": os.environ["PATH"], "PORT": "9"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert result.stdout.startswith("unhealthy:")
