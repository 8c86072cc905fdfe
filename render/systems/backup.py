"""Backups into the platform's one object store: Thanos' objstore.yml as an rclone remote, and the jobs' commands.

The databases of Grafana OnCall and Grafana, and Alertmanager's silences, are copied into the bucket Thanos
already writes to, under `alerting-platform-backups/`. rclone (its own image, pinned) does the upload; it reads
its remote from an rclone.conf that is derived here from the objstore.yml (same bucket, same credentials), so
the stack keeps one object-storage secret. See docs/operations.md for the schedule and the restore.
"""

from __future__ import annotations

import json
import shlex

import yaml

PREFIX = "alerting-platform-backups"
STORE = "store"
REMOTE = "backups"
"""The remote the jobs write to: an alias of `<bucket>/alerting-platform-backups` on the store, so no bucket name
(read from a secret) appears in a job's spec."""
DUMP_DIR = "/backup"

# Thanos objstore types (thanos-io/objstore client/factory.go) and the rclone backend each maps to.
SUPPORTED = ("S3", "GCS", "AZURE", "FILESYSTEM")


class ObjstoreError(ValueError):
    """The objstore.yml cannot be used for backups; the message never contains a value from it."""


def rclone_config(objstore_yml: str) -> tuple[str, str]:
    """(rclone.conf, the store path of the backup prefix) for an objstore.yml: the store's remote, and `backups:`
    aliased to the prefix in its bucket."""
    try:
        doc = yaml.safe_load(objstore_yml)
    except yaml.YAMLError:
        raise ObjstoreError("is not YAML: expected Thanos' objstore.yml (type: and config:)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ObjstoreError("expected Thanos' objstore.yml: a mapping with `type` and `config`")
    kind, config = str(doc.get("type", "")).upper(), doc["config"]

    def need(key: str) -> str:
        value = config.get(key)
        if not isinstance(value, str) or not value:
            raise ObjstoreError(f"{kind} config needs `{key}` for backups")
        return value

    if kind == "S3":
        bucket = need("bucket")
        scheme = "http" if config.get("insecure") else "https"
        options = {"type": "s3", "provider": "Other", "endpoint": f"{scheme}://{need('endpoint')}"}
        if config.get("region"):
            options["region"] = str(config["region"])
        if config.get("access_key"):
            options |= {"access_key_id": need("access_key"), "secret_access_key": need("secret_key")}
            if config.get("session_token"):
                options["session_token"] = str(config["session_token"])
        else:
            options["env_auth"] = "true"  # the pod's workload identity, as Thanos falls back to it
    elif kind == "GCS":
        bucket = need("bucket")
        options = {"type": "google cloud storage", "bucket_policy_only": "true"}
        if config.get("service_account"):
            try:
                options["service_account_credentials"] = json.dumps(json.loads(config["service_account"]), separators=(",", ":"))
            except (TypeError, ValueError):
                raise ObjstoreError("GCS config `service_account` is not JSON") from None
        else:
            options["env_auth"] = "true"
    elif kind == "AZURE":
        bucket = need("container")
        options = {"type": "azureblob", "account": need("storage_account")}
        if config.get("storage_account_key"):
            options["key"] = need("storage_account_key")
        else:
            options["env_auth"] = "true"
        if config.get("endpoint"):
            options["endpoint"] = f"https://{need('storage_account')}.blob.{config['endpoint']}"
    elif kind == "FILESYSTEM":
        bucket = need("directory")
        options = {"type": "local"}
    else:
        raise ObjstoreError(f"type {kind or '(none)'} is not supported for backups; supported: {', '.join(SUPPORTED)}")
    for key, value in options.items():
        if "\n" in value or "\r" in value:
            raise ObjstoreError(f"{kind} config `{key}` spans lines")
    prefix = f"{STORE}:{bucket.rstrip('/')}/{PREFIX}"
    text = (
        f"[{STORE}]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())
        + f"\n[{REMOTE}]\ntype = alias\nremote = {prefix}\n"
    )
    return text, prefix


def dump_command(name: str) -> list[str]:
    """pg_dump of the database the libpq variables (PGHOST, PGDATABASE, ...) name, in the custom format
    pg_restore reads: compressed, every object, no owners (the restore target's user owns what it restores)."""
    return ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={DUMP_DIR}/{name}.dump"]


def upload_script(name: str, suffix: str, keep_days: int) -> str:
    """Upload one file under a UTC timestamp, then delete this job's uploads older than `keep_days`."""
    target = f"{REMOTE}:{name}"
    return (
        "set -eu\n"
        "stamp=$(date -u +%Y%m%dT%H%M%SZ)\n"
        f"rclone copyto {DUMP_DIR}/{name}.{suffix} {shlex.quote(target)}/{name}-$stamp.{suffix}\n"
        f"rclone delete --min-age {keep_days}d {shlex.quote(target)}\n"
        f"echo uploaded {name}-$stamp.{suffix}\n"
    )


def silences_script(alertmanager_url: str, ca_file: str | None = None) -> str:
    """Every silence (active and pending) as JSON, the form `amtool silence import` reads back. With `ca_file`,
    Alertmanager's certificate is verified by it: amtool takes TLS settings only from an HTTP config file
    (`--http.config.file`, prometheus/common's http_config), written where the pod may write."""
    http_config = f"printf '%s\\n' {shlex.quote(f'tls_config: {{ca_file: {ca_file}}}')} > /tmp/http-config.yml\n" if ca_file else ""
    flag = " --http.config.file=/tmp/http-config.yml" if ca_file else ""
    return (
        f"set -eu\n{http_config}"
        f"amtool silence query --alertmanager.url={shlex.quote(alertmanager_url)}{flag} -o json > {DUMP_DIR}/silences.json\n"
    )


def restore_command(dump_file: str, database: str) -> list[str]:
    """pg_restore of one dump into an existing, empty database (the libpq variables name the server and user).

    --exit-on-error: a restore that stops half-way must say so, not leave a database that looks whole.
    """
    return ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database}", dump_file]
