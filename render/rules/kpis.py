"""Alerting-effectiveness KPIs as recording rules, and the report's targets as alerts on them (P3 tickets).

Two sources:

* Grafana OnCall's exporter (engine/apps/metrics_exporter at v1.16.5): `oncall_alert_groups_response_time_seconds`,
  a histogram of the time from an alert group's start to its first acknowledge, silence or resolve over the last
  7 days (buckets 60, 300, 600, 3600 s), and `oncall_alert_groups_total{state}`, both labelled with the integration
  ("<team> (Alertmanager)", the name the platform gives each team's integration). Only pages reach OnCall, so its
  mean is the mean time to acknowledge a page (an alert group Alertmanager resolves first counts as answered then).
* the `ALERTS` series the rule evaluator writes (vmalert remote-writes it): when each alert of each team and
  priority fires and stops. Mean time to resolve, alert volume and its trend, and short pages come from here.

Everything is per team and priority over OnCall's 7-day window. KPI and flapping alerts carry `meta="true"` and
are left out of the KPIs they judge.
"""

from __future__ import annotations

from model.base import Duration
from model.catalog import Organisation, Priority, Severity, Team
from model.settings import Settings

KPI_FILE = "alerting-kpis.yaml"
META_LABEL = "meta"
EVENTS_INTERVAL = "1m"
"""The event rules compare ALERTS with itself one minute earlier: their group must run every minute, exactly."""
KPI_INTERVAL = "5m"
WINDOW = "7d"
WINDOW_DAYS = 7
KPI_FOR = Duration.of(hours=1)
PAGING = (Priority.P0, Priority.P1)
ONCALL_BUCKETS = (60, 300, 600, 3600)
"""engine/apps/metrics_exporter/metrics_collectors.py (v1.16.5): ApplicationMetricsCollector._buckets."""
INTEGRATION_SUFFIX = " (Alertmanager)"
"""components/oncall_escalation.py names each team's integration "<team> (Alertmanager)"."""
TEAM_DASHBOARD_UID = "alerting-team"
ORG_DASHBOARD_UID = "alerting-organisation"

FIRING = f'ALERTS{{alertstate="firing", {META_LABEL}!="true"}}'


def _firing(matchers: str = "") -> str:
    return f'ALERTS{{alertstate="firing", {META_LABEL}!="true"{", " + matchers if matchers else ""}}}'


def _by_team(metric: str) -> str:
    """An OnCall metric with `team` taken from its integration's name."""
    pattern = "(.+) \\\\(Alertmanager\\\\)"
    return f'label_replace({metric}, "team", "$1", "integration", "{pattern}")'


def _regex(values: list[str]) -> str:
    return "|".join(sorted(values))


def first_step_bucket(team: Team) -> int | None:
    """The largest OnCall response-time bucket that ends before the team's second escalation step notifies anyone:
    a page answered within it was answered by whoever the first step notified. None when nothing escalates."""
    if len(team.escalation.steps) < 2:
        return None
    second = team.escalation.steps[1].after.seconds
    fitting = [b for b in ONCALL_BUCKETS if b <= second]
    return fitting[-1] if fitting else None


def _alert(name: str, expr: str, team: Team, summary: str, description: str, links: tuple[str, str]) -> dict:
    runbook, dashboard = links
    return {
        "alert": name,
        "expr": expr,
        "for": str(KPI_FOR),
        "labels": {
            "team": team.name,
            "severity": Severity.warning.value,
            "priority": Priority.P3.value,
            META_LABEL: "true",
        },
        "annotations": {"summary": summary, "description": description, "runbook_url": runbook, "dashboard_url": dashboard},
    }


def alert_links(org: Organisation, settings: Settings, team: Team) -> tuple[str, str]:
    runbook = org.runbook_url or next((s.runbook_url for _, s in org.services()), f"{settings.url('grafana')}/d/{TEAM_DASHBOARD_UID}")
    return runbook, f"{settings.url('grafana')}/d/{TEAM_DASHBOARD_UID}?var-team={team.name}"


def event_rules(org: Organisation) -> list[dict]:
    """Every minute: alerts firing, alerts that started, pages that ended within the team's `short_page`."""
    rules = [
        {"record": "team_priority:alerts_firing:count", "expr": f"count by (team, priority) ({FIRING})"},
        {"record": "team_priority:alerts_started:count1m", "expr": f"count by (team, priority) ({FIRING} unless {FIRING} offset 1m)"},
    ]
    by_short: dict[Duration, list[str]] = {}
    for team in org.teams:
        by_short.setdefault(org.incident_policy(team).targets.short_page, []).append(team.name)
    for short, teams in sorted(by_short.items()):
        sel = _firing(f'priority=~"{_regex([p.value for p in PAGING])}", team=~"{_regex(teams)}"')
        # Firing a minute ago, not now, and not `short` + 1m ago: a page that lasted at most `short`.
        lookback = Duration(short.milliseconds + 60_000)
        rules.append(
            {
                "record": "team_priority:pages_short:count1m",
                "expr": f"count by (team, priority) (({sel} offset 1m unless {sel}) unless {sel} offset {lookback})",
            }
        )
    return rules


def kpi_rules(org: Organisation) -> list[dict]:
    """Every five minutes: the 7-day KPIs per team and priority."""
    paging = _regex([p.value for p in PAGING])
    rules: list[dict] = [
        {"record": "team_priority:alerts:volume7d", "expr": f"sum_over_time(team_priority:alerts_started:count1m[{WINDOW}])"},
        {"record": "team_priority:alerts:volume1d", "expr": "sum_over_time(team_priority:alerts_started:count1m[1d])"},
        {
            # 1 is a usual day; 2 twice the daily mean of the week.
            "record": "team:alerts:volume_trend",
            "expr": f"sum by (team) (team_priority:alerts:volume1d) / (sum by (team) (team_priority:alerts:volume7d) / {WINDOW_DAYS})",
        },
        {
            # Alert-minutes firing (one sample a minute) over alerts started: the mean time an alert fires.
            "record": "team_priority:alert_duration_seconds:mean7d",
            "expr": f"sum_over_time(team_priority:alerts_firing:count[{WINDOW}]) * 60 / team_priority:alerts:volume7d",
        },
        {
            "record": "team:pages_short:ratio7d",
            "expr": (
                f"(sum by (team) (sum_over_time(team_priority:pages_short:count1m[{WINDOW}]))"
                f' or sum by (team) (team_priority:alerts:volume7d{{priority=~"{paging}"}}) * 0)'
                f' / sum by (team) (team_priority:alerts:volume7d{{priority=~"{paging}"}})'
            ),
        },
        {"record": "team:pages:volume7d", "expr": f'sum by (team) (team_priority:alerts:volume7d{{priority=~"{paging}"}})'},
        {
            "record": "team:oncall_response_seconds:mean7d",
            "expr": (
                f"sum by (team) ({_by_team('oncall_alert_groups_response_time_seconds_sum')})"
                f" / sum by (team) ({_by_team('oncall_alert_groups_response_time_seconds_count')})"
            ),
        },
        {"record": "team_state:oncall_alert_groups:count", "expr": f"sum by (team, state) ({_by_team('oncall_alert_groups_total')})"},
    ]
    by_priorities: dict[tuple[str, ...], list[str]] = {}
    for team in org.teams:
        policy = org.incident_policy(team)
        if org.runs_incidents(team):
            by_priorities.setdefault(tuple(sorted(p.value for p in policy.priorities)), []).append(team.name)
    for priorities, teams in sorted(by_priorities.items()):
        rules.append(
            {
                "record": "team_priority:incidents:volume7d",
                "expr": f'team_priority:alerts:volume7d{{team=~"{_regex(teams)}", priority=~"{_regex(list(priorities))}"}}',
            }
        )
    for team in org.teams:
        bucket = first_step_bucket(team)
        if team.oncall is None or bucket is None:
            continue
        integration = f"{team.name}{INTEGRATION_SUFFIX}"
        rules.append(
            {
                # Pages answered before the chain's second step: escalation did not have to go further.
                "record": "team:oncall_answered_at_first_step:ratio7d",
                "expr": (
                    f'sum(oncall_alert_groups_response_time_seconds_bucket{{integration="{integration}", le=~"{bucket}(\\\\.0)?"}})'
                    f' / sum(oncall_alert_groups_response_time_seconds_count{{integration="{integration}"}})'
                ),
                "labels": {"team": team.name},
            }
        )
    slo_services = sorted({(s.name, t.name) for t, s in org.services() if s.slos})
    if slo_services:
        rules.append({"record": "service:slo_compliance:ratio", "expr": "avg by (sloth_service) (slo:period_burn_rate:ratio <= bool 1)"})
        rules += [{"record": "slo_owner:info", "expr": "vector(1)", "labels": {"sloth_service": s, "team": t}} for s, t in slo_services]
        rules.append(
            {
                "record": "team:slo_compliance:ratio",
                "expr": "avg by (team) (service:slo_compliance:ratio * on (sloth_service) group_left (team) slo_owner:info)",
            }
        )
    return rules


def kpi_alerts(org: Organisation, settings: Settings) -> list[dict]:
    """The report's targets, per team: a miss is a P3 ticket for the team."""
    alerts = []
    for team in org.teams:
        targets = org.incident_policy(team).targets
        links = alert_links(org, settings, team)
        if team.oncall is not None:
            alerts.append(
                _alert(
                    "AlertingMTTAAboveTarget",
                    f'team:oncall_response_seconds:mean7d{{team="{team.name}"}} > {targets.mtta.seconds:g}',
                    team,
                    f"{team.name}: pages wait {{{{ $value | humanizeDuration }}}} for an answer on average (target {targets.mtta})",
                    f"Over the last 7 days, pages of {team.name} waited {{{{ $value | humanizeDuration }}}} on average before "
                    f"someone acknowledged them in OnCall; the target is {targets.mtta}. Check who is on call and whether "
                    "pages reach them.",
                    links,
                )
            )
        for priority, limit in sorted(targets.mttr.items()):
            alerts.append(
                _alert(
                    "AlertingMTTRAboveTarget",
                    # Only `team` may come through: the alert's own `priority` is the ticket's, P3.
                    f'sum by (team) (team_priority:alert_duration_seconds:mean7d{{team="{team.name}", priority="{priority.value}"}})'
                    f" > {limit.seconds:g}",
                    team,
                    f"{team.name}: {priority.value} alerts take {{{{ $value | humanizeDuration }}}} to resolve on average "
                    f"(target {limit})",
                    f"Over the last 7 days, {priority.value} alerts of {team.name} fired for {{{{ $value | humanizeDuration }}}} "
                    f"on average; the target is {limit}. Review the runbooks of the slowest ones.",
                    links,
                )
            )
        alerts.append(
            _alert(
                "AlertingFalsePositivesAboveTarget",
                f'team:pages_short:ratio7d{{team="{team.name}"}} > {targets.false_positive_ratio:g}'
                f' and on (team) team:pages:volume7d{{team="{team.name}"}} >= {targets.min_pages}',
                team,
                f"{team.name}: {{{{ $value | humanizePercentage }}}} of pages resolved by themselves within {targets.short_page} "
                f"(target {targets.false_positive_ratio:.0%})",
                f"Over the last 7 days, {{{{ $value | humanizePercentage }}}} of the pages of {team.name} stopped within "
                f"{targets.short_page}, before anyone could act: likely false positives. Tune their thresholds or `for`.",
                links,
            )
        )
    return alerts


def kpi_rule_files(org: Organisation, settings: Settings) -> dict[str, dict]:
    return {
        KPI_FILE: {
            "groups": [
                {"name": "alerting-kpi-events", "interval": EVENTS_INTERVAL, "rules": event_rules(org)},
                {"name": "alerting-kpis", "interval": KPI_INTERVAL, "rules": kpi_rules(org)},
                {"name": "alerting-kpi-targets", "interval": KPI_INTERVAL, "rules": kpi_alerts(org, settings)},
            ]
        }
    }
