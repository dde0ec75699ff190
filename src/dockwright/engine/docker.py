"""The Docker engine as dockwright uses it. The only module importing python-on-whales;
compose and the calls of every build run the docker CLI itself (`engine/cli.py`), with
compose's variables in the child's environment only.

Every engine failure is re-raised as one of our errors with one line saying
what failed; the engine's own text is kept on the exception for `--debug`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from dockwright.engine import cli
from dockwright.engine._lazy import whales

if TYPE_CHECKING:
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException

from dockwright.errors import (
    BuildError,
    ConfigError,
    EngineError,
    RegistryError,
    StackError,
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """compose logs may start with terminal control sequences even without colour."""
    return ANSI.sub("", text)


def _tail(exc: DockerException) -> str:
    text = (exc.stderr or exc.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit code {exc.return_code}"


def ensure_engine() -> str:
    """The engine's version; EngineError when none answers."""
    try:
        return cli.run("version", "--format", "{{.Server.Version}}").strip()
    except cli.CliFailed as exc:
        raise EngineError(
            "no Docker engine answers (docker version failed: "
            f"{exc.last_line}); start dockerd or run `bash ci/setup` as root"
        ) from exc


def compose_config(
    files: list[Path],
    project: str,
    env_files: list[Path],
    variables: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The merged compose config as JSON; `variables` are interpolated on top of the
    env files (like shell exports, they win), for this call only."""
    args = ["compose", *compose_options(files, project, env_files), "config", "--format", "json"]
    try:
        data = json.loads(cli.run(*args, variables=variables))
    except cli.CliFailed as exc:
        raise ConfigError(
            f"docker compose config failed for {', '.join(map(str, files))}: {exc.last_line}"
        ) from exc
    assert isinstance(data, dict)
    return data


def compose_options(files: list[Path], project: str, env_files: list[Path]) -> list[str]:
    """`--file`, `--project-name` and `--env-file` (only the env files that exist)."""
    options = [word for f in files for word in ("--file", str(f))]
    options += ["--project-name", project]
    options += [word for f in env_files if f.is_file() for word in ("--env-file", str(f))]
    return options


def image_store() -> str:
    """Where the engine keeps images: `containerd` (its image store, which keeps
    attestations), else the storage driver (`overlay2`)."""
    try:
        out = cli.run("info", "--format", "{{json .DriverStatus}}\t{{.Driver}}").strip()
    except cli.CliFailed as exc:
        raise EngineError(f"docker info failed: {exc.last_line}") from exc
    status, _, driver = out.partition("\t")
    return "containerd" if "containerd.snapshotter" in status else driver


def builder_driver(name: str) -> str:
    """The driver of a buildx builder (`docker`, `docker-container`, ...); "" = the current one."""
    try:
        text = cli.run("buildx", "inspect", *([name] if name else []))
    except cli.CliFailed as exc:
        raise ConfigError(
            f"buildx builder {name or 'default'!r} not found ({exc.last_line}); "
            "list builders with `docker buildx ls`"
        ) from exc
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Driver":
            return value.strip()
    raise ConfigError(f"`docker buildx inspect {name}` names no driver; is buildx installed?")


class BakeFailed(BuildError):
    """buildx bake exited non-zero; the caller decides which targets failed."""


def bake(definition: Path, targets: list[str], *, builder: str, metadata: Path) -> Iterator[str]:
    """Run buildx bake and yield its plain-progress lines; BakeFailed at the end on failure."""
    args = ["buildx", "bake", "--file", str(definition), "--progress", "plain"]
    args += ["--metadata-file", str(metadata), *(["--builder", builder] if builder else [])]
    try:
        yield from cli.stream(*args, "--", *targets)
    except cli.CliFailed as exc:
        raise BakeFailed(exc.stderr.strip() or "bake failed") from exc


@dataclass(frozen=True, kw_only=True)
class ImageFacts:
    id: str
    size: int
    user: str
    exposed: tuple[str, ...]
    healthcheck: dict[str, Any] | None
    labels: dict[str, str]
    env: tuple[str, ...]
    repo_digests: tuple[str, ...]
    raw: dict[str, Any]


def inspect_image(ref: str) -> ImageFacts:
    try:
        out = cli.run("image", "inspect", ref)
    except cli.CliFailed as exc:
        raise EngineError(f"image {ref} not found in the engine; build it first") from exc
    return _facts(json.loads(out)[0])


def inspect_images(refs: list[str]) -> list[ImageFacts]:
    """Several images in one engine call, in order (EngineError when one is missing)."""
    if not refs:
        return []
    try:
        out = cli.run("image", "inspect", *refs)
    except cli.CliFailed as exc:
        raise EngineError(f"{exc.last_line}; build the images first") from exc
    return [_facts(data) for data in json.loads(out)]


def _facts(data: dict[str, Any]) -> ImageFacts:
    config = data.get("Config") or {}
    return ImageFacts(
        id=data["Id"],
        size=int(data.get("Size", 0)),
        user=config.get("User") or "",
        exposed=tuple(sorted((config.get("ExposedPorts") or {}).keys())),
        healthcheck=config.get("Healthcheck"),
        labels=dict(config.get("Labels") or {}),
        env=tuple(config.get("Env") or ()),
        repo_digests=tuple(data.get("RepoDigests") or ()),
        raw=data,
    )


def image_exists(ref: str) -> bool:
    try:
        whales.docker.image.inspect(ref)
    except whales.exceptions.NoSuchImage:
        return False
    return True


def image_history(ref: str) -> list[dict[str, Any]]:
    """`docker image history` rows (python-on-whales' own history() is not implemented)."""
    try:
        out = whales.utils.run(
            [
                *whales.docker.docker_cmd,
                "image",
                "history",
                "--no-trunc",
                "--format",
                "{{json .}}",
                ref,
            ]
        )
    except whales.exceptions.DockerException as exc:
        raise EngineError(f"docker image history {ref} failed: {_tail(exc)}") from exc
    return [json.loads(line) for line in str(out).splitlines() if line.strip()]


def layer_history(ref: str) -> list[tuple[int, str]]:
    """(bytes, instruction) of every history entry of an image, oldest first."""
    try:
        out = cli.run(
            "image",
            "history",
            "--no-trunc",
            "--human=false",
            "--format",
            "{{.Size}}\t{{.CreatedBy}}",
            ref,
        )
    except cli.CliFailed as exc:
        raise EngineError(f"docker image history {ref} failed: {exc.last_line}") from exc
    rows = []
    for line in out.splitlines():
        size, _, created_by = line.partition("\t")
        rows.append((int(size) if size.strip().isdigit() else 0, created_by))
    return rows[::-1]


def pull(ref: str, client: DockerClient | None = None) -> None:
    """`docker pull` with the user's own docker login, or with `client`'s (the
    throwaway login of token mode, `isolated_client`)."""
    if client is None:
        try:
            cli.run("pull", "--quiet", ref)
        except cli.CliFailed as exc:
            raise RegistryError(f"docker pull {ref} failed: {exc.last_line}") from exc
        return
    try:
        client.image.pull(ref, quiet=True)
    except whales.exceptions.DockerException as exc:
        raise RegistryError(f"docker pull {ref} failed: {_tail(exc)}") from exc


REGISTRY_TIMEOUT = 20  # seconds the engine may take to ask a registry for a tag


def _engine_host() -> str:
    """The engine's address as the docker CLI finds it: DOCKER_HOST, else the current
    context's endpoint."""
    if host := os.environ.get("DOCKER_HOST"):
        return host
    try:
        return cli.run("context", "inspect", "--format", "{{.Endpoints.docker.Host}}").strip()
    except cli.CliFailed as exc:
        raise EngineError(f"docker context inspect failed: {exc.last_line}") from exc


def registry_digest(ref: str) -> str:
    """The digest a tag resolves to in its registry now, as the engine would pull it:
    through the engine's registry mirrors, with the user's docker login (docker-py
    sends the engine the credentials of that one registry). RegistryError when the
    registry does not resolve it."""
    from docker.api.client import APIClient
    from docker.errors import APIError, DockerException

    host = _engine_host()
    if host.startswith("unix://") and not Path(host.removeprefix("unix://")).exists():
        # (docker-py would leave the socket it tried with open.)
        raise EngineError(f"no Docker engine at {host}; start dockerd")
    try:
        # API 1.41 (Docker 20.10) has the distribution endpoint; a fixed version asks the
        # engine nothing else (and leaves no connection open when there is no engine).
        client = APIClient(base_url=host, version="1.41", timeout=REGISTRY_TIMEOUT)
        try:
            data = client.inspect_distribution(ref)
        finally:
            client.close()
    except APIError as exc:
        reason = str(exc.explanation or exc).strip().splitlines()[-1]
        raise RegistryError(f"the registry did not resolve it ({reason})") from exc
    except DockerException as exc:
        raise EngineError(f"asking the engine for {ref} failed: {exc}") from exc
    except OSError as exc:  # requests' errors (a timeout, a lost connection) are OSErrors
        if "timed out" in str(exc).lower():
            raise RegistryError(
                f"the registry did not answer the engine within {REGISTRY_TIMEOUT} s"
            ) from exc
        raise EngineError(f"asking the engine for {ref} failed: {exc}") from exc
    return str(data["Descriptor"]["digest"])


def export_filesystem(ref: str, dest: Path) -> Path:
    """Write the image's flattened filesystem as a tar file (for file and secret checks)."""
    try:
        container = whales.docker.container.create(ref, ["true"])
        try:
            whales.docker.container.export(container, dest)
        finally:
            container.remove(force=True)
    except whales.exceptions.DockerException as exc:
        raise EngineError(f"exporting the filesystem of {ref} failed: {_tail(exc)}") from exc
    return dest


def save_image(ref: str, dest: Path) -> Path:
    """`docker save`: every layer, so files deleted in a later layer are still seen."""
    try:
        whales.docker.image.save(ref, output=dest)
    except whales.exceptions.DockerException as exc:
        raise EngineError(f"docker save {ref} failed: {_tail(exc)}") from exc
    return dest


def user_client() -> DockerClient:
    """The docker client as the user has it: their config, their credential helper."""
    return cast("DockerClient", whales.docker)


@contextmanager
def isolated_client(server: str, username: str, token: str) -> Iterator[DockerClient]:
    """A docker client whose only login is this token, removed again on every exit.

    Not `docker --config <dir> login`: with an empty config the docker CLI picks
    the platform's default credential helper (secretservice, pass, osxkeychain)
    and stores the token in the user's keychain, replacing their own login there.
    A config that already holds an `auths` entry makes the CLI use it as it is
    and call no helper. The folder is private (0700, file 0600) and deleted when
    the block ends, by an error, Ctrl-C or SIGTERM (the task layer turns SIGTERM
    into an exception) alike.
    """
    folder = Path(tempfile.mkdtemp(prefix="dockwright-login-"))
    try:
        auth = base64.b64encode(f"{username}:{token}".encode()).decode()
        fd = os.open(folder / "config.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"auths": {server: {"auth": auth}}}, fh)
        yield cast("DockerClient", whales.DockerClient(config=str(folder)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def tag(source: str, target: str) -> None:
    try:
        whales.docker.image.tag(source, target)
    except whales.exceptions.DockerException as exc:
        raise EngineError(f"docker tag {source} {target} failed: {_tail(exc)}") from exc


class PushFailed(RegistryError):
    """One `docker push` attempt failed (retried by the caller)."""


def push(client: DockerClient, ref: str) -> None:
    """`docker push`; PushFailed (worth retrying) unless the registry refused the login."""
    try:
        client.image.push(ref, quiet=True)
    except whales.exceptions.DockerException as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or [f"exit code {exc.return_code}"]
        if any(word in last[0].lower() for word in ("denied", "unauthorized", "authentication")):
            raise RegistryError(f"push of {ref} refused: {last[0]}") from exc
        raise PushFailed(f"push of {ref} failed: {last[0]}") from exc


def repo_digests(ref: str) -> tuple[str, ...]:
    return inspect_image(ref).repo_digests


def compose_up_simple(files: list[Path], project: str, variables: Mapping[str, str]) -> None:
    """`compose up -d --wait` of a small self-contained stack (the local registry)."""
    try:
        options = compose_options(files, project, [])
        cli.run("compose", *options, "up", "--detach", "--wait", variables=variables)
    except cli.CliFailed as exc:
        raise EngineError(f"starting {project} failed: {exc.last_line}") from exc


def compose_down_simple(
    files: list[Path], project: str, variables: Mapping[str, str], *, volumes: bool
) -> None:
    args = ["compose", *compose_options(files, project, []), "down"]
    try:
        cli.run(*args, *(["--volumes"] if volumes else []), variables=variables)
    except cli.CliFailed as exc:
        raise EngineError(f"stopping {project} failed: {exc.last_line}") from exc


# -- compose stacks: up, down, ps, logs, config, restart ----------------------------------


@dataclass(frozen=True, kw_only=True)
class ComposeProject:
    """A compose project as dockwright runs it.

    `variables` are what compose interpolates on top of `env_file` (APP_VERSION,
    DOCKWRIGHT_ENV_FILE, ...); like shell exports, they win over the env file.
    """

    name: str
    files: tuple[Path, ...]
    env_file: Path | None = None
    variables: Mapping[str, str] = field(default_factory=dict)


# Compose runs with the project's variables in its own environment (`env=` of the
# child): this process's environment is never written.


def _compose_args(p: ComposeProject) -> list[str]:
    env_files = [p.env_file] if p.env_file else []
    return ["compose", *compose_options(list(p.files), p.name, env_files)]


def _stack_error(what: str, p: ComposeProject, exc: cli.CliFailed) -> StackError:
    return StackError(
        f"docker compose {what} failed for project {p.name}: {strip_ansi(exc.last_line)}"
    )


def stack_config(p: ComposeProject) -> dict[str, Any]:
    """The merged config of the project's files, as compose resolves it."""
    env_files = [p.env_file] if p.env_file else []
    return compose_config(list(p.files), p.name, env_files, p.variables)


def stack_build(p: ComposeProject, on_line: Callable[[str], None]) -> None:
    """`docker compose build` of the services with a build: section, lines to `on_line`."""
    try:
        for line in cli.stream(
            *_compose_args(p), "build", "--progress", "plain", variables=p.variables
        ):
            on_line(strip_ansi(line).rstrip())
    except cli.CliFailed as exc:
        raise BuildError(
            f"docker compose build failed for project {p.name}; see the build output above"
        ) from exc


def stack_pull(p: ComposeProject, services: list[str]) -> None:
    try:
        cli.run(*_compose_args(p), "pull", "--quiet", *services, variables=p.variables)
    except cli.CliFailed as exc:
        raise _stack_error("pull", p, exc) from exc


@dataclass(frozen=True, kw_only=True)
class UpProcess:
    """`docker compose up --detach` running while the caller watches health.

    Not python-on-whales' `compose.up`: that blocks until compose has started
    every service (it waits for `depends_on: service_healthy` itself), and we
    need the containers' states while it does.
    """

    process: subprocess.Popen[bytes]
    output: IO[bytes]

    def finished(self) -> tuple[int, str] | None:
        """(exit code, last output line) once compose has exited, else None."""
        code = self.process.poll()
        return None if code is None else (code, self.last_line())

    def last_line(self) -> str:
        self.output.seek(0)
        lines = strip_ansi(self.output.read().decode(errors="replace")).strip().splitlines()
        return lines[-1].strip() if lines else ""

    def stop(self, timeout: float = 30) -> None:
        """Wait for compose to exit (terminate it if it will not), then close."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)
        finally:
            self.output.close()


def start_up(p: ComposeProject, args: list[str]) -> UpProcess:
    """Start `docker compose ... <args>` (args from UpPlan.up_args) in the background."""
    command = [cli.DOCKER, *_compose_args(p), *args]
    output = tempfile.TemporaryFile()  # noqa: SIM115 - UpProcess.stop closes it
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, **p.variables},
    )
    return UpProcess(process=process, output=output)


def stack_down(p: ComposeProject, *, volumes: bool, timeout: int = 10) -> None:
    """`down --remove-orphans`: every container and network of the project; named
    volumes too with `volumes`."""
    args = ["down", "--remove-orphans", "--timeout", str(timeout)]
    try:
        cli.run(
            *_compose_args(p), *args, *(["--volumes"] if volumes else []), variables=p.variables
        )
    except cli.CliFailed as exc:
        raise _stack_error("down", p, exc) from exc


def stack_restart(p: ComposeProject, services: list[str], timeout: int = 10) -> None:
    args = ["restart", "--timeout", str(timeout), *services]
    try:
        cli.run(*_compose_args(p), *args, variables=p.variables)
    except cli.CliFailed as exc:
        raise _stack_error("restart", p, exc) from exc


def stack_logs(
    p: ComposeProject, services: list[str], *, tail: int | None, follow: bool = False
) -> Iterator[str]:
    """Log lines (control sequences stripped), oldest first; endless with `follow`."""
    args = ["logs", "--no-color", *(["--tail", str(tail)] if tail is not None else [])]
    args += [*(["--follow"] if follow else []), *services]
    try:
        for line in cli.stream(*_compose_args(p), *args, variables=p.variables):
            yield strip_ansi(line)
    except cli.CliFailed as exc:
        raise _stack_error("logs", p, exc) from exc


def _docker_lines(*args: str) -> list[str]:
    try:
        return str(whales.utils.run([*whales.docker.docker_cmd, *args])).split()
    except whales.exceptions.DockerException as exc:
        raise EngineError(f"docker {' '.join(args[:2])} failed: {_tail(exc)}") from exc


def _label_filter(project: str) -> list[str]:
    return ["--filter", f"label=com.docker.compose.project={project}"]


def inspect_containers(ids: list[str]) -> list[dict[str, Any]]:
    """`docker inspect` of these containers; ones removed meanwhile are left out."""
    if not ids:
        return []
    try:
        return cast(
            list[dict[str, Any]],
            json.loads(str(whales.utils.run([*whales.docker.docker_cmd, "inspect", *ids]))),
        )
    except whales.exceptions.DockerException:
        found: list[dict[str, Any]] = []
        for one in ids:
            with suppress(whales.exceptions.DockerException):
                found += json.loads(
                    str(whales.utils.run([*whales.docker.docker_cmd, "inspect", one]))
                )
        return found


def project_containers(project: str) -> list[dict[str, Any]]:
    """`docker inspect` of every container, running or not, of compose project `project`."""
    ids = _docker_lines("container", "ls", "-a", "-q", "--no-trunc", *_label_filter(project))
    return inspect_containers(ids)


def project_resources(project: str) -> dict[str, list[str]]:
    """Names of the containers, networks and volumes compose made for `project`."""
    where = _label_filter(project)
    return {
        "containers": _docker_lines("container", "ls", "-a", *where, "--format", "{{.Names}}"),
        "networks": _docker_lines("network", "ls", *where, "--format", "{{.Name}}"),
        "volumes": _docker_lines("volume", "ls", *where, "--format", "{{.Name}}"),
    }


def process_uids(container: str) -> list[int]:
    """Real UIDs of every process in a container (`docker top` takes ps options and
    needs the pid column to answer)."""
    lines = _docker_lines("top", container, "-eo", "pid,uid")
    # split() flattened the table: header "PID UID", then pid/uid pairs.
    return [int(uid) for uid in lines[3::2]]
