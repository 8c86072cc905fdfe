"""Small in-cluster PostgreSQL and Valkey (Redis protocol) for development environments.

Production gives OnCall managed, replicated services through stack config instead (`oncall.postgres`,
`oncall.redis`); settings refuse `highAvailability: true` without them. These run the projects' own images, one
pod each, non-root on a read-only root filesystem, their passwords generated and kept as Pulumi secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_kubernetes.apps.v1 import StatefulSet
from pulumi_kubernetes.core.v1 import Service

from components.common import (
    PACKAGE,
    PART_OF,
    RESTRICTED_CONTAINER,
    child,
    generated_password,
    resources,
    secret_object,
)

POSTGRES_IMAGE = "docker.io/library/postgres:17.6-alpine"
VALKEY_IMAGE = "docker.io/valkey/valkey:8.1.3-alpine"
POSTGRES_UID = 70  # `postgres` in the alpine image
VALKEY_UID = 999  # `valkey` in the alpine image


@dataclass(frozen=True)
class DatabaseArgs:
    namespace: pulumi.Input[str]
    name: str
    """Kubernetes name of the Service and StatefulSet; the password is in the Secret `<name>-auth`."""
    database: str = "oncall"
    user: str = "oncall"
    storage_size: str = "2Gi"
    storage_class: str | None = None


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF}


def _pod_security(uid: int) -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _claim(size: str, storage_class: str | None) -> dict:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"metadata": {"name": "data"}, "spec": spec}


def _service(resource_name: str, args: DatabaseArgs, port: int, opts: pulumi.ResourceOptions) -> Service:
    return Service(
        resource_name,
        metadata={"name": args.name, "namespace": args.namespace, "labels": _labels(args.name)},
        spec={"selector": _labels(args.name), "ports": [{"name": "tcp", "port": port, "targetPort": port}]},
        opts=opts,
    )


def _statefulset(resource_name: str, args: DatabaseArgs, uid: int, container: dict, opts: pulumi.ResourceOptions) -> StatefulSet:
    return StatefulSet(
        resource_name,
        metadata={"name": args.name, "namespace": args.namespace, "labels": _labels(args.name)},
        spec={
            "serviceName": args.name,
            "replicas": 1,
            "selector": {"matchLabels": _labels(args.name)},
            "template": {
                "metadata": {"labels": _labels(args.name)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security(uid),
                    "containers": [{**container, "securityContext": RESTRICTED_CONTAINER}],
                    "volumes": [{"name": "run", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
                },
            },
            "volumeClaimTemplates": [_claim(args.storage_size, args.storage_class)],
        },
        opts=opts,
    )


class InClusterPostgres(pulumi.ComponentResource):
    """One PostgreSQL pod with a generated password; `host`, `port`, `password` describe how to reach it."""

    host: str
    port: int = 5432
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:InClusterPostgres", name, None, opts)
        self.password = generated_password(f"{name}-password", child(self))
        secret = secret_object(f"{name}-secret", f"{args.name}-auth", args.namespace, {"password": self.password}, child(self))
        container = {
            "name": "postgres",
            "image": POSTGRES_IMAGE,
            "env": [
                {"name": "POSTGRES_DB", "value": args.database},
                {"name": "POSTGRES_USER", "value": args.user},
                {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{args.name}-auth", "key": "password"}}},
                # A subdirectory: the volume's root holds lost+found, which initdb refuses.
                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
            ],
            "ports": [{"name": "tcp", "containerPort": self.port}],
            "readinessProbe": {"exec": {"command": ["pg_isready", "-U", args.user, "-d", args.database]}, "periodSeconds": 10},
            "resources": resources("100m", "256Mi", cpu_limit="1", memory_limit="512Mi"),
            "volumeMounts": [
                {"name": "data", "mountPath": "/var/lib/postgresql/data"},
                {"name": "run", "mountPath": "/var/run/postgresql"},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        self.statefulset = _statefulset(f"{name}-statefulset", args, POSTGRES_UID, container, child(self, secret))
        self.service = _service(f"{name}-service", args, self.port, child(self))
        self.host = args.name
        self.register_outputs({})


class InClusterValkey(pulumi.ComponentResource):
    """One Valkey pod (Redis protocol) with a generated password."""

    host: str
    port: int = 6379
    password: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:InClusterValkey", name, None, opts)
        self.password = generated_password(f"{name}-password", child(self))
        secret = secret_object(f"{name}-secret", f"{args.name}-auth", args.namespace, {"password": self.password}, child(self))
        container = {
            "name": "valkey",
            "image": VALKEY_IMAGE,
            "command": ["valkey-server"],
            # $(VAR) is expanded by the kubelet from the Secret-backed variable; the password is in no spec.
            "args": ["--requirepass", "$(VALKEY_PASSWORD)", "--appendonly", "yes", "--dir", "/data"],
            "env": [{"name": "VALKEY_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{args.name}-auth", "key": "password"}}}],
            "ports": [{"name": "tcp", "containerPort": self.port}],
            "readinessProbe": {"tcpSocket": {"port": self.port}, "periodSeconds": 10},
            "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="256Mi"),
            "volumeMounts": [
                {"name": "data", "mountPath": "/data"},
                {"name": "run", "mountPath": "/run"},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
        self.statefulset = _statefulset(f"{name}-statefulset", args, VALKEY_UID, container, child(self, secret))
        self.service = _service(f"{name}-service", args, self.port, child(self))
        self.host = args.name
        self.register_outputs({})
