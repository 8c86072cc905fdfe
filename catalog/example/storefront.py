"""Storefront team: what shoppers see, from the web frontend to search and recommendations."""

from __future__ import annotations

from catalog.example.common import dashboard, runbook
from model.base import Duration
from model.budgets import FrontendBudget, Regression, Seasonal, TimeLimit
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
from model.chaos import ChaosExperiment, ChaosFault
from model.slo import SLO, LatencySLI, RatioSLI


def team() -> Team:
    return Team(
        name="storefront",
        display_name="Storefront",
        slack=Slack(
            alerts=SlackChannel(channel="#storefront-alerts"),
            incidents=SlackChannel(channel="#storefront-incidents"),
        ),
        pagerduty=PagerDuty(routing_key=SecretRef(secret="storefront-pagerduty")),
        email=Email(to=["storefront@example.com"]),
        oncall=OnCall(rotation=["hana@example.com", "ivan@example.com"]),
        webhooks=[Webhook(name="tickets", kind="jira", url=SecretRef(secret="storefront-jira-webhook"))],
        business_hours=BusinessHours(timezone="Europe/London", start="09:00", end="17:30"),
        escalation=EscalationPolicy(
            steps=[
                EscalationStep(notify=EscalationTarget.primary_oncall),
                EscalationStep(after=Duration.of(minutes=15), notify=EscalationTarget.team),
            ]
        ),
        chaos_experiments=[
            ChaosExperiment(
                name="search-latency",
                service="search",
                fault=ChaosFault.pod_network_latency,
                network_latency=Duration.of(seconds=0.3),
                duration=Duration.of(minutes=2),
            ),
        ],
        services=[
            Service(
                name="frontend",
                description="Server-rendered web shop and its static assets.",
                tier=Tier.high,
                impact=Impact(user_facing=True, affected_users=250_000, revenue_per_hour=10_000),
                depends_on=["api-gateway", "search", "recommendations"],
                runbook_url=runbook("frontend"),
                dashboard_url=dashboard("frontend"),
                namespace="storefront",
                slos=[
                    SLO(
                        name="page-load",
                        description="Page loads that complete within 2 s for real users.",
                        objective=90,
                        period=Duration.of(days=7),
                        sli=LatencySLI(histogram="page_load_seconds", under=Duration.of(seconds=2)),
                        labels={"category": "latency"},
                    ),
                ],
                budgets=[
                    FrontendBudget(
                        name="web-vitals",
                        description="The report's frontend budgets: 95% of real users' page loads under each limit.",
                        percentile=95,
                        # Page load swings with the weekly traffic mix: beside its bound, judge it against the
                        # same hour of past weeks.
                        page_load=TimeLimit(max=Duration.of(seconds=2), seasonal=Seasonal(weeks=2, z=3)),
                        fcp=TimeLimit(max=Duration.of(seconds=1.5), regression=Regression(baseline="median-7d", tolerance=0.2)),
                        lcp=TimeLimit(max=Duration.of(seconds=2.5), regression=Regression(baseline="same-hour-last-week", tolerance=0.2)),
                        cls=0.1,
                        fid=Duration.of(seconds=0.1),
                        # Not in the report: INP replaced FID as a Core Web Vital in 2024; 200 ms is Google's "good".
                        inp=Duration.of(seconds=0.2),
                    ),
                ],
            ),
            Service(
                name="search",
                description="Product search and its relevance ranking.",
                tier=Tier.medium,
                impact=Impact(user_facing=True, affected_users=80_000),
                depends_on=["search-indexer"],
                runbook_url=runbook("search"),
                dashboard_url=dashboard("search"),
                namespace="storefront",
                slos=[
                    SLO(
                        name="relevance",
                        description="Searches where the shopper opens one of the first ten results.",
                        objective=85,
                        period=Duration.of(days=7),
                        sli=RatioSLI(total="search_queries_total", good='search_queries_total{outcome="clicked_top10"}'),
                        labels={"category": "quality"},
                    ),
                ],
            ),
            Service(
                name="search-indexer",
                description="Keeps the search index in step with the product catalogue.",
                tier=Tier.medium,
                depends_on=["kafka"],
                runbook_url=runbook("search-indexer"),
                dashboard_url=dashboard("search-indexer"),
                namespace="storefront",
            ),
            Service(
                name="recommendations",
                description="'You may also like' panels; the page renders without them.",
                tier=Tier.low,
                impact=Impact(user_facing=True, affected_users=2_000),
                depends_on=["data-pipeline"],
                runbook_url=runbook("recommendations"),
                dashboard_url=dashboard("recommendations"),
                namespace="storefront",
            ),
        ],
    )
