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
