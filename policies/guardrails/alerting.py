"""Alerting hygiene: alerts carry an owner, a severity and a runbook; routing wastes no receiver and drops no alert;
P0 pages a human.

Alert rules are read wherever the stack declares them: VMRule and PrometheusRule objects, and the alerts Sloth
(PrometheusServiceLevel) and Pyrra (ServiceLevelObjective) generate from SLO objects. Alertmanager configs are
read from the Alertmanager charts' values and from VMAlertmanager objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pulumi_policy import EnforcementLevel, Severity

from . import environment, routing
from .framework import Reporter, resource_policy, stack_policy
from .values import dig, kube_object, plain, release

RULE_KINDS = {("operator.victoriametrics.com", "VMRule"), ("monitoring.coreos.com", "PrometheusRule")}
# Where each chart takes the Alertmanager configuration.
CONFIG_VALUES = {
    "alertmanager": ("config",),
    "kube-prometheus-stack": ("alertmanager", "config"),
    "victoria-metrics-k8s-stack": ("alertmanager", "config"),
}


@dataclass(frozen=True)
class AlertmanagerConfig:
    """An Alertmanager configuration, its routes read once; `unreadable` says why they could not be."""

    subject: str
    where: str
    config: dict
    urn: str | None = None
    nodes: tuple[routing.Node, ...] = ()
    unreadable: str | None = None


def _read(subject: str, where: str, config: dict | None, urn: str | None) -> AlertmanagerConfig | None:
    if config is None:
        return None
    try:
        return AlertmanagerConfig(subject, where, config, urn, tuple(routing.nodes(config)))
    except routing.MatcherError as exc:
        return AlertmanagerConfig(subject, where, config, urn, unreadable=str(exc))


def alertmanager_config(resource_type: str, props: object, name: str, urn: str | None = None) -> AlertmanagerConfig | None:
    """The Alertmanager configuration a resource carries, if it carries one."""
    rel = release(resource_type, props, name)
    if rel is not None and rel.chart_name in CONFIG_VALUES:
        at = CONFIG_VALUES[rel.chart_name]
        return _read(rel.subject, "values." + ".".join(at), routing.as_config(dig(rel.values, at)), urn)
    obj = kube_object(resource_type, props, name)
    if obj is not None and obj.kind == "VMAlertmanager":
        return _read(obj.subject, "spec.configRawYaml", routing.as_config(obj.spec.get("configRawYaml")), urn)
    return None


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule as the stack declares it (for SLO objects: the alerts their generator will write)."""

    subject: str
    where: str
    name: str
    labels: dict
    annotations: dict


def alert_rules(resource_type: str, props: object, name: str) -> Iterator[AlertRule]:
    """Every alert rule a resource declares or makes a generator write."""
    obj = kube_object(resource_type, props, name)
    if obj is None:
        return
    if (obj.group, obj.kind) in RULE_KINDS:
        for g, group in enumerate(obj.spec.get("groups") or []):
            for r, rule in enumerate((group or {}).get("rules") or []):
                if isinstance(rule, dict) and rule.get("alert"):
                    yield AlertRule(
                        obj.subject, f"spec.groups[{g}].rules[{r}]", str(rule["alert"]),
                        rule.get("labels") or {}, rule.get("annotations") or {},
                    )
    elif (obj.group, obj.kind) == ("sloth.slok.dev", "PrometheusServiceLevel"):
        for s, slo in enumerate(obj.spec.get("slos") or []):
            alerting = (slo or {}).get("alerting") or {}
            # The SLO's own labels reach its alerts through the recorded series the alert expressions select.
            inherited = {**(obj.spec.get("labels") or {}), **(slo.get("labels") or {})}
            for kind in ("pageAlert", "ticketAlert"):
                alert = alerting.get(kind) or {}
                if alert.get("disable") is True:
                    continue
                yield AlertRule(
                    obj.subject, f"spec.slos[{s}].alerting.{kind}", str(alerting.get("name") or slo.get("name")),
                    {**inherited, **(alerting.get("labels") or {}), **(alert.get("labels") or {})},
                    {**(alerting.get("annotations") or {}), **(alert.get("annotations") or {})},
                )
    elif (obj.group, obj.kind) == ("pyrra.dev", "ServiceLevelObjective"):
        alerting = obj.spec.get("alerting") or {}
        if alerting.get("burnrates") is False or alerting.get("disabled") is True:
            return
        prefix = "pyrra.dev/"
        labels = {k[len(prefix):]: v for k, v in obj.labels.items() if k.startswith(prefix)}
        annotations = {k[len(prefix):]: v for k, v in (obj.metadata.get("annotations") or {}).items() if k.startswith(prefix)}
        # Pyrra labels its burn-rate alerts critical (fast) and warning (slow) itself.
        labels.setdefault("severity", "critical")
        yield AlertRule(obj.subject, "metadata (pyrra.dev/ labels and annotations)",
                        str(alerting.get("name") or "ErrorBudgetBurn"), labels, annotations)


# --- Every alert rule carries team, severity and runbook -------------------------------------------------------

_URL = re.compile(r"^https?://[^\s/]+\S*$")


def check_rule_labels(args, config: dict, report: Reporter) -> None:
    severities = config["severities"]
    for rule in alert_rules(args.resource_type, args.props, args.name):
        problems = [f"no `{label}` label" for label in config["requiredLabels"] if not rule.labels.get(label)]
        severity = rule.labels.get("severity")
        if severity and "{{" not in str(severity) and severity not in severities:
            problems.append(f"severity {severity!r} is not one of {', '.join(severities)}")
        for annotation in config["requiredAnnotations"]:
            value = rule.annotations.get(annotation)
            if not value:
                problems.append(f"no `{annotation}` annotation")
            elif annotation.endswith("_url") and "{{" not in str(value) and not _URL.match(str(value)):
                problems.append(f"`{annotation}` is not an http(s) URL")
        if problems:
            report(rule.subject, f"alert {rule.name}: {'; '.join(problems)}", rule.where, args.urn)


ALERT_RULE_LABELS = resource_policy(
    "alert-rules-labelled",
    "Every alert names its owning team, a known severity and a runbook, so it can be routed and acted on.",
    check_rule_labels,
    severity=Severity.HIGH,
    schema={
        "requiredLabels": {"type": "array", "items": {"type": "string"}, "default": ["team", "severity"]},
        "requiredAnnotations": {"type": "array", "items": {"type": "string"}, "default": ["runbook_url"]},
        "severities": {"type": "array", "items": {"type": "string"}, "default": ["critical", "warning", "info"]},
    },
    remediation="Give the service a `runbook_url` in the catalog and build alerts with render.rules.health.alert(); for Sloth "
    "and Pyrra SLOs set the labels and annotations on the SLO object.",
)

# --- Receivers and routes ------------------------------------------------------------------------------------


def check_receivers_used(args, config: dict, report: Reporter) -> None:
    found = alertmanager_config(args.resource_type, args.props, args.name)
    if found is None or found.unreadable:
        return
    used = {node.route.get("receiver") for node in found.nodes}
    for name in routing.receivers(found.config):
        if name not in used and not any(fnmatchcase(name, p) for p in config["ignoredReceivers"]):
            report(found.subject, f"receiver {name} is defined but no route sends to it", found.where, args.urn)


RECEIVERS_USED = resource_policy(
    "alertmanager-receivers-used",
    "Every Alertmanager receiver is used by a route (an unused one is a channel nobody watches, or a route lost).",
    check_receivers_used,
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    schema={"ignoredReceivers": {"type": "array", "items": {"type": "string"}, "default": []}},
    remediation="Route to the receiver or delete it.",
)


def check_routes_have_receivers(args, config: dict, report: Reporter) -> None:
    found = alertmanager_config(args.resource_type, args.props, args.name)
    if found is None:
        return
    if found.unreadable:
        report(found.subject, f"its routes cannot be read as Alertmanager reads them: {found.unreadable}", found.where, args.urn)
        return
    defined = routing.receivers(found.config)
    allowed_empty = config["allowedEmptyReceivers"]
    for node in found.nodes:
        where = f"{found.where} {node.path} {routing.describe(node.matchers)}"
        own = node.route.get("receiver")
        if not own:
            report(found.subject, "names no receiver (it would silently use its parent's); name one", where, args.urn)
            continue
        if own not in defined:
            report(found.subject, f"sends to receiver {own}, which is not defined", where, args.urn)
        elif not routing.integrations(defined[own]) and not any(fnmatchcase(own, p) for p in allowed_empty):
            report(found.subject, f"sends to receiver {own}, which has no integrations: its alerts are dropped", where, args.urn)


ROUTES_HAVE_RECEIVERS = resource_policy(
    "alertmanager-routes-have-receivers",
    "Every Alertmanager route names a defined receiver that notifies someone.",
    check_routes_have_receivers,
    severity=Severity.HIGH,
    schema={
        "allowedEmptyReceivers": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["null", "blackhole"],
            "description": "receivers allowed to have no integrations (deliberate black holes), by name or glob",
        }
    },
    remediation="Set `receiver` on the route to a receiver with at least one integration.",
)

# --- P0 pages ------------------------------------------------------------------------------------------------

PAGING_SCHEMA = {
    "priorityLabel": {"type": "string", "default": "priority"},
    "pagingPriorities": {"type": "array", "items": {"type": "string"}, "default": ["P0"]},
    "pagingIntegrations": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["pagerduty_configs", "opsgenie_configs", "victorops_configs", "incidentio_configs"],
        "description": "receiver integrations that page a person",
    },
    "pagingWebhooks": {
        "type": "array",
        "items": {"type": "string"},
        "default": [r"/integrations/v1/alertmanager/", r"(^|[/_-])oncall([/_.-]|$)"],
        "description": "regexes a webhook's `url` or `url_file` matches when it pages (Grafana OnCall integrations)",
    },
    "pagingReceivers": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "receiver names (globs) that page whatever their integrations look like",
    },
}


def pages(receiver_name: str, receivers: dict[str, dict], config: dict) -> bool:
    """Whether a receiver pages a person."""
    if any(fnmatchcase(receiver_name, p) for p in config["pagingReceivers"]):
        return True
    receiver = receivers.get(receiver_name) or {}
    if any(receiver.get(kind) for kind in config["pagingIntegrations"]):
        return True
    for hook in receiver.get("webhook_configs") or []:
        target = f"{(hook or {}).get('url', '')} {(hook or {}).get('url_file', '')}"
        if any(re.search(p, target) for p in config["pagingWebhooks"]):
            return True
    return False


def _paging_applies(args, config: dict) -> None:
    if not environment.pages():
        args.not_applicable(f"stack {environment.environment()} pages nobody (`paging: false`)")


def check_p0_routes_page(args, config: dict, report: Reporter) -> None:
    found = alertmanager_config(args.resource_type, args.props, args.name)
    if found is None or found.unreadable:
        return
    _paging_applies(args, config)
    label, priorities = config["priorityLabel"], config["pagingPriorities"]
    receivers = routing.receivers(found.config)
    for node in found.nodes:
        # A route inside a P0 route is a P0 route too: judge every one an alert of that priority can end at.
        selects = [m for m in node.ancestors + node.matchers if m.name == label]
        if not selects or any(m.matches({}) for m in selects):
            continue
        for priority in priorities:
            if not all(m.matches({label: priority}) for m in selects):
                continue
            labels = routing.probe(list(node.ancestors + node.matchers), {label: priority})
            where = f"{found.where} {node.path} {routing.describe(node.matchers)}"
            if labels is None:
                report(found.subject, f"selects {priority} alerts with matchers the pack cannot build an alert for", where, args.urn)
                continue
            reached = routing.route(found.config, labels)
            if not any(pages(name, receivers, config) for name in reached):
                report(
                    found.subject,
                    f"selects {priority} alerts, but a {priority} alert {routing.describe([routing.Matcher(k, '=', v) for k, v in sorted(labels.items())])} "
                    f"reaches only {', '.join(reached)}, none of which pages; route it to a paging receiver",
                    where,
                    args.urn,
                )


P0_ROUTES_PAGE = resource_policy(
    "alertmanager-p0-routes-page",
    "Where paging is on, every route that selects P0 alerts delivers them to a receiver that pages a person.",
    check_p0_routes_page,
    severity=Severity.CRITICAL,
    schema=PAGING_SCHEMA,
    remediation="Give the team `pagerduty` or `oncall` in the catalog, so its P0 route gets a paging receiver.",
)


def check_p0_alerts_page(args, config: dict, report: Reporter) -> None:
    _paging_applies(args, config)
    label, priorities = config["priorityLabel"], set(config["pagingPriorities"])
    configs = [c for c in (alertmanager_config(r.resource_type, r.props, r.name, r.urn) for r in args.resources)
               if c and not c.unreadable]
    if not configs:
        return
    unpaged: dict[tuple[int, str, tuple[str, ...]], list[str]] = {}
    for res in args.resources:
        for rule in alert_rules(res.resource_type, res.props, res.name):
            if rule.labels.get(label) not in priorities:
                continue
            static = {k: str(v) for k, v in plain(rule.labels).items() if "{{" not in str(v)}
            for index, found in enumerate(configs):
                reached = tuple(routing.route(found.config, static))
                receivers = routing.receivers(found.config)
                if not any(pages(name, receivers, config) for name in reached):
                    key = (index, str(static.get("team", "(no team)")), reached)
                    unpaged.setdefault(key, []).append(f"{rule.name}{{service={static.get('service', '')!r}}}")
    for (index, team, reached), rules in sorted(unpaged.items()):
        found = configs[index]
        shown = ", ".join(sorted(set(rules))[:5]) + (" and more" if len(set(rules)) > 5 else "")
        report(
            found.subject,
            f"{len(rules)} {'/'.join(sorted(priorities))} alert rules of team {team} ({shown}) reach only "
            f"{', '.join(reached)}, none of which pages",
            found.where,
            found.urn,
        )


P0_ALERTS_PAGE = stack_policy(
    "alertmanager-p0-alerts-page",
    "Where paging is on, every P0 alert rule in the stack is routed to a receiver that pages a person.",
    check_p0_alerts_page,
    level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    schema=PAGING_SCHEMA,
    remediation="Route P0 alerts of the team to its PagerDuty or OnCall receiver.",
)

POLICIES = [ALERT_RULE_LABELS, RECEIVERS_USED, ROUTES_HAVE_RECEIVERS, P0_ROUTES_PAGE, P0_ALERTS_PAGE]
