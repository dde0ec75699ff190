#!/usr/bin/env python3
"""dockwright's benchmark, measured side by side in one run on this machine.

Everything runs in a scratch clone of this repository (build/bench/repo), so the
work tree, its build/ folder and a running dev stack are left alone.

- build: a cold build of every service (BuildKit cache pruned, images removed,
  base images kept) by `invoke build --all --no-check`, by raw `docker buildx
  bake` of the same definition, and by plain `docker build` one after another.
  The three run in turn within each round (order rotated), and the ratios are
  taken pair by pair within a round. Then the warm no-op: the same again with
  everything cached, dockwright vs raw bake alternating.
- list: `invoke --list`.
- profile: where a warm no-op `invoke build --all --no-check` spends its time:
  interpreter start, imports (-X importtime), each docker call (timed by a
  wrapper first on PATH), and the rest (dockwright's own work).
- up: `invoke down --volumes`, then `invoke up --env prod --json`: the wall
  time, and the slowest service's time to healthy after `up`.
- release: a full release after a one-line source change, then a release of the
  same commit with no change, against the local registry:2.
- ci: the wall time of the last `bash .ci/run`, read from the timing lines it
  writes (artifacts/ci/timings.json).

Prints a table (median and min-max of each) and writes JSON (default
bench/results/bench.json).

    nox -s bench                               # everything
    nox -s bench -- --only build,list --rounds 5
"""

from __future__ import annotations

import argparse
import json
import re
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CA = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
PREFIX = "dwbench"
WORK = ROOT / "build" / "bench"
REPO = WORK / "repo"
SECTIONS = ("build", "list", "profile", "up", "release", "ci")
# The vulnerability database cannot be downloaded on an offline machine: the
# release's scan gate then warns about it instead of failing (secrets still gate).
# Bytecode is written and reused, as on a machine where dockwright was installed
# (this sandbox sets PYTHONDONTWRITEBYTECODE, which recompiles every module on each run).
ENV = {**os.environ, "DOCKWRIGHT_SCAN_VULNERABILITIES": "optional"}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def run(cmd: list[str], cwd: Path = REPO, env: dict[str, str] | None = None, **kw: Any) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env or ENV, **kw)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return proc.stdout


def invoke(*args: str) -> str:
    return run([str(VENV_BIN / "invoke"), *args])


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def scratch_clone() -> None:
    """A fresh clone of HEAD with a generated .env (uncommitted work is not benchmarked)."""
    if REPO.exists():
        if (REPO / ".env").is_file():
            subprocess.run(
                [str(VENV_BIN / "invoke"), "down", "--volumes"], cwd=REPO, capture_output=True
            )
        shutil.rmtree(REPO)
    WORK.mkdir(parents=True, exist_ok=True)
    run(["git", "clone", "-q", str(ROOT), str(REPO)], cwd=WORK)
    for key, value in (("user.name", "bench"), ("user.email", "bench@invalid")):
        run(["git", "config", key, value])
    invoke("env.init")


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


# -- build ---------------------------------------------------------------------------------


def definition() -> dict[str, Any]:
    """The bake definition dockwright builds from the compose files (its --dry-run)."""
    return json.loads(invoke("build", "--all", "--dry-run"))  # type: ignore[no-any-return]


def bench_definition(defn: dict[str, Any]) -> Path:
    """The same targets, tagged under our own names so runs don't share tags."""
    for name, target in defn["target"].items():
        target["tags"] = [f"{PREFIX}/bake-{name}:latest"]
    path = WORK / "bake.json"
    path.write_text(json.dumps(defn, indent=2))
    return path


def cold_reset() -> None:
    run(["docker", "builder", "prune", "-af"])
    images = run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).split()
    doomed = [i for i in images if i.startswith((f"{PREFIX}/", "localhost:5000/dockwright-ref/"))]
    if doomed:
        run(["docker", "image", "rm", "-f", *doomed])


def sequential(defn: dict[str, Any]) -> Callable[[], None]:
    def go() -> None:
        for name, t in defn["target"].items():
            cmd = ["docker", "build", "--progress", "plain", "-f", str(t["dockerfile"])]
            cmd += ["-t", f"{PREFIX}/seq-{name}:latest", "--secret", f"id=ca,src={CA}"]
            if t.get("target"):
                cmd += ["--target", str(t["target"])]
            for k, v in dict(t.get("args") or {}).items():
                cmd += ["--build-arg", f"{k}={v}"]
            run([*cmd, str(t["context"])])

    return go


def bench_build(rounds: int, warm_rounds: int) -> dict[str, Any]:
    defn = definition()
    bake_file = bench_definition(json.loads(json.dumps(defn)))
    methods: dict[str, Callable[[], object]] = {
        "dockwright": lambda: invoke("build", "--all", "--no-check"),
        "raw bake": lambda: run(
            ["docker", "buildx", "bake", "--file", str(bake_file), "--progress", "plain"]
        ),
        "sequential docker build": sequential(defn),
    }
    cold: dict[str, list[float]] = {m: [] for m in methods}
    order = list(methods)
    for i in range(rounds):
        for name in order[i % len(order) :] + order[: i % len(order)]:
            cold_reset()
            cold[name].append(timed(methods[name]))
            say(f"cold round {i + 1} {name}: {cold[name][-1]:.1f}s")
    # The warm no-op, and the same with build/cache/ off: then bake runs and finds
    # every step cached (what the up-to-date check saves).
    off = {**ENV, "DOCKWRIGHT_CACHE": "off"}
    methods["dockwright, cache off"] = lambda: run(
        [str(VENV_BIN / "invoke"), "build", "--all", "--no-check"], env=off
    )
    names = ["dockwright", "raw bake", "dockwright, cache off"]
    warm: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        methods[name]()
    for i in range(warm_rounds):
        for name in names[i % 3 :] + names[: i % 3]:
            warm[name].append(timed(methods[name]))
    pairs_bake = [d / b for d, b in zip(cold["dockwright"], cold["raw bake"], strict=True)]
    pairs_seq = [
        d / s for d, s in zip(cold["dockwright"], cold["sequential docker build"], strict=True)
    ]
    pairs_warm = [d / b for d, b in zip(warm["dockwright"], warm["raw bake"], strict=True)]
    pairs_off = [
        d / b for d, b in zip(warm["dockwright, cache off"], warm["raw bake"], strict=True)
    ]
    return {
        "cold_seconds": cold,
        "warm_seconds": warm,
        "cold_ratio_vs_bake_pairs": pairs_bake,
        "cold_ratio_vs_sequential_pairs": pairs_seq,
        "warm_ratio_vs_bake_pairs": pairs_warm,
        "warm_cache_off_ratio_vs_bake_pairs": pairs_off,
    }


# -- profile -------------------------------------------------------------------------------

WRAPPER = """#!/bin/sh
start=$(date +%s.%N)
{real} "$@"
code=$?
echo "$start $(date +%s.%N) $1 $2" >> {log}
exit $code
"""


def _imports(stderr: str) -> float:
    """Seconds of the top-level imports in -X importtime output."""
    total = 0
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|", 2)
            if not name.startswith("  ") and cumulative.strip().isdigit():
                total += int(cumulative)
    return total / 1e6


def bench_profile(rounds: int) -> dict[str, Any]:
    real = shutil.which("docker")
    assert real, "no docker CLI on PATH"
    folder = WORK / "profile-bin"
    folder.mkdir(exist_ok=True)
    log = WORK / "profile-docker.log"
    (folder / "docker").write_text(WRAPPER.format(real=real, log=log))
    (folder / "docker").chmod(0o755)
    env = {**ENV, "PATH": f"{folder}{os.pathsep}{ENV['PATH']}", "PYTHONPROFILEIMPORTTIME": "1"}
    invoke("build", "--all", "--no-check")  # warm
    rows: list[dict[str, Any]] = []
    for _ in range(rounds):
        log.write_text("")
        started = time.perf_counter()
        proc = subprocess.run(
            [str(VENV_BIN / "invoke"), "build", "--all", "--no-check"],
            cwd=REPO, env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"profiled build failed:\n{proc.stderr[-3000:]}")
        calls: dict[str, float] = {}
        for line in log.read_text().splitlines():
            begin, end, *words = line.split()
            name = " ".join(words)
            calls[name] = calls.get(name, 0.0) + float(end) - float(begin)
        rows.append({"wall": wall, "imports": _imports(proc.stderr), "docker": calls})
    bare = [timed(lambda: run([sys.executable, "-c", "pass"])) for _ in range(rounds)]
    return {"rounds": rows, "interpreter": bare}


# -- up ------------------------------------------------------------------------------------


def bench_up(rounds: int) -> dict[str, Any]:
    invoke("build", "--all", "--no-check")
    wall: list[float] = []
    healthy: list[float] = []
    per_service: dict[str, list[float]] = {}
    for i in range(rounds):
        invoke("down", "--volumes")
        started = time.perf_counter()
        rows = json.loads(invoke("up", "--env", "prod", "--json"))
        wall.append(time.perf_counter() - started)
        times = {r["service"]: r["healthy_after_up_s"] for r in rows}
        for service, seconds in times.items():
            per_service.setdefault(service, []).append(seconds)
        healthy.append(max(times.values()))
        say(f"up round {i + 1}: wall {wall[-1]:.1f}s, slowest healthy {healthy[-1]:.1f}s {times}")
    invoke("down", "--volumes")
    return {"wall_seconds": wall, "healthy_seconds": healthy, "per_service": per_service}


# -- release -------------------------------------------------------------------------------


def touch_source(round_: int) -> None:
    """A one-line change to the backend's code, committed: the next release rebuilds."""
    path = REPO / "services" / "backend" / "todo_api" / "__init__.py"
    path.write_text(path.read_text() + f"# bench round {round_}\n")
    run(["git", "commit", "-qam", f"bench: change {round_}"])


def registry_blob_bytes() -> int:
    """The bytes of every blob (layers, configs, manifests) the local registry stores,
    read inside its container."""
    ids = run(["docker", "ps", "-q", "--filter", "ancestor=registry:2", "--filter", "publish=5000"])
    container = ids.split()[0]
    out = run(
        ["docker", "exec", container, "find", "/var/lib/registry", "-path", "*/v2/blobs/*",
         "-name", "data", "-exec", "stat", "-c", "%s", "{}", "+"]
    )
    return sum(int(n) for n in out.split())


# The release's evidence lines (one per line, never folded): what it added to the
# release in series, and what it made alongside the push (on the other core).
EVIDENCE = re.compile(r"evidence: .* in ([0-9.]+) s")
ALONGSIDE = re.compile(r"evidence \(alongside the push\): .* in ([0-9.]+) s")


def evidence_seconds(stderr: str, pattern: re.Pattern[str]) -> float:
    lines = (line.strip() for line in stderr.splitlines())
    return sum(float(m[1]) for line in lines if (m := pattern.fullmatch(line)))


def released(*args: str) -> tuple[float, float, float]:
    """Seconds of one `invoke release`, of the evidence it added in series, and of the
    SBOMs it made alongside the push."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(VENV_BIN / "invoke"), "release", *args],
        cwd=REPO, capture_output=True, text=True, env=ENV,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark step failed: release {' '.join(args)}\n{proc.stderr[-3000:]}")
    return (
        seconds,
        evidence_seconds(proc.stderr, EVIDENCE),
        evidence_seconds(proc.stderr, ALONGSIDE),
    )


def bench_release(rounds: int) -> dict[str, Any]:
    # An empty registry: what an earlier run published would hold the versions.
    invoke("registry.down", "--volumes")
    invoke("registry.up")
    full: list[float] = []
    evidence: list[float] = []
    alongside: list[float] = []
    again: list[float] = []
    full_bytes: list[float] = []
    again_bytes: list[float] = []
    for i in range(rounds):
        touch_source(i)
        before = registry_blob_bytes()
        seconds, made, beside = released("--bump", "patch")
        full.append(seconds)
        evidence.append(made)
        alongside.append(beside)
        middle = registry_blob_bytes()
        # Nothing committed since: a release of the same code needs --allow-empty, and
        # re-tags the images just released (release.promote).
        again.append(timed(lambda: invoke("release", "--bump", "patch", "--allow-empty")))
        full_bytes.append(middle - before)
        again_bytes.append(registry_blob_bytes() - middle)
        say(
            f"release round {i + 1}: full {full[-1]:.1f}s ({full_bytes[-1]} new blob bytes), "
            f"no-change re-release {again[-1]:.1f}s ({again_bytes[-1]} new blob bytes)"
        )
    return {
        "full_seconds": full,
        "evidence_seconds": evidence,
        "evidence_share_of_full": [e / f for e, f in zip(evidence, full, strict=True)],
        "evidence_alongside_push_seconds": alongside,
        "no_change_seconds": again,
        "full_new_blob_bytes": full_bytes,
        "no_change_new_blob_bytes": again_bytes,
    }


# -- ci ------------------------------------------------------------------------------------


def read_ci(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text())  # type: ignore[no-any-return]


# -- table ---------------------------------------------------------------------------------


def row(name: str, values: list[float], unit: str = "s") -> str:
    s = spread(values)
    runs = len(values)
    return (
        f"{name:<52} {s['median']:>8.2f}{unit} {s['min']:>8.2f}-{s['max']:<8.2f} {runs:>4}"
    )


def table(result: dict[str, Any]) -> list[str]:
    lines = [f"{'measurement':<52} {'median':>9} {'min-max':>17} {'runs':>4}"]
    build = result.get("build")
    if build:
        for name, values in build["cold_seconds"].items():
            lines.append(row(f"cold build, {name}", values))
        for name, values in build["warm_seconds"].items():
            lines.append(row(f"warm no-op, {name}", values))
        lines.append(row("cold ratio dockwright / raw bake (pairs)", build["cold_ratio_vs_bake_pairs"], "x"))
        lines.append(
            row("cold ratio dockwright / sequential (pairs)", build["cold_ratio_vs_sequential_pairs"], "x")
        )
        lines.append(row("warm ratio dockwright / raw bake (pairs)", build["warm_ratio_vs_bake_pairs"], "x"))
        if "warm_cache_off_ratio_vs_bake_pairs" in build:
            lines.append(
                row("warm ratio, cache off / raw bake (pairs)", build["warm_cache_off_ratio_vs_bake_pairs"], "x")
            )
    if "list" in result:
        lines.append(row("invoke --list", result["list"]))
    profile = result.get("profile")
    if profile:
        rounds = profile["rounds"]
        lines.append(row("warm no-op profile: wall", [r["wall"] for r in rounds]))
        lines.append(row("  interpreter start (python -c pass)", profile["interpreter"]))
        lines.append(row("  imports (-X importtime, top level)", [r["imports"] for r in rounds]))
        for name in rounds[0]["docker"]:
            lines.append(row(f"  docker {name}", [r["docker"].get(name, 0.0) for r in rounds]))
        rest = [
            r["wall"] - r["imports"] - sum(r["docker"].values()) - statistics.median(profile["interpreter"])
            for r in rounds
        ]
        lines.append(row("  the rest (dockwright's own work)", rest))
    up = result.get("up")
    if up:
        lines.append(row("up --env prod, wall", up["wall_seconds"]))
        lines.append(row("up --env prod, slowest service healthy after up", up["healthy_seconds"]))
        for service, values in up["per_service"].items():
            lines.append(row(f"  {service} healthy after up", values))
    release = result.get("release")
    if release:
        lines.append(row("release, full (after a source change)", release["full_seconds"]))
        lines.append(row("release, no change since the last one", release["no_change_seconds"]))
        if "evidence_seconds" in release:
            lines.append(row("  of which evidence in series (build inputs, SBOM upload)", release["evidence_seconds"]))
            lines.append(row("  evidence share of the full release", release["evidence_share_of_full"], "x"))
        if "evidence_alongside_push_seconds" in release:
            lines.append(row("  SBOMs made alongside the push (not in series)", release["evidence_alongside_push_seconds"]))
        if "no_change_new_blob_bytes" in release:
            lines.append(row("  new blob bytes in the registry, full", release["full_new_blob_bytes"], "B"))
            lines.append(
                row("  new blob bytes in the registry, no change", release["no_change_new_blob_bytes"], "B")
            )
    ci = result.get("ci")
    if ci:
        for step, seconds in ci["steps"].items():
            lines.append(row(f".ci/run step: {step}", [seconds]))
        lines.append(row(".ci/run, whole", [ci["total"]]))
    elif "ci" in result:
        lines.append(f"{'.ci/run':<52} not measured: run `bash .ci/run` first")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--rounds", type=int, default=5, help="cold build rounds")
    ap.add_argument("--warm-rounds", type=int, default=7)
    ap.add_argument("--up-rounds", type=int, default=3)
    ap.add_argument("--release-rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench.json"))
    ap.add_argument(
        "--ci-timings",
        default=str(ROOT / "artifacts" / "ci" / "timings.json"),
        help="what the last `bash .ci/run` wrote (a clean clone writes it in its own tree)",
    )
    args = ap.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}")

    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commit": run(["git", "rev-parse", "HEAD"], cwd=ROOT).strip(),
    }
    scratch_clone()
    if "build" in only:
        result["build"] = bench_build(args.rounds, args.warm_rounds)
    if "list" in only:
        result["list"] = [timed(lambda: invoke("--list")) for _ in range(args.warm_rounds)]
    if "profile" in only:
        result["profile"] = bench_profile(args.warm_rounds)
    if "up" in only:
        result["up"] = bench_up(args.up_rounds)
    if "release" in only:
        result["release"] = bench_release(args.release_rounds)
    if "ci" in only:
        result["ci"] = read_ci(Path(args.ci_timings))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(table(result)))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
