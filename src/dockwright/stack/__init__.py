"""A running compose stack: which env and image tag (`plan`), what the engine says about
its containers (`state`), health verdicts (`health`), status rows and tables (`view`).

Pure: the engine layer turns `docker inspect` output into `ContainerState` values, and
everything here decides on them without an engine, so it is unit-tested on saved JSON.
"""

from dockwright.stack.health import (
    NO_HEALTHCHECK_BUDGET,
    POLL_INTERVAL,
    Outcome,
    Verdict,
    budget_for,
    by_service,
    judge,
    watch,
)
from dockwright.stack.plan import (
    ENV_VARIABLE,
    LOG_TAIL,
    UpPlan,
    compose_argv,
    default_env,
    mask_config,
    other_env,
    prod_version,
    source_mounts,
    stale,
)
from dockwright.stack.state import (
    BUDGET_SLACK,
    ContainerState,
    Probe,
    Published,
    container_state,
    parse_timestamp,
)
from dockwright.stack.view import (
    Row,
    make_rows,
    published_url,
    status_table,
)

__all__ = [
    "BUDGET_SLACK",
    "ENV_VARIABLE",
    "LOG_TAIL",
    "NO_HEALTHCHECK_BUDGET",
    "POLL_INTERVAL",
    "ContainerState",
    "Outcome",
    "Probe",
    "Published",
    "Row",
    "UpPlan",
    "Verdict",
    "budget_for",
    "by_service",
    "compose_argv",
    "container_state",
    "default_env",
    "judge",
    "make_rows",
    "mask_config",
    "other_env",
    "parse_timestamp",
    "prod_version",
    "published_url",
    "source_mounts",
    "stale",
    "status_table",
    "watch",
]
