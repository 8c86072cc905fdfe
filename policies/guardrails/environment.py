"""What a policy knows about the stack it runs against: its environment and whether it pages.

The Pulumi CLI hands a policy pack the stack's name and configuration (`pulumi.get_stack()`, `pulumi.Config`),
so these come from the same `Pulumi.<stack>.yaml` the program reads: `alerting-platform:environment`,
`alerting-platform:production` and `alerting-platform:paging`. Without them (a stack of another project) the stack name stands in.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pulumi
from alerting_facts.names import PROJECT
PRODUCTION_ENVIRONMENTS = ["prod", "production"]


def environment() -> str:
    """The stack's `environment` setting, else the stack's name."""
    configured = pulumi.Config(PROJECT).get("environment")
    return configured or pulumi.get_stack()


def is_production(config: dict) -> bool:
    """Whether the stack is production: its `production` setting says so (as it does to the program), or its
    environment matches the policy's `productionEnvironments` (names or glob patterns)."""
    if pulumi.Config(PROJECT).get_bool("production"):
        return True
    name = environment()
    return any(fnmatchcase(name, pattern) for pattern in config.get("productionEnvironments", PRODUCTION_ENVIRONMENTS))


def pages() -> bool:
    """Whether the stack pages people at all (`paging: false` sends P0 and P1 to chat instead)."""
    configured = pulumi.Config(PROJECT).get_bool("paging")
    return True if configured is None else configured


PRODUCTION_SCHEMA = {
    "productionEnvironments": {
        "type": "array",
        "items": {"type": "string"},
        "default": PRODUCTION_ENVIRONMENTS,
        "description": "environments (the stack's `environment` setting, else its name; glob patterns) this policy treats as production, besides every stack whose `production` setting is true",
    }
}
