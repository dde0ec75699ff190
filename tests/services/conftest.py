"""Fixtures for the reference services' unit tests (no engine needed)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BACKEND_SRC = REPO / "services" / "backend"
FRONTEND_SRC = REPO / "services" / "frontend"
sys.path.insert(0, str(BACKEND_SRC))

with warnings.catch_warnings():
    # starlette 1.x asks for httpx2 but still works with httpx 0.28, which the
    # project already pins; the warning is raised once, at import.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from todo_api.main import create_app  # noqa: E402
from todo_api.settings import Settings  # noqa: E402

SECRET = "s" * 32 + "-unit-test-only"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        jwt_secret=SECRET,
        admin_username="admin",
        admin_password=PASSWORD,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
        version="1.2.3",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    response = client.post("/api/auth/token", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def client_for() -> Any:
    """Factory: a TestClient (a context manager) for other settings."""
    return lambda settings: TestClient(create_app(settings))
