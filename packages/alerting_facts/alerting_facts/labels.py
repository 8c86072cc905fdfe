"""Label and annotation names the program writes on alerts and the policy pack reads back: change one here and both
follow (the pack's `alert-rules-labelled`, `p0-alerts-page` and SLO policies read the same names the rules carry)."""

from __future__ import annotations

TEAM = "team"
"""The owning team: the routing tree's first level, Karma's silence ACLs and every team's dashboards select on it."""
SERVICE = "service"
"""The catalog service an alert is about."""
SEVERITY = "severity"
"""How bad the symptom is (`critical`, `warning`, `info`), as the rule states it."""
PRIORITY = "priority"
"""How fast a human must act (`P0`..`P3`), derived from severity, tier and impact; P0 must page."""
SLO = "slo"
"""The SLO id (`<service>-<slo>`) on the SLO's own alerts and recorded series."""
SLOTH_ID = "sloth_id"
"""Sloth's SLO id on every series and alert it generates (and the rules written in its shape)."""
SLOTH_SERVICE = "sloth_service"
SLOTH_SLO = "sloth_slo"

RUNBOOK_URL = "runbook_url"
"""The annotation linking an alert to its runbook; every alert carries one."""

PYRRA_PREFIX = "pyrra.dev/"
"""Pyrra copies a ServiceLevelObjective's labels and annotations with this prefix onto its generated alerts."""
