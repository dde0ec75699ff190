"""Unit tests for dockwright.stack: env and version choice, container states from saved
`docker inspect` output, health verdicts and the watch loop, rows, switching, masking."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from dockwright.errors import ConfigError
from dockwright.stack import (
    BUDGET_SLACK,
    NO_HEALTHCHECK_BUDGET,
    ContainerState,
    Probe,
    Published,
    UpPlan,
    budget_for,
    by_service,
    compose_argv,
    container_state,
    default_env,
    judge,
    make_rows,
    mask_config,
    other_env,
    parse_timestamp,
    prod_version,
    published_url,
    source_mounts,
    stale,
    status_table,
    watch,
)
from tests.conftest import ROOT

INSPECT = ROOT / "tests" / "fixtures" / "stacks" / "switch-inspect"


def inspected(name: str) -> dict[str, Any]:
    return dict(json.loads((INSPECT / name).read_text()))


def state(service: str = "web", **fields: Any) -> ContainerState:
    defaults: dict[str, Any] = {
        "id": f"id-{service}",
        "name": f"p-{service}-1",
        "service": service,
        "status": "running",
    }
    return ContainerState(**{**defaults, **fields})


class TestDefaultEnv:
    """--env wins, then $DOCKWRIGHT_ENV, then dev; anything else is refused."""

    @pytest.mark.parametrize(
        ("explicit", "environ", "expected"),
        [
            pytest.param("", {}, "dev", id="default-dev"),
            pytest.param("", {"DOCKWRIGHT_ENV": "prod"}, "prod", id="from-environment"),
            pytest.param("dev", {"DOCKWRIGHT_ENV": "prod"}, "dev", id="flag-wins"),
        ],
    )
    def test_choice(self, explicit: str, environ: dict[str, str], expected: str) -> None:
        assert default_env(environ, explicit) == expected

    @pytest.mark.parametrize(
        ("explicit", "environ", "source"),
        [
            pytest.param("staging", {}, "--env", id="flag"),
            pytest.param("", {"DOCKWRIGHT_ENV": "production"}, "$DOCKWRIGHT_ENV", id="variable"),
        ],
    )
    def test_unknown_env_names_its_source(
        self, explicit: str, environ: dict[str, str], source: str
    ) -> None:
        with pytest.raises(ConfigError, match=rf"^\{source} is '\w+'; use one of: dev, prod$"):
            default_env(environ, explicit)

    def test_other_env(self) -> None:
        assert (other_env("dev"), other_env("prod")) == ("prod", "dev")


def report(target: str, *services: dict[str, Any]) -> dict[str, Any]:
    return {"target": target, "services": list(services)}


OK_BACKEND = {"ok": True, "tags": ["localhost:5000/app/backend:sha-1234567", "x/backend:dev"]}


class TestProdVersion:
    """prod's image tag: --version, else the latest prod build, else VERSION."""

    @pytest.mark.parametrize(
        ("explicit", "built", "expected"),
        [
            pytest.param("1.4.2", report("prod", OK_BACKEND), ("1.4.2", "--version"), id="flag"),
            pytest.param("v1.4.2", None, ("1.4.2", "--version"), id="flag-v-prefix"),
            pytest.param("velvet", None, ("velvet", "--version"), id="flag-word-kept"),
            pytest.param(
                "", report("prod", OK_BACKEND), ("sha-1234567", "build/report.json"), id="report"
            ),
            pytest.param(
                "",
                report("prod", {"ok": False, "tags": ["a/b:sha-bad"]}, OK_BACKEND),
                ("sha-1234567", "build/report.json"),
                id="skips-failed-service",
            ),
            pytest.param("", report("dev", OK_BACKEND), ("0.3.0", "VERSION"), id="dev-build"),
            pytest.param("", report("prod"), ("0.3.0", "VERSION"), id="empty-report"),
            pytest.param("", None, ("0.3.0", "VERSION"), id="no-report"),
        ],
    )
    def test_choice(
        self, explicit: str, built: dict[str, Any] | None, expected: tuple[str, str]
    ) -> None:
        assert prod_version(explicit, built, "0.3.0") == expected


class TestParseTimestamp:
    """Docker's times (nanoseconds, Z or offset) become epoch seconds; zero time is None."""

    def test_nanoseconds_utc(self) -> None:
        assert parse_timestamp("1970-01-01T00:00:01.500000001Z") == pytest.approx(1.5)

    def test_offset(self) -> None:
        assert parse_timestamp("1970-01-01T01:00:02+01:00") == pytest.approx(2.0)

    @pytest.mark.parametrize("text", ["", None, "0001-01-01T00:00:00Z", "yesterday"])
    def test_no_time(self, text: str | None) -> None:
        assert parse_timestamp(text) is None


class TestContainerState:
    """Saved `docker inspect` output of real compose containers."""

    def test_healthy_web_of_the_switch_fixture(self) -> None:
        c = container_state(inspected("web-prod-healthy.json"))
        assert (c.service, c.status, c.health, c.exit_code) == ("web", "running", "healthy", 0)
        assert c.name == "swtry-web-1"
        assert c.probe == Probe(interval=30.0, timeout=5.0, start_period=20.0, retries=3)
        assert c.published == (Published(host="127.0.0.1", port=32769, container_port="8000/tcp"),)
        assert c.config_files == ("/tmp/sw/compose.yaml", "/tmp/sw/compose.prod.yaml")
        assert c.env_file == "/tmp/sw/.env"
        assert c.started_at is not None and c.healthy_at is not None
        assert 0 < c.healthy_at - c.started_at < 5

    def test_unhealthy_keeps_the_last_probe_output(self) -> None:
        c = container_state(inspected("sick-unhealthy.json"))
        assert (c.service, c.health, c.healthy_at) == ("sick", "unhealthy", None)
        assert c.last_probe == "sick: probe says no"
        assert c.probe == Probe(interval=1.0, timeout=5.0, start_period=0.0, retries=2)

    def test_starting_has_no_probe_result_yet(self) -> None:
        c = container_state(inspected("sick-starting.json"))
        assert (c.health, c.last_probe, c.healthy_at) == ("starting", "", None)

    def test_disabled_healthcheck_and_ipv6_duplicates(self) -> None:
        data = inspected("web-prod-healthy.json")
        data["Config"]["Healthcheck"] = {"Test": ["NONE"]}
        data["NetworkSettings"]["Ports"] = {
            "8000/tcp": [
                {"HostIp": "0.0.0.0", "HostPort": "80"},
                {"HostIp": "::", "HostPort": "80"},
            ],
            "9000/tcp": None,
        }
        c = container_state(data)
        assert c.probe is None
        assert [p.address for p in c.published] == ["127.0.0.1:80"]

    def test_probes_of_an_earlier_run_are_ignored(self) -> None:
        data = inspected("web-prod-healthy.json")
        data["State"]["StartedAt"] = "2100-01-01T00:00:00Z"
        assert container_state(data).healthy_at is None


class TestBudget:
    """How long a service may take from its start to healthy."""

    def test_probe_budget_covers_start_period_retries_and_timeout(self) -> None:
        probe = Probe(interval=10, timeout=5, start_period=60, retries=5)
        assert probe.budget() == 60 + 5 * 10 + 5 + BUDGET_SLACK

    @pytest.mark.parametrize(
        ("probe", "extension", "override", "expected"),
        [
            pytest.param(Probe(), {"health_budget": 9}, 3.0, 3.0, id="flag-wins"),
            pytest.param(Probe(), {"health_budget": 9}, None, 9.0, id="x-dockwright"),
            pytest.param(Probe(), {}, None, Probe().budget(), id="healthcheck"),
            pytest.param(None, {}, None, NO_HEALTHCHECK_BUDGET, id="no-healthcheck"),
        ],
    )
    def test_order(
        self,
        probe: Probe | None,
        extension: dict[str, Any],
        override: float | None,
        expected: float,
    ) -> None:
        assert budget_for(probe, extension, override) == expected


PROBE = Probe(interval=1, timeout=1, retries=2)


class TestJudge:
    """Ready, waiting or failed, with a reason a person can act on."""

    @pytest.mark.parametrize(
        ("c", "now", "verdict", "reason"),
        [
            pytest.param(None, 0, "waiting", "not created yet", id="not-created"),
            pytest.param(
                state(status="created"), 99, "waiting", "waiting for its dependencies", id="created"
            ),
            pytest.param(state(status="exited"), 0, "ready", "completed", id="one-shot-done"),
            pytest.param(
                state(status="exited", exit_code=3), 0, "failed", "exited with code 3", id="crashed"
            ),
            pytest.param(
                state(status="exited", probe=PROBE),
                0,
                "failed",
                "exited with code 0",
                id="server-exited",
            ),
            pytest.param(
                state(status="restarting", exit_code=78),
                0,
                "failed",
                "keeps restarting (last exit code 78)",
                id="restart-loop",
            ),
            pytest.param(
                state(health="unhealthy", probe=PROBE, last_probe="no"),
                0,
                "failed",
                "is unhealthy (last probe: no)",
                id="unhealthy",
            ),
            pytest.param(state(health="healthy", probe=PROBE), 0, "ready", "", id="healthy"),
            pytest.param(state(), 0, "ready", "", id="running-without-healthcheck"),
            pytest.param(
                state(health="starting", probe=PROBE, started_at=100.0),
                109.0,
                "waiting",
                "starting",
                id="starting-within-budget",
            ),
            pytest.param(
                state(health="starting", probe=PROBE, started_at=100.0),
                111.0,
                "failed",
                "not healthy within its budget of 10 s (health: starting)",
                id="over-budget",
            ),
        ],
    )
    def test_verdict(self, c: ContainerState | None, now: float, verdict: str, reason: str) -> None:
        result = judge(c, now=now, budget=10.0)
        assert (result.state, result.reason) == (verdict, reason)

    @pytest.mark.parametrize(
        ("c", "verdict"),
        [
            pytest.param(
                state(status="exited", exit_code=137, started_at=50.0), "waiting", id="old-run"
            ),
            pytest.param(state(status="exited", exit_code=1), "waiting", id="never-started"),
            pytest.param(
                state(status="exited", exit_code=1, started_at=100.5), "failed", id="this-run"
            ),
            pytest.param(
                state(status="restarting", started_at=101.0), "failed", id="restarting-now"
            ),
        ],
    )
    def test_stopped_before_up_began_is_being_replaced(
        self, c: ContainerState, verdict: str
    ) -> None:
        assert judge(c, now=102.0, budget=10.0, since=100.0).state == verdict


class FakeEngine:
    """Polls answer from a script of states; the clock moves one second per poll."""

    def __init__(self, script: list[list[ContainerState]], up_exit: int | None = None) -> None:
        self.script = iter(script)
        self.last: list[ContainerState] = []
        self.now = 1000.0
        self.polls = 0
        self.up_exit = up_exit

    def poll(self) -> list[ContainerState]:
        self.polls += 1
        self.last = next(self.script, self.last)
        return self.last

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += 1

    def finished(self) -> tuple[int, str] | None:
        return None if self.up_exit is None else (self.up_exit, "Error: port is already allocated")


def run_watch(fake: FakeEngine, services: list[str], **kwargs: Any) -> Any:
    return watch(
        services,
        fake.poll,
        budget=lambda _c: 5.0,
        up_finished=fake.finished,
        clock=fake.clock,
        sleep=fake.sleep,
        **kwargs,
    )


class TestWatch:
    """The loop ends when all are ready, at the first failure, or when compose gave up."""

    def test_waits_until_every_service_is_healthy(self) -> None:
        starting = state("db", health="starting", probe=PROBE, started_at=1000.0)
        healthy = replace(starting, health="healthy")
        web = state("web", status="created", probe=PROBE)
        seen: list[int] = []
        fake = FakeEngine([[starting], [starting, web], [healthy, replace(web, health="healthy")]])
        outcome = run_watch(fake, ["db", "web"], on_poll=lambda states: seen.append(len(states)))
        assert outcome.ok and outcome.failed is None
        assert fake.polls == 3 and seen == [1, 2, 2]

    def test_stops_at_the_first_failed_service(self) -> None:
        sick = state("sick", health="unhealthy", probe=PROBE, last_probe="probe says no")
        outcome = run_watch(FakeEngine([[state("fine"), sick]]), ["fine", "sick"])
        assert (outcome.ok, outcome.failed) == (False, "sick")
        assert outcome.reason == "is unhealthy (last probe: probe says no)"

    def test_fails_a_service_stuck_starting_past_its_budget(self) -> None:
        stuck = state("web", health="starting", probe=PROBE, started_at=1000.0)
        fake = FakeEngine([[stuck]])
        outcome = run_watch(fake, ["web"])
        assert outcome.failed == "web" and "budget of 5 s" in outcome.reason
        assert fake.now == 1006.0

    def test_compose_failing_without_a_failed_container_gives_its_error(self) -> None:
        outcome = run_watch(FakeEngine([[]], up_exit=1), ["web"])
        assert (outcome.ok, outcome.failed) == (False, None)
        assert outcome.reason == "Error: port is already allocated"

    def test_service_compose_did_not_create(self) -> None:
        outcome = run_watch(FakeEngine([[state("db")]], up_exit=0), ["db", "web"])
        assert outcome.failed == "web" and outcome.reason == "was not created by docker compose up"


class TestRows:
    """Status rows: state, health, URL, and time to healthy from `up` and from start."""

    def test_times_from_up_and_from_start(self) -> None:
        db = state("db", health="healthy", probe=PROBE, started_at=101.0, healthy_at=103.5)
        [row] = make_rows(["db"], {"db": db}, {}, started=100.0)
        assert (row.since_up, row.since_start) == (3.5, 2.5)
        assert row.as_dict()["healthy_after_up_s"] == 3.5

    def test_no_time_for_a_container_already_running_before_up(self) -> None:
        db = state("db", health="healthy", probe=PROBE, started_at=50.0, healthy_at=51.0)
        [row] = make_rows(["db"], {"db": db}, {}, started=100.0)
        assert (row.since_up, row.since_start) == (None, None)

    def test_without_healthcheck_ready_means_started(self) -> None:
        [row] = make_rows(["web"], {"web": state(started_at=100.5)}, {}, started=100.0)
        assert (row.health, row.since_up, row.since_start) == ("-", 0.5, 0.0)

    def test_missing_service(self) -> None:
        [row] = make_rows(["web"], {}, {})
        assert (row.state, row.health, row.url) == ("missing", "-", "-")

    @pytest.mark.parametrize(
        ("extension", "expected"),
        [
            pytest.param(
                {"health_path": "/health"}, "http://127.0.0.1:8000, http://127.0.0.1:9", id="http"
            ),
            pytest.param({"port": 5432}, "127.0.0.1:8000, 127.0.0.1:9", id="tcp"),
        ],
    )
    def test_published_url(self, extension: dict[str, Any], expected: str) -> None:
        ports = (
            Published(host="127.0.0.1", port=8000, container_port="8000/tcp"),
            Published(host="0.0.0.0", port=9, container_port="9/tcp"),
        )
        assert published_url(state(published=ports), extension) == expected
        assert published_url(state(), extension) == "-"

    def test_table_has_timing_columns_only_when_asked(self) -> None:
        row = make_rows(["web"], {"web": state(started_at=1.0)}, {}, started=1.0)
        text = render(status_table(row, title="t", timings=True))
        assert "healthy after up" in text and "0.0s" in text
        assert "healthy after up" not in render(status_table(row, title="t", timings=False))

    def test_by_service_prefers_the_running_then_the_newest_container(self) -> None:
        old = state("web", name="p-web-1", status="exited", started_at=10.0)
        new = state("web", name="0a1b_p-web-1", status="running", started_at=20.0)
        older_running = state("db", name="p-db-1", started_at=5.0)
        newer_running = state("db", name="p-db-2", started_at=6.0)
        states = by_service([new, old, newer_running, older_running])
        assert (states["web"], states["db"]) == (new, newer_running)


def render(table: Any) -> str:
    console = Console(record=True, width=200)
    console.print(table)
    return console.export_text()


class TestSwitching:
    """Containers made from another file set belong to the other env."""

    def test_stale_containers(self) -> None:
        files = [Path("/r/compose.yaml"), Path("/r/compose.prod.yaml")]
        same = state("a", config_files=("/r/compose.yaml", "/r/compose.prod.yaml"))
        other = state("b", config_files=("/r/compose.yaml", "/r/compose.dev.yaml"))
        unlabelled = state("c")
        assert stale([same, other, unlabelled], files) == [other]


class TestSourceMounts:
    """prod never bind-mounts the repository."""

    def test_bind_mounts_inside_the_repository(self, tmp_path: Path) -> None:
        config = {
            "services": {
                "backend": {
                    "volumes": [
                        {
                            "type": "bind",
                            "source": str(tmp_path / "services/backend"),
                            "target": "/app",
                        },
                        {"type": "volume", "source": "data", "target": "/data"},
                    ]
                },
                "proxy": {
                    "volumes": [{"type": "bind", "source": "/etc/ssl/certs", "target": "/c"}]
                },
                "db": {},
            }
        }
        assert source_mounts(config, tmp_path) == [("backend", str(tmp_path / "services/backend"))]


CONFIG: dict[str, Any] = {
    "services": {
        "backend": {
            "environment": {
                "JWT_SECRET": "jwt-value-0123456789",
                "DATABASE_URL": "postgresql://todo:pg-pass-12345678@db:5432/todo",
                "ADMIN_PASSWORD": "",
                "GITHUB_TOKEN": "ghp_abc",
                "LOG_LEVEL": "info",
            },
            "command": ["run", "--key", "jwt-value-0123456789"],
            "labels": ["API_KEY=abc123", "team=web"],
        },
        "db": {"environment": {"POSTGRES_PASSWORD": "pg-pass-12345678", "POSTGRES_USER": "todo"}},
    },
    "name": "app",
    "x-count": 3,
}


class TestMaskConfig:
    """Secrets never show in `invoke config`: by value, in URLs, and by variable name."""

    def masked(self) -> dict[str, Any]:
        return dict(mask_config(CONFIG, ["pg-pass-12345678", "jwt-value-0123456789", ""]))

    def test_no_secret_value_left_anywhere(self) -> None:
        text = json.dumps(self.masked())
        for secret in ("pg-pass-12345678", "jwt-value-0123456789", "ghp_abc", "abc123"):
            assert secret not in text

    def test_shapes_are_kept(self) -> None:
        masked = self.masked()
        env = masked["services"]["backend"]["environment"]
        assert env["DATABASE_URL"] == "postgresql://todo:********@db:5432/todo"
        assert env["JWT_SECRET"] == env["GITHUB_TOKEN"] == "********"
        assert env["ADMIN_PASSWORD"] == ""
        assert env["LOG_LEVEL"] == "info"
        assert masked["services"]["backend"]["command"] == ["run", "--key", "********"]
        assert masked["services"]["backend"]["labels"] == ["API_KEY=********", "team=web"]
        assert masked["services"]["db"]["environment"]["POSTGRES_USER"] == "todo"
        assert (masked["name"], masked["x-count"]) == ("app", 3)

    def test_url_password_masked_even_when_not_a_known_secret(self) -> None:
        assert mask_config({"url": "redis://:s3cret@cache:6379/0"}, []) == {
            "url": "redis://:********@cache:6379/0"
        }

    def test_longer_secret_masked_before_its_prefix(self) -> None:
        assert mask_config("abcdef", ["abc", "abcdef"]) == "********"


class TestUpPlan:
    """`--dry-run` shows the exact compose calls, in order."""

    def plan(self, **fields: Any) -> UpPlan:
        base: dict[str, Any] = {
            "env": "prod",
            "project": "app",
            "files": (Path("/r/compose.yaml"), Path("/r/compose.prod.yaml")),
            "env_file": Path("/r/.env"),
            "variables": {"APP_VERSION": "1.2.3", "DOCKWRIGHT_ENV_FILE": "/r/.env"},
        }
        return UpPlan(**{**base, **fields})

    def test_prod(self) -> None:
        assert self.plan().commands() == [
            "APP_VERSION=1.2.3 DOCKWRIGHT_ENV_FILE=/r/.env docker compose --file /r/compose.yaml "
            "--file /r/compose.prod.yaml --env-file /r/.env --project-name app "
            "up --detach --remove-orphans --no-build --pull missing"
        ]

    def test_switch_and_build_come_first(self) -> None:
        plan = self.plan(
            env="dev",
            files=(Path("/r/compose.yaml"), Path("/r/compose.dev.yaml")),
            switch_from=(Path("/r/compose.yaml"), Path("/r/compose.prod.yaml")),
            build=True,
            variables={},
        )
        commands = plan.commands()
        assert [c.split(" --project-name app ")[1] for c in commands] == [
            "down --remove-orphans",
            "build --progress plain",
            "up --detach --remove-orphans --no-build --pull missing",
        ]
        assert "compose.prod.yaml" in commands[0] and "compose.dev.yaml" in commands[2]

    def test_compose_argv_without_env_file(self) -> None:
        assert compose_argv([Path("/c.yaml")], None, "p") == [
            "docker",
            "compose",
            "--file",
            "/c.yaml",
            "--project-name",
            "p",
        ]
