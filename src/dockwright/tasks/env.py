"""`invoke env.check` and `invoke env.init`: the .env against the rules of .env.example."""

from __future__ import annotations

import os

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from dockwright.errors import EnvFileError
from dockwright.tasks._common import console, guarded

HELP = {
    "env_file": "the env file (default from settings: .env)",
    "force": "replace an existing file (it is kept as .env.bak-<time>)",
    "dry_run": "print the file that would be written, secrets masked; write nothing",
}


@task(help={"env_file": HELP["env_file"]})
@guarded
def check(c: Context, env_file: str = "") -> None:
    """Check .env against the rules in .env.example: every problem at once, secrets masked."""
    from dockwright.config import load_project
    from dockwright.flows.env import env_path, env_problems, shown
    from dockwright.tasks._env import count, report

    project = load_project()
    env = env_path(project, env_file)
    problems = env_problems(project, env)
    errors = report(problems)
    warnings = len(problems) - errors
    if errors:
        also = f" and {count(warnings, 'warning')}" if warnings else ""
        raise EnvFileError(
            f"{shown(env)}: {count(errors, 'error')}{also}; fix the lines above "
            f"(the rules are in {project.settings.env_example})"
        )
    note = f" ({count(warnings, 'warning')})" if warnings else ""
    console.print(f"[green]{shown(env)} is valid[/]{note}")


@task(help=HELP)
@guarded
def init(c: Context, env_file: str = "", force: bool = False, dry_run: bool = False) -> None:
    """Write .env from .env.example: defaults, and new strong random secrets (mode 0600)."""
    from dockwright.config import load_project
    from dockwright.envfile import generate_env, parse_env_text, parse_rules, write_env_file
    from dockwright.flows.env import env_path, env_problems, shown
    from dockwright.tasks._env import count, report

    project = load_project()
    env = env_path(project, env_file)
    example = project.path(project.settings.env_example)
    if not example.is_file():
        raise EnvFileError(f"{shown(example)} does not exist; it holds the rules .env is made from")
    rules = parse_rules(example.read_text(encoding="utf-8"), shown(example))
    text = generate_env(rules)
    secrets = [r.name for r in rules.values() if r.secret and r.kind == "str"]
    if dry_run:
        masked = parse_env_text(text, shown(env)).values()
        console.print(f"would write {shown(env)} (mode 0600) from {shown(example)}:")
        for name, value in masked.items():
            console.print(f"  {name}={'<new secret>' if name in secrets else value}", markup=False)
        return
    if env.exists() and not force:
        raise EnvFileError(
            f"{shown(env)} already exists; pass --force to replace it (the old one is kept)"
        )
    backup = write_env_file(env, text, force=force)
    console.print(
        f"wrote {shown(env)} (mode {os.stat(env).st_mode & 0o777:o}) from {shown(example)}; "
        f"new secrets: {', '.join(secrets) or 'none'}"
    )
    if backup is not None:
        console.print(f"the previous file is kept as {shown(backup)} (mode 0600)")
    errors = report(env_problems(project, env))
    if errors:
        raise EnvFileError(
            f"{shown(env)} still needs {count(errors, 'value')} filled in (listed above)"
        )


ns = Collection("env")
ns.add_task(check)
ns.add_task(init)
