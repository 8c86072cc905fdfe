"""The alerting platform's guardrails: every CrossGuard policy of the pack, importable without starting the pack.

`policies/__main__.py` builds the PolicyPack from `pack_arguments()`; tests and `make policy` use the same
policies through the analyzer the pack would serve.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel

from . import alerting, availability, chaos, framework, kubernetes, runtime, secrets, slo

PACK_NAME = "alerting-platform-guardrails"
POLICIES = [
    *kubernetes.POLICIES,
    *availability.POLICIES,
    *alerting.POLICIES,
    *slo.POLICIES,
    *chaos.POLICIES,
    *runtime.POLICIES,
    *secrets.POLICIES,
]
POLICY_NAMES = [policy.name for policy in POLICIES]
ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY
"""The pack's default; each policy states its own level."""


def pack_arguments() -> dict:
    """The arguments of the PolicyPack, shared by the pack and the offline runner.

    The exceptions file is read here, so a wrong one stops the pack at start with its problems, not mid-preview.
    """
    framework.exception_book()
    return {
        "name": PACK_NAME,
        "policies": POLICIES,
        "enforcement_level": ENFORCEMENT_LEVEL,
        "description": "Guardrails for the alerting platform: Kubernetes hygiene, production HA, alerting, SLO, chaos and secrets.",
    }
