"""Backups: OnCall's and Grafana's PostgreSQL databases and Alertmanager's silences, dumped on a schedule into
the object store Thanos already uses (under `alerting-platform-backups/`), with a retention.

Each is one CronJob: an init container writes the dump into an emptyDir (pg_dump from the postgres image, or
amtool from Alertmanager's own image), then rclone uploads it under a timestamp and deletes dumps older than the
retention. rclone's remote is derived from the objstore.yml secret (render/systems/backup.py) and mounted from a Secret;
no credential is in a spec. The restore is in docs/operations.md.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import pulumi
from pulumi_kubernetes.batch.v1 import CronJob

from components.common import PACKAGE, PART_OF, RESTRICTED_CONTAINER, child, resources, restricted_pod, secret_object
from components.databases import POSTGRES_IMAGE
from render.systems.backup import DUMP_DIR, dump_command, rclone_config, silences_script, upload_script

RCLONE_IMAGE = "docker.io/rclone/rclone:1.71.1"
AMTOOL_IMAGE = "quay.io/prometheus/alertmanager:v0.34.0"  # the chart's appVersion: amtool matches the server
RCLONE_SECRET = "backup-rclone"
RCLONE_UID = 65534
POSTGRES_UID = 70  # `postgres` in the alpine image: pg_dump needs no more


@dataclass(frozen=True)
class DatabaseToBackUp:
    """A PostgreSQL database and how to reach it; the password is read from `password_secret`/`password_key`."""

    name: str
    """Names the CronJob (`backup-<name>`) and the folder in the bucket."""
    host: pulumi.Input[str]
    database: str
    user: str
    password_secret: pulumi.Input[str]
    password_key: str = "password"
    port: int = 5432
    ssl_mode: str = "require"


@dataclass(frozen=True)
class BackupArgs:
    namespace: pulumi.Input[str]
    objstore_config: pulumi.Input[str]
    """Thanos' objstore.yml, a Pulumi secret; the backups' rclone remote is derived from it."""
    databases: tuple[DatabaseToBackUp, ...] = ()
    alertmanager_url: str | None = None
    """Where amtool reads the silences; None: no silence backup."""
    alertmanager_ca: tuple[dict, dict] | None = None
    """(volume, volumeMount) of the CA that verifies Alertmanager's certificate (render.systems.tls.client_ca); None: plain HTTP."""
    schedule: str = "23 */6 * * *"
    keep_days: int = 14
    extra_labels: dict[str, str] = field(default_factory=dict)


def _volumes() -> list[dict]:
    return [
        {"name": "dump", "emptyDir": {"sizeLimit": "10Gi"}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "rclone", "secret": {"secretName": RCLONE_SECRET, "defaultMode": 0o440}},
    ]


def _uploader(name: str, suffix: str, keep_days: int) -> dict:
    return {
        "name": "upload",
        "image": RCLONE_IMAGE,
        "command": ["/bin/sh", "-c", upload_script(name, suffix, keep_days)],
        # rclone keeps its cache under $HOME; the root filesystem is read-only.
        "env": [{"name": "RCLONE_CONFIG", "value": "/config/rclone/rclone.conf"}, {"name": "HOME", "value": "/tmp"}],
        "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="256Mi"),
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [
            {"name": "dump", "mountPath": DUMP_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "rclone", "mountPath": "/config/rclone", "readOnly": True},
        ],
    }


def cron_job_spec(schedule: str, init: dict, upload: dict, uid: int, extra_volumes: tuple[dict, ...] = ()) -> dict:
    """One run at a time, retried twice, never longer than an hour; init container (dump) then the upload."""
    return {
        "schedule": schedule,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": 3600,
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/component": "backup"}},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "automountServiceAccountToken": False,
                        "securityContext": restricted_pod(uid),
                        "initContainers": [init],
                        "containers": [upload],
                        "volumes": [*_volumes(), *extra_volumes],
                    },
                },
            }
        },
    }


def database_dump(db: DatabaseToBackUp) -> dict:
    env = [
        {"name": "PGHOST", "value": db.host},
        {"name": "PGPORT", "value": str(db.port)},
        {"name": "PGDATABASE", "value": db.database},
        {"name": "PGUSER", "value": db.user},
        {"name": "PGSSLMODE", "value": db.ssl_mode},
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": db.password_secret, "key": db.password_key}}},
    ]
    return {
        "name": "dump",
        "image": POSTGRES_IMAGE,
        "command": dump_command(db.name),
        "env": env,
        "resources": resources("100m", "128Mi", cpu_limit="1", memory_limit="512Mi"),
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [{"name": "dump", "mountPath": DUMP_DIR}, {"name": "tmp", "mountPath": "/tmp"}],
    }


def silences_dump(alertmanager_url: str, ca: tuple[dict, dict] | None = None) -> dict:
    ca_file = posixpath.join(ca[1]["mountPath"], ca[0]["secret"]["items"][0]["path"]) if ca else None
    return {
        "name": "dump",
        "image": AMTOOL_IMAGE,
        "command": ["/bin/sh", "-c", silences_script(alertmanager_url, ca_file)],
        "resources": resources("20m", "32Mi", cpu_limit="200m", memory_limit="64Mi"),
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [{"name": "dump", "mountPath": DUMP_DIR}, {"name": "tmp", "mountPath": "/tmp"}, *([ca[1]] if ca else [])],
    }


class Backups(pulumi.ComponentResource):
    """The backup CronJobs of one environment and the rclone remote they upload through."""

    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Backups", name, None, opts)
        conf = pulumi.Output.from_input(args.objstore_config).apply(lambda text: rclone_config(text)[0])
        self.remote = secret_object(f"{name}-rclone", RCLONE_SECRET, args.namespace, {"rclone.conf": conf}, child(self))
        jobs = [(db.name, database_dump(db), "dump", POSTGRES_UID, ()) for db in args.databases]
        if args.alertmanager_url:
            ca = args.alertmanager_ca
            jobs.append(("silences", silences_dump(args.alertmanager_url, ca), "json", RCLONE_UID, (ca[0],) if ca else ()))
        self.jobs = []
        for job, init, suffix, uid, volumes in jobs:
            spec = cron_job_spec(args.schedule, init, _uploader(job, suffix, args.keep_days), uid, volumes)
            self.jobs.append(
                CronJob(
                    f"{name}-{job}",
                    metadata={"name": f"backup-{job}", "namespace": args.namespace,
                              "labels": {"app.kubernetes.io/part-of": PART_OF, **args.extra_labels}},
                    spec=spec,
                    opts=child(self, self.remote),
                )
            )
        self.register_outputs({})
