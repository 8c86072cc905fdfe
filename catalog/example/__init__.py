"""The example organisation: five teams and fifteen services across every tier, with their dependencies."""

from __future__ import annotations

from catalog.example import data, payments, platform, security, storefront
from model.catalog import Organisation, SecretRef, SlackApp


def organisation() -> Organisation:
    return Organisation(
        name="example",
        platform_team="platform",
        security_team="security",
        slack=SlackApp(bot_token=SecretRef(secret="slack-bot-token")),
        runbook_url="https://runbooks.example.com/cluster",
        dashboard_url="https://grafana.example.com/d/cluster-overview",
        teams=[platform.team(), payments.team(), storefront.team(), data.team(), security.team()],
    )
