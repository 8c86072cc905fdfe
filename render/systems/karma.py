"""Karma's configuration: every Alertmanager replica of the environment under one cluster name.

Karma deduplicates alerts by label set across the replicas of a cluster (the `cluster` field, the only way since
karma v0.120), shows an upstream error only when every replica of the cluster fails, and sends a new silence to
the first replica that takes it; gossip spreads it to the others.
"""

from __future__ import annotations

from model.catalog import Organisation, Priority
from model.settings import Settings
from render.systems import access, tls
from render.systems.topology import alertmanager_replica_urls

ACK_DURATION = "30m"
PRIORITY_COLOURS = {Priority.P0: "#d7191c", Priority.P1: "#fdae61", Priority.P2: "#abd9e9", Priority.P3: "#cccccc"}


def cluster_name(settings: Settings) -> str:
    """The name Karma gives the Alertmanager cluster of one environment."""
    return f"alertmanager-{settings.environment}"


def render(settings: Settings, org: Organisation) -> dict:
    cluster = cluster_name(settings)
    servers = [
        {
            "name": f"{cluster}-{i}",
            "cluster": cluster,
            "uri": url,
            # Links to Alertmanager's UI only where it is published (not with signed-in users: see render.systems.access).
            **({} if settings.access.user_header else {"external_uri": settings.url("alertmanager")}),
            "timeout": "10s",
            # Silences go through Karma, which can reach each replica inside the cluster.
            "proxy": True,
            "readonly": False,
            # Alertmanager's certificate, verified by the platform's CA (the karma chart mounts it: components.karma).
            **({"tls": {"ca": tls.client_ca()[2]}} if settings.tls.enabled else {}),
        }
        for i, url in enumerate(alertmanager_replica_urls(settings))
    ]
    config: dict = {
        "alertmanager": {"interval": "30s", "servers": servers},
        "karma": {"name": f"karma-{settings.environment}"},
        # Most urgent first, whatever order the alerts arrived in.
        "grid": {
            "sorting": {
                "order": "label",
                "reverse": False,
                "label": "priority",
                "customValues": {"labels": {"priority": {p.value: str(i) for i, p in enumerate(Priority)}}},
            }
        },
        "labels": {
            "color": {
                "custom": {"priority": [{"value": p.value, "color": colour} for p, colour in PRIORITY_COLOURS.items()]},
                "unique": ["team", "service", "cluster"],
            }
        },
        "ui": {"multiGridLabel": "team"},
        "log": {"level": "info", "format": "json"},
    }
    if settings.access.user_header:
        # Karma trusts the header: only the authentication proxy may reach it (see docs/access.md).
        config["authentication"] = access.karma_authentication(settings.access.user_header)
        config["authorization"] = {"acl": {"silences": access.KARMA_ACL_FILE}, "groups": access.karma_groups(org)}
        # One click acknowledges an alert group: a short silence of the group's labels (its `team` among them, so the
        # team's rule admits it) whose author Karma replaces with the signed-in user, like every silence it proxies.
        config["alertAcknowledgement"] = {
            "enabled": True,
            "duration": ACK_DURATION,
            "author": "karma",
            "comment": "ACK! acknowledged in Karma at %NOW%",
        }
    return config


def silence_acls(settings: Settings, org: Organisation) -> dict | None:
    """The silence ACL file `authorization.acl.silences` names; none without signed-in users (no groups to scope by)."""
    return access.karma_silence_acls(org) if settings.access.user_header else None
