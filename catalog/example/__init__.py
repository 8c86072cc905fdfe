"""The example organisation: five teams and fifteen services across every tier, with their dependencies."""

from __future__ import annotations

from catalog.example import data, payments, platform, security, storefront
from model.base import Duration
from model.catalog import IncidentPolicy, Jira, Organisation, Person, PostmortemPolicy, SecretRef, SlackApp
from model.security import ResponseAction, RuntimeResponse, RuntimeSecurity, ThreatClass
from model.slo import BurnTier, CustomProfile, ErrorBudgetPolicy, SLODefaults


# Slack member IDs and Jira accounts of everyone in a rotation: war rooms invite and name people by them.
PEOPLE = [
    Person(email=f"{login}@example.com", slack=f"U0{index:02d}{login.upper()}", jira=f"5b10ac8d82e05b22cc7d4e{index:02d}")
    for index, login in enumerate(
        ["ana", "ben", "chen", "mira", "dara", "eli", "fatima", "gus", "nina", "hana", "ivan", "jo", "kai", "lea", "omar"]
    )
]


def organisation() -> Organisation:
    return Organisation(
        name="example",
        platform_team="platform",
        security_team="security",
        slack=SlackApp(bot_token=SecretRef(secret="slack-bot-token")),
        runbook_url="https://runbooks.example.com/cluster",
        dashboard_url="https://grafana.example.com/d/cluster-overview",
        slo_defaults=SLODefaults(
            profile="workbook",
            policy=ErrorBudgetPolicy(freeze_below=0.1),
            profiles={
                # Page at ten and five times the sustainable burn, ticket at twice: for short periods, where the
                # workbook's 14.4x would need most of the period to be an outage.
                "two-five-ten": CustomProfile(
                    tiers=[
                        BurnTier(severity="page", factor=10, long=Duration.of(hours=1), short=Duration.of(minutes=5)),
                        BurnTier(severity="page", factor=5, long=Duration.of(hours=3), short=Duration.of(minutes=15)),
                        BurnTier(severity="ticket", factor=2, long=Duration.of(hours=6), short=Duration.of(minutes=30)),
                    ]
                ),
            },
        ),
        runtime_security=RuntimeSecurity(
            responses=[
                # A compromised pod that handles card data is cut off and recorded, never silently left running.
                RuntimeResponse(
                    name="contain-payments",
                    namespaces=["payments"],
                    threats=[ThreatClass.container_escape, ThreatClass.crypto_mining, ThreatClass.suspicious_network],
                    rules=["Unexpected process in payments-api"],
                    actions=[ResponseAction.isolate, ResponseAction.capture],
                ),
                # Miners anywhere in the shop front: isolate them.
                RuntimeResponse(
                    name="stop-miners",
                    namespaces=["storefront"],
                    threats=[ThreatClass.crypto_mining],
                    actions=[ResponseAction.isolate],
                ),
            ]
        ),
        # Post-mortems of every team go to one project; a team with its own `jira` files them there instead.
        incidents=IncidentPolicy(
            postmortem=PostmortemPolicy(
                jira=Jira(
                    api_url="https://example.atlassian.net",
                    project="PM",
                    issue_type="Post-mortem",
                    username="oncall-bot@example.com",
                    password=SecretRef(secret="jira-postmortems"),
                ),
            ),
        ),
        people=PEOPLE,
        teams=[platform.team(), payments.team(), storefront.team(), data.team(), security.team()],
    )
