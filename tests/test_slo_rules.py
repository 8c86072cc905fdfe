"""The native SLO engine: Sloth's recording names and labels, the workbook alert shape, one engine per SLO's
alerts, the options users of Sloth and Pyrra ask for, and the error-budget policy."""

from __future__ import annotations

import re

import pytest

import catalog
from model.loading import load_catalog
from model.slo import Engine, resolved_slos
from render.rules import slo as slo_rules
from tests.conftest import DATA

EXAMPLE = catalog.load("example")
VARIETY = load_catalog(DATA / "catalogs" / "slo-variety.yaml")
FILES = {**slo_rules.slo_rule_files(EXAMPLE), **slo_rules.slo_rule_files(VARIETY)}


def _rules(slo_id: str) -> list[dict]:
    (group,) = FILES[f"slo-{slo_id}.yaml"]["groups"]
    return group["rules"]


def _recorded(slo_id: str) -> dict[str, dict]:
    return {r["record"]: r for r in _rules(slo_id) if "record" in r}


def _alerts(slo_id: str, name: str = slo_rules.ALERT) -> dict[str, dict]:
    """The alerts named `name` of an SLO, by severity."""
    return {r["labels"]["severity"]: r for r in _rules(slo_id) if r.get("alert") == name}


SEL = '{sloth_id="api-gateway-availability", sloth_service="api-gateway", sloth_slo="availability"}'


def test_budget_burn_records_each_windows_errors_against_the_periods_average_traffic():
    recorded = _recorded("api-gateway-availability")  # the defaults: budget burn, cascaded form
    windows = [n.removeprefix("slo:sli_error:budget_ratio_rate") for n in recorded if n.startswith("slo:sli_error:budget_")]
    assert windows == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    five = recorded["slo:sli_error:budget_ratio_rate5m"]
    assert five["labels"] == {
        "category": "availability",
        "sloth_id": "api-gateway-availability",
        "sloth_service": "api-gateway",
        "sloth_slo": "availability",
        "sloth_window": "5m",
    }
    assert five["expr"] == f"avg_over_time(slo:sli_errors:rate1m{SEL}[5m])\n/ ignoring (sloth_window)\nslo:sli_events:rate30d{SEL}\n"
    # The period's traffic: the mean of the recorded one-minute event rates.
    assert recorded["slo:sli_events:rate30d"]["expr"] == f"avg_over_time(slo:sli_events:rate1m{SEL}[30d])"


def test_the_cascaded_form_reads_the_raw_series_over_one_interval_only():
    recorded = _recorded("api-gateway-availability")
    assert recorded["slo:sli_errors:rate1m"]["expr"] == (
        'sum(rate(http_requests_total{namespace="edge", service="api-gateway", code=~"5.."}[1m]))'
    )
    assert recorded["slo:sli_events:rate1m"]["expr"] == 'sum(rate(http_requests_total{namespace="edge", service="api-gateway"}[1m]))'
    raw = [name for name, rule in recorded.items() if "http_requests_total" in rule["expr"]]
    assert raw == ["slo:sli_errors:rate1m", "slo:sli_events:rate1m"]
    # Summed windows tile time only when the group runs at their interval.
    (group,) = FILES["slo-api-gateway-availability.yaml"]["groups"]
    assert group["interval"] == "1m"


def test_the_period_ratio_is_traffic_weighted_never_a_mean_of_ratios():
    for r in [*resolved_slos(EXAMPLE), *resolved_slos(VARIETY)]:
        if r.engine == Engine.sloth or not r.counts_events:
            continue
        expr = _recorded(r.id)[f"slo:sli_error:ratio_rate{r.slo.period}"]["expr"]
        slo_id = r.id
        assert expr.startswith("sum_over_time(slo:sli_errors:rate1m{") and "\n/\nsum_over_time(slo:sli_events:rate1m{" in expr, slo_id


def test_ratio_burn_records_sloths_error_ratio_for_every_window_in_either_form():
    direct = _recorded("gateway-errors")  # ratio burn, direct form: Sloth's own expressions
    assert [n.removeprefix("slo:sli_error:ratio_rate") for n in direct if n.startswith("slo:sli_error:ratio_rate")] == [
        "5m", "30m", "1h", "1h24m", "6h", "16h48m", "1w"]
    assert direct["slo:sli_error:ratio_rate5m"]["expr"] == (
        '(sum(rate(requests_total{namespace="edge", service="gateway", code=~"5.."}[5m])))\n/\n'
        '(sum(rate(requests_total{namespace="edge", service="gateway"}[5m])))\n'
    )
    assert not any(n.startswith("slo:sli_error:budget_") for n in direct)
    cascaded = _recorded("gateway-latency")  # ratio burn, cascaded: a ratio of sums of the recorded rates
    sel = '{sloth_id="gateway-latency", sloth_service="gateway", sloth_slo="latency"}'
    assert cascaded["slo:sli_error:ratio_rate1h"]["expr"] == (
        f"sum_over_time(slo:sli_errors:rate1m{sel}[1h])\n/\nsum_over_time(slo:sli_events:rate1m{sel}[1h])\n"
    )


def test_the_direct_form_reads_each_window_from_the_series_and_runs_at_the_interval_its_accounting_sums():
    (group,) = FILES["slo-gateway-errors.yaml"]["groups"]
    assert group["interval"] == "1m"
    (raw,) = FILES["slo-postgres-availability.yaml"]["groups"]  # nothing summed: the evaluator's interval
    assert "interval" not in raw
    freshness = _recorded("exporter-freshness")  # budget burn, direct form
    assert freshness["slo:sli_error:budget_ratio_rate4h48m"]["expr"].startswith(
        '(sum(rate(export_lag_seconds_count{namespace="batch", service="exporter"}[4h48m])) - '
    )
    assert "/ on()\nslo:sli_events:rate2d{" in freshness["slo:sli_error:budget_ratio_rate4h48m"]["expr"]


def test_a_raw_sli_keeps_sloths_windows_and_its_time_averaged_period():
    recorded = _recorded("postgres-availability")
    assert "slo:sli_errors:rate1m" not in recorded and not any(n.startswith("slo:sli_error:budget_") for n in recorded)
    assert recorded["slo:sli_error:ratio_rate30d"]["expr"].startswith("sum_over_time(slo:sli_error:ratio_rate5m{")


def test_sloths_metadata_series_are_all_recorded():
    recorded = _recorded("api-gateway-availability")
    assert {
        "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio", "sloth_slo_info",
    } <= set(recorded)
    assert recorded["slo:objective:ratio"]["expr"] == "vector(0.9990000000000001)"  # what Sloth prints for 99.9
    assert recorded["slo:time_period:days"]["expr"] == "vector(30)"
    assert recorded["sloth_slo_info"]["labels"]["sloth_objective"] == "99.9"


_WINDOW = (
    r"max\((?:slo:sli_error:(?:budget_)?ratio_rate(?P<w{n}>\w+)\{{[^}}]*\}}"  # a direct window's recording
    r"|\((?:sum|avg)_over_time\(slo:sli_errors:rate1m\{{[^}}]*\}}\[(?P<c{n}>\w+)\]\)[^>]*\))"  # a cascaded sum
    r" > \((?P<f{n}>[\d.e-]+) \* (?P<b{n}>[\d.e-]+)\)\) without \(sloth_window\)"
)
_PAIR = re.compile(_WINDOW.format(n=1) + r"\s+and\s+" + _WINDOW.format(n=2))


def _tiers(expr: str) -> set[tuple[str, str, float, float]]:
    """(short, long, factor, budget) of every tier of an alert expression, as the reference suggests comparing."""
    out = set()
    for m in _PAIR.finditer(expr):
        assert (m["f1"], m["b1"]) == (m["f2"], m["b2"])
        out.add((m["w1"] or m["c1"], m["w2"] or m["c2"], float(m["f1"]), float(m["b1"])))
    return out


def test_a_cascaded_alert_sums_its_windows_itself_and_a_direct_one_reads_their_recordings():
    cascaded = _alerts("api-gateway-availability")["critical"]["expr"]
    assert f"max((avg_over_time(slo:sli_errors:rate1m{SEL}[5m]) / ignoring (sloth_window) slo:sli_events:rate30d{SEL})" in cascaded
    assert "budget_ratio_rate" not in cascaded
    direct = _alerts("gateway-errors")["critical"]["expr"]
    assert 'max(slo:sli_error:ratio_rate5m{sloth_id="gateway-errors", sloth_service="gateway", sloth_slo="errors"} >' in direct


def test_the_page_and_ticket_alerts_have_sloths_tiers_for_99_9_over_30d():
    alerts = _alerts("api-gateway-availability")
    budget = 0.0009999999999999432  # (100 - 99.9) / 100, as Sloth computes it
    assert _tiers(alerts["critical"]["expr"]) == {("5m", "1h", 14.4, budget), ("30m", "6h", 6, budget)}
    assert _tiers(alerts["warning"]["expr"]) == {("2h", "1d", 3, budget), ("6h", "3d", 1, budget)}
    assert alerts["critical"]["labels"]["sloth_severity"] == "page"
    assert alerts["warning"]["labels"]["sloth_severity"] == "ticket"


def test_a_7d_slo_gets_windows_and_factors_for_7d():
    alerts = _alerts("checkout-success")
    budget = (100 - 99.5) / 100
    assert _tiers(alerts["critical"]["expr"]) == {("5m", "1h", 3.36, budget), ("30m", "6h", 1.4000000000000001, budget)}
    assert _tiers(alerts["warning"]["expr"]) == {("1h24m", "16h48m", 1, budget)}


def test_every_alert_carries_the_routing_labels_and_annotations():
    for name, content in FILES.items():
        for group in content["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                assert {"team", "service", "severity", "priority", "slo"} <= set(rule["labels"]), (name, rule["alert"])
                assert rule["labels"]["severity"] in ("critical", "warning", "info")
                assert re.fullmatch(r"P[0-3]", rule["labels"]["priority"])
                assert set(rule["annotations"]) == {"summary", "description", "runbook_url", "dashboard_url"}
                # Annotations are static: both test tools must agree on them to the letter.
                assert "{{" not in "".join(rule["annotations"].values())


def test_pages_are_critical_and_tickets_warnings_with_the_priority_of_the_service():
    alerts = _alerts("checkout-success")  # checkout: critical tier, revenue-affecting
    assert (alerts["critical"]["labels"]["priority"], alerts["warning"]["labels"]["priority"]) == ("P0", "P2")


def test_exactly_one_engine_alerts_for_each_slo():
    for org in (EXAMPLE, VARIETY):
        for r in resolved_slos(org):
            native = bool(_alerts(r.id))
            assert native == (r.engine == Engine.native), r.id
    # Pyrra owns `logins`: the platform still records the SLI (for the policy and dashboards) but does not alert.
    assert "slo:sli_error:ratio_rate5m" in _recorded("gateway-logins")
    # Sloth owns `uptime`: Sloth records the SLI; the platform adds only the policy and Pyrra's bridge.
    assert sorted(_recorded("gateway-uptime")) == [
        "slo:deployment_freeze:bool", "slo:period_error_budget_remaining:days_to_exhaustion",
        "slo:period_error_budget_remaining:trend_per_day", "slo:sli_good:ratio_rate5m",
    ]


def test_pending_times_and_the_rule_group_interval_are_applied():
    (group,) = FILES["slo-gateway-availability.yaml"]["groups"]
    assert group["interval"] == "1m"
    assert _alerts("gateway-availability")["critical"]["for"] == "2m"
    assert "for" not in _alerts("gateway-availability")["warning"]


def test_the_low_traffic_guard_joins_every_tier_to_its_event_count():
    recorded = _recorded("exporter-delivery")
    assert {"slo:sli_events:rate1h", "slo:sli_events:rate1d"} <= set(recorded)
    page = _alerts("exporter-delivery")["critical"]["expr"]
    # 50 events in the 1h long window: 50 / 3600 per second.
    assert "max(slo:sli_events:rate1h{" in page and ">= 0.013888888888888888) without (sloth_window)" in page


def test_a_disabled_page_leaves_only_the_ticket():
    assert set(_alerts("exporter-freshness")) == {"warning"}


def test_budget_exhausted_is_an_opt_in_ticket():
    assert set(_alerts("gateway-availability", slo_rules.EXHAUSTED_ALERT)) == {"warning"}
    assert not _alerts("exporter-delivery", slo_rules.EXHAUSTED_ALERT)


def test_the_policy_records_remaining_budget_trend_and_a_freeze_signal_and_alerts_with_freeze_true():
    recorded = _recorded("checkout-success")
    assert recorded["slo:deployment_freeze:bool"]["expr"].endswith("< bool 0.25")  # checkout's own policy
    assert "deriv(slo:period_error_budget_remaining:ratio{" in recorded["slo:period_error_budget_remaining:trend_per_day"]["expr"]
    freeze = _alerts("checkout-success", slo_rules.FREEZE_ALERT)["warning"]
    assert freeze["labels"]["freeze"] == "true"
    assert freeze["expr"].startswith("slo:deployment_freeze:bool{")
    assert _recorded("api-gateway-availability")["slo:deployment_freeze:bool"]["expr"].endswith("< bool 0.1")  # org default


def test_a_period_equal_to_an_alert_window_is_recorded_once():
    names = [r["record"] for r in _rules("data-pipeline-freshness") if "record" in r]
    assert names.count("slo:sli_error:ratio_rate1d") == 1


@pytest.mark.parametrize("org", [EXAMPLE, VARIETY], ids=["example", "variety"])
