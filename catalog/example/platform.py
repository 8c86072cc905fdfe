"""Platform team: the shared edge and data stores every product team builds on, and the catch-all receiver."""

from __future__ import annotations

from catalog.example.common import dashboard, runbook
from model.base import Duration
from model.budgets import InfrastructureBudget, LatencyLimit, Regression, Seasonal, UtilisationLimit
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
from model.chaos import Approval, ChaosDay, ChaosExperiment, ChaosFault, ChaosLevel, ChaosProgramme, SteadyState
from model.slo import SLO, LatencySLI, RatioSLI, RawFixture, RawSLI


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
        chaos=ChaosProgramme(maintenance_window="postgres-patching", chaos_day=ChaosDay(day_of_month=15, start="10:00")),
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
            # The programme: light chaos every night, medium in the weekly patching window, heavy on the chaos day.
            ChaosExperiment(
                name="gateway-latency",
                service="api-gateway",
                fault=ChaosFault.pod_network_latency,
                level=ChaosLevel.light,
                network_latency=Duration.of(seconds=2),
                pods_affected_percent=10,
                environments=["dev", "prod"],
                approval=Approval(by="ana@example.com", ticket="CHG-2101"),
                steady_state=SteadyState(
                    query='sum(rate(http_requests_total{service="api-gateway", code!~"5.."}[1m]))'
                    ' / sum(rate(http_requests_total{service="api-gateway"}[1m]))',
                    comparator=">=",
                    value=0.95,
                ),
            ),
            ChaosExperiment(
                name="gateway-api-errors",
                service="api-gateway",
                fault=ChaosFault.api_errors,
                level=ChaosLevel.medium,
                status_code=503,
                target_port=8080,
                pods_affected_percent=25,
                duration=Duration.of(minutes=2),
                steady_state=SteadyState(
                    query='sum(rate(http_requests_total{service="api-gateway", code=~"5.."}[1m]))'
                    ' / sum(rate(http_requests_total{service="api-gateway"}[1m]))',
                    comparator="<=",
                    value=0.3,
                ),
            ),
            ChaosExperiment(
                name="gateway-node-drain",
                service="api-gateway",
                fault=ChaosFault.node_drain,
                level=ChaosLevel.heavy,
                duration=Duration.of(minutes=5),
                environments=["dev", "prod"],
                approval=Approval(by="ana@example.com", ticket="CHG-2102"),
                steady_state=SteadyState(
                    query='sum(rate(http_requests_total{service="api-gateway", code!~"5.."}[1m]))'
                    ' / sum(rate(http_requests_total{service="api-gateway"}[1m]))',
                    comparator=">=",
                    value=0.95,
                ),
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
                node_faults=True,
                slos=[
                    SLO(
                        name="availability",
                        description="Requests answered without a server error.",
                        objective=99.9,
                        period=Duration.of(days=30),
                        sli=RatioSLI(total="http_requests_total", errors='http_requests_total{code=~"5.."}'),
                        labels={"category": "availability"},
                        alerting={"budget_exhausted": True},
                    ),
                    SLO(
                        name="latency",
                        description="Requests answered within 500 ms.",
                        objective=95,
                        period=Duration.of(days=7),
                        sli=LatencySLI(histogram="http_request_duration_seconds", under=Duration.of(seconds=0.5)),
                        labels={"category": "latency"},
                        alerting={"min_events": 100},
                    ),
                ],
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
                slos=[
                    SLO(
                        name="availability",
                        description="Share of time the primary accepts connections.",
                        objective=99.95,
                        period=Duration.of(days=30),
                        sli=RawSLI(
                            error_ratio_query='1 - avg(avg_over_time(pg_up{namespace="databases", service="postgres"}[{{.window}}]))',
                            fixture=RawFixture(gauge='pg_up{namespace="databases", service="postgres"}', meaning="good"),
                        ),
                        labels={"category": "availability"},
                    ),
                ],
                budgets=[
                    InfrastructureBudget(
                        name="database-nodes",
                        description="The report's infrastructure budgets for the nodes the database runs on.",
                        matchers={"node_pool": "databases"},
                        cpu=UtilisationLimit(under=0.7, share=0.85, regression=Regression(baseline="same-hour-last-week", tolerance=0.2)),
                        memory=UtilisationLimit(under=0.8, share=0.9, regression=Regression(baseline="median-7d", tolerance=0.2)),
                        # Backups and vacuums run on a weekly schedule: disk I/O is judged against past weeks.
                        disk_io=UtilisationLimit(under=0.8, share=0.9, seasonal=Seasonal(weeks=2, z=3)),
                        network_latency=LatencyLimit(max=Duration.of(seconds=0.01), percentile=95),
                    ),
                ],
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
