"""`python -m tests.smoke [--env prod|dev]`: the end-to-end smoke."""

import sys

from tests.smoke.runner import main

sys.exit(main())
