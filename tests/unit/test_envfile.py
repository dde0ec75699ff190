"""Unit tests for dockwright.envfile: parsing, rules, validation, generation, writing."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from dockwright.envfile import (
    EnvFile,
    Problem,
    Rule,
    generate_env,
    mask,
    parse_env_text,
    parse_rules,
    validate,
    write_env_file,
)
from dockwright.errors import ConfigError, EnvFileError

EXAMPLE = """\
# Settings of the reference stack. `invoke env.init` writes a .env from this file.

# --- backend ---
# Port the API listens on inside the container.
# @rule required, type=port, default=8000
API_PORT=8000

# @rule required, secret, min=32
# Signs session cookies; rotating it logs everyone out.
SECRET_KEY=change-me

# @rule required, secret, prefix=sk-, min=40
PAYMENT_API_KEY=sk-change-me

# --- database ---
# @rule required, secret, min=16
POSTGRES_PASSWORD=change-me
# @rule required, type=postgres-url
DATABASE_URL=postgresql://todo:change-me@db:5432/todo

# @rule optional, type=url
SENTRY_DSN=https://public@sentry.example.com/1
# @rule type=enum(debug|info|warning|error), default=info
LOG_LEVEL=info
# @rule type=semver
APP_VERSION=0.1.0
# @rule type=int, default=4
WORKERS=4
COMPOSE_PROJECT_NAME=todo
"""
# Line numbers of the variables in EXAMPLE, counted by hand.
EXAMPLE_LINES = {
    "API_PORT": 6,
    "SECRET_KEY": 10,
    "PAYMENT_API_KEY": 13,
    "POSTGRES_PASSWORD": 17,
    "DATABASE_URL": 19,
    "SENTRY_DSN": 22,
    "LOG_LEVEL": 24,
    "APP_VERSION": 26,
    "WORKERS": 28,
    "COMPOSE_PROJECT_NAME": 29,
}

SESSION_KEY = "kq3W9zT1-vB7nY4mR8pL2xC6jH0sD5fG"  # 32 characters
PAYMENT_KEY = "sk-live-4f9Q2mZ7xR1vT8kL3nB6cY0wJ5hD2gS9"  # 40 characters
DB_PASSWORD = "correct-horse-battery-staple"
SHORT_KEY = "tooshort-secret"  # 15 characters
WRONG_PREFIX_KEY = "pk-live-4f9Q2mZ7xR1vT8kL3nB6cY0wJ5hD2gS9"
SECRET_VALUES = (SESSION_KEY, PAYMENT_KEY, DB_PASSWORD, SHORT_KEY, WRONG_PREFIX_KEY, "hunter2")

# One variable per line, so the line number of NAME is its index + 1.
GOOD = {
    "API_PORT": "8000",
    "SECRET_KEY": SESSION_KEY,
    "PAYMENT_API_KEY": PAYMENT_KEY,
    "POSTGRES_PASSWORD": DB_PASSWORD,
    "DATABASE_URL": f"postgresql://todo:{DB_PASSWORD}@db:5432/todo",
    "SENTRY_DSN": "https://public@sentry.example.com/1",
    "LOG_LEVEL": "info",
    "APP_VERSION": "0.1.0",
    "WORKERS": "4",
    "COMPOSE_PROJECT_NAME": "todo",
}


def env_text(lines: dict[str, str | None] | None = None, extra: tuple[str, ...] = ()) -> str:
    """GOOD as a .env, with some lines replaced (None: commented out) and lines appended."""
    replaced = lines or {}
    out = []
    for name, value in GOOD.items():
        if name not in replaced:
            out.append(f"{name}={value}")
        elif replaced[name] is None:
            out.append(f"# {name} removed")
        else:
            out.append(str(replaced[name]))
    return "\n".join([*out, *extra]) + "\n"


def check(text: str) -> list[Problem]:
    return validate(parse_env_text(text, ".env"), parse_rules(EXAMPLE, ".env.example"))


class TestParseEnvText:
    """The parser reads dotenv syntax line by line and keeps line numbers."""

    @pytest.mark.parametrize(
        ("line", "value"),
        [
            pytest.param("KEY=value", "value", id="plain"),
            pytest.param("export KEY=value", "value", id="export"),
            pytest.param("KEY = value", "value", id="spaces-around-equals"),
            pytest.param("KEY=", "", id="empty"),
            pytest.param("KEY=  spaced value  ", "spaced value", id="stripped"),
            pytest.param("KEY=value # comment", "value", id="inline-comment"),
            pytest.param("KEY=value#not-a-comment", "value#not-a-comment", id="hash-without-space"),
            # compose-go drops the blanks after `=` first, so no " #" is left to cut at.
            pytest.param("KEY= # not a comment", "# not a comment", id="space-hash-after-equals"),
            pytest.param("KEY=a=b=c", "a=b=c", id="equals-in-value"),
            pytest.param("KEY='a # b'", "a # b", id="single-quoted-hash"),
            pytest.param(r"KEY='C:\temp\new'", r"C:\temp\new", id="single-quotes-literal"),
            pytest.param("KEY='$HOME'", "$HOME", id="single-quotes-dollar"),
            pytest.param('KEY="a # b" # comment', "a # b", id="double-quoted-then-comment"),
            pytest.param(r'KEY="line\nnext"', "line\nnext", id="newline-escape"),
            pytest.param(r'KEY="say \"hi\""', 'say "hi"', id="escaped-quote"),
            pytest.param(r'KEY="back\\slash"', "back\\slash", id="escaped-backslash"),
            pytest.param(r'KEY="a\qb"', r"a\qb", id="unknown-escape-kept"),
            pytest.param('KEY=""', "", id="empty-double-quotes"),
            pytest.param("  KEY=indented", "indented", id="indented"),
        ],
    )
    def test_values(self, line: str, value: str) -> None:
        env = parse_env_text(line + "\n", ".env", environ={})
        assert env.problems == ()
        assert env.values() == {"KEY": value}

    def test_line_numbers_skip_comments_and_blanks(self) -> None:
        env = parse_env_text("# header\n\nA=1\n   # indented comment\nB=2\n", ".env")
        assert [(v.name, v.line) for v in env.variables.values()] == [("A", 3), ("B", 5)]
        assert env.filename == ".env"

    def test_empty_file(self) -> None:
        assert parse_env_text("", ".env") == EnvFile(filename=".env")


class TestValidate:
    """validate reports every problem at once, as FILE:LINE VARIABLE: message."""

    def test_good_file_has_no_problems(self) -> None:
        assert check(env_text()) == []

    def test_postgres_url_with_sqlalchemy_driver(self) -> None:
        url = f"postgresql+psycopg://todo:{DB_PASSWORD}@db/todo"
        assert check(env_text({"DATABASE_URL": f"DATABASE_URL={url}"})) == []

    def test_optional_variable_may_be_absent_or_empty(self) -> None:
        assert check(env_text({"SENTRY_DSN": None, "APP_VERSION": "APP_VERSION="})) == []

    @pytest.mark.parametrize(
        ("lines", "extra", "expected"),
        [
            pytest.param(
                {"SECRET_KEY": None},
                (),
                [".env.example:10 SECRET_KEY: required but missing from .env"],
                id="missing-required",
            ),
            pytest.param(
                {"SECRET_KEY": "SECRET_KEY="},
                (),
                [".env:2 SECRET_KEY: required but empty"],
                id="required-but-empty",
            ),
            pytest.param(
                {"SECRET_KEY": f"SECRET_KEY={SHORT_KEY}"},
                (),
                [".env:2 SECRET_KEY: is shorter than 32 characters"],
                id="short-secret",
            ),
            pytest.param(
                {"API_PORT": "API_PORT=80a"},
                (),
                [".env:1 API_PORT: '80a' is not a port number (1-65535)"],
                id="port-not-a-number",
            ),
            pytest.param(
                {"API_PORT": "API_PORT=70000"},
                (),
                [".env:1 API_PORT: '70000' is not a port number (1-65535)"],
                id="port-too-high",
            ),
            pytest.param(
                {"API_PORT": "API_PORT=0"},
                (),
                [".env:1 API_PORT: '0' is not a port number (1-65535)"],
                id="port-zero",
            ),
            pytest.param(
                {"WORKERS": "WORKERS=four"},
                (),
                [".env:9 WORKERS: 'four' is not an integer"],
                id="bad-int",
            ),
            pytest.param(
                {"SENTRY_DSN": "SENTRY_DSN=sentry.example.com/1"},
                (),
                [
                    ".env:6 SENTRY_DSN: 'sentry.example.com/1' is not a URL: has no scheme://host "
                    "(expected e.g. https://host/path)"
                ],
                id="url-without-scheme",
            ),
            pytest.param(
                {"SENTRY_DSN": "SENTRY_DSN=https://sentry.example.com:99999/1"},
                (),
                [
                    ".env:6 SENTRY_DSN: 'https://sentry.example.com:99999/1' is not a URL: "
                    "has a malformed host or port (expected e.g. https://host/path)"
                ],
                id="url-bad-port",
            ),
            pytest.param(
                {"DATABASE_URL": "DATABASE_URL=mysql://todo:hunter2@db/todo"},
                (),
                [
                    ".env:5 DATABASE_URL: 'mysql://todo:********@db/todo' is not a Postgres URL: "
                    "does not start with postgresql:// "
                    "(expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
                ],
                id="postgres-wrong-scheme-password-masked",
            ),
            pytest.param(
                {"DATABASE_URL": "DATABASE_URL=postgresql://todo:hunter2@db:5432"},
                (),
                [
                    ".env:5 DATABASE_URL: 'postgresql://todo:********@db:5432' is not a Postgres "
                    "URL: has no database name "
                    "(expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
                ],
                id="postgres-no-database",
            ),
            pytest.param(
                {"DATABASE_URL": "DATABASE_URL=postgres:///todo"},
                (),
                [
                    ".env:5 DATABASE_URL: 'postgres:///todo' is not a Postgres URL: has no host "
                    "(expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
                ],
                id="postgres-no-host",
            ),
            pytest.param(
                {"APP_VERSION": "APP_VERSION=1.2"},
                (),
                [
                    ".env:8 APP_VERSION: '1.2' is not a semantic version "
                    "(expected MAJOR.MINOR.PATCH, e.g. 1.4.2)"
                ],
                id="bad-semver",
            ),
            pytest.param(
                {"LOG_LEVEL": "LOG_LEVEL=verbose"},
                (),
                [".env:7 LOG_LEVEL: 'verbose' is not one of: debug, info, warning, error"],
                id="enum",
            ),
            pytest.param(
                {"PAYMENT_API_KEY": f"PAYMENT_API_KEY={WRONG_PREFIX_KEY}"},
                (),
                [".env:3 PAYMENT_API_KEY: must start with 'sk-'"],
                id="prefix-missing",
            ),
            pytest.param(
                {"SECRET_KEY": f"SECRET_KEY {SESSION_KEY}"},
                (),
                [
                    ".env:2: not a KEY=value line",
                    ".env.example:10 SECRET_KEY: required but missing from .env",
                ],
                id="malformed-line",
            ),
            pytest.param(
                {"SECRET_KEY": f'SECRET_KEY="{SESSION_KEY}'},
                (),
                [
                    ".env:2 SECRET_KEY: unterminated double quote",
                    ".env.example:10 SECRET_KEY: required but missing from .env",
                ],
                id="unterminated-double-quote",
            ),
            pytest.param(
                {"POSTGRES_PASSWORD": f"POSTGRES_PASSWORD='{DB_PASSWORD}"},
                (),
                [
                    ".env:4 POSTGRES_PASSWORD: unterminated single quote",
                    ".env.example:17 POSTGRES_PASSWORD: required but missing from .env",
                ],
                id="unterminated-single-quote",
            ),
            pytest.param(
                {"LOG_LEVEL": 'LOG_LEVEL="info" debug'},
                (),
                [
                    ".env:7 LOG_LEVEL: has text after its closing quote; "
                    "compose reads it as a line of its own"
                ],
                id="text-after-quote",
            ),
            pytest.param(
                {},
                ("LOG_LEVEL=debug",),
                [".env:11 LOG_LEVEL: set twice (first on line 7); compose uses this one, keep one"],
                id="duplicate-key",
            ),
            pytest.param(
                {},
                ("1WORKERS=4",),
                [".env:11: '1WORKERS' is not a valid variable name"],
                id="invalid-name",
            ),
            pytest.param(
                {},
                ("SECRET_KY=oops",),
                [
                    ".env:11 SECRET_KY: not documented in .env.example (a typo, or add it there)",
                ],
                id="unknown-variable-warning",
            ),
            pytest.param(
                {
                    "API_PORT": "API_PORT=http",
                    "SECRET_KEY": f"SECRET_KEY={SHORT_KEY}",
                    "PAYMENT_API_KEY": None,
                    "LOG_LEVEL": "LOG_LEVEL=loud",
                },
                ("EXTRA=1",),
                [
                    ".env:1 API_PORT: 'http' is not a port number (1-65535)",
                    ".env:2 SECRET_KEY: is shorter than 32 characters",
                    ".env:7 LOG_LEVEL: 'loud' is not one of: debug, info, warning, error",
                    ".env:11 EXTRA: not documented in .env.example (a typo, or add it there)",
                    ".env.example:13 PAYMENT_API_KEY: required but missing from .env",
                ],
                id="everything-at-once",
            ),
        ],
    )
    def test_bad_files(
        self, lines: dict[str, str | None], extra: tuple[str, ...], expected: list[str]
    ) -> None:
        problems = check(env_text(lines, extra))
        assert [str(p) for p in problems] == expected
        for problem in problems:
            assert not any(secret in str(problem) for secret in SECRET_VALUES), str(problem)

    def test_unknown_variable_is_a_warning_the_rest_errors(self) -> None:
        problems = check(env_text({"API_PORT": "API_PORT=x"}, ("EXTRA=1",)))
        assert [p.level for p in problems] == ["error", "warning"]

    def test_secret_of_wrong_type_is_not_shown(self) -> None:
        rules = parse_rules("# @rule secret, type=port\nPIN=1\n", "ex")
        problems = validate(parse_env_text("PIN=hunter2\n", "e"), rules, example_filename="ex")
        assert [str(p) for p in problems] == ["e:1 PIN: is not a port number (1-65535)"]

    def test_problem_str(self) -> None:
        assert str(Problem(file="f", line=3, variable="V", message="m")) == "f:3 V: m"
        assert str(Problem(file="f", line=3, variable="", message="m")) == "f:3: m"


class TestParseRules:
    """.env.example rules: a # @rule line above each variable, comments may sit between."""

    def test_rules(self) -> None:
        rules = parse_rules(EXAMPLE, ".env.example")
        assert {name: rule.line for name, rule in rules.items()} == EXAMPLE_LINES
        assert rules["SECRET_KEY"] == Rule(
            name="SECRET_KEY",
            line=10,
            example="change-me",
            required=True,
            secret=True,
            minimum=32,
            preamble=(
                "",
                "# @rule required, secret, min=32",
                "# Signs session cookies; rotating it logs everyone out.",
            ),
            source="SECRET_KEY=change-me",
        )
        assert rules["PAYMENT_API_KEY"].prefix == "sk-"
        assert rules["LOG_LEVEL"].kind == "enum"
        assert rules["LOG_LEVEL"].choices == ("debug", "info", "warning", "error")
        assert rules["LOG_LEVEL"].default == "info"
        assert rules["API_PORT"].kind == "port"
        assert rules["SENTRY_DSN"].required is False
        assert rules["COMPOSE_PROJECT_NAME"] == Rule(
            name="COMPOSE_PROJECT_NAME", line=29, example="todo", source="COMPOSE_PROJECT_NAME=todo"
        )

    def test_bom_and_crlf(self) -> None:
        rules = parse_rules("\ufeff# @rule required\r\nA=1\r\n\r\nB=2\r\n", "ex")
        assert rules["A"] == Rule(
            name="A",
            line=2,
            example="1",
            required=True,
            preamble=("# @rule required",),
            source="A=1",
        )
        assert (rules["B"].line, rules["B"].preamble) == (4, ("",))

    def test_multi_line_example_is_one_variable(self) -> None:
        rules = parse_rules('# @rule secret\nCERT="one\n# two"\n# @rule required\nB=1\n', "ex")
        assert {name: rule.line for name, rule in rules.items()} == {"CERT": 2, "B": 5}
        assert rules["CERT"].example == "one\n# two"
        assert rules["CERT"].source == 'CERT="one\n# two"'
        assert rules["B"].preamble == ("# @rule required",)

    def test_examples_ignore_the_process_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DOCKWRIGHT_TEST_NAME", "from-env")
        rules = parse_rules("A=x\nB=${DOCKWRIGHT_TEST_NAME:-$A}\n", "ex")
        assert rules["B"].example == "x"

    def test_numeric_bounds(self) -> None:
        rules = parse_rules("# @rule type=int, min=-5, max=+5\nN=0\n", "ex")
        assert (rules["N"].minimum, rules["N"].maximum) == (-5, 5)

    @pytest.mark.parametrize(
        ("example", "message"),
        [
            pytest.param(
                "# @rule type=float\nX=1\n",
                "ex:1: unknown @rule item 'type=float' (use required, optional, secret, "
                "type=str|int|port|url|postgres-url|semver|enum(a|b), min=N, max=N, prefix=, "
                "default=)",
                id="unknown-type",
            ),
            pytest.param(
                "# @rule min=abc\nX=1\n",
                "ex:1: unknown @rule item 'min=abc' (use required, optional, secret, "
                "type=str|int|port|url|postgres-url|semver|enum(a|b), min=N, max=N, prefix=, "
                "default=)",
                id="min-not-a-number",
            ),
            pytest.param(
                "# @rule required, optional\nX=1\n",
                "ex:1: @rule says required/optional twice",
                id="required-and-optional",
            ),
            pytest.param(
                "# @rule type=enum()\nX=1\n",
                "ex:1: enum() needs at least one choice",
                id="empty-enum",
            ),
            pytest.param(
                "# @rule required\n\nX=1\n",
                "ex:1: @rule is not directly above a variable",
                id="blank-line-between",
            ),
            pytest.param(
                "X=1\n# @rule required\n",
                "ex:2: @rule is not directly above a variable",
                id="rule-at-end",
            ),
            pytest.param(
                "# @rule required\n# @rule secret\nX=1\n",
                "ex:2: second @rule for one variable",
                id="two-rules",
            ),
            pytest.param(
                "# @rule type=port, default=http\nPORT=8000\n",
                "ex:2 PORT: default 'http' is not a port number (1-65535)",
                id="default-breaks-type",
            ),
            pytest.param("X=1\nY Z\n", "ex:2: not a KEY=value line", id="malformed-example"),
            pytest.param(
                "X=1\nY\n",
                "ex:2: no `=`: compose takes this variable from the environment, where it is unset",
                id="bare-name-in-example",
            ),
            pytest.param(
                "# @rule max=5\nX=1\n", "ex:1: max= is for type=int or type=port", id="max-on-str"
            ),
            pytest.param(
                "# @rule type=int, min=5, max=1\nX=3\n",
                "ex:1: min= is greater than max=",
                id="min-above-max",
            ),
            pytest.param(
                "# @rule min=-1\nX=1\n",
                "ex:1: min= is a length for type=str; it cannot be negative",
                id="negative-length",
            ),
            pytest.param(
                "# @rule type=port, max=9000, default=9001\nX=1\n",
                "ex:2 X: default '9001' is above the maximum of 9000",
                id="default-out-of-range",
            ),
            pytest.param(
                "X=${Y:=1}\n",
                "ex:1 X: has an invalid ${...}; compose refuses the file "
                "(write $$ for a literal $)",
                id="invalid-reference",
            ),
        ],
    )
    def test_refused(self, example: str, message: str) -> None:
        with pytest.raises(ConfigError) as info:
            parse_rules(example, "ex")
        assert str(info.value) == message


class TestGenerateEnv:
    """generate_env keeps the comments, fills secrets, and passes its own validation."""

    def test_round_trips_through_validate(self) -> None:
        rules = parse_rules(EXAMPLE, ".env.example")
        text = generate_env(rules)
        env = parse_env_text(text, ".env")
        assert validate(env, rules) == []
        assert len(env.values()["SECRET_KEY"]) >= 32
        assert env.values()["PAYMENT_API_KEY"].startswith("sk-")
        assert len(env.values()["PAYMENT_API_KEY"]) >= 40

    def test_secrets_differ_between_runs(self) -> None:
        rules = parse_rules(EXAMPLE, ".env.example")
        first = parse_env_text(generate_env(rules), ".env").values()
        second = parse_env_text(generate_env(rules), ".env").values()
        assert first["SECRET_KEY"] != second["SECRET_KEY"]
        assert first["SECRET_KEY"] != first["POSTGRES_PASSWORD"]

    def test_exact_text_with_deterministic_secrets(self) -> None:
        rules = parse_rules(EXAMPLE, ".env.example")
        text = generate_env(rules, secret_factory=lambda n: "A" * n)
        expected = (
            EXAMPLE.replace("SECRET_KEY=change-me", "SECRET_KEY=" + "A" * 32)
            .replace("PAYMENT_API_KEY=sk-change-me", "PAYMENT_API_KEY=sk-" + "A" * 40)
            .replace("POSTGRES_PASSWORD=change-me", "POSTGRES_PASSWORD=" + "A" * 32)
        )
        assert text == expected

    def test_short_factory_output_is_extended(self) -> None:
        rules = parse_rules("# @rule secret, min=50, prefix=sk-\nKEY=x\n", "ex")
        text = generate_env(rules, secret_factory=lambda n: "ab")
        assert text == "# @rule secret, min=50, prefix=sk-\nKEY=sk-" + "ab" * 24 + "\n"

    @pytest.mark.parametrize(
        ("secret", "line"),
        [
            pytest.param("a b$c#d", "KEY='a b$c#d'", id="single-quoted"),
            pytest.param('it\'s "x"\\y' * 4, None, id="double-quoted-escapes"),
            pytest.param("line one\nline two\r", None, id="newline-escaped"),
            pytest.param("it's $HOME", None, id="dollar-in-double-quotes-escaped"),
            pytest.param("ends in a backslash\\", None, id="backslash-before-closing-quote"),
        ],
    )
    def test_odd_secret_characters_are_quoted(self, secret: str, line: str | None) -> None:
        rules = parse_rules("# @rule secret\nKEY=x\n", "ex")
        text = generate_env(rules, secret_factory=lambda n: secret * 8)
        if line is not None:
            assert text.splitlines()[1] == line.replace("a b$c#d", "a b$c#d" * 8)
        assert parse_env_text(text, ".env").values() == {"KEY": secret * 8}

    def test_example_assignment_is_copied_so_references_stay_live(self) -> None:
        example = (
            "# @rule required, secret\n"
            "POSTGRES_PASSWORD=change-me\n"
            "# @rule required, type=postgres-url\n"
            'DATABASE_URL="postgresql://todo:${POSTGRES_PASSWORD}@db/todo"  # same password\n'
            "# @rule optional\n"
            "CERT='-----BEGIN-----\n"
            "abc\n"
            "-----END-----'\n"
        )
        rules = parse_rules(example, ".env.example")
        text = generate_env(rules, secret_factory=lambda n: "A" * n)
        assert text == example.replace("=change-me", "=" + "A" * 32)
        env = parse_env_text(text, ".env", environ={})
        assert validate(env, rules) == []
        assert env.values()["DATABASE_URL"] == "postgresql://todo:" + "A" * 32 + "@db/todo"

    def test_names_that_say_secret_are_generated_without_a_rule(self) -> None:
        """An adopter's plain .env.example: `POSTGRES_PASSWORD=` gets a new random value
        (compose's `${POSTGRES_PASSWORD:?}` would refuse an empty one); other names
        keep their example, and a @rule still decides for the variable it is above."""
        example = (
            "POSTGRES_PASSWORD=\nSECRET_KEY=changeme\nAPI_PORT=8000\nLOG_LEVEL=\n"
            "# @rule optional\nPUBLIC_API_KEY=pk_live_shown\n"
        )
        rules = parse_rules(example, ".env.example")
        assert {n for n, r in rules.items() if r.secret} == {"POSTGRES_PASSWORD", "SECRET_KEY"}
        values = parse_env_text(generate_env(rules, secret_factory=lambda n: "Z" * n), ".env")
        assert values.values() == {
            "POSTGRES_PASSWORD": "Z" * 32,
            "SECRET_KEY": "Z" * 32,
            "API_PORT": "8000",
            "LOG_LEVEL": "",
            "PUBLIC_API_KEY": "pk_live_shown",
        }

    def test_required_without_default_keeps_example(self) -> None:
        rules = parse_rules(EXAMPLE, ".env.example")
        values = parse_env_text(generate_env(rules), ".env").values()
        assert values["DATABASE_URL"] == "postgresql://todo:change-me@db:5432/todo"
        assert values["API_PORT"] == "8000"


class TestWriteEnvFile:
    """write_env_file writes 0600, refuses to overwrite, and keeps a backup with force."""

    NOW = dt.datetime(2025, 1, 2, 3, 4, 5)

    def test_new_file_is_private(self, tmp_path: Path) -> None:
        path = tmp_path / ".env"
        assert write_env_file(path, "A=1\n", force=False) is None
        assert path.read_text() == "A=1\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_existing_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / ".env"
        path.write_text("OLD=1\n")
        with pytest.raises(EnvFileError) as info:
            write_env_file(path, "A=1\n", force=False)
        assert str(info.value) == (
            f"{path} already exists; pass --force to replace it (the old file is kept as a backup)"
        )
        assert path.read_text() == "OLD=1\n"

    def test_force_keeps_a_private_backup(self, tmp_path: Path) -> None:
        path = tmp_path / ".env"
        path.write_text("OLD=1\n")
        path.chmod(0o644)
        backup = write_env_file(path, "A=1\n", force=True, now=lambda: self.NOW)
        assert backup == tmp_path / ".env.bak-20250102-030405"
        assert backup.read_text() == "OLD=1\n"
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert path.read_text() == "A=1\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_backups_in_the_same_second_do_not_collide(self, tmp_path: Path) -> None:
        path = tmp_path / ".env"
        path.write_text("ONE=1\n")
        first = write_env_file(path, "TWO=2\n", force=True, now=lambda: self.NOW)
        second = write_env_file(path, "THREE=3\n", force=True, now=lambda: self.NOW)
        assert first is not None and second is not None
        assert second.name == ".env.bak-20250102-030405-1"
        assert (first.read_text(), second.read_text()) == ("ONE=1\n", "TWO=2\n")


def test_mask_hides_value_and_length() -> None:
    assert mask("hunter2") == mask("a much longer secret value") == "********"
    assert mask("") == ""
