"""Prometheus alert rules as data, each with the label and annotation set routing and enrichment rely on."""

from __future__ import annotations

from model.base import Duration
from model.catalog import Organisation, Service, Severity, Team
from model.priority import classify

RULE_API_VERSION = "v1"


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
) -> dict:
    """One alerting rule carrying `team`, `service`, `severity`, `priority`, summary, description, runbook and dashboard."""
    rule: dict = {"alert": name, "expr": expr}
    if for_ is not None and for_.milliseconds:
        rule["for"] = str(for_)
    rule["labels"] = {
        "team": team.name,
        "service": service.name,
        "severity": severity.value,
        "priority": classify(severity, service.tier, service.impact, org.major_impact_users).value,
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
                    severity=Severity.critical,
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
                    severity=Severity.warning,
                    summary=f"{service.name}: a quarter or more of its targets are down",
                    description=f"{{{{ $value | humanizePercentage }}}} of the scrape targets of {service.name} are up.",
                )
            )
        if rules:
            files[f"{team.name}-service-health.yaml"] = {"groups": [{"name": f"{team.name}-service-health", "rules": rules}]}
    return files
