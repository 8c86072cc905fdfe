"""The Alertmanager configuration: the platform's routing policy, rendered from the catalog and the stack settings.

The tree, top to bottom:

    root (catch-all: alerts whose team is missing or unknown)
    └── team="<team>"                        one per team; mutes the team's own maintenance windows
        ├── service="<service>"               only for services with maintenance windows of their own
        │   └── (the priority routes below, for this service, with its windows muted too)
        ├── source="falco", threat=~"..."     security team, and teams with runtime profiles: threat class -> priority
        ├── priority="P0" .. priority="P3"    -> <team>-p0 .. <team>-p3; P2 only in the team's business hours
        └── priority=""                       alerts without a priority are classified here from their severity
                                              and the catalog entry of their service (model.priority)

No route uses `continue`: every alert reaches exactly one receiver, which bundles the integrations its priority
deserves (render.alertmanager.receivers). Timing per priority is in TIMING.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from model.catalog import Impact, Organisation, Priority, Service, Severity, Team, Tier
from model.priority import classify
from model.settings import Settings
from render.alertmanager import inhibition, notification_templates, receivers, time_intervals
from render.systems import falco
from render.alertmanager.receivers import CATCH_ALL, receiver_name
from render.systems.topology import alertmanager_secret_path

GROUP_BY = ["alertname", "team", "service", "cluster", "priority"]


@dataclass(frozen=True)
class Timing:
    """How long to gather a new group, how often to send its changes, how often to remind while it fires."""

    group_wait: str
    group_interval: str
    repeat_interval: str

    def fields(self) -> dict[str, str]:
        return {
            "group_wait": self.group_wait,
            "group_interval": self.group_interval,
            "repeat_interval": self.repeat_interval,
        }


TIMING = {
    Priority.P0: Timing("10s", "1m", "15m"),  # page at once, remind often
    Priority.P1: Timing("30s", "5m", "1h"),
    Priority.P2: Timing("1m", "10m", "4h"),
    Priority.P3: Timing("5m", "30m", "24h"),  # tickets: one per group, refreshed daily
}
CATCH_ALL_TIMING = Timing("30s", "5m", "4h")

UNKNOWN_SERVICE_TIER = Tier.high
"""An alert without a priority from a service the catalog does not know is treated like a high-tier service."""
UNKNOWN_SEVERITY = Severity.warning
"""An alert without a priority and without a known severity is treated as a warning."""


def _unknown_service_priority(severity: Severity, org: Organisation) -> Priority:
    return classify(severity, UNKNOWN_SERVICE_TIER, Impact(), org.major_impact_users)


def _route(team: Team, priority: Priority, matchers: list[str], mutes: list[str]) -> dict:
    route: dict = {"matchers": matchers, "receiver": receiver_name(team.name, priority), **TIMING[priority].fields()}
    if priority == Priority.P2:
        # Held (not dropped) outside business hours: the group is sent at its first flush once they begin.
        route["active_time_intervals"] = [time_intervals.business_hours_name(team.name)]
    if mutes:
        route["mute_time_intervals"] = list(mutes)
    return route


def classification_routes(org: Organisation, team: Team, services: list[Service], mutes: list[str]) -> list[dict]:
    """Routes for alerts without a `priority` label: severity x the catalog entry of their service."""
    routes = []
    for severity in (Severity.critical, Severity.warning, Severity.info):
        default = _unknown_service_priority(severity, org)
        by_priority: dict[Priority, list[str]] = {}
        for service in services:
            priority = classify(severity, service.tier, service.impact, org.major_impact_users)
            if priority != default:
                by_priority.setdefault(priority, []).append(service.name)
        for priority in sorted(by_priority):
            names = "|".join(sorted(by_priority[priority]))
            matchers = ['priority=""', f'severity="{severity.value}"', f'service=~"{names}"']
            routes.append(_route(team, priority, matchers, mutes))
        routes.append(_route(team, default, ['priority=""', f'severity="{severity.value}"'], mutes))
    routes.append(_route(team, _unknown_service_priority(UNKNOWN_SEVERITY, org), ['priority=""'], mutes))
    return routes


def priority_routes(org: Organisation, team: Team, services: list[Service], mutes: list[str]) -> list[dict]:
    """One route per priority label, then the classification of alerts that carry none."""
    labelled = [_route(team, priority, [f'priority="{priority.value}"'], mutes) for priority in Priority]
    return labelled + classification_routes(org, team, services, mutes)


def falco_routes(team: Team, mutes: list[str]) -> list[dict]:
    """Falco events carry Falco's own priority in the `priority` label; their threat class decides ours."""
    source = f'source="{falco.SOURCE}"'
    routes = [
        _route(team, priority, [source, f'threat=~"{falco.threat_pattern(priority)}"'], mutes)
        for priority in sorted(set(falco.THREAT_PRIORITY.values()))
    ]
    return routes + [_route(team, falco.UNCLASSIFIED_PRIORITY, [source], mutes)]


def receives_falco_events(org: Organisation, team: Team) -> bool:
    """The security team gets every Falco event; a team gets those of the catalog rules of its services."""
    return team.name == org.security_team or any(s.runtime is not None for s in team.services)


def team_route(org: Organisation, team: Team) -> dict:
    """Everything labelled with the team's name; services with their own maintenance windows get a subtree."""
    team_mutes = [time_intervals.maintenance_name(team.name, w.name) for w in team.maintenance if not w.services]
    children = []
    for service in team.services:
        own = [
            time_intervals.maintenance_name(team.name, w.name) for w in team.maintenance if service.name in w.services
        ]
        if own:
            mutes = team_mutes + own
            children.append(
                {
                    "matchers": [f'service="{service.name}"'],
                    "receiver": receiver_name(team.name, Priority.P2),
                    "mute_time_intervals": mutes,
                    "routes": priority_routes(org, team, [service], mutes),
                }
            )
    if receives_falco_events(org, team):
        children.extend(falco_routes(team, team_mutes))
    children.extend(priority_routes(org, team, team.services, team_mutes))
    # The team node itself only takes alerts whose priority label is none of P0..P3: straight to the team channel.
    route: dict = {"matchers": [f'team="{team.name}"'], "receiver": receiver_name(team.name, Priority.P2)}
    if team_mutes:
        route["mute_time_intervals"] = team_mutes
    route["routes"] = children
    return route


def global_config(org: Organisation, settings: Settings) -> dict:
    smtp = settings.smtp
    config: dict = {
        "resolve_timeout": "5m",
        "smtp_smarthost": smtp.smarthost,
        "smtp_from": smtp.sender,
        "smtp_require_tls": smtp.require_tls,
    }
    if smtp.username:
        config["smtp_auth_username"] = smtp.username
    if smtp.password is not None:
        config["smtp_auth_password_file"] = alertmanager_secret_path(smtp.password.secret)
    return config


def render(org: Organisation, settings: Settings) -> dict:
    """The alertmanager.yml document. Unknown or missing teams fall through to the catch-all receiver."""
    return {
        "global": global_config(org, settings),
        "templates": [notification_templates.TEMPLATE_GLOB],
        "route": {
            "receiver": CATCH_ALL,
            "group_by": list(GROUP_BY),
            **CATCH_ALL_TIMING.fields(),
            "routes": [team_route(org, team) for team in org.teams],
        },
        "inhibit_rules": inhibition.render(org),
        "receivers": receivers.render(org, settings),
        "time_intervals": time_intervals.render(org.teams),
    }


def secret_files(config: dict) -> Iterator[tuple[str, str]]:
    """(field, path) of every credential file the rendered config reads (TLS CA bundles are not credentials)."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key.endswith("_file") and isinstance(value, str):
                if key != "ca_file":
                    yield key, value
            else:
                yield from secret_files(value)
    elif isinstance(config, list):
        for item in config:
            yield from secret_files(item)


def secrets_used(config: dict) -> list[str]:
    """Names of the secrets the rendered config reads from files, sorted."""
    return sorted({path.rsplit("/", 1)[-1] for _, path in secret_files(config)})
