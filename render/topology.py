"""Where the platform's parts live in the cluster: names both the renderers and the components must agree on."""

from __future__ import annotations

import posixpath

from model.settings import Settings

MONITORING_NAMESPACE = "monitoring"

ALERTMANAGER_RELEASE = "alertmanager"
ALERTMANAGER_PORT = 9093
ALERTMANAGER_CONFIG_DIR = "/etc/alertmanager"
# Not below the config dir: that is a read-only ConfigMap volume, and a mount point cannot be created inside it.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager-secrets"
ALERTMANAGER_SECRET_NAME = "alertmanager-receivers"


def alertmanager_secret_path(secret: str) -> str:
    """The receiver-credential file as the rendered config names it: relative to the config file's directory.

    Alertmanager resolves relative `*_file` paths against the directory of its config file, so the same rendered
    file works in the pod and in a local copy laid out the same way (`alertmanager/` beside `alertmanager-secrets/`).
    """
    return posixpath.relpath(posixpath.join(ALERTMANAGER_SECRETS_DIR, secret), ALERTMANAGER_CONFIG_DIR)


def alertmanager_replica_urls(settings: Settings) -> list[str]:
    """One URL per Alertmanager replica: HA needs every sender to reach every replica, not one behind a Service."""
    host = f"{ALERTMANAGER_RELEASE}-headless.{MONITORING_NAMESPACE}.svc"
    return [
        f"http://{ALERTMANAGER_RELEASE}-{i}.{host}:{ALERTMANAGER_PORT}" for i in range(settings.alertmanager.replicas)
    ]
