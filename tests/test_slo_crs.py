"""Sloth and Pyrra objects: valid against the vendored CRDs, one per SLO, and only the owning engine alerts."""

from __future__ import annotations

import copy

import pytest

import catalog
from cli.checks import validate_object
from model.base import Duration
from model.loading import load_catalog
from model.slo import Engine, resolved_slos
from render.resources import slo as slo_crs
from render.rules import sli, slo as slo_rules
from tests.conftest import DATA

ORGS = {"example": catalog.load("example"), "variety": load_catalog(DATA / "catalogs" / "slo-variety.yaml")}


def _objects(org) -> list[dict]:
    return [*slo_crs.sloth_objects(org), *slo_crs.pyrra_objects(org)]


@pytest.mark.parametrize("name", ORGS)
def test_every_object_is_valid_against_its_crd(name):
    objects = _objects(ORGS[name])
    for obj in objects:
        assert validate_object(obj) == [], obj["metadata"]["name"]


CORRUPTIONS = {
    "Sloth has no period field: the controller's flag sets it.": (0, lambda o: o["spec"]["slos"][0].update(period="30d"), "period"),
    "Pyrra's target is a string.": (1, lambda o: o["spec"].update(target=99.9), "is not of type 'string'"),
    "Pyrra's indicator kinds are fixed.": (1, lambda o: o["spec"]["indicator"].update(raw={"query": "x"}), "raw"),
}


@pytest.mark.parametrize("case", CORRUPTIONS, ids=list(CORRUPTIONS))
def test_an_object_the_crd_would_reject_is_caught(case):
    which, corrupt, expected = CORRUPTIONS[case]
    obj = copy.deepcopy(_objects(ORGS["example"])[0 if which == 0 else -1])
    corrupt(obj)
    assert any(expected in problem for problem in validate_object(obj))


def test_every_slo_has_a_sloth_object_and_a_pyrra_one_where_pyrras_windows_work():
    for org in ORGS.values():
        slos = {r.id: r for r in resolved_slos(org)}
        assert [o["metadata"]["name"] for o in slo_crs.sloth_objects(org)] == list(slos)
        pyrra = [o["metadata"]["name"] for o in slo_crs.pyrra_objects(org)]
        assert pyrra == [i for i, r in slos.items() if r.slo.period >= Duration.parse("2d19h12m")]
    # Pyrra's shortest window at 1d rounds to 0s: its rule group would be invalid.
    assert "data-pipeline-freshness" not in [o["metadata"]["name"] for o in slo_crs.pyrra_objects(ORGS["example"])]


@pytest.mark.parametrize("name", ORGS)
def test_only_the_owning_engine_alerts(name):
    org = ORGS[name]
    by_id = {r.id: r for r in resolved_slos(org)}
    for obj in slo_crs.sloth_objects(org):
        r = by_id[obj["metadata"]["name"]]
        selected = obj["metadata"]["labels"][slo_crs.ENGINE_LABEL] == slo_crs.SLOTH_LABEL_SELECTOR.split("=")[1]
        assert selected == (r.engine == Engine.sloth)
        alerting = obj["spec"]["slos"][0]["alerting"]
        assert (not alerting["pageAlert"].get("disable")) == (r.engine == Engine.sloth and r.slo.alerting.page)
    for obj in slo_crs.pyrra_objects(org):
        r = by_id[obj["metadata"]["name"]]
        owner = r.engine == Engine.pyrra
        assert obj["spec"]["alerting"] == {"name": slo_rules.ALERT, "burnrates": owner, "absent": owner}


def test_sloth_owned_alerts_carry_the_same_routing_labels_as_native_ones():
    (obj,) = [o for o in slo_crs.sloth_objects(ORGS["variety"]) if o["metadata"]["name"] == "gateway-uptime"]
    alerting = obj["spec"]["slos"][0]["alerting"]
    assert alerting["name"] == "ErrorBudgetBurn"
    assert alerting["labels"] == {"team": "ops", "service": "gateway", "slo": "gateway-uptime"}
    assert alerting["pageAlert"]["labels"] == {"severity": "critical", "priority": "P0"}
    assert alerting["ticketAlert"]["labels"] == {"severity": "warning", "priority": "P2"}
    assert set(alerting["annotations"]) == {"runbook_url", "dashboard_url"}


def test_sloths_queries_are_the_native_engines_with_the_window_left_open():
    org = ORGS["example"]
    for r in resolved_slos(org):
        spec = slo_crs.sloth_sli(r)
        recorded = {rule["record"]: rule["expr"] for rule in slo_rules.sli_recordings(r)}
        if "events" in spec:
            for query in spec["events"].values():
                assert "{{.window}}" in query
            # The native engine reads the same queries over its interval, and sums them over every window.
            assert sli.at(spec["events"]["errorQuery"], r.interval) == recorded[f"slo:sli_errors:rate{r.interval}"]
            assert sli.at(spec["events"]["totalQuery"], r.interval) == recorded[f"slo:sli_events:rate{r.interval}"]
        else:
            five = sli.RawQuery(spec["raw"]["errorRatioQuery"])
            assert sli.error_ratio(five, slo_rules.base_window(r)) == recorded["slo:sli_error:ratio_rate5m"]


PYRRA_INDICATORS = {
    "api-gateway-availability": ("ratio", 'http_requests_total{namespace="edge", service="api-gateway", code=~"5.."}'),
    "api-gateway-latency": ("latency", 'http_request_duration_seconds_bucket{namespace="edge", service="api-gateway", le="0.5"}'),
    "checkout-success": ("latency", 'checkout_completed_total{namespace="payments", service="checkout"}'),
    "frontend-page-load": ("latency", r'page_load_seconds_bucket{namespace="storefront", service="frontend", le=~"2(\\.0)?"}'),
    "postgres-availability": ("bool_gauge", 'slo:sli_good:ratio_rate5m{sloth_id="postgres-availability"}'),
}


@pytest.mark.parametrize("slo_id", PYRRA_INDICATORS)
def test_each_sli_kind_maps_to_the_nearest_pyrra_indicator(slo_id):
    (obj,) = [o for o in slo_crs.pyrra_objects(ORGS["example"]) if o["metadata"]["name"] == slo_id]
    kind, first = PYRRA_INDICATORS[slo_id]
    (got_kind, indicator), = obj["spec"]["indicator"].items()
    assert got_kind == kind
    metric = indicator.get("metric") or indicator.get("errors", indicator.get("success"))["metric"]
    assert metric == first


def test_the_series_pyrra_reads_for_a_raw_sli_is_recorded_by_the_platform():
    for org in ORGS.values():
        files = slo_rules.slo_rule_files(org)
        for obj in slo_crs.pyrra_objects(org):
            gauge = obj["spec"]["indicator"].get("bool_gauge")
            if gauge:
                name = gauge["metric"].split("{")[0]
                rules = files[f"slo-{obj['metadata']['name']}.yaml"]["groups"][0]["rules"]
                assert name in {r.get("record") for r in rules}


def test_pyrra_reads_the_target_as_a_string_percent_and_the_period_as_its_window():
    objs = {o["metadata"]["name"]: o for o in slo_crs.pyrra_objects(ORGS["example"])}
    assert objs["postgres-availability"]["spec"]["target"] == "99.95"
    assert objs["checkout-success"]["spec"]["window"] == "1w"
    # Pyrra copies these onto its rules and alerts.
    assert objs["checkout-success"]["metadata"]["labels"]["pyrra.dev/team"] == "payments"


def test_the_artifacts_carry_both_kinds_of_object_for_the_components():
    from cli import recorder
    from stacks import from_values
    from stacks.config import decode

    values, _, _ = recorder.stack_config("dev", {})
    artifacts = from_values("dev", {k: decode(v) for k, v in values.items()}).artifacts
    assert [o["kind"] for o in artifacts.sloth_slos] == ["PrometheusServiceLevel"] * 7
    assert [o["kind"] for o in artifacts.pyrra_slos] == ["ServiceLevelObjective"] * 6
    assert {f"slo-{r.id}.yaml" for r in resolved_slos(ORGS["example"])} <= set(artifacts.rule_files)
