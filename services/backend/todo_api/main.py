"""The FastAPI application: health, sign-in and a per-user todo list."""

import hmac
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from .db import Database, DatabaseUnavailable, utc_now
from .settings import Settings, load_settings

# Shown by GET /api. The dev-stack engine test edits this line in a copy of the
# source to prove that hot reload works.
SERVICE_NAME = "dockwright-ref backend"
JWT_ALGORITHM = "HS256"

log = logging.getLogger("todo_api")


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class TodoCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class TodoUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    done: bool | None = None


class Todo(BaseModel):
    id: int
    title: str
    done: bool
    created_at: str
    updated_at: str | None = None


class Health(BaseModel):
    status: Literal["healthy", "unhealthy"]
    timestamp: str
    version: str
    uptime: int = Field(ge=0)


def _todo(row: dict[str, Any]) -> Todo:
    return Todo(
        id=row["id"],
        title=row["title"],
        done=bool(row["done"]),
        created_at=row["created_at"],
        updated_at=row.get("updated_at"),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; without settings they are read from the environment."""
    settings = settings or load_settings(os.environ)
    database = Database(settings.database_url)
    started = time.monotonic()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            version = database.migrate()
            log.info("database schema at version %s (%s)", version, database.dialect)
        except DatabaseUnavailable as exc:
            # Keep serving: /health says "unhealthy" and every request retries.
            log.warning("database not ready, will retry on demand: %s", exc)
        yield

    production = settings.environment == "production"
    app = FastAPI(
        title="dockwright reference backend",
        version=settings.version,
        lifespan=lifespan,
        # No interactive docs in production: less surface, nothing to leak.
        docs_url=None if production else "/docs",
        redoc_url=None,
        openapi_url=None if production else "/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    bearer = HTTPBearer(auto_error=False)

    @app.exception_handler(DatabaseUnavailable)
    async def database_unavailable(_: Request, exc: DatabaseUnavailable) -> JSONResponse:
        log.warning("%s", exc)
        return JSONResponse({"detail": "database unavailable"}, status.HTTP_503_SERVICE_UNAVAILABLE)

    def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        denied = HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
        if credentials is None:
            raise denied
        try:
            claims = jwt.decode(
                credentials.credentials,
                settings.jwt_secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise denied from exc
        return str(claims["sub"])

    User = Annotated[str, Depends(current_user)]

    @app.get("/health", response_model=Health)
    def health(response: Response) -> Health:
        try:
            database.ping()
            state: Literal["healthy", "unhealthy"] = "healthy"
        except DatabaseUnavailable as exc:
            log.warning("health check: %s", exc)
            state = "unhealthy"
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(
            status=state,
            timestamp=utc_now(),
            version=settings.version,
            uptime=int(time.monotonic() - started),
        )

    @app.get("/api")
    def about() -> dict[str, str]:
        return {"name": SERVICE_NAME, "version": settings.version}

    @app.post("/api/auth/token", response_model=TokenResponse)
    def issue_token(body: TokenRequest) -> TokenResponse:
        # compare_digest on both fields: no timing hint about which one was wrong.
        user_ok = hmac.compare_digest(body.username.encode(), settings.admin_username.encode())
        password_ok = hmac.compare_digest(body.password.encode(), settings.admin_password.encode())
        if not (user_ok and password_ok):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
        now = datetime.now(UTC)
        claims = {
            "sub": body.username,
            "iat": now,
            "exp": now + timedelta(seconds=settings.token_ttl_seconds),
        }
        token = jwt.encode(claims, settings.jwt_secret, algorithm=JWT_ALGORITHM)
        return TokenResponse(access_token=token, expires_in=settings.token_ttl_seconds)

    @app.get("/api/todos", response_model=list[Todo])
    def list_todos(user: User) -> list[Todo]:
        database.ensure_schema()
        with database.transaction() as cur:
            rows = database.fetch(cur, "SELECT * FROM todos WHERE owner = ? ORDER BY id", (user,))
        return [_todo(row) for row in rows]

    @app.post("/api/todos", response_model=Todo, status_code=status.HTTP_201_CREATED)
    def create_todo(body: TodoCreate, user: User) -> Todo:
        database.ensure_schema()
        with database.transaction() as cur:
            rows = database.fetch(
                cur,
                "INSERT INTO todos (owner, title, done, created_at) VALUES (?, ?, FALSE, ?) "
                "RETURNING *",
                (user, body.title, utc_now()),
            )
        return _todo(rows[0])

    @app.get("/api/todos/{todo_id}", response_model=Todo)
    def get_todo(todo_id: int, user: User) -> Todo:
        database.ensure_schema()
        with database.transaction() as cur:
            rows = database.fetch(
                cur, "SELECT * FROM todos WHERE id = ? AND owner = ?", (todo_id, user)
            )
        if not rows:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no todo {todo_id}")
        return _todo(rows[0])

    @app.patch("/api/todos/{todo_id}", response_model=Todo)
    def update_todo(todo_id: int, body: TodoUpdate, user: User) -> Todo:
        database.ensure_schema()
        changes = body.model_dump(exclude_none=True)
        with database.transaction() as cur:
            rows = database.fetch(
                cur,
                "UPDATE todos SET title = COALESCE(?, title), done = COALESCE(?, done), "
                "updated_at = ? WHERE id = ? AND owner = ? RETURNING *",
                (changes.get("title"), changes.get("done"), utc_now(), todo_id, user),
            )
        if not rows:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no todo {todo_id}")
        return _todo(rows[0])

    @app.delete("/api/todos/{todo_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_todo(todo_id: int, user: User) -> Response:
        database.ensure_schema()
        with database.transaction() as cur:
            rows = database.fetch(
                cur, "DELETE FROM todos WHERE id = ? AND owner = ? RETURNING id", (todo_id, user)
            )
        if not rows:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no todo {todo_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return app
