"""The Alertmanager configuration: receivers and the routing tree, from the catalog and the stack settings."""

from __future__ import annotations

from model.catalog import Organisation, SlackChannel, Team
from model.settings import Settings
from render.topology import alertmanager_secret_path


def _slack(channel: SlackChannel) -> dict:
    config: dict = {"channel": channel.channel, "send_resolved": True}
    if channel.webhook is not None:
        config["api_url_file"] = alertmanager_secret_path(channel.webhook.secret)
    return config


def _team_receiver(team: Team) -> dict:
    return {"name": f"{team.name}-alerts", "slack_configs": [_slack(team.slack.alerts)]}


def render(org: Organisation, settings: Settings) -> dict:
    """The alertmanager.yml document. Unknown or missing teams fall through to the platform team's receiver."""
    global_: dict = {"resolve_timeout": "5m"}
    if org.slack is not None:
        global_["slack_app_token_file"] = alertmanager_secret_path(org.slack.bot_token.secret)
    platform = org.team(org.platform_team)
    return {
        "global": global_,
        "route": {
            "receiver": "platform-catch-all",
            "group_by": ["alertname", "team", "service", "cluster", "priority"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [{"matchers": [f'team="{team.name}"'], "receiver": f"{team.name}-alerts"} for team in org.teams],
        },
        "receivers": [
            {"name": "platform-catch-all", "slack_configs": [_slack(platform.slack.alerts)]},
            *(_team_receiver(team) for team in org.teams),
        ],
    }


def secrets_used(config: dict) -> list[str]:
    """Names of the secrets the rendered config reads from files, sorted."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("_file") and isinstance(value, str) and key != "ca_file":
                    names.add(value.rsplit("/", 1)[-1])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(config)
    return sorted(names)
