"""The dashboards: every panel query of the rendered JSON passes the real PromQL parser and, run by a real
VictoriaMetrics on synthetic series, returns what a person reading the panel must see (worked out by hand)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta

import promql_parser
import pytest

import catalog
from cli import tools
from render.rules import kpis
from render.systems import dashboards
from tests.test_components_e2e import free_port, get_json, running, wait_for

ORG = catalog.load("example")
FILES = dashboards.dashboard_files(ORG)
TEAM = "payments"
T = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

SYNTHETIC = {
    'team:oncall_response_seconds:mean7d{team="platform"}': 420,
    'team:oncall_response_seconds:mean7d{team="payments"}': 120,
    'team_priority:alert_duration_seconds:mean7d{team="platform", priority="P1"}': 2700,
    'team_priority:alert_duration_seconds:mean7d{team="platform", priority="P0"}': 1380,
    'team_priority:alert_duration_seconds:mean7d{team="payments", priority="P1"}': 1200,
    'team_priority:alert_duration_seconds:mean7d{team="payments", priority="P0"}': 120,
    'team:pages_short:ratio7d{team="platform"}': 0.25,
    'team:pages_short:ratio7d{team="payments"}': 0.5,
    'team:pages:volume7d{team="platform"}': 12,
    'team:pages:volume7d{team="payments"}': 2,
    'team:oncall_answered_at_first_step:ratio7d{team="platform"}': 0.8,
    'team:oncall_answered_at_first_step:ratio7d{team="payments"}': 1,
    'team:alerts:volume_trend{team="platform"}': 1.5,
    'team:alerts:volume_trend{team="payments"}': 0.5,
    'team_priority:alerts:volume1d{team="platform", priority="P0"}': 3,
    'team_priority:alerts:volume1d{team="platform", priority="P1"}': 1,
    'team_priority:alerts:volume1d{team="payments", priority="P0"}': 2,
    'team_priority:incidents:volume7d{team="platform", priority="P0"}': 10,
    'team_priority:incidents:volume7d{team="platform", priority="P1"}': 2,
    'team_priority:incidents:volume7d{team="payments", priority="P0"}': 1,
    'team_priority:incidents:volume7d{team="payments", priority="P1"}': 1,
    'team_state:oncall_alert_groups:count{team="platform", state="firing"}': 1,
    'team_state:oncall_alert_groups:count{team="platform", state="resolved"}': 9,
    'team_state:oncall_alert_groups:count{team="payments", state="resolved"}': 4,
    'ALERTS{alertname="ServiceDown", alertstate="firing", team="payments", service="checkout", priority="P0"}': 1,
    'ALERTS{alertname="ServiceTargetsDegraded", alertstate="firing", team="payments", service="ledger", priority="P2"}': 1,
    'ALERTS{alertname="ErrorBudgetBurn", alertstate="firing", team="payments", service="checkout", priority="P1"}': 1,
    'ALERTS{alertname="ChaosExperimentFailed", alertstate="firing", team="payments", service="checkout", priority="P2"}': 1,
    'ALERTS{alertname="ServiceDown", alertstate="pending", team="payments", service="payments-api", priority="P0"}': 1,
    'ALERTS{alertname="ServiceDown", alertstate="firing", team="platform", service="postgres", priority="P0"}': 1,
    'ALERTS{alertname="AlertFlapping", alertstate="firing", team="payments", service="ledger", priority="P3", meta="true"}': 1,
    'ALERTS{alertname="AlertingMTTAAboveTarget", alertstate="firing", team="platform", priority="P3", meta="true"}': 1,
    'team:slo_compliance:ratio{team="platform"}': 0.5,
    'team:slo_compliance:ratio{team="payments"}': 1,
    'service:slo_compliance:ratio{sloth_service="checkout"}': 1,
    'service:slo_compliance:ratio{sloth_service="api-gateway"}': 0.5,
    'slo:period_error_budget_remaining:ratio{sloth_id="checkout-success", sloth_service="checkout", sloth_slo="success"}': 0.75,
    'slo:period_error_budget_remaining:ratio{sloth_id="api-gateway-availability", sloth_service="api-gateway", sloth_slo="availability"}': 0.4,
    'slo_owner:info{sloth_service="checkout", team="payments"}': 1,
    'slo_owner:info{sloth_service="api-gateway", team="platform"}': 1,
    'oncall_alert_groups_response_time_seconds_sum{integration="platform (Alertmanager)", team="No team"}': 4200,
    'oncall_alert_groups_response_time_seconds_count{integration="platform (Alertmanager)", team="No team"}': 10,
    'oncall_alert_groups_response_time_seconds_sum{integration="payments (Alertmanager)", team="No team"}': 480,
    'oncall_alert_groups_response_time_seconds_count{integration="payments (Alertmanager)", team="No team"}': 4,
    'chaos_team:experiment_success:ratio30d{team="payments"}': 0.8,
    'chaos_team:experiment_success:ratio30d{team="platform"}': 1,
    'chaos_team:resilience:score{team="payments"}': 82,
    'chaos_team:recovery_time:p50_30d{team="payments"}': 60,
    'chaos_team:recovery_time:p95_30d{team="payments"}': 240,
    'chaos_team:recovery_time:p99_30d{team="payments"}': 290,
    'chaos_team:induced_alerts:count30d{team="payments"}': 3,
    'chaos_service:resilience:score{team="payments", service="checkout"}': 82,
    'chaos_service:resilience:score{team="platform", service="api-gateway"}': 95,
    'chaos_service:fault_coverage:ratio30d{team="payments", service="checkout"}': 0.25,
    'chaos_service:experiment_success:ratio30d{team="payments", service="checkout"}': 0.8,
    'chaos_service:recovery_time:p95_30d{team="payments", service="checkout"}': 240,
    'litmuschaos_passed_experiments{chaosengine_name="checkout-pod-delete", chaosresult_namespace="payments"}': 9,
    'litmuschaos_failed_experiments{chaosengine_name="checkout-pod-delete", chaosresult_namespace="payments"}': 1,
}


def _l(**labels: str) -> frozenset:
    return frozenset(labels.items())


# What each panel shows, for the team dashboard with team=payments and for the organisation dashboard.
EXPECTED = {
    (dashboards.TEAM_FILE, "Mean time to acknowledge a page"): {_l(team="payments"): 120},
    (dashboards.TEAM_FILE, "Mean time to resolve a P1"): {_l(team="payments", priority="P1"): 1200},
    (dashboards.TEAM_FILE, "Pages gone within 5m unanswered"): {_l(team="payments"): 0.5},
    (dashboards.TEAM_FILE, "Pages answered at the first step"): {_l(team="payments"): 1},
    (dashboards.TEAM_FILE, "Pages"): {_l(team="payments"): 2},
    (dashboards.TEAM_FILE, "Alert volume trend"): {_l(team="payments"): 0.5},
    (dashboards.TEAM_FILE, "Alerts started in the last day"): {_l(priority="P0"): 2},
    (dashboards.TEAM_FILE, "Mean time to resolve"): {_l(team="payments", priority="P1"): 1200, _l(team="payments", priority="P0"): 120},
    (dashboards.TEAM_FILE, "Incidents, 7 days"): {_l(team="payments", priority="P0"): 1, _l(team="payments", priority="P1"): 1},
    (dashboards.TEAM_FILE, "OnCall alert groups by state"): {_l(team="payments", state="resolved"): 4},
    # Firing, not pending; the flapping report is not counted among the team's alerts.
    (dashboards.TEAM_FILE, "Firing alerts by priority"): {_l(priority="P0"): 1, _l(priority="P1"): 1, _l(priority="P2"): 2},
    (dashboards.TEAM_FILE, "Flapping alerts"): {_l(): 1},
    (dashboards.TEAM_FILE, "KPI targets missed"): {_l(): 0},
    (dashboards.TEAM_FILE, "SLO compliance"): {_l(team="payments"): 1},
    (dashboards.TEAM_FILE, "Error budget remaining"): {
        _l(sloth_id="checkout-success", sloth_service="checkout", sloth_slo="success", team="payments"): 0.75
    },
    (dashboards.TEAM_FILE, "Chaos experiments that found a weakness"): {_l(): 1},
    (dashboards.TEAM_FILE, "Chaos experiment success rate"): {_l(team="payments"): 0.8},
    (dashboards.TEAM_FILE, "Resilience score"): {_l(team="payments"): 82},
    (dashboards.TEAM_FILE, "Recovery time P50"): {_l(team="payments"): 60},
    (dashboards.TEAM_FILE, "Recovery time P95"): {_l(team="payments"): 240},
    (dashboards.TEAM_FILE, "Recovery time P99"): {_l(team="payments"): 290},
    (dashboards.TEAM_FILE, "Chaos-induced alerts"): {_l(): 3},
    (dashboards.TEAM_FILE, "Resilience score by service"): {_l(team="payments", service="checkout"): 82},
    (dashboards.TEAM_FILE, "Failure-mode coverage by service"): {_l(team="payments", service="checkout"): 0.25},
    (dashboards.TEAM_FILE, "Chaos success rate by service"): {_l(team="payments", service="checkout"): 0.8},
    (dashboards.TEAM_FILE, "Recovery time P95 by service"): {_l(team="payments", service="checkout"): 240},
    (dashboards.ORG_FILE, "Mean time to acknowledge a page"): {_l(): (4200 + 480) / (10 + 4)},
    (dashboards.ORG_FILE, "Pages"): {_l(): 14},
    (dashboards.ORG_FILE, "Pages gone within 5m unanswered"): {_l(): (0.25 * 12 + 0.5 * 2) / 14},
    (dashboards.ORG_FILE, "SLO compliance"): {_l(): 0.75},
    (dashboards.ORG_FILE, "Chaos experiments passed"): {_l(): 0.9},
    (dashboards.ORG_FILE, "Mean time to acknowledge, by team"): {_l(team="platform"): 420, _l(team="payments"): 120},
    (dashboards.ORG_FILE, "Mean time to resolve a P1, by team"): {_l(team="platform", priority="P1"): 2700, _l(team="payments", priority="P1"): 1200},
    (dashboards.ORG_FILE, "Pages gone within 5m unanswered, by team"): {_l(team="platform"): 0.25, _l(team="payments"): 0.5},
    (dashboards.ORG_FILE, "Alert volume trend, by team"): {_l(team="platform"): 1.5, _l(team="payments"): 0.5},
    (dashboards.ORG_FILE, "Alerts started in the last day, by team"): {_l(team="platform"): 4, _l(team="payments"): 2},
    (dashboards.ORG_FILE, "Incidents by priority, 7 days"): {_l(priority="P0"): 11, _l(priority="P1"): 3},
    (dashboards.ORG_FILE, "Firing alerts by team and priority"): {
        _l(team="payments", priority="P0"): 1, _l(team="payments", priority="P1"): 1, _l(team="payments", priority="P2"): 2,
        _l(team="platform", priority="P0"): 1,
    },
    (dashboards.ORG_FILE, "KPI targets missed"): {_l(team="platform", alertname="AlertingMTTAAboveTarget"): 1},
    (dashboards.ORG_FILE, "Flapping alerts by team"): {_l(team="payments"): 1},
    (dashboards.ORG_FILE, "SLO compliance by service"): {_l(sloth_service="checkout"): 1, _l(sloth_service="api-gateway"): 0.5},
}


def panels() -> list[tuple[str, str, str]]:
    """(file, panel title, query) of every query in the rendered dashboards, the team variable set to payments."""
    out = []
    for name, text in sorted(FILES.items()):
        for panel in json.loads(text)["panels"]:
            for target in panel.get("targets", []):
                out.append((name, panel["title"], target["expr"].replace("$team", TEAM)))
    return out


@pytest.mark.parametrize(("file", "title", "query"), panels(), ids=[f"{f}: {t}" for f, t, _ in panels()])
def test_every_panel_query_passes_the_promql_parser(file, title, query):
    promql_parser.parse(query)


def test_every_panel_has_a_hand_worked_expectation():
    assert {(f, t) for f, t, _ in panels()} == set(EXPECTED)


@pytest.fixture(scope="module")
def victoria(tmp_path_factory):
    data = tmp_path_factory.mktemp("vm")
    port = free_port()
    log = data / "victoria-metrics.log"
    with running(str(tools.path("victoria-metrics")), f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={data / 'storage'}",
                 "-retentionPeriod=100y", "-loggerLevel=ERROR", log=log):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: urllib.request.urlopen(f"{base}/health", timeout=2).status == 200, "VictoriaMetrics to start", [log])
        stamps = [int((T - timedelta(minutes=1)).timestamp() * 1000), int(T.timestamp() * 1000)]
        body = "".join(f"{series} {value} {ms}\n" for series, value in SYNTHETIC.items() for ms in stamps).encode()
        request = urllib.request.Request(f"{base}/api/v1/import/prometheus", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 204
        urllib.request.urlopen(f"{base}/internal/force_flush", timeout=10).read()
        wait_for(lambda: get_json(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": "count({__name__=~'.+'})", "time": T.timestamp()}))
                 ["data"]["result"], "the synthetic series to be searchable", [log])
        yield base


@pytest.mark.e2e
def test_every_panel_shows_what_the_synthetic_week_holds(victoria):
    wrong = []
    for file, title, query in panels():
        answer = get_json(f"{victoria}/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": T.timestamp()}))
        assert answer["status"] == "success", (title, answer)
        got = {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"): float(r["value"][1]) for r in answer["data"]["result"]}
        expected = EXPECTED[(file, title)]
        if set(got) != set(expected) or any(abs(got[k] - v) > 1e-9 for k, v in expected.items()):
            wrong.append(f"{file}: {title}: {query}\n  expected {expected}\n  got      {got}")
    assert not wrong, "\n".join(wrong)


def test_the_dashboards_are_read_only_and_link_each_other():
    team, org = json.loads(FILES[dashboards.TEAM_FILE]), json.loads(FILES[dashboards.ORG_FILE])
    assert (team["uid"], org["uid"]) == (kpis.TEAM_DASHBOARD_UID, kpis.ORG_DASHBOARD_UID)
    assert team["editable"] is False and org["editable"] is False
    (variable,) = team["templating"]["list"]
    assert variable["name"] == "team" and variable["query"].split(",") == [t.name for t in ORG.teams]
    assert team["links"][0]["url"] == f"/d/{kpis.ORG_DASHBOARD_UID}"


def test_dashboards_render_byte_identically():
    assert dashboards.dashboard_files(catalog.load("example")) == FILES
