"""What an existing repository already has: compose files, builds, stages, variables.

Pure apart from reading the repository's files: no engine, no output. Used by
`load_project` when no compose files are configured, and by `dockwright init`,
which writes the findings down (see `adopt`).

Conventions followed, in order of preference (compose's own order):
- the base file is the first of `compose.yaml`, `compose.yml`,
  `docker-compose.yaml`, `docker-compose.yml` that declares services, at the
  root, else in `compose/`;
- dev overrides beside it: `(docker-)compose.override.y(a)ml`, then
  `(docker-)compose.{dev,development,local}.y(a)ml`; prod overrides:
  `(docker-)compose.{prod,production}.y(a)ml` (a `-` works in place of the `.`);
- relative paths in every file are relative to the base file's folder
  (compose's rule for several `-f` files);
- `compose.dockwright.yaml` beside the base file (written by `dockwright init`
  for a service that runs an image without a `build:`) follows it in the base.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from dockwright.masking import looks_secret
from dockwright.repo.dockerfile import Stage, parse_stages

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# Written by init beside the base file: the `build:` of image-only services (see `root_build`).
OVERRIDE = "compose.dockwright.yaml"
FOLDERS = (".", "compose")
DEV_VARIANTS = ("override", "dev", "development", "local")
PROD_VARIANTS = ("prod", "production")
# Stage names that mean "development" in the wild, in order of preference.
DEV_STAGES = ("dev", "development", "develop", "devel", "local", "debug")
_VARIANT = re.compile(r"(?:docker-)?compose[.-]([A-Za-z]+)\.ya?ml")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INNER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", re.S)


# -- compose files ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComposeLayout:
    """Compose files relative to the root (posix): base, dev overrides, prod overrides."""

    base: tuple[str, ...] = ()
    dev: tuple[str, ...] = ()
    prod: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        return (*self.base, *self.dev, *self.prod)


def declares_services(path: Path) -> bool:
    """A file with a non-empty `services:` (invalid YAML counts: compose will say why)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return True
    return isinstance(data, dict) and bool(data.get("services"))


def find_compose_files(root: Path) -> ComposeLayout:
    """The conventional compose files of `root`; an empty layout when there are none."""
    for folder in FOLDERS:
        where = root / folder
        base = next(
            (n for n in COMPOSE_NAMES if (where / n).is_file() and declares_services(where / n)),
            None,
        )
        if base is None:
            continue
        variants: dict[str, str] = {}
        for path in sorted(where.iterdir()):
            if path.is_file() and (m := _VARIANT.fullmatch(path.name)):
                variants[path.name] = m[1].lower()
        dev = [n for v in DEV_VARIANTS for n, got in variants.items() if got == v]
        prod = [n for v in PROD_VARIANTS for n, got in variants.items() if got == v]

        def rel(name: str, folder: str = folder) -> str:
            return (Path(folder) / name).as_posix()

        # init's override for services that run an image without saying how it is built.
        own = [OVERRIDE] if (where / OVERRIDE).is_file() else []
        return ComposeLayout(
            base=(rel(base), *map(rel, own)), dev=tuple(map(rel, dev)), prod=tuple(map(rel, prod))
        )
    return ComposeLayout()


# -- interpolation --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Reference:
    """One `${NAME}`, `${NAME:-default}`, `${NAME:?error}` or `$NAME` in compose text."""

    name: str
    op: str = ""
    arg: str = ""

    @property
    def default(self) -> str | None:
        return self.arg if self.op in (":-", "-") else None

    @property
    def required(self) -> bool:
        return self.op in ("", ":?", "?")


def _scan(text: str) -> Iterator[tuple[int, int, Reference]]:
    """(start, end, reference) of each top-level reference; `$$` is a literal `$`."""
    i = 0
    while i < len(text) - 1:
        if text[i] != "$":
            i += 1
        elif text[i + 1] == "$":
            i += 2
        elif text[i + 1] == "{":
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            if depth:  # unterminated: compose rejects it, we just stop
                return
            if m := _INNER.fullmatch(text[i + 2 : j - 1]):
                yield i, j, Reference(name=m[1], op=m[2] or "", arg=m[3] or "")
            i = j
        elif m := _NAME.match(text, i + 1):
            yield i, m.end(), Reference(name=m[0])
            i = m.end()
        else:
            i += 1


def references(text: str) -> list[Reference]:
    """Every reference in `text`, those nested in defaults included, in order."""
    found = []
    for _start, _end, ref in _scan(text):
        found.append(ref)
        found += references(ref.arg)
    return found


def substitute(text: str, values: Mapping[str, str]) -> str | None:
    """`text` interpolated as compose would; None when a variable has no value."""
    out, last = [], 0
    for start, end, ref in _scan(text):
        out.append(text[last:start])
        last = end
        value = values.get(ref.name)
        if ref.op in (":-", ":?", ":+"):
            value = value or None
        if ref.op.endswith("+"):
            value = "" if value is None else substitute(ref.arg, values)
        elif value is None and ref.op.endswith("-"):
            value = substitute(ref.arg, values)
        if value is None:
            return None
        out.append(value)
    return "".join(out) + text[last:].replace("$$", "$")


def with_defaults(text: str, marker: str = "\0") -> str:
    """`text` with defaults applied and `marker` for each variable without one."""
    out, last = [], 0
    for start, end, ref in _scan(text):
        out.append(text[last:start])
        last = end
        out.append(marker if ref.default is None else with_defaults(ref.default, marker))
    return "".join(out) + text[last:].replace("$$", "$")


MARK = "\0"  # stands for a reference in masked text
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@")


def has_literal_password(raw: str) -> bool:
    """A URL in `raw` carries a password that is not a `${VAR}` reference."""
    match = _URL_PASSWORD.search(mask_references(raw, MARK))
    return bool(match and MARK not in match[1])


def mask_references(text: str, marker: str = "\0") -> str:
    """`text` with each reference replaced by `marker` (to see what is literal)."""
    out, last = [], 0
    for start, end, _ref in _scan(text):
        out += [text[last:start], marker]
        last = end
    return "".join(out) + text[last:]


# -- Dockerfiles and builds -----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ServiceInfo:
    """A compose service as init reports it: built from where, with which stages."""

    name: str
    image: str | None = None
    context: str | None = None
    dockerfile: str | None = None
    stages: tuple[Stage, ...] = ()
    compose_target: str | None = None
    dev_target: str | None = None
    problem: str = ""

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _services(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = data.get("services")
    if not isinstance(services, dict):
        return {}
    return {str(k): v if isinstance(v, dict) else {} for k, v in services.items()}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _build_info(name: str, build: Any, image: Any, project_dir: Path, root: Path) -> ServiceInfo:
    spec = {"context": build} if isinstance(build, str) else dict(build)
    context_text = substitute(str(spec.get("context", ".")), {})
    if context_text is None or "://" in context_text or context_text.startswith("git@"):
        return ServiceInfo(name=name, problem=f"build context {spec.get('context')!r} not local")
    context = (project_dir / context_text).resolve()
    target = spec.get("target")
    base = ServiceInfo(
        name=name,
        image=None if image is None else str(image),
        context=_relative(context, root),
        compose_target=None if target is None else str(target),
    )
    if "dockerfile_inline" in spec:
        stages = parse_stages(str(spec["dockerfile_inline"]))
        return replace(base, dockerfile="(inline)", stages=stages)
    dockerfile_text = substitute(str(spec.get("dockerfile", "Dockerfile")), {})
    if dockerfile_text is None:
        return replace(base, problem="its Dockerfile path needs a variable")
    dockerfile = (context / dockerfile_text).resolve()
    rel = _relative(dockerfile, root)
    if not dockerfile.is_file():
        return replace(base, dockerfile=rel, problem=f"{rel} not found")
    stages = parse_stages(dockerfile.read_text(encoding="utf-8", errors="replace"))
    return replace(base, dockerfile=rel, stages=stages)


def discover_services(root: Path, layout: ComposeLayout) -> list[ServiceInfo]:
    """Each service of the base files (merged), with its build and the dev target hint."""
    if not layout.base:
        return []
    root = root.resolve()
    project_dir = (root / layout.base[0]).parent.resolve()
    merged: dict[str, dict[str, Any]] = {}
    for rel in layout.base:
        for name, svc in _services(_load(root / rel)).items():
            entry = merged.setdefault(name, {})
            build = svc.get("build")
            if isinstance(build, str):
                build = {"context": build}
            if isinstance(build, dict):
                entry["build"] = {**entry.get("build", {}), **build}
            if "image" in svc:
                entry["image"] = svc["image"]
    dev_targets: dict[str, str] = {}
    for rel in layout.dev:
        for name, svc in _services(_load(root / rel)).items():
            build = svc.get("build")
            if isinstance(build, dict) and build.get("target"):
                dev_targets[name] = str(build["target"])
    found = []
    for name, entry in merged.items():
        if "build" in entry:
            info = _build_info(name, entry["build"], entry.get("image"), project_dir, root)
        else:
            info = ServiceInfo(name=name, image=str(entry.get("image") or "") or None)
        found.append(replace(info, dev_target=dev_targets.get(name)))
    return found


# -- dev/prod targets -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TargetChoice:
    """The `targets` setting for the repo's stage names, and what could not be mapped."""

    targets: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def dev_stage(info: ServiceInfo) -> str | None:
    """The dev override's `build.target`, else the best dev-looking stage name."""
    names = info.stage_names
    if info.dev_target and info.dev_target in names:
        return info.dev_target
    lowered = {n.lower(): n for n in names if n}
    return next((lowered[c] for c in DEV_STAGES if c in lowered), None)


def prod_stage(info: ServiceInfo) -> str:
    """compose's `build.target` unless it is the dev stage, else the last stage ("" unnamed)."""
    target = info.compose_target
    dev = dev_stage(info)
    if target and target in info.stage_names and target != dev and target.lower() not in DEV_STAGES:
        return target
    return info.stages[-1].name if info.stages else ""


def _majority(choices: dict[str, str]) -> str:
    counts = Counter(choices.values())
    return max(choices.values(), key=lambda v: (counts[v], -list(choices.values()).index(v)))


def choose_targets(services: list[ServiceInfo]) -> TargetChoice:
    """Map our `dev`/`prod` targets onto the repo's stages (one mapping for all services)."""
    built = [s for s in services if s.stages]
    notes = [f"{s.name}: {s.problem}" for s in services if s.problem]
    targets: dict[str, str] = {}
    dev = {s.name: d for s in built if (d := dev_stage(s))}
    if dev:
        targets["dev"] = _majority(dev)
    want = targets.get("dev", "dev")
    for s in built:
        if (has := dev.get(s.name)) != want:
            mine = f" (its dev stage is {has!r})" if has else ""
            notes.append(f"{s.name}: no stage {want!r}{mine}; `build --target dev` fails for it")
    prod = {s.name: prod_stage(s) for s in built}
    values = set(prod.values())
    if len(values) == 1 and "" not in values:
        targets["prod"] = values.pop()
    else:
        # Without a mapping, prod builds compose's build.target, else the last stage.
        for s in built:
            if s.compose_target and prod[s.name] != s.compose_target:
                notes.append(
                    f"{s.name}: compose builds target {s.compose_target!r}, which looks like a "
                    f"dev stage; set build.target to {prod[s.name] or 'the prod stage'!r}"
                )
    return TargetChoice(targets=targets, notes=tuple(notes))


# -- variables ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Variable:
    """A variable the compose files read (or set literally), for `.env.example`."""

    name: str
    default: str | None = None
    required: bool = False
    secret: bool = False
    # Set literally in some environment: (and never read through ${NAME}).
    literal: bool = False
    referenced: bool = False
    # The envfile type of a literal URL (its value is not copied: it has a password).
    kind: str | None = None
    where: tuple[str, ...] = ()

    @property
    def only_literal(self) -> bool:
        return self.literal and not self.referenced


def _scalars(node: yaml.Node, seen: set[int]) -> Iterator[yaml.ScalarNode]:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, seen)
    elif isinstance(node, yaml.MappingNode):
        for _key, value in node.value:
            yield from _scalars(value, seen)


def mapping_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """A key of a YAML mapping node (merge keys `<<` followed), or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    merged: list[yaml.Node] = []
    for k, v in node.value:
        if k.value == key:
            return v  # type: ignore[no-any-return]
        if k.tag == "tag:yaml.org,2002:merge":
            merged += v.value if isinstance(v, yaml.SequenceNode) else [v]
    return next((got for m in merged if (got := mapping_get(m, key)) is not None), None)


def mapping_items(node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
    """(key, value) of a mapping node, merge keys followed, own keys first."""
    if not isinstance(node, yaml.MappingNode):
        return []
    own = [(str(k.value), v) for k, v in node.value if k.tag != "tag:yaml.org,2002:merge"]
    names = {k for k, _ in own}
    for k, v in node.value:
        if k.tag == "tag:yaml.org,2002:merge":
            for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                for name, value in mapping_items(m):
                    if name not in names:
                        names.add(name)
                        own.append((name, value))
    return own


def environment_entries(service: yaml.Node) -> list[tuple[str, str | None, int]]:
    """(name, raw value or None for pass-through, 1-based line) of `environment:`."""
    env = mapping_get(service, "environment")
    entries: list[tuple[str, str | None, int]] = []
    if isinstance(env, yaml.MappingNode):
        for name, value in mapping_items(env):
            text = value.value if isinstance(value, yaml.ScalarNode) else None
            literal = None if value.tag == "tag:yaml.org,2002:null" else str(text)
            entries.append((name, literal, value.start_mark.line + 1))
    elif isinstance(env, yaml.SequenceNode):
        for item in env.value:
            if isinstance(item, yaml.ScalarNode):
                name, eq, raw = str(item.value).partition("=")
                entries.append((name, raw if eq else None, item.start_mark.line + 1))
    return entries


def compose_variables(texts: Mapping[str, str]) -> list[Variable]:
    """Variables of the compose files `{display name: text}`, in order of first use."""
    found: dict[str, Variable] = {}

    def note(name: str, where: str, **changes: Any) -> None:
        old = found.get(name, Variable(name=name, secret=looks_secret(name)))
        keep = {k: v for k, v in changes.items() if getattr(old, k) in (None, False)}
        found[name] = replace(old, **keep, where=tuple(dict.fromkeys((*old.where, where))))

    for filename, text in texts.items():
        try:
            root = yaml.compose(text)
        except yaml.YAMLError:
            continue
        if root is None:
            continue
        for scalar in _scalars(root, set()):
            for ref in references(str(scalar.value)):
                where = f"{filename}:{scalar.start_mark.line + 1}"
                note(ref.name, where, default=ref.default, required=ref.required, referenced=True)
        for _name, service in mapping_items(mapping_get(root, "services")):
            for name, raw, line in environment_entries(service):
                where = f"{filename}:{line}"
                if raw is None:  # passed through from the environment: no default
                    note(name, where, referenced=True, required=True)
                elif raw and MARK not in mask_references(raw, MARK):
                    url = has_literal_password(raw)
                    kind = rule_type(Variable(name=name), raw) if url else None
                    note(name, where, literal=True, secret=url, kind=kind)
    return list(found.values())


def rule_type(var: Variable, example: str) -> str | None:
    upper = var.name.upper()
    if (upper == "PORT" or upper.endswith("_PORT")) and (not example or example.isdigit()):
        return "port"
    if re.match(r"postgres(ql)?(\+\w+)?://", example):
        return "postgres-url"
    if re.match(r"https?://", example):
        return "url"
    return None


# -- one image, run by name ---------------------------------------------------------

ROOT_DOCKERFILES = ("Dockerfile", "Containerfile")


@dataclass(frozen=True, kw_only=True)
class RootBuild:
    """The root Dockerfile mapped onto the service that runs its image (`image:`, no `build:`)."""

    service: str
    image: str
    # Relative to the base compose file's folder, as compose reads them.
    context: str
    dockerfile: str


def _has_namespace(image: str) -> bool:
    """`ghcr.io/acme/site`, `acme/site` yes; `postgres:17`, `library/redis` no."""
    name = image.split("@")[0]
    return "/" in name and not name.startswith(("library/", "docker.io/library/"))


def _image_name(image: str) -> str:
    """`ghcr.io/acme/site:latest` -> `site`."""
    name = image.split("@")[0].rsplit("/", 1)[-1]
    return name.split(":")[0]


def root_build(
    root: Path, layout: ComposeLayout, services: list[ServiceInfo], project: str
) -> RootBuild | None:
    """Which service the root Dockerfile builds, when no service has a `build:`.

    The one image-only service; else the one whose image has a namespace (a
    team's own image, not `postgres:17`); else the one whose image is named like
    the project. None with nothing to map (or a build already described).
    """
    if not layout.base or any(s.context is not None or s.problem for s in services):
        return None
    dockerfile = next((n for n in ROOT_DOCKERFILES if (root / n).is_file()), None)
    candidates = [s for s in services if s.image]
    if dockerfile is None or not candidates:
        return None
    if len(candidates) > 1:
        own = [s for s in candidates if _has_namespace(s.image or "")]
        named = [s for s in own if _image_name(s.image or "") == project]
        candidates = own if len(own) == 1 else named
    if len(candidates) != 1:
        return None
    (chosen,) = candidates
    project_dir = (root / layout.base[0]).parent.resolve()
    context = Path(os.path.relpath(root.resolve(), project_dir)).as_posix()
    return RootBuild(
        service=chosen.name,
        image=chosen.image or "",
        context=context,
        dockerfile=dockerfile,
    )


def with_root_build(root: Path, info: ServiceInfo, build: RootBuild) -> ServiceInfo:
    """`info` as if compose had the mapped `build:` (stages read from the Dockerfile)."""
    text = (root / build.dockerfile).read_text(encoding="utf-8", errors="replace")
    return replace(info, context=".", dockerfile=build.dockerfile, stages=parse_stages(text))
