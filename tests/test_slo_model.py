"""SLOs and performance budgets in a catalog: good ones load, each kind of bad one is refused with file and field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from model.catalog import Organisation
from model.errors import InputError
from model.loading import load_catalog
from model.slo import Engine, LatencySLI, RatioSLI, resolved_slos
from tests.conftest import write_yaml

AVAILABILITY = {
    "name": "availability",
    "objective": 99.9,
    "sli": {"kind": "ratio", "total": "http_requests_total", "errors": 'http_requests_total{code=~"5.."}'},
}


def _slo(doc: dict, **changes) -> dict:
    """Give the `web` service of the small catalog one SLO (the availability one, changed) and return it."""
    slo = {**AVAILABILITY, **changes}
    doc["teams"][0]["services"][0]["slos"] = [slo]
    return slo


def _budget(doc: dict, budget: dict) -> None:
    doc["teams"][0]["services"][0]["budgets"] = [budget]


WEB = "teams[0].services[0]"
Mutation = Callable[[dict], None]

BAD_INPUTS: dict[str, tuple[Mutation, str]] = {
    "An objective of 100% leaves no budget and is refused.": (
        lambda d: _slo(d, objective=100),
        f"{WEB}.slos[0].objective: Input should be less than 100",
    ),
    "An SLI without its kind is refused.": (
        lambda d: _slo(d, sli={"total": "x_total", "errors": "y_total"}),
        f"{WEB}.slos[0].sli: `kind` is missing: give one of ratio, latency, freshness, raw",
    ),
    "A ratio with both errors and good counters is refused.": (
        lambda d: _slo(d, sli={**AVAILABILITY["sli"], "good": "ok_total"}),
        f"{WEB}.slos[0].sli: give exactly one of `errors` or `good` next to `total`",
    ),
    "A selector that is not PromQL is refused.": (
        lambda d: _slo(d, sli={**AVAILABILITY["sli"], "errors": "rate(http_requests_total[5m])"}),
        f"{WEB}.slos[0].sli.errors: 'rate(http_requests_total[5m])' is not a series selector: write a metric name with optional label matchers, not an expression",
    ),
    "Errors that are not a part of the total are refused.": (
        lambda d: _slo(d, sli={"kind": "ratio", "total": 'http_requests_total{code="200"}', "errors": 'http_requests_total{code="500"}'}),
        f'{WEB}.slos[0].sli.errors: http_requests_total{{namespace="web", service="web", code="500"}} must select a part of '
        'http_requests_total{namespace="web", service="web", code="200"}; no series matches both',
    ),
    "A raw query without the window placeholder is refused.": (
        lambda d: _slo(d, sli={"kind": "raw", "error_ratio_query": "1 - avg(up)", "fixture": {"gauge": "up"}}),
        f"{WEB}.slos[0].sli.error_ratio_query: must contain {{{{.window}}}} where the range goes, e.g. avg_over_time(up[{{{{.window}}}}])",
    ),
    "A raw SLI needs a fixture for its behaviour tests.": (
        lambda d: _slo(d, sli={"kind": "raw", "error_ratio_query": "1 - avg(avg_over_time(up[{{.window}}]))"}),
        f"{WEB}.slos[0].sli.fixture: Field required",
    ),
    "A label the platform sets itself is refused.": (
        lambda d: _slo(d, labels={"severity": "high"}),
        f"{WEB}.slos[0].labels: Value error, label 'severity' is set by the platform; choose another name".replace("Value error, ", ""),
    ),
    "Two SLOs of one name on a service are refused.": (
        lambda d: d["teams"][0]["services"][0].update(slos=[AVAILABILITY, AVAILABILITY]),
        f"{WEB}.slos[1].name: duplicate SLO name 'availability' in service 'web'",
    ),
    "An SLO owned by an unknown team is refused.": (
        lambda d: _slo(d, owner="ghosts"),
        f"{WEB}.slos[0].owner: unknown team 'ghosts'",
    ),
    "An unknown alerting profile is refused with the known ones.": (
        lambda d: _slo(d, alerting={"profile": "fastest"}),
        f"{WEB}.slos[0].alerting.profile: unknown profile 'fastest'; profiles are: pyrra, workbook",
    ),
    "A page tier that needs more than 100% errors is refused: it could never fire.": (
        lambda d: _slo(d, objective=90, alerting={"profile": "pyrra", "burn": "ratio"}, period="28d"),
        f"{WEB}.slos[0].alerting.profile: the page tier 14x over 5m/1h needs an error ratio of 140% for a 90% objective: "
        "it can never fire; choose a profile with lower factors",
    ),
    "A budget-true page tier that a total outage at average traffic cannot fire is refused.": (
        lambda d: _slo(d, objective=90, alerting={"profile": "pyrra"}, period="28d"),
        f"{WEB}.slos[0].alerting.profile: the page tier 14x over 5m/1h needs errors at 140% of the period's average "
        "traffic for a 90% objective: even a total outage cannot fire it; choose a profile with lower factors",
    ),
    "Budget-true burn is refused for an engine that measures ratios.": (
        lambda d: _slo(d, period="28d", alerting={"engine": "pyrra", "burn": "budget"}),
        f"{WEB}.slos[0].alerting.burn: the pyrra engine measures burn as the window's error ratio; leave burn unset",
    ),
    "Budget-true burn is refused for a raw SLI, which has no event counts.": (
        lambda d: _slo(d, sli={"kind": "raw", "error_ratio_query": "1 - avg(avg_over_time(up[{{.window}}]))",
                               "fixture": {"gauge": "up"}}, alerting={"burn": "budget"}),
        f"{WEB}.slos[0].alerting.burn: a raw SLI has no event counts to weigh a window against the period's traffic; "
        "use burn: ratio, or a ratio, latency or freshness SLI",
    ),
    "The cascaded form is refused for a raw SLI, whose query cannot be split into rates.": (
        lambda d: _slo(d, sli={"kind": "raw", "error_ratio_query": "1 - avg(avg_over_time(up[{{.window}}]))",
                               "fixture": {"gauge": "up"}}, alerting={"form": "cascaded"}),
        f"{WEB}.slos[0].alerting.form: a raw SLI's query cannot be split into error and event rates to cascade; use form: direct",
    ),
    "An evaluation form is refused for Sloth, which computes its own windows.": (
        lambda d: _slo(d, alerting={"engine": "sloth", "form": "direct"}),
        f"{WEB}.slos[0].alerting.form: Sloth computes its own windows; leave form unset",
    ),
    "A cascaded window that is not a whole number of intervals is refused.": (
        lambda d: _slo(d, alerting={"interval": "7m"}),
        f"{WEB}.slos[0].alerting.interval: the cascaded form sums 7m rates, and the 5m window is not a whole number "
        "of 7m; choose an interval that divides every window, or form: direct",
    ),
    "A custom window longer than the period is refused.": (
        lambda d: (d.update(slo_defaults={"profiles": {"slow": {"tiers": [{"severity": "ticket", "factor": 1, "long": "3d"}]}}}),
                   _slo(d, period="1d", alerting={"profile": "slow"})),
        f"{WEB}.slos[0].alerting.profile: the ticket tier 1x over 6h/3d: the long window is longer than the 1d period",
    ),
    "A tier that fires only after the whole budget is spent is refused.": (
        lambda d: (d.update(slo_defaults={"profiles": {"late": {"tiers": [{"severity": "ticket", "factor": 2, "long": "1d"}]}}}),
                   _slo(d, period="1d", alerting={"profile": "late"})),
        f"{WEB}.slos[0].alerting.profile: the ticket tier 2x over 2h/1d spends 200% of the 1d budget before it can fire; "
        "shorten its windows or lower its factor",
    ),
    "A custom tier below 1x would fire within budget and is refused.": (
        lambda d: d.update(slo_defaults={"profiles": {"lax": {"tiers": [{"severity": "page", "factor": 0.5, "long": "1h"}]}}}),
        "slo_defaults.profiles.lax.tiers[0].factor: Input should be greater than or equal to 1",
    ),
    "Sloth cannot own an SLO whose period its controller does not run with.": (
        lambda d: _slo(d, period="7d", alerting={"engine": "sloth"}),
        f"{WEB}.slos[0].period: the Sloth controller runs with a 30d period (slo_defaults.sloth_period); "
        "use the native engine for other periods",
    ),
    "Options only the native engine has are refused for Pyrra.": (
        lambda d: _slo(d, period="28d", alerting={"engine": "pyrra", "page_for": "5m"}),
        f"{WEB}.slos[0].alerting.page_for: only the native engine supports page_for; the pyrra engine would ignore it",
    ),
    "Pyrra's own windows cannot be swapped for another profile.": (
        lambda d: _slo(d, period="28d", alerting={"engine": "pyrra", "profile": "workbook"}),
        f"{WEB}.slos[0].alerting.profile: the pyrra engine computes its own windows (pyrra); leave profile unset",
    ),
    "A period so short that Pyrra's windows round to nothing is refused for Pyrra.": (
        lambda d: _slo(d, period="12h", alerting={"engine": "pyrra"}),
        f"{WEB}.slos[0].period: the page tier 14x over 0s/1m rounds to a 0s window at this period; use the native engine",
    ),
    "Sloth ships windows for 28d and 30d only.": (
        lambda d: d.update(slo_defaults={"sloth_period": "7d"}),
        "slo_defaults.sloth_period: Sloth ships windows for 28d and 30d only",
    ),
    "A budget without any limit is refused.": (
        lambda d: _budget(d, {"kind": "frontend", "name": "web-vitals"}),
        f"{WEB}.budgets[0]: give at least one of: lcp, fcp, cls, inp, fid, page_load",
    ),
    "A limit with neither a fixed bound nor a seasonal threshold is refused.": (
        lambda d: _budget(d, {"kind": "frontend", "name": "vitals", "lcp": {"regression": {"tolerance": 0.2}}}),
        f"{WEB}.budgets[0].lcp: give `max`, `seasonal` or both (a seasonal threshold alone replaces the fixed bound)",
    ),
    "The old p99-only network latency names its replacement.": (
        lambda d: _budget(d, {"kind": "infrastructure", "name": "nodes", "network_latency_p99": "10ms"}),
        (f"{WEB}.budgets[0]: `network_latency_p99` is now `network_latency` with a percentile: write "
         "`network_latency: {max: 10ms, percentile: 99}`"),
    ),
    "A share of time is a share below 1.": (
        lambda d: _budget(d, {"kind": "infrastructure", "name": "nodes", "cpu": {"under": 0.7, "share": 85}}),
        f"{WEB}.budgets[0].cpu.share: Input should be less than 1",
    ),
    "An error-rate bound is a share below 1.": (
        lambda d: _budget(d, {"kind": "backend", "name": "api", "error_rate": 5}),
        f"{WEB}.budgets[0].error_rate.max: Input should be less than 1",
    ),
    "Two budgets of one name on a service are refused.": (
        lambda d: d["teams"][0]["services"][0].update(
            budgets=[{"kind": "backend", "name": "api", "error_rate": 0.01}, {"kind": "backend", "name": "api", "api_p99": "1s"}]
        ),
        f"{WEB}.budgets[1].name: duplicate budget name 'api' in service 'web'",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_slo_or_budget_input_is_refused_with_file_and_field(case, tmp_path, small_catalog_doc):
    mutate, expected = BAD_INPUTS[case]
    mutate(small_catalog_doc)
    path = write_yaml(tmp_path / "catalog.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: {expected}" in str(exc.value).splitlines()


def _report_defaults(frontend, backend, nodes) -> bool:
    return (frontend.percentile, backend.throughput.min_of_baseline, nodes.network_latency.percentile) == (95, 0.95, 95)


GOOD_INPUTS: dict[str, tuple[Mutation, Callable[[Organisation], bool]]] = {
    "An SLO takes the workbook profile and the native engine by default.": (
        lambda d: _slo(d),
        lambda o: [(r.engine, r.profile, [w.factor for w in r.windows]) for r in resolved_slos(o)]
        == [(Engine.native, "workbook", [14.4, 6.0, 3.0, 1.0])],
    ),
    "Any period works, with windows that fit it.": (
        lambda d: _slo(d, period="1d"),
        lambda o: all(w.long <= o.teams[0].services[0].slos[0].period for r in resolved_slos(o) for w in r.windows),
    ),
    "A latency SLI names the histogram and the threshold.": (
        lambda d: _slo(d, sli={"kind": "latency", "histogram": "http_request_duration_seconds", "under": "300ms"}),
        lambda o: isinstance(o.teams[0].services[0].slos[0].sli, LatencySLI),
    ),
    "A good-over-total ratio loads.": (
        lambda d: _slo(d, sli={"kind": "ratio", "total": "logins_total", "good": 'logins_total{result="ok"}'}),
        lambda o: isinstance(o.teams[0].services[0].slos[0].sli, RatioSLI),
    ),
    "Another team may own an SLO of a service.": (
        lambda d: _slo(d, owner="apps"),
        lambda o: next(resolved_slos(o)).team.name == "apps",
    ),
    "The organisation's defaults apply where an SLO says nothing.": (
        lambda d: (d.update(slo_defaults={"engine": "pyrra", "policy": {"freeze_below": 0.2}}), _slo(d, period="28d")),
        lambda o: (next(resolved_slos(o)).engine, next(resolved_slos(o)).policy.freeze_below) == (Engine.pyrra, 0.2),
    ),
    "A budget limit may be written as its bare bound.": (
        lambda d: _budget(d, {"kind": "frontend", "name": "web-vitals", "lcp": "2500ms", "cls": 0.1}),
        lambda o: o.teams[0].services[0].budgets[0].lcp.max.milliseconds == 2500,
    ),
    "Percentiles and the throughput floor default to the report's 95%.": (
        lambda d: d["teams"][0]["services"][0].update(budgets=[
            {"kind": "frontend", "name": "web-vitals", "lcp": "2500ms"},
            {"kind": "backend", "name": "api", "throughput": {}},
            {"kind": "infrastructure", "name": "nodes", "network_latency": "10ms"},
        ]),
        lambda o: _report_defaults(*o.teams[0].services[0].budgets),
    ),
    "A seasonal threshold may stand beside a fixed bound.": (
        lambda d: _budget(d, {"kind": "frontend", "name": "vitals", "page_load": {"max": "2s", "seasonal": {"weeks": 2}}}),
        lambda o: o.teams[0].services[0].budgets[0].page_load.seasonal.weeks == 2,
    ),
    "A backend memory budget is a share of time under a utilisation.": (
        lambda d: _budget(d, {"kind": "backend", "name": "api", "memory": {"under": 0.8, "share": 0.9, "over": "12h"}}),
        lambda o: str(o.teams[0].services[0].budgets[0].memory.over) == "12h",
    ),
}


@pytest.mark.parametrize("case", GOOD_INPUTS, ids=list(GOOD_INPUTS))
def test_good_slo_or_budget_input_loads_into_the_model(case, tmp_path, small_catalog_doc):
    mutate, holds = GOOD_INPUTS[case]
    mutate(small_catalog_doc)
    org = load_catalog(write_yaml(tmp_path / "catalog.yaml", small_catalog_doc))
    assert holds(org)


def test_the_example_carries_the_seven_slos_with_their_objectives_and_periods():
    import catalog

    got = {r.id: (r.slo.objective, str(r.slo.period)) for r in resolved_slos(catalog.load("example"))}
    assert got == {
        "api-gateway-availability": (99.9, "30d"),
        "api-gateway-latency": (95, "1w"),
        "postgres-availability": (99.95, "30d"),
        "frontend-page-load": (90, "1w"),
        "checkout-success": (99.5, "1w"),
        "search-relevance": (85, "1w"),
        "data-pipeline-freshness": (95, "1d"),
    }
