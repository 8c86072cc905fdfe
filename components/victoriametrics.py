"""VictoriaMetrics: the operator (full-schema CRDs, Prometheus-object converter), storage, VMAgent, VMAlert and rules.

The operator turns every custom resource here into pods. Storage is a VMSingle for small environments and a
replicated VMCluster for production; VMAgent scrapes and remote-writes to storage and to the long-term store;
VMAlert evaluates every VMRule in the cluster (the rendered ones and those the operator converts from the
PrometheusRules Sloth and Pyrra write) and notifies every Alertmanager replica.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    SHARED_GROUP,
    Chart,
    child,
    deep_merge,
    documents,
    max_unavailable_one,
    object_groups,
    release,
    replicas,
    resources,
    restricted_pod,
)
from model.base import Duration
from render.systems.tls import victoriametrics_server_args, vm_tls_config
from render.systems.topology import THANOS_REPLICA_LABEL, VM_NAME
from render.yamlio import dump

OPERATOR_CHART = Chart("victoria-metrics-operator", "https://victoriametrics.github.io/helm-charts/", "0.67.2")
PROMETHEUS_CRDS_CHART = Chart("prometheus-operator-crds", "https://prometheus-community.github.io/helm-charts", "31.0.1")
VM_API = "operator.victoriametrics.com/v1beta1"
# Full-schema CRDs: with the default stripped ones the API server accepts any spec without validation.
OPERATOR_CRD_VALUES = {"crds": {"plain": True, "cleanup": {"enabled": False}}}


@dataclass(frozen=True)
class VictoriaMetricsArgs:
    """VictoriaMetrics of one environment; defaults are production-sane (a replicated cluster, HA agents)."""

    namespace: pulumi.Input[str]
    query_url: str
    """Where VMAlert reads (render.systems.topology.metrics_query_url)."""
    write_base_url: str
    """Where VMAlert writes recording results and alert state (render.systems.topology.metrics_write_base_url)."""
    remote_write_url: str
    """Where VMAgent writes (render.systems.topology.metrics_remote_write_url)."""
    notifier_urls: list[str]
    """Every Alertmanager replica: VMAlert must notify each of them, never one behind a load-balanced Service."""
    notifier_ca_secret: str | None = None
    """The Secret whose `ca.crt` verifies Alertmanager's certificate, where Alertmanager serves TLS (render.systems.tls)."""
    tls_secret: str | None = None
    """The Secret (a cert-manager Certificate's, render.systems.tls) the storage serves HTTPS with; VMAlert and VMAgent verify
    it by the same Secret's `ca.crt`. None: plain HTTP (development)."""
    long_term_write_url: str | None = None
    """Thanos Receive; VMAgent writes there too, each pod labelled so Thanos can deduplicate the HA pair."""
    mode: Literal["single", "cluster"] = "cluster"
    retention: Duration = Duration.of(days=30)
    storage_size: str = "50Gi"
    storage_class: str | None = None
    replication_factor: int = 2
    high_availability: bool = True
    scrape_interval: str = "30s"
    evaluation_interval: str = "30s"
    external_labels: dict[str, str] = field(default_factory=dict)
    rule_files: Mapping[str, str] = field(default_factory=dict)
    """Rendered rule files by file name, as YAML text (Artifacts.rule_texts); each becomes one VMRule."""
    rule_teams: Mapping[str, str] = field(default_factory=dict)
    """The team owning each rule file (Artifacts.rule_teams): its VMRules share one ConfigGroup."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw operator chart values merged over ours."""
    extra_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Escape hatch: raw spec fields merged over ours, by kind (VMSingle, VMCluster, VMAgent, VMAlert)."""


def vmrule_name(file_name: str) -> str:
    return file_name.removesuffix(".yaml").removesuffix(".yml")


def vmrule_document(file_name: str, rule_file: str, namespace: str) -> str:
    """The VMRule of one rule file, as YAML: the rule file's own text indented under `spec`.

    A VMRule's spec is a rule file (`groups:`), so the text rendered once for `rules/` is reused as it is; indenting
    every non-empty line keeps literal blocks intact, their indentation being relative to the key above them.
    """
    header = dump({"apiVersion": VM_API, "kind": "VMRule", "metadata": {"name": vmrule_name(file_name), "namespace": namespace}})
    indented = "\n".join(["  " + line if line else line for line in rule_file.split("\n")])
    return f"{header}spec:\n{indented}"


def rule_files_by_team(rule_files: Mapping[str, str], teams: Mapping[str, str]) -> dict[str, list[str]]:
    """Each team's rule file names, in order; files no one team owns are shared."""
    groups: dict[str, list[str]] = {}
    for file_name in sorted(rule_files):
        groups.setdefault(teams.get(file_name, SHARED_GROUP), []).append(file_name)
    return groups


def vm_retention(retention: Duration) -> str:
    """The retention as VictoriaMetrics' -retentionPeriod accepts it: whole days when exact, else whole hours."""
    day, hour = 86_400_000, 3_600_000
    if retention.milliseconds % day == 0:
        return f"{retention.milliseconds // day}d"
    return f"{-(-retention.milliseconds // hour)}h"


def _volume_claim(size: str, storage_class: str | None) -> dict:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return spec


def _server_tls(args: VictoriaMetricsArgs) -> dict:
    """What a storage component that clients dial needs to serve HTTPS: the flags, and the Secret the operator mounts."""
    if args.tls_secret is None:
        return {}
    return {"extraArgs": victoriametrics_server_args(args.tls_secret), "secrets": [args.tls_secret]}


def _client_tls(args: VictoriaMetricsArgs) -> dict:
    """A client's `tlsConfig` towards the storage, where it serves HTTPS."""
    return {"tlsConfig": vm_tls_config(args.tls_secret)} if args.tls_secret else {}


def storage_spec(args: VictoriaMetricsArgs) -> tuple[str, dict]:
    """The storage custom resource: (kind, spec)."""
    # With two agents scraping the same targets, keep one sample per scrape interval.
    dedup = {"dedup.minScrapeInterval": args.scrape_interval}
    tls = _server_tls(args)
    if args.mode == "single":
        return "VMSingle", {
            "retentionPeriod": vm_retention(args.retention),
            "storage": _volume_claim(args.storage_size, args.storage_class),
            "removePvcAfterDelete": False,
            "extraArgs": {**dedup, **tls.get("extraArgs", {})},
            **({"secrets": tls["secrets"]} if tls else {}),
            "resources": resources("200m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            "useStrictSecurity": True,
        }
    ha = args.high_availability
    return "VMCluster", {
        "retentionPeriod": vm_retention(args.retention),
        "replicationFactor": args.replication_factor,
        "useStrictSecurity": True,
        "vmstorage": {
            # One more node than copies, so a node can be drained without refusing writes.
            "replicaCount": args.replication_factor + 1 if ha else args.replication_factor,
            "storage": {"volumeClaimTemplate": {"spec": _volume_claim(args.storage_size, args.storage_class)}},
            "extraArgs": dedup,
            "resources": resources("500m", "2Gi", cpu_limit="2", memory_limit="4Gi"),
            "podDisruptionBudget": max_unavailable_one(ha) or None,
        },
        # vmstorage is dialled by vmselect and vminsert over their RPC ports, whose TLS (`-cluster.tls*`) is an
        # Enterprise feature; its HTTP port serves only its own metrics and snapshots.
        "vmselect": {
            "replicaCount": replicas(ha),
            "extraArgs": {**dedup, **tls.get("extraArgs", {})},
            **({"secrets": tls["secrets"]} if tls else {}),
            "resources": resources("250m", "512Mi", cpu_limit="2", memory_limit="2Gi"),
            "podDisruptionBudget": max_unavailable_one(ha) or None,
        },
        "vminsert": {
            "replicaCount": replicas(ha),
            **tls,
            "resources": resources("250m", "256Mi", cpu_limit="1", memory_limit="1Gi"),
            "podDisruptionBudget": max_unavailable_one(ha) or None,
        },
    }


def vmagent_spec(args: VictoriaMetricsArgs) -> dict:
    """VMAgent: scrapes every VMServiceScrape/VMPodScrape (and converted ServiceMonitors) in the cluster."""
    remote_write: list[dict[str, Any]] = [{"url": args.remote_write_url, **_client_tls(args)}]
    env: list[dict[str, Any]] = []
    if args.long_term_write_url:
        target: dict[str, Any] = {"url": args.long_term_write_url}
        if args.high_availability:
            # VictoriaMetrics expands %{VAR} from the environment; each pod names itself for Thanos' dedup.
            env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
            target["inlineUrlRelabelConfig"] = [{"target_label": THANOS_REPLICA_LABEL, "replacement": "%{POD_NAME}"}]
        remote_write.append(target)
    spec: dict[str, Any] = {
        "replicaCount": replicas(args.high_availability),
        "selectAllByDefault": True,
        "scrapeInterval": args.scrape_interval,
        "externalLabels": dict(sorted(args.external_labels.items())),
        "remoteWrite": remote_write,
        "resources": resources("200m", "256Mi", cpu_limit="1", memory_limit="1Gi"),
        "useStrictSecurity": True,
    }
    if env:
        spec["extraEnvs"] = env
    if args.high_availability:
        spec["podDisruptionBudget"] = max_unavailable_one(True)
    return spec


def vmalert_spec(args: VictoriaMetricsArgs) -> dict:
    """VMAlert: every VMRule of every namespace, notifications to each Alertmanager replica."""
    spec: dict[str, Any] = {
        "replicaCount": replicas(args.high_availability),
        "evaluationInterval": args.evaluation_interval,
        # Empty selectors select everything: our VMRules and the ones converted from Sloth's and Pyrra's output.
        "ruleSelector": {},
        "ruleNamespaceSelector": {},
        "datasource": {"url": args.query_url, **_client_tls(args)},
        "remoteWrite": {"url": args.write_base_url, **_client_tls(args)},
        # Restores `for` state after a restart, so a restart does not delay pages.
        "remoteRead": {"url": args.query_url, **_client_tls(args)},
        # The operator mounts the CA from the Secret's key (TLSConfig.ca, api/operator/v1beta1/vmextra_types.go).
        "notifiers": [
            {"url": url, **({"tlsConfig": {"ca": {"secret": {"name": args.notifier_ca_secret, "key": "ca.crt"}}}} if args.notifier_ca_secret else {})}
            for url in args.notifier_urls
        ],
        "externalLabels": dict(sorted(args.external_labels.items())),
        "resources": resources("100m", "128Mi", cpu_limit="1", memory_limit="512Mi"),
        "useStrictSecurity": True,
    }
    if args.high_availability:
        spec["podDisruptionBudget"] = max_unavailable_one(True)
    return spec


def _without_nones(spec: dict) -> dict:
    return {k: _without_nones(v) if isinstance(v, dict) else v for k, v in spec.items() if v is not None}


class VictoriaMetrics(pulumi.ComponentResource):
    """Metrics storage, scraping and rule evaluation, all through the VictoriaMetrics operator."""

    prometheus_crds: Any
    operator: Any
    storage: CustomResource
    agent: CustomResource
    alert: CustomResource
    rules: list[CustomResource]

    def __init__(self, name: str, args: VictoriaMetricsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:VictoriaMetrics", name, None, opts)
        if not args.notifier_urls:
            raise ValueError("VMAlert needs at least one Alertmanager to notify")

        # Sloth and Pyrra write PrometheusRules; without these CRDs there is nothing for the operator to convert.
        self.prometheus_crds = release(
            f"{name}-prometheus-crds", "prometheus-operator-crds", PROMETHEUS_CRDS_CHART, args.namespace, {}, None,
            child(self),
        )
        ha = args.high_availability
        values = {
            **OPERATOR_CRD_VALUES,
            # The webhook's certificate is generated at template time and would change on every update.
            "admissionWebhooks": {"enabled": False},
            # The converter is what lets VMAlert evaluate Sloth's and Pyrra's PrometheusRules.
            "operator": {"disable_prometheus_converter": False, "enable_converter_ownership": True},
            "replicaCount": replicas(ha),
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1} if ha else {"enabled": False},
            "podSecurityContext": restricted_pod(),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
        }
        self.operator = release(
            f"{name}-operator", "vm-operator", OPERATOR_CHART, args.namespace, values, args.extra_values,
            child(self, self.prometheus_crds),
        )
        after_crds = child(self, self.operator)

        def resource(suffix: str, kind: str, spec: dict) -> CustomResource:
            return CustomResource(
                f"{name}-{suffix}",
                api_version=VM_API,
                kind=kind,
                metadata={"name": VM_NAME, "namespace": args.namespace},
                spec=_without_nones(deep_merge(spec, args.extra_specs.get(kind, {}))),
                opts=after_crds,
            )

        kind, spec = storage_spec(args)
        self.storage = resource(kind.lower(), kind, spec)
        self.agent = resource("vmagent", "VMAgent", vmagent_spec(args))
        self.alert = resource("vmalert", "VMAlert", vmalert_spec(args))
        # Thousands of VMRules as a few ConfigGroups, one per team (components.common.object_groups).
        namespace = pulumi.Output.from_input(args.namespace)
        self.rules = object_groups(
            f"{name}-rules",
            {
                team: namespace.apply(
                    lambda ns, names=names: documents([vmrule_document(f, args.rule_files[f], ns) for f in names])
                )
                for team, names in rule_files_by_team(args.rule_files, args.rule_teams).items()
            },
            f"{name}-rule",
            after_crds,
        )
        self.register_outputs({"storage": kind, "notifiers": args.notifier_urls})
