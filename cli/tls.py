"""TLS checked on what Helm renders: each TLS config file a container is started with exists in what it mounts,
every certificate, key and CA file that config names lies in a mounted Secret that a cert-manager Certificate writes,
from an Issuer the build creates, valid for the name peers verify and for client authentication where peers must
present one; and, wherever the build runs cert-manager, no Alertmanager cluster gossips in plain text.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

import yaml

from cli.wiring import Obj, _containers, _get, issued_secrets, workloads

# Flags naming a TLS config file: the file's format is the exporter-toolkit web config (`tls_server_config`) or
# Alertmanager's cluster TLS config (`tls_server_config` and `tls_client_config`, cluster/tls_config.go).
TLS_FLAGS = ("--cluster.tls-config", "--web.config.file")
FILE_FIELDS = ("cert_file", "key_file", "client_ca_file", "ca_file")


def _flag(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith(f"{flag}="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def _mount(template: dict, container: dict, path: str) -> tuple[dict, dict] | None:
    """(volumeMount, volume) under which `path` lies in the container, the deepest mount first."""
    volumes = {v.get("name"): v for v in _get(template, "spec", "volumes") or []}
    for mount in sorted(container.get("volumeMounts") or [], key=lambda m: -len(m.get("mountPath", ""))):
        root = mount.get("mountPath", "").rstrip("/") + "/"
        if path.startswith(root) and mount.get("name") in volumes:
            return mount, volumes[mount["name"]]
    return None


def _config_file(objects: list[Obj], namespace: str, template: dict, container: dict, path: str) -> tuple[dict | None, str]:
    """The parsed TLS config a flag names, or why it cannot be read."""
    found = _mount(template, container, path)
    if found is None:
        return None, f"{path} is in no volume the container mounts"
    mount, volume = found
    key = mount.get("subPath") or posixpath.relpath(path, mount["mountPath"])
    if "configMap" in volume:
        name = volume["configMap"].get("name")
        source = next((o for o in objects if o.kind == "ConfigMap" and o.namespace == namespace and o.name == name), None)
        text = (source.body.get("data") or {}).get(key) if source else None
    elif "secret" in volume:
        name = volume["secret"].get("secretName")
        source = next((o for o in objects if o.kind == "Secret" and o.namespace == namespace and o.name == name), None)
        text = (source.body.get("stringData") or {}).get(key) if source else None
    else:
        return None, f"{path} is in volume {mount.get('name')!r}, neither a ConfigMap nor a Secret"
    if text is None:
        return None, f"{path}: volume {mount.get('name')!r} has no file {key!r}"
    try:
        return yaml.safe_load(text), ""
    except yaml.YAMLError:
        return None, f"{path} is not YAML"


def _config_problems(objects: list[Obj], namespace: str, template: dict, container: dict, flag: str, config: dict) -> list[str]:
    problems: list[str] = []
    sections = ["tls_server_config", *(["tls_client_config"] if flag == "--cluster.tls-config" else [])]
    issued = issued_secrets(objects)
    certificates: list[Obj] = []
    for section in sections:
        part = config.get(section)
        if not isinstance(part, dict):
            problems.append(f"{flag}: no {section}")
            continue
        for field in FILE_FIELDS:
            path = part.get(field)
            if not path:
                continue
            found = _mount(template, container, path)
            secret = _get(found[1], "secret", "secretName") if found else None
            if secret is None:
                problems.append(f"{flag}: {section}.{field} {path} is in no mounted Secret")
            elif (namespace, secret) not in issued:
                problems.append(f"{flag}: {section}.{field} {path} is in Secret {secret!r}, which no cert-manager Certificate writes")
            else:
                certificates.append(issued[(namespace, secret)])
    for cert in {c.name: c for c in certificates}.values():
        spec = cert.body.get("spec") or {}
        issuer = _get(spec, "issuerRef", "name")
        kind = _get(spec, "issuerRef", "kind") or "Issuer"
        if not any(o.kind == kind and o.name == issuer and (kind == "ClusterIssuer" or o.namespace == namespace) for o in objects):
            problems.append(f"Certificate {cert.name}: its {kind} {issuer!r} is not created")
        server_name = _get(config, "tls_client_config", "server_name")
        if server_name and server_name not in (spec.get("dnsNames") or []):
            problems.append(f"Certificate {cert.name} is not valid for {server_name!r}, the name peers verify")
        if _get(config, "tls_server_config", "client_auth_type") in ("RequireAndVerifyClientCert", "RequireAnyClientCert") and (
            "client auth" not in (spec.get("usages") or [])
        ):
            problems.append(f"Certificate {cert.name} lacks `client auth`, which peers must present")
    return problems


def tls_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(subject, what, problems) for every TLS config a container starts with, and every cluster that gossips in clear."""
    runs_cert_manager = any(o.kind == "Certificate" and str(o.body.get("apiVersion", "")).startswith("cert-manager.io/") for o in objects)
    for workload, template in workloads(objects):
        for container in _containers(template):
            args = [str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]]
            for flag in TLS_FLAGS:
                path = _flag(args, flag)
                if path is None:
                    continue
                config, why = _config_file(objects, workload.namespace, template, container, path)
                problems = [why] if config is None else _config_problems(objects, workload.namespace, template, container, flag, config)
                yield f"{workload} {container.get('name')}", flag, problems
            gossips = any(a.startswith("--cluster.peer=") for a in args)
            if runs_cert_manager and gossips:
                clear = _flag(args, "--cluster.tls-config") is None
                yield f"{workload} {container.get('name')}", "gossip encrypted", (
                    ["its replicas gossip in plain text: no --cluster.tls-config"] if clear else []
                )
