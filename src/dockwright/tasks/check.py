"""`invoke check`: the policy gate. Compose-level findings with file:line, then PASS/FAIL
per image rule with the measured value (the gate: flows/check.py; tables: _policy.py)."""

from __future__ import annotations

from pathlib import Path

from invoke.context import Context
from invoke.tasks import task

from dockwright.tasks._common import guarded, split_names


@task(
    iterable=["service"],
    help={
        "service": "service(s) to check: -s backend or -s backend,frontend (default: all)",
        "target": "prod or dev: which build's images to check (default: the last build's)",
        "json": "print verdicts as JSON on stdout",
        "env_file": "the .env whose secret values must not appear in images (default .env)",
    },
)
@guarded
def check(
    c: Context,
    service: list[str] | None = None,
    target: str = "",
    json_: bool = False,
    env_file: str = "",
) -> None:
    """Check built images against the policy: size, user, healthcheck, labels, secrets..."""
    from dockwright.config import load_project
    from dockwright.tasks._policy import run_checks

    project = load_project()
    run_checks(
        project,
        split_names(None, service),
        target=target,
        as_json=json_,
        env_file=Path(env_file) if env_file else None,
    )
