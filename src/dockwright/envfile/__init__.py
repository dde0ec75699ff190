"""Strict `.env` parsing as compose reads it, validation against `.env.example` rules,
and generation.

`.env.example` documents every variable. A ``# @rule`` comment above a variable
(other comment lines may sit between, a blank line may not) types it::

    # Signing key for sessions.
    # @rule required, secret, min=32, prefix=sk-
    SECRET_KEY=sk-change-me

Keys, comma-separated (so values cannot contain commas): ``required`` or
``optional`` (the default), ``secret``, ``type=`` one of ``str`` (default),
``int``, ``port``, ``url``, ``postgres-url``, ``semver``, ``enum(a|b|c)``;
``min=N``, ``max=N``, ``prefix=TEXT``, ``default=VALUE``. For ``int`` and
``port``, ``min``/``max`` bound the number (``port`` is 1-65535 anyway); for
every other type ``min`` is a minimum length and ``max`` is refused.
``postgres-url`` also accepts SQLAlchemy's ``postgresql+DRIVER://`` form.

Values are read the way Docker Compose (2.26) reads an env file, checked by hand
against ``docker compose config`` (the rules, mostly documented, are at
https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/):

* ``KEY=value`` and ``export KEY=value``; a UTF-8 BOM and CRLF line ends are fine.
  A bare ``KEY`` takes the variable from the environment.
* Unquoted: leading and trailing blanks dropped, no escapes; `` #`` (a *space*
  then ``#``; a tab does not count) starts a comment. ``KEY= #x`` is ``#x``.
* ``'single'``: literal, only ``\\'`` is unescaped; may span lines.
* ``"double"``: escapes ``\\n \\r \\t \\a \\b \\f \\v \\" \\\\ \\$`` (and octal
  ``\\0NNN``), others are kept as written; may span lines; interpolated.
* Unquoted and double-quoted values are interpolated: ``$VAR``, ``${VAR}``,
  ``${VAR:-default}`` / ``${VAR-default}`` (default when empty-or-unset / unset),
  ``${VAR:+alt}`` / ``${VAR+alt}``, ``${VAR:?error}`` / ``${VAR?error}`` (compose
  refuses the file), ``$$`` for a literal ``$``; a ``$`` before anything else is
  kept. VAR is looked up in the process environment first, then among the
  variables set above it in the same file (compose's order: an exported variable
  wins). An unset VAR gives an empty string and a warning.

Where compose silently does something surprising we report it instead: text
after a closing quote (compose reads it as the next line: ``A="a" B=2`` sets B),
a variable set twice (compose keeps the last value, and so does EnvFile). Names
must be ``[A-Za-z_][A-Za-z0-9_]*`` (compose also takes ``.`` and ``-``, which
compose files cannot reference).

Problems are reported all at once, as ``FILE:LINE VARIABLE: what is wrong``; a
multi-line value is reported at its first line. A missing required variable is
reported at its rule in `.env.example` (the .env has no line for it). Values of
secret variables, and any value that contains one, never appear in a message, nor
does a secret's length; URLs appear with their password masked; other values are
quoted.

The package: `_model` holds Problem, EnvVar, EnvFile, Rule and `mask`;
`_syntax` reads a file as compose does (parse_env_text); `_rules` reads the
``# @rule`` language and validates a file against it (parse_rules, validate);
`_generate` writes a fresh `.env` (generate_env, write_env_file).
"""

from dockwright.envfile._generate import generate_env, write_env_file
from dockwright.envfile._model import EnvFile, Problem, Rule
from dockwright.envfile._rules import parse_rules, validate
from dockwright.envfile._syntax import parse_env_text
from dockwright.masking import mask

__all__ = [
    "EnvFile",
    "Problem",
    "Rule",
    "generate_env",
    "mask",
    "parse_env_text",
    "parse_rules",
    "validate",
    "write_env_file",
]
