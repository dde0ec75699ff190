"""`.env` files read as `docker compose` reads them (dockwright.envfile, issue 13).

Every expected value below was checked by hand against Docker Compose 2.26.1:
`docker compose --env-file F config --format json` (interpolation) and a service
with `env_file: F` (what the container gets), with exactly `environ` as the
process environment. Where compose refuses the file, the expected problem is an
error; where compose silently does something surprising, a problem says so.
"""

from __future__ import annotations

import re

import pytest

from dockwright.envfile import parse_env_text, parse_rules, validate

REFUSED = "; compose refuses the file without it"
INVALID = "has an invalid ${...}; compose refuses the file (write $$ for a literal $)"


def unset(name: str) -> str:
    return (
        f"refers to {name}, which is not set above it or in the environment; "
        "compose uses an empty string"
    )


# (text, environ, values compose hands over, problems as FILE:LINE VARIABLE: message)
CASES = [
    # -- assignments -------------------------------------------------------------------
    pytest.param("export A=1\nexport  B=two\n", {}, {"A": "1", "B": "two"}, [], id="export"),
    pytest.param("A = x y  z  \n", {}, {"A": "x y  z"}, [], id="unquoted-blanks-trimmed"),
    pytest.param(
        "A\nexport B\n", {"A": "a", "B": "b"}, {"A": "a", "B": "b"}, [], id="bare-name-inherits"
    ),
    pytest.param(
        "A\n",
        {},
        {},
        [".env:1: no `=`: compose takes this variable from the environment, where it is unset"],
        id="bare-name-unset",
    ),
    pytest.param("A=\nB=''\nC=\"\"\n", {}, {"A": "", "B": "", "C": ""}, [], id="empty-values"),
    # -- quotes and escapes --------------------------------------------------------------
    pytest.param(
        "A='${B} $B $$ \\n # x'\n",
        {"B": "b"},
        {"A": "${B} $B $$ \\n # x"},
        [],
        id="single-quotes-literal",
    ),
    pytest.param(
        "A='it\\'s a\\\\b'\n", {}, {"A": "it's a\\\\b"}, [], id="single-quotes-unescape-quote-only"
    ),
    pytest.param(
        'A="tab\\there\\nnew \\"q\\" back\\\\slash \\$HOME \\q \\\'"\n',
        {"HOME": "/root"},
        {"A": 'tab\there\nnew "q" back\\slash $HOME \\q \\\''},
        [],
        id="double-quote-escapes",
    ),
    pytest.param('A=a\\nb\\"c\n', {}, {"A": 'a\\nb\\"c'}, [], id="unquoted-no-escapes"),
    # -- interpolation -------------------------------------------------------------------
    pytest.param(
        'A=1\nB=${A}-$A\nC="$A$A"\n',
        {},
        {"A": "1", "B": "1-1", "C": "11"},
        [],
        id="earlier-variables",
    ),
    pytest.param(
        "URL=http://$HOST:${PORT}/\n",
        {"HOST": "h", "PORT": "80"},
        {"URL": "http://h:80/"},
        [],
        id="process-environment",
    ),
    pytest.param(
        "A=file\nB=$A\n",
        {"A": "env"},
        {"A": "file", "B": "env"},
        [],
        id="environment-wins-over-earlier-value",
    ),
    pytest.param(
        "A=1\nB=$A_B\n",
        {},
        {"A": "1", "B": ""},
        [f".env:2 B: {unset('A_B')}"],
        id="bare-reference-takes-the-longest-name",
    ),
    pytest.param(
        "E=\nB=${UNSET:-d1}|${UNSET-d2}|${E:-d3}|${E-d4}|${E:+a5}|${E+a6}|${UNSET+a7}\n",
        {},
        {"E": "", "B": "d1|d2|d3|||a6|"},
        [],
        id="defaults-and-alternatives",
    ),
    pytest.param(
        "A=${UNSET:-${ALSO_UNSET:-deep}}\nB=${UNSET:-{braces}}\nC=${UNSET:-a}b}\n",
        {},
        {"A": "deep", "B": "{braces}", "C": "ab}"},
        [],
        id="nested-defaults",
    ),
    pytest.param(
        'A=$$HOME and $$\nB="cost: $$5"\nC=5$\nD=$1\nE=${UNSET:-$$x}\n',
        {"HOME": "/root"},
        {"A": "$HOME and $", "B": "cost: $5", "C": "5$", "D": "$1", "E": "$x"},
        [],
        id="dollar-escapes",
    ),
    pytest.param(
        "B=${A}\nA=later\n",
        {},
        {"B": "", "A": "later"},
        [f".env:1 B: {unset('A')}"],
        id="forward-reference-is-empty",
    ),
    pytest.param(
        "A=x\nB=${A:?}${A?}\n", {}, {"A": "x", "B": "xx"}, [], id="required-reference-set"
    ),
    pytest.param(
        "B=${A:?set A first}\nC=ok\n",
        {},
        {"C": "ok"},
        [f".env:1 B: needs A to be set and not empty (${{A:?...}}){REFUSED}"],
        id="required-reference-unset",
    ),
    pytest.param(
        "A=\nB=${A:?}\nC=${A?}\n",
        {},
        {"A": "", "C": ""},
        [f".env:2 B: needs A to be set and not empty (${{A:?...}}){REFUSED}"],
        id="required-reference-empty",
    ),
    pytest.param(
        "A=${B:=x}\nC=${\nD=${1}\n",
        {},
        {},
        [f".env:1 A: {INVALID}", f".env:2 C: {INVALID}", f".env:3 D: {INVALID}"],
        id="invalid-references",
    ),
    # -- multi-line values ---------------------------------------------------------------
    pytest.param(
        'B=x\nA="one\ntwo $B\n  three"\nC=after\n',
        {},
        {"B": "x", "A": "one\ntwo x\n  three", "C": "after"},
        [],
        id="multi-line-double-quoted",
    ),
    pytest.param("A='one\n$two'\n", {}, {"A": "one\n$two"}, [], id="multi-line-single-quoted"),
    pytest.param(
        'KEY="-----BEGIN KEY-----\nabc=def\nnot a line\n-----END KEY-----"\nB=$NOPE\n',
        {},
        {"KEY": "-----BEGIN KEY-----\nabc=def\nnot a line\n-----END KEY-----", "B": ""},
        [f".env:5 B: {unset('NOPE')}"],
        id="continuation-lines-are-not-names",
    ),
    # -- BOM and CRLF --------------------------------------------------------------------
    pytest.param("\ufeffA=1\nB=2\n", {}, {"A": "1", "B": "2"}, [], id="bom"),
    pytest.param(
        "A=1\r\nB=\"x y\"\r\nC=$A # c\r\nexport D='d'\r\n",
        {},
        {"A": "1", "B": "x y", "C": "1", "D": "d"},
        [],
        id="crlf",
    ),
    pytest.param(
        '\ufeffA="x\r\ny"\r\nB=$NOPE\r\n',
        {},
        {"A": "x\r\ny", "B": ""},
        [f".env:3 B: {unset('NOPE')}"],
        id="bom-crlf-inside-multi-line-value",
    ),
    # -- comments ------------------------------------------------------------------------
    pytest.param(
        'A="a # b" # c\nB=\'#x\'#c\nC="a#b"\n',
        {},
        {"A": "a # b", "B": "#x", "C": "a#b"},
        [],
        id="hash-inside-quotes",
    ),
    pytest.param(
        "A=v # c\nB=v#c\nC=v\t#c\nD= #c\n",
        {},
        {"A": "v", "B": "v#c", "C": "v\t#c", "D": "#c"},
        [],
        id="space-hash-starts-a-comment-after-unquoted",
    ),
    # -- compose reads these, silently; we report them ---------------------------------
    pytest.param(
        "A=1\nA=2\nB=$A\n",
        {},
        {"A": "2", "B": "2"},
        [".env:2 A: set twice (first on line 1); compose uses this one, keep one"],
        id="set-twice-last-wins",
    ),
    pytest.param(
        'A="a" b\nB=1\n',
        {},
        {"B": "1"},  # compose: A=a, and `b` as a bare name (from the environment)
        [".env:1 A: has text after its closing quote; compose reads it as a line of its own"],
        id="text-after-closing-quote",
    ),
    pytest.param(
        'A="abc\nB=1\nC="x"\n',
        {},
        {},  # compose refuses the file: it reads `x"` as a line of its own
        [
            ".env:1 A: has text after its closing quote on line 3 (a quote missing on line 1?)"
            "; compose reads it as a line of its own"
        ],
        id="quote-closed-lines-later",
    ),
    pytest.param(
        "1X=3\nA.B=4\n",
        {},
        {},
        [
            ".env:1: '1X' is not a valid variable name",
            ".env:2: 'A.B' is not a valid variable name",
        ],
        id="names-compose-files-cannot-reference",
    ),
    # -- compose refuses these -----------------------------------------------------------
    pytest.param(
        'A="abc\nB=1\n',
        {},
        {"B": "1"},
        [".env:1 A: unterminated double quote"],
        id="unterminated-quote",
    ),
    pytest.param(
        "A B=1\nC # c\n",
        {},
        {},
        [".env:1: not a KEY=value line", ".env:2: not a KEY=value line"],
        id="not-assignments",
    ),
]


class TestReadAsCompose:
    """parse_env_text holds the values compose hands over, and reports where it refuses."""

    @pytest.mark.parametrize(("text", "environ", "values", "problems"), CASES)
    def test_values_and_problems(
        self, text: str, environ: dict[str, str], values: dict[str, str], problems: list[str]
    ) -> None:
        env = parse_env_text(text, ".env", environ=environ)
        assert (env.values(), [str(p) for p in env.problems]) == (values, problems)

    def test_only_unset_references_are_warnings(self) -> None:
        env = parse_env_text("A=$NOPE\nB=${C:?}\n", ".env", environ={})
        assert [p.level for p in env.problems] == ["warning", "error"]

    def test_a_multi_line_value_is_one_variable_at_its_first_line(self) -> None:
        env = parse_env_text('\n# c\nA="one\n\ntwo"\n\nB=1\n', ".env", environ={})
        assert [(v.name, v.line) for v in env.variables.values()] == [("A", 3), ("B", 7)]

    def test_process_environment_is_the_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DOCKWRIGHT_TEST_HOST", "db.internal")
        env = parse_env_text("URL=postgresql://$DOCKWRIGHT_TEST_HOST/app\n", ".env")
        assert env.values() == {"URL": "postgresql://db.internal/app"}


RANGES = """\
# @rule type=int, min=1, max=16
WORKERS=4
# @rule type=port, min=1024
PORT=8000
# @rule type=int, min=-10, max=10
OFFSET=0
# @rule secret, type=int, min=1000, max=9999
PIN=1234
# @rule type=str, min=3
NAME=abc
"""


class TestNumericBounds:
    """min=/max= bound the value of int and port variables; min= is a length for the rest."""

    @pytest.mark.parametrize(
        ("text", "environ", "problems"),
        [
            pytest.param(
                "WORKERS=1\nPORT=1024\nOFFSET=-10\nPIN=1000\nNAME=abc\n", {}, [], id="lower-bounds"
            ),
            pytest.param("WORKERS=16\nOFFSET=+10\nPIN=9999\n", {}, [], id="upper-bounds"),
            # Before issue 13, min=1024 was a length: "8000" was "4 characters".
            pytest.param("PORT=8000\n", {}, [], id="min-is-no-length-for-numbers"),
            pytest.param('WORKERS="8"\n', {}, [], id="quoted-number"),
            pytest.param(
                "WORKERS=0\n", {}, [".env:1 WORKERS: '0' is below the minimum of 1"], id="below"
            ),
            pytest.param(
                "WORKERS=17\n", {}, [".env:1 WORKERS: '17' is above the maximum of 16"], id="above"
            ),
            pytest.param(
                "OFFSET=-11\n",
                {},
                [".env:1 OFFSET: '-11' is below the minimum of -10"],
                id="negative-bound",
            ),
            pytest.param(
                "PORT=80\n", {}, [".env:1 PORT: '80' is below the minimum of 1024"], id="port-min"
            ),
            pytest.param(
                "PORT=70000\n",
                {},
                [".env:1 PORT: '70000' is not a port number (1-65535)"],
                id="port-range-first",
            ),
            pytest.param(
                "WORKERS=${N}\n",
                {"N": "20"},
                [".env:1 WORKERS: '20' is above the maximum of 16"],
                id="interpolated-value-is-checked",
            ),
            pytest.param(
                "PIN=12\n", {}, [".env:1 PIN: is below the minimum of 1000"], id="secret-not-shown"
            ),
            pytest.param(
                "WORKERS=\u0663\n",
                {},
                [".env:1 WORKERS: '\u0663' is not an integer"],
                id="only-ascii-digits",
            ),
            pytest.param(
                "NAME=ab\n", {}, [".env:1 NAME: is shorter than 3 characters"], id="str-min-length"
            ),
        ],
    )
    def test_bounds(self, text: str, environ: dict[str, str], problems: list[str]) -> None:
        rules = parse_rules(RANGES, ".env.example")
        found = validate(parse_env_text(text, ".env", environ=environ), rules)
        assert [str(p) for p in found] == problems


SECRETS_EXAMPLE = """\
# @rule secret, min=32
SECRET_KEY=x
# @rule secret, prefix=sk-, min=40
PAYMENT_API_KEY=sk-x
# @rule secret, type=port
PIN=1
# @rule type=enum(debug|info)
LOG_LEVEL=info
# @rule type=int
WORKERS=1
# @rule type=postgres-url
DATABASE_URL=postgresql://u:p@db/app
"""
# Lengths 23, 25, 7 and 17: none is a line number, a bound or part of "1-65535".
KEY = "Zq8vK3mXp2LrWn5tY7uB9cF"
PAYMENT = "pk_9fQ2mZ7xR1vT8kL3nB6cY"
PIN = "7351904"
EXPORTED = "Hv4sJd8wQe2RtY6uI"
SECRETS = (KEY, PAYMENT, PIN, EXPORTED)


def fragments(secret: str, size: int = 6) -> set[str]:
    """Every piece of `secret` long enough to mean something (the whole of a short one)."""
    size = min(size, len(secret))
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


class TestSecretsNeverShown:
    """No message shows a secret, a piece of one, or its length, however the file is broken."""

    @pytest.mark.parametrize(
        ("text", "count"),
        [
            pytest.param(
                f"SECRET_KEY={KEY}\nPAYMENT_API_KEY={PAYMENT}\n", 3, id="short-and-prefix"
            ),
            pytest.param(f'SECRET_KEY="{KEY[:8]}\n{KEY[8:]}\n', 2, id="unterminated-then-a-piece"),
            pytest.param(f'SECRET_KEY="{KEY[:8]}\n{KEY[8:]}"\n', 1, id="multi-line-too-short"),
            pytest.param(f'SECRET_KEY="{KEY}" {KEY}\n', 1, id="text-after-quote"),
            pytest.param(f"SECRET_KEY={KEY}\nSECRET_KEY={KEY}x\n", 2, id="set-twice"),
            pytest.param(f"PIN={PIN}\n", 1, id="secret-of-wrong-type"),
            pytest.param(f"SECRET_KEY=${{NOPE:?{KEY}}}\n", 1, id="required-reference-message"),
            pytest.param(
                f"SECRET_KEY={KEY}\nPIN={PIN}\nLOG_LEVEL=${{SECRET_KEY}}\nWORKERS=x${{PIN}}\n"
                "DATABASE_URL=mysql://u:${SECRET_KEY}@db/app\n",
                5,
                id="interpolated-into-other-variables",
            ),
            pytest.param(
                "SECRET_KEY=$FROM_ENV\nLOG_LEVEL=$FROM_ENV\n", 2, id="from-the-environment"
            ),
        ],
    )
    def test_messages(self, text: str, count: int) -> None:
        rules = parse_rules(SECRETS_EXAMPLE, ".env.example")
        env = parse_env_text(text, ".env", environ={"FROM_ENV": EXPORTED})
        messages = [str(p) for p in validate(env, rules) if p.level == "error"]
        assert len(messages) == count, messages
        for message in messages:
            for secret in SECRETS:
                assert not any(piece in message for piece in fragments(secret)), message
                assert not re.search(rf"(?<!\d){len(secret)}(?!\d)", message), message
