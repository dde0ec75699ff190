"""dockwright's Invoke collection. Import `ns` in a project's tasks.py."""

from __future__ import annotations

from invoke.collection import Collection

from dockwright.tasks.build import build
from dockwright.tasks.check import check

ns = Collection()
ns.add_task(build)
ns.add_task(check)
