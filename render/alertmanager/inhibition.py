"""Inhibition: while a cause is firing, the alerts it explains stay quiet (they are still visible in Karma).

The labels this relies on:
- `severity`: a critical alert silences the warning and info alerts of the same alertname and service.
- `symptom="false"`: the alert is about the service itself being broken (its pods are down), not a symptom that a
  failing dependency could explain. Every other alert of a service is a symptom.
- `scope="cluster"` / `scope="namespace"`: an outage of a whole cluster or namespace (render.rules.health.outage_rules).
- `alertname="ChaosExperimentRunning"`: a chaos experiment is injecting a fault into the service (render.resources.chaos).
"""

from __future__ import annotations

from model.catalog import Organisation

SYMPTOM_LABEL = "symptom"
CHAOS_RUNNING = "ChaosExperimentRunning"
SCOPE_LABEL = "scope"


def dependents(org: Organisation) -> dict[str, list[str]]:
    """For every service, the services that depend on it directly or through others, sorted."""
    direct: dict[str, set[str]] = {}
    for _, service in org.services():
        for dependency in service.depends_on:
            direct.setdefault(dependency, set()).add(service.name)
    closure: dict[str, list[str]] = {}
    for name in sorted(direct):
        seen: set[str] = set()
        todo = list(direct[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(direct.get(current, ()))
        closure[name] = sorted(seen)
    return closure


def _alternatives(names: list[str]) -> str:
    # Catalog names are lower-case letters, digits and dashes: nothing a regex would read as an operator.
    return "|".join(names)


def severity_rules() -> list[dict]:
    """The same problem at a higher severity makes the lower ones noise."""
    return [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"warning|info"'],
            "equal": ["alertname", "service", "cluster"],
        },
        {
            "source_matchers": ['severity="warning"'],
            "target_matchers": ['severity="info"'],
            "equal": ["alertname", "service", "cluster"],
        },
    ]


def dependency_rules(org: Organisation) -> list[dict]:
    """A critical alert of a service silences the symptom alerts of everything that depends on it."""
    return [
        {
            "source_matchers": [f'service="{name}"', 'severity="critical"'],
            "target_matchers": [f'service=~"{_alternatives(names)}"', f'{SYMPTOM_LABEL}!="false"'],
            "equal": ["cluster"],
        }
        for name, names in dependents(org).items()
    ]


def outage_rules() -> list[dict]:
    """An outage of a whole cluster or namespace silences the alerts of every service inside it."""
    return [
        {
            "source_matchers": [f'{SCOPE_LABEL}="cluster"'],
            "target_matchers": ['service=~".+"'],
            "equal": ["cluster"],
        },
        {
            "source_matchers": [f'{SCOPE_LABEL}="cluster"'],
            "target_matchers": [f'{SCOPE_LABEL}="namespace"'],
            "equal": ["cluster"],
        },
        {
            "source_matchers": [f'{SCOPE_LABEL}="namespace"'],
            "target_matchers": ['service=~".+"'],
            "equal": ["cluster", "namespace"],
        },
    ]


def chaos_rules() -> list[dict]:
    """While a chaos experiment injects a fault into a service, the warnings it provokes are expected."""
    return [
        {
            "source_matchers": [f'alertname="{CHAOS_RUNNING}"'],
            "target_matchers": ['severity=~"warning|info"', 'alertname!~"ChaosExperiment.*"'],
            "equal": ["service", "cluster"],
        }
    ]


def render(org: Organisation) -> list[dict]:
    return severity_rules() + outage_rules() + chaos_rules() + dependency_rules(org)
