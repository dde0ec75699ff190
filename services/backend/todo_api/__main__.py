"""Entry point: ``python -m todo_api [--reload]``.

Settings are validated before uvicorn starts, so a bad one ends the process
with a single line on stderr and exit status 78 (EX_CONFIG), not a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

EX_CONFIG = 78  # sysexits.h: configuration error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todo_api", description=__doc__)
    parser.add_argument("--reload", action="store_true", help="restart when a source file changes")
    args = parser.parse_args(argv)

    from .settings import ConfigError, load_settings

    try:
        settings = load_settings(os.environ)
    except ConfigError as exc:
        print(f"todo-api: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG

    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(name)s: %(message)s")
    options: dict[str, object] = {
        "host": "0.0.0.0",  # inside a container; compose publishes on 127.0.0.1 only
        "port": settings.port,
        "log_level": "debug" if settings.environment == "development" else "info",
        "server_header": False,
    }
    if args.reload:
        # The reloader imports the app in a child process by name; polling
        # (uvicorn's StatReload, no extra dependency) also sees bind-mount edits.
        uvicorn.run(
            "todo_api.main:create_app",
            factory=True,
            reload=True,
            reload_dirs=[str(Path(__file__).resolve().parent)],
            **options,  # type: ignore[arg-type]
        )
    else:
        from .main import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
