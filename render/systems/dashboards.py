"""The dashboards a team opens first, as code: grafana-foundation-sdk builders, one team dashboard (a `team` variable
over the catalog's teams) and one organisation dashboard.

They read the KPIs of render.rules.kpis, the SLO recordings of render.rules.slo, the `ALERTS` series and the chaos
exporter; every query is a plain PromQL expression VictoriaMetrics answers (tests/test_dashboards.py runs each
one). Grafana loads them from a ConfigMap through a file provider (components/grafana.py): read-only, versioned
with the release, no API token needed at deploy time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from grafana_foundation_sdk.builders import bargauge, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from model.catalog import Organisation
from render.rules.kpis import FIRING, META_LABEL, ORG_DASHBOARD_UID, TEAM_DASHBOARD_UID

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="victoriametrics")
"""The default datasource components/grafana.py provisions, by its fixed uid."""
FOLDER = "Alerting"
TEAM_FILE = f"{TEAM_DASHBOARD_UID}.json"
ORG_FILE = f"{ORG_DASHBOARD_UID}.json"
TARGETS_MISSED = f'ALERTS{{alertstate="firing", {META_LABEL}="true", alertname=~"Alerting.*AboveTarget"'
WIDTH = 24


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str
    """stat, timeseries or bargauge"""
    queries: tuple[tuple[str, str], ...]
    """(PromQL, legend)"""
    unit: str = "none"
    description: str = ""
    width: int = 6


def _team_firing(extra: str = "") -> str:
    return FIRING.replace("}", f', team="$team"{", " + extra if extra else ""}}}')


TEAM_ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Alerting KPIs, last 7 days",
        (
            Panel("Mean time to acknowledge a page", "stat", (('team:oncall_response_seconds:mean7d{team="$team"}', ""),), "s",
                  "OnCall: from an alert group's start to its first acknowledge, silence or resolve. Target: 5m."),
            Panel("Mean time to resolve a P1", "stat", (('team_priority:alert_duration_seconds:mean7d{team="$team", priority="P1"}', ""),), "s",
                  "How long P1 alerts fire on average. Target: 30m."),
            Panel("Pages gone within 5m unanswered", "stat", (('team:pages_short:ratio7d{team="$team"}', ""),), "percentunit",
                  "Share of P0/P1 alerts that stopped on their own within the team's short_page: the false-positive proxy. Target: under 5%."),
            Panel("Pages answered at the first step", "stat", (('team:oncall_answered_at_first_step:ratio7d{team="$team"}', ""),),
                  "percentunit", "Share of pages answered before the escalation chain's second step: escalation effectiveness."),
            Panel("Pages", "stat", (('team:pages:volume7d{team="$team"}', ""),), "none", "P0 and P1 alerts started in 7 days.", 3),
            Panel("Alert volume trend", "stat", (('team:alerts:volume_trend{team="$team"}', ""),), "none",
                  "Alerts of the last day against the week's daily mean: 1 is a usual day.", 3),
        ),
    ),
    (
        "By priority",
        (
            Panel("Alerts started in the last day", "timeseries", (('sum by (priority) (team_priority:alerts:volume1d{team="$team"})', "{{priority}}"),),
                  "none", "", 12),
            Panel("Mean time to resolve", "bargauge", (('team_priority:alert_duration_seconds:mean7d{team="$team"}', "{{priority}}"),), "s"),
            Panel("Incidents, 7 days", "bargauge", (('team_priority:incidents:volume7d{team="$team"}', "{{priority}}"),), "none",
                  "Alerts at the team's incident priorities: each opened a war room."),
            Panel("OnCall alert groups by state", "bargauge", (('team_state:oncall_alert_groups:count{team="$team"}', "{{state}}"),), "none", "", 12),
        ),
    ),
    (
        "Right now",
        (
            Panel("Firing alerts by priority", "timeseries", ((f"count by (priority) ({_team_firing()})", "{{priority}}"),), "none", "", 12),
            Panel("Flapping alerts", "stat", (('count(ALERTS{alertstate="firing", alertname="AlertFlapping", team="$team"}) or vector(0)', ""),),
                  "none", "Alerts that started four times or more within an hour.", 6),
            Panel("KPI targets missed", "stat", ((f'count({TARGETS_MISSED}, team="$team"}}) or vector(0)', ""),), "none", "", 6),
        ),
    ),
    (
        "SLOs, chaos",
        (
            Panel("SLO compliance", "stat", (('team:slo_compliance:ratio{team="$team"}', ""),), "percentunit",
                  "Share of the team's SLOs within their error budget over their period."),
            Panel("Error budget remaining", "bargauge",
                  (('slo:period_error_budget_remaining:ratio * on (sloth_service) group_left (team) slo_owner:info{team="$team"}',
                    "{{sloth_service}} {{sloth_slo}}"),), "percentunit", "", 12),
            Panel("Chaos experiments that found a weakness", "stat",
                  (('count(ALERTS{alertstate="firing", alertname="ChaosExperimentFailed", team="$team"}) or vector(0)', ""),), "none"),
        ),
    ),
    (
        "Chaos, last 30 days",
        (
            Panel("Chaos experiment success rate", "stat", (('chaos_team:experiment_success:ratio30d{team="$team"}', ""),),
                  "percentunit", "Runs that kept their steady state; the report's target: over 90%.", 4),
            Panel("Resilience score", "stat", (('chaos_team:resilience:score{team="$team"}', ""),), "none",
                  "100 x (0.6 x runs passed + 0.4 x mean probe success), docs/chaos.md.", 4),
            Panel("Recovery time P50", "stat", (('chaos_team:recovery_time:p50_30d{team="$team"}', ""),), "s",
                  "From the end of a fault until the SLO burns under 1x again, over the runs of 30 days.", 2),
            Panel("Recovery time P95", "stat", (('chaos_team:recovery_time:p95_30d{team="$team"}', ""),), "s",
                  "From the end of a fault until the SLO burns under 1x again, over the runs of 30 days.", 2),
            Panel("Recovery time P99", "stat", (('chaos_team:recovery_time:p99_30d{team="$team"}', ""),), "s",
                  "From the end of a fault until the SLO burns under 1x again, over the runs of 30 days.", 2),
            Panel("Chaos-induced alerts", "stat", (('sum(chaos_team:induced_alerts:count30d{team="$team"}) or vector(0)', ""),), "none",
                  "Alerts of the team's services that fired while an experiment ran (experiment, alert) pairs.", 4),
            Panel("Resilience score by service", "bargauge", (('chaos_service:resilience:score{team="$team"}', "{{service}}"),), "none", "", 6),
            Panel("Failure-mode coverage by service", "bargauge",
                  (('chaos_service:fault_coverage:ratio30d{team="$team"}', "{{service}}"),), "percentunit",
                  "Share of the report's 16 fault classes run against the service; Litmus cannot run 2 of them.", 6),
            Panel("Chaos success rate by service", "bargauge",
                  (('chaos_service:experiment_success:ratio30d{team="$team"}', "{{service}}"),), "percentunit", "", 6),
            Panel("Recovery time P95 by service", "bargauge",
                  (('chaos_service:recovery_time:p95_30d{team="$team"}', "{{service}}"),), "s", "", 6),
        ),
    ),
)

ORG_ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Organisation, last 7 days",
        (
            Panel("Mean time to acknowledge a page", "stat",
                  (("sum(oncall_alert_groups_response_time_seconds_sum) / sum(oncall_alert_groups_response_time_seconds_count)", ""),), "s", "", 5),
            Panel("Pages", "stat", (("sum(team:pages:volume7d)", ""),), "none", "", 4),
            Panel("Pages gone within 5m unanswered", "stat",
                  (("sum(team:pages_short:ratio7d * team:pages:volume7d) / sum(team:pages:volume7d)", ""),), "percentunit", "", 5),
            Panel("SLO compliance", "stat", (("avg(service:slo_compliance:ratio)", ""),), "percentunit", "", 5),
            Panel("Chaos experiments passed", "stat",
                  (("sum(litmuschaos_passed_experiments) / (sum(litmuschaos_passed_experiments) + sum(litmuschaos_failed_experiments))", ""),),
                  "percentunit", "The report's target: over 90%.", 5),
        ),
    ),
    (
        "By team",
        (
            Panel("Mean time to acknowledge, by team", "bargauge", (("team:oncall_response_seconds:mean7d", "{{team}}"),), "s"),
            Panel("Mean time to resolve a P1, by team", "bargauge", (('team_priority:alert_duration_seconds:mean7d{priority="P1"}', "{{team}}"),), "s"),
            Panel("Pages gone within 5m unanswered, by team", "bargauge", (("team:pages_short:ratio7d", "{{team}}"),), "percentunit"),
            Panel("Alert volume trend, by team", "bargauge", (("team:alerts:volume_trend", "{{team}}"),), "none"),
            Panel("Alerts started in the last day, by team", "timeseries", (("sum by (team) (team_priority:alerts:volume1d)", "{{team}}"),), "none", "", 12),
            Panel("Incidents by priority, 7 days", "bargauge", (("sum by (priority) (team_priority:incidents:volume7d)", "{{priority}}"),), "none", "", 12),
        ),
    ),
    (
        "Right now",
        (
            Panel("Firing alerts by team and priority", "bargauge", ((f"count by (team, priority) ({FIRING})", "{{team}} {{priority}}"),), "none", "", 8),
            Panel("KPI targets missed", "bargauge", ((f"count by (team, alertname) ({TARGETS_MISSED}}})", "{{team}}: {{alertname}}"),), "none", "", 8),
            Panel("Flapping alerts by team", "bargauge", (('count by (team) (ALERTS{alertstate="firing", alertname="AlertFlapping"})', "{{team}}"),), "none", "", 8),
            Panel("SLO compliance by service", "bargauge", (("service:slo_compliance:ratio", "{{sloth_service}}"),), "percentunit", "", 24),
        ),
    ),
)


def _panel(spec: Panel, panel_id: int):
    builder = {"stat": stat.Panel, "timeseries": timeseries.Panel, "bargauge": bargauge.Panel}[spec.kind]()
    panel = builder.id(panel_id).title(spec.title).datasource(DATASOURCE).unit(spec.unit).height(6 if spec.kind != "stat" else 4).span(spec.width)
    if spec.description:
        panel = panel.description(spec.description)
    for index, (expr, legend) in enumerate(spec.queries):
        query = prometheus.Dataquery().ref_id(chr(ord("A") + index)).expr(expr).datasource(DATASOURCE)
        if legend:
            query = query.legend_format(legend)
        panel = panel.with_target(query.range() if spec.kind == "timeseries" else query.instant())
    return panel


def _build(title: str, uid: str, rows, variable=None, links: tuple[tuple[str, str], ...] = ()) -> str:
    board = (
        # Read-only: they are code; a change made in Grafana would be lost on the next deploy.
        dashboard.Dashboard(title).uid(uid).tags(["alerting", "kpi"]).readonly().refresh("1m")
        .time("now-7d", "now").timezone("browser")
    )
    for text, url in links:
        board = board.link(dashboard.DashboardLink(text).type(model.DashboardLinkType.LINK).url(url).keep_time(True))
    if variable is not None:
        board = board.with_variable(variable)
    panel_id = 1
    for row_title, panels in rows:
        board = board.with_row(dashboard.Row(row_title).id(panel_id))
        panel_id += 1
        for spec in panels:
            board = board.with_panel(_panel(spec, panel_id))
            panel_id += 1
    return json.dumps(board.build(), cls=JSONEncoder, sort_keys=True, indent=2) + "\n"


def dashboard_files(org: Organisation) -> dict[str, str]:
    """Dashboard JSON by file name, byte-identical for the same catalog."""
    teams = [t.name for t in org.teams]
    variable = (
        dashboard.CustomVariable("team").label("Team").values(",".join(teams))
        .current(model.VariableOption(selected=True, text=teams[0], value=teams[0]))
    )
    return {
        TEAM_FILE: _build("Alerting: team", TEAM_DASHBOARD_UID, TEAM_ROWS, variable, (("Organisation", f"/d/{ORG_DASHBOARD_UID}"),)),
        ORG_FILE: _build("Alerting: organisation", ORG_DASHBOARD_UID, ORG_ROWS, None, (("Team", f"/d/{TEAM_DASHBOARD_UID}"),)),
    }
