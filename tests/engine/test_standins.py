"""The stand-ins are faithful enough for foreign Dockerfiles (issue 13).

They run the idioms that Dockerfiles written for the official images rely on:
pip in /usr/local that can upgrade itself, venvs, editable installs; npm, npx,
corepack and yarn at the versions node 20's official image carries; and more
official tags (`FROM python:3.13`, `FROM node:20`) resolving through the mirror.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from python_on_whales import docker

from tests.conftest import ROOT

STANDINS_PY = ROOT / "ci" / "offline" / "standins.py"


def load_standins() -> ModuleType:
    """ci/offline/standins.py as a module: its pins and alias table are the expectations."""
    spec = importlib.util.spec_from_file_location("dockwright_ci_standins", STANDINS_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STANDINS = load_standins()


def remove_images(*names: str) -> None:
    """Remove the images a test made, those that exist (a failed build made none)."""
    present = [name for name in names if docker.image.exists(name)]
    if present:
        docker.image.remove(present, force=True)


def sh(image: str, script: str) -> str:
    """Run `script` with sh -e in a throwaway container of `image`; its stdout."""
    return str(docker.run(image, ["sh", "-ec", script], remove=True))


# Where the image keeps the pip wheel that ensurepip and venv install: Debian's
# python-wheels folder here, ensurepip/_bundled in the official image.
BUNDLED_WHEELS = (
    'python -c "import ensurepip, os, sysconfig; '
    "print(sysconfig.get_config_var('WHEEL_PKG_DIR') "
    "or os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))\""
)


@pytest.mark.engine
class TestPythonIdioms:
    """python:3.13-slim: pip in /usr/local with a RECORD, like the official image."""

    image = "python:3.13-slim"

    def test_pip_is_installed_in_usr_local_with_a_record(self) -> None:
        out = sh(
            self.image,
            "command -v python; command -v pip; pip --version; "
            "python -c \"import importlib.metadata as m; d = m.distribution('pip'); "
            "print(d.locate_file(''), [str(f) for f in d.files if f.name == 'RECORD'])\"; "
            'python -c "import sysconfig, os; print(os.path.exists(os.path.join('
            "sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))\"; "
            "python -c 'import setuptools' 2>/dev/null && echo setuptools || echo no-setuptools",
        ).splitlines()
        assert out[0] == "/usr/local/bin/python"
        assert out[1] == "/usr/local/bin/pip"
        assert re.fullmatch(
            r"pip \d+\.\d+(\.\d+)? from /usr/local/lib/python3\.13/(site|dist)-packages/pip "
            r"\(python 3\.13\)",
            out[2],
        ), out[2]
        location, records = out[3].split(" ", 1)
        assert location.startswith("/usr/local/lib/python3.13/")
        assert re.fullmatch(r"\['pip-[\d.]+\.dist-info/RECORD'\]", records), records
        assert out[4] == "False"  # no PEP 668 marker: pip installs system-wide
        assert out[5] == "no-setuptools"  # as in the official image from 3.12 on

    def test_pip_install_upgrade_pip_uninstalls_the_old_one(self) -> None:
        # Offline: the wheel bundled for ensurepip is the upgrade. Debian's own
        # pip failed here with uninstall-no-record-file.
        out = sh(
            self.image,
            f'wheels=$({BUNDLED_WHEELS}); ls "$wheels"/pip-*.whl >/dev/null; '
            "pip install --upgrade --force-reinstall --no-index --disable-pip-version-check "
            '--root-user-action=ignore --find-links "$wheels" pip; pip --version',
        )
        assert "Found existing installation: pip" in out
        assert re.search(r"Successfully uninstalled pip-[\d.]+", out), out
        assert re.search(r"Successfully installed pip-[\d.]+", out), out
        assert re.search(r"^pip [\d.]+ from /usr/local/lib/python3\.13/", out, re.M), out

    def test_venv_gets_its_own_pip_and_nothing_else(self) -> None:
        out = sh(
            self.image,
            "python -m venv /tmp/v; /tmp/v/bin/pip --version; "
            "/tmp/v/bin/pip list --format=freeze --disable-pip-version-check",
        ).splitlines()
        assert re.fullmatch(r"pip [\d.]+ from /tmp/v/lib/python3\.13/site-packages/pip .*", out[0])
        assert [line.split("==")[0] for line in out[1:]] == ["pip"]

    def test_foreign_dockerfile_upgrades_pip_and_installs_itself_editable(
        self, tmp_path: Path, unique: str, ca_bundle: Path
    ) -> None:
        """An unmodified `FROM python:3.13-slim` Dockerfile without a CA secret.

        `pip install -e .` needs its build backend (setuptools) from PyPI, and
        `pip install --upgrade pip` the newest pip, so this build needs the
        network, which here is behind a TLS-intercepting proxy. The Dockerfile's
        FROM therefore resolves to a test-only variant of the stand-in that trusts
        the host's CA bundle (a named build context, never tagged under the
        official name, never pushed): the stand-in itself trusts no extra CA,
        like the official image.
        """
        variant = f"dockwright-test/python-ca:{unique}"
        tag = f"dockwright-test/foreign-py:{unique}"
        ca_dir = tmp_path / "ca"
        ca_dir.mkdir()
        (ca_dir / "ca.pem").write_bytes(ca_bundle.read_bytes())
        (ca_dir / "Dockerfile").write_text(
            "FROM python:3.13-slim\n"
            "COPY ca.pem /etc/ssl/certs/dockwright-test-ca.pem\n"
            "ENV PIP_CERT=/etc/ssl/certs/dockwright-test-ca.pem \\\n"
            "    REQUESTS_CA_BUNDLE=/etc/ssl/certs/dockwright-test-ca.pem \\\n"
            "    SSL_CERT_FILE=/etc/ssl/certs/dockwright-test-ca.pem\n"
        )
        app = tmp_path / "app"
        (app / "tinypkg").mkdir(parents=True)
        (app / "tinypkg" / "__init__.py").write_text('VALUE = "editable"\n')
        (app / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=64"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "tinypkg"\nversion = "0.1.0"\n'
        )
        (app / "Dockerfile").write_text(
            "FROM python:3.13-slim\n"
            "WORKDIR /src\n"
            "COPY . .\n"
            "RUN pip install --upgrade pip\n"
            "RUN pip install -e .\n"
            'CMD ["sh", "-c", "pip --version && python -c '
            "'import tinypkg; print(tinypkg.__file__, tinypkg.VALUE)'\"]\n"
        )
        try:
            docker.buildx.build(ca_dir, tags=[variant], load=True, progress=False)
            docker.buildx.build(
                app,
                tags=[tag],
                load=True,
                progress=False,
                build_contexts={"python:3.13-slim": f"docker-image://{variant}"},
            )
            pip_line, import_line = str(docker.run(tag, remove=True)).splitlines()
            assert re.fullmatch(r"pip [\d.]+ from /usr/local/lib/python3\.13/.*", pip_line)
            # Editable: the module is imported from the source tree, not a copy.
            assert import_line == "/src/tinypkg/__init__.py editable"
        finally:
            remove_images(tag, variant)


@pytest.mark.engine
class TestNodeIdioms:
    """node:20-slim: npm, npx, corepack and yarn at the official image's versions."""

    image = "node:20-slim"

    def test_package_managers_print_the_pinned_versions(self) -> None:
        out = sh(
            self.image,
            "for c in npm npx corepack yarn yarnpkg; do "
            'echo "$c $(command -v $c) $($c --version)"; done; echo "YARN_VERSION $YARN_VERSION"',
        )
        found = {name: rest for name, _, rest in (line.partition(" ") for line in out.splitlines())}
        assert found == {
            "npm": f"/usr/local/bin/npm {STANDINS.NPM_VERSION}",
            "npx": f"/usr/local/bin/npx {STANDINS.NPM_VERSION}",
            "corepack": f"/usr/local/bin/corepack {STANDINS.COREPACK_VERSION}",
            "yarn": f"/usr/local/bin/yarn {STANDINS.YARN_VERSION}",
            "yarnpkg": f"/usr/local/bin/yarnpkg {STANDINS.YARN_VERSION}",
            "YARN_VERSION": STANDINS.YARN_VERSION,
        }
        assert STANDINS.YARN_VERSION.startswith("1.22.")  # yarn classic, as upstream
        assert STANDINS.COREPACK_VERSION.startswith("0.3")

    def test_yarn_and_npm_run_scripts_as_the_node_user(self) -> None:
        out = str(
            docker.run(
                self.image,
                [
                    "sh",
                    "-ec",
                    "cd /home/node && printf '%s' "
                    '\'{"name":"a","version":"1.0.0","scripts":{"hi":"echo hi-$npm_execpath"}}\''
                    " > package.json && yarn run --silent hi && npm run --silent hi",
                ],
                user="node",
                remove=True,
            )
        ).splitlines()
        assert out == [
            "hi-/usr/local/lib/node_modules/yarn/bin/yarn.js",
            "hi-/usr/local/lib/node_modules/npm/bin/npm-cli.js",
        ]


@pytest.mark.engine
class TestAliases:
    """More official tags resolve through the mirror to the stand-ins."""

    def test_every_default_alias_is_its_stand_in_in_the_mirror(self) -> None:
        assert STANDINS.ALIASES, "no default aliases"
        for alias, target in STANDINS.ALIASES.items():
            digest = STANDINS.mirror_config(target)
            assert digest is not None, f"{target} is not in the mirror"
            assert STANDINS.mirror_config(alias) == digest, alias

    @pytest.mark.parametrize(
        ("alias", "target"), [("python:3.13", "python:3.13-slim"), ("node:20", "node:20-slim")]
    )
    def test_docker_pull_of_an_alias_gives_the_stand_in(self, alias: str, target: str) -> None:
        docker.image.pull(alias, quiet=True)
        assert docker.image.inspect(alias).id == docker.image.inspect(target).id

    def test_foreign_dockerfile_from_node_20_builds(self, tmp_path: Path, unique: str) -> None:
        tag = f"dockwright-test/foreign-node:{unique}"
        (tmp_path / "Dockerfile").write_text(
            "FROM node:20\n"
            "RUN corepack --version > /versions && yarn --version >> /versions\n"
            'CMD ["cat", "/versions"]\n'
        )
        try:
            docker.buildx.build(tmp_path, tags=[tag], load=True, progress=False, pull=True)
            versions = str(docker.run(tag, remove=True)).split()
            assert versions == [STANDINS.COREPACK_VERSION, STANDINS.YARN_VERSION]
            labels = docker.image.inspect(tag).config.labels or {}
            assert labels.get("org.dockwright.fixture") == "true"  # the stand-in, via the mirror
        finally:
            remove_images(tag)


class TestAliasVariable:
    """DOCKWRIGHT_STANDIN_ALIASES adds aliases and rejects bad ones in one line."""

    def test_adds_to_the_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            STANDINS.ALIASES_ENV,
            "python:3.13-bookworm=python:3.13-slim,node:20-alpine=node:20-slim",
        )
        table = STANDINS.aliases()
        assert table["python:3.13-bookworm"] == "python:3.13-slim"
        assert table["node:20-alpine"] == "node:20-slim"
        assert table["python:3.13"] == "python:3.13-slim"  # the defaults stay

    @pytest.mark.parametrize(
        ("item", "problem"),
        [
            ("python:3.13", "want <name>:<tag>=<stand-in>"),
            ("python=python:3.13-slim", "want <name>:<tag>=<stand-in>"),
            ("python:3.12=python:3.12-slim", "want <name>:<tag>=<stand-in>"),
            ("library/python:3.13=python:3.13-slim", "want <name>:<tag>=<stand-in>"),
            ("node:20=python:3.13-slim", "node:20 and python:3.13-slim are different images"),
            ("node:20-slim=node:20-slim", "node:20-slim is a stand-in itself"),
        ],
    )
    def test_rejects_a_bad_item_in_one_line(
        self, monkeypatch: pytest.MonkeyPatch, item: str, problem: str
    ) -> None:
        monkeypatch.setenv(STANDINS.ALIASES_ENV, f"node:20=node:20-slim {item}")
        with pytest.raises(SystemExit) as exc:
            STANDINS.aliases()
        message = str(exc.value)
        assert "\n" not in message
        assert message.startswith(f"[standins] {STANDINS.ALIASES_ENV}: {item!r}: {problem}")

    def test_the_script_stops_before_building_anything(self) -> None:
        env = {"PATH": "/usr/bin:/bin", STANDINS.ALIASES_ENV: "node:20=postgres:17"}
        done = subprocess.run(
            [sys.executable, str(STANDINS_PY)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.strip().splitlines() == [
            f"[standins] {STANDINS.ALIASES_ENV}: 'node:20=postgres:17': "
            "node:20 and postgres:17 are different images"
        ]
