"""dockwright's Invoke collection. Import `ns` in a project's tasks.py."""

from __future__ import annotations

from invoke.collection import Collection

from dockwright.tasks.build import build
from dockwright.tasks.check import check
from dockwright.tasks.diff import diff
from dockwright.tasks.env import ns as env_ns
from dockwright.tasks.init import init
from dockwright.tasks.release import push, registry_ns, release, tags, version
from dockwright.tasks.report import report
from dockwright.tasks.sbom import sbom
from dockwright.tasks.scan import scan
from dockwright.tasks.smoke import smoke
from dockwright.tasks.stack import config, down, logs, ps, up

ns = Collection()
ns.add_task(init)
ns.add_task(build)
ns.add_task(check)
ns.add_task(scan)
ns.add_task(sbom)
ns.add_task(diff)
ns.add_task(report)
for _task in (version, tags, push, release):
    ns.add_task(_task)
ns.add_collection(registry_ns)
for _task in (up, down, ps, logs, config, smoke):
    ns.add_task(_task)
ns.add_collection(env_ns)
