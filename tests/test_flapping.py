"""Flapping: the availability alerts are held through short recoveries, and any alert that keeps starting is
reported; both proven by promtool and vmalert-tool on the shipped files."""

from __future__ import annotations

import subprocess

import pytest

import catalog
from behaviour import flapping as flapping_tests
from cli import tools
from render.rules import flapping, health as rules
from render.yamlio import dump
from tests.test_kpis import _settings

ORG = catalog.load("example")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("flapping")
    (root / "rules").mkdir()
    (root / "rule-tests").mkdir()
    settings = _settings()
    shipped = {**rules.service_health_rules(ORG), **rules.outage_rules(ORG), **flapping.flapping_rules(ORG, settings)}
    for name, content in shipped.items():
        (root / "rules" / name).write_text(dump(content))
    tests = flapping_tests.flapping_rule_tests(ORG, settings)
    for name, content in tests.items():
        (root / "rule-tests" / name).write_text(dump(content))
    return root, tests


def test_every_availability_alert_keeps_firing_through_a_short_recovery():
    shipped = {**rules.service_health_rules(ORG), **rules.outage_rules(ORG)}
    alerts = [r for f in shipped.values() for g in f["groups"] for r in g["rules"] if "alert" in r]
    assert alerts and all(r["keep_firing_for"] == "5m" for r in alerts)


def test_every_service_health_file_has_a_behaviour_test(build):
    _, tests = build
    assert set(rules.service_health_rules(ORG)) | {flapping.FLAPPING_FILE} == set(tests)


@pytest.mark.parametrize("tool", ["promtool", "vmalert-tool"])
def test_held_alerts_and_the_flapping_report_behave_as_their_tests_say(build, tool):
    root, tests = build
    args = ["test", "rules"] if tool == "promtool" else ["unittest", "--disableAlertgroupLabel", "--files"]
    for name in sorted(tests):
        result = subprocess.run([str(tools.path(tool)), *args, name], capture_output=True, text=True, cwd=root / "rule-tests", timeout=300)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_without_the_hold_the_alert_would_resolve_during_the_recovery(build, tmp_path):
    """The held test is not vacuous: the same test fails against the rule without keep_firing_for."""
    root, _ = build
    name = "payments-service-health.yaml"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rule-tests").mkdir()
    text = (root / "rules" / name).read_text()
    (tmp_path / "rules" / name).write_text("\n".join(line for line in text.splitlines() if "keep_firing_for" not in line))
    (tmp_path / "rule-tests" / name).write_text((root / "rule-tests" / name).read_text())
    result = subprocess.run([str(tools.path("promtool")), "test", "rules", name], capture_output=True, text=True,
                            cwd=tmp_path / "rule-tests", timeout=300)
    assert result.returncode != 0 and "time: 11m" in result.stdout + result.stderr
