"""Botkube's sources and Slack channels from the catalog: each team sees its own namespaces in its alert channel."""

from __future__ import annotations

import re
from collections.abc import Mapping

from model.catalog import Organisation, Team
from model.settings import Settings

READ_ONLY_GROUP = "botkube-plugins-default"
"""The RBAC group Botkube's plugins act as (the chart's own name for it), narrowed to reading anything but Secrets."""
READ_ONLY_EXECUTOR = "read-only-kubectl"
WATCHED_RESOURCES = ("v1/pods", "apps/v1/deployments", "apps/v1/statefulsets", "apps/v1/daemonsets", "batch/v1/jobs")


def bot_token_secret(org: Organisation, settings: Settings) -> str | None:
    """The Slack bot token Botkube posts with, or None when Botkube does not run: it talks through the
    organisation's Slack app, and without one there is nothing for it to do."""
    if not settings.botkube.enabled or org.slack is None:
        return None
    return org.slack.bot_token.secret


def _plugin_context() -> dict:
    return {"rbac": {"group": {"type": "Static", "prefix": "", "static": {"values": [READ_ONLY_GROUP]}}}}


def team_namespaces(team: Team) -> list[str]:
    return sorted({service.namespace for service in team.services})


def source_name(team: Team) -> str:
    return f"{team.name}-events"


def sources(org: Organisation) -> dict:
    """One Kubernetes event source per team with services: errors in the team's namespaces, nothing else."""
    out = {}
    for team in org.teams:
        namespaces = team_namespaces(team)
        if not namespaces:
            continue
        out[source_name(team)] = {
            "displayName": f"{team.display_name}: Kubernetes errors",
            "botkube/kubernetes": {
                "enabled": True,
                "context": _plugin_context(),
                "config": {
                    # Anchored: namespace `data` must not also match `data-staging`.
                    "namespaces": {"include": [f"^{re.escape(ns)}$" for ns in namespaces]},
                    "event": {"types": ["error"]},
                    "resources": [{"type": kind} for kind in WATCHED_RESOURCES],
                },
            },
        }
    return out


def executors() -> dict:
    """kubectl restricted to reading, for `@Botkube kubectl get pods` in a team channel."""
    return {
        READ_ONLY_EXECUTOR: {
            "botkube/kubectl": {
                "enabled": True,
                "context": _plugin_context(),
                "config": {"defaultNamespace": "default"},
            }
        }
    }


def slack_channels(org: Organisation) -> dict:
    """Socket-mode Slack channels: each team's alert channel bound to its own source."""
    channels = {}
    for team in org.teams:
        if not team_namespaces(team):
            continue
        channels[team.name] = {
            "name": team.slack.alerts.channel.removeprefix("#"),
            "notification": {"disabled": False},
            "bindings": {"sources": [source_name(team)], "executors": [READ_ONLY_EXECUTOR]},
        }
    return channels


def communications(channels: Mapping[str, dict], bot_token: str, app_token: str) -> dict:
    """The document of Botkube's communications Secret (`comm_config.yaml`) over the channels slack_channels gives;
    it carries the tokens, so it is a Secret."""
    return {
        "communications": {
            "default-group": {
                "socketSlack": {
                    "enabled": True,
                    "botToken": bot_token,
                    "appToken": app_token,
                    "channels": dict(channels),
                }
            }
        }
    }


def read_only_rules() -> list[dict]:
    """What Botkube's plugins may do: read workloads and their events and logs; never read Secrets."""
    verbs = ["get", "list", "watch"]
    return [
        {
            "apiGroups": [""],
            "resources": [
                "pods", "pods/log", "services", "endpoints", "events", "configmaps", "namespaces", "nodes",
                "persistentvolumes", "persistentvolumeclaims", "replicationcontrollers",
            ],
            "verbs": verbs,
        },
        {"apiGroups": ["apps", "batch", "autoscaling", "networking.k8s.io"], "resources": ["*"], "verbs": verbs},
        {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": verbs},
    ]
