"""Container health probe: ``python -m todo_api.healthcheck``.

Used by the image's HEALTHCHECK (the runtime image has no curl). Exit 0 when
GET /health answers 200, 1 otherwise, as Docker expects.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            print(response.read(300).decode(errors="replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {url} answered {exc.code}")
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
