"""Platform team: the shared edge and data stores every product team builds on, and the catch-all receiver."""

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
    Jira,
    MaintenanceWindow,
    OnCall,
    PagerDuty,
    SecretRef,
    Service,
    Slack,
    SlackChannel,
    Team,
    Tier,
    WeeklyWindow,
)
from model.chaos import Approval, ChaosExperiment, ChaosFault


def team() -> Team:
    return Team(
        name="platform",
        display_name="Platform Engineering",
        slack=Slack(
            alerts=SlackChannel(channel="#platform-alerts"),
            incidents=SlackChannel(channel="#platform-incidents"),
        ),
        pagerduty=PagerDuty(routing_key=SecretRef(secret="platform-pagerduty")),
        email=Email(to=["platform-oncall@example.com"]),
        jira=Jira(
            api_url="https://example.atlassian.net",
            project="PLAT",
            username="alertmanager@example.com",
            password=SecretRef(secret="jira-api-token"),
        ),
        oncall=OnCall(rotation=["ana@example.com", "ben@example.com", "chen@example.com"], manager="mira@example.com"),
        business_hours=BusinessHours(timezone="Europe/Berlin", start="08:00", end="18:00"),
        escalation=EscalationPolicy(
            steps=[
                EscalationStep(notify=EscalationTarget.primary_oncall),
                EscalationStep(after=Duration.of(minutes=10), notify=EscalationTarget.secondary_oncall),
                EscalationStep(after=Duration.of(minutes=20), notify=EscalationTarget.manager),
            ],
            repeat=1,
        ),
        maintenance=[
            MaintenanceWindow(
                name="postgres-patching",
                timezone="Europe/Berlin",
                services=["postgres"],
                weekly=WeeklyWindow(weekdays=["sunday"], start="03:00", end="05:00"),
            )
        ],
        chaos_experiments=[
            ChaosExperiment(
                name="gateway-pod-delete",
                service="api-gateway",
                fault=ChaosFault.pod_delete,
                environments=["dev", "prod"],
                pods_affected_percent=20,
                approval=Approval(by="ana@example.com", ticket="CHG-1987"),
            ),
        ],
        services=[
            Service(
                name="api-gateway",
                description="Public HTTPS edge: routing, authentication hand-off and rate limits for every API.",
                tier=Tier.critical,
                impact=Impact(revenue_affecting=True, user_facing=True, affected_users=250_000, revenue_per_hour=40_000),
                depends_on=["identity"],
                runbook_url=runbook("api-gateway"),
                dashboard_url=dashboard("api-gateway"),
                namespace="edge",
            ),
            Service(
                name="postgres",
                description="The primary PostgreSQL cluster behind checkout, payments, identity and the ledger.",
                tier=Tier.critical,
                impact=Impact(revenue_affecting=True, affected_users=250_000, revenue_per_hour=40_000),
                runbook_url=runbook("postgres"),
                dashboard_url=dashboard("postgres"),
                namespace="databases",
                selector={"cnpg.io/cluster": "main"},
            ),
            Service(
                name="kafka",
                description="Event backbone for orders, audit events and the data pipeline.",
                tier=Tier.high,
                impact=Impact(affected_users=0),
                runbook_url=runbook("kafka"),
                dashboard_url=dashboard("kafka"),
                namespace="streaming",
                selector={"strimzi.io/cluster": "events"},
            ),
            Service(
                name="ci-runners",
                description="Build runners for every team's pipelines.",
                tier=Tier.low,
                runbook_url=runbook("ci-runners"),
                dashboard_url=dashboard("ci-runners"),
                namespace="ci",
            ),
        ],
    )
