"""TLS checked on what Helm renders: each TLS config file a container is started with exists in what it mounts,
every certificate, key and CA file that config names lies in a mounted Secret that a cert-manager Certificate writes,
from an Issuer the build creates, valid for the name peers verify and for client authentication where peers must
present one; wherever the build runs cert-manager, no Alertmanager gossips or serves its API in plain text; and every
client of a server that serves TLS speaks HTTPS to it, by a name its certificate carries, verifying it with a CA
from the same issuer that it can read (a Secret's `ca.crt` it mounts, or the operator mounts for it).
"""

from __future__ import annotations

import configparser
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from cli.wiring import (
    Obj,
    WiredUrl,
    _containers,
    _get,
    bundled_configmaps,
    issued_secrets,
    service_of,
    service_selects,
    wired,
    workloads,
)
from pathlib import Path

from render import yamlio

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
        return yamlio.load(text), ""
    except yaml.YAMLError:
        return None, f"{path} is not YAML"


def _certificate_of_file(objects: list[Obj], issued: dict, namespace: str, template: dict, container: dict, path: str,
                         what: str) -> tuple[Obj | None, str | None]:
    """(the Certificate whose Secret holds the file at `path` the container reads, or why no Certificate does)."""
    found = _mount(template, container, path)
    secret = _get(found[1], "secret", "secretName") if found else None
    if secret is None:
        return None, f"{what} {path} is in no mounted Secret"
    if (namespace, secret) not in issued:
        return None, f"{what} {path} is in Secret {secret!r}, which no cert-manager Certificate writes"
    return issued[(namespace, secret)], None


def _issuer_missing(cert: Obj, namespace: str, objects: list[Obj]) -> str | None:
    """Why the Certificate's issuer is not one the build creates; None when it is."""
    issuer, kind = _get(cert.body, "spec", "issuerRef", "name"), _get(cert.body, "spec", "issuerRef", "kind") or "Issuer"
    if any(o.kind == kind and o.name == issuer and (kind == "ClusterIssuer" or o.namespace == namespace) for o in objects):
        return None
    return f"Certificate {cert.name}: its {kind} {issuer!r} is not created"


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
            cert, problem = _certificate_of_file(objects, issued, namespace, template, container, path, f"{flag}: {section}.{field}")
            if cert is None:
                problems.append(problem)
            else:
                certificates.append(cert)
    for cert in {c.name: c for c in certificates}.values():
        spec = cert.body.get("spec") or {}
        if problem := _issuer_missing(cert, namespace, objects):
            problems.append(problem)
        server_name = _get(config, "tls_client_config", "server_name")
        if server_name and server_name not in (spec.get("dnsNames") or []):
            problems.append(f"Certificate {cert.name} is not valid for {server_name!r}, the name peers verify")
        if _get(config, "tls_server_config", "client_auth_type") in ("RequireAndVerifyClientCert", "RequireAnyClientCert") and (
            "client auth" not in (spec.get("usages") or [])
        ):
            problems.append(f"Certificate {cert.name} lacks `client auth`, which peers must present")
    return problems


def tls_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(subject, what, problems) for every TLS config a container starts with, every cluster that gossips in clear,
    and every Grafana's HTTPS settings (grafana_problems)."""
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
            if runs_cert_manager and _is_alertmanager(container, args):
                yield f"{workload} {container.get('name')}", "API encrypted", (
                    [] if _flag(args, "--web.config.file") else ["its API and UI are served in plain text: no --web.config.file"]
                )
            gossips = any(a.startswith("--cluster.peer=") for a in args)
            if runs_cert_manager and gossips:
                clear = _flag(args, "--cluster.tls-config") is None
                yield f"{workload} {container.get('name')}", "gossip encrypted", (
                    ["its replicas gossip in plain text: no --cluster.tls-config"] if clear else []
                )
    yield from vm_problems(objects)
    yield from grafana_problems(objects)


# The components of the VictoriaMetrics operator's storage objects that serve HTTP, and the Service the operator puts in
# front of each (cli.wiring.VM_OPERATOR_SERVICES). `clients` marks what the platform's readers and writers dial: those
# must serve TLS wherever the build runs cert-manager. vmstorage's HTTP port only serves its metrics and snapshots.
VM_SERVERS = {
    "VMSingle": [((), "vmsingle-{name}", True)],
    "VMCluster": [(("vmselect",), "vmselect-{name}", True), (("vminsert",), "vminsert-{name}", True),
                  (("vmstorage",), "vmstorage-{name}", False)],
}
VM_SECRETS_DIR = "/etc/vm/secrets"
"""Where the operator mounts each Secret of a CR's `secrets` (operator v0.74.0, api/operator/v1beta1/vmextra_types.go)."""


def _vm_components(objects: list[Obj]) -> Iterator[tuple[Obj, str, dict, str, bool]]:
    """(object, component, its spec, its Service, whether clients dial it) of every VictoriaMetrics storage object."""
    for obj in objects:
        for path, service, dialled in VM_SERVERS.get(obj.kind, []):
            spec = _get(obj.body, "spec", *path)
            if isinstance(spec, dict):
                yield obj, (path[0] if path else obj.kind), spec, service.format(name=obj.name), dialled


def _vm_tls(obj: Obj, spec: dict, objects: list[Obj]) -> tuple[Obj | None, list[str]]:
    """(the Certificate a VictoriaMetrics component serves HTTPS with, problems) for a component started with `-tls`:
    its certificate and key lie in a Secret the CR lists in `secrets` (which the operator mounts at
    /etc/vm/secrets/<Secret>/) and that a cert-manager Certificate writes, from an issuer the build creates."""
    args = spec.get("extraArgs") or {}
    issued = issued_secrets(objects)
    listed = set(spec.get("secrets") or [])
    problems: list[str] = []
    cert: Obj | None = None
    for flag in ("tlsCertFile", "tlsKeyFile"):
        path = args.get(flag)
        if not path:
            problems.append(f"-tls without -{flag}")
            continue
        relative = posixpath.relpath(path, VM_SECRETS_DIR)
        secret = relative.split("/", 1)[0] if not relative.startswith("..") and "/" in relative else None
        if secret is None or secret not in listed:
            problems.append(f"-{flag} {path} is in no Secret the CR lists in `secrets` (mounted at {VM_SECRETS_DIR}/<Secret>/)")
        elif (obj.namespace, secret) not in issued:
            problems.append(f"-{flag} {path} is in Secret {secret!r}, which no cert-manager Certificate writes")
        else:
            cert = issued[(obj.namespace, secret)]
    if cert is not None and (problem := _issuer_missing(cert, obj.namespace, objects)):
        problems.append(problem)
    return (cert if not problems else None), problems


def vm_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(subject, what, problems) of every VictoriaMetrics component started with `-tls`, and, wherever the build runs
    cert-manager, of every component clients dial that serves plain HTTP."""
    runs_cert_manager = any(o.kind == "Certificate" and str(o.body.get("apiVersion", "")).startswith("cert-manager.io/") for o in objects)
    for obj, component, spec, _service, dialled in _vm_components(objects):
        subject = f"{obj} {component}"
        serves_tls = (spec.get("extraArgs") or {}).get("tls") == "true"
        if serves_tls:
            yield subject, "-tls", _vm_tls(obj, spec, objects)[1]
        if runs_cert_manager and dialled:
            yield subject, "HTTP encrypted", [] if serves_tls else ["its HTTP API is served in plain text: no extraArgs.tls"]


def _is_alertmanager(container: dict, args: list[str]) -> bool:
    """The Alertmanager server itself, not another program run from its image (amtool in a backup job)."""
    image = str(container.get("image", "")).rsplit("@", 1)[0].rsplit(":", 1)[0]
    return image.endswith("/alertmanager") and any(a.startswith("--config.file") for a in args)


def _args(container: dict) -> list[str]:
    return [str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]]


def tls_servers(objects: list[Obj]) -> dict[tuple[str, str], Obj]:
    """(namespace, Service) -> the Certificate its pods serve HTTPS with (`--web.config.file`'s cert_file, or
    grafana.ini's `[server] cert_file`)."""
    issued = issued_secrets(objects)
    served: list[tuple[str, dict, Obj]] = []
    for workload, template in workloads(objects):
        for container in _containers(template):
            path = _flag(_args(container), "--web.config.file")
            if path is None:
                continue
            config, _ = _config_file(objects, workload.namespace, template, container, path)
            cert_file = _get(config, "tls_server_config", "cert_file")
            found = _mount(template, container, cert_file) if isinstance(cert_file, str) else None
            secret = _get(found[1], "secret", "secretName") if found else None
            if (workload.namespace, secret) in issued:
                served.append((workload.namespace, _get(template, "metadata", "labels") or {}, issued[(workload.namespace, secret)]))
    served += grafana_servers(objects)
    servers = {
        (svc.namespace, svc.name): cert
        for svc in objects
        if svc.kind == "Service"
        for namespace, labels, cert in served
        if svc.namespace == namespace and service_selects(_get(svc.body, "spec", "selector") or {}, labels)
    }
    # The operator's pods are not rendered: each component started with `-tls` serves its Service over HTTPS.
    for obj, _component, spec, service, _dialled in _vm_components(objects):
        if (spec.get("extraArgs") or {}).get("tls") == "true":
            cert, _ = _vm_tls(obj, spec, objects)
            if cert is not None:
                servers[(obj.namespace, service)] = cert
    return servers


def _names(cert: Obj, host: str) -> bool:
    """Whether the certificate is valid for `host` (an exact name or a one-label wildcard)."""
    for name in _get(cert.body, "spec", "dnsNames") or []:
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False


_INDEXED = re.compile(r"^(?P<list>.+)\[(?P<i>\d+)\]\.[^.\[\]]+$")
_CA_FILE_IN_SCRIPT = re.compile(r"ca_file: ([^}\s'\"]+)")


def _item(document: object, path: str) -> object:
    """The list element a `list[i].field` path lies in."""
    match = _INDEXED.match(path)
    if not match:
        return None
    items: object = document
    for key in match.group("list").split("."):
        items = items.get(key) if isinstance(items, dict) else None
    index = int(match.group("i"))
    return items[index] if isinstance(items, list) and index < len(items) else None


def _client_ca(url: WiredUrl, objects: list[Obj]) -> tuple[str, object] | None:
    """How the client at `url` verifies the server: ("secret", (namespace, name, key)) when an operator mounts a
    Secret's key for it, ("file", (workloads, path)) when the client reads a file; None: the client names no CA."""
    doc = url.document
    if isinstance(doc, dict) and doc.get("kind") in ("VMAlert", "VMAgent") and url.path.endswith(".url"):
        # Notifiers, datasource, remoteRead, remoteWrite: the operator's TLSConfig beside the url (vmextra_types.go).
        ca = _get(_get_path(doc, url.path.rsplit(".", 1)[0]), "tlsConfig", "ca", "secret")
        namespace = _get(doc, "metadata", "namespace") or ""
        return ("secret", (namespace, ca.get("name"), ca.get("key"))) if isinstance(ca, dict) else None
    runs = lambda origin: [(w, t) for w, t in workloads(objects) if w.origin == origin]  # noqa: E731
    release = url.source.removesuffix(" values") if url.source.startswith("release ") else None
    datasource = re.search(r"(^|\.)datasources\[(\d+)\]\.url$", url.path)
    if release and datasource and isinstance(doc, dict):  # Grafana's provisioned datasources, in its release values
        element = _datasource(doc, url.path)
        ca = _GRAFANA_FILE.fullmatch(str(_get(element, "secureJsonData", "tlsCACert") or ""))
        if _get(element, "jsonData", "tlsAuthWithCACert") is not True or ca is None:
            return None
        return ("file", (runs(release), ca.group(1)))
    if release and url.path == "prometheusUrl":  # Pyrra's API: --tls-client-ca-file (pyrra v0.10.1 main.go)
        path = next((str(a).split("=", 1)[1] for a in (doc.get("extraApiArgs") or []) if str(a).startswith("--tls-client-ca-file=")), None)
        return ("file", (runs(release), path)) if path else None
    if re.search(r"(^|\.)alertmanager\.servers\[\d+\]\.uri$", url.path):  # Karma's config, in its release or alone
        path = _get(_item(doc, url.path), "tls", "ca")
        origin = url.source.removesuffix(" values") if url.source.startswith("release ") else None
        karma = [(w, t) for w, t in workloads(objects) if w.origin == origin or (origin is None and w.origin.endswith("/karma"))]
        return ("file", (karma, path)) if isinstance(path, str) else None
    if url.source.startswith("release ") and url.path == "config.alertmanager.hostport":
        path = _get(doc, "config", "tlsclient", "cacertfile") or _get(doc, "config", "mutualtlsclient", "cacertfile")
        return ("file", (runs(url.source.removesuffix(" values")), path)) if path else None
    if url.source.startswith("release ") and url.path == "externalGrafana.url":  # OnCall's engine, with Python requests
        return ("bundle", _requests_clients(url, objects))
    if url.source.startswith("manifests/") and isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and "jsonData" in _data(doc, url.path):
        return ("plugin", _plugin_clients(url, objects))  # a Grafana app's provisioning: its backend, in Grafana's pods
    if url.source.startswith("manifests/") and isinstance(doc, dict) and doc.get("kind") in ("CronJob", "Job"):
        # The address in the script itself (the silence backup), or in the env of a container whose script reads it
        # (the chaos gate): the HTTP config the script writes names the CA.
        container = re.match(r"^(.*(?:initContainers|containers)\[\d+\])\.", url.path)
        texts = [str(_get_path(doc, url.path)), *([str(_get_path(doc, container.group(1) + ".command"))] if container else [])]
        match = next((m for text in texts if (m := _CA_FILE_IN_SCRIPT.search(text))), None)
        return ("file", (runs(url.source), match.group(1))) if match else None
    if isinstance(doc, dict) and doc.get("kind") == "ChaosEngine":
        experiment = re.match(r"^spec\.experiments\[(\d+)\]", url.path)
        return _chaos_ca(_get_path(doc, experiment.group(0)) if experiment else None, _get(doc, "metadata", "namespace") or "")
    if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":  # a scheduled experiment's engine template
        engine = _embedded_engine((doc.get("data") or {}).get(url.path.removeprefix("data.")))
        if engine is not None:
            dialling = [e for e in _get(engine, "spec", "experiments") or [] if url.host in str(_get(e, "spec", "probe"))]
            found = [_chaos_ca(e, _get(doc, "metadata", "namespace") or "") for e in dialling]
            return found[0] if found and None not in found else None
    return None


def _embedded_engine(text: object) -> dict | None:
    try:
        engine = yamlio.load(text) if isinstance(text, str) else None
    except yaml.YAMLError:
        return None
    return engine if isinstance(engine, dict) and engine.get("kind") == "ChaosEngine" else None


def _chaos_ca(experiment: object, namespace: str) -> tuple[str, object] | None:
    """How a Litmus experiment's probes verify a server: the CA file SSL_CERT_FILE names (Go's HTTP clients read the
    roots there), in a Secret of the engine's `components.secrets`, which the chaos runner mounts whole at its
    mountPath into the experiment's pod (chaos-runner pkg/utils/secretsUtils.go)."""
    components = _get(experiment, "spec", "components") or {}
    path = next((e.get("value") for e in components.get("env") or [] if e.get("name") == "SSL_CERT_FILE"), None)
    if not isinstance(path, str):
        return None
    for secret in components.get("secrets") or []:
        root = str(secret.get("mountPath", "")).rstrip("/") + "/"
        if path.startswith(root):
            return ("secret", (namespace, secret.get("name"), path[len(root):]))
    return ("file", ([], path))


_GRAFANA_FILE = re.compile(r"\$__file\{([^}]+)\}")
"""Grafana's provisioning expands `$__file{path}` into the file's content (setting.ExpandVar, called by
pkg/services/provisioning/values/values.go)."""


def _datasource(values: dict, path: str) -> object:
    """The provisioned datasource a `datasources.<file>.datasources[i].url` path of Grafana's values lies in (the file
    name, `datasources.yaml`, has a dot of its own)."""
    for name, file in (values.get("datasources") or {}).items():
        prefix = f"datasources.{name}.datasources["
        if path.startswith(prefix) and isinstance(file, dict):
            return _item({"d": file.get("datasources")}, "d" + path[len(prefix) - 1:])
    return None


def _get_path(document: object, path: str) -> object:
    value = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            value = value[int(part[1:-1])] if isinstance(value, list) and int(part[1:-1]) < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _same_issuer(a: Obj, b: Obj) -> bool:
    ref = lambda c: (_get(c.body, "spec", "issuerRef", "kind") or "Issuer", _get(c.body, "spec", "issuerRef", "name"),  # noqa: E731
                     "" if _get(c.body, "spec", "issuerRef", "kind") == "ClusterIssuer" else c.namespace)
    return ref(a) == ref(b)


def _ca_problems(how: tuple[str, object] | None, server: Obj, objects: list[Obj]) -> list[str]:
    issued = issued_secrets(objects)
    if how is None:
        return ["names no CA to verify the server's certificate by"]
    kind, detail = how
    sources: list[tuple[tuple[str, str], str]] = []  # ((namespace, Secret), key)
    if kind == "secret":
        namespace, name, key = detail  # type: ignore[misc]
        sources.append(((namespace, name), key))
    else:
        runs, path = detail  # type: ignore[misc]
        if not runs:
            return [f"CA file {path}: no workload of this client is rendered"]
        for workload, template in runs:
            for container in _containers(template):
                found = _mount(template, container, path)
                if found is None:
                    continue
                mount, volume = found
                secret = _get(volume, "secret", "secretName")
                relative = posixpath.relpath(path, mount["mountPath"])
                items = _get(volume, "secret", "items")
                key = next((i.get("key") for i in items if i.get("path") == relative), None) if items else relative
                if secret is None:
                    return [f"CA file {path} is in volume {mount.get('name')!r} of {workload}, not a Secret"]
                sources.append(((workload.namespace, secret), key))
        if not sources:
            return [f"CA file {path} is in no volume the client mounts"]
    problems = []
    for (namespace, secret), key in sources:
        cert = issued.get((namespace, secret))
        if cert is None:
            problems.append(f"its CA is in Secret {namespace}/{secret}, which no cert-manager Certificate writes")
        elif key != "ca.crt":
            problems.append(f"its CA is the key {key!r} of Secret {namespace}/{secret}, not the issuer's ca.crt")
        elif not _same_issuer(cert, server):
            problems.append(f"its CA ({namespace}/{secret}) comes from another issuer than the server's certificate {server.name}")
    return problems


def client_problems(objects: list[Obj], build_dir: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(where, address, problems) of every wired address of a server that serves TLS."""
    servers = tls_servers(objects)
    for url in wired(build_dir):
        _pod, service, namespace = service_of(url.host)
        cert = servers.get((namespace, service))
        if cert is None or url.port is None:  # a name (a certificate's, a peer's to verify), not an address to dial
            continue
        problems = []
        if url.scheme != "https":
            problems.append(f"speaks {url.scheme or 'no scheme'} to a server that serves HTTPS only")
        if not _names(cert, url.host):
            problems.append(f"Certificate {cert.name} is not valid for {url.host!r}, the name this client verifies")
        how = _client_ca(url, objects)
        if how and how[0] == "plugin":
            clients, forwarding = how[1]  # type: ignore[misc]
            problems += forwarding + bundle_problems(clients, cert, objects, GO_CA_FILE_ENV)
        else:
            problems += bundle_problems(how[1], cert, objects) if how and how[0] == "bundle" else _ca_problems(how, cert, objects)  # type: ignore[arg-type]
        address = f"{url.host}:{url.port}" if url.port else url.host
        yield url.where, address, problems


# --- Thanos: gRPC between its components -----------------------------------------------------------------------
# Thanos takes its TLS as flags naming files, not a config file (Thanos v0.42.4 cmd/thanos/config.go:49-57 and
# 87-92, cmd/thanos/receive.go:995-1007). A server with a client CA asks every client for a certificate
# (`RequireAndVerifyClientCert`, pkg/tls/options.go:77-88); a client's server name replaces, for every endpoint it
# dials, the host it verifies (render/systems/tls.py THANOS_GRPC_NAME has the chain through Thanos and grpc-go).

THANOS_SERVER_FLAGS = ("--grpc-server-tls-cert", "--grpc-server-tls-key", "--grpc-server-tls-client-ca")


@dataclass(frozen=True)
class ThanosClientFlags:
    """The flags one Thanos subcommand's gRPC client reads its TLS from."""

    secure: str
    cert: str
    key: str
    ca: str
    server_name: str


THANOS_CLIENT_FLAGS = {
    "query": ThanosClientFlags("--grpc-client-tls-secure", "--grpc-client-tls-cert", "--grpc-client-tls-key",
                               "--grpc-client-tls-ca", "--grpc-client-server-name"),
    "receive": ThanosClientFlags("--remote-write.client-tls-secure", "--remote-write.client-tls-cert",
                                 "--remote-write.client-tls-key", "--remote-write.client-tls-ca",
                                 "--remote-write.client-server-name"),
}
QUERY_ENDPOINT_FLAGS = ("--endpoint", "--endpoint-strict", "--endpoint-group", "--endpoint-group-strict", "--store")
_DNS_PREFIX = re.compile(r"^(?P<qtype>dnssrvnoa|dnssrv|dnsdualstack|dns)\+")


def _thanos_command(container: dict, args: list[str]) -> str | None:
    """The Thanos subcommand a container runs (`query`, `receive`, `store`...), or None for another program."""
    image = str(container.get("image", "")).rsplit("@", 1)[0].rsplit(":", 1)[0]
    if not image.endswith("/thanos"):
        return None
    return next((a for a in args if not a.startswith("-")), None)


def _bool_flag(args: list[str], flag: str) -> bool:
    """A kingpin boolean: `--flag` or `--flag=true` turns it on, `--no-flag` or `--flag=false` off; the last wins."""
    on = False
    for arg in args:
        if arg == flag or arg == f"{flag}=true":
            on = True
        elif arg in (f"--no-{flag[2:]}", f"{flag}=false"):
            on = False
    return on


def _issued_file(objects: list[Obj], namespace: str, template: dict, container: dict, path: str) -> tuple[Obj | None, str, str]:
    """(Certificate, key in its Secret, problem) for a file a flag names: it must lie in a mounted Secret that a
    cert-manager Certificate writes, from an issuer the build creates."""
    found = _mount(template, container, path)
    secret = _get(found[1], "secret", "secretName") if found else None
    if secret is None:
        return None, "", f"{path} is in no mounted Secret"
    mount, volume = found
    relative = posixpath.relpath(path, mount["mountPath"])
    items = _get(volume, "secret", "items")
    key = next((i.get("key") for i in items if i.get("path") == relative), "") if items else relative
    cert = issued_secrets(objects).get((namespace, secret))
    if cert is None:
        return None, key, f"{path} is in Secret {secret!r}, which no cert-manager Certificate writes"
    spec = cert.body.get("spec") or {}
    issuer, kind = _get(spec, "issuerRef", "name"), _get(spec, "issuerRef", "kind") or "Issuer"
    if not any(o.kind == kind and o.name == issuer and (kind == "ClusterIssuer" or o.namespace == namespace) for o in objects):
        return cert, key, f"Certificate {cert.name}: its {kind} {issuer!r} is not created"
    return cert, key, ""


def _usage_problems(cert: Obj, usage: str, why: str) -> list[str]:
    return [] if usage in (_get(cert.body, "spec", "usages") or []) else [f"Certificate {cert.name} lacks `{usage}`, {why}"]


def _thanos_containers(objects: list[Obj]) -> Iterator[tuple[Obj, dict, dict, list[str], str]]:
    for workload, template in workloads(objects):
        for container in _containers(template):
            args = _args(container)
            command = _thanos_command(container, args)
            if command is not None:
                yield workload, template, container, args, command


def _query_endpoints(args: list[str]) -> list[tuple[str, str]]:
    """(flag, address) of every store Query is given; each endpoint flag may repeat."""
    found = []
    for i, arg in enumerate(args):
        for flag in QUERY_ENDPOINT_FLAGS:
            if arg.startswith(f"{flag}="):
                found.append((flag, arg.split("=", 1)[1]))
            elif arg == flag and i + 1 < len(args):
                found.append((flag, args[i + 1]))
    return found


def _hashring_endpoints(objects: list[Obj], namespace: str, template: dict, container: dict, args: list[str]) -> list[tuple[str, str]]:
    """The ingestors a receive router forwards to: the `endpoints` of its hashrings file, read through its mount."""
    path = _flag(args, "--receive.hashrings-file")
    if path is None:
        return []
    # The chart mounts the file itself (`subPath`), which `_mount` (directories) does not follow: read it here.
    mount = next((m for m in container.get("volumeMounts") or [] if m.get("mountPath") == path and m.get("subPath")), None)
    volume = next((v for v in _get(template, "spec", "volumes") or [] if mount and v.get("name") == mount.get("name")), None)
    name = _get(volume, "configMap", "name") if volume else None
    source = next((o for o in objects if o.kind == "ConfigMap" and o.namespace == namespace and o.name == name), None)
    text = (source.body.get("data") or {}).get(mount["subPath"]) if source and mount else None
    if text is None:
        hashrings, _ = _config_file(objects, namespace, template, container, path)
    else:
        hashrings = yamlio.load(text)
    endpoints = [e for ring in hashrings or [] if isinstance(ring, dict) for e in ring.get("endpoints") or []]
    return [("--receive.hashrings-file", e.get("address", "") if isinstance(e, dict) else str(e)) for e in endpoints]


def _dials(objects: list[Obj], workload: Obj, template: dict, container: dict, args: list[str], command: str) -> list[tuple[str, str]]:
    """(flag, address) of every gRPC peer a Thanos client dials."""
    if command == "query":
        return _query_endpoints(args)
    if command == "receive":
        return _hashring_endpoints(objects, workload.namespace, template, container, args)
    return []


def thanos_tls_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(subject, what, problems) for every Thanos gRPC server and client: wherever the build runs cert-manager, each
    serves gRPC over mutual TLS, and each client that dials a peer uses TLS with a CA, a certificate of its own and
    the name the peers' certificate carries; every file in a mounted Secret a Certificate from a created issuer writes."""
    runs_cert_manager = any(o.kind == "Certificate" and str(o.body.get("apiVersion", "")).startswith("cert-manager.io/") for o in objects)
    for workload, template, container, args, command in _thanos_containers(objects):
        subject = f"{workload} {container.get('name')}"
        ns = workload.namespace
        served = {flag: _flag(args, flag) for flag in THANOS_SERVER_FLAGS}
        if _flag(args, "--grpc-address") is not None and (runs_cert_manager or any(served.values())):
            problems = [f"serves gRPC without {flag}" for flag, path in served.items() if path is None]
            for flag, path in served.items():
                if path is None:
                    continue
                cert, key, why = _issued_file(objects, ns, template, container, path)
                problems += [f"{flag}: {why}"] if why else []
                if cert is not None and flag == "--grpc-server-tls-cert":
                    problems += _usage_problems(cert, "server auth", "which a gRPC server must present")
                if cert is not None and flag == "--grpc-server-tls-client-ca" and key != "ca.crt":
                    problems.append(f"{flag}: {path} is the key {key!r} of Secret {_get(cert.body, 'spec', 'secretName')}, not the issuer's ca.crt")
            yield subject, "gRPC server TLS", problems
        flags = THANOS_CLIENT_FLAGS.get(command)
        dials = _dials(objects, workload, template, container, args, command)
        if flags is None or not dials or not (runs_cert_manager or _bool_flag(args, flags.secure)):
            continue
        problems = [] if _bool_flag(args, flags.secure) else [f"dials its peers in plain text: no {flags.secure}"]
        if command == "receive" and _flag(args, "--receive.replication-protocol") == "capnproto":
            # v0.42.4 dials Cap'n Proto peers over bare TCP, the TLS flags unread (pkg/receive/handler.go:1655-1657,
            # pkg/receive/writecapnp/client.go:36-38); protobuf, the default, goes through gRPC (handler.go:1659-1660).
            problems.append("replicates over Cap'n Proto (--receive.replication-protocol=capnproto), which Thanos dials in plain TCP")
        own: list[Obj] = []
        for flag, why_missing in ((flags.ca, "it would verify its peers by the system's CAs, not the platform's"), (flags.cert, "peers ask for a client certificate"),
                                  (flags.key, "peers ask for a client certificate")):
            path = _flag(args, flag)
            if path is None:
                problems.append(f"no {flag}: {why_missing}")
                continue
            cert, key, why = _issued_file(objects, ns, template, container, path)
            problems += [f"{flag}: {why}"] if why else []
            if cert is not None and flag == flags.ca and key != "ca.crt":
                problems.append(f"{flag}: {path} is the key {key!r} of Secret {_get(cert.body, 'spec', 'secretName')}, not the issuer's ca.crt")
            if cert is not None and flag == flags.cert:
                own.append(cert)
                problems += _usage_problems(cert, "client auth", "which peers must present")
        name = _flag(args, flags.server_name)
        if name is None:
            problems.append(f"no {flags.server_name}: it verifies the address it dials, not the name its peers share (a pod IP found by DNS has none)")
        for cert in own:
            if name is not None and not _names(cert, name):
                problems.append(f"Certificate {cert.name} is not valid for {name!r}, the name peers verify ({flags.server_name})")
        yield subject, "gRPC client TLS", problems


def _grpc_port(args: list[str]) -> int | None:
    address = _flag(args, "--grpc-address")
    return int(address.rsplit(":", 1)[1]) if address and address.rsplit(":", 1)[-1].isdigit() else None


@dataclass(frozen=True)
class GrpcTlsServer:
    """A Service in front of Thanos pods that serve gRPC over TLS only."""

    cert: Obj
    client_ca: Obj | None
    """The Certificate whose Secret's `ca.crt` the pods verify clients by; None: no client certificate is asked."""
    ports: frozenset[str]
    """The Service's ports that reach the TLS listener, by number and by name."""


def grpc_tls_servers(objects: list[Obj]) -> dict[tuple[str, str], GrpcTlsServer]:
    """(namespace, Service) -> the TLS its Thanos pods serve gRPC with (`--grpc-server-tls-cert`)."""
    served: list[tuple[str, dict, Obj, Obj | None, set]] = []
    for workload, template, container, args, _command in _thanos_containers(objects):
        cert_path, ca_path, port = _flag(args, "--grpc-server-tls-cert"), _flag(args, "--grpc-server-tls-client-ca"), _grpc_port(args)
        if cert_path is None or port is None:
            continue
        cert, _, _ = _issued_file(objects, workload.namespace, template, container, cert_path)
        client_ca = _issued_file(objects, workload.namespace, template, container, ca_path)[0] if ca_path else None
        if cert is not None:
            targets = {str(port), *(str(p["name"]) for p in container.get("ports") or [] if p.get("containerPort") == port and p.get("name"))}
            served.append((workload.namespace, _get(template, "metadata", "labels") or {}, cert, client_ca, targets))
    servers = {}
    for svc in objects:
        if svc.kind != "Service":
            continue
        for namespace, labels, cert, client_ca, targets in served:
            if svc.namespace == namespace and service_selects(_get(svc.body, "spec", "selector") or {}, labels):
                ports = {str(v) for p in _get(svc.body, "spec", "ports") or [] if str(p.get("targetPort", p.get("port"))) in targets
                         for v in (p.get("port"), p.get("name")) if v}
                servers[(svc.namespace, svc.name)] = GrpcTlsServer(cert, client_ca, frozenset(ports))
    return servers


def _grpc_target(address: str) -> tuple[str, str | None, str | None]:
    """(host, port or SRV port name, the name verified when no server name is set: None for a pod IP) of a Thanos
    endpoint: `dnssrv+_grpc._tcp.<host>`, `dns+<host>:<port>` or `<host>:<port>`."""
    match = _DNS_PREFIX.match(address)
    qtype, rest = (match.group("qtype"), address[match.end():]) if match else ("", address)
    if qtype.startswith("dnssrv"):
        labels = rest.split(".")
        port = labels[0].removeprefix("_") if len(labels) > 2 and labels[0].startswith("_") else None
        host = ".".join(labels[2:]) if port else rest
        # dnssrv dials the IPs of the SRV targets (Thanos pkg/discovery/dns/resolver.go:122-134); dnssrvnoa the targets
        return host, port, (None if qtype == "dnssrv" else host)
    host, _, port = rest.rpartition(":")
    return host, port or None, (None if qtype else host)


def thanos_client_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(where, address, problems) of every gRPC peer a Thanos client dials whose pods serve gRPC over TLS: the client
    speaks TLS, verifies a name the server's certificate carries, with a CA from the server's issuer it mounts, and
    presents a certificate from the CA the server verifies clients by."""
    servers = grpc_tls_servers(objects)
    for workload, template, container, args, command in _thanos_containers(objects):
        flags = THANOS_CLIENT_FLAGS.get(command)
        for flag, address in _dials(objects, workload, template, container, args, command):
            host, port, dialled_name = _grpc_target(address)
            _pod, service, namespace = service_of(host)
            server = servers.get((namespace, service))
            if server is None or flags is None or (port is not None and port not in server.ports):
                continue
            problems = []
            if not _bool_flag(args, flags.secure):
                problems.append(f"dials without TLS ({flags.secure} unset) pods that serve gRPC over TLS only")
            name = _flag(args, flags.server_name) or dialled_name
            if name is None:
                problems.append(f"verifies the pod IPs its DNS lookup returns, which Certificate {server.cert.name} does not name: "
                                f"no {flags.server_name}")
            elif not _names(server.cert, name):
                problems.append(f"Certificate {server.cert.name} is not valid for {name!r}, the name this client verifies")
            ca = _flag(args, flags.ca)
            problems += _ca_problems(("file", ([(workload, template)], ca)) if ca else None, server.cert, objects)
            if server.client_ca is not None:
                own = _flag(args, flags.cert)
                cert = _issued_file(objects, workload.namespace, template, container, own)[0] if own and _flag(args, flags.key) else None
                if cert is None:
                    problems.append("presents no certificate from a Certificate the build creates, and the server asks for one")
                elif not _same_issuer(cert, server.client_ca):
                    problems.append(f"its certificate {cert.name} comes from another issuer than the CA the server verifies clients by")
            yield f"{workload} {container.get('name')}: {flag}", address, problems
# --- Grafana: `[server]` of grafana.ini, the kubelet's probes, and OnCall's `requests` as its client ---------------

GRAFANA_INI = "/etc/grafana/grafana.ini"
GRAFANA_TLS_PROTOCOLS = ("https", "h2")
"""The `[server] protocol` values under which Grafana reads `cert_file` and `cert_key` and serves TLS only (Grafana's
pkg/setting/setting.go, readServerSettings)."""
GRAFANA_MIN_TLS = ("TLS1.2", "TLS1.3")
CA_FILE = "ca.crt"
CA_BUNDLE_ENV = "REQUESTS_CA_BUNDLE"
"""What Python `requests` verifies by when a call passes no `verify` (Session.merge_environment_settings): it replaces
requests' own bundle (certifi's), so it must hold the public CAs as well as the platform's."""
GO_CA_FILE_ENV = "SSL_CERT_FILE"
"""What Go's crypto/x509 reads its roots from on Linux instead of the system's file: the same holds."""
DEFAULT_TRUST = {CA_BUNDLE_ENV: "requests verifies by certifi's bundle, which lacks the platform's CA",
                 GO_CA_FILE_ENV: "Go verifies by the image's system CAs, which lack the platform's CA"}


def _is_grafana(container: dict) -> bool:
    image = str(container.get("image", "")).rsplit("@", 1)[0].rsplit(":", 1)[0]
    return image.endswith("/grafana") and any(m.get("mountPath") == GRAFANA_INI for m in container.get("volumeMounts") or [])


def _mounted_text(objects: list[Obj], namespace: str, template: dict, container: dict, path: str) -> str | None:
    """The text of a file a container reads from a ConfigMap or Secret the build renders or creates: a file mounted by
    `subPath` at `path`, or a file of a volume mounted as a directory."""
    volumes = {v.get("name"): v for v in _get(template, "spec", "volumes") or []}
    exact = next(((m, volumes[m["name"]]) for m in container.get("volumeMounts") or []
                  if m.get("mountPath") == path and m.get("subPath") and m.get("name") in volumes), None)
    found = exact or _mount(template, container, path)
    if found is None:
        return None
    mount, volume = found
    key = mount.get("subPath") or posixpath.relpath(path, mount["mountPath"])
    for kind, ref, field in (("ConfigMap", ("configMap", "name"), "data"), ("Secret", ("secret", "secretName"), "stringData")):
        name = _get(volume, *ref)
        if name is None:
            continue
        source = next((o for o in objects if o.kind == kind and o.namespace == namespace and o.name == name), None)
        return (source.body.get(field) or {}).get(key) if source else None
    return None


def _grafana_server(objects: list[Obj], namespace: str, template: dict, container: dict) -> dict[str, str] | None:
    """grafana.ini's `[server]` section as the container reads it; None where the file cannot be read."""
    text = _mounted_text(objects, namespace, template, container, GRAFANA_INI)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return dict(parser["server"]) if parser.has_section("server") else {}


def _grafana_certificate(objects: list[Obj], namespace: str, template: dict, container: dict, server: dict) -> tuple[Obj | None, list[str]]:
    """The Certificate Grafana serves with and why its cert_file and cert_key are not what a Certificate writes."""
    issued = issued_secrets(objects)
    problems, certificates = [], []
    for field in ("cert_file", "cert_key"):
        path = server.get(field)
        if not path:
            problems.append(f"[server] {field} is not set")
            continue
        cert, problem = _certificate_of_file(objects, issued, namespace, template, container, path, f"[server] {field}")
        if cert is None:
            problems.append(problem)
        else:
            certificates.append(cert)
    for cert in {c.name: c for c in certificates}.values():
        if problem := _issuer_missing(cert, namespace, objects):
            problems.append(problem)
    return (certificates[0] if certificates and not problems else None), problems


def grafana_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(subject, what, problems) of every Grafana container where the build runs cert-manager: it serves HTTPS with a
    certificate a Certificate writes, at TLS 1.2 at least, and the kubelet probes it over HTTPS (a plain-HTTP probe of
    a TLS listener gets `400` and restarts the pod); no sidecar of its pod reloads it over plain HTTP."""
    if not any(o.kind == "Certificate" and str(o.body.get("apiVersion", "")).startswith("cert-manager.io/") for o in objects):
        return
    for workload, template in workloads(objects):
        for container in _containers(template):
            if not _is_grafana(container):
                continue
            subject = f"{workload} {container.get('name')}"
            server = _grafana_server(objects, workload.namespace, template, container)
            if server is None:
                yield subject, "serves HTTPS", [f"{GRAFANA_INI} cannot be read from what the container mounts"]
                continue
            protocol = server.get("protocol", "http")
            if protocol not in GRAFANA_TLS_PROTOCOLS:
                yield subject, "serves HTTPS", [f"[server] protocol is {protocol!r}: its API and UI are served in plain text"]
                continue
            _cert, problems = _grafana_certificate(objects, workload.namespace, template, container, server)
            if server.get("min_tls_version", "TLS1.2") not in GRAFANA_MIN_TLS:
                problems.append(f"[server] min_tls_version {server['min_tls_version']!r} is not one of {', '.join(GRAFANA_MIN_TLS)}")
            yield subject, "serves HTTPS", problems
            probes = []
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                get = _get(container, probe, "httpGet")
                if isinstance(get, dict) and str(get.get("scheme", "HTTP")).upper() != "HTTPS":
                    probes.append(f"its {probe} speaks {get.get('scheme', 'HTTP')} to a server that serves HTTPS only")
            for other in _containers(template):
                for env in other.get("env") or []:
                    if env.get("name") == "REQ_URL" and str(env.get("value", "")).startswith("http://"):
                        probes.append(f"sidecar {other.get('name')} reloads Grafana at {env['value']}, in plain HTTP")
            yield subject, "probes and sidecars over HTTPS", probes


def grafana_servers(objects: list[Obj]) -> list[tuple[str, dict, Obj]]:
    """(namespace, pod labels, Certificate) of every Grafana pod that serves HTTPS with a Certificate's Secret."""
    served = []
    for workload, template in workloads(objects):
        for container in _containers(template):
            if not _is_grafana(container):
                continue
            server = _grafana_server(objects, workload.namespace, template, container) or {}
            if server.get("protocol") in GRAFANA_TLS_PROTOCOLS:
                cert, _ = _grafana_certificate(objects, workload.namespace, template, container, server)
                if cert is not None:
                    served.append((workload.namespace, _get(template, "metadata", "labels") or {}, cert))
    return served


def _env(container: dict, name: str) -> str | None:
    return next((str(e.get("value")) for e in container.get("env") or [] if e.get("name") == name and "value" in e), None)


def _requests_clients(url: WiredUrl, objects: list[Obj]) -> list[tuple[Obj, dict, dict]]:
    """(workload, pod template, container) of the release's long-running and one-off containers that are handed the
    address (in their environment): the ones that call it. Init containers only wait for the database."""
    origin = url.source.removesuffix(" values")
    return [
        (w, t, c)
        for w, t in workloads(objects) if w.origin == origin
        for c in (t.get("spec") or {}).get("containers") or []
        if any(url.host in str(e.get("value", "")) for e in c.get("env") or [])
    ]


def _issuer_ca_secret(server: Obj, objects: list[Obj]) -> str | None:
    """The Secret a CA ClusterIssuer signs the server's certificate with (cert-manager reads it from its own namespace,
    the cluster resource namespace, which is also trust-manager's trust namespace by default)."""
    ref = _get(server.body, "spec", "issuerRef") or {}
    issuer = next((o for o in objects if o.kind == (ref.get("kind") or "Issuer") and o.name == ref.get("name")), None)
    return _get(issuer.body, "spec", "ca", "secretName") if issuer else None


def bundle_problems(clients: list[tuple[Obj, dict, dict]], server: Obj, objects: list[Obj], env: str = CA_BUNDLE_ENV) -> list[str]:
    """Each client verifies the server by the file `env` names (REQUESTS_CA_BUNDLE for Python `requests`,
    SSL_CERT_FILE for Go): a trust-manager Bundle's ConfigMap it mounts, holding the public CAs (`useDefaultCAs`) and
    the CA that signs the server's certificate."""
    if not clients:
        return ["no workload of this client is rendered with the address in its environment"]
    bundles = bundled_configmaps(objects)
    ca_secret = _issuer_ca_secret(server, objects)
    problems = []
    for workload, template, container in clients:
        who = f"{workload} {container.get('name')}"
        path = _env(container, env)
        if path is None:
            problems.append(f"{who}: no {env}: {DEFAULT_TRUST[env]}")
            continue
        found = _mount(template, container, path)
        if found is None:
            problems.append(f"{who}: {env} {path} is in no volume the container mounts")
            continue
        mount, volume = found
        name = _get(volume, "configMap", "name")
        bundle = bundles.get((workload.namespace, name)) if name else None
        if bundle is None:
            source = f"ConfigMap {name!r}" if name else f"volume {mount.get('name')!r}"
            problems.append(f"{who}: {env} {path} is in {source}, which no trust-manager Bundle writes: it would "
                            "replace the public CAs for every other call")
            continue
        relative = posixpath.relpath(path, mount["mountPath"])
        items = _get(volume, "configMap", "items")
        key = next((i.get("key") for i in items if i.get("path") == relative), None) if items else relative
        if key != _get(bundle.body, "spec", "target", "configMap", "key"):
            problems.append(f"{who}: {env} {path} is the key {key!r} of ConfigMap {name!r}, not Bundle {bundle.name}'s")
        sources = _get(bundle.body, "spec", "sources") or []
        if not any(s.get("useDefaultCAs") for s in sources):
            problems.append(f"{who}: Bundle {bundle.name} lacks the public CAs (useDefaultCAs): every other call would fail")
        if not any(_get(s, "secret", "name") == ca_secret and _get(s, "secret", "key") == CA_FILE for s in sources):
            problems.append(f"{who}: Bundle {bundle.name} lacks the {CA_FILE} of Secret {ca_secret!r}, the CA of the server's "
                            f"certificate {server.name}")
    return problems


def _data(configmap: object, path: str) -> str:
    """A ConfigMap's file at `data.<file name>` (the name has dots of its own)."""
    return str(_get(configmap, "data", path.removeprefix("data.")) or "") if path.startswith("data.") else ""


def _plugin_clients(url: WiredUrl, objects: list[Obj]) -> tuple[list[tuple[Obj, dict, dict]], list[str]]:
    """The Grafana containers whose app plugin the provisioning ConfigMap at `url` points at Grafana itself, and why
    the plugin's process would not see SSL_CERT_FILE (Grafana v12.4 on hands a plugin only the host variables of
    `[plugins] forward_host_env_vars`)."""
    name = _get(url.document, "metadata", "name")
    plugins = {a.get("type") for a in (yamlio.load(_data(url.document, url.path)) or {}).get("apps") or []}
    clients, problems = [], []
    for workload, template in workloads(objects):
        mounted = {v.get("name") for v in _get(template, "spec", "volumes") or [] if _get(v, "configMap", "name") == name}
        for container in _containers(template):
            if not _is_grafana(container) or not any(m.get("name") in mounted for m in container.get("volumeMounts") or []):
                continue
            clients.append((workload, template, container))
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(_mounted_text(objects, workload.namespace, template, container, GRAFANA_INI) or "")
            forwarded = {p.strip() for p in parser.get("plugins", "forward_host_env_vars", fallback="").split(",")}
            for plugin in sorted(plugins - forwarded):
                problems.append(f"{workload} {container.get('name')}: [plugins] forward_host_env_vars lacks {plugin}: its "
                                f"process never sees {GO_CA_FILE_ENV}")
    return clients, problems
