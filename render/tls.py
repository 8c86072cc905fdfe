"""Encryption in transit inside the cluster: the platform's own CA, kept by cert-manager, and the TLS settings of each
component that can use it.

cert-manager (cert-manager.io/v1) issues from a self-signed root: a `SelfSigned` Issuer signs the CA Certificate, a
`CA` Issuer signs every component's Certificate from it, and cert-manager renews each before it expires. Each
Certificate's Secret holds `tls.crt`, `tls.key` and the CA as `ca.crt`, mounted read-only into the component's pods.
"""

from __future__ import annotations

import posixpath

from alerting_facts.names import PROJECT
from render.topology import ALERTMANAGER_RELEASE, MONITORING_NAMESPACE

CERT_MANAGER_NAMESPACE = "cert-manager"
CERT_MANAGER_RELEASE = "cert-manager"
API_VERSION = "cert-manager.io/v1"
SELF_SIGNED_ISSUER = "platform-selfsigned"
CA_ISSUER = "platform-ca"
CA_SECRET = "platform-ca"
CA_DURATION = "87600h"  # ten years: the root outlives every leaf it signs
LEAF_DURATION = "2160h"  # 90 days, renewed a third before the end (cert-manager's default renewBefore)

ALERTMANAGER_TLS_SECRET = "alertmanager-tls"
ALERTMANAGER_TLS_DIR = "/etc/alertmanager-tls"
ALERTMANAGER_TLS_CONFIGMAP = "alertmanager-tls-config"
ALERTMANAGER_TLS_CONFIG_DIR = "/etc/alertmanager-tls-config"
CLUSTER_TLS_FILE = "cluster-tls.yml"
ALERTMANAGER_PEER_NAME = f"{ALERTMANAGER_RELEASE}-headless.{MONITORING_NAMESPACE}.svc"
"""The name every replica's certificate carries and every replica verifies its peers by: peers dial each other by
pod IP (the chart's `--cluster.advertise-address=[$(POD_IP)]`), which no certificate names."""


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PROJECT}}


def ca_objects(namespace: str = MONITORING_NAMESPACE) -> tuple[dict, ...]:
    """The self-signed root and the Issuer that signs every component's certificate from it."""
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
        {"apiVersion": API_VERSION, "kind": "Issuer", "metadata": _meta(CA_ISSUER, namespace), "spec": {"ca": {"secretName": CA_SECRET}}},
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
            "issuerRef": {"name": CA_ISSUER, "kind": "Issuer", "group": "cert-manager.io"},
        },
    }


def alertmanager_certificate() -> dict:
    """Server and client certificate of every replica: its peers and its clients reach it by these names."""
    service = f"{ALERTMANAGER_RELEASE}.{MONITORING_NAMESPACE}.svc"
    names = [ALERTMANAGER_PEER_NAME, f"*.{ALERTMANAGER_PEER_NAME}", service, f"{service}.cluster.local"]
    return certificate(ALERTMANAGER_TLS_SECRET, ALERTMANAGER_TLS_SECRET, names, client=True)


def certificates() -> tuple[dict, ...]:
    """Every object the platform's TLS needs, in the monitoring namespace."""
    return (*ca_objects(), alertmanager_certificate())


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
