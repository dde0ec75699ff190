"""Which earlier release's verified images a release re-tags (release.promote):
pure decisions over release records, changed paths and .dockerignore patterns."""

from __future__ import annotations

from pathlib import Path

from dockwright.registry.record import ReleaseRecord, load_record, load_records, save_record
from dockwright.release.promote import BuildInput, choose, why_not
from dockwright.repo.dockerignore import patterns, pruned

REG = "localhost:5000"
REPOS = [f"{REG}/shop/api", f"{REG}/shop/web"]
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
RELEASE_FILES = {"VERSION", "CHANGELOG.md"}
BUILD = [
    BuildInput("docker/api.Dockerfile"),
    BuildInput("services/api"),
    BuildInput("docker/web.Dockerfile"),
    BuildInput("services/web"),
]


def record(version: str, commit: str, gates: str = "2026-12-01T10:00:00+00:00") -> ReleaseRecord:
    return ReleaseRecord(
        version=version,
        commit=commit,
        registry=REG,
        images={REPOS[0]: D1, REPOS[1]: D2},
        gates=gates,
        scanned=("secret",),
    )


def pick(records: list[ReleaseRecord], changes: dict[str, list[str] | None]) -> tuple:
    return choose(
        records,
        version="0.3.1",
        registry=REG,
        repositories=REPOS,
        changed_since=lambda commit: changes[commit],
        release_files=RELEASE_FILES,
        build=BUILD,
    )


class TestChoose:
    def test_only_release_files_changed_the_images_are_retagged(self) -> None:
        promotion, reason = pick(
            [record("0.3.0", "a" * 40)], {"a" * 40: ["VERSION", "CHANGELOG.md"]}
        )
        assert reason == ""
        assert promotion is not None
        assert (promotion.version, promotion.commit) == ("0.3.0", "a" * 40)
        assert promotion.digests == {REPOS[0]: D1, REPOS[1]: D2}
        assert promotion.scanned == ("secret",)
        assert "no build, no layer upload; --rebuild builds them again" in promotion.describe()

    def test_the_same_commit_qualifies(self) -> None:
        promotion, _ = pick([record("0.3.0", "a" * 40)], {"a" * 40: []})
        assert promotion is not None

    def test_a_code_change_means_building_and_names_the_file(self) -> None:
        changes = {"a" * 40: ["VERSION", "services/api/app.py", "README.md"]}
        promotion, reason = pick([record("0.3.0", "a" * 40)], changes)
        assert promotion is None
        assert reason == "services/api/app.py and 1 more changed since 0.3.0"

    def test_records_without_gates_or_of_another_registry_or_missing_an_image_are_ignored(
        self,
    ) -> None:
        no_gates = record("0.3.0", "a" * 40, gates="")
        other = ReleaseRecord(version="0.2.0", commit="b" * 40, registry="ghcr.io", images={})
        partial = ReleaseRecord(
            version="0.1.0", commit="c" * 40, registry=REG, images={REPOS[0]: D1}, gates="x"
        )
        same_version = record("0.3.1", "d" * 40)
        changes: dict[str, list[str] | None] = {c * 40: [] for c in "abcd"}
        assert pick([no_gates, other, partial, same_version], changes) == (None, "")

    def test_the_newest_gated_record_that_qualifies_wins(self) -> None:
        old = record("0.2.0", "a" * 40, gates="2026-11-01T00:00:00+00:00")
        new = record("0.3.0", "b" * 40, gates="2026-12-01T00:00:00+00:00")
        promotion, _ = pick([old, new], {"a" * 40: [], "b" * 40: []})
        assert promotion is not None and promotion.version == "0.3.0"
        # The newest does not qualify: the older one still may, and no reason is given.
        promotion, _ = pick([old, new], {"a" * 40: [], "b" * 40: ["services/web/x.js"]})
        assert promotion is not None and promotion.version == "0.2.0"

    def test_a_commit_missing_from_this_clone(self) -> None:
        promotion, reason = pick([record("0.3.0", "a" * 40)], {"a" * 40: None})
        assert promotion is None
        assert reason == f"0.3.0's commit {'a' * 12} is not in this clone"


class TestBuildInputs:
    def test_a_release_file_inside_a_root_context_blocks_unless_ignored(self) -> None:
        rec = record("0.3.0", "a" * 40)
        root = [BuildInput("Dockerfile"), BuildInput(".")]
        reason = why_not(rec, ["VERSION"], RELEASE_FILES, root)
        assert reason is not None
        assert reason.startswith("VERSION changed since 0.3.0 and is in the build context .")
        ignored = [BuildInput("Dockerfile"), BuildInput(".", ("VERSION", "*.md"))]
        assert why_not(rec, ["VERSION", "CHANGELOG.md"], RELEASE_FILES, ignored) is None

    def test_dockerignore_semantics(self) -> None:
        # The last matching line decides; `*` stays within one folder level.
        assert not BuildInput(".", ("*", "!VERSION")).holds("README")
        assert BuildInput(".", ("*", "!VERSION")).holds("VERSION")
        assert BuildInput(".", ("*.md",)).holds("docs/CHANGELOG.md")
        assert not BuildInput(".", ("**/*.md",)).holds("docs/CHANGELOG.md")
        assert BuildInput("app").holds("app/VERSION")
        assert not BuildInput("app").holds("application/VERSION")
        assert BuildInput("docker/api.Dockerfile").holds("docker/api.Dockerfile")

    def test_ignore_patterns_skip_comments_and_blank_lines(self) -> None:
        assert patterns("# docs\n\n  VERSION  \n*.md\n") == ("VERSION", "*.md")

    def test_only_plain_folders_are_pruned_and_none_when_a_line_makes_an_exception(
        self,
    ) -> None:
        rules = ("**/node_modules", ".git", "/dist/", "build/out", "*.pyc", "**/a/b", "**/.cache")
        assert pruned(rules) == (
            frozenset({"node_modules", ".cache"}),
            frozenset({".git", "dist", "build/out"}),
        )
        assert pruned((*rules, "!dist/keep")) == (frozenset(), frozenset())


class TestRecords:
    def test_gate_verdicts_and_the_source_version_survive_a_round_trip(
        self, tmp_path: Path
    ) -> None:
        rec = record("0.3.0", "a" * 40)
        save_record(tmp_path / "0.3.0.json", rec)
        assert load_record(tmp_path / "0.3.0.json") == rec

    def test_an_old_record_without_gates_loads_with_none(self, tmp_path: Path) -> None:
        path = tmp_path / "0.1.0.json"
        path.write_text('{"version": "0.1.0", "commit": "c", "registry": "r", "images": {}}')
        loaded = load_record(path)
        assert loaded is not None and (loaded.gates, loaded.scanned) == ("", ())

    def test_unreadable_records_are_skipped_when_listing(self, tmp_path: Path) -> None:
        save_record(tmp_path / "0.3.0.json", record("0.3.0", "a" * 40))
        (tmp_path / "0.2.0.json").write_text("{not json")
        assert [r.version for r in load_records(tmp_path)] == ["0.3.0"]
        assert load_records(tmp_path / "absent") == []
