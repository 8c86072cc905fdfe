"""Grafana OnCall: escalation, schedules and integrations, with external PostgreSQL, Redis and Grafana.

OnCall OSS is archived (1.16.9 is final) and its chart's bundled Bitnami databases no longer pull, so every
dependency is external: in development small in-cluster ones (components.databases), in production the managed
services named in stack config. The chart's own MariaDB, PostgreSQL, RabbitMQ, Redis, Grafana, ingress-nginx and
cert-manager are all switched off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from pulumi_kubernetes.apiextensions import CustomResource
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
    release,
    replicas,
    resources,
    restricted_pod,
    secret_object,
)
from render.systems.topology import ONCALL_RELEASE

CHART = Chart("oncall", "https://grafana.github.io/helm-charts", "1.16.5")
IMAGE_TAG = "v1.16.5"
"""The chart's appVersion: 1.16.5 is the last chart the repository published."""
ENGINE_PORT = 8080
ONCALL_UID = 1000
SECRETS = "oncall-secrets"
POSTGRES_SECRET = "oncall-postgres"
POSTGRES_CA_DIR = "/etc/oncall/postgres-ca"
REDIS_SECRET = "oncall-redis"
EXPORTER_SECRET = "oncall-exporter"
"""The chart reads the exporter's bearer token from `<fullname>-exporter`, key `exporter-secret`."""
EXPORTER_PATH = "/metrics/"

# Celery beat keeps its schedule file in the working directory of the image, so OnCall's containers need a
# writable root filesystem; everything else about them is restricted.
ONCALL_CONTAINER = {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": False}


@dataclass(frozen=True)
class PostgresConnection:
    host: pulumi.Input[str]
    database: str
    user: str
    password: pulumi.Input[str]
    port: int = 5432
    ssl_mode: str = "require"
    ca_certificate: pulumi.Input[str] | None = None
    """PEM of the CA that signed the server's certificate; mounted for verify-ca and verify-full."""


@dataclass(frozen=True)
class RedisConnection:
    host: pulumi.Input[str]
    password: pulumi.Input[str] | None
    port: int = 6379
    database: int = 0
    tls: bool = True


@dataclass(frozen=True)
class OnCallArgs:
    namespace: pulumi.Input[str]
    host: str
    """The external host name integrations and the Grafana app reach the engine at."""
    grafana_url: str
    postgres: PostgresConnection
    redis: RedisConnection
    high_availability: bool = True
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""
    scrape_depends_on: tuple[pulumi.Resource, ...] = ()
    """What serves the VMServiceScrape kind (the VictoriaMetrics operator's CRDs): VMAgent scrapes OnCall's exporter."""
    ca_bundle: tuple[dict, dict, str] | None = None
    """(volume, volumeMount, file) of the trust bundle (render.systems.tls.client_trust_bundle): the public CAs and the
    platform's, for `requests` to verify Grafana by where Grafana serves TLS."""


def exporter_scrape_spec() -> dict:
    """VMAgent reads OnCall's exporter on the engine's Service, with the token the engine checks."""
    return {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "oncall", "app.kubernetes.io/instance": ONCALL_RELEASE,
                                     "app.kubernetes.io/component": "engine"}},
        "endpoints": [{"port": "http", "path": EXPORTER_PATH, "bearerTokenSecret": {"name": EXPORTER_SECRET, "key": "exporter-secret"}}],
    }


def _volumes(postgres: PostgresConnection, ca_bundle: tuple[dict, dict, str] | None = None) -> dict[str, list]:
    """A writable /tmp, the database's CA where the connection verifies the server, and the trust bundle."""
    volumes: list[dict] = [{"name": "tmp", "emptyDir": {}}]
    mounts: list[dict] = [{"name": "tmp", "mountPath": "/tmp"}]
    if postgres.ca_certificate is not None:
        volumes.append({"name": "postgres-ca", "secret": {"secretName": POSTGRES_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
        mounts.append({"name": "postgres-ca", "mountPath": POSTGRES_CA_DIR, "readOnly": True})
    if ca_bundle is not None:
        volumes.append(ca_bundle[0])
        mounts.append(ca_bundle[1])
    return {"extraVolumes": volumes, "extraVolumeMounts": mounts}


def database_options(postgres: PostgresConnection) -> str:
    """libpq parameters as OnCall reads DATABASE_OPTIONS: space-separated key=value pairs."""
    options = f"sslmode={postgres.ssl_mode}"
    if postgres.ca_certificate is not None:
        options += f" sslrootcert={POSTGRES_CA_DIR}/ca.crt"
    return options


def chart_values(args: OnCallArgs) -> dict[str, Any]:
    ha = args.high_availability
    redis_protocol: Literal["redis", "rediss"] = "rediss" if args.redis.tls else "redis"
    external_redis: dict[str, Any] = {
        "protocol": redis_protocol,
        "host": args.redis.host,
        "port": args.redis.port,
        "database": args.redis.database,
        "ssl_options": {"enabled": args.redis.tls},
    }
    if args.redis.password is not None:
        external_redis.update({"existingSecret": REDIS_SECRET, "passwordKey": "password"})
    values: dict[str, Any] = {
        "base_url": args.host,
        "base_url_protocol": "https",
        "image": {"tag": IMAGE_TAG},
        "engine": {
            "replicaCount": replicas(ha),
            "resources": resources("250m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            **_volumes(args.postgres, args.ca_bundle),
        },
        # The chart runs celery beat inside every celery worker (CELERY_WORKER_BEAT_ENABLED): a second replica would
        # run every periodic task, escalation checks included, twice. One worker with the scheduler it is.
        "celery": {
            "replicaCount": 1,
            "worker_beat_enabled": "True",
            "resources": resources("250m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            **_volumes(args.postgres, args.ca_bundle),
        },
        "migrate": {
            "enabled": True,
            "resources": resources("100m", "256Mi", cpu_limit="500m", memory_limit="512Mi"),
            **_volumes(args.postgres, args.ca_bundle),
        },
        "oncall": {
            "secrets": {"existingSecret": SECRETS, "secretKey": "secret-key", "mirageSecretKey": "mirage-secret-key"},
            # Notifications leave through Alertmanager and the team channels; OnCall's own SMTP stays off.
            "smtp": {"enabled": False},
            # Response times and alert-group counts for the alerting KPIs (render.rules.kpis), behind a bearer token.
            "exporter": {"enabled": True},
        },
        "database": {"type": "postgresql"},
        "externalPostgresql": {
            "host": args.postgres.host,
            "port": args.postgres.port,
            "db_name": args.postgres.database,
            "user": args.postgres.user,
            "existingSecret": POSTGRES_SECRET,
            "passwordKey": "password",
            "options": database_options(args.postgres),
        },
        "broker": {"type": "redis"},
        "externalRedis": external_redis,
        "externalGrafana": {"url": args.grafana_url},
        # Every bundled dependency off: the Bitnami images are gone, and the platform brings its own.
        "mariadb": {"enabled": False},
        "postgresql": {"enabled": False},
        "rabbitmq": {"enabled": False},
        "redis": {"enabled": False},
        "grafana": {"enabled": False},
        "ingress": {"enabled": False},
        "ingress-nginx": {"enabled": False},
        "cert-manager": {"enabled": False},
        "podSecurityContext": restricted_pod(ONCALL_UID),
        "securityContext": ONCALL_CONTAINER,
        "init": {"securityContext": ONCALL_CONTAINER, "resources": resources("50m", "128Mi", memory_limit="256Mi")},
    }
    if args.ca_bundle is not None:
        # OnCall calls Grafana with `requests` and no `verify` (engine/apps/grafana_plugin/helpers/client.py, v1.16.5),
        # so requests takes REQUESTS_CA_BUNDLE (Session.merge_environment_settings). The bundle holds the public CAs
        # too: every other `requests` call OnCall makes (outgoing webhooks, Jira, Zendesk) still verifies as before.
        # The chart sets `env` on every container, the wait-for-db init container too, which mounts no volume but
        # only runs `manage.py migrate --check` and makes no HTTP request.
        values["env"] = {"REQUESTS_CA_BUNDLE": args.ca_bundle[2]}
    return values


class OnCall(pulumi.ComponentResource):
    """The OnCall engine and workers; Django's keys generated once and kept as Pulumi secrets."""

    release: Any

    def __init__(self, name: str, args: OnCallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:OnCall", name, None, opts)
        secrets = [
            secret_object(
                f"{name}-secrets",
                SECRETS,
                args.namespace,
                {
                    "secret-key": generated_password(f"{name}-secret-key", child(self), length=50),
                    "mirage-secret-key": generated_password(f"{name}-mirage-secret-key", child(self), length=50),
                },
                child(self),
            ),
            secret_object(
                f"{name}-exporter", EXPORTER_SECRET, args.namespace,
                {"exporter-secret": generated_password(f"{name}-exporter-token", child(self), length=40)}, child(self),
            ),
            secret_object(
                f"{name}-postgres", POSTGRES_SECRET, args.namespace,
                {"password": args.postgres.password}
                | ({"ca.crt": args.postgres.ca_certificate} if args.postgres.ca_certificate is not None else {}),
                child(self),
            ),
        ]
        if args.redis.password is not None:
            secrets.append(
                secret_object(f"{name}-redis", REDIS_SECRET, args.namespace, {"password": args.redis.password}, child(self))
            )
        self.release = release(
            f"{name}-release", ONCALL_RELEASE, CHART, args.namespace, chart_values(args), args.extra_values,
            child(self, *secrets),
        )
        if args.scrape_depends_on:
            CustomResource(
                f"{name}-exporter-scrape",
                api_version="operator.victoriametrics.com/v1beta1",
                kind="VMServiceScrape",
                metadata=ObjectMetaArgs(name=f"{ONCALL_RELEASE}-engine", namespace=args.namespace, labels={"app.kubernetes.io/part-of": PART_OF}),
                spec=exporter_scrape_spec(),
                opts=child(self, self.release, *args.scrape_depends_on),
            )
        if args.exposure:
            ingress(
                f"{name}-ingress", args.exposure, f"{ONCALL_RELEASE}-engine", ENGINE_PORT, args.namespace,
                child(self, self.release),
            )
        self.register_outputs({"status": self.release.status})
