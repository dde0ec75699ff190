"""build/cache/: keys made of each input's content, and the store itself (no engine)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dockwright.repo import cache
from dockwright.repo.compose import build_inputs, build_view


class TestStore:
    def test_round_trip_under_the_same_key(self, tmp_path: Path) -> None:
        store = cache.Cache(tmp_path, {})
        store.put("compose-build", "k1", {"services": {"a": {"image": "x"}}})
        assert store.get("compose-build", "k1") == {"services": {"a": {"image": "x"}}}

    def test_another_key_is_a_miss(self, tmp_path: Path) -> None:
        store = cache.Cache(tmp_path, {})
        store.put("builder-current", "k1", "docker")
        assert store.get("builder-current", "k2") is None
        store.put("builder-current", "k2", "remote")
        assert store.get("builder-current", "k1") is None  # one entry per kind
        assert store.get("builder-current", "k2") == "remote"

    def test_file_is_private_and_nothing_else_is_left(self, tmp_path: Path) -> None:
        cache.Cache(tmp_path, {}).put("builder-x", "k", "docker")
        files = list((tmp_path / "build" / "cache").iterdir())
        assert [f.name for f in files] == ["builder-x.json"]
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600

    def test_kind_cannot_leave_the_folder(self, tmp_path: Path) -> None:
        cache.Cache(tmp_path, {}).put("builder-../../evil", "k", "docker")
        assert not (tmp_path / "evil.json").exists()
        assert len(list((tmp_path / "build" / "cache").iterdir())) == 1

    @pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"key": "k"}'])
    def test_unreadable_entry_is_a_miss(self, tmp_path: Path, text: str) -> None:
        folder = tmp_path / "build" / "cache"
        folder.mkdir(parents=True)
        (folder / "compose-build.json").write_text(text)
        assert cache.Cache(tmp_path, {}).get("compose-build", "k") is None

    @pytest.mark.parametrize("value", ["off", "0", "false", "OFF"])
    def test_turned_off(self, tmp_path: Path, value: str) -> None:
        store = cache.Cache(tmp_path, {"DOCKWRIGHT_CACHE": value})
        store.put("compose-build", "k", {})
        assert store.get("compose-build", "k") is None
        assert not (tmp_path / "build").exists()


class TestKeyParts:
    def test_file_part_follows_content_not_time(self, tmp_path: Path) -> None:
        f = tmp_path / "compose.yaml"
        f.write_text("services: {}\n")
        first = cache.file_part(f)
        f.write_text("services: {}\n")
        assert cache.file_part(f) == first
        f.write_text("services: {a: {}}\n")
        assert cache.file_part(f) != first
        f.unlink()
        assert cache.file_part(f).endswith("missing")

    def test_referenced_names(self) -> None:
        text = "image: ${REGISTRY:-localhost}/app:${TAG}\nuser: $UID\ncost: $$5\n"
        assert cache.referenced([text]) == {"REGISTRY", "TAG", "UID"}

    def test_environment_part_takes_named_compose_and_engine_variables_only(self) -> None:
        environ = {"TAG": "1", "OTHER": "x", "COMPOSE_PROFILES": "dev", "DOCKER_HOST": "tcp://h"}
        part = json.loads(cache.environment_part({"TAG", "UNSET"}, environ))
        assert part["TAG"] == "1" and part["UNSET"] is None
        assert part["COMPOSE_PROFILES"] == "dev" and part["DOCKER_HOST"] == "tcp://h"
        assert "OTHER" not in part

    def test_key_changes_with_any_part(self) -> None:
        assert cache.key(["a", "b"]) == cache.key(["a", "b"])
        assert cache.key(["a", "b"]) != cache.key(["a", "c"])
        assert cache.key(["ab"]) != cache.key(["a", "b"])


class TestBuilderParts:
    def config(self, tmp_path: Path) -> Path:
        buildx = tmp_path / ".docker" / "buildx"
        (buildx / "instances").mkdir(parents=True)
        return buildx

    def test_name_instance_current_and_context_each_change_the_key(self, tmp_path: Path) -> None:
        buildx = self.config(tmp_path)
        env = {"PATH": "/usr/bin"}
        (buildx / "instances" / "ci").write_text('{"Driver": "docker-container"}')

        def k(name: str) -> str:
            return cache.key(cache.builder_parts(name, env, tmp_path))

        base = k("ci")
        assert k("other") != base
        (buildx / "instances" / "ci").write_text('{"Driver": "remote"}')  # removed, made again
        recreated = k("ci")
        assert recreated != base
        current = k("")
        (buildx / "current").write_text('{"Key": "unix:///x", "Name": "ci"}')  # buildx use ci
        assert k("") != current
        (tmp_path / ".docker" / "config.json").write_text('{"currentContext": "remote"}')
        assert k("ci") != recreated

    def test_logins_in_config_json_do_not_count(self, tmp_path: Path) -> None:
        self.config(tmp_path)
        config = tmp_path / ".docker" / "config.json"
        config.write_text('{"auths": {"ghcr.io": {"auth": "b25l"}}}')
        before = cache.key(cache.builder_parts("", {}, tmp_path))
        config.write_text('{"auths": {"ghcr.io": {"auth": "dHdv"}}}')
        assert cache.key(cache.builder_parts("", {}, tmp_path)) == before

    def test_engine_variable_changes_the_key(self, tmp_path: Path) -> None:
        self.config(tmp_path)
        a = cache.key(cache.builder_parts("", {"DOCKER_HOST": "unix:///a"}, tmp_path))
        b = cache.key(cache.builder_parts("", {"DOCKER_HOST": "unix:///b"}, tmp_path))
        assert a != b


class TestBuildView:
    def test_keeps_what_a_build_reads_and_drops_the_runtime(self) -> None:
        config = {
            "name": "app",
            "services": {
                "api": {
                    "image": "app/api:1",
                    "build": {"context": "/r/api", "args": {"V": "1"}},
                    "environment": {"DB_PASSWORD": "hunter2"},
                    "healthcheck": {"test": ["CMD", "ping", "-p", "hunter2"]},
                    "ports": [{"target": 80}],
                },
                "db": {"image": "postgres:16", "environment": {"POSTGRES_PASSWORD": "hunter2"}},
            },
            "secrets": {"ca": {"file": "/etc/ca.pem"}, "token": {"environment": "TOKEN"}},
        }
        view = build_view(config)
        assert view == {
            "name": "app",
            "services": {
                "api": {"image": "app/api:1", "build": {"context": "/r/api", "args": {"V": "1"}}},
                "db": {"image": "postgres:16"},
            },
            "secrets": {"ca": {"file": "/etc/ca.pem"}},
        }
        assert "hunter2" not in json.dumps(view)


class TestBuildInputs:
    def test_included_and_extended_files_and_bare_args(self, tmp_path: Path) -> None:
        (tmp_path / "sub").mkdir()
        (tmp_path / "compose.yaml").write_text(
            "include:\n  - sub/db.yaml\n  - path: [sub/more.yaml]\n"
            "services:\n"
            "  api:\n"
            "    extends: {file: base.yaml, service: api}\n"
            "    build:\n      context: .\n      args: [TOKENLESS, SET=1]\n"
            "  web:\n    build:\n      context: web\n      args: {BARE: null, V: '2'}\n"
        )
        (tmp_path / "sub" / "db.yaml").write_text(
            "services:\n  db:\n    extends: {file: ../common.yaml, service: db}\n"
        )
        files, names = build_inputs([tmp_path / "compose.yaml"])
        resolved = {f.resolve() for f in files}
        assert resolved == {
            (tmp_path / p).resolve()
            for p in ("sub/db.yaml", "sub/more.yaml", "base.yaml", "common.yaml")
        }
        assert names == {"TOKENLESS", "BARE"}

    def test_missing_files_are_inputs_too(self, tmp_path: Path) -> None:
        (tmp_path / "compose.yaml").write_text("include: [gone.yaml]\nservices: {}\n")
        files, _ = build_inputs([tmp_path / "compose.yaml"])
        assert files == [tmp_path / "gone.yaml"]
