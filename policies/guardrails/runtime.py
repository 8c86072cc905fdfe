"""Runtime response guardrails: Falco Talon does not terminate pods of a production stack on its own authority.

Talon's rules travel in the falco-talon release's values (`config.rulesOverride`, the YAML text the chart mounts).
A rule that is not a dry run and reaches a `kubernetes:terminate` action (its own, or an action it names) deletes
pods as soon as Falco reports. In production that needs the catalog's consent: the program then writes
`TERMINATION_APPROVED` as the release's Helm description, where `helm history` shows it too.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from alerting_facts.names import TERMINATION_APPROVED
from pulumi_policy import Severity

from . import environment
from .framework import Reporter, resource_policy
from .values import plain, release

TALON_CHART = "falco-talon"
TERMINATE = "kubernetes:terminate"
CHART_TERMINATING_ACTIONS = frozenset({"Terminate Pod"})
"""Actions the falco-talon chart's own rules.yaml (mounted before `rulesOverride`) defines with `kubernetes:terminate`."""


def terminating_rules(rules_text: str) -> Iterator[str]:
    """The Talon rules that terminate pods for real: not dry runs, with a terminate action."""
    try:
        items = yaml.safe_load(rules_text) or []
    except yaml.YAMLError:
        return
    if not isinstance(items, list):
        return
    terminating_actions = set(CHART_TERMINATING_ACTIONS) | {
        i.get("action") for i in items if isinstance(i, dict) and "action" in i and i.get("actionner") == TERMINATE
    }
    for item in items:
        if not isinstance(item, dict) or "rule" not in item or str(item.get("dry_run", "")).lower() == "true":
            continue
        for action in item.get("actions") or []:
            if isinstance(action, dict) and (action.get("actionner") == TERMINATE or action.get("action") in terminating_actions):
                yield str(item["rule"])
                break


def check_termination(args, config: dict, report: Reporter) -> None:
    rel = release(args.resource_type, args.props, args.name)
    if rel is None or rel.chart_name != TALON_CHART or not environment.is_production(config):
        return
    text = ((rel.values.get("config") or {}).get("rulesOverride")) or ""
    description = str((plain(args.props) or {}).get("description") or "")
    if description == TERMINATION_APPROVED:
        return
    for rule in terminating_rules(str(text)):
        report(
            rel.subject,
            f"Talon rule {rule!r} terminates pods automatically in production stack {environment.environment()} "
            "without the catalog's consent",
            "values.config.rulesOverride",
            args.urn,
        )


NO_TERMINATION_IN_PRODUCTION = resource_policy(
    "runtime-response-no-termination-in-production",
    "In production, Falco Talon terminates no pod automatically unless the catalog opts in.",
    check_termination,
    severity=Severity.CRITICAL,
    schema={**environment.PRODUCTION_SCHEMA},
    remediation=(
        "Use isolate and capture in production, make the rule a dry run, or set the catalog's "
        "runtime_security.terminate_in_production (the program then records the consent on the release)."
    ),
)

POLICIES = [NO_TERMINATION_IN_PRODUCTION]
