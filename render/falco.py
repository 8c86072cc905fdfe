"""falcosidekick's Alertmanager output: Falco events become alerts of the security team, sent to every replica."""

from __future__ import annotations

from model.catalog import Organisation, Priority
from model.settings import Settings
from render.topology import alertmanager_replica_urls

SOURCE = "falco"
"""The `source` label falcosidekick puts on every event it sends to Alertmanager."""

# falcosidekick also labels each event with Falco's own `priority` (Critical, Warning, ...), which is not our P0-P3:
# the security team's routes translate it. A runtime threat pages; suspicious activity waits for working hours.
PRIORITIES: dict[Priority, tuple[str, ...]] = {
    Priority.P1: ("Emergency", "Alert", "Critical"),
    Priority.P2: ("Error", "Warning"),
    Priority.P3: ("Notice", "Informational", "Info", "Debug"),
}


def priority_pattern(priority: Priority) -> str:
    """The Falco priorities that mean `priority`, as written by falcosidekick or in lower case."""
    names = PRIORITIES[priority]
    return "|".join([*names, *(n.lower() for n in names)])


def sidekick_alertmanager(org: Organisation, settings: Settings) -> dict:
    """The `config.alertmanager` block of falcosidekick.

    Every replica gets every event (falcosidekick takes a comma-separated list), like from VMAlert: a load-balanced
    Service would leave each replica with a different set of alerts. API v2, because Alertmanager removed v1.
    """
    labels = {"team": org.security_team, "cluster": settings.cluster_name, "source": SOURCE}
    return {
        "hostport": ",".join(alertmanager_replica_urls(settings)),
        "endpoint": "/api/v2/alerts",
        "minimumpriority": settings.falco.minimum_priority,
        "extralabels": ",".join(f"{key}:{value}" for key, value in sorted(labels.items())),
        "checkcert": True,
    }
