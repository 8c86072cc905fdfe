"""Performance budgets as rules: a recorded signal and the alerts of each limit, with the report's numbers."""

from __future__ import annotations

import pytest

import catalog
from model.loading import load_catalog
from render.rules import budgets
from tests.conftest import DATA

EXAMPLE = budgets.budget_rule_files(catalog.load("example"))
VARIETY = budgets.budget_rule_files(load_catalog(DATA / "catalogs" / "slo-variety.yaml"))
FRONTEND, BACKEND, NODES = "budget-frontend-web-vitals.yaml", "budget-checkout-api.yaml", "budget-postgres-database-nodes.yaml"


def _rules(files: dict, name: str) -> list[dict]:
    (group,) = files[name]["groups"]
    return group["rules"]


def _alerts(files: dict, name: str) -> dict[tuple[str, str], dict]:
    """(alert, signal) -> rule."""
    return {(r["alert"], r["labels"]["signal"]): r for r in _rules(files, name) if "alert" in r}


def _recorded(files: dict, name: str) -> dict[str, str]:
    return {r["record"]: r["expr"] for r in _rules(files, name) if "record" in r}


def test_one_rule_file_per_budget():
    assert sorted(EXAMPLE) == [BACKEND, FRONTEND, NODES]


# The implementation report's performance budgets, as it states them, and the comparison each breach alert must
# end with. Percentiles are the "95% under" of the report; shares of time its "90% of time under 80%".
REPORT = {
    "Page Load Time: 95% under 2.0 seconds": (FRONTEND, "page_load", "budget:page_load_seconds:p95", "> 2"),
    "First Contentful Paint: 95% under 1.5 seconds": (FRONTEND, "fcp", "budget:web_vitals_fcp_seconds:p95", "> 1.5"),
    "Largest Contentful Paint: 95% under 2.5 seconds": (FRONTEND, "lcp", "budget:web_vitals_lcp_seconds:p95", "> 2.5"),
    "Cumulative Layout Shift: 95% under 0.1": (FRONTEND, "cls", "budget:web_vitals_cls:p95", "> 0.1"),
    "First Input Delay: 95% under 100ms": (FRONTEND, "fid", "budget:web_vitals_fid_seconds:p95", "> 0.1"),
    "API Response Time: 99% under 200ms": (BACKEND, "api_p99", "budget:http_server_request_duration_seconds:p99", "> 0.2"),
    "Database Query Time: 95% under 100ms": (BACKEND, "db_query_p95", "budget:db_client_operation_duration_seconds:p95", "> 0.1"),
    "Error Rate: 99.9% success rate": (BACKEND, "error_rate", "budget:http_server_request_duration_seconds:error_ratio", "> 0.001"),
    "Throughput: 95% of baseline capacity": (BACKEND, "throughput", "budget:http_server_request_duration_seconds:throughput", "* 0.95\n"),
    "Memory Usage (backend): 90% of time under 80% utilization": (
        BACKEND, "memory", "budget:container_memory_utilisation:share_under_target", "< 0.9"),
    "CPU Usage: 85% of time under 70% utilization": (NODES, "cpu", "budget:node_cpu_utilisation:share_under_target", "< 0.85"),
    "Memory Usage (infrastructure): 90% of time under 80% utilization": (
        NODES, "memory", "budget:node_memory_utilisation:share_under_target", "< 0.9"),
    "Disk I/O: 90% of time under 80% utilization": (NODES, "disk_io", "budget:node_disk_io_utilisation:share_under_target", "< 0.9"),
    "Network Latency: 95% under 10ms internal communication": (
        NODES, "network_latency", "budget:goldpinger_peers_response_time_s:p95", "> 0.01"),
}


@pytest.mark.parametrize("line", REPORT, ids=list(REPORT))
def test_every_budget_of_the_report_is_a_recorded_signal_and_a_breach_alert(line):
    file, signal, record, comparison = REPORT[line]
    assert record in _recorded(EXAMPLE, file)
    rule = _alerts(EXAMPLE, file)[(budgets.BREACH, signal)]
    assert rule["expr"].endswith(comparison)
    assert {"team", "service", "severity", "priority", "budget", "signal"} <= set(rule["labels"])
    assert set(rule["annotations"]) == {"summary", "description", "runbook_url", "dashboard_url"}


def test_web_vitals_are_recorded_at_the_reports_95th_percentile():
    recorded = _recorded(EXAMPLE, FRONTEND)
    assert recorded["budget:web_vitals_lcp_seconds:p95"] == (
        'histogram_quantile(0.95, sum by (le) (rate(web_vitals_lcp_seconds_bucket{namespace="storefront", service="frontend"}[5m])))'
    )


def test_a_shares_window_and_level_are_the_budgets():
    recorded = _recorded(EXAMPLE, NODES)
    assert recorded["budget:node_cpu_utilisation:under_target"].endswith("< bool 0.7")
    assert recorded["budget:node_cpu_utilisation:share_under_target"] == (
        'avg_over_time(budget:node_cpu_utilisation:under_target{budget="database-nodes", service="postgres"}[1d])'
    )


def test_node_utilisation_is_node_exporters_per_node():
    recorded = _recorded(EXAMPLE, NODES)
    assert recorded["budget:node_cpu_utilisation:ratio"] == (
        '1 - avg by (instance) (\n'
        '  sum without (mode) (rate(node_cpu_seconds_total{node_pool="databases", mode=~"idle|iowait|steal"}[5m]))\n)'
    )
    assert recorded["budget:node_memory_utilisation:ratio"] == (
        '1 - sum by (instance) (node_memory_MemAvailable_bytes{node_pool="databases"})'
        ' / sum by (instance) (node_memory_MemTotal_bytes{node_pool="databases"})'
    )
    assert recorded["budget:node_disk_io_utilisation:ratio"] == (
        'max by (instance) (rate(node_disk_io_time_seconds_total{node_pool="databases"}[5m]))'
    )
    description = _alerts(EXAMPLE, NODES)[(budgets.BREACH, "cpu")]["annotations"]["description"]
    assert description.startswith("node {{ $labels.instance }} has spent less than 85% of the last 1d under 70% CPU")


def test_backend_memory_is_the_fullest_container_of_the_service_against_its_limit():
    expr = _recorded(EXAMPLE, BACKEND)["budget:container_memory_utilisation:ratio"]
    scope = 'namespace="payments", pod=~"checkout-.*", container!=""'
    assert f"max by (namespace, pod, container) (container_memory_working_set_bytes{{{scope}}})" in expr
    assert f"max by (namespace, pod, container) (container_spec_memory_limit_bytes{{{scope}}} > 0)" in expr
    assert expr.startswith("max(")


def test_a_seasonal_threshold_can_stand_beside_the_fixed_bound():
    alerts = _alerts(EXAMPLE, FRONTEND)
    assert (budgets.ANOMALY, "page_load") in alerts and (budgets.BREACH, "page_load") in alerts
    expr = alerts[(budgets.ANOMALY, "page_load")]["expr"]
    assert "[5m] offset 1w" in expr and "[5m] offset 2w" in expr  # the same moment in each of the last 2 weeks
    assert "max (stddev_over_time(budget:page_load_seconds:p95{" in expr and expr.rstrip().endswith("> 3")
    # Alone, it replaces the bound.
    variety = _alerts(VARIETY, "budget-gateway-traffic.yaml")
    assert (budgets.ANOMALY, "error_rate") in variety and (budgets.BREACH, "error_rate") not in variety


def _history_alerts(files: dict, name: str) -> set[tuple[str, str]]:
    return {(a, s) for a, s in _alerts(files, name) if a != budgets.BREACH or s == "throughput"}


def test_every_tier_is_judged_against_the_same_hour_last_week_the_7_day_median_and_past_weeks():
    expected = {
        FRONTEND: {(budgets.REGRESSION, "lcp"), (budgets.REGRESSION, "fcp"), (budgets.ANOMALY, "page_load")},
        BACKEND: {(budgets.REGRESSION, "api_p99"), (budgets.REGRESSION, "db_query_p95"), (budgets.BREACH, "throughput"),
                  (budgets.ANOMALY, "throughput")},
        NODES: {(budgets.REGRESSION, "cpu"), (budgets.REGRESSION, "memory"), (budgets.ANOMALY, "disk_io")},
    }
    for file, alerts in expected.items():
        assert _history_alerts(EXAMPLE, file) == alerts, file
        exprs = [_alerts(EXAMPLE, file)[key]["expr"] for key in alerts]
        assert any(" offset 1w" in e and "stddev_over_time(" not in e for e in exprs), f"{file}: same hour last week"
        assert any("(quantile_over_time(0.5, " in e and "[7d]))" in e for e in exprs), f"{file}: 7-day median"
        assert any("stddev_over_time(" in e for e in exprs), f"{file}: seasonal"


def test_the_7_day_median_keeps_a_nodes_own_series():
    median = _alerts(EXAMPLE, NODES)[(budgets.REGRESSION, "memory")]["expr"]
    assert "max by (instance) (quantile_over_time(0.5, budget:node_memory_utilisation:ratio{" in median
    assert median.rstrip().endswith("* 1.2")
    latency = _alerts(VARIETY, "budget-exporter-nodes.yaml")[(budgets.REGRESSION, "network_latency")]["expr"]
    assert "max (quantile_over_time(0.5, budget:goldpinger_peers_response_time_s:p99{" in latency


def test_a_regression_compares_with_the_same_hour_last_week():
    same_hour = _alerts(EXAMPLE, FRONTEND)[(budgets.REGRESSION, "lcp")]["expr"]
    assert "[5m] offset 1w)))) * 1.2" in same_hour
    cpu = _alerts(EXAMPLE, NODES)[(budgets.REGRESSION, "cpu")]["expr"]
    assert "[5m] offset 1w))\n)) * 1.2" in cpu


def test_throughput_is_judged_against_its_baseline():
    rule = _alerts(EXAMPLE, BACKEND)[(budgets.BREACH, "throughput")]
    assert rule["expr"].startswith('(sum(rate(http_server_request_duration_seconds_count{namespace="payments", service="checkout"}[5m])))\n< ')
    assert "offset 1w))) * 0.95" in rule["expr"]
