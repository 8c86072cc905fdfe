"""Payments team: checkout, card payments and the ledger; the money path, so it pages first."""

from __future__ import annotations

from datetime import datetime

from catalog.example.common import dashboard, runbook
from model.base import Duration
from model.budgets import BackendBudget, Regression, Seasonal, ThroughputLimit, TimeLimit, UtilisationLimit
from model.catalog import (
    BusinessHours,
    Email,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Impact,
    MaintenanceWindow,
    OnCall,
    OneOffWindow,
    PagerDuty,
    SecretRef,
    Service,
    Slack,
    SlackChannel,
    Team,
    Tier,
    Webhook,
)
from model.security import RuntimeProfile
from model.chaos import Approval, ChaosExperiment, ChaosFault, SteadyState
from model.slo import SLO, RatioSLI


def team() -> Team:
    return Team(
        name="payments",
        display_name="Payments",
        slack=Slack(
            alerts=SlackChannel(channel="#payments-alerts"),
            incidents=SlackChannel(channel="#payments-war-room", webhook=SecretRef(secret="payments-war-room-webhook")),
        ),
        pagerduty=PagerDuty(routing_key=SecretRef(secret="payments-pagerduty")),
        email=Email(to=["payments-oncall@example.com", "payments-leads@example.com"]),
        oncall=OnCall(
            rotation=["dara@example.com", "eli@example.com", "fatima@example.com", "gus@example.com"],
            manager="nina@example.com",
        ),
        webhooks=[
            Webhook(name="jira", kind="jira", url=SecretRef(secret="payments-jira-webhook")),
            Webhook(name="sms", kind="sms", url=SecretRef(secret="payments-sms-gateway")),
        ],
        business_hours=BusinessHours(timezone="America/New_York", start="09:00", end="17:00"),
        escalation=EscalationPolicy(
            steps=[
                EscalationStep(notify=EscalationTarget.primary_oncall),
                EscalationStep(after=Duration.of(minutes=5), notify=EscalationTarget.secondary_oncall),
                EscalationStep(after=Duration.of(minutes=10), notify=EscalationTarget.incident_channel),
                EscalationStep(after=Duration.of(minutes=15), notify=EscalationTarget.manager),
            ],
            repeat=2,
        ),
        maintenance=[
            MaintenanceWindow(
                name="ledger-migration",
                timezone="America/New_York",
                services=["ledger"],
                once=OneOffWindow(start=datetime(2026, 12, 12, 22, 0), end=datetime(2026, 12, 13, 2, 0)),
            )
        ],
        chaos_experiments=[
            ChaosExperiment(
                name="checkout-pod-delete",
                service="checkout",
                fault=ChaosFault.pod_delete,
                environments=["dev", "prod"],
                duration=Duration.of(seconds=90),
                pods_affected_percent=25,
                approval=Approval(by="dara@example.com", ticket="CHG-2041"),
                steady_state=SteadyState(
                    query='sum(rate(http_requests_total{service="checkout", code!~"5.."}[1m]))'
                    ' / sum(rate(http_requests_total{service="checkout"}[1m]))',
                    comparator=">=",
                    value=0.99,
                ),
            ),
        ],
        services=[
            Service(
                name="checkout",
                description="Turns a basket into an order and takes the payment.",
                tier=Tier.critical,
                impact=Impact(revenue_affecting=True, user_facing=True, affected_users=120_000, revenue_per_hour=35_000),
                depends_on=["api-gateway", "payments-api", "postgres"],
                runbook_url=runbook("checkout"),
                dashboard_url=dashboard("checkout"),
                namespace="payments",
                slos=[
                    SLO(
                        name="success",
                        description="Checkouts that end in a placed order.",
                        objective=99.5,
                        period=Duration.of(days=7),
                        sli=RatioSLI(total="checkout_attempts_total", good="checkout_completed_total"),
                        labels={"category": "success"},
                        alerting={"budget_exhausted": True},
                        policy={"freeze_below": 0.25},
                    ),
                ],
                budgets=[
                    BackendBudget(
                        name="api",
                        description="The report's backend budgets for the checkout API.",
                        api_p99=TimeLimit(max=Duration.of(seconds=0.2), regression=Regression(baseline="same-hour-last-week", tolerance=0.2)),
                        db_query_p95=TimeLimit(max=Duration.of(seconds=0.1), regression=Regression(baseline="median-7d", tolerance=0.2)),
                        error_rate=0.001,
                        # Checkout traffic follows the week: an anomaly alert beside the 95%-of-baseline floor.
                        throughput=ThroughputLimit(min_of_baseline=0.95, baseline="same-hour-last-week", seasonal=Seasonal(weeks=2, z=3)),
                        memory=UtilisationLimit(under=0.8, share=0.9),
                    ),
                ],
            ),
            Service(
                name="payments-api",
                description="Card authorisation and capture through the payment service providers.",
                tier=Tier.critical,
                impact=Impact(revenue_affecting=True, affected_users=120_000, revenue_per_hour=35_000),
                depends_on=["postgres", "kafka"],
                runbook_url=runbook("payments-api"),
                dashboard_url=dashboard("payments-api"),
                namespace="payments",
                # A JVM and nothing else; it talks only to the card processors' network outside the cluster.
                runtime=RuntimeProfile(processes=["java"], outbound=["198.51.100.0/24"]),
            ),
            Service(
                name="ledger",
                description="Double-entry book of every payment; feeds finance reporting.",
                tier=Tier.high,
                impact=Impact(revenue_affecting=False, affected_users=0),
                depends_on=["postgres", "kafka"],
                runbook_url=runbook("ledger"),
                dashboard_url=dashboard("ledger"),
                namespace="payments",
            ),
        ],
    )
