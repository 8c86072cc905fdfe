"""Prometheus alert rules as data, each with the label and annotation set routing and enrichment rely on."""

from __future__ import annotations

from model.base import Duration
from model.catalog import Organisation, Priority, Service, Severity, Team, Tier
from model.priority import classify
from render.alertmanager.inhibition import SCOPE_LABEL, SYMPTOM_LABEL

RULE_API_VERSION = "v1"
FLAP_HOLD = Duration.of(minutes=5)
"""How long the availability alerts keep firing after their condition clears (`keep_firing_for`): a target that
comes back for a few minutes and falls over again is one alert, not a resolve and a new page. SLO and budget alerts
judge windows long enough not to flap; any alert that does is reported by render.rules.flapping."""


def service_selector(service: Service, extra: str = "") -> str:
    """The series of a service: VMAgent's scrape config labels every target with `namespace` and `service`."""
    return f'{{namespace="{service.namespace}", service="{service.name}"{", " + extra if extra else ""}}}'


def alert(
    org: Organisation,
    team: Team,
    service: Service,
    *,
    name: str,
    expr: str,
    severity: Severity,
    summary: str,
    description: str,
    for_: Duration | None = None,
    labels: dict[str, str] | None = None,
    symptom: bool = True,
    hold: Duration | None = None,
) -> dict:
    """One alerting rule carrying `team`, `service`, `namespace`, `severity`, `priority`, summary, description,
    runbook and dashboard.

    `symptom=False` marks an alert about the service itself being broken (its pods are down) rather than a symptom
    a failing dependency could explain: inhibition by dependencies leaves it alone (see render.alertmanager.inhibition).
    """
    rule: dict = {"alert": name, "expr": expr}
    if for_ is not None and for_.milliseconds:
        rule["for"] = str(for_)
    if hold is not None:
        rule["keep_firing_for"] = str(hold)
    rule["labels"] = {
        "team": team.name,
        "service": service.name,
        "namespace": service.namespace,
        "severity": severity.value,
        "priority": classify(severity, service.tier, service.impact, org.major_impact_users).value,
        **({SYMPTOM_LABEL: "false"} if not symptom else {}),
        **(labels or {}),
    }
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": service.runbook_url,
        "dashboard_url": service.dashboard_url,
    }
    return rule


def service_health_rules(org: Organisation) -> dict[str, dict]:
    """Per team, a rule file with the availability alerts every service gets whether or not it has SLOs."""
    files = {}
    for team in org.teams:
        rules = []
        for service in team.services:
            sel = service_selector(service)
            rules.append(
                alert(
                    org, team, service,
                    name="ServiceDown",
                    expr=f"sum(up{sel}) == 0",
                    for_=Duration.of(minutes=5),
                    hold=FLAP_HOLD,
                    severity=Severity.critical,
                    symptom=False,
                    summary=f"{service.name}: no scrape target is up",
                    description=f"Every scrape target of {service.name} in namespace {service.namespace} "
                    "has been down for 5 minutes.",
                )
            )
            rules.append(
                alert(
                    org, team, service,
                    name="ServiceTargetsDegraded",
                    expr=f"avg(up{sel}) < 0.75 and sum(up{sel}) > 0",
                    for_=Duration.of(minutes=15),
                    hold=FLAP_HOLD,
                    severity=Severity.warning,
                    symptom=False,
                    summary=f"{service.name}: a quarter or more of its targets are down",
                    description=f"{{{{ $value | humanizePercentage }}}} of the scrape targets of {service.name} are up.",
                )
            )
        if rules:
            files[f"{team.name}-service-health.yaml"] = {"groups": [{"name": f"{team.name}-service-health", "rules": rules}]}
    return files


_TIER_ORDER = {Tier.critical: 0, Tier.high: 1, Tier.medium: 2, Tier.low: 3}


def _most_critical(services: list[Service]) -> Service:
    return min(
        services, key=lambda s: (_TIER_ORDER[s.tier], not s.impact.revenue_affecting, -s.impact.affected_users, s.name)
    )


def _outage_rule(
    name: str,
    expr: str,
    team: Team,
    priority: Priority,
    labels: dict[str, str],
    links: tuple[str, str],
    summary: str,
    description: str,
) -> dict:
    runbook, dashboard = links
    return {
        "alert": name,
        "expr": expr,
        "for": "5m",
        "keep_firing_for": str(FLAP_HOLD),
        "labels": {"team": team.name, **labels, "severity": Severity.critical.value, "priority": priority.value},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": runbook,
            "dashboard_url": dashboard,
        },
    }


def outage_rules(org: Organisation) -> dict[str, dict]:
    """Alerts for a whole namespace or cluster going down; while they fire they silence the per-service alerts
    inside (render.alertmanager.inhibition), so an outage pages once, as urgently as the most urgent service it takes down."""
    services = [s for _, s in org.services()]
    if not services:
        return {}
    platform = org.team(org.platform_team)
    rules = []
    by_namespace: dict[str, list[Service]] = {}
    for service in services:
        by_namespace.setdefault(service.namespace, []).append(service)
    for namespace, members in sorted(by_namespace.items()):
        if len(members) < 2:
            continue  # ServiceDown already says it; a second alert would add nothing
        owners = {org.owner(s.name).name for s in members}
        owner = org.team(owners.pop()) if len(owners) == 1 else platform
        priority = min(classify(Severity.critical, s.tier, s.impact, org.major_impact_users) for s in members)
        lead = _most_critical(members)
        names = ", ".join(sorted(s.name for s in members))
        rules.append(
            _outage_rule(
                "NamespaceOutage",
                f'sum(up{{namespace="{namespace}"}}) == 0',
                owner,
                priority,
                {"namespace": namespace, SCOPE_LABEL: "namespace"},
                (lead.runbook_url, lead.dashboard_url),
                f"namespace {namespace}: every scrape target is down",
                f"No scrape target in namespace {namespace} has been up for 5 minutes; it runs {names}.",
            )
        )
    lead = _most_critical([s for s in services if org.owner(s.name).name == platform.name] or services)
    rules.append(
        _outage_rule(
            "ClusterOutage",
            "avg(up) < 0.5",
            platform,
            Priority.P0,
            {SCOPE_LABEL: "cluster"},
            (org.runbook_url or lead.runbook_url, org.dashboard_url or lead.dashboard_url),
            "more than half of all scrape targets are down",
            "{{ $value | humanizePercentage }} of all scrape targets are up; per-service alerts are silenced "
            "while this fires.",
        )
    )
    return {f"{platform.name}-outages.yaml": {"groups": [{"name": "outages", "rules": rules}]}}
