"""The alerting KPIs: every recorded value of the shipped rules checked with promtool and vmalert-tool on the
scenario of behaviour/kpis.py, against numbers worked out by hand from that scenario."""

from __future__ import annotations

import subprocess

import pytest

import catalog
from cli import tools
from model.settings import Settings
from behaviour import kpis as kpi_tests
from render.rules import kpis
from render.yamlio import dump
from tests.conftest import stack_values

ORG = catalog.load("example")
END = "12h"
# The scenario's team A is the example's first team with a rotation (platform), B the second (payments).
EXPECTED = {
    'team_priority:alerts:volume7d{priority="P0", team="platform"}': 12,
    'team_priority:alerts:volume7d{priority="P1", team="platform"}': 2,
    'team_priority:alerts:volume7d{priority="P0", team="payments"}': 1,
    'team_priority:alerts:volume7d{priority="P1", team="payments"}': 1,
    # 9 pages of 30 minutes and 3 of 2 minutes: 276 minutes over 12.
    'team_priority:alert_duration_seconds:mean7d{priority="P0", team="platform"}': 1380,
    'team_priority:alert_duration_seconds:mean7d{priority="P1", team="platform"}': 2700,
    'team_priority:alert_duration_seconds:mean7d{priority="P1", team="payments"}': 1200,
    'team_priority:alert_duration_seconds:mean7d{priority="P0", team="payments"}': 120,
    'team:pages_short:ratio7d{team="platform"}': 3 / 14,
    'team:pages_short:ratio7d{team="payments"}': 1 / 2,
    'team:pages:volume7d{team="platform"}': 14,
    'team:pages:volume7d{team="payments"}': 2,
    'team:oncall_response_seconds:mean7d{team="platform"}': 420,
    'team:oncall_response_seconds:mean7d{team="payments"}': 120,
    # platform's second step waits 10 minutes (bucket 600 s: 8 of 10), payments' 5 minutes (bucket 300 s: 4 of 4).
    'team:oncall_answered_at_first_step:ratio7d{team="platform"}': 0.8,
    'team:oncall_answered_at_first_step:ratio7d{team="payments"}': 1.0,
    # Everything happened within the last day: the day holds the whole week's volume, seven times a mean day.
    'team:alerts:volume_trend{team="platform"}': 7,
    'team:alerts:volume_trend{team="payments"}': 7,
    'team_priority:incidents:volume7d{priority="P0", team="platform"}': 12,
    'team_priority:incidents:volume7d{priority="P1", team="payments"}': 1,
    # api-gateway: one SLO within its budget, one past it; checkout within.
    'service:slo_compliance:ratio{sloth_service="api-gateway"}': 0.5,
    'service:slo_compliance:ratio{sloth_service="checkout"}': 1,
    'team:slo_compliance:ratio{team="platform"}': 0.5,
    'team:slo_compliance:ratio{team="payments"}': 1,
}
SLO_INPUTS = [
    {"series": 'slo:period_burn_rate:ratio{sloth_id="api-gateway-availability", sloth_service="api-gateway", sloth_slo="availability"}', "values": "0.5x720"},
    {"series": 'slo:period_burn_rate:ratio{sloth_id="api-gateway-latency", sloth_service="api-gateway", sloth_slo="latency"}', "values": "1.5x720"},
    {"series": 'slo:period_burn_rate:ratio{sloth_id="checkout-success", sloth_service="checkout", sloth_slo="success"}', "values": "0.2x720"},
]


def _settings() -> Settings:
    from stacks.config import parse_settings

    return parse_settings(stack_values("prod"), "Pulumi.prod.yaml")


@pytest.fixture(scope="module")
def rule_file(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kpis")
    (directory / kpis.KPI_FILE).write_text(dump(kpis.kpi_rule_files(ORG, _settings())[kpis.KPI_FILE]))
    return directory


def _test_file(directory, key: str) -> str:
    found = kpi_tests.scenario(ORG)
    assert [t.name for t in found.teams.values()] == ["platform", "payments"]
    checks = [
        # VictoriaMetrics keeps 14 significant digits of a sample (lossy compression); vmalert-tool compares exactly.
        {"expr": expr, "eval_time": END, "exp_samples": [{"labels": expr, "value": float(f"{value:.14g}") if key == "metricsql_expr_test" else value}]}
        for expr, value in EXPECTED.items()
    ]
    doc = {
        "rule_files": [kpis.KPI_FILE],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": found.input_series + SLO_INPUTS, key: checks}],
    }
    path = directory / f"values-{key}.yaml"
    path.write_text(dump(doc))
    return str(path)


def test_promtool_records_every_kpi_value_worked_out_by_hand(rule_file):
    result = subprocess.run([str(tools.path("promtool")), "test", "rules", _test_file(rule_file, "promql_expr_test")],
                            capture_output=True, text=True, cwd=rule_file, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_vmalert_records_every_kpi_value_worked_out_by_hand(rule_file):
    result = subprocess.run([str(tools.path("vmalert-tool")), "unittest", "--disableAlertgroupLabel", "--files",
                             _test_file(rule_file, "metricsql_expr_test")], capture_output=True, text=True, cwd=rule_file, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_target_alerts_fire_for_the_teams_that_miss_them_with_the_value_in_their_text():
    files = kpi_tests.kpi_rule_tests(ORG, _settings())
    tests = files[kpis.KPI_FILE]["tests"][0]["alert_rule_test"]
    fired = {t["alertname"]: [(a["exp_labels"]["team"], a["exp_annotations"]["summary"]) for a in t["exp_alerts"]] for t in tests}
    assert fired == {
        "AlertingMTTAAboveTarget": [("platform", "platform: pages wait 7m 0s for an answer on average (target 5m)")],
        "AlertingMTTRAboveTarget": [("platform", "platform: P1 alerts take 45m 0s to resolve on average (target 30m)")],
        "AlertingFalsePositivesAboveTarget": [
            ("platform", "platform: 21.43% of pages resolved by themselves within 5m (target 5%)")
        ],
    }


def test_kpi_alerts_are_p3_tickets_for_the_owning_team_and_left_out_of_the_kpis():
    for rule in kpis.kpi_alerts(ORG, _settings()):
        assert rule["labels"]["priority"] == "P3" and rule["labels"]["meta"] == "true"
        assert rule["labels"]["team"] in {t.name for t in ORG.teams}
        assert {"summary", "description", "runbook_url", "dashboard_url"} <= set(rule["annotations"])
        assert rule["annotations"]["dashboard_url"].endswith(f"/d/{kpis.TEAM_DASHBOARD_UID}?var-team={rule['labels']['team']}")
    assert all('meta!="true"' in r["expr"] for r in kpis.event_rules(ORG))


@pytest.mark.parametrize(
    ("team", "bucket"), [("platform", 600), ("payments", 300), ("storefront", 600), ("data", 600)],
    ids=["A 10m second step counts answers within 600 s.", "A 5m second step counts answers within 300 s.",
         "A 15m second step counts answers within 600 s: OnCall has no 900 s bucket.", "A 30m second step counts answers within 600 s."],
)
def test_a_page_answered_at_the_first_step_is_one_answered_before_the_second_step_pages(team, bucket):
    assert kpis.first_step_bucket(ORG.team(team)) == bucket
