"""A behaviour test of the KPI rules, run by `promtool test rules` and `vmalert-tool unittest` like every rule file.

Half a day of alerting for two teams, A and B (the first two teams with an OnCall rotation, else the first two
teams), with numbers chosen so every KPI has a known value. The KPIs look 7 days back: at the end of the test
their window holds everything since its start, so half a day shows what a week would, fourteen times faster.

* A's P1 alerts fire 40 and 50 minutes: mean time to resolve 45 min. B's P1 fires 20 minutes once.
* A pages twelve times at P0: nine 30-minute pages, three 2-minute ones (short: false positives); B once, 2 minutes.
  A's false-positive share is 3 of its 14 pages (21.43%); B's is 1 of 2, below `min_pages` to be judged.
* OnCall's 7-day histogram: A answered 10 pages in 4,200 s (7 min each), B 4 pages in 480 s (2 min each).

At the end each target alert fires for exactly the teams whose value misses that team's target, with
the value in its text. tests/test_kpis.py checks every recorded value too, with both tools.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.catalog import Organisation, Team
from model.settings import Settings
from behaviour import series
from render.rules import kpis

WEEK = 12 * 60
"""Minutes in the test."""
END = "12h"
EPISODES: dict[tuple[str, str], list[tuple[int, int]]] = {
    ("a", "P1"): [(60, 40), (180, 50)],
    ("b", "P1"): [(120, 20)],
    ("a", "P0"): sorted([(240 + 40 * i, 30) for i in range(7)] + [(600, 30), (680, 30)] + [(520, 2), (560, 2), (640, 2)]),
    ("b", "P0"): [(400, 2)],
}
"""(team slot, priority) -> (start minute, minutes firing) of each alert episode."""
ONCALL = {
    "a": {"count": 10, "sum": 4200, "buckets": {60: 2, 300: 6, 600: 8, 3600: 10}},
    "b": {"count": 4, "sum": 480, "buckets": {60: 1, 300: 4, 600: 4, 3600: 4}},
}
"""OnCall's response-time histogram per team slot (buckets cumulative, as the exporter writes them)."""
EXPECTED = {
    "mtta": {"a": 420.0, "b": 120.0},
    "mttr": {("a", "P1"): 2700.0, ("b", "P1"): 1200.0, ("a", "P0"): 1380.0, ("b", "P0"): 120.0},
    "short_ratio": {"a": 3 / 14, "b": 1 / 2},
    "pages": {"a": 14, "b": 2},
}
"""The KPIs of the week above, worked out by hand."""


@dataclass(frozen=True)
class Scenario:
    teams: dict[str, Team]
    input_series: list[dict]


def _alerts_values(episodes: list[tuple[int, int]]) -> str:
    """1 while firing, a staleness marker when it stops (as the rule evaluator writes), nothing in between."""
    state = ["_"] * (WEEK + 1)
    for start, minutes in episodes:
        for m in range(start, start + minutes):
            state[m] = "1"
        state[start + minutes] = "stale"
    tokens: list[str] = []
    i = 0
    while i < len(state):
        j = i
        while j < len(state) and state[j] == state[i]:
            j += 1
        run = j - i
        if state[i] == "_":
            tokens.append(f"_x{run}")
        elif state[i] == "stale":
            tokens += ["stale"] * run
        else:
            tokens.append(f"1x{run - 1}" if run > 1 else "1")
        i = j
    return " ".join(tokens)


def scenario(org: Organisation) -> Scenario | None:
    with_oncall = [t for t in org.teams if t.oncall is not None]
    picked = (with_oncall if len(with_oncall) >= 2 else list(org.teams))[:2]
    if len(picked) < 2:
        return None
    teams = dict(zip(("a", "b"), picked, strict=True))
    inputs: list[dict] = []
    for (slot, priority), episodes in sorted(EPISODES.items()):
        labels = {"alertname": "KpiProbe", "alertstate": "firing", "team": teams[slot].name, "priority": priority, "severity": "critical"}
        inputs.append({"series": series.series_name("ALERTS", labels), "values": _alerts_values(episodes)})
    for slot, team in teams.items():
        if team.oncall is None:
            continue
        hist = ONCALL[slot]
        base = {"integration": f"{team.name}{kpis.INTEGRATION_SUFFIX}", "team": "No team", "org_id": "1", "slug": "", "id": "", "service_name": "No service"}
        metric = "oncall_alert_groups_response_time_seconds"
        gauge = f"{hist['count']}x{WEEK}"
        inputs.append({"series": series.series_name(f"{metric}_count", base), "values": gauge})
        inputs.append({"series": series.series_name(f"{metric}_sum", base), "values": f"{hist['sum']}x{WEEK}"})
        for le, n in [*hist["buckets"].items(), ("+Inf", hist["count"])]:
            inputs.append({"series": series.series_name(f"{metric}_bucket", {**base, "le": str(le)}), "values": f"{n}x{WEEK}"})
    return Scenario(teams, inputs)


def humanize_duration(seconds: float) -> str:
    """Prometheus's humanizeDuration for the whole seconds used here."""
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d {hours}h {minutes}m {s}s"
    if hours:
        return f"{hours}h {minutes}m {s}s"
    if minutes:
        return f"{minutes}m {s}s"
    return f"{s}s"


def humanize_percentage(ratio: float) -> str:
    """Prometheus's humanizePercentage: four significant digits."""
    return f"{ratio * 100:.4g}%"


def _expected(rule: dict, value: str) -> dict:
    annotations = {
        k: v.replace("{{ $value | humanizeDuration }}", value).replace("{{ $value | humanizePercentage }}", value)
        for k, v in rule["annotations"].items()
    }
    return {"exp_labels": dict(rule["labels"]), "exp_annotations": annotations}


def kpi_rule_tests(org: Organisation, settings: Settings) -> dict[str, dict]:
    found = scenario(org)
    if found is None:
        return {}
    alerts = kpis.kpi_alerts(org, settings)
    expected: dict[str, list[dict]] = {name: [] for name in sorted({a["alert"] for a in alerts})}
    for slot, team in found.teams.items():
        targets = org.incident_policy(team).targets
        own = [a for a in alerts if a["labels"]["team"] == team.name]
        mtta = EXPECTED["mtta"][slot]
        if team.oncall is not None and mtta > targets.mtta.seconds:
            rule = next(a for a in own if a["alert"] == "AlertingMTTAAboveTarget")
            expected[rule["alert"]].append(_expected(rule, humanize_duration(mtta)))
        for priority, limit in sorted(targets.mttr.items()):
            mttr = EXPECTED["mttr"].get((slot, priority.value))
            if mttr is not None and mttr > limit.seconds:
                rule = next(a for a in own if a["alert"] == "AlertingMTTRAboveTarget" and f'priority="{priority.value}"' in a["expr"])
                expected[rule["alert"]].append(_expected(rule, humanize_duration(mttr)))
        ratio = EXPECTED["short_ratio"][slot]
        if ratio > targets.false_positive_ratio and EXPECTED["pages"][slot] >= targets.min_pages:
            rule = next(a for a in own if a["alert"] == "AlertingFalsePositivesAboveTarget")
            expected[rule["alert"]].append(_expected(rule, humanize_percentage(ratio)))
    return {
        kpis.KPI_FILE: {
            "rule_files": [f"../rules/{kpis.KPI_FILE}"],
            "evaluation_interval": "1m",
            "tests": [
                {
                    "interval": "1m",
                    "input_series": found.input_series,
                    "alert_rule_test": [
                        {"eval_time": END, "alertname": name, "exp_alerts": sorted(exp, key=lambda e: sorted(e["exp_labels"].items()))}
                        for name, exp in expected.items()
                    ],
                }
            ],
        }
    }
