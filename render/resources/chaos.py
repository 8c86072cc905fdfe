"""Chaos experiments -> Litmus objects in the target namespaces, the rules that read their results, and guardrails.

A one-off experiment becomes a ChaosEngine in its service's namespace; a scheduled one an engine template and the
CronJob that creates an engine from it on its level's schedule, unless the service's SLO burns or a P0/P1 is open.
Beside them: the ChaosExperiment that defines each litmus-go fault and the accounts the runner and the scheduler use.
The chaos exporter's metrics drive two alerts per experiment, a failed run (a weakness found) and "chaos in
progress" (which Alertmanager uses to hold back the expected symptoms), and the recorded chaos metrics and score.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import yaml

from alerting_facts.names import PROJECT, CHAOS_APPROVED_LABEL, CHAOS_APPROVER_ANNOTATION, CHAOS_TEMPLATE_LABEL, CHAOS_TICKET_ANNOTATION
from model.base import Duration
from model.catalog import Organisation, Service, Severity, Team
from model.chaos import LITMUS_FAULT, NODE_FAULTS, ChaosExperiment, ChaosFault, ChaosLevel
from model.errors import Loc
from model.settings import Settings
from render.alertmanager.inhibition import CHAOS_RUNNING
from render.rules.health import alert
from render.alertmanager.time_intervals import weekday_numbers
from render.systems.topology import metrics_query_url

LITMUS_API = "litmuschaos.io/v1alpha1"
LITMUS_VERSION = "3.28.0"
"""The Litmus release the runner and exporter images come from: the litmus-core chart's appVersion."""
RUNNER_IMAGE = f"docker.io/litmuschaos/go-runner:{LITMUS_VERSION}"
SERVICE_ACCOUNT = "litmus-chaos"
PART_OF = PROJECT
APPROVED_LABEL = CHAOS_APPROVED_LABEL
ENVIRONMENT_LABEL = "alerting-platform.io/environment"
CONTEXT_LABEL = "context"
"""The engine label the chaos exporter copies into `chaosengine_context` (chaos-exporter controller/types.go,
EngineContext): every run of an experiment, however its engine is named, carries the experiment's name there."""
LEVEL_LABEL = "chaos.alerting-platform.io/level"
SCHEDULER = "chaos-scheduler"
KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.35.2"
"""The official kubectl image (no shell), at the kubectl release the tools use."""
GATE_IMAGE = "quay.io/prometheus/alertmanager:v0.34.0"
"""Busybox-based (sh, wget): the gate that asks VictoriaMetrics whether a run may start. Same image as the backups'."""
NODE_ROLE = "litmus-chaos-nodes"

# What the runner may touch in the target namespace: the union of the upstream fault definitions' permissions.
PERMISSIONS = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "get", "list", "patch", "update", "deletecollection"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "get", "list", "patch", "update"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "list", "create"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "replicasets", "daemonsets"], "verbs": ["list", "get"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "list", "get", "delete", "deletecollection"]},
    {
        "apiGroups": ["litmuschaos.io"],
        "resources": ["chaosengines", "chaosexperiments", "chaosresults"],
        "verbs": ["create", "list", "get", "patch", "update", "delete"],
    },
]

# Fault-invariant settings of each definition; the per-experiment values go into the ChaosEngine.
_RUNTIME = [
    {"name": "CONTAINER_RUNTIME", "value": "containerd"},
    {"name": "SOCKET_PATH", "value": "/run/containerd/containerd.sock"},
    {"name": "LIB_IMAGE", "value": RUNNER_IMAGE},
]
_DEFINITION_ENV: dict[str, list[dict]] = {
    "pod-delete": [{"name": "FORCE", "value": "false"}, {"name": "CHAOS_INTERVAL", "value": "10"}],
    "pod-network-latency": [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}, {"name": "JITTER", "value": "0"}],
    "pod-network-loss": [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}],
    "pod-network-rate-limit": [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}],
    "pod-network-partition": [],
    "pod-cpu-hog": [*_RUNTIME, {"name": "CPU_LOAD", "value": "100"}],
    "pod-memory-hog": [*_RUNTIME, {"name": "NUMBER_OF_WORKERS", "value": "1"}],
    "pod-io-stress": [*_RUNTIME, {"name": "NUMBER_OF_WORKERS", "value": "4"}],
    "pod-http-status-code": [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}, {"name": "PROXY_PORT", "value": "20000"}],
    "pod-dns-error": [*_RUNTIME, {"name": "MATCH_SCHEME", "value": "exact"}],
    "node-drain": [],
    "node-cpu-hog": [{"name": "LIB_IMAGE", "value": RUNNER_IMAGE}, {"name": "CPU_LOAD", "value": "100"}],
    "node-memory-hog": [{"name": "LIB_IMAGE", "value": RUNNER_IMAGE}, {"name": "NUMBER_OF_WORKERS", "value": "1"}],
}
NODE_PERMISSIONS = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "patch"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
    {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]},
]
"""What node faults need beyond the namespace (litmus-go experiments/generic/node-drain/rbac.yaml, 3.28.0): nodes,
and evicting the pods of the drained node wherever they run."""


def runs_here(experiment: ChaosExperiment, settings: Settings) -> bool:
    return settings.chaos.enabled and settings.environment in experiment.environments


def _experiments(org: Organisation, settings: Settings) -> Iterator[tuple[int, int, Team, ChaosExperiment, Service]]:
    for ti, team in enumerate(org.teams):
        for ci, experiment in enumerate(team.chaos_experiments):
            if runs_here(experiment, settings):
                yield ti, ci, team, experiment, org.service(experiment.service)


def guardrail_problems(org: Organisation, settings: Settings) -> list[tuple[Loc, str]]:
    """Experiments this environment would run but must not: production needs approval and a bounded blast radius."""
    if not settings.production:
        return []
    problems: list[tuple[Loc, str]] = []
    bound = settings.chaos
    for ti, ci, _, experiment, _ in _experiments(org, settings):
        loc = ("teams", ti, "chaos_experiments", ci)
        env = settings.environment
        if experiment.approval is None:
            problems.append(((*loc, "approval"), f"required: {env!r} is a production environment"))
        if experiment.pods_affected_percent > bound.max_pods_affected_percent:
            problems.append(
                ((*loc, "pods_affected_percent"), f"at most {bound.max_pods_affected_percent} in production environment {env!r}")
            )
        if experiment.duration > bound.max_duration:
            problems.append(((*loc, "duration"), f"at most {bound.max_duration} in production environment {env!r}"))
    return problems


def _env(experiment: ChaosExperiment, dependency: Service | None = None) -> list[dict]:
    """The per-experiment settings of the engine, in litmus-go's names (pkg/generic/*/environment, 3.28.0)."""
    fault = experiment.fault
    env = [{"name": "TOTAL_CHAOS_DURATION", "value": str(int(experiment.duration.seconds))}]
    if fault in NODE_FAULTS:
        # One node at a time: no TARGET_NODE(S) and NODES_AFFECTED_PERC 0 make litmus-go pick exactly one
        # (node-drain: the node of one of the service's pods; the hogs: max(1, 0% of the nodes), common/nodes.go).
        if fault == ChaosFault.node_drain:
            env.append({"name": "TARGET_NODE", "value": ""})
        else:
            env += [{"name": "TARGET_NODES", "value": ""}, {"name": "NODES_AFFECTED_PERC", "value": "0"}]
        env.append({"name": "NODE_LABEL", "value": experiment.node_label or ""})
        if fault == ChaosFault.node_cpu_hog:
            env.append({"name": "NODE_CPU_CORE", "value": str(experiment.cpu_cores or 1)})
        elif fault == ChaosFault.node_memory_hog:
            if experiment.memory_mb is not None:
                env.append({"name": "MEMORY_CONSUMPTION_MEBIBYTES", "value": str(experiment.memory_mb)})
            else:
                env.append({"name": "MEMORY_CONSUMPTION_PERCENTAGE", "value": "30"})
        return env
    if fault == ChaosFault.pod_network_partition:
        # A NetworkPolicy over every pod of the service, both directions; it reads no PODS_AFFECTED_PERC.
        return [*env, {"name": "POLICY_TYPES", "value": "all"}]
    env += [
        {"name": "PODS_AFFECTED_PERC", "value": str(experiment.pods_affected_percent)},
        {"name": "SEQUENCE", "value": "parallel"},
    ]
    if fault == ChaosFault.pod_network_latency:
        latency = experiment.network_latency or Duration.of(seconds=2)
        env.append({"name": "NETWORK_LATENCY", "value": str(latency.milliseconds)})
    elif fault == ChaosFault.pod_network_loss:
        env.append({"name": "NETWORK_PACKET_LOSS_PERCENTAGE", "value": str(experiment.packet_loss_percent or 100)})
    elif fault == ChaosFault.pod_network_rate_limit:
        env += [
            {"name": "NETWORK_BANDWIDTH", "value": f"{experiment.bandwidth_mbit or 1}mbit"},
            {"name": "BURST", "value": "32kb"},
            {"name": "LIMIT", "value": "2mb"},
        ]
    elif fault == ChaosFault.pod_cpu_hog:
        env.append({"name": "CPU_CORES", "value": str(experiment.cpu_cores or 1)})
    elif fault == ChaosFault.pod_memory_hog:
        env.append({"name": "MEMORY_CONSUMPTION", "value": str(experiment.memory_mb or 500)})
    elif fault == ChaosFault.pod_io_stress:
        env.append({"name": "FILESYSTEM_UTILIZATION_PERCENTAGE", "value": str(experiment.filesystem_utilization_percent or 10)})
    elif fault == ChaosFault.dependency_failure:
        assert dependency is not None
        env += [
            {"name": "NETWORK_PACKET_LOSS_PERCENTAGE", "value": "100"},
            {"name": "DESTINATION_HOSTS", "value": f"{dependency.name}.{dependency.namespace}.svc"},
        ]
    elif fault in (ChaosFault.api_errors, ChaosFault.auth_failure):
        code = 401 if fault == ChaosFault.auth_failure else experiment.status_code or 503
        env += [
            {"name": "TARGET_SERVICE_PORT", "value": str(experiment.target_port)},
            {"name": "STATUS_CODE", "value": str(code)},
            {"name": "MODIFY_RESPONSE_BODY", "value": "true"},
            {"name": "TOXICITY", "value": "100"},
        ]
    elif fault == ChaosFault.third_party_unreachable:
        env.append({"name": "TARGET_HOSTNAMES", "value": json.dumps([experiment.host])})
    return env


def _labels(team: Team, experiment: ChaosExperiment, settings: Settings) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/part-of": PART_OF,
        "alerting-platform.io/team": team.name,
        "alerting-platform.io/service": experiment.service,
        ENVIRONMENT_LABEL: settings.environment,
        CONTEXT_LABEL: experiment.name,
    }
    if experiment.level is not None:
        labels[LEVEL_LABEL] = experiment.level.value
    if experiment.approval is not None:
        labels[APPROVED_LABEL] = "true"
    return dict(sorted(labels.items()))


def burn_rate_query(service: Service) -> str:
    """The service's fastest-burning SLO right now (Sloth's current burn rate; 0 when no SLO has data)."""
    return f'max(slo:current_burn_rate:ratio{{sloth_service="{service.name}"}}) or vector(0)'


_RUN_PROPERTIES = {"probeTimeout": "5s", "interval": "10s", "attempt": 3, "stopOnFailure": True}


def probes(experiment: ChaosExperiment, service: Service, settings: Settings) -> list[dict]:
    """Steady-state probes, Continuous from before the fault to after it: the first that fails stops the run."""
    endpoint = metrics_query_url(settings)
    found: list[dict] = []
    if service.slos:
        found.append({
            "name": f"{experiment.name}-slo-burn-rate",
            "type": "promProbe",
            "mode": "Continuous",
            "runProperties": dict(_RUN_PROPERTIES),
            "promProbe/inputs": {
                "endpoint": endpoint,
                "query": burn_rate_query(service),
                "comparator": {"criteria": "<", "value": repr(float(experiment.abort_burn_rate))},
            },
        })
    if experiment.steady_state is not None:
        found.append({
            "name": f"{experiment.name}-steady-state",
            "type": "promProbe",
            "mode": "Continuous",
            "runProperties": dict(_RUN_PROPERTIES),
            "promProbe/inputs": {
                "endpoint": endpoint,
                "query": experiment.steady_state.query,
                "comparator": {"criteria": experiment.steady_state.comparator, "value": repr(float(experiment.steady_state.value))},
            },
        })
    if experiment.http_check is not None:
        found.append({
            "name": f"{experiment.name}-http",
            "type": "httpProbe",
            "mode": "Continuous",
            "runProperties": dict(_RUN_PROPERTIES),
            "httpProbe/inputs": {
                "url": experiment.http_check.url,
                "insecureSkipVerify": False,
                "method": {"get": {"criteria": "==", "responseCode": str(experiment.http_check.status)}},
            },
        })
    return found


def engine_spec(experiment: ChaosExperiment, service: Service, settings: Settings, dependency: Service | None) -> dict:
    spec_experiment: dict = {"name": LITMUS_FAULT[experiment.fault], "spec": {"components": {"env": _env(experiment, dependency)}}}
    found = probes(experiment, service, settings)
    if found:
        spec_experiment["spec"]["probe"] = found
    return {
        "engineState": "active",
        "appinfo": {
            "appns": service.namespace,
            "applabel": ",".join(f"{k}={v}" for k, v in service.pod_selector.items()),
            "appkind": "deployment",
        },
        "chaosServiceAccount": SERVICE_ACCOUNT,
        "jobCleanUpPolicy": "delete",
        "experiments": [spec_experiment],
    }


def _annotations(experiment: ChaosExperiment) -> dict[str, str]:
    share = 100 if experiment.fault == ChaosFault.pod_network_partition else experiment.pods_affected_percent
    annotations = {"chaos.alerting-platform.io/pods-affected-percent": str(share), "chaos.alerting-platform.io/fault": experiment.fault.value}
    if experiment.fault in NODE_FAULTS:
        annotations["chaos.alerting-platform.io/nodes-affected"] = "1"
    if experiment.approval is not None:
        annotations[CHAOS_APPROVER_ANNOTATION] = experiment.approval.by
        annotations[CHAOS_TICKET_ANNOTATION] = experiment.approval.ticket
    return dict(sorted(annotations.items()))


def chaos_engine(team: Team, experiment: ChaosExperiment, service: Service, settings: Settings, org: Organisation | None = None) -> dict:
    """The engine of one run. A scheduled experiment's engines are stamped from it with a generated name."""
    dependency = org.service(experiment.dependency) if org is not None and experiment.dependency else None
    metadata: dict = {"namespace": service.namespace, "labels": _labels(team, experiment, settings), "annotations": _annotations(experiment)}
    if experiment.level is None:
        metadata = {"name": experiment.name, **metadata}
    else:
        metadata = {"generateName": f"{experiment.name}-", **metadata}
    return {"apiVersion": LITMUS_API, "kind": "ChaosEngine", "metadata": metadata, "spec": engine_spec(experiment, service, settings, dependency)}


def chaos_experiment_definition(fault: str, namespace: str) -> dict:
    """The litmus-go fault's definition in the target namespace; node faults act beyond it (scope Cluster)."""
    node = fault.startswith("node-")
    return {
        "apiVersion": LITMUS_API,
        "kind": "ChaosExperiment",
        "metadata": {"name": fault, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {
            "definition": {
                "scope": "Cluster" if node else "Namespaced",
                "permissions": PERMISSIONS + (NODE_PERMISSIONS if node else []),
                "image": RUNNER_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/bash"],
                "args": ["-c", f"./experiments -name {fault}"],
                "env": _DEFINITION_ENV[fault],
                "labels": {"name": fault, "app.kubernetes.io/part-of": PART_OF},
            }
        },
    }


def _runner_access(namespace: str) -> list[dict]:
    meta = {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PART_OF}}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta), "rules": PERMISSIONS},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SERVICE_ACCOUNT},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}],
        },
    ]


def schedule(team: Team, level: ChaosLevel) -> tuple[str, str]:
    """(cron, time zone) of a level in the team's own time: light daily off-peak, medium weekly at the start of the
    maintenance window, heavy monthly on the chaos day. The catalog's validation guarantees what each needs."""
    programme = team.chaos
    if level == ChaosLevel.light:
        hour, minute = programme.off_peak.split(":")
        return f"{int(minute)} {int(hour) % 24} * * *", team.business_hours.timezone
    if level == ChaosLevel.medium:
        window = next(w for w in team.maintenance if w.name == programme.maintenance_window)
        assert window.weekly is not None
        hour, minute = window.weekly.start.split(":")
        return f"{int(minute)} {int(hour) % 24} * * {min(weekday_numbers(window.weekly.weekdays))}", window.timezone
    hour, minute = programme.chaos_day.start.split(":")
    return f"{int(minute)} {int(hour) % 24} {programme.chaos_day.day_of_month} * *", team.business_hours.timezone


def gate_query(service: Service) -> str:
    """Non-empty while a run must not start: the service's SLO already burns (1x or more) or a P0/P1 fires for it."""
    return (
        f'(max(slo:current_burn_rate:ratio{{sloth_service="{service.name}"}}) >= 1)'
        f' or (count(ALERTS{{alertstate="firing", service="{service.name}", priority=~"P0|P1"}}) > 0)'
    )


RUN_LABEL = "chaos.alerting-platform.io/run"
TEMPLATE_LABEL = CHAOS_TEMPLATE_LABEL
_GATE = r"""set -u
if wget -q -T 10 -O /tmp/answer --post-data "query=$QUERY" "$METRICS/api/v1/query" && grep -q '"result":\[\]' /tmp/answer; then
  cp /etc/chaos/engine.yaml /run/chaos/engine.yaml
  echo "starting $EXPERIMENT"
else
  sed -e 's|^  engineState: active$|  engineState: stop|' -e "s|$RUN_LABEL: scheduled|$RUN_LABEL: skipped|" /etc/chaos/engine.yaml > /run/chaos/engine.yaml
  echo "skipping $EXPERIMENT: its SLO burns or a P0/P1 is open (or the metrics could not be read); recording a stopped engine"
fi
"""


def _meta(name: str, namespace: str, team: Team | None = None, experiment: ChaosExperiment | None = None) -> dict:
    labels = {"app.kubernetes.io/part-of": PART_OF}
    if team is not None and experiment is not None:
        labels |= {"alerting-platform.io/team": team.name, "alerting-platform.io/service": experiment.service, CONTEXT_LABEL: experiment.name}
    return {"name": name, "namespace": namespace, "labels": dict(sorted(labels.items()))}


def scheduled_run(team: Team, experiment: ChaosExperiment, service: Service, settings: Settings, org: Organisation) -> list[dict]:
    """A ConfigMap holding the engine template and the CronJob that stamps a uniquely named engine from it."""
    assert experiment.level is not None
    engine = chaos_engine(team, experiment, service, settings, org)
    engine["metadata"]["labels"] = dict(sorted({**engine["metadata"]["labels"], RUN_LABEL: "scheduled"}.items()))
    cron, timezone = schedule(team, experiment.level)
    name = f"chaos-{experiment.name}"
    restricted = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    small = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
    pod = {
        "metadata": {"labels": _meta(name, service.namespace, team, experiment)["labels"]},
        "spec": {
            "serviceAccountName": SCHEDULER,
            "restartPolicy": "Never",
            "securityContext": {
                "runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"},
            },
            "initContainers": [
                {
                    "name": "gate",
                    "image": GATE_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["/bin/sh", "-c", _GATE],
                    "env": [
                        {"name": "METRICS", "value": metrics_query_url(settings)},
                        {"name": "QUERY", "value": quote(gate_query(service), safe="")},
                        {"name": "EXPERIMENT", "value": experiment.name},
                        {"name": "RUN_LABEL", "value": RUN_LABEL},
                    ],
                    "volumeMounts": [
                        {"name": "template", "mountPath": "/etc/chaos", "readOnly": True},
                        {"name": "run", "mountPath": "/run/chaos"},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                    "securityContext": restricted,
                    "resources": small,
                }
            ],
            "containers": [
                {
                    "name": "create-engine",
                    "image": KUBECTL_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["create", "-f", "/run/chaos/engine.yaml"],
                    "volumeMounts": [{"name": "run", "mountPath": "/run/chaos", "readOnly": True}],
                    "securityContext": restricted,
                    "resources": small,
                }
            ],
            "volumes": [
                {"name": "template", "configMap": {"name": name}},
                {"name": "run", "emptyDir": {"sizeLimit": "1Mi"}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "1Mi"}},
            ],
        },
    }
    template_meta = _meta(name, service.namespace, team, experiment)
    template_meta["labels"][TEMPLATE_LABEL] = "true"
    return [
        {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": template_meta,
            "data": {"engine.yaml": yaml.safe_dump(engine, sort_keys=True, default_flow_style=False)},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {**_meta(name, service.namespace, team, experiment), "annotations": {LEVEL_LABEL: experiment.level.value}},
            "spec": {
                "schedule": cron,
                "timeZone": timezone,
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {"backoffLimit": 0, "activeDeadlineSeconds": 300, "ttlSecondsAfterFinished": 86_400, "template": pod}
                },
            },
        },
    ]


def _scheduler_access(namespace: str) -> list[dict]:
    """An account that may create ChaosEngines in its namespace and do nothing else."""
    meta = _meta(SCHEDULER, namespace)
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta),
            "rules": [{"apiGroups": ["litmuschaos.io"], "resources": ["chaosengines"], "verbs": ["create"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SCHEDULER},
            "subjects": [{"kind": "ServiceAccount", "name": SCHEDULER, "namespace": namespace}],
        },
    ]


def _node_access(namespaces: list[str]) -> list[dict]:
    if not namespaces:
        return []
    meta = {"name": NODE_ROLE, "labels": {"app.kubernetes.io/part-of": PART_OF}}
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": dict(meta), "rules": NODE_PERMISSIONS},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NODE_ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": ns} for ns in namespaces],
        },
    ]


def chaos_objects(org: Organisation, settings: Settings) -> tuple[dict, ...]:
    """Every Litmus object this environment runs, grouped per namespace: runner access, fault definitions, engines
    (one-off experiments) and engine templates with their CronJobs (scheduled ones)."""
    by_namespace: dict[str, list[tuple[Team, ChaosExperiment, Service]]] = {}
    for _, _, team, experiment, service in _experiments(org, settings):
        by_namespace.setdefault(service.namespace, []).append((team, experiment, service))
    objects: list[dict] = []
    node_namespaces = []
    for namespace in sorted(by_namespace):
        entries = by_namespace[namespace]
        objects.extend(_runner_access(namespace))
        if any(e.level is not None for _, e, _ in entries):
            objects.extend(_scheduler_access(namespace))
        if any(e.fault in NODE_FAULTS for _, e, _ in entries):
            node_namespaces.append(namespace)
        for fault in sorted({LITMUS_FAULT[e.fault] for _, e, _ in entries}):
            objects.append(chaos_experiment_definition(fault, namespace))
        for team, experiment, service in sorted(entries, key=lambda e: e[1].name):
            if experiment.level is None:
                objects.append(chaos_engine(team, experiment, service, settings, org))
            else:
                objects.extend(scheduled_run(team, experiment, service, settings, org))
    objects.extend(_node_access(node_namespaces))
    return tuple(objects)


REPORT_FAULT_CLASSES = 16
"""The report's fault classes: four each of network, pod, node and application chaos. Two (kernel panic, node network
isolation) Litmus cannot run, so coverage tops out at 14/16 (docs/chaos.md)."""
RESILIENCE_WEIGHTS = {"verdicts": 0.6, "probes": 0.4}
"""The resilience score: 100 x (0.6 x share of runs that passed + 0.4 x mean probe success), over 30 days."""
SUCCESS_TARGET = 0.9
WINDOW = "30d"
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def _experiment_selector(experiment: ChaosExperiment, service: Service) -> str:
    # chaos-exporter labels (controller/types.go): every run's result names its engine's `context` label.
    return f'{{chaosresult_namespace="{service.namespace}", chaosengine_context="{experiment.name}"}}'


def _recovery_parts(experiment: ChaosExperiment, service: Service) -> tuple[str, str, str]:
    """(end of the last fault, SLO burning now, recovered since that end) for one experiment."""
    sel = _experiment_selector(experiment, service)
    end = f"max(litmuschaos_experiment_end_time{sel})"
    burning = f'(max(slo:current_burn_rate:ratio{{sloth_service="{service.name}"}}) >= 1)'
    recovered = f'(last_over_time(chaos:recovered:timestamp{{chaos_experiment="{experiment.name}"}}[{WINDOW}]) >= on() {end})'
    return end, burning, recovered


def recovery_sample(experiment: ChaosExperiment, service: Service) -> str:
    """One sample per run, at the first evaluation after the fault's end that finds the SLO under 1x: the seconds from
    the end of the fault until then. It reads chaos:recovered:timestamp of earlier evaluations only, so it must be
    evaluated before the rule that records it."""
    end, burning, recovered = _recovery_parts(experiment, service)
    return f"(time() - ({end} > 0)) unless on() {burning} unless on() {recovered}"


def _labels_of(team: Team, experiment: ChaosExperiment, service: Service) -> dict[str, str]:
    return {"team": team.name, "service": service.name, "chaos_experiment": experiment.name, "chaos_fault": experiment.fault.value}


def experiment_recordings(team: Team, experiment: ChaosExperiment, service: Service) -> list[dict]:
    """Per experiment: runs that passed and failed, mean probe success, the end of the last fault and the recovery
    time of each run (before the pooled samples and chaos:recovered:timestamp, see metric_rules)."""
    sel = _experiment_selector(experiment, service)
    labels = _labels_of(team, experiment, service)
    end, _, _ = _recovery_parts(experiment, service)
    return [
        {"record": "chaos:runs_passed:count", "expr": f"sum(litmuschaos_passed_experiments{sel})", "labels": labels},
        {"record": "chaos:runs_failed:count", "expr": f"sum(litmuschaos_failed_experiments{sel})", "labels": labels},
        {
            # Finished runs only: a running one reports 0% until its probes have a verdict.
            "record": "chaos:probe_success:ratio",
            "expr": f"avg(litmuschaos_probe_success_percentage{sel} unless on (chaosresult_name) "
            f"(litmuschaos_awaited_experiments{sel} == 1)) / 100",
            "labels": labels,
        },
        {"record": "chaos:fault_end:timestamp", "expr": f"{end} > 0", "labels": labels},
        {"record": "chaos:recovery_time:seconds", "expr": recovery_sample(experiment, service), "labels": labels},
    ]


def experiment_state(team: Team, experiment: ChaosExperiment, service: Service) -> list[dict]:
    """When the service was back under 1x after the last fault, and the alerts that fired while the fault ran."""
    sel = _experiment_selector(experiment, service)
    end, burning, recovered = _recovery_parts(experiment, service)
    labels = _labels_of(team, experiment, service)
    return [
        {
            # Kept from the first evaluation that finds the SLO under 1x after the fault's end until the next run ends.
            "record": "chaos:recovered:timestamp",
            "expr": f"{recovered}\nor on()\n(({end} > 0) * 0 + time() unless on() {burning})",
            "labels": labels,
        },
        {
            "record": "chaos:induced_alert:firing",
            "expr": f'max by (alertname, priority, severity) (ALERTS{{alertstate="firing", service="{service.name}", '
            f'alertname!~"Chaos.*"}}) and on() (max(litmuschaos_awaited_experiments{sel}) == 1)',
            "labels": labels,
        },
    ]


def _pooled(record: str, labels: dict[str, str], samples: list[str]) -> dict:
    """Every run's recovery sample of several experiments in one series, so that a percentile counts each run once.
    Two experiments recovering in the same evaluation keep the larger sample."""
    return {"record": record, "expr": "max(\n" + "\nor\n".join(samples) + "\n)", "labels": labels}


def _scope(by: str, where: str) -> list[dict]:
    """Success rate, probe success, resilience score, recovery percentiles, coverage and induced alerts of one
    service or team (`by`), over the experiments whose recordings match `where`."""
    prefix = "chaos_service" if "service" in by else "chaos_team"
    runs = f"increase(chaos:runs_passed:count{where}[{WINDOW}]) + increase(chaos:runs_failed:count{where}[{WINDOW}])"
    passed = f"sum by ({by}) (increase(chaos:runs_passed:count{where}[{WINDOW}]))"
    total = f"sum by ({by}) ({runs})"
    success = f"{prefix}:experiment_success:ratio{WINDOW}"
    probes = f"{prefix}:probe_success:ratio{WINDOW}"
    v, p = RESILIENCE_WEIGHTS["verdicts"], RESILIENCE_WEIGHTS["probes"]
    out = [
        {"record": f"{prefix}:experiment_runs:count{WINDOW}", "expr": total},
        {"record": success, "expr": f"{passed}\n/\n({total} > 0)"},
        # Each experiment's mean over its finished runs (the exporter keeps one result per run), then the mean of those.
        {"record": probes, "expr": f"avg by ({by}) (last_over_time(chaos:probe_success:ratio{where}[{WINDOW}]))"},
        {"record": f"{prefix}:resilience:score", "expr": f"100 * ({v} * {success}{where} + on ({by}) {p} * {probes}{where})"},
        {
            "record": f"{prefix}:fault_coverage:ratio{WINDOW}",
            "expr": f"count by ({by}) (count by ({by}, chaos_fault) (({runs}) > 0)) / {REPORT_FAULT_CLASSES}",
        },
        {
            "record": f"{prefix}:induced_alerts:count{WINDOW}",
            "expr": f"count by ({by}) (count by ({by}, chaos_experiment, alertname) (count_over_time(chaos:induced_alert:firing{where}[{WINDOW}])))",
        },
    ]
    for name, q in QUANTILES.items():
        # Every run's recovery is one sample of the scope's pooled series (see experiment_recordings).
        out.append({
            "record": f"{prefix}:recovery_time:{name}_{WINDOW}",
            "expr": f"quantile_over_time({q}, {prefix}:recovery_time:seconds{where}[{WINDOW}])",
        })
    return out


def chaos_rules(org: Organisation, settings: Settings) -> dict[str, dict]:
    """Per team, a rule file with the alerts that read each running experiment's results."""
    files: dict[str, dict] = {}
    for team in org.teams:
        rules = []
        for experiment in team.chaos_experiments:
            if not runs_here(experiment, settings):
                continue
            service = org.service(experiment.service)
            sel = _experiment_selector(experiment, service)
            rules.append(
                alert(
                    org, team, service,
                    name="ChaosExperimentFailed",
                    expr=f"max(increase(litmuschaos_failed_experiments{sel}[30m])) > 0",
                    severity=Severity.warning,
                    summary=f"{service.name}: chaos experiment {experiment.name} found a weakness",
                    description=f"The {experiment.fault.value} experiment {experiment.name} against {service.name} "
                    "failed its checks: the service did not keep its steady state under the fault.",
                    labels={"chaos_experiment": experiment.name},
                )
            )
            rules.append(
                alert(
                    org, team, service,
                    name=CHAOS_RUNNING,
                    expr=f"max(litmuschaos_awaited_experiments{sel}) == 1",
                    severity=Severity.info,
                    summary=f"{service.name}: chaos experiment {experiment.name} is injecting {experiment.fault.value}",
                    description="Symptoms of this service are expected while the experiment runs; "
                    "Alertmanager holds back its warnings until it ends.",
                    labels={"chaos_experiment": experiment.name},
                )
            )
        if rules:
            files[f"chaos-{team.name}.yaml"] = {
                "groups": [
                    {"name": f"{team.name}-chaos", "rules": rules},
                    {"name": f"{team.name}-chaos-metrics", "interval": "1m", "rules": metric_rules(org, team, settings)},
                ]
            }
    return files


def metric_rules(org: Organisation, team: Team, settings: Settings) -> list[dict]:
    """The team's chaos metrics: per experiment, then per service and for the team, then the success-rate alerts."""
    running = [e for e in team.chaos_experiments if runs_here(e, settings)]
    out: list[dict] = []
    for experiment in running:
        out.extend(experiment_recordings(team, experiment, org.service(experiment.service)))
    samples = {e.name: recovery_sample(e, org.service(e.service)) for e in running}
    for name in sorted({e.service for e in running}):
        mine = [samples[e.name] for e in running if e.service == name]
        out.append(_pooled("chaos_service:recovery_time:seconds", {"team": team.name, "service": name}, mine))
    out.append(_pooled("chaos_team:recovery_time:seconds", {"team": team.name}, list(samples.values())))
    for experiment in running:
        out.extend(experiment_state(team, experiment, org.service(experiment.service)))
    services = sorted({e.service for e in running})
    for name in services:
        out.extend(_scope("team, service", f'{{team="{team.name}", service="{name}"}}'))
    out.extend(_scope("team", f'{{team="{team.name}"}}'))
    for name in services:
        service = org.service(name)
        out.append(
            alert(
                org, team, service,
                name="ChaosSuccessRateLow",
                expr=f'chaos_service:experiment_success:ratio{WINDOW}{{team="{team.name}", service="{name}"}} < {SUCCESS_TARGET}',
                severity=Severity.warning,
                summary=f"{name}: fewer than {SUCCESS_TARGET:.0%} of its chaos runs passed in {WINDOW}",
                description=f"Only {{{{ $value | humanizePercentage }}}} of the chaos experiments run against {name} in the last "
                f"{WINDOW} kept their steady state (target above {SUCCESS_TARGET:.0%}): the service has weaknesses its "
                "experiments keep finding.",
                labels={"chaos": "success-rate"},
            )
        )
    return out
