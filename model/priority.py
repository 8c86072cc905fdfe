"""Priority classification: severity x service tier x business impact -> P0..P3.

The table is the single source of truth; routing and rule generation both read it (README links here).

| severity | critical tier            | high tier | medium tier                  | low tier                     |
|----------|--------------------------|-----------|------------------------------|------------------------------|
| critical | P0 if revenue-affecting, | P1        | P1 if high impact, else P2   | P2 if high impact, else P3   |
|          | else P1                  |           |                              |                              |
| warning  | P2                       | P2        | P3                           | P3                           |
| info     | P3                       | P3        | P3                           | P3                           |

"High impact" means revenue-affecting, or user-facing with at least `Organisation.major_impact_users` affected
users. Warnings never page: a symptom that is not yet critical waits for business hours.

Business impact changes priority in exactly three places: revenue-affecting makes a critical alert on a critical
service P0 (else P1); high impact raises a critical alert on a medium-tier service to P1 (else P2) and on a
low-tier service to P2 (else P3). It never changes a warning or an info alert. `reason()` says which applied; every
generated alert carries it as its `priority_reason` annotation (render.rules.enrichment).
"""

from __future__ import annotations

from model.catalog import Impact, Priority, Severity, Tier

_TABLE: dict[tuple[Severity, Tier], tuple[Priority, Priority]] = {
    # (severity, tier): (priority, priority when the service has high impact)
    (Severity.critical, Tier.critical): (Priority.P1, Priority.P1),
    (Severity.critical, Tier.high): (Priority.P1, Priority.P1),
    (Severity.critical, Tier.medium): (Priority.P2, Priority.P1),
    (Severity.critical, Tier.low): (Priority.P3, Priority.P2),
    (Severity.warning, Tier.critical): (Priority.P2, Priority.P2),
    (Severity.warning, Tier.high): (Priority.P2, Priority.P2),
    (Severity.warning, Tier.medium): (Priority.P3, Priority.P3),
    (Severity.warning, Tier.low): (Priority.P3, Priority.P3),
}


def high_impact(impact: Impact, major_impact_users: int) -> bool:
    return impact.revenue_affecting or (impact.user_facing and impact.affected_users >= major_impact_users)


def classify(severity: Severity, tier: Tier, impact: Impact, major_impact_users: int) -> Priority:
    """The priority of an alert of `severity` on a service of `tier` with `impact`."""
    if severity == Severity.info:
        return Priority.P3
    if severity == Severity.critical and tier == Tier.critical and impact.revenue_affecting:
        return Priority.P0
    normal, impactful = _TABLE[(severity, tier)]
    return impactful if high_impact(impact, major_impact_users) else normal


def _impact_reasons(impact: Impact, major_impact_users: int) -> str:
    reasons = ["revenue-affecting"] if impact.revenue_affecting else []
    if impact.user_facing and impact.affected_users >= major_impact_users:
        reasons.append(f"user-facing with {impact.affected_users:,} users (at least {major_impact_users:,})")
    return " and ".join(reasons)


def reason(severity: Severity, tier: Tier, impact: Impact, major_impact_users: int) -> str:
    """Why `classify` gives its priority, in one line a responder reads: which of severity, tier and business
    impact decided it, and what would have changed it."""
    priority = classify(severity, tier, impact, major_impact_users)
    what = f"{priority.value}: {severity.value} alert on a {tier.value}-tier service"
    if severity == Severity.info:
        return f"{priority.value}: info alerts never interrupt anyone"
    if priority == Priority.P0:
        return f"{what} that is revenue-affecting"
    if severity == Severity.critical and tier == Tier.critical:
        return f"{what} that is not revenue-affecting (revenue-affecting would make it P0)"
    normal, impactful = _TABLE[(severity, tier)]
    if normal == impactful:
        return what + (": warnings never page" if severity == Severity.warning else "")
    if priority == impactful:
        return f"{what}, raised from {normal.value} by its business impact: {_impact_reasons(impact, major_impact_users)}"
    return (f"{what} without high business impact (revenue-affecting, or user-facing with at least "
            f"{major_impact_users:,} users, would make it {impactful.value})")
