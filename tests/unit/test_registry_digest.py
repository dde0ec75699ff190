"""`engine.docker.registry_digest`'s failures are one line each, never a traceback: an
engine whose registry does not answer in time, one that refuses the tag, one that
is gone. The engine here is a stand-in on a unix socket that answers `/version`
like Docker 26 and then does what each case needs (the real engine's answers are
in tests/engine/test_base_freshness.py)."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockwright.engine import docker as engine
from dockwright.errors import EngineError, RegistryError

VERSION = json.dumps({"ApiVersion": "1.45", "Version": "26.1.5"}).encode()


def _respond(conn: socket.socket, status: str, body: bytes) -> None:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    conn.sendall(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _serve(path: Path, on_distribution: Callable[[socket.socket], None]) -> Iterator[str]:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if b"/version" in data.split(b"\r\n", 1)[0]:
                    _respond(conn, "200 OK", VERSION)
                else:
                    on_distribution(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"unix://{path}"
    finally:
        stop.set()
        server.close()


@pytest.fixture
def short_sock() -> Iterator[Path]:
    # A unix socket path must stay short (108 bytes): not under pytest's long tmp path.
    folder = Path(tempfile.mkdtemp(prefix="dw-", dir="/tmp"))
    yield folder / "e.sock"
    shutil.rmtree(folder, ignore_errors=True)


def test_a_registry_that_does_not_answer_in_time_is_one_line(
    short_sock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hang = threading.Event()
    for host in _serve(short_sock, lambda _conn: hang.wait(5)):
        monkeypatch.setenv("DOCKER_HOST", host)
        monkeypatch.setattr(engine, "REGISTRY_TIMEOUT", 1)
        with pytest.raises(RegistryError) as info:
            engine.registry_digest("python:3.13-slim")
        hang.set()
    assert str(info.value) == "the registry did not answer the engine within 1 s"


def test_a_tag_the_registry_does_not_know_is_its_reason(
    short_sock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps({"message": "manifest unknown: manifest unknown"}).encode()
    for host in _serve(short_sock, lambda conn: _respond(conn, "404 Not Found", body)):
        monkeypatch.setenv("DOCKER_HOST", host)
        with pytest.raises(RegistryError) as info:
            engine.registry_digest("python:0-nope")
    assert str(info.value) == "the registry did not resolve it (manifest unknown: manifest unknown)"


def test_no_engine_is_an_engine_error(short_sock: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{short_sock}")  # nothing listens there
    with pytest.raises(EngineError) as info:
        engine.registry_digest("python:3.13-slim")
    assert str(info.value) == f"no Docker engine at unix://{short_sock}; start dockerd"


def test_an_engine_that_closes_the_connection_is_an_engine_error(
    short_sock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for host in _serve(short_sock, lambda conn: conn.close()):
        monkeypatch.setenv("DOCKER_HOST", host)
        with pytest.raises(EngineError) as info:
            engine.registry_digest("python:3.13-slim")
    assert str(info.value).startswith("asking the engine for python:3.13-slim failed: ")
    assert "\n" not in str(info.value)
