"""Bad inputs end in one line and the right exit code, before the engine or network.

Each case builds a small git repository, runs `python -m invoke ...` in it with
the engine and every registry unreachable (DOCKER_HOST names a missing socket,
the registry is `localhost:1`, and a `docker` on PATH that only records that it
was called), and checks: the exit code of the right error class, stderr is
exactly one `error: ...` line naming what is wrong and what to do, no traceback,
and nothing reached the engine or a registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GIT_AS_T = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]

CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n- The first feature.\n"
COMPOSE = "services:\n  one:\n    image: mini/one\n    build: {context: .}\n"
DOCKERFILE = 'FROM scratch\nCOPY VERSION /VERSION\nUSER 1001\nCMD ["/nothing"]\n'

# Fails the test loudly if dockwright ever runs the docker CLI (python-on-whales
# included): the engine must not be touched for a bad input.
DOCKER_SHIM = '#!/bin/sh\necho "$@" >> "{log}"\necho "docker shim: no engine here" >&2\nexit 1\n'

# What an engine or registry contact would have said: none of it may appear.
REACHED = (
    "no Docker engine answers",
    "docker failed",
    "docker version failed",
    "is unreachable",
    "refused access",
    "docker shim",
)


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    phrases: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url: str = "localhost:1"
    registry: str = ""  # extra lines in [registries.test]
    settings: str = ""  # extra top-level lines in dockwright.toml
    files: dict[str, str] = field(default_factory=dict)  # committed with the fixture
    identity: bool = True  # the fixture repository's own user.name/user.email
    after: Callable[[Path], None] | None = None  # run after the commit


def _report(data: bytes) -> Callable[[Path], None]:
    def write(repo: Path) -> None:
        (repo / "build").mkdir(exist_ok=True)
        (repo / "build" / "report.json").write_bytes(data)

    return write


def _tag_v020(repo: Path) -> None:
    subprocess.run([*GIT_AS_T, "tag", "v0.2.0"], cwd=repo, check=True)


def _version_outside(repo: Path) -> None:
    (repo.parent / "VERSION").write_text("0.1.0\n", encoding="utf-8")


NO_UNRELEASED = "# Changelog\n\n## [0.1.0] - 2024-01-01\n\n- First.\n"
HAS_020 = (
    "# Changelog\n\n## [Unreleased]\n\n- Next.\n\n"
    "## [0.2.0] - 2024-02-01\n\n- Oops.\n\n## [0.1.0] - 2024-01-01\n\n- First.\n"
)
RELEASE = ("release", "--bump", "minor")
ATTEMPTS_FIX = ("DOCKWRIGHT_PUSH_ATTEMPTS", "from 1 to 20", "unset it")

CASES = {
    "push-attempts-three-list-still-works": Case(
        ("--list",), 0, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "three"}
    ),
    "push-attempts-three-release": Case(
        RELEASE, 2, ATTEMPTS_FIX, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "three"}
    ),
    "push-attempts-0-release": Case(
        RELEASE, 2, ATTEMPTS_FIX, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "0"}
    ),
    "push-attempts-99-release": Case(
        RELEASE, 2, ATTEMPTS_FIX, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "99"}
    ),
    "push-attempts-three-push": Case(
        ("push", "--tag", "x"), 2, ATTEMPTS_FIX, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "three"}
    ),
    "push-attempts-three-tags-asking-registry": Case(
        ("tags", "1.0.0"), 2, ATTEMPTS_FIX, env={"DOCKWRIGHT_PUSH_ATTEMPTS": "three"}
    ),
    "registry-port-abc-release": Case(
        RELEASE,
        2,
        ("[tool.dockwright.registries.test] url", "port 'abc'", "1 to 65535"),
        url="localhost:abc",
    ),
    "registry-port-abc-push": Case(
        ("push", "--tag", "x"),
        2,
        ("registries.test] url", "port 'abc'", "1 to 65535"),
        url="localhost:abc",
    ),
    "registry-url-with-scheme": Case(
        RELEASE,
        2,
        ("'https://ghcr.io'", "must not name a scheme", "write 'ghcr.io'"),
        url="https://ghcr.io",
    ),
    "registry-url-with-path": Case(
        RELEASE,
        2,
        ("'ghcr.io/acme'", "url = 'ghcr.io'", "namespace = 'acme'"),
        url="ghcr.io/acme",
    ),
    "registry-namespace-with-space": Case(
        RELEASE,
        2,
        ("namespace", "'Acme Corp'", "lowercase"),
        registry='namespace = "Acme Corp"',
    ),
    "release-unknown-bump": Case(
        ("release", "--bump", "huge"), 7, ("unknown bump 'huge'", "major, minor, patch")
    ),
    "release-bad-prerelease-label": Case(
        ("release", "--bump", "prerelease", "--pre", "bad label!"),
        7,
        ("unknown prerelease label 'bad label!'", "alpha, beta, rc"),
    ),
    "push-report-not-json": Case(
        ("push",),
        2,
        ("report.json", "is not a build report", "invoke build", "--tag"),
        after=_report(b"{not json"),
    ),
    "push-report-no-services": Case(
        ("push",),
        2,
        ("report.json", "is not a build report", "invoke build", "--tag"),
        after=_report(b'{"services": []}'),
    ),
    "push-report-a-list": Case(
        ("push",), 2, ("report.json", "is not a build report", "--tag"), after=_report(b"[]")
    ),
    "push-report-not-utf8": Case(
        ("push",),
        2,
        ("report.json", "is not a build report", "--tag"),
        after=_report(b"\xff\xfe{"),
    ),
    "release-changelog-without-unreleased": Case(
        RELEASE,
        2,
        ("CHANGELOG.md", "'## [Unreleased]'", "add one"),
        files={"CHANGELOG.md": NO_UNRELEASED},
    ),
    "release-changelog-has-next-version": Case(
        RELEASE,
        2,
        ("CHANGELOG.md", "already has a section for 0.2.0", "bump"),
        files={"CHANGELOG.md": HAS_020},
    ),
    "release-broken-env": Case(
        RELEASE,
        6,
        (".env:1 API_PORT", "run invoke env.check"),
        files={
            ".env.example": "# @rule required, type=port\nAPI_PORT=8000\n",
            ".gitignore": ".env\n",
        },
        after=lambda repo: (repo / ".env").write_text("API_PORT=eighty\n"),
    ),
    "release-without-git-identity": Case(
        RELEASE, 2, ("git cannot commit", "user.name", "user.email"), identity=False
    ),
    "release-git-tag-exists": Case(
        RELEASE, 9, ("git tag v0.2.0 already exists", "bump differently"), after=_tag_v020
    ),
    "release-version-file-outside": Case(
        RELEASE,
        2,
        ("version_file", "outside the repository", "inside"),
        settings='version_file = "../VERSION"',
        after=_version_outside,
    ),
    "release-version-file-outside-missing": Case(
        RELEASE,
        2,
        ("version_file", "outside the repository", "inside"),
        settings='version_file = "../VERSION"',
    ),
    "tags-bad-version": Case(("tags", "1.x"), 7, ("'1.x' is not a semantic version", "1.4.2")),
}


def make_repo(root: Path, case: Case) -> Path:
    """A committed repository: dockwright.toml, compose.yaml, Dockerfile, VERSION,
    CHANGELOG.md and the 3-line tasks.py; the registry `test` is `case.url`."""
    repo = root / "repo"
    repo.mkdir()
    files = {
        "tasks.py": "from dockwright.tasks import ns\n\n__all__ = ['ns']\n",
        "dockwright.toml": (
            f'project = "mini"\ncompose_files = ["compose.yaml"]\nregistry = "test"\n'
            f"{case.settings}\n[registries.test]\nurl = {case.url!r}\ninsecure = true\n"
            f"{case.registry}\n"
        ),
        "compose.yaml": COMPOSE,
        "Dockerfile": DOCKERFILE,
        "VERSION": "0.1.0\n",
        "CHANGELOG.md": CHANGELOG,
        **case.files,
    }
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run([*GIT_AS_T, "init", "-q", "-b", "main"], cwd=repo, check=True)
    if case.identity:
        for key, value in (("user.name", "t"), ("user.email", "t@t.invalid")):
            subprocess.run(["git", "config", key, value], cwd=repo, check=True)
    subprocess.run([*GIT_AS_T, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT_AS_T, "commit", "-qm", "fixture"], cwd=repo, check=True)
    if case.after is not None:
        case.after(repo)
    return repo


def isolated_env(root: Path, extra: dict[str, str]) -> tuple[dict[str, str], Path]:
    """No engine, no registry, no proxy, no git identity but the repository's own."""
    home = root / "home"
    shim = root / "bin"
    home.mkdir()
    shim.mkdir()
    log = root / "docker-calls.log"
    docker = shim / "docker"
    docker.write_text(DOCKER_SHIM.format(log=log), encoding="utf-8")
    docker.chmod(0o755)
    dropped = ("DOCKER", "DOCKWRIGHT", "GIT_", "EMAIL", "REG_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(dropped) and "PROXY" not in k.upper()
    }
    env.update(
        {
            "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            "DOCKER_CONFIG": str(home / ".docker"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "NO_COLOR": "1",
            **extra,
        }
    )
    return env, log


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_in_one_line_before_the_engine(tmp_path: Path, case: Case) -> None:
    repo = make_repo(tmp_path, case)
    env, docker_log = isolated_env(tmp_path, case.env)
    if not case.identity:
        guessed = subprocess.run(
            ["git", "var", "GIT_AUTHOR_IDENT"], cwd=repo, env=env, capture_output=True, text=True
        )
        if guessed.returncode == 0:
            why = (
                "git derives an identity from the host name and passwd entry here "
                f"({guessed.stdout.strip()}), so a missing user.name/user.email cannot fail"
            )
            pytest.skip(reason=why)
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", *case.args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    assert proc.returncode == case.code, both
    assert not docker_log.exists(), f"docker was called: {docker_log.read_text()}"
    assert not any(r in both for r in REACHED), both
    if case.code == 0:
        assert "release" in proc.stdout and "push" in proc.stdout, both
        return
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), proc.stderr
    for phrase in case.phrases:
        assert phrase in lines[0], f"{phrase!r} not in {lines[0]!r}"
