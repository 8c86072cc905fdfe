"""The generated behaviour tests: they pass promtool and vmalert-tool on what the platform renders, they fail
both when a rule is wrong, and what they assert is what the window math promises."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import catalog
from cli import build, checks
from model.base import Duration
from model.slo import AlertTier, resolved_slos
import behaviour
from behaviour import slo as slo_tests
from tests.conftest import DATA

VARIETY = DATA / "catalogs" / "slo-variety.yaml"
TOOLS = {"promtool test rules": checks.promtool_test_rules, "vmalert-tool unittest": checks.vmalert_tool_unittest}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for name, cat in (("example", None), ("variety", VARIETY)):
        _, target, _ = build.render_stack("dev", tmp_path_factory.mktemp(name), cat)
        out[name] = target
    return out


def _findings(build_dir: Path) -> dict[str, dict[str, checks.Finding]]:
    """Tool -> test file -> verdict."""
    return {tool: {f.subject: f for f in fn(build_dir)} for tool, fn in TOOLS.items()}


def test_every_slo_and_budget_of_the_variety_catalog_passes_its_tests_in_both_tools(builds):
    findings = checks.run_all(builds["variety"])
    failed = [f"{f.check} {f.subject}: {f.detail[:2000]}" for f in findings if not f.ok]
    assert not failed
    tested = {f.subject for f in findings if f.check == "vmalert-tool unittest"}
    assert tested == {f.subject for f in findings if f.check == "promtool test rules"}
    # Every SLO the platform alerts or records for has a test; Sloth tests its own rules.
    assert {s.split("/")[1].rsplit("-", 1)[0] for s in tested if s.startswith("rule-tests/slo-")} == {
        "slo-gateway-availability", "slo-gateway-latency", "slo-gateway-errors", "slo-gateway-logins", "slo-exporter-delivery",
        "slo-exporter-freshness",
    }
    assert {"rule-tests/budget-gateway-traffic-history.yaml", "rule-tests/budget-exporter-nodes-bounds.yaml"} <= tested


def _broken(target: Path, tmp_path: Path, rule_file: str, edits: list[tuple[str, str]]) -> Path:
    copy = tmp_path / "broken"
    shutil.copytree(target, copy)
    path = copy / "rules" / rule_file
    text = path.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return copy


GATEWAY = '{sloth_id="api-gateway-availability", sloth_service="api-gateway", sloth_slo="availability"}'
LINE = "\n" + " " * 10
"""A line break inside a rule's block-scalar expression, as the rule files are written."""
BREAKAGES = {
    "A page that needs ten times the burn misses the fast burn.": (
        "example", "slo-api-gateway-availability.yaml",
        [("(14.4 * 0.0009999999999999432)", "(144 * 0.0009999999999999432)"), ("(6 * 0.0009999999999999432)", "(60 * 0.0009999999999999432)")],
        "rule-tests/slo-api-gateway-availability-fast.yaml",
    ),
    "A page below the nominal burn fires on healthy traffic.": (
        "example", "slo-checkout-success.yaml",
        [("(3.36 * 0.005)", "(0.3 * 0.005)")],
        ["rule-tests/slo-checkout-success-dip.yaml", "rule-tests/slo-checkout-success-fast.yaml",
         "rule-tests/slo-checkout-success-slow.yaml"],
    ),
    "Budget burn measured against the minute's traffic pages on the night's trickle of errors.": (
        "example", "slo-api-gateway-availability.yaml",
        [(f"(sloth_window){sep}slo:sli_events:rate30d{GATEWAY}", f"(sloth_window){sep}slo:sli_events:rate1m{GATEWAY}")
         for sep in (LINE, " ")],  # in the window recordings, and in the alerts that sum the windows themselves
        "rule-tests/slo-api-gateway-availability-dip.yaml",
    ),
    "A period ratio that averages ratios freezes deployments over a quiet night.": (
        "example", "slo-api-gateway-availability.yaml",
        [(f"sum_over_time(slo:sli_errors:rate1m{GATEWAY}[30d]){LINE}/{LINE}sum_over_time(slo:sli_events:rate1m{GATEWAY}[30d])",
          f"avg_over_time((slo:sli_errors:rate1m{GATEWAY} / slo:sli_events:rate1m{GATEWAY})[30d:1m])")],
        "rule-tests/slo-api-gateway-availability-dip.yaml",
    ),
    "A ticket that never fires misses the slow burn.": (
        "example", "slo-frontend-page-load.yaml", [("(1 * 0.1)", "(100 * 0.1)")], "rule-tests/slo-frontend-page-load-slow.yaml",
    ),
    "Without the low-traffic guard a trickle of errors pages.": (
        "variety", "slo-exporter-delivery.yaml", [(">= 0.013888888888888888", ">= 0")], "rule-tests/slo-exporter-delivery-quiet.yaml",
    ),
    "An inverted freeze comparison freezes a healthy service.": (
        "variety", "slo-gateway-logins.yaml", [("< bool 0.2", "> bool 0.2")], "rule-tests/slo-gateway-logins-fast.yaml",
    ),
    "A budget bound ten times too lax misses the breach.": (
        "example", "budget-frontend-web-vitals.yaml", [("> 2.5\n", "> 25\n")],
        ["rule-tests/budget-frontend-web-vitals-bounds.yaml", "rule-tests/budget-frontend-web-vitals-history.yaml"],
    ),
    "A regression tolerance ten times too lax misses the regression.": (
        "example", "budget-frontend-web-vitals.yaml", [("[5m] offset 1w)))) * 1.2", "[5m] offset 1w)))) * 12")],
        "rule-tests/budget-frontend-web-vitals-history.yaml",
    ),
}


@pytest.mark.parametrize("case", BREAKAGES, ids=list(BREAKAGES))
def test_a_wrong_rule_fails_its_behaviour_test_in_both_tools(case, builds, tmp_path):
    org, rule_file, edits, test_files = BREAKAGES[case]
    broken = _broken(builds[org], tmp_path, rule_file, edits)
    for tool, verdicts in _findings(broken).items():
        failed = sorted(s for s, f in verdicts.items() if not f.ok)
        assert failed == ([test_files] if isinstance(test_files, str) else test_files), tool


def _load(build_dir: Path, name: str) -> dict:
    return yaml.safe_load((build_dir / "rule-tests" / name).read_text())


def _t(text: str) -> int:
    return Duration.parse(text).milliseconds


@pytest.mark.parametrize("r", [r for r in resolved_slos(catalog.load("example"))], ids=lambda r: r.id)
def test_the_page_is_asserted_within_the_bound_the_window_math_gives(r, builds):
    """Recomputed here from the workbook formula: after a step from burn b0 to b1 with every window full of b0,
    a tier's window W passes factor f after W * (f - b0) / (b1 - b0); the page fires when its quickest tier has
    both windows past, plus its `for`. The test must show it firing by then (plus sampling and evaluation lag)
    and quiet on the nominal traffic before."""
    test = _load(builds["example"], f"slo-{r.id}-fast.yaml")
    step = _t(test["evaluation_interval"])
    checks_ = test["tests"][0]["alert_rule_test"]
    onset = min(_t(c["eval_time"]) for c in checks_)
    assert all(c["exp_alerts"] == [] for c in checks_ if _t(c["eval_time"]) == onset)
    b0, b1 = slo_tests.nominal_burn(r), min(slo_tests.FAST_BURN, 0.95 / r.budget)
    assert b1 == 14.4 or r.slo.objective < 94  # 14.4x needs an error ratio below 100%
    bound = min(
        max(d.milliseconds * (w.factor - b0) / (b1 - b0) for d in (w.short, w.long))
        for w in r.tiers(AlertTier.page) if w.factor < b1
    ) + r.slo.alerting.page_for.milliseconds
    paged = [
        _t(c["eval_time"]) for c in checks_
        if c["alertname"] == "ErrorBudgetBurn" and any(a["exp_labels"]["severity"] == "critical" for a in c["exp_alerts"])
    ]
    assert paged and min(paged) - onset <= bound + slo_tests.lateness(r, step)
    # Slow-burn test: the ticket fires and the page stays quiet.
    slow = _load(builds["example"], f"slo-{r.id}-slow.yaml")["tests"][0]["alert_rule_test"]
    last = [c for c in slow if c["alertname"] == "ErrorBudgetBurn"][-1]
    assert [a["exp_labels"]["severity"] for a in last["exp_alerts"]] == ["warning"]


def test_a_behaviour_test_that_cannot_be_generated_names_the_catalog_and_the_slo_field(monkeypatch):
    from model.errors import InputError
    from model.slo import Engine

    stack = build.load("dev")
    # The first SLO whose rules the platform renders, found by walking the catalog as a user reads it.
    where = next(
        f"teams[{ti}].services[{si}].slos[{ki}]"
        for ti, team in enumerate(stack.catalog.teams)
        for si, service in enumerate(team.services)
        for ki, slo in enumerate(service.slos)
        if (slo.alerting.engine or stack.catalog.slo_defaults.engine) != Engine.sloth
    )

    def cannot(org, r, alerts):
        raise slo_tests.GenerationError(f"SLO {r.id}: the page cannot be shown")

    monkeypatch.setattr(slo_tests, "SCENARIOS", {"fast": cannot})
    with pytest.raises(InputError) as raised:
        stack = build.load("dev")
        behaviour.rule_tests(stack.catalog, stack.settings, stack.artifacts.rule_files)
    (problem,) = raised.value.problems
    assert (problem.source, problem.path) == ("catalog/example", where)
    assert problem.message.startswith("its behaviour test cannot be generated: SLO ")
