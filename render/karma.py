"""Karma's configuration: every Alertmanager replica of the environment under one cluster name."""

from __future__ import annotations

from model.settings import Settings
from render.topology import alertmanager_replica_urls


def render(settings: Settings) -> dict:
    servers = [
        {
            "name": f"{settings.cluster_name}-am-{i}",
            "cluster": settings.cluster_name,
            "uri": url,
            "external_uri": settings.url("alertmanager"),
            "timeout": "10s",
            "proxy": True,
            "readonly": False,
        }
        for i, url in enumerate(alertmanager_replica_urls(settings))
    ]
    return {
        "alertmanager": {"interval": "30s", "servers": servers},
        "karma": {"name": f"karma-{settings.environment}"},
        "ui": {"multiGridLabel": "@cluster"},
        "log": {"level": "info", "format": "json"},
    }
