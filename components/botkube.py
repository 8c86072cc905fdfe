"""Botkube: Kubernetes errors of each team's namespaces in the team's alert channel, and read-only kubectl there.

Botkube's last release is v1.14.0 (2024-11) and the project is unmaintained, so it stays pinned, single-replica
(it has no leader election: a second replica answers every command twice) and isolated in this component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    release,
    resources,
    restricted_pod,
    secret_object,
)
from render.systems import botkube
from render.yamlio import dump

CHART = Chart("botkube", "https://charts.botkube.io", "v1.14.0")
COMMUNICATIONS_SECRET = "botkube-communications"
BOTKUBE_UID = 101


@dataclass(frozen=True)
class BotkubeArgs:
    namespace: pulumi.Input[str]
    sources: Mapping[str, dict]
    """Each team's event source (Artifacts.botkube_sources)."""
    channels: Mapping[str, dict]
    """Each team's alert channel bound to its source (Artifacts.botkube_channels)."""
    cluster_name: str
    bot_token: pulumi.Input[str]
    """The organisation's Slack bot token (xoxb-)."""
    app_token: pulumi.Input[str]
    """The Slack app-level token (xapp-) for Socket Mode."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Botkube(pulumi.ComponentResource):
    release: Any

    def __init__(self, name: str, args: BotkubeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Botkube", name, None, opts)
        communications = pulumi.Output.all(args.bot_token, args.app_token).apply(
            lambda tokens: dump(botkube.communications(args.channels, tokens[0], tokens[1]))
        )
        secret = secret_object(
            f"{name}-communications", COMMUNICATIONS_SECRET, args.namespace, {"comm_config.yaml": communications},
            child(self),
        )
        values = {
            "replicaCount": 1,
            "existingCommunicationsSecretName": COMMUNICATIONS_SECRET,
            "sources": dict(args.sources),
            "executors": botkube.executors(),
            # The chart ranges over `groups` as a map keyed by group name; its default group reads every resource,
            # Secrets included, so ours replaces that group's rules.
            "rbac": {"create": True, "groups": {botkube.READ_ONLY_GROUP: {"create": True, "rules": botkube.read_only_rules()}}},
            "settings": {"clusterName": args.cluster_name},
            # Botkube reports usage to a third party unless told not to.
            "analytics": {"disable": True},
            "securityContext": restricted_pod(BOTKUBE_UID),
            "containerSecurityContext": RESTRICTED_CONTAINER,
            "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="512Mi"),
        }
        self.release = release(
            f"{name}-release", "botkube", CHART, args.namespace, values, args.extra_values, child(self, secret)
        )
        self.register_outputs({"status": self.release.status})
