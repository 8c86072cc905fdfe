"""falcosidekick's Alertmanager output: Falco events become alerts of the security team, sent to every replica."""

from __future__ import annotations

from model.catalog import Organisation
from model.settings import Settings
from render.topology import alertmanager_replica_urls


def sidekick_alertmanager(org: Organisation, settings: Settings) -> dict:
    """The `config.alertmanager` block of falcosidekick.

    Every replica gets every event (falcosidekick takes a comma-separated list), like from VMAlert: a load-balanced
    Service would leave each replica with a different set of alerts. API v2, because Alertmanager removed v1.
    """
    labels = {"team": org.security_team, "cluster": settings.cluster_name, "source": "falco"}
    return {
        "hostport": ",".join(alertmanager_replica_urls(settings)),
        "endpoint": "/api/v2/alerts",
        "minimumpriority": settings.falco.minimum_priority,
        "extralabels": ",".join(f"{key}:{value}" for key, value in sorted(labels.items())),
        "checkcert": True,
    }
