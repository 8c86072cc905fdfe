"""Data team: the event pipeline and the reports built from it."""

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
    SecretRef,
    Service,
    Slack,
    SlackChannel,
    Team,
    Tier,
    WeeklyWindow,
)
from model.chaos import ChaosExperiment, ChaosFault
from model.slo import SLO, FreshnessSLI


def team() -> Team:
    return Team(
        name="data",
        display_name="Data Engineering",
        slack=Slack(
            alerts=SlackChannel(channel="#data-alerts"),
            incidents=SlackChannel(channel="#data-incidents"),
        ),
        email=Email(to=["data-team@example.com"]),
        # No rotation (nothing of theirs pages): these two act for the team in Karma and Grafana.
        members=["quinn@example.com", "rosa@example.com"],
        jira=Jira(
            api_url="https://example.atlassian.net",
            project="DATA",
            username="alertmanager@example.com",
            password=SecretRef(secret="jira-api-token"),
        ),
        business_hours=BusinessHours(timezone="Asia/Kolkata", start="10:00", end="18:00"),
        escalation=EscalationPolicy(
            steps=[
                EscalationStep(notify=EscalationTarget.team, important=False),
                EscalationStep(after=Duration.of(minutes=30), notify=EscalationTarget.manager),
            ]
        ),
        maintenance=[
            MaintenanceWindow(
                name="nightly-backfill",
                timezone="Asia/Kolkata",
                weekly=WeeklyWindow(weekdays=["monday:sunday"], start="01:00", end="02:00"),
            )
        ],
        chaos_experiments=[
            ChaosExperiment(
                name="pipeline-cpu-hog",
                service="data-pipeline",
                fault=ChaosFault.pod_cpu_hog,
                cpu_cores=1,
                pods_affected_percent=50,
            ),
        ],
        services=[
            Service(
                name="data-pipeline",
                description="Streams orders and clicks from Kafka into the warehouse every few minutes.",
                tier=Tier.medium,
                impact=Impact(affected_users=0),
                depends_on=["kafka", "postgres"],
                runbook_url=runbook("data-pipeline"),
                dashboard_url=dashboard("data-pipeline"),
                namespace="data",
                slos=[
                    SLO(
                        name="freshness",
                        description="Records landing in the warehouse within an hour of being produced.",
                        objective=95,
                        period=Duration.of(hours=24),
                        sli=FreshnessSLI(histogram="pipeline_record_lag_seconds", within=Duration.of(hours=1)),
                        labels={"category": "freshness"},
                        alerting={"profile": "two-five-ten"},
                    ),
                ],
            ),
            Service(
                name="reporting",
                description="Daily business reports for finance and marketing.",
                tier=Tier.low,
                depends_on=["data-pipeline"],
                runbook_url=runbook("reporting"),
                dashboard_url=dashboard("reporting"),
                namespace="data",
            ),
        ],
    )
