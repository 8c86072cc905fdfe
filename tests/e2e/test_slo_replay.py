"""End to end: the rendered SLO rules replayed over synthetic counters on a real VictoriaMetrics with
`vmalert -replay` (cli/replay.py), asserting on what fires.

The scenarios are the ones budget burn must get right on uneven traffic (a 99.9% SLO over 30 days throughout):

* diurnal: six days of 100 requests a second by day and one a minute by night, 5% of the night's requests
  failing: no page and no freeze, and the remaining budget within 1% of the exact value from the counters;
  ratio burn (Sloth's semantics) on the same counters pages every night;
* a 30-minute total outage: the page within 2 minutes;
* 20x the sustainable error rate for an hour: the page within the workbook's bound (14.4x over an hour: 43 min);
* 2x for 36 hours: the ticket fires, the page never does.

The expected moments are worked out here, from the counters this test writes and the SRE workbook's tiers
(below), not from the rule generator. Each scenario's SLO is rendered in both evaluation forms, which must fire
the same alerts at the same evaluation steps. The data is one pair of counters per scenario, one sample a minute:
`make bench-eval` replays the same rules over 5,000 series.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from cli import replay
from model.slo import resolved_slos
from render.rules import slo as slo_rules

pytestmark = pytest.mark.e2e

MINUTE, HOUR, DAY = 60, 3600, 86400
BUDGET = 0.001  # 99.9%
# The SRE workbook's tiers for a 30-day period (factor, short window, long window), in minutes.
PAGE = ((14.4, 5, 60), (6, 30, 360))
TICKET = ((3, 120, 1440), (1, 360, 4320))
DAYS = 6
NOMINAL = 0.0005  # half the budget: healthy


@dataclass(frozen=True)
class Scenario:
    name: str
    rate: list[float]  # requests per second in each minute of the history
    errors: list[float]  # error ratio in each minute


def _steady(rate: float, *burns: tuple[int, int, float]) -> Scenario:
    """`rate` requests a second with the nominal error ratio, except (start minute, end minute, ratio) stretches."""
    minutes = DAYS * DAY // MINUTE
    errors = [NOMINAL] * minutes
    for start, end, ratio in burns:
        errors[start:end] = [ratio] * (end - start)
    return Scenario("", [rate] * minutes, errors)


def _diurnal() -> Scenario:
    """From 07:00: 100 requests a second by day (0.02% failing), one a minute from midnight to 07:00 (5% failing)."""
    rate, errors = [], []
    for m in range(DAYS * DAY // MINUTE):
        night = ((7 * 60 + m) % (24 * 60)) < 7 * 60
        rate.append(1 / 60 if night else 100.0)
        errors.append(0.05 if night else 0.0002)
    return Scenario("diurnal", rate, errors)


OUTAGE_AT = DAY // MINUTE  # minute of the history each incident starts at: after a day of healthy traffic
SCENARIOS = {
    "diurnal": _diurnal(),
    "outage": _steady(10, (OUTAGE_AT, OUTAGE_AT + 30, 1.0)),
    "fast": _steady(10, (OUTAGE_AT, OUTAGE_AT + 60, 20 * BUDGET)),
    "slow": _steady(10, (OUTAGE_AT, OUTAGE_AT + 36 * 60, 2 * BUDGET)),
}


class Counters:
    """The scenario's good and bad request counters at the end of each minute, and windows over them."""

    def __init__(self, s: Scenario) -> None:
        self.good, self.bad = [0.0], [0.0]
        for rate, ratio in zip(s.rate, s.errors):
            self.good.append(self.good[-1] + rate * MINUTE * (1 - ratio))
            self.bad.append(self.bad[-1] + rate * MINUTE * ratio)

    def errors(self, m: int, w: int) -> float:
        return self.bad[m] - self.bad[max(0, m - w)]

    def events(self, m: int, w: int) -> float:
        return self.errors(m, w) + self.good[m] - self.good[max(0, m - w)]

    def budget_burn(self, m: int, w: int) -> float:
        """Errors in the window against the budget the period's average traffic allows for it (the history is
        shorter than the period: its average is over the history)."""
        average = self.events(m, m) / m
        return self.errors(m, w) / min(w, m) / (BUDGET * average)

    def ratio_burn(self, m: int, w: int) -> float:
        return self.errors(m, w) / self.events(m, w) / BUDGET

    def fires(self, tiers, m: int, burn) -> bool:
        return any(burn(m, short) > factor and burn(m, long) > factor for factor, short, long in tiers)

    def remaining(self, m: int) -> float:
        return 1 - self.errors(m, m) / self.events(m, m) / BUDGET


def _series(name: str, s: Scenario, start: int) -> list:
    counters = Counters(s)
    stamps = [(start + m * MINUTE) * 1000 for m in range(len(counters.good))]
    labels = {"__name__": "requests_total", "namespace": "replay", "service": name}
    return [({**labels, "code": "200"}, stamps, [round(v, 6) for v in counters.good]),
            ({**labels, "code": "500"}, stamps, [round(v, 6) for v in counters.bad])]


def _service(scenario: str, burn: str, form: str) -> dict:
    sli = {"kind": "ratio", "total": f'requests_total{{namespace="replay", service="{scenario}"}}',
           "errors": f'requests_total{{namespace="replay", service="{scenario}", code="500"}}'}
    return {"name": f"{scenario}-{burn}-{form}", "namespace": "replay",
            "slos": [{"name": "availability", "objective": 99.9, "period": "30d", "sli": sli,
                      "alerting": {"burn": burn, "form": form}}]}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Every scenario replayed over its six days: (fired alerts by (slo, alertname, severity), VictoriaMetrics
    queries at the end, start of the history)."""
    services = [_service(s, "budget", f) for s in SCENARIOS for f in ("cascaded", "direct")]
    services.append(_service("diurnal", "ratio", "cascaded"))
    org = replay.organisation(services)
    groups = [slo_rules.slo_group(org, r) for r in resolved_slos(org)]
    start = (int(time.time()) // DAY - DAYS - 2) * DAY + 7 * HOUR  # 07:00 UTC, the diurnal day's start
    end = start + DAYS * DAY
    workdir = tmp_path_factory.mktemp("slo-replay")
    with replay.VictoriaMetrics(workdir / "vm") as vm:
        vm.import_series([series for name, s in SCENARIOS.items() for series in _series(name, s, start)])
        replay.replay(vm, groups, start + MINUTE, end, workdir / "rules", max_points=DAYS * DAY // MINUTE + 1)
        fired = replay.firing(vm, start, end + MINUTE, keys=("slo", "alertname", "severity"))
        remaining = {
            r.id: float(vm.value_at(f'{slo_rules.REMAINING}{{sloth_id="{r.id}"}}', end)[0]["value"][1])
            for r in resolved_slos(org)
        }
    return fired, remaining, start


def _minutes(fired: dict, start: int, slo: str, alert: str = "ErrorBudgetBurn", severity: str = "critical") -> list[int]:
    return [(t - start) // MINUTE for t in fired.get((f"{slo}-availability", alert, severity), [])]


def _first(counters: Counters, tiers, burn, after: int) -> int:
    return next(m for m in range(after + 1, len(counters.good)) if counters.fires(tiers, m, burn))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_both_evaluation_forms_fire_the_same_alerts_at_the_same_steps(replayed, scenario):
    fired, _, _ = replayed
    cascaded = {k[1:]: v for k, v in fired.items() if k[0] == f"{scenario}-budget-cascaded-availability"}
    direct = {k[1:]: v for k, v in fired.items() if k[0] == f"{scenario}-budget-direct-availability"}
    assert cascaded == direct


def test_a_quiet_night_of_failing_requests_pages_nobody_and_freezes_nothing(replayed):
    fired, remaining, start = replayed
    for form in ("cascaded", "direct"):
        slo = f"diurnal-budget-{form}"
        assert _minutes(fired, start, slo) == []
        assert _minutes(fired, start, slo, "DeploymentFreeze", "warning") == []
        exact = Counters(SCENARIOS["diurnal"]).remaining(DAYS * DAY // MINUTE)
        assert 0.7 < exact < 0.9  # the days' errors spend a real share of it
        assert abs(remaining[f"{slo}-availability"] - exact) <= 0.01 * abs(exact)


def test_ratio_burn_pages_every_night_on_the_same_counters(replayed):
    fired, _, start = replayed
    counters = Counters(SCENARIOS["diurnal"])
    paged = _minutes(fired, start, "diurnal-ratio-cascaded")
    nights = sorted({(7 * 60 + m) // (24 * 60) for m in paged})  # calendar days, the history starting at 07:00
    assert nights == list(range(1, DAYS + 1))
    assert len(list(replay.spans(paged, 1))) == DAYS  # one page a night, from the night's first hour to its end
    # Every paging minute is one the workbook's page tiers fire at on ratios of the night's handful of requests.
    assert all(counters.fires(PAGE, m, counters.ratio_burn) for m in paged)
    assert all((7 * 60 + m) % (24 * 60) < 8 * 60 for m in paged)  # at night, or just after it ends


def test_a_total_outage_pages_within_two_minutes(replayed):
    fired, _, start = replayed
    counters = Counters(SCENARIOS["outage"])
    expected = _first(counters, PAGE, counters.budget_burn, OUTAGE_AT)
    assert expected - OUTAGE_AT <= 2
    for form in ("cascaded", "direct"):
        paged = _minutes(fired, start, f"outage-budget-{form}")
        assert paged and paged[0] == expected


def test_a_twenty_fold_burn_pages_within_the_workbooks_bound(replayed):
    fired, _, start = replayed
    counters = Counters(SCENARIOS["fast"])
    expected = _first(counters, PAGE, counters.budget_burn, OUTAGE_AT)
    # 14.4x over the hour: the hour's average passes 14.4 after 60 * (14.4 - 0.5) / (20 - 0.5) = 42.8 minutes.
    assert expected - OUTAGE_AT == 43
    for form in ("cascaded", "direct"):
        paged = _minutes(fired, start, f"fast-budget-{form}")
        assert paged and paged[0] == expected and paged[0] - OUTAGE_AT <= 45


def test_a_two_fold_burn_for_a_day_and_a_half_opens_a_ticket_and_pages_nobody(replayed):
    fired, _, start = replayed
    counters = Counters(SCENARIOS["slow"])
    expected = _first(counters, TICKET, counters.budget_burn, OUTAGE_AT)
    assert expected - OUTAGE_AT < 36 * 60
    for form in ("cascaded", "direct"):
        slo = f"slow-budget-{form}"
        ticket = _minutes(fired, start, slo, severity="warning")
        assert ticket and ticket[0] == expected
        assert _minutes(fired, start, slo) == []
