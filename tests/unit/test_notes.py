"""Release notes from conventional commits, merged with hand-written entries."""

from __future__ import annotations

import pytest

from dockwright.release.notes import Note, grouped, merge, note_of


class TestNoteOf:
    @pytest.mark.parametrize(
        ("subject", "group", "text", "scope", "breaking"),
        [
            ("feat: add search", "Added", "add search", "", False),
            ("feat(api): add search", "Added", "add search", "api", False),
            ("fix(ui)!: drop the old theme", "Fixed", "drop the old theme", "ui", True),
            ("FIX: case does not matter", "Fixed", "case does not matter", "", False),
            ("perf: cache the model", "Changed", "cache the model", "", False),
            ("docs: explain caching", "Documentation", "explain caching", "", False),
            ("chore(deps): bump httpx", "Maintenance", "bump httpx", "deps", False),
            ("wip: half a thing", "Other", "wip: half a thing", "", False),
            ("Add a README", "Other", "Add a README", "", False),
            (
                "feat:no space is not conventional",
                "Other",
                "feat:no space is not conventional",
                "",
                False,
            ),
        ],
    )
    def test_subjects(
        self, subject: str, group: str, text: str, scope: str, breaking: bool
    ) -> None:
        note = note_of(subject)
        assert note is not None
        assert (note.group, note.text, note.scope, note.breaking) == (group, text, scope, breaking)

    def test_breaking_change_footer(self) -> None:
        note = note_of("feat: new config", "Longer text.\n\nBREAKING CHANGE: keys renamed")
        assert note is not None and note.breaking

    @pytest.mark.parametrize("subject", ["Release 1.2.3", "Release 0.2.0-rc.1"])
    def test_release_commits_are_not_notes(self, subject: str) -> None:
        assert note_of(subject) is None

    def test_line_has_scope_marker_and_short_sha(self) -> None:
        note = Note(group="Added", text="add search", scope="api", breaking=True, sha="0123456789")
        assert note.line() == "- **Breaking:** **api:** add search (0123456)"


class TestGrouped:
    def test_keep_a_changelog_order_and_breaking_first(self) -> None:
        notes = [
            Note(group="Fixed", text="b"),
            Note(group="Added", text="a1"),
            Note(group="Other", text="o"),
            Note(group="Added", text="a2", breaking=True),
        ]
        assert grouped(notes) == {
            "Added": ["- **Breaking:** a2", "- a1"],
            "Fixed": ["- b"],
            "Other": ["- o"],
        }


class TestMerge:
    def test_written_first_then_generated_under_the_same_heading(self) -> None:
        written = ["### Added", "- The search page, by hand.", "", "### Removed", "- Old API."]
        out = merge(written, {"Added": ["- add search (abc1234)"], "Fixed": ["- a fix (def5678)"]})
        assert out == [
            "### Added",
            "",
            "- The search page, by hand.",
            "- add search (abc1234)",
            "",
            "### Removed",
            "",
            "- Old API.",
            "",
            "### Fixed",
            "",
            "- a fix (def5678)",
        ]

    def test_a_commit_already_described_by_hand_is_not_repeated(self) -> None:
        written = ["### Fixed", "- Keep the session on reload (it was lost on F5)."]
        out = merge(written, {"Fixed": ["- **ui:** keep the session on reload (abc1234)"]})
        assert out == ["### Fixed", "", "- Keep the session on reload (it was lost on F5)."]

    def test_lines_without_a_heading_stay_on_top(self) -> None:
        out = merge(["- A loose note."], {"Added": ["- x (abc1234)"]})
        assert out == ["- A loose note.", "", "### Added", "", "- x (abc1234)"]

    def test_nothing_generated_keeps_the_text(self) -> None:
        written = ["### Added", "", "- One."]
        assert merge(written, {}) == ["### Added", "", "- One."]
