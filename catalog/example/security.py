"""Security team: identity, the audit trail, and every runtime-security (Falco) alert."""

from __future__ import annotations

from catalog.example.common import dashboard, runbook
from model.base import Duration
from model.catalog import (
    BusinessHours,
    Email,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Impact,
    OnCall,
    PagerDuty,
    SecretRef,
    Service,
    Slack,
    SlackChannel,
    Team,
    Tier,
    Webhook,
)


def team() -> Team:
    return Team(
        name="security",
        display_name="Security Operations",
        slack=Slack(
            alerts=SlackChannel(channel="#security-alerts"),
            incidents=SlackChannel(channel="#security-incidents"),
        ),
        pagerduty=PagerDuty(routing_key=SecretRef(secret="security-pagerduty")),
        email=Email(to=["soc@example.com"]),
        oncall=OnCall(rotation=["jo@example.com", "kai@example.com", "lea@example.com"], manager="omar@example.com"),
        webhooks=[Webhook(name="sms", kind="sms", url=SecretRef(secret="security-sms-gateway"))],
        business_hours=BusinessHours(timezone="Europe/Berlin"),
        escalation=EscalationPolicy(
            steps=[
                EscalationStep(notify=EscalationTarget.primary_oncall),
                EscalationStep(after=Duration.of(minutes=5), notify=EscalationTarget.team),
                EscalationStep(after=Duration.of(minutes=15), notify=EscalationTarget.manager),
            ],
            repeat=3,
        ),
        services=[
            Service(
                name="identity",
                description="Sign-in, sessions and API tokens for shoppers and staff.",
                tier=Tier.critical,
                impact=Impact(user_facing=True, affected_users=250_000),
                depends_on=["postgres"],
                runbook_url=runbook("identity"),
                dashboard_url=dashboard("identity"),
                namespace="identity",
            ),
            Service(
                name="audit-log",
                description="Tamper-evident record of privileged actions.",
                tier=Tier.medium,
                depends_on=["kafka"],
                runbook_url=runbook("audit-log"),
                dashboard_url=dashboard("audit-log"),
                namespace="security",
            ),
        ],
    )
