"""Behaviour tests of the flapping rules (render.rules.flapping): a flapping alert is reported, a steady one is not,
and an availability alert is held through a short recovery."""

from __future__ import annotations

from behaviour import series
from model.catalog import Organisation, Team
from model.settings import Settings
from render.rules import health as rules
from render.rules.flapping import FLAPPING_FILE, flapping_rules

HOLD_TEST_MINUTES = 40


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
    labels = {**rule["labels"], "flapping_alert": alert, "flapping_priority": "P2", "service": service, **(extra or {})}
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
    own = next(r for r in alerts if r["labels"]["team"] == team.name and "flapping_team" not in r["labels"])
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
                if r["alert"] == "ServiceDown" and r["labels"]["service"] == service.name)
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
