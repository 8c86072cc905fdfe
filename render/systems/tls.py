"""Encryption in transit inside the cluster: the platform's own CA, kept by cert-manager, and the TLS settings of each
component that can use it.

cert-manager (cert-manager.io/v1) issues from a self-signed root: a `SelfSigned` Issuer signs the CA Certificate, a
`CA` ClusterIssuer signs every component's Certificate from it, in whichever namespace the component runs, and
cert-manager renews each before it expires. The root and its key stay in cert-manager's namespace: a CA
ClusterIssuer reads its Secret from the cluster resource namespace, which is cert-manager's own by default
(`--cluster-resource-namespace`). Each Certificate's Secret holds `tls.crt`, `tls.key` and the CA as `ca.crt`;
servers mount the Secret, clients only its `ca.crt`.
"""

from __future__ import annotations

import posixpath

from alerting_facts.names import PROJECT
from render.systems.topology import (
    ALERTMANAGER_RELEASE,
    FALCO_NAMESPACE,
    FALCOSIDEKICK_RELEASE,
    GRAFANA_RELEASE,
    MONITORING_NAMESPACE,
    THANOS_RELEASE,
    metrics_hosts,
)

CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_RELEASE = "cert-manager"
API_VERSION = "cert-manager.io/v1"
SELF_SIGNED_ISSUER = "platform-selfsigned"
CA_ISSUER = "platform-ca"
CA_SECRET = "platform-ca"
CA_DURATION = "87600h"  # ten years: the root outlives every leaf it signs
LEAF_DURATION = "2160h"  # 90 days, renewed a third before the end (cert-manager's default renewBefore)

ALERTMANAGER_TLS_SECRET = "alertmanager-tls"
VM_TLS_SECRET = "victoriametrics-tls"
VM_SECRETS_DIR = "/etc/vm/secrets"
"""Where the VictoriaMetrics operator mounts each Secret a CR lists in `secrets` (v0.74.0 `SecretsDir`)."""
CA_FILE = "ca.crt"
CLIENT_CA_DIR = "/etc/platform-ca"
"""Where a client of a TLS server finds the platform's CA: only the `ca.crt` of a Certificate's Secret is mounted."""
WEB_TLS_FILE = "web-tls.yml"
FALCOSIDEKICK_TLS_SECRET = "falcosidekick-tls"
"""falcosidekick's client certificate, in the falco namespace: where it finds the CA to verify Alertmanager by."""
ALERTMANAGER_TLS_DIR = "/etc/alertmanager-tls"
ALERTMANAGER_TLS_CONFIGMAP = "alertmanager-tls-config"
ALERTMANAGER_TLS_CONFIG_DIR = "/etc/alertmanager-tls-config"
CLUSTER_TLS_FILE = "cluster-tls.yml"
GRAFANA_TLS_SECRET = "grafana-tls"
GRAFANA_TLS_DIR = "/etc/grafana-tls"
GRAFANA_CERTS_WATCH_INTERVAL = "1h"
"""How often Grafana rereads its certificate and key (`certs_watch_interval`): cert-manager renews a month before the
end and the kubelet updates the mounted Secret, so a renewed certificate is served within the hour, without a restart."""
TRUST_MANAGER_RELEASE = "trust-manager"
TRUST_API_VERSION = "trust.cert-manager.io/v1alpha1"
TRUST_BUNDLE = "platform-trust"
"""trust-manager's Bundle, and the ConfigMap it writes into each namespace that needs it."""
TRUST_BUNDLE_FILE = "ca-bundle.crt"
TRUST_BUNDLE_DIR = "/etc/platform-trust"
ALERTMANAGER_PEER_NAME = f"{ALERTMANAGER_RELEASE}-headless.{MONITORING_NAMESPACE}.svc"
"""The name every replica's certificate carries and every replica verifies its peers by: peers dial each other by
pod IP (the chart's `--cluster.advertise-address=[$(POD_IP)]`), which no certificate names."""


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PROJECT}}


def ca_objects(namespace: str = CERT_MANAGER_NAMESPACE) -> tuple[dict, ...]:
    """The self-signed root, kept in cert-manager's namespace, and the ClusterIssuer that signs every component's
    certificate from it."""
    return (
        {"apiVersion": API_VERSION, "kind": "Issuer", "metadata": _meta(SELF_SIGNED_ISSUER, namespace), "spec": {"selfSigned": {}}},
        {
            "apiVersion": API_VERSION,
            "kind": "Certificate",
            "metadata": _meta(CA_SECRET, namespace),
            "spec": {
                "isCA": True,
                "commonName": "alerting-platform CA",
                "secretName": CA_SECRET,
                "duration": CA_DURATION,
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "Issuer", "group": "cert-manager.io"},
            },
        },
        {
            "apiVersion": API_VERSION,
            "kind": "ClusterIssuer",
            "metadata": {k: v for k, v in _meta(CA_ISSUER, namespace).items() if k != "namespace"},
            "spec": {"ca": {"secretName": CA_SECRET}},
        },
    )


def certificate(name: str, secret: str, dns_names: list[str], client: bool = False, namespace: str = MONITORING_NAMESPACE) -> dict:
    """A leaf certificate from the platform's CA; `client` adds client authentication (mutual TLS between peers)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "Certificate",
        "metadata": _meta(name, namespace),
        "spec": {
            "secretName": secret,
            "duration": LEAF_DURATION,
            "dnsNames": dns_names,
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["digital signature", "key encipherment", "server auth", *(["client auth"] if client else [])],
            "issuerRef": {"name": CA_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
    }


def alertmanager_certificate() -> dict:
    """Server and client certificate of every replica: its peers and its clients reach it by these names."""
    service = f"{ALERTMANAGER_RELEASE}.{MONITORING_NAMESPACE}.svc"
    names = [ALERTMANAGER_PEER_NAME, f"*.{ALERTMANAGER_PEER_NAME}", service, f"{service}.cluster.local"]
    return certificate(ALERTMANAGER_TLS_SECRET, ALERTMANAGER_TLS_SECRET, names, client=True)


def falcosidekick_certificate() -> dict:
    """falcosidekick's certificate: its Secret brings the CA into the falco namespace, to verify Alertmanager by."""
    host = f"{FALCOSIDEKICK_RELEASE}.{FALCO_NAMESPACE}.svc"
    return certificate(FALCOSIDEKICK_TLS_SECRET, FALCOSIDEKICK_TLS_SECRET, [host], client=True, namespace=FALCO_NAMESPACE)


def victoriametrics_certificate(mode: str) -> dict:
    """The certificate VictoriaMetrics' storage serves HTTPS with: every Service name its clients dial (VMSingle's, or
    vmselect's and vminsert's). Server authentication only: the open-source binaries cannot ask for client
    certificates (`-mtls` is an Enterprise flag)."""
    names = [name for host in metrics_hosts(mode) for name in (host, f"{host}.cluster.local")]
    return certificate(VM_TLS_SECRET, VM_TLS_SECRET, names)


def victoriametrics_server_args(secret: str = VM_TLS_SECRET) -> dict[str, str]:
    """The `extraArgs` that make a VictoriaMetrics binary serve HTTPS only, with the certificate the operator mounts
    from the CR's `secrets` at /etc/vm/secrets/<Secret> (operator v0.74.0, api/operator/v1beta1/vmextra_types.go
    `SecretsDir`; mounted by internal/controller/operator/factory/vmcluster/vmcluster.go and vmsingle/vmsingle.go).
    With `tls: "true"` the operator also switches the kubelet's probes to HTTPS (`ProbeScheme()` ->
    `HTTPProtoFromFlags`, api/operator/v1beta1/vmcluster_types.go and vmsingle_types.go) and its own scrape of the
    pods to `https` (internal/controller/operator/factory/build/vmscrape.go)."""
    directory = posixpath.join(VM_SECRETS_DIR, secret)
    return {
        "tls": "true",
        "tlsCertFile": posixpath.join(directory, "tls.crt"),
        "tlsKeyFile": posixpath.join(directory, "tls.key"),
        "tlsMinVersion": "TLS12",
    }


def vm_tls_config(secret: str = VM_TLS_SECRET) -> dict:
    """A VM custom resource's `tlsConfig` (the operator's TLSConfig): verify the server by the `ca.crt` of a Secret,
    which the operator mounts into the client's pod."""
    return {"ca": {"secret": {"name": secret, "key": CA_FILE}}}


def grafana_certificate() -> dict:
    """Grafana's serving certificate: its clients (OnCall's engine) dial the Service by these names."""
    service = f"{GRAFANA_RELEASE}.{MONITORING_NAMESPACE}.svc"
    return certificate(GRAFANA_TLS_SECRET, GRAFANA_TLS_SECRET, [service, f"{service}.cluster.local"])


def certificates(metrics_mode: str = "cluster") -> tuple[dict, ...]:
    """Every object the platform's TLS needs."""
    return (
        *ca_objects(), alertmanager_certificate(), falcosidekick_certificate(), grafana_certificate(),
        victoriametrics_certificate(metrics_mode),
    )


def trust_bundle(namespaces: tuple[str, ...] = (MONITORING_NAMESPACE,)) -> dict:
    """A trust-manager Bundle: the public CAs of its default package (Debian's ca-certificates) and the platform's CA,
    as one PEM file in a ConfigMap of each namespace named. For a client that must keep trusting the public CAs while
    it verifies the platform's servers (OnCall's engine: one bundle for Grafana and for Slack, Jira, webhooks).
    Its sources are read from trust-manager's trust namespace, cert-manager's, where the CA's Secret lives."""
    return {
        "apiVersion": TRUST_API_VERSION,
        "kind": "Bundle",
        "metadata": {"name": TRUST_BUNDLE, "labels": {"app.kubernetes.io/part-of": PROJECT}},
        "spec": {
            "sources": [{"useDefaultCAs": True}, {"secret": {"name": CA_SECRET, "key": CA_FILE}}],
            "target": {
                "configMap": {"key": TRUST_BUNDLE_FILE},
                "namespaceSelector": {
                    "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(namespaces)}]
                },
            },
        },
    }


def client_trust_bundle(name: str = "platform-trust") -> tuple[dict, dict, str]:
    """(volume, volumeMount, bundle file) of the trust Bundle's ConfigMap: public CAs and the platform's CA in one file."""
    volume = {"name": name, "configMap": {"name": TRUST_BUNDLE, "items": [{"key": TRUST_BUNDLE_FILE, "path": TRUST_BUNDLE_FILE}]}}
    mount = {"name": name, "mountPath": TRUST_BUNDLE_DIR, "readOnly": True}
    return volume, mount, posixpath.join(TRUST_BUNDLE_DIR, TRUST_BUNDLE_FILE)


def grafana_server_tls(cert_dir: str = GRAFANA_TLS_DIR) -> dict:
    """grafana.ini's `[server]` keys that serve HTTPS with the certificate in `cert_dir` (Grafana's
    pkg/setting/setting.go, readServerSettings: `protocol = https` reads `cert_file` and `cert_key`; `min_tls_version`
    takes TLS1.2 or TLS1.3; `certs_watch_interval` rereads both files when they change)."""
    return {
        "protocol": "https",
        "cert_file": posixpath.join(cert_dir, "tls.crt"),
        "cert_key": posixpath.join(cert_dir, "tls.key"),
        "min_tls_version": "TLS1.2",
        "certs_watch_interval": GRAFANA_CERTS_WATCH_INTERVAL,
    }


def client_ca(secret: str = ALERTMANAGER_TLS_SECRET, name: str = "platform-ca") -> tuple[dict, dict, str]:
    """(volume, volumeMount, CA file) for a client of a TLS server: the `ca.crt` of a Certificate's Secret only, never
    the key beside it."""
    volume = {"name": name, "secret": {"secretName": secret, "items": [{"key": CA_FILE, "path": CA_FILE}]}}
    mount = {"name": name, "mountPath": CLIENT_CA_DIR, "readOnly": True}
    return volume, mount, posixpath.join(CLIENT_CA_DIR, CA_FILE)


def alertmanager_web_tls(cert_dir: str = ALERTMANAGER_TLS_DIR) -> dict:
    """`--web.config.file` (exporter-toolkit's web config): the API and UI over TLS with the replica's certificate.
    No client certificate is asked for: Karma, vmalert, falcosidekick and the backup job verify the server by the CA."""
    return {
        "tls_server_config": {
            "cert_file": posixpath.join(cert_dir, "tls.crt"),
            "key_file": posixpath.join(cert_dir, "tls.key"),
            "min_version": "TLS12",
        }
    }


def alertmanager_cluster_tls(cert_dir: str = ALERTMANAGER_TLS_DIR) -> dict:
    """`--cluster.tls-config`: gossip over mutual TLS, each replica presenting its certificate and accepting only peers
    whose certificate the platform's CA signed (cluster/tls_config.go: tls_server_config is exporter-toolkit's web
    TLS config, tls_client_config prometheus/common's)."""
    path = lambda file: posixpath.join(cert_dir, file)  # noqa: E731
    return {
        "tls_server_config": {
            "cert_file": path("tls.crt"),
            "key_file": path("tls.key"),
            "client_ca_file": path("ca.crt"),
            "client_auth_type": "RequireAndVerifyClientCert",
            "min_version": "TLS12",
        },
        "tls_client_config": {
            "cert_file": path("tls.crt"),
            "key_file": path("tls.key"),
            "ca_file": path("ca.crt"),
            "server_name": ALERTMANAGER_PEER_NAME,
            "min_version": "TLS12",
        },
    }


# --- Thanos: gRPC between its components over mutual TLS ------------------------------------------------------

THANOS_TLS_SECRET = "thanos-tls"
THANOS_TLS_DIR = "/etc/thanos-tls"
THANOS_GRPC_NAME = f"{THANOS_RELEASE}-grpc.{MONITORING_NAMESPACE}.internal"
"""The one name every Thanos gRPC server's certificate carries and every Thanos gRPC client verifies.

Query dials the Store Gateway and the ingestors at the pod IPs its `dnssrv+` lookups return (Thanos v0.42.4
pkg/discovery/dns/resolver.go:122-134), which no certificate names, so each client sets the name to verify:
`--grpc-client-server-name` (Query) and `--remote-write.client-server-name` (the receive router). Thanos v0.42.4
puts it in the client's tls.Config (pkg/tls/options.go:172-174, via pkg/extgrpc/client.go:142-153) and hands every
endpoint the same credentials, the `dnssrv+` ones included (cmd/thanos/endpointset.go:542-548; the router's in
cmd/thanos/receive.go:171-175); grpc-go v1.81.1 (Thanos' go.mod) takes that name as the channel's authority
(clientconn.go:1967-1980, credentials/tls.go:104-109), no resolved address overriding it (clientconn.go:1087-1095,
internal/resolver/dns/dns_resolver.go:126-127 and 333-334), and verifies the server's certificate for it
(credentials/tls.go:112-123). It is an identity, not an address: outside the cluster's `svc` domain, so no Service
or client could take it for one to dial."""


def thanos_certificate(namespace: str = MONITORING_NAMESPACE) -> dict:
    """Every Thanos gRPC server's and client's certificate: servers ask their peers for one (mutual TLS)."""
    return certificate(THANOS_TLS_SECRET, THANOS_TLS_SECRET, [THANOS_GRPC_NAME], client=True, namespace=namespace)


def thanos_tls_volume() -> tuple[dict, dict]:
    """(volume, volumeMount) of the Thanos certificate's Secret: key, certificate and the CA beside them."""
    return (
        {"name": THANOS_TLS_SECRET, "secret": {"secretName": THANOS_TLS_SECRET}},
        {"name": THANOS_TLS_SECRET, "mountPath": THANOS_TLS_DIR, "readOnly": True},
    )


def _thanos_file(name: str) -> str:
    return posixpath.join(THANOS_TLS_DIR, name)


def thanos_grpc_server_args() -> list[str]:
    """A Thanos gRPC server over TLS that accepts only clients presenting a certificate from the platform's CA
    (cmd/thanos/config.go:49-57; a client CA means `RequireAndVerifyClientCert`, pkg/tls/options.go:77-88)."""
    return [
        f"--grpc-server-tls-cert={_thanos_file('tls.crt')}",
        f"--grpc-server-tls-key={_thanos_file('tls.key')}",
        f"--grpc-server-tls-client-ca={_thanos_file(CA_FILE)}",
    ]


def thanos_query_client_args() -> list[str]:
    """Query towards every store it finds (cmd/thanos/config.go:87-92; deprecated "after v0.43.0" in favour of
    `default_client_config` in `--endpoint.sd-config-file`, which v0.42.4 reads the same way)."""
    return [
        "--grpc-client-tls-secure",
        f"--grpc-client-tls-cert={_thanos_file('tls.crt')}",
        f"--grpc-client-tls-key={_thanos_file('tls.key')}",
        f"--grpc-client-tls-ca={_thanos_file(CA_FILE)}",
        f"--grpc-client-server-name={THANOS_GRPC_NAME}",
    ]


def thanos_router_client_args() -> list[str]:
    """The receive router towards the ingestors it forwards to (cmd/thanos/receive.go:995-1007)."""
    return [
        "--remote-write.client-tls-secure",
        f"--remote-write.client-tls-cert={_thanos_file('tls.crt')}",
        f"--remote-write.client-tls-key={_thanos_file('tls.key')}",
        f"--remote-write.client-tls-ca={_thanos_file(CA_FILE)}",
        f"--remote-write.client-server-name={THANOS_GRPC_NAME}",
    ]
