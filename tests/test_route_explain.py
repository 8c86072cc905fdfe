"""Route explain agrees with amtool on every label set, and says why an alert is held, muted or could be silenced."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from catalog import load
from cli import build
from render.yamlio import dump
from routing.explain import explain, parse_labels
from routing.timeintervals import Spec, TimeIntervals
from tests.conftest import SMALL_CATALOG
from tests.test_route_table import amtool_receivers


def label_sets(catalog_path: Path | None) -> list[dict[str, str]]:
    """Every team (and an unknown and a missing one) x its services (and an unknown and a missing one) x every
    severity (and none) x a labelled, a wrong and a missing priority. (P1 and P3 take the same path as P0 and P2
    through the tree; their receivers are reached here through classification.)"""
    org = load(str(catalog_path) if catalog_path else "example")
    known = [t.name for t in org.teams]
    out = []
    for team in [*known, "nobody", None]:
        services = [s.name for s in org.team(team).services] if team in known else []
        for service, severity, priority in itertools.product(
            [*services, "unknown-service", None], ["critical", "warning", "info", None], ["P0", "P2", "P9", None]
        ):
            labels = {"team": team, "service": service, "severity": severity, "priority": priority}
            out.append({k: v for k, v in labels.items() if v is not None})
    return out


@pytest.mark.parametrize("stack,catalog", [("prod", None), ("dev", SMALL_CATALOG)], ids=["prod-example", "dev-small"])
def test_without_a_moment_explain_answers_exactly_what_amtool_answers(stack, catalog, tmp_path):
    config = build.stack_artifacts(stack, catalog).alertmanager
    path = tmp_path / "alertmanager.yaml"
    path.write_text(dump(config))
    cases = label_sets(catalog)
    assert len(cases) > 150
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda labels: amtool_receivers(path, labels), cases))
    mismatches = [
        (labels, mine, answer) for labels, answer in zip(cases, answers) if (mine := explain(config, labels).receivers) != answer
    ]
    assert not mismatches
    # The sets really exercise the tree: every receiver of the config is reached by some label set.
    reached = {r for answer in answers for r in answer}
    assert reached == {r["name"] for r in config["receivers"]}


@pytest.fixture(scope="module")
def prod_config() -> dict:
    return build.stack_artifacts("prod").alertmanager


def test_a_held_p2_says_when_it_will_be_sent_in_the_teams_own_zone(prod_config):
    labels = {"team": "payments", "service": "ledger", "severity": "warning", "priority": "P2"}
    result = explain(prod_config, labels, datetime.fromisoformat("2026-12-05T15:00:00Z"))  # Saturday
    assert result.receivers == []
    (delivery,) = result.deliveries
    assert not delivery.sent and "held: outside payments/business-hours" in delivery.reason
    assert delivery.until == datetime.fromisoformat("2026-12-07T09:00:00-05:00")


def test_a_muted_and_held_alert_is_sent_when_both_are_over(prod_config):
    labels = {"team": "payments", "service": "ledger", "severity": "warning", "priority": "P2"}
    (delivery,) = explain(prod_config, labels, datetime.fromisoformat("2026-12-12T23:30:00-05:00")).deliveries
    assert "muted by payments/maintenance/ledger-migration" in delivery.reason and "held" in delivery.reason
    assert delivery.until == datetime.fromisoformat("2026-12-14T09:00:00-05:00")  # Monday morning, not 02:00


def test_explain_names_the_inhibitions_that_could_silence_an_alert(prod_config):
    labels = {"alertname": "HighLatency", "team": "payments", "service": "checkout", "severity": "warning", "cluster": "prod-eu1"}
    lines = "\n".join(explain(prod_config, labels).lines())
    assert 'silenced while {severity="critical", alertname="HighLatency", service="checkout", cluster="prod-eu1"} fires' in lines
    # checkout depends on payments-api and postgres directly, on identity through the api-gateway.
    for dependency in ("payments-api", "postgres", "api-gateway", "identity"):
        assert f'{{service="{dependency}", severity="critical", cluster="prod-eu1"}}' in lines
    assert '{scope="cluster", cluster="prod-eu1"}' in lines


def test_a_cause_alert_is_not_silenced_by_its_dependencies(prod_config):
    labels = {"alertname": "ServiceDown", "team": "payments", "service": "checkout", "severity": "critical", "symptom": "false"}
    lines = "\n".join(explain(prod_config, labels).lines())
    assert 'service="postgres"' not in lines
    assert "while it fires, it silences" in lines


def test_a_dependency_outage_says_what_it_silences(prod_config):
    labels = {"alertname": "ServiceDown", "team": "platform", "service": "postgres", "severity": "critical", "symptom": "false"}
    silenced = [line for line in explain(prod_config, labels).lines() if "it silences" in line and "service=~" in line]
    assert len(silenced) == 1 and "checkout" in silenced[0] and "frontend" in silenced[0]


TIME_CASES = {
    "Times are [start, end): the end minute is outside.": (
        {"times": [{"start_time": "09:00", "end_time": "17:00"}], "location": "UTC"}, "2026-12-07T17:00:00Z", False),
    "The start minute is inside.": ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, "2026-12-07T09:00:00Z", True),
    "24:00 ends at midnight.": ({"times": [{"start_time": "23:00", "end_time": "24:00"}]}, "2026-12-07T23:59:00Z", True),
    "Weekdays count from Sunday.": ({"weekdays": ["sunday"]}, "2026-12-06T12:00:00Z", True),
    "A weekday range is inclusive.": ({"weekdays": ["monday:friday"]}, "2026-12-11T23:59:00Z", True),
    "Negative days count from the end of the month.": ({"days_of_month": ["-1"]}, "2026-02-28T12:00:00Z", True),
    "Days beyond a short month never match.": ({"days_of_month": ["30:31"]}, "2026-02-28T12:00:00Z", False),
    "Months by name.": ({"months": ["december"]}, "2026-12-01T00:00:00Z", True),
    "Years.": ({"years": ["2027"]}, "2026-12-31T23:59:00Z", False),
    "The location decides the local day.": ({"weekdays": ["monday"], "location": "Asia/Tokyo"}, "2026-12-06T16:00:00Z", True),
}


@pytest.mark.parametrize("case", TIME_CASES, ids=list(TIME_CASES))
def test_time_interval_specs_follow_alertmanager(case):
    doc, at, expected = TIME_CASES[case]
    assert Spec.parse(doc).contains(datetime.fromisoformat(at)) is expected


def test_next_send_steps_to_the_first_minute_a_route_delivers():
    intervals = TimeIntervals.from_config(
        {"time_intervals": [{"name": "bh", "time_intervals": [{"times": [{"start_time": "09:00", "end_time": "17:00"}]}]}]}
    )
    at = datetime.fromisoformat("2026-12-07T17:00:30Z")
    assert intervals.next_send([], ["bh"], at) == datetime.fromisoformat("2026-12-08T09:00:00Z")
    assert intervals.next_send(["bh"], [], datetime.fromisoformat("2026-12-07T12:00:00Z")) == datetime.fromisoformat(
        "2026-12-07T17:00:00Z"
    )


BAD_LABELS = {
    "A label without a value sign.": (["team"], "is not a label"),
    "A label without a name.": (["=payments"], "has an empty label name"),
    "A label name with a dash.": (["my-team=payments"], "is not a label"),
}


@pytest.mark.parametrize("case", BAD_LABELS, ids=list(BAD_LABELS))
def test_malformed_labels_are_refused(case):
    labels, message = BAD_LABELS[case]
    with pytest.raises(ValueError, match=message):
        parse_labels(labels)
