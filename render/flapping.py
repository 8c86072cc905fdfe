"""Flapping: alerts that keep starting and stopping are held, and reported.

* held: the availability alerts carry `keep_firing_for` (render.rules.FLAP_HOLD), so a condition that clears for a
  few minutes and returns is one alert — no resolve notification, no second page;
* reported: `AlertFlapping` watches the `ALERTS` series the rule evaluator writes and opens a P3 ticket for the
  owning team when one alert starts firing `FLAP_STARTS` times or more within `FLAP_WINDOW`, whatever its source
  (SLO, budget, chaos, Falco or a team's own rules).

Both are proven by `promtool test rules` and `vmalert-tool unittest` (`flapping_rule_tests`).
"""

from __future__ import annotations

from alerting_facts.labels import PRIORITY, RUNBOOK_URL, SERVICE, SEVERITY, TEAM
from model.base import Duration
from model.catalog import Organisation, Priority, Severity, Team
from model.settings import Settings
from render import kpis, rules, series

FLAPPING_FILE = "alerting-flapping.yaml"
FLAP_STARTS = 4
FLAP_WINDOW = Duration.of(hours=1)
HOLD_TEST_MINUTES = 40


def _flapping_alert(expr: str, team: str, runbook: str, dashboard: str, extra: dict[str, str] | None = None) -> dict:
    return {
        "alert": "AlertFlapping",
        "expr": expr,
        "keep_firing_for": str(FLAP_WINDOW),
        "labels": {TEAM: team, SEVERITY: Severity.warning.value, PRIORITY: Priority.P3.value, kpis.META_LABEL: "true", **(extra or {})},
        "annotations": {
            "summary": "{{ $labels.flapping_alert }} ({{ $labels.service }}) started {{ $value }} times in the last "
            f"{FLAP_WINDOW}",
            "description": "The alert {{ $labels.flapping_alert }} ({{ $labels.flapping_priority }}) keeps starting and "
            f"stopping: {{{{ $value }}}} times in {FLAP_WINDOW}. Each start is a notification; give it a longer `for`, "
            "`keep_firing_for` or a steadier condition.",
            RUNBOOK_URL: runbook,
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


def _alerts_series(labels: dict[str, str], episodes: list[tuple[int, int]], minutes: int) -> dict:
    values = ["_"] * (minutes + 1)
    for start, length in episodes:
        for m in range(start, start + length):
            values[m] = "1"
        values[start + length] = "stale"
    return {"series": series.series_name("ALERTS", labels), "values": " ".join(values)}


def _expected(rule: dict, alert: str, service: str, extra: dict[str, str] | None = None) -> dict:
    values = {"{{ $labels.flapping_alert }}": alert, "{{ $labels.service }}": service, "{{ $labels.flapping_priority }}": "P2",
              "{{ $value }}": "4"}
    annotations = {}
    for key, text in rule["annotations"].items():
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        annotations[key] = text
    labels = {**rule["labels"], "flapping_alert": alert, "flapping_priority": "P2", SERVICE: service, **(extra or {})}
    return {"exp_labels": labels, "exp_annotations": annotations}


def _flapping_test(org: Organisation, settings: Settings) -> dict:
    """Alert X of a team starts four times in 40 minutes (reported to the team); alert Y three times (not); alert Z of
    no known team four times (reported to the platform team)."""
    team = next((t for t in org.teams if t.services), org.teams[0])
    service = team.services[0].name if team.services else "none"
    base = {"alertstate": "firing", "team": team.name, "service": service, "priority": "P2", "severity": "warning"}
    minutes = 60
    four, three = [(1, 3), (10, 3), (20, 3), (30, 3)], [(1, 3), (10, 3), (20, 3)]
    x = _alerts_series({**base, "alertname": "FlappingProbe"}, four, minutes)
    y = _alerts_series({**base, "alertname": "SteadyProbe"}, three, minutes)
    z = _alerts_series({**base, "alertname": "StrayProbe", "team": "no-such-team"}, four, minutes)
    alerts = [r for r in flapping_rules(org, settings)[FLAPPING_FILE]["groups"][0]["rules"] if r.get("alert")]
    own = next(r for r in alerts if r["labels"][TEAM] == team.name and "flapping_team" not in r["labels"])
    stray = next(r for r in alerts if "flapping_team" in r["labels"])
    expected = sorted([_expected(own, "FlappingProbe", service), _expected(stray, "StrayProbe", service)],
                      key=lambda e: sorted(e["exp_labels"].items()))
    return {
        "rule_files": [f"../rules/{FLAPPING_FILE}"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [x, y, z],
                "alert_rule_test": [
                    # Three starts: not yet. The fourth, at minute 30: reported, and held an hour past the last start.
                    {"eval_time": "25m", "alertname": "AlertFlapping", "exp_alerts": []},
                    {"eval_time": "35m", "alertname": "AlertFlapping", "exp_alerts": expected},
                ],
            }
        ],
    }


def _held_test(org: Organisation, team: Team, file: str) -> dict | None:
    """ServiceDown of the team's first service: down 10 minutes (fires at 5), back for 2, down again for 8, then up.
    Held through the two-minute recovery, it resolves only FLAP_HOLD after the last."""
    if not team.services:
        return None
    service = team.services[0]
    rule = next(r for g in rules.service_health_rules(org)[file]["groups"] for r in g["rules"]
                if r["alert"] == "ServiceDown" and r["labels"][SERVICE] == service.name)
    up = {"series": series.series_name("up", {"namespace": service.namespace, "service": service.name, "instance": "a"}),
          "values": series.gauge([(10, 0), (2, 1), (8, 0), (HOLD_TEST_MINUTES - 20, 1)])}
    expected = [{"exp_labels": dict(rule["labels"]), "exp_annotations": dict(rule["annotations"])}]
    return {
        "rule_files": [f"../rules/{file}"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [up],
                "alert_rule_test": [
                    {"eval_time": "4m", "alertname": "ServiceDown", "exp_alerts": []},
                    {"eval_time": "7m", "alertname": "ServiceDown", "exp_alerts": expected},
                    # Up again at minutes 10 and 11: without the hold it would have resolved here.
                    {"eval_time": "11m", "alertname": "ServiceDown", "exp_alerts": expected},
                    {"eval_time": "18m", "alertname": "ServiceDown", "exp_alerts": expected},
                    # Up since minute 20: still held four minutes later, resolved once the hold has passed.
                    {"eval_time": "24m", "alertname": "ServiceDown", "exp_alerts": expected},
                    {"eval_time": f"{20 + int(rules.FLAP_HOLD.seconds // 60) + 2}m", "alertname": "ServiceDown", "exp_alerts": []},
                    {"eval_time": "24m", "alertname": "ServiceTargetsDegraded", "exp_alerts": []},
                ],
            }
        ],
    }


def flapping_rule_tests(org: Organisation, settings: Settings) -> dict[str, dict]:
    files = {FLAPPING_FILE: _flapping_test(org, settings)}
    for team in org.teams:
        name = f"{team.name}-service-health.yaml"
        if name in rules.service_health_rules(org):
            test = _held_test(org, team, name)
            if test is not None:
                files[name] = test
    return files
