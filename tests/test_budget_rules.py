"""Performance budgets as rules: a recorded signal and the alerts of each limit, with the example's numbers."""

from __future__ import annotations

import pytest

import catalog
from model.loading import load_catalog
from render import budgets
from tests.conftest import DATA

EXAMPLE = budgets.budget_rule_files(catalog.load("example"))
VARIETY = budgets.budget_rule_files(load_catalog(DATA / "catalogs" / "slo-variety.yaml"))


def _rules(files: dict, name: str) -> list[dict]:
    (group,) = files[name]["groups"]
    return group["rules"]


def _alerts(files: dict, name: str) -> dict[tuple[str, str], dict]:
    """(alert, signal) -> rule."""
    return {(r["alert"], r["labels"]["signal"]): r for r in _rules(files, name) if "alert" in r}


def test_one_rule_file_per_budget():
    assert sorted(EXAMPLE) == ["budget-checkout-api.yaml", "budget-frontend-web-vitals.yaml", "budget-postgres-database-nodes.yaml"]


EXAMPLE_BOUNDS = {
    # The example's budgets: web vitals at the 75th percentile, the checkout API, the database nodes.
    ("budget-frontend-web-vitals.yaml", "lcp"): "> 2.5",
    ("budget-frontend-web-vitals.yaml", "fcp"): "> 1.8",
    ("budget-frontend-web-vitals.yaml", "cls"): "> 0.1",
    ("budget-frontend-web-vitals.yaml", "inp"): "> 0.2",
    ("budget-frontend-web-vitals.yaml", "fid"): "> 0.1",
    ("budget-checkout-api.yaml", "api_p99"): "> 1",
    ("budget-checkout-api.yaml", "db_query_p95"): "> 0.1",
    ("budget-checkout-api.yaml", "error_rate"): "> 0.01",
    ("budget-postgres-database-nodes.yaml", "cpu"): "< 0.95",
    ("budget-postgres-database-nodes.yaml", "memory"): "< 0.95",
    ("budget-postgres-database-nodes.yaml", "disk_io"): "< 0.95",
    ("budget-postgres-database-nodes.yaml", "network_latency_p99"): "> 0.01",
}


@pytest.mark.parametrize("key", EXAMPLE_BOUNDS, ids=[f"{f} {s}" for f, s in EXAMPLE_BOUNDS])
def test_every_fixed_bound_becomes_a_breach_alert(key):
    file, signal = key
    rule = _alerts(EXAMPLE, file)[(budgets.BREACH, signal)]
    assert rule["expr"].endswith(EXAMPLE_BOUNDS[key])
    assert {"team", "service", "severity", "priority", "budget", "signal"} <= set(rule["labels"])
    assert set(rule["annotations"]) == {"summary", "description", "runbook_url", "dashboard_url"}


def test_web_vitals_are_recorded_at_the_budgets_percentile():
    recorded = {r["record"]: r["expr"] for r in _rules(EXAMPLE, "budget-frontend-web-vitals.yaml") if "record" in r}
    assert recorded["budget:web_vitals_lcp_seconds:p75"] == (
        'histogram_quantile(0.75, sum by (le) (rate(web_vitals_lcp_seconds_bucket{namespace="storefront", service="frontend"}[5m])))'
    )


def test_a_seasonal_threshold_replaces_the_fixed_bound():
    alerts = _alerts(EXAMPLE, "budget-frontend-web-vitals.yaml")
    assert (budgets.ANOMALY, "page_load") in alerts and (budgets.BREACH, "page_load") not in alerts
    expr = alerts[(budgets.ANOMALY, "page_load")]["expr"]
    assert "[5m] offset 1w" in expr and "[5m] offset 2w" in expr  # the same moment in each of the last 2 weeks
    assert "max(stddev_over_time(budget:page_load_seconds:p75{" in expr and expr.rstrip().endswith("> 3")


def test_a_regression_compares_with_the_same_hour_last_week_or_the_7_day_median():
    same_hour = _alerts(EXAMPLE, "budget-frontend-web-vitals.yaml")[(budgets.REGRESSION, "lcp")]["expr"]
    assert "[5m] offset 1w)))) * 1.2" in same_hour
    median = _alerts(VARIETY, "budget-exporter-nodes.yaml")[(budgets.REGRESSION, "network_latency_p99")]["expr"]
    assert "max(quantile_over_time(0.5, budget:goldpinger_peers_response_time_s:p99{" in median and median.rstrip().endswith("* 1.5")


def test_throughput_is_judged_against_its_baseline():
    rule = _alerts(EXAMPLE, "budget-checkout-api.yaml")[(budgets.BREACH, "throughput")]
    assert rule["expr"].startswith('(sum(rate(http_server_request_duration_seconds_count{namespace="payments", service="checkout"}[5m])))\n< ')
    assert "offset 1w))) * 0.7" in rule["expr"]


def test_utilisation_is_judged_as_a_share_of_time_under_the_target():
    recorded = {r["record"]: r["expr"] for r in _rules(EXAMPLE, "budget-postgres-database-nodes.yaml") if "record" in r}
    assert recorded["budget:node_cpu_utilisation:ratio"] == '1 - avg(rate(node_cpu_seconds_total{node_pool="databases", mode="idle"}[5m]))'
    assert recorded["budget:node_cpu_utilisation:under_target"].endswith("< bool 0.8")
    assert recorded["budget:node_cpu_utilisation:share_under_target"].endswith("[1d])")
