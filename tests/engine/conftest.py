"""Helpers for engine tests: unique names, free ports, the host CA bundle."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest


@pytest.fixture
def unique() -> str:
    """A short unique suffix for project, image and container names."""
    return uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def ca_bundle() -> Path:
    """The host trust store: the TLS-intercepting proxy's CA is in it."""
    for candidate in (
        os.environ.get("DOCKWRIGHT_CA_BUNDLE"),
        os.environ.get("SSL_CERT_FILE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise AssertionError("no CA bundle on this host: set SSL_CERT_FILE")
