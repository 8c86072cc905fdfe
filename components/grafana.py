"""Grafana: dashboards over VictoriaMetrics (recent) and Thanos (long-term), and the OnCall app's UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import ConfigMap
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from components.common import (
    PACKAGE,
    PART_OF,
    RESTRICTED_CONTAINER,
    Chart,
    Exposure,
    child,
    generated_password,
    ingress,
    max_unavailable_one,
    release,
    replicas,
    resources,
    restricted_pod,
    secret_object,
)
from model.settings import PostgresEndpoint
from render.systems import tls
from render.systems.oncall import ONCALL_PLUGIN_FILE, ONCALL_PLUGIN_ID
from render.systems.topology import GRAFANA_PORT, GRAFANA_RELEASE, GRAFANA_TLS_PORT
from render.yamlio import dump

# The grafana/grafana chart moved to the grafana-community repository in 2026-01.
CHART = Chart("grafana", "https://grafana-community.github.io/helm-charts", "12.11.1")
GRAFANA_UID = 472
ADMIN_SECRET = "grafana-admin"
DATABASE_SECRET = "grafana-database"
PLUGIN_CONFIGMAP = "grafana-oncall-plugin"
DASHBOARD_PROVIDER = "alerting"
DASHBOARDS_CONFIGMAP = "grafana-dashboards-alerting"


@dataclass(frozen=True)
class GrafanaArgs:
    namespace: pulumi.Input[str]
    url: str
    """The external URL (root_url): links in notifications and OnCall point here."""
    metrics_url: str
    """VictoriaMetrics' query API: the default datasource."""
    long_term_url: str
    """Thanos Query: the long-term datasource."""
    oncall_plugin: dict
    """The OnCall app's provisioning file (Artifacts.grafana_oncall_plugin): enabled, pointed at the engine."""
    database: PostgresEndpoint | None = None
    """A shared database; without one Grafana keeps SQLite on a volume and runs a single replica."""
    database_password: pulumi.Input[str] | None = None
    high_availability: bool = True
    storage_size: str = "2Gi"
    storage_class: str | None = None
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""
    dashboards: dict[str, str] = field(default_factory=dict)
    """Dashboard JSON by file name (render.systems.dashboards): Grafana's file provider loads them from a ConfigMap."""
    user_header: str | None = None
    """The authentication proxy's header naming the signed-in user's e-mail: Grafana signs them in (and up) by it."""
    metrics_ca: tuple[dict, dict, str] | None = None
    """(volume, volumeMount, CA file) verifying VictoriaMetrics' certificate, where it serves TLS
    (render.systems.tls.client_ca)."""
    serve_tls: bool = False
    """Serve HTTPS with the certificate cert-manager writes to `grafana-tls` (render.systems.tls.grafana_certificate)."""
    ca_bundle: tuple[dict, dict, str] | None = None
    """(volume, volumeMount, file) of the trust bundle (render.systems.tls.client_trust_bundle): what Grafana and the OnCall app's
    backend verify servers by, the public CAs and the platform's (the app calls Grafana itself at its Service)."""


def dashboard_provider(folder: str = "Alerting") -> dict:
    """The file provider that reads the dashboards ConfigMap, mounted by the chart at /var/lib/grafana/dashboards/<name>.

    A ConfigMap rather than Grafana's API: the dashboards ship with the release, need no API token at deploy time and
    cannot drift (read-only, deletion refused)."""
    return {
        "dashboardproviders.yaml": {
            "apiVersion": 1,
            "providers": [
                {
                    "name": DASHBOARD_PROVIDER,
                    "orgId": 1,
                    "folder": folder,
                    "type": "file",
                    "disableDeletion": True,
                    "editable": False,
                    "allowUiUpdates": False,
                    "options": {"path": f"/var/lib/grafana/dashboards/{DASHBOARD_PROVIDER}"},
                }
            ],
        }
    }


def datasources(args: GrafanaArgs) -> dict:
    """Provisioned datasources: fixed uids, so dashboards can refer to them across environments."""
    return {
        "datasources.yaml": {
            "apiVersion": 1,
            "datasources": [
                {
                    "name": "VictoriaMetrics",
                    "uid": "victoriametrics",
                    "type": "prometheus",
                    "access": "proxy",
                    "url": args.metrics_url,
                    "isDefault": True,
                    "editable": False,
                    # Provisioning expands $__file{} (setting.ExpandVar in pkg/services/provisioning/values/values.go).
                    **({"jsonData": {"tlsAuthWithCACert": True},
                        "secureJsonData": {"tlsCACert": f"$__file{{{args.metrics_ca[2]}}}"}} if args.metrics_ca else {}),
                },
                {
                    "name": "Thanos",
                    "uid": "thanos",
                    "type": "prometheus",
                    "access": "proxy",
                    "url": args.long_term_url,
                    "isDefault": False,
                    "editable": False,
                    "jsonData": {"timeInterval": "5m"},
                },
            ],
        }
    }


def grafana_ini(args: GrafanaArgs) -> dict:
    ini: dict[str, Any] = {
        "server": {"root_url": args.url, **(tls.grafana_server_tls() if args.serve_tls else {})},
        "analytics": {"check_for_updates": False, "reporting_enabled": False},
        # The OnCall app authenticates to Grafana with a service account Grafana manages for it.
        "feature_toggles": {"enable": "externalServiceAccounts"},
        "auth": {"managed_service_accounts_enabled": True},
        "users": {"allow_sign_up": False},
    }
    if args.ca_bundle is not None:
        # Since Grafana v12.4 a plugin's process gets none of Grafana's environment but what this names: the OnCall
        # app's backend (Go) needs SSL_CERT_FILE to verify Grafana by the bundle.
        ini["plugins"] = {"forward_host_env_vars": ONCALL_PLUGIN_ID}
    if args.user_header:
        # Users come from the proxy: created at their first visit, as Viewers of nothing but what their teams are granted.
        ini["auth.proxy"] = {
            "enabled": True,
            "header_name": args.user_header,
            "header_property": "email",
            "auto_sign_up": True,
            "enable_login_token": False,
        }
        ini["auth"]["disable_login_form"] = True
    if args.database:
        db = args.database
        ini["database"] = {
            "type": "postgres",
            "host": f"{db.host}:{db.port}",
            "name": db.database,
            "user": db.user,
            "ssl_mode": db.ssl_mode,
            # Read from the mounted Secret at start-up: the password never enters the chart values.
            "password": f"$__file{{/etc/secrets/{DATABASE_SECRET}/password}}",
        }
    return ini


class Grafana(pulumi.ComponentResource):
    """Grafana, its admin password generated and kept as a Pulumi secret."""

    admin_secret: Any
    admin_password: pulumi.Output[str]
    release: Any

    def __init__(self, name: str, args: GrafanaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Grafana", name, None, opts)
        admin_password = self.admin_password = generated_password(f"{name}-admin-password", child(self))
        self.admin_secret = secret_object(
            f"{name}-admin", ADMIN_SECRET, args.namespace, {"admin-user": "admin", "admin-password": admin_password},
            child(self),
        )
        depends = [self.admin_secret]
        secret_mounts = []
        if args.database:
            if args.database_password is None:
                raise ValueError("a Grafana database needs its password")
            depends.append(
                secret_object(
                    f"{name}-database", DATABASE_SECRET, args.namespace, {"password": args.database_password},
                    child(self),
                )
            )
            secret_mounts.append(
                {"name": "database", "secretName": DATABASE_SECRET, "mountPath": f"/etc/secrets/{DATABASE_SECRET}", "readOnly": True}
            )
        plugin_config = ConfigMap(
            f"{name}-oncall-plugin",
            metadata=ObjectMetaArgs(name=PLUGIN_CONFIGMAP, namespace=args.namespace, labels={"app.kubernetes.io/part-of": PART_OF}),
            data={ONCALL_PLUGIN_FILE: dump(args.oncall_plugin)},
            opts=child(self),
        )
        depends.append(plugin_config)
        if args.metrics_ca:
            volume, mount, _ = args.metrics_ca
            secret_mounts.append({**mount, "secretName": volume["secret"]["secretName"], "items": volume["secret"]["items"]})
        if args.dashboards:
            depends.append(
                ConfigMap(
                    f"{name}-dashboards",
                    metadata=ObjectMetaArgs(name=DASHBOARDS_CONFIGMAP, namespace=args.namespace, labels={"app.kubernetes.io/part-of": PART_OF}),
                    data=dict(sorted(args.dashboards.items())),
                    opts=child(self),
                )
            )

        if args.serve_tls:
            secret_mounts.append({"name": "tls", "secretName": tls.GRAFANA_TLS_SECRET, "mountPath": tls.GRAFANA_TLS_DIR, "readOnly": True})
        port = GRAFANA_TLS_PORT if args.serve_tls else GRAFANA_PORT
        config_mounts = [{"name": "oncall-plugin", "configMap": PLUGIN_CONFIGMAP, "mountPath": "/etc/grafana/provisioning/plugins", "readOnly": True}]
        if args.ca_bundle is not None:
            volume, mount, _ = args.ca_bundle
            config_mounts.append({"name": volume["name"], "configMap": volume["configMap"]["name"], "items": volume["configMap"]["items"],
                                  "mountPath": mount["mountPath"], "readOnly": True})

        # SQLite is one pod's file: more than one replica needs the shared database.
        ha = args.high_availability and args.database is not None
        persistence: dict[str, Any] = {"enabled": args.database is None, "type": "pvc", "size": args.storage_size}
        if args.storage_class:
            persistence["storageClassName"] = args.storage_class
        values: dict[str, Any] = {
            "replicas": replicas(ha),
            "podDisruptionBudget": max_unavailable_one(ha),
            "admin": {"existingSecret": ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "grafana.ini": grafana_ini(args),
            "datasources": datasources(args),
            "plugins": [ONCALL_PLUGIN_ID],
            "extraConfigmapMounts": config_mounts,
            "extraSecretMounts": secret_mounts,
            **({"dashboardProviders": dashboard_provider(), "dashboardsConfigMaps": {DASHBOARD_PROVIDER: DASHBOARDS_CONFIGMAP}}
               if args.dashboards else {}),
            "extraEmptyDirMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            "persistence": persistence,
            # The chart's chown init container runs as root; fsGroup already gives the volume to Grafana's user.
            "initChownData": {"enabled": False},
            "testFramework": {"enabled": False},
            "securityContext": restricted_pod(GRAFANA_UID),
            "containerSecurityContext": RESTRICTED_CONTAINER,
            "resources": resources("100m", "256Mi", cpu_limit="1", memory_limit="1Gi"),
            "service": {"port": port},
        }
        if args.ca_bundle is not None:
            # Go's crypto/x509 on Linux reads its roots from SSL_CERT_FILE instead of the system file: Grafana's own
            # outgoing calls and the OnCall app's then trust the public CAs and the platform's.
            values["env"] = {"SSL_CERT_FILE": args.ca_bundle[2]}
        if args.serve_tls:
            # The kubelet probes over HTTPS without verifying the certificate; Helm merges the scheme into the chart's
            # probes (path /api/health on port `grafana`, the liveness probe's delays). The chart's sidecars, whose
            # reload URL is plain http://localhost:3000, stay off: dashboards and datasources are provisioned files.
            values["readinessProbe"] = {"httpGet": {"scheme": "HTTPS"}}
            values["livenessProbe"] = {"httpGet": {"scheme": "HTTPS"}}
        self.release = release(
            f"{name}-release", GRAFANA_RELEASE, CHART, args.namespace, values, args.extra_values,
            child(self, *depends),
        )
        if args.exposure:
            ingress(f"{name}-ingress", args.exposure, GRAFANA_RELEASE, port, args.namespace, child(self, self.release))
        self.register_outputs({"status": self.release.status})
