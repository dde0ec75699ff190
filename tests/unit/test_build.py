"""Unit tests for dockwright.build: tags, labels, stages, the plan and its bake file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dockwright.build.plan import (
    BuildPlan,
    ImageBuild,
    Provenance,
    check_cache_export,
    dev_tags,
    oci_labels,
    plan_build,
    plan_json,
    stage_for,
)
from dockwright.errors import ConfigError
from dockwright.repo.compose import BuildSpec, Service

SHA = "0123456789abcdef0123456789abcdef01234567"
CREATED = "2024-05-06T07:08:09Z"


def provenance(*, dirty: bool = False) -> Provenance:
    return Provenance(
        version="1.4.2",
        sha=SHA,
        dirty=dirty,
        source="https://github.com/acme/todo",
        created=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )


def service(
    name: str = "backend",
    *,
    image: str | None = "localhost:5000/todo/backend:latest",
    target: str | None = "runtime",
    args: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> Service:
    return Service(
        name=name,
        image=image,
        build=BuildSpec(
            context=Path("/repo"),
            dockerfile=Path(f"/repo/docker/{name}.Dockerfile"),
            target=target,
            args=args or {},
            secrets=secrets or {},
        ),
    )


def plan(services: list[Service], **options: object) -> BuildPlan:
    kwargs: dict[str, object] = {
        "target": "prod",
        "prov": provenance(),
        "project": "todo",
        "platform": "linux/amd64",
        **options,
    }
    return plan_build(services, **kwargs)  # type: ignore[arg-type]


class TestProvenance:
    """The short sha is 7 characters; the creation time is RFC 3339 in UTC."""

    def test_short_sha(self) -> None:
        assert provenance().short == "0123456"

    @pytest.mark.parametrize(
        "created",
        [
            pytest.param(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC), id="utc"),
            pytest.param(
                datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2))), id="utc+2"
            ),
            pytest.param(
                datetime(2024, 5, 5, 23, 8, 9, tzinfo=timezone(timedelta(hours=-8))),
                id="utc-8-previous-day",
            ),
        ],
    )
    def test_created_is_converted_to_utc(self, created: datetime) -> None:
        prov = Provenance(version="1.0.0", sha=SHA, dirty=False, source="", created=created)
        assert prov.created_rfc3339 == CREATED


class TestDevTags:
    """Non-release builds get `sha-<short>` (+`-dirty`) and a moving tag; dev ones a prefix."""

    @pytest.mark.parametrize(
        ("target", "dirty", "expected"),
        [
            pytest.param("prod", False, ("sha-0123456", "dev"), id="prod-clean"),
            pytest.param("prod", True, ("sha-0123456-dirty", "dev"), id="prod-dirty"),
            pytest.param("dev", False, ("dev-sha-0123456", "dev-target"), id="dev-clean"),
            pytest.param("dev", True, ("dev-sha-0123456-dirty", "dev-target"), id="dev-dirty"),
        ],
    )
    def test_tags(self, target: str, dirty: bool, expected: tuple[str, ...]) -> None:
        assert dev_tags(provenance(dirty=dirty), target) == expected


class TestOciLabels:
    """The five OCI labels plus our dirty flag; extra labels are added and win."""

    def test_labels_from_provenance(self) -> None:
        assert oci_labels(provenance(), "todo-backend", {}) == {
            "org.opencontainers.image.version": "1.4.2",
            "org.opencontainers.image.created": CREATED,
            "org.opencontainers.image.revision": SHA,
            "org.opencontainers.image.source": "https://github.com/acme/todo",
            "org.opencontainers.image.title": "todo-backend",
            "org.dockwright.dirty": "false",
        }

    def test_dirty_tree_is_labelled(self) -> None:
        assert oci_labels(provenance(dirty=True), "t", {})["org.dockwright.dirty"] == "true"

    def test_extra_labels_are_added_and_override(self) -> None:
        labels = oci_labels(
            provenance(),
            "todo-backend",
            {"org.opencontainers.image.title": "Todo API", "com.acme.team": "web"},
        )
        assert labels["org.opencontainers.image.title"] == "Todo API"
        assert labels["com.acme.team"] == "web"
        assert labels["org.opencontainers.image.version"] == "1.4.2"


class TestStageFor:
    """prod: mapping, else compose's target, else last stage (None); dev: mapping, else `dev`."""

    @pytest.mark.parametrize(
        ("compose_target", "target", "mapping", "expected"),
        [
            pytest.param("runtime", "prod", {}, "runtime", id="prod-compose-target"),
            pytest.param(None, "prod", {}, None, id="prod-last-stage"),
            pytest.param("runtime", "prod", {"prod": "final"}, "final", id="prod-mapped"),
            pytest.param("runtime", "dev", {}, "dev", id="dev-default"),
            pytest.param("runtime", "dev", {"dev": "development"}, "development", id="dev-mapped"),
            pytest.param("runtime", "dev", {"prod": "final"}, "dev", id="dev-other-mapping"),
        ],
    )
    def test_stage(
        self, compose_target: str | None, target: str, mapping: dict[str, str], expected: str
    ) -> None:
        assert stage_for(service(target=compose_target), target, mapping) == expected

    def test_prod_without_build_section_is_last_stage(self) -> None:
        svc = Service(name="db", image="postgres:17", build=None)
        assert stage_for(svc, "prod", {}) is None

    def test_unknown_target_is_an_error_listing_the_known(self) -> None:
        with pytest.raises(ConfigError, match=r"^unknown target 'test'; use one of: prod, dev$"):
            stage_for(service(), "test", {"test": "test"})


class TestPlanBuild:
    """plan_build resolves repository, tags, stage, args, labels and secrets per service."""

    @pytest.mark.parametrize(
        ("image", "registry", "repository"),
        [
            pytest.param(
                "localhost:5000/todo/backend:latest",
                None,
                "localhost:5000/todo/backend",
                id="from-compose-image",
            ),
            pytest.param(None, None, "todo-backend", id="project-dash-service"),
            pytest.param(
                "localhost:5000/todo/backend:latest",
                "registry.acme.dev:5000/web",
                "registry.acme.dev:5000/web/backend",
                id="registry-replaces-all-but-name",
            ),
            pytest.param(None, "docker.io/acme", "docker.io/acme/todo-backend", id="registry-only"),
        ],
    )
    def test_repository(self, image: str | None, registry: str | None, repository: str) -> None:
        (built,) = plan([service(image=image)], registry=registry).images
        assert built.repository == repository

    def test_default_tags_are_dev_tags_of_the_target(self) -> None:
        (built,) = plan([service()], target="dev").images
        assert built.refs == (
            "localhost:5000/todo/backend:dev-sha-0123456",
            "localhost:5000/todo/backend:dev-target",
        )

    def test_explicit_tags_replace_dev_tags(self) -> None:
        (built,) = plan([service()], tags=("1.4.2", "1.4", "1", "latest")).images
        assert built.refs == (
            "localhost:5000/todo/backend:1.4.2",
            "localhost:5000/todo/backend:1.4",
            "localhost:5000/todo/backend:1",
            "localhost:5000/todo/backend:latest",
        )

    def test_build_args_get_provenance_which_wins_over_compose(self) -> None:
        svc = service(args={"PYTHON": "3.13", "VERSION": "0.0.0"})
        (built,) = plan([svc]).images
        assert built.args == {
            "PYTHON": "3.13",
            "VERSION": "1.4.2",
            "CREATED": CREATED,
            "REVISION": SHA,
            "SOURCE": "https://github.com/acme/todo",
            "TITLE": "todo-backend",
        }

    def test_labels_carry_title_and_extra_labels(self) -> None:
        (built,) = plan([service()], extra_labels={"com.acme.team": "web"}).images
        assert built.labels["org.opencontainers.image.title"] == "todo-backend"
        assert built.labels["com.acme.team"] == "web"

    @pytest.mark.parametrize(
        ("target", "stage_map", "stage"),
        [
            pytest.param("prod", None, "runtime", id="prod"),
            pytest.param("dev", None, "dev", id="dev"),
            pytest.param("dev", {"dev": "devel"}, "devel", id="dev-mapped"),
        ],
    )
    def test_stage(self, target: str, stage_map: dict[str, str] | None, stage: str) -> None:
        (built,) = plan([service()], target=target, stage_map=stage_map).images
        assert built.stage == stage

    def test_secrets_are_id_and_path_sorted_by_id(self, tmp_path: Path) -> None:
        for name in ("ca.pem", "npmrc"):
            (tmp_path / name).write_text("x")
        svc = service(secrets={"npmrc": f"{tmp_path}/npmrc", "ca": f"{tmp_path}/ca.pem"})
        (built,) = plan([svc]).images
        assert built.secrets == (f"id=ca,src={tmp_path}/ca.pem", f"id=npmrc,src={tmp_path}/npmrc")

    def test_secret_files_override_only_secrets_the_service_uses(self, tmp_path: Path) -> None:
        (tmp_path / "ci-ca.pem").write_text("x")
        svc = service(secrets={"ca": f"{tmp_path}/missing.pem"})
        overrides = {"ca": f"{tmp_path}/ci-ca.pem", "unused": f"{tmp_path}/nope"}
        (built,) = plan([svc], secret_files=overrides).images
        assert built.secrets == (f"id=ca,src={tmp_path}/ci-ca.pem",)

    def test_missing_secret_file_is_an_error_naming_service_and_file(self, tmp_path: Path) -> None:
        svc = service(secrets={"ca": f"{tmp_path}/ca.pem"})
        with pytest.raises(ConfigError) as info:
            plan([svc])
        assert str(info.value) == (
            f"service backend: build secret 'ca' file {tmp_path}/ca.pem does not exist; "
            "pass --ca-bundle PATH or set DOCKWRIGHT_CA_BUNDLE"
        )

    def test_services_keep_their_order_and_options_pass_through(self) -> None:
        result = plan(
            [service("frontend", image=None), service("backend")],
            builder="ci",
            cache_from=("type=gha",),
            cache_to=("type=gha,mode=max",),
            no_cache=True,
        )
        assert result.services == ["frontend", "backend"]
        assert (result.target, result.platform, result.builder) == ("prod", "linux/amd64", "ci")
        assert (result.cache_from, result.cache_to) == (("type=gha",), ("type=gha,mode=max",))
        assert result.no_cache is True


def image(service_name: str = "backend", *, stage: str | None = "runtime") -> ImageBuild:
    return ImageBuild(
        service=service_name,
        context=Path("/repo"),
        dockerfile=Path(f"/repo/docker/{service_name}.Dockerfile"),
        stage=stage,
        repository=f"todo-{service_name}",
        tags=("sha-0123456", "dev"),
        args={"VERSION": "1.4.2"},
        labels={"org.opencontainers.image.version": "1.4.2"},
        secrets=("id=ca,src=/run/ca.pem",),
    )


def build_plan(*images: ImageBuild, **options: object) -> BuildPlan:
    return BuildPlan(
        target="prod",
        platform="linux/amd64",
        builder=str(options.pop("builder", "")),
        images=images,
        **options,  # type: ignore[arg-type]
    )


class TestBakeDefinition:
    """One bake target per image in a `default` group; cache and no-cache only when set."""

    def test_plain_target(self) -> None:
        definition = build_plan(image("backend"), image("frontend", stage=None)).bake_definition()
        assert definition["group"] == {"default": {"targets": ["backend", "frontend"]}}
        assert definition["target"]["backend"] == {
            "context": "/repo",
            "dockerfile": "/repo/docker/backend.Dockerfile",
            "args": {"VERSION": "1.4.2"},
            "labels": {"org.opencontainers.image.version": "1.4.2"},
            "tags": ["todo-backend:sha-0123456", "todo-backend:dev"],
            "platforms": ["linux/amd64"],
            "secret": ["id=ca,src=/run/ca.pem"],
            "output": ["type=docker"],
            "target": "runtime",
        }

    def test_no_stage_means_no_target_key(self) -> None:
        definition = build_plan(image(stage=None)).bake_definition()
        assert "target" not in definition["target"]["backend"]

    def test_cache_and_no_cache_options(self) -> None:
        definition = build_plan(
            image(),
            cache_from=("type=registry,ref=r/cache",),
            cache_to=("type=registry,ref=r/cache,mode=max",),
            no_cache=True,
        ).bake_definition()
        target = definition["target"]["backend"]
        assert target["cache-from"] == ["type=registry,ref=r/cache"]
        assert target["cache-to"] == ["type=registry,ref=r/cache,mode=max"]
        assert target["no-cache"] is True

    def test_without_cache_options_there_are_no_cache_keys(self) -> None:
        target = build_plan(image()).bake_definition()["target"]["backend"]
        assert not {"cache-from", "cache-to", "no-cache"} & set(target)

    def test_images_are_always_loaded_into_the_engine(self) -> None:
        target = build_plan(image()).bake_definition()["target"]["backend"]
        assert target["output"] == ["type=docker"]

    def test_plan_json_is_the_definition_sorted(self) -> None:
        p = build_plan(image())
        text = plan_json(p)
        assert json.loads(text) == p.bake_definition()
        assert text.index('"group"') < text.index('"target"')


class TestCommand:
    """The exact bake call: builder only when set, plain progress, targets last."""

    @pytest.mark.parametrize(
        ("builder", "expected"),
        [
            pytest.param(
                "",
                "docker buildx bake --file /w/bake.json --metadata-file /w/meta.json "
                "--progress plain backend frontend",
                id="default-builder",
            ),
            pytest.param(
                "ci",
                "docker buildx bake --builder ci --file /w/bake.json --metadata-file "
                "/w/meta.json --progress plain backend frontend",
                id="named-builder",
            ),
        ],
    )
    def test_command(self, builder: str, expected: str) -> None:
        p = build_plan(image("backend"), image("frontend"), builder=builder)
        assert p.command(Path("/w/bake.json"), Path("/w/meta.json")) == expected.split()

    def test_describe_quotes_paths_with_spaces(self) -> None:
        p = build_plan(image("backend"))
        assert p.describe(Path("/my work/bake.json"), Path("/w/m.json")) == (
            "docker buildx bake --file '/my work/bake.json' --metadata-file /w/m.json "
            "--progress plain backend"
        )


class TestCheckCacheExport:
    """cache_to on the `docker` driver is refused before building; anything else passes."""

    @pytest.mark.parametrize(
        ("cache_to", "driver"),
        [
            pytest.param((), "docker", id="docker-without-cache-to"),
            pytest.param(("type=gha",), "docker-container", id="container-driver"),
            pytest.param(("type=gha",), "remote", id="remote-driver"),
        ],
    )
    def test_allowed(self, cache_to: tuple[str, ...], driver: str) -> None:
        check_cache_export(build_plan(image(), cache_to=cache_to), driver)

    @pytest.mark.parametrize(
        ("builder", "shown"),
        [pytest.param("", "default", id="default-builder"), pytest.param("x", "x", id="named")],
    )
    def test_docker_driver_with_cache_to_is_an_error(self, builder: str, shown: str) -> None:
        p = build_plan(image(), cache_to=("type=gha",), builder=builder)
        with pytest.raises(ConfigError) as info:
            check_cache_export(p, "docker")
        assert str(info.value) == (
            f"builder {shown} uses the 'docker' driver, which cannot export cache (cache_to is "
            "set); create one with `docker buildx create --driver docker-container --name ci` "
            "and pass --builder ci, or remove cache_to"
        )
