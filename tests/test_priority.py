"""Priority classification: severity x tier x impact, as the table in model/priority.py documents it."""

from __future__ import annotations

import pytest

from model.catalog import Impact, Priority, Severity, Tier
from model.priority import classify, reason

REVENUE = Impact(revenue_affecting=True, user_facing=True, affected_users=100_000)
MANY_USERS = Impact(user_facing=True, affected_users=50_000)
FEW_USERS = Impact(user_facing=True, affected_users=10)
NONE = Impact()

CASES = {
    "A critical alert on a revenue-affecting critical service is P0.": (Severity.critical, Tier.critical, REVENUE, Priority.P0),
    "A critical alert on a critical service without revenue impact is P1.": (Severity.critical, Tier.critical, MANY_USERS, Priority.P1),
    "A critical alert on a high-tier service is P1.": (Severity.critical, Tier.high, NONE, Priority.P1),
    "Revenue impact never makes a high-tier service P0.": (Severity.critical, Tier.high, REVENUE, Priority.P1),
    "A critical alert on a medium-tier service is P2.": (Severity.critical, Tier.medium, NONE, Priority.P2),
    "Many affected users raise a medium-tier critical alert to P1.": (Severity.critical, Tier.medium, MANY_USERS, Priority.P1),
    "Few affected users do not raise it.": (Severity.critical, Tier.medium, FEW_USERS, Priority.P2),
    "A critical alert on a low-tier service is P3.": (Severity.critical, Tier.low, NONE, Priority.P3),
    "High impact raises a low-tier critical alert to P2.": (Severity.critical, Tier.low, REVENUE, Priority.P2),
    "A warning on a critical service is P2: warnings never page.": (Severity.warning, Tier.critical, REVENUE, Priority.P2),
    "A warning on a high-tier service is P2.": (Severity.warning, Tier.high, NONE, Priority.P2),
    "A warning on a medium-tier service is P3.": (Severity.warning, Tier.medium, MANY_USERS, Priority.P3),
    "A warning on a low-tier service is P3.": (Severity.warning, Tier.low, NONE, Priority.P3),
    "Info is always P3.": (Severity.info, Tier.critical, REVENUE, Priority.P3),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_priority_classification(case):
    severity, tier, impact, expected = CASES[case]
    assert classify(severity, tier, impact, major_impact_users=10_000) is expected


def test_every_severity_and_tier_has_a_priority():
    for severity in Severity:
        for tier in Tier:
            for impact in (REVENUE, MANY_USERS, NONE):
                assert classify(severity, tier, impact, 10_000) in Priority


REASONS = {
    "Revenue makes a critical alert on a critical service P0.": (
        Severity.critical, Tier.critical, REVENUE, "P0: critical alert on a critical-tier service that is revenue-affecting"),
    "Without revenue it says what P0 would take.": (
        Severity.critical, Tier.critical, MANY_USERS,
        "P1: critical alert on a critical-tier service that is not revenue-affecting (revenue-affecting would make it P0)"),
    "Many users raise a medium-tier critical alert and say so.": (
        Severity.critical, Tier.medium, MANY_USERS,
        ("P1: critical alert on a medium-tier service, raised from P2 by its business impact: user-facing with 50,000 users "
         "(at least 10,000)")),
    "Few users leave it where the tier puts it, and say what would raise it.": (
        Severity.critical, Tier.low, FEW_USERS,
        ("P3: critical alert on a low-tier service without high business impact (revenue-affecting, or user-facing with at "
         "least 10,000 users, would make it P2)")),
    "Warnings never page, whatever the impact.": (Severity.warning, Tier.critical, REVENUE, "P2: warning alert on a critical-tier service: warnings never page"),
    "A critical alert on a high-tier service is P1 either way.": (Severity.critical, Tier.high, NONE, "P1: critical alert on a high-tier service"),
}


@pytest.mark.parametrize("case", REASONS, ids=list(REASONS))
def test_the_reason_names_what_decided_the_priority(case):
    severity, tier, impact, expected = REASONS[case]
    assert reason(severity, tier, impact, major_impact_users=10_000) == expected


def test_every_reason_starts_with_the_priority_it_explains():
    for severity in Severity:
        for tier in Tier:
            for impact in (REVENUE, MANY_USERS, FEW_USERS, NONE):
                assert reason(severity, tier, impact, 10_000).startswith(classify(severity, tier, impact, 10_000).value + ":")
