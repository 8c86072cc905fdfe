"""`make route` and `python -m cli route` as a user runs them: receivers on stdout, reasons on stderr, exit 2 on bad input."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import PROJECT_DIR, SMALL_CATALOG
from tests.test_cli import cli


def make_route(*variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "route", *variables], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)


def test_make_route_prints_the_receivers_alone_on_stdout():
    result = make_route("STACK=prod", "LABELS=team=payments service=checkout severity=critical")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "payments-p0\n"
    assert 'route route.routes[1].routes[8]: {team="payments"} / {priority="", severity="critical", service=~"checkout|payments-api"}' in result.stderr


def test_make_route_at_a_moment_applies_business_hours():
    labels = "LABELS=team=storefront service=search severity=warning priority=P2"
    assert make_route("STACK=prod", labels, "AT=2026-12-07T10:00:00Z").stdout == "storefront-p2\n"
    night = make_route("STACK=prod", labels, "AT=2026-12-07T22:00:00Z")
    assert night.returncode == 0 and night.stdout == ""
    assert "held: outside storefront/business-hours; sent from 2026-12-08T09:00:00+00:00 if still firing" in night.stderr


def test_make_route_takes_a_catalog():
    result = make_route("STACK=dev", f"CATALOG={SMALL_CATALOG}", "LABELS=team=infra service=web severity=critical")
    assert result.stdout == "infra-p0\n"


def test_make_route_without_labels_says_how_to_use_it():
    result = make_route("STACK=dev")
    assert result.returncode != 0 and "usage: make route" in result.stderr


def test_route_explains_a_rendered_file(tmp_path):
    rendered = tmp_path / "build"
    assert cli("render", "--stack", "prod", "--build-dir", str(rendered)).returncode == 0
    config = rendered / "prod" / "alertmanager" / "alertmanager.yaml"
    result = cli("route", "--stack", "prod", "--config", str(config), "--quiet", "team=nobody")
    assert (result.returncode, result.stdout, result.stderr) == (0, "catch-all\n", "")


BAD = {
    "A label without a value sign.": (["team"], "error: LABELS: (argument): 'team' is not a label"),
    "A moment without an offset.": (["--at", "2026-12-07T10:00", "team=x"], "error: AT: (argument): '2026-12-07T10:00' is not an ISO-8601 moment with an offset"),
    "Not a moment at all.": (["--at", "tomorrow", "team=x"], "is not an ISO-8601 moment"),
    "A config file that does not exist.": (["--config", "/nonexistent.yaml", "team=x"], "error: /nonexistent.yaml: (file): no such file"),
    "A label given twice.": (["team=payments", "team=storefront"], "error: LABELS: (argument): label 'team' is given twice (team=payments and team=storefront)"),
    "A label with an empty name.": (["=payments"], "error: LABELS: (argument): '=payments' has an empty label name"),
    "A label name Prometheus would refuse.": (["9team=x"], "error: LABELS: (argument): '9team' (in '9team=x') is not a label name"),
}


def test_make_route_refuses_a_label_given_twice_instead_of_keeping_the_last():
    result = make_route("STACK=prod", "LABELS=team=payments team=storefront")
    assert result.returncode == 2 and result.stdout == ""
    assert "label 'team' is given twice" in result.stderr


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_exits_2_with_a_message_and_no_traceback(case):
    args, message = BAD[case]
    result = cli("route", "--stack", "dev", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
