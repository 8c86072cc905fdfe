"""Names the program writes and the policy pack reads: change one here and both follow."""

from __future__ import annotations

PROJECT = "alerting-platform"
"""The Pulumi project: its config namespace (`alerting-platform:production`) and every object's
`app.kubernetes.io/part-of`."""

CHAOS_APPROVED_LABEL = "chaos.alerting-platform.io/approved"
"""Set to "true" on a ChaosEngine the catalog approved (selectable: `kubectl get chaosengines -l ...`)."""
CHAOS_APPROVER_ANNOTATION = "chaos.alerting-platform.io/approved-by"
"""Who approved it: an e-mail address, which a label value cannot hold."""
CHAOS_TICKET_ANNOTATION = "chaos.alerting-platform.io/ticket"
CHAOS_TEMPLATE_LABEL = "chaos.alerting-platform.io/engine-template"
"""On the ChaosEngine template a scheduled experiment's CronJob copies; the template itself never runs."""

TERMINATION_APPROVED = (
    f"{PROJECT}: automatic termination in production approved by the catalog (runtime_security.terminate_in_production)"
)
"""The Falco Talon release's Helm description when the catalog allows terminating pods in production."""

SLO_TIERS = ("page", "ticket")
"""An SLO alert's tiers, in Sloth's vocabulary (its `page` and `ticket` alert windows): a page wakes someone up,
a ticket waits for working hours."""
