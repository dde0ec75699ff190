"""engine.git.commits_since on a real git repository (git is a program, no engine)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dockwright.engine import git

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"]


def commit(repo: Path, message: str, *, tag: str = "") -> None:
    (repo / "file.txt").write_text(message)
    subprocess.run([*GIT, "add", "file.txt"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
    if tag:
        subprocess.run([*GIT, "tag", "-a", tag, "-m", tag], cwd=repo, check=True)


def test_commits_after_the_last_version_tag_oldest_first_bodies_kept(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    commit(tmp_path, "first")
    commit(tmp_path, "Release 0.1.0", tag="v0.1.0")
    assert git.last_version_tag(tmp_path) == "v0.1.0"
    assert git.commits_since(tmp_path, "v0.1.0") == []
    commit(tmp_path, "feat: a\n\nwhy it matters\n\nBREAKING CHANGE: keys renamed")
    commit(tmp_path, "fix: b")  # the newest, with an empty body
    found = git.commits_since(tmp_path, "v0.1.0")
    assert [(c.subject, c.body) for c in found] == [
        ("feat: a", "why it matters\n\nBREAKING CHANGE: keys renamed"),
        ("fix: b", ""),
    ]
    assert all(len(c.sha) == 40 for c in found)
    assert [c.subject for c in git.commits_since(tmp_path, None)] == [
        "first",
        "Release 0.1.0",
        "feat: a",
        "fix: b",
    ]


def test_no_version_tag(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    commit(tmp_path, "only", tag="not-a-version")
    assert git.last_version_tag(tmp_path) is None


def test_changed_paths_between_commits_and_an_unknown_commit(tmp_path: Path) -> None:
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    commit(tmp_path, "first")
    first = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git.changed_paths(tmp_path, first) == []
    (tmp_path / "VERSION").write_text("0.2.0\n")
    subprocess.run([*GIT, "add", "VERSION"], cwd=tmp_path, check=True)
    commit(tmp_path, "second")  # also rewrites file.txt
    assert git.changed_paths(tmp_path, first) == ["VERSION", "file.txt"]
    assert git.changed_paths(tmp_path, "f" * 40) is None
