"""A registry login held in memory: never shown, never written by dockwright itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """A user name and secret; `identity` marks an OAuth refresh token (docker login's
    `identitytoken`), which is exchanged at the token service instead of sent as a password."""

    username: str
    token: str
    identity: bool = False

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Credentials(username={self.username!r}, token='********')"
