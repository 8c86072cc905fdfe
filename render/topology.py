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
    """The receiver-credential file as the rendered config names it: an absolute path in the pod.

    Alertmanager resolves relative `url_file`, `routing_key_file`, `api_url_file` and `smtp_auth_password_file`
    against its working directory (the image's /alertmanager), not the config file's directory; only templates and
    `http_config` files follow the config file. An absolute path means the same file for every field.
    """
    return posixpath.join(ALERTMANAGER_SECRETS_DIR, secret)


def alertmanager_replica_urls(settings: Settings) -> list[str]:
    """One URL per Alertmanager replica: HA needs every sender to reach every replica, not one behind a Service."""
    host = f"{ALERTMANAGER_RELEASE}-headless.{MONITORING_NAMESPACE}.svc"
    return [
        f"http://{ALERTMANAGER_RELEASE}-{i}.{host}:{ALERTMANAGER_PORT}" for i in range(settings.alertmanager.replicas)
    ]
