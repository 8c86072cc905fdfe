"""The generated budget behaviour tests fail in both tools when a bound, a share, a window or a baseline of the
rule is wrong, and they sit just inside and just past each bound."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import behaviour
from cli import build, checks

TOOLS = {"promtool test rules": checks.promtool_test_rules, "vmalert-tool unittest": checks.vmalert_tool_unittest}
FRONTEND, BACKEND, NODES = "budget-frontend-web-vitals", "budget-checkout-api", "budget-postgres-database-nodes"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The example's budget rules and behaviour tests as `make render STACK=dev` writes them."""
    target = tmp_path_factory.mktemp("example")
    stack = build.load("dev")
    tests = behaviour.test_files(stack.catalog, stack.settings, stack.artifacts.rule_files)
    for name, text in {**stack.artifacts.files(), **tests}.items():
        if name.startswith(("rules/budget-", "rule-tests/budget-")):
            (target / name).parent.mkdir(exist_ok=True)
            (target / name).write_text(text)
    return target


def _only(target: Path, tmp_path: Path, stem: str, edits: list[tuple[str, str]] = (), kinds: tuple[str, ...] = ("*",)) -> Path:
    """A build directory with one budget's rule file (edited) and its behaviour tests (of the given kinds)."""
    copy = tmp_path / "one"
    (copy / "rules").mkdir(parents=True)
    (copy / "rule-tests").mkdir()
    text = (target / "rules" / f"{stem}.yaml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (copy / "rules" / f"{stem}.yaml").write_text(text)
    for kind in kinds:
        for test in target.glob(f"rule-tests/{stem}-{kind}.yaml"):
            shutil.copy(test, copy / "rule-tests" / test.name)
    return copy


def _failed(directory: Path) -> dict[str, list[str]]:
    return {tool: sorted(f.subject for f in fn(directory) if not f.ok) for tool, fn in TOOLS.items()}


# Each budget's files passing both tools is part of `checks.run_all` on every rendered stack
# (tests/test_render_and_check.py); here, that they fail when the rule is wrong.
BREAKAGES = {
    "A percentile bound a tenth too lax misses the breach just past it.": (
        FRONTEND, [("> 2.5\n", "> 2.75\n")], [f"{FRONTEND}-bounds"]),
    "A percentile bound a tenth too strict breaches just inside it.": (BACKEND, [("> 0.2\n", "> 0.18\n")], [f"{BACKEND}-bounds"]),
    "An error-rate bound of 99.8% success misses 99.89%.": (BACKEND, [("> 0.001\n", "> 0.002\n")], [f"{BACKEND}-bounds"]),
    "A share of time of 80% instead of 85% misses 83% of the time under 70%.": (
        NODES, [("share_under_target{budget=\"database-nodes\", service=\"postgres\"} < 0.85", "share_under_target{budget=\"database-nodes\", service=\"postgres\"} < 0.8")],
        [f"{NODES}-shares"]),
    "A utilisation level of 75% instead of 70% counts 72% as under it.": (
        NODES, [("< bool 0.7\n", "< bool 0.75\n")], [f"{NODES}-shares"]),
    "A two-day window reaches the bad hours before the day and breaches just inside.": (
        NODES, [("node_cpu_utilisation:under_target{budget=\"database-nodes\", service=\"postgres\"}[1d]",
                 "node_cpu_utilisation:under_target{budget=\"database-nodes\", service=\"postgres\"}[2d]")], [f"{NODES}-shares"]),
    "A throughput floor at 90% of the baseline misses a drop to 94%.": (BACKEND, [("* 0.95\n", "* 0.9\n")], [f"{BACKEND}-history"]),
    "A regression tolerance of 150% instead of 20% misses CPU more than doubling against last week.": (
        NODES, [("offset 1w))\n          )) * 1.2", "offset 1w))\n          )) * 2.5")], [f"{NODES}-history"]),
}


@pytest.mark.parametrize("case", BREAKAGES, ids=list(BREAKAGES))
def test_a_wrong_budget_rule_fails_its_behaviour_test_in_both_tools(case, built, tmp_path):
    stem, edits, failing = BREAKAGES[case]
    directory = _only(built, tmp_path, stem, edits, tuple(name.removeprefix(stem + "-") for name in failing))
    expected = sorted(f"rule-tests/{name}.yaml" for name in failing)
    assert _failed(directory) == {tool: expected for tool in TOOLS}


def _groups(built: Path, name: str) -> list[dict]:
    return yaml.safe_load((built / "rule-tests" / name).read_text())["tests"]


def test_the_bounds_test_keeps_a_percentile_just_inside_and_just_past_its_bound(built):
    # LCP: 95% under 2.5s. The bucket at 2.5s holds 96.25% of the observations inside, 93.75% past.
    inside, past = (
        {s["series"]: s["values"] for s in g["input_series"] if s["series"].startswith("web_vitals_lcp_seconds_bucket")}
        for g in _groups(built, f"{FRONTEND}-bounds.yaml")
    )
    at = 'web_vitals_lcp_seconds_bucket{le="2.5", namespace="storefront", service="frontend"}'
    total = 'web_vitals_lcp_seconds_bucket{le="+Inf", namespace="storefront", service="frontend"}'

    def ratio(series: dict[str, str]) -> float:
        # The first increase of each counter (`0 a+ax30`): observations at or under 2.5s over all of them.
        return float(series[at].split()[1].split("+")[0]) / float(series[total].split()[1].split("+")[0])

    assert (ratio(inside), ratio(past)) == (pytest.approx(0.9625), pytest.approx(0.9375))
