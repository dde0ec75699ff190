"""dockwright's Invoke collection. Import `ns` in a project's tasks.py."""

from __future__ import annotations

from invoke.collection import Collection

ns = Collection()
