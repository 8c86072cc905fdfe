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


def alertmanager_scheme(settings: Settings) -> str:
    """Alertmanager's API is served over TLS wherever the platform runs its CA (docs/encryption.md)."""
    return "https" if settings.tls.enabled else "http"


def alertmanager_replica_urls(settings: Settings) -> list[str]:
    """One URL per Alertmanager replica: HA needs every sender to reach every replica, not one behind a Service."""
    host = f"{ALERTMANAGER_RELEASE}-headless.{MONITORING_NAMESPACE}.svc"
    scheme = alertmanager_scheme(settings)
    return [
        f"{scheme}://{ALERTMANAGER_RELEASE}-{i}.{host}:{ALERTMANAGER_PORT}" for i in range(settings.alertmanager.replicas)
    ]


def alertmanager_service_url(settings: Settings) -> str:
    """Alertmanager behind its Service: for readers (a silence snapshot), where any replica will do."""
    return f"{alertmanager_scheme(settings)}://{ALERTMANAGER_RELEASE}.{MONITORING_NAMESPACE}.svc:{ALERTMANAGER_PORT}"


# --- Namespaces besides `monitoring` --------------------------------------------------------------------------

FALCO_NAMESPACE = "falco"
"""Falco needs privileged pods; they get a namespace of their own so `monitoring` can enforce `restricted`."""
LITMUS_NAMESPACE = "litmus"
NODE_EXPORTER_NAMESPACE = "node-exporter"
"""node-exporter shares the host's namespaces and reads its paths: a namespace of its own, `privileged`."""


def service_host(service: str, namespace: str = MONITORING_NAMESPACE) -> str:
    return f"{service}.{namespace}.svc"


# --- VictoriaMetrics (objects named by the operator: <kind prefix>-<name>) --------------------------------------

VM_NAME = "platform"
"""The name of the VMSingle/VMCluster, VMAgent and VMAlert objects."""
VMAGENT_PORT = 8429


def metrics_scheme(settings: Settings) -> str:
    """VictoriaMetrics' storage (VMSingle, or VMCluster's vmselect and vminsert) serves HTTPS wherever the platform
    runs its CA (docs/encryption.md)."""
    return "https" if settings.tls.enabled else "http"


def metrics_hosts(mode: str) -> list[str]:
    """The Service names clients dial VictoriaMetrics' storage by: what its certificate must carry."""
    if mode == "single":
        return [service_host(f"vmsingle-{VM_NAME}")]
    return [service_host(f"vmselect-{VM_NAME}"), service_host(f"vminsert-{VM_NAME}")]


def metrics_query_url(settings: Settings) -> str:
    """The Prometheus-compatible query API of the environment's VictoriaMetrics (Grafana, Pyrra, VMAlert read here)."""
    scheme = metrics_scheme(settings)
    if settings.metrics.mode == "single":
        return f"{scheme}://{service_host(f'vmsingle-{VM_NAME}')}:8428"
    return f"{scheme}://{service_host(f'vmselect-{VM_NAME}')}:8481/select/0/prometheus"


def metrics_write_base_url(settings: Settings) -> str:
    """Where VMAlert writes its recording rules and alert state (it appends /api/v1/write itself)."""
    scheme = metrics_scheme(settings)
    if settings.metrics.mode == "single":
        return f"{scheme}://{service_host(f'vmsingle-{VM_NAME}')}:8428"
    return f"{scheme}://{service_host(f'vminsert-{VM_NAME}')}:8480/insert/0/prometheus"


def metrics_remote_write_url(settings: Settings) -> str:
    """The full remote-write URL of the environment's VictoriaMetrics storage."""
    return f"{metrics_write_base_url(settings)}/api/v1/write"


def vmagent_remote_write_url() -> str:
    """VMAgent's remote-write endpoint: pushed metrics (OTel Collector) join the scraped ones on their way out."""
    return f"http://{service_host(f'vmagent-{VM_NAME}')}:{VMAGENT_PORT}/api/v1/write"


# --- Thanos (stevehipwell chart: <release>-<component>) ----------------------------------------------------

THANOS_RELEASE = "thanos"
THANOS_REPLICA_LABEL = "vmagent_replica"
"""Set per VMAgent pod on what it sends to Thanos, so Thanos deduplicates the HA pair instead of mixing it."""


def thanos_receive_url() -> str:
    return f"http://{service_host(f'{THANOS_RELEASE}-receive-router')}:19291/api/v1/receive"


def thanos_query_url() -> str:
    """Thanos Query Frontend: the long-term (and federated) query API."""
    return f"http://{service_host(f'{THANOS_RELEASE}-query-frontend')}:10902"


# --- The rest of the alert path ------------------------------------------------------------------------------

GRAFANA_RELEASE = "grafana"
ONCALL_RELEASE = "oncall"
KARMA_RELEASE = "karma"
PYRRA_RELEASE = "pyrra"
FALCOSIDEKICK_RELEASE = "falcosidekick"
FALCOSIDEKICK_PORT = 2801
FALCO_TALON_RELEASE = "falco-talon"
"""The falco-talon chart names its Service after the chart (`falco-talon.name`), whatever the release is called."""
FALCO_TALON_PORT = 2803


GRAFANA_PORT = 80
GRAFANA_TLS_PORT = 443
"""The port of Grafana's Service where Grafana serves HTTPS (docs/encryption.md)."""


def grafana_port(settings: Settings) -> int:
    return GRAFANA_TLS_PORT if settings.tls.enabled else GRAFANA_PORT


def grafana_internal_url(settings: Settings) -> str:
    """Grafana's API inside the cluster: OnCall's engine calls it here."""
    scheme = "https" if settings.tls.enabled else "http"
    return f"{scheme}://{service_host(GRAFANA_RELEASE)}:{grafana_port(settings)}"


def oncall_engine_url() -> str:
    return f"http://{service_host(f'{ONCALL_RELEASE}-engine')}:8080"


def falcosidekick_url() -> str:
    return f"http://{service_host(FALCOSIDEKICK_RELEASE, FALCO_NAMESPACE)}:{FALCOSIDEKICK_PORT}"
