"""Burn-rate windows and factors: the profiles match Sloth and Pyrra where those define them, and stay sound at
every period."""

from __future__ import annotations

import pytest

from model.base import Duration
from model.slo import BurnTier, CustomProfile, custom_windows, pyrra_for, pyrra_windows, sloth_windows, workbook_windows

D = Duration.parse

# Pyrra's windows (short/long per tier) as its own tests and code give them (pyrra-dev/pyrra slo/rules.go Windows
# and slo/rules_test.go), written out here rather than derived from model.slo.
PYRRA = {
    "7d": ("1m/15m", "8m/1h30m", "30m/6h", "1h30m/1d"),
    "14d": ("3m/30m", "15m/3h", "1h/12h", "3h/2d"),
    "28d": ("5m/1h", "30m/6h", "2h/1d", "6h/4d"),
    "30d": ("5m/1h4m", "32m/6h26m", "2h9m/1d1h43m", "6h26m/4d6h51m"),
    "90d": ("16m/3h13m", "1h36m/19h17m", "6h26m/3d5h9m", "19h17m/12d20h34m"),
}
PYRRA_FOR = {"7d": ("1m", "4m", "15m", "45m"), "28d": ("2m", "15m", "1h", "3h")}


@pytest.mark.parametrize("period", PYRRA)
def test_the_pyrra_profile_has_pyrras_windows_and_factors(period):
    got = pyrra_windows(D(period))
    assert tuple(f"{w.short}/{w.long}" for w in got) == PYRRA[period]
    assert [w.factor for w in got] == [14, 7, 2, 1]
    assert [w.severity.value for w in got] == ["page", "page", "ticket", "ticket"]


@pytest.mark.parametrize("period", PYRRA_FOR)
def test_pyrras_pending_times_scale_with_the_period(period):
    assert tuple(map(str, pyrra_for(D(period)))) == PYRRA_FOR[period]


SLOTH = {
    # Sloth's google-30d.yaml and google-28d.yaml, with the factors Sloth prints.
    "30d": [14.4, 6, 3, 1],
    "28d": [13.44, 5.6000000000000005, 2.8000000000000003, 0.9333333333333333],
}


@pytest.mark.parametrize("period", SLOTH)
def test_sloths_own_windows_are_reproduced_exactly(period):
    got = sloth_windows(D(period))
    assert [w.factor for w in got] == SLOTH[period]
    assert [f"{w.short}/{w.long}" for w in got] == ["5m/1h", "30m/6h", "2h/1d", "6h/3d"]


WORKBOOK = {
    "The workbook at 30d is Sloth's: 14.4/6/3/1.": ("30d", [("page", "5m/1h", 14.4), ("page", "30m/6h", 6), ("ticket", "2h/1d", 3), ("ticket", "6h/3d", 1)]),
    "At 90d the same budget shares give larger factors.": (
        "90d", [("page", "5m/1h", 43.2), ("page", "30m/6h", 18), ("ticket", "2h/1d", 9), ("ticket", "6h/3d", 3)]
    ),
    "At 28d the last ticket tier shrinks to stay at 1x instead of Sloth's 0.93x.": (
        "28d", [("page", "5m/1h", 13.44), ("page", "30m/6h", 5.6), ("ticket", "2h/1d", 2.8), ("ticket", "5h36m/2d19h12m", 1)]
    ),
    "At 7d both ticket tiers shrink to the one window where 10% of the budget is a 1x burn.": (
        "7d", [("page", "5m/1h", 3.36), ("page", "30m/6h", 1.4), ("ticket", "1h24m/16h48m", 1)]
    ),
    "At 1d every tier is cut to fit the day.": (
        "1d", [("page", "2m/28m", 1.03), ("page", "6m/1h12m", 1), ("ticket", "12m/2h24m", 1)]
    ),
}


@pytest.mark.parametrize("case", WORKBOOK, ids=list(WORKBOOK))
def test_the_workbook_profile_scales_its_factors_with_the_period(case):
    period, expected = WORKBOOK[case]
    got = [(w.severity.value, f"{w.short}/{w.long}", round(w.factor, 2)) for w in workbook_windows(D(period))]
    assert got == [(s, win, round(f, 2)) for s, win, f in expected]


PERIODS = ["1d", "2d", "7d", "14d", "28d", "30d", "31d", "90d", "365d"]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("profile", ["workbook", "pyrra"])
def test_windows_are_sound_at_every_period(profile, period):
    windows = workbook_windows(D(period)) if profile == "workbook" else pyrra_windows(D(period))
    for w in windows:
        assert Duration.of(minutes=1) <= w.short < w.long <= D(period), w
        # Below 1x a tier would fire while the service is on track to stay within its budget.
        assert w.factor >= 1, w
    # Every profile pages and tickets at every period.
    assert {w.severity.value for w in windows} == {"page", "ticket"}


def test_a_custom_profile_keeps_its_windows_and_defaults_the_short_one():
    profile = CustomProfile(
        tiers=[
            BurnTier(severity="page", factor=10, long=D("1h")),
            BurnTier(severity="ticket", factor=2, long=D("1d"), short=D("2h")),
        ]
    )
    assert [(w.severity.value, str(w.short), str(w.long), w.factor) for w in custom_windows(profile)] == [
        ("page", "5m", "1h", 10),
        ("ticket", "2h", "1d", 2),
    ]


def test_pyrras_shortest_window_rounds_to_nothing_below_2d19h12m():
    from model.slo import pyrra_can_window

    assert pyrra_can_window(D("2d19h12m")) and not pyrra_can_window(D("2d19h11m"))
