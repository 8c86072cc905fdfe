"""Falco on every node, falcosidekick (its own release) turning Falco events into Alertmanager alerts, and Falco
Talon carrying out the catalog's automated responses.

falcosidekick and Falco Talon run as separate releases rather than the falco chart's subcharts, which lag the
standalone charts. Falco is the one component that keeps elevated privileges: it reads kernel events. With the
modern eBPF driver in least-privileged mode that means a few capabilities (BPF, PERFMON, SYS_RESOURCE,
SYS_PTRACE), not a privileged container.

Falco's rules are pinned: falcoctl installs the three upstream rule sets at exact versions once, at start
(render.systems.falco.RULE_SETS), and does not follow newer ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
from alerting_facts.names import TERMINATION_APPROVED

from components.common import (
    PACKAGE,
    PART_OF,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    declared_objects,
    release,
    replicas,
    resources,
    restricted_pod,
    secret_object,
)
from render.systems.topology import FALCO_NAMESPACE, FALCO_TALON_RELEASE, FALCOSIDEKICK_PORT, FALCOSIDEKICK_RELEASE, falcosidekick_url
from render.yamlio import dump

FALCO_CHART = Chart("falco", "https://falcosecurity.github.io/charts", "9.1.0")
SIDEKICK_CHART = Chart("falcosidekick", "https://falcosecurity.github.io/charts", "0.14.0")
# 0.4.1, not the 0.3.0 the falco chart carries as a subchart: the same Falco Talon (0.3.0), with the Secret of its
# configuration rendered into the release's namespace (0.4.1's one fix).
TALON_CHART = Chart("falco-talon", "https://falcosecurity.github.io/charts", "0.4.1")
SIDEKICK_UID = 1234
TALON_UID = 1234
TALON_FORENSICS_SECRET = "falco-talon-forensics"

# Falco Talon's Kubernetes rights, per action (the `Permissions` of each actionner in falco-talon 0.3.0); every
# other kind the chart would grant (deleting namespaces, secrets, deployments, ...) stays off.
TALON_RBAC_OFF = {
    key: [] for key in (
        "namespaces", "podsEphemeralcontainers", "nodes", "podsLog", "podsEviction", "caliconetworkpolicies",
        "ciliumnetworkpolicies", "roles", "clusterroles", "configmaps", "secrets",
    )
}


@dataclass(frozen=True)
class Forensics:
    """Where Talon's captures go (Talon's `minio` client speaks to any S3 API) and the keys it writes with."""

    endpoint: str
    use_ssl: bool
    access_key: pulumi.Input[str]
    secret_key: pulumi.Input[str]


@dataclass(frozen=True)
class TalonArgs:
    """Falco Talon: the rules file (render.systems.falco.talon_rules) and what its actions need."""

    rules: list[dict]
    terminates: bool = False
    captures: bool = False
    termination_approved: bool = False
    forensics: Forensics | None = None
    quarantine_policies: tuple[dict, ...] = ()
    """Deny-all NetworkPolicies for quarantined pods, one per namespace a response isolates in."""


@dataclass(frozen=True)
class FalcoArgs:
    namespace: pulumi.Input[str]
    alertmanager_output: dict
    """falcosidekick's `config.alertmanager` (render.systems.falco.sidekick_alertmanager)."""
    driver: Literal["modern_ebpf", "ebpf", "kmod"] = "modern_ebpf"
    high_availability: bool = True
    falco_config: dict = field(default_factory=dict)
    """The falco chart's `falco` values the platform decides (render.systems.falco.falco_config)."""
    catalog_rules: list[dict] = field(default_factory=list)
    """The catalog's Falco rules (render.systems.falco.catalog_rules_file)."""
    rule_refs: tuple[str, ...] = ()
    """falcoctl refs of the pinned rule sets (render.systems.falco.falcoctl_refs)."""
    talon_output: dict | None = None
    """falcosidekick's `config.talon`; None: no Talon."""
    alertmanager_ca: tuple[dict, dict, str] | None = None
    """(volume, volumeMount, CA file) by which falcosidekick verifies Alertmanager's certificate
    (render.systems.falco.sidekick_tls_client); None where Alertmanager serves plain HTTP."""
    talon: TalonArgs | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw falco chart values merged over ours."""
    extra_sidekick_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw falcosidekick chart values merged over ours."""


class Falco(pulumi.ComponentResource):
    falco: Any
    sidekick: Any
    talon: Any = None

    def __init__(self, name: str, args: FalcoArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Falco", name, None, opts)
        sidekick_values = {
            "replicaCount": replicas(args.high_availability),
            # No TLS server here, so no plain-HTTP side port: the chart's Service would otherwise expose a
            # `http-notls` port that its pods only open with `tlsserver.deploy`.
            "config": {
                "alertmanager": args.alertmanager_output,
                **({"talon": args.talon_output} if args.talon_output else {}),
                "tlsserver": {"notlspaths": ""},
                **({"tlsclient": {"cacertfile": args.alertmanager_ca[2]}} if args.alertmanager_ca else {}),
            },
            "webui": {"enabled": False},
            **(
                {"extraVolumes": [args.alertmanager_ca[0]], "extraVolumeMounts": [args.alertmanager_ca[1]]}
                if args.alertmanager_ca else {}
            ),
            "podSecurityContext": restricted_pod(SIDEKICK_UID),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="128Mi"),
        }
        self.sidekick = release(
            f"{name}-sidekick", FALCOSIDEKICK_RELEASE, SIDEKICK_CHART, args.namespace, sidekick_values,
            args.extra_sidekick_values, child(self),
        )
        falco_values = {
            "controller": {"kind": "daemonset"},
            "driver": {"kind": args.driver, "modernEbpf": {"leastPrivileged": True}},
            "falco": {
                # falcosidekick reads JSON events.
                "json_output": True,
                "json_include_output_property": True,
                "http_output": {"enabled": True, "url": f"{falcosidekick_url()}/"},
                **args.falco_config,
            },
            "falcosidekick": {"enabled": False},
            "resources": resources("100m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            # falcoctl installs the pinned rule sets at start; following would replace them behind the pin's back.
            "falcoctl": {
                "artifact": {
                    "install": {"resources": resources("10m", "32Mi", cpu_limit="100m", memory_limit="64Mi")},
                    "follow": {"enabled": False},
                },
                "config": {"artifact": {"install": {"refs": list(args.rule_refs)}, "follow": {"refs": list(args.rule_refs)}}},
            },
        }
        if args.catalog_rules:
            from render.systems.falco import CATALOG_RULES_FILE

            falco_values["customRules"] = {CATALOG_RULES_FILE: dump(args.catalog_rules)}
        self.falco = release(
            f"{name}-release", "falco", FALCO_CHART, args.namespace, falco_values, args.extra_values,
            child(self, self.sidekick),
        )
        if args.talon is not None:
            self.talon = self._talon(name, args, args.talon)
        self.register_outputs({"sidekick_port": FALCOSIDEKICK_PORT})

    def _talon(self, name: str, args: FalcoArgs, talon: TalonArgs) -> Any:
        env: list[dict] = [{"name": "LOG_LEVEL", "value": "warning"}]
        depends: list[pulumi.Resource] = []
        if talon.captures:
            forensics = talon.forensics
            assert forensics is not None, "checked when the stack is loaded"
            keys = secret_object(
                f"{name}-talon-forensics", TALON_FORENSICS_SECRET, args.namespace,
                {"MINIO_ACCESS_KEY": forensics.access_key, "MINIO_SECRET_KEY": forensics.secret_key}, child(self),
            )
            depends.append(keys)
            # Talon reads its configuration through viper with environment overrides: minio.endpoint <- MINIO_ENDPOINT.
            env += [
                {"name": "MINIO_ENDPOINT", "value": forensics.endpoint},
                {"name": "MINIO_USE_SSL", "value": "true" if forensics.use_ssl else "false"},
                *(
                    {"name": key, "valueFrom": {"secretKeyRef": {"name": TALON_FORENSICS_SECRET, "key": key}}}
                    for key in ("MINIO_ACCESS_KEY", "MINIO_SECRET_KEY")
                ),
            ]
            # The chart has no value for batch Jobs, which the capture runs sysdig in.
            depends += declared_objects(f"{name}-talon", _capture_rbac(), child(self))
        rbac = {
            **TALON_RBAC_OFF,
            "pods": ["get", "list", "patch", "update", *(["delete"] if talon.terminates else [])],
            "podsExec": ["get", "create"] if talon.captures else [],
            "events": ["get", "create", "patch", "update"],
            "daemonsets": ["get"], "deployments": ["get"], "replicasets": ["get"], "statefulsets": ["get"],
            "networkpolicies": ["get", "create", "update", "patch"],
            "leases": ["get", "create", "update", "patch", "watch"],
        }
        values = {
            "replicaCount": replicas(args.high_availability),
            "image": {"pullPolicy": "IfNotPresent"},
            "podSecurityContext": {"runAsUser": TALON_UID, "fsGroup": TALON_UID},
            "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="128Mi"),
            "extraEnv": env,
            "rbac": rbac,
            "config": {
                "defaultNotifiers": ["k8sevents"],
                "rulesOverride": dump(talon.rules),
                "deduplication": {"leaderElection": True, "timeWindowSeconds": 5},
            },
        }
        depends += declared_objects(f"{name}-talon-quarantine", talon.quarantine_policies, child(self))
        # The catalog's consent to terminate pods in production goes where `helm history` and the policy pack see it.
        return release(
            f"{name}-talon", FALCO_TALON_RELEASE, TALON_CHART, args.namespace, values, None,
            child(self, self.sidekick, *depends),
            description=TERMINATION_APPROVED if talon.termination_approved else None,
        )


def _capture_rbac() -> tuple[dict, ...]:
    meta = {"name": "falco-talon-captures", "labels": {"app.kubernetes.io/part-of": PART_OF}}
    return (
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta,
            "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "create"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "falco-talon-captures"},
            "subjects": [{"kind": "ServiceAccount", "name": FALCO_TALON_RELEASE, "namespace": FALCO_NAMESPACE}],
        },
    )
