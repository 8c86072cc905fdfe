"""Flapping: alerts that keep starting and stopping are held, and reported.

* held: the availability alerts carry `keep_firing_for` (render.rules.health.FLAP_HOLD), so a condition that clears for a
  few minutes and returns is one alert — no resolve notification, no second page;
* reported: `AlertFlapping` watches the `ALERTS` series the rule evaluator writes and opens a P3 ticket for the
  owning team when one alert starts firing `FLAP_STARTS` times or more within `FLAP_WINDOW`, whatever its source
  (SLO, budget, chaos, Falco or a team's own rules).

Both are proven by `promtool test rules` and `vmalert-tool unittest` (behaviour.flapping).
"""

from __future__ import annotations

from model.base import Duration
from model.catalog import Organisation, Priority, Severity
from model.settings import Settings
from render.rules import kpis

FLAPPING_FILE = "alerting-flapping.yaml"
FLAP_STARTS = 4
FLAP_WINDOW = Duration.of(hours=1)


def _flapping_alert(expr: str, team: str, runbook: str, dashboard: str, extra: dict[str, str] | None = None) -> dict:
    return {
        "alert": "AlertFlapping",
        "expr": expr,
        "keep_firing_for": str(FLAP_WINDOW),
        "labels": {"team": team, "severity": Severity.warning.value, "priority": Priority.P3.value, kpis.META_LABEL: "true", **(extra or {})},
        "annotations": {
            "summary": "{{ $labels.flapping_alert }} ({{ $labels.service }}) started {{ $value }} times in the last "
            f"{FLAP_WINDOW}",
            "description": "The alert {{ $labels.flapping_alert }} ({{ $labels.flapping_priority }}) keeps starting and "
            f"stopping: {{{{ $value }}}} times in {FLAP_WINDOW}. Each start is a notification; give it a longer `for`, "
            "`keep_firing_for` or a steadier condition.",
            "runbook_url": runbook,
            "dashboard_url": dashboard,
        },
    }


def flapping_rules(org: Organisation, settings: Settings) -> dict[str, dict]:
    platform = org.team(org.platform_team)
    runbook, _ = kpis.alert_links(org, settings, platform)
    firing = kpis.FIRING
    teams = [t.name for t in org.teams]

    def counted(matcher: str, drop: str) -> str:
        starts = f"sum_over_time(alert:starts:count1m{{{matcher}}}[{FLAP_WINDOW}])"
        # The flapping alert's own name and priority must not collide with the rule's: they travel as flapping_*.
        renamed = (
            f'label_replace(label_replace({starts}, "flapping_alert", "$1", "alertname", "(.+)"),'
            ' "flapping_priority", "$1", "priority", "(.+)")'
        )
        return f"max without ({drop}) ({renamed}) >= {FLAP_STARTS}"

    alerts = [
        _flapping_alert(counted(f'team="{team.name}"', "alertname, priority"), team.name, runbook,
                        f"{settings.url('grafana')}/d/{kpis.TEAM_DASHBOARD_UID}?var-team={team.name}")
        for team in org.teams
    ]
    # Alerts of no known team reach the platform team's catch-all; so does the report of their flapping.
    unknown = counted(f'team!~"{"|".join(teams)}"', "alertname, priority, team")
    alerts.append(
        _flapping_alert(unknown, platform.name, runbook, f"{settings.url('grafana')}/d/{kpis.ORG_DASHBOARD_UID}", {"flapping_team": "unknown"})
    )
    return {
        FLAPPING_FILE: {
            "groups": [
                {
                    "name": "alerting-flapping",
                    "interval": kpis.EVENTS_INTERVAL,
                    "rules": [
                        {
                            "record": "alert:starts:count1m",
                            "expr": f"count by (alertname, team, service, priority) ({firing} unless {firing} offset 1m)",
                        },
                        *alerts,
                    ],
                }
            ]
        }
    }
