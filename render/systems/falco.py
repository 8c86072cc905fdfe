"""Runtime security, rendered: Falco's rule selection and event context, the catalog's own rules, falcosidekick's
outputs and Falco Talon's responses.

Falco loads three upstream rule sets at pinned versions (falcoctl installs them; nothing follows newer ones), then
the catalog's rules. Every rule is disabled except the ones `model.security.UPSTREAM_RULES` names and the catalog's
own, so what runs is exactly what docs/security.md lists. Each enabled rule's events carry their threat class and
owning team as output fields, which falcosidekick turns into the Alertmanager labels `threat` and `team`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerting_facts.names import PROJECT
from model.catalog import Organisation, Priority, Service
from model.security import (
    UPSTREAM_RULES,
    ResponseAction,
    ThreatClass,
    catalog_rules,
    unexpected_connection_rule,
    unexpected_process_rule,
)
from model.settings import Settings
from render.systems import tls
from render.systems.topology import FALCO_NAMESPACE, FALCO_TALON_PORT, FALCO_TALON_RELEASE, alertmanager_replica_urls, service_host

SOURCE = "falco"
"""The `source` label falcosidekick puts on every event it sends to Alertmanager."""


@dataclass(frozen=True)
class RuleSet:
    """A falcoctl rules artifact at one version, and the file it installs."""

    artifact: str
    version: str
    file: str

    @property
    def ref(self) -> str:
        return f"{self.artifact}:{self.version}"


# The newest releases when Falco 0.44.1 (the falco chart 9.1.0's) shipped; all three need engine 0.57.0 and the
# container plugin 0.4.0, and Falco 0.44.1 has engine 0.62.0 and the chart the plugin 0.7.1. An exact version as
# the falcoctl ref: the artifact is that version, never a newer one.
RULE_SETS = (
    RuleSet("falco-rules", "5.1.0", "falco_rules.yaml"),
    RuleSet("falco-incubating-rules", "6.0.1", "falco-incubating_rules.yaml"),
    RuleSet("falco-sandbox-rules", "6.1.0", "falco-sandbox_rules.yaml"),
)
RULES_DIR = "/etc/falco"
"""Where the falco chart mounts what falcoctl installs."""
CATALOG_RULES_FILE = "alerting-platform_rules.yaml"
"""The catalog's rules, a file of the chart's `customRules` (mounted in /etc/falco/rules.d, loaded last)."""
CATALOG_TAG = "alerting_platform"
"""The tag of every rule the catalog makes."""

THREAT_PRIORITY: dict[ThreatClass, Priority] = {
    ThreatClass.container_escape: Priority.P0,
    ThreatClass.crypto_mining: Priority.P0,
    ThreatClass.unexpected_process: Priority.P1,
    ThreatClass.sensitive_file_access: Priority.P1,
    ThreatClass.privilege_escalation: Priority.P1,
    ThreatClass.suspicious_network: Priority.P1,
}
"""A threat pages; escapes and mining (a compromised node, a bill) page as P0."""
UNCLASSIFIED_PRIORITY = Priority.P3
"""A Falco event of no threat class (Falco's own event drops, a rule added through the escape hatch): a ticket."""

CONTEXT_FIELDS = (
    "k8s.ns.name", "k8s.pod.name", "container.image.repository", "container.image.tag", "user.name", "proc.cmdline",
)
"""Added to every syscall event, whatever its rule prints: the alert shows where and who (falcosidekick labels
them k8s_ns_name, k8s_pod_name, container_image_repository, container_image_tag, user_name, proc_cmdline)."""
SEVERITY_MAP = "notice:info,informational:info,debug:info"
"""falcosidekick's severity for Falco priorities below warning: the catalog's `info` instead of its `information`."""


def event_priority(threat: str | None) -> Priority:
    """The priority of a Falco event with this `threat` label (what the Alertmanager routes decide)."""
    try:
        return THREAT_PRIORITY[ThreatClass(threat)]
    except ValueError:
        return UNCLASSIFIED_PRIORITY


def threat_pattern(priority: Priority) -> str:
    return "|".join(sorted(t.value for t, p in THREAT_PRIORITY.items() if p == priority))


def falcoctl_refs() -> list[str]:
    return [rule_set.ref for rule_set in RULE_SETS]


def enabled_rules(org: Organisation) -> dict[str, ThreatClass]:
    """Every rule Falco evaluates, by name, with its threat class: the upstream ones, then the catalog's."""
    return {**{r.name: r.threat for r in UPSTREAM_RULES}, **catalog_rules(org)}


# --- The catalog's rules ---------------------------------------------------------------------------------------


def _ident(service: str) -> str:
    return "alerting_platform_" + re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pods_condition(service: Service) -> str:
    """The service's containers: its namespace and pod labels, as the container plugin reports them."""
    checks = [f"k8s.ns.name = {_quoted(service.namespace)}"]
    checks += [f"k8s.pod.label[{key}] = {_quoted(value)}" for key, value in service.pod_selector.items()]
    return "(container and " + " and ".join(checks) + ")"


def _output(what: str, service: Service, fields: str) -> str:
    return (
        f"{what} in {service.name}, which its catalog runtime profile does not expect | {fields} user=%user.name "
        "command=%proc.cmdline namespace=%k8s.ns.name pod=%k8s.pod.name "
        "image=%container.image.repository:%container.image.tag"
    )


def service_rules(service: Service, cluster_networks: list[str]) -> list[dict]:
    runtime = service.runtime
    assert runtime is not None
    ident = _ident(service.name)
    items: list[dict] = [
        {"macro": f"{ident}_pods", "condition": pods_condition(service)},
        {"list": f"{ident}_processes", "items": sorted(set(runtime.processes))},
        {
            "rule": unexpected_process_rule(service.name),
            "desc": f"A process the catalog's runtime profile of {service.name} does not list ran in its containers.",
            "condition": f"spawned_process and {ident}_pods and not proc.name in ({ident}_processes)",
            "output": _output("Unexpected process", service, "process=%proc.name exepath=%proc.exepath parent=%proc.pname"),
            "priority": "WARNING",
            "tags": [CATALOG_TAG, "container", "process"],
        },
    ]
    if runtime.outbound is not None:
        networks = sorted(set(cluster_networks) | set(runtime.outbound))
        items += [
            {"list": f"{ident}_networks", "items": [_quoted(n) for n in networks]},
            {
                "rule": unexpected_connection_rule(service.name),
                "desc": f"A container of {service.name} connected outside the cluster's networks and those its profile lists.",
                "condition": f"outbound and {ident}_pods and not fd.snet in ({ident}_networks)",
                "output": _output(
                    "Unexpected outbound connection", service, "connection=%fd.name process=%proc.name"
                ),
                "priority": "WARNING",
                "tags": [CATALOG_TAG, "container", "network"],
            },
        ]
    return items


def catalog_rules_file(org: Organisation, settings: Settings) -> list[dict]:
    """The rules file of the catalog's runtime profiles (valid against Falco's rules schema)."""
    items: list[dict] = []
    for _, service in org.services():
        if service.runtime is not None:
            items += service_rules(service, settings.falco.cluster_networks)
    return items


# --- Falco's configuration -------------------------------------------------------------------------------------


def falco_config(org: Organisation, settings: Settings) -> dict:
    """The falco chart's `falco` values the platform sets: rule files, rule selection and event context."""
    owners = {s.name: t.name for t, s in org.services()}
    append: list[dict] = [
        {"suggested_output": True},
        {"match": {"source": "syscall"}, "extra_fields": [{"team": org.security_team}, *CONTEXT_FIELDS]},
    ]
    for name, threat in enabled_rules(org).items():
        fields: list[dict | str] = [{"threat": threat.value}, {"alertname": name}]
        service = next((s for s in owners if name in (unexpected_process_rule(s), unexpected_connection_rule(s))), None)
        if service is not None:
            # After the entry for every event: Falco keeps the last value it is given for a field.
            fields.append({"team": owners[service]})
        append.append({"match": {"rule": name}, "extra_fields": fields})
    return {
        "rules_files": [f"{RULES_DIR}/{r.file}" for r in RULE_SETS] + [f"{RULES_DIR}/rules.d"],
        "rules": [
            {"disable": {"rule": "*"}},
            *({"enable": {"rule": r.name}} for r in UPSTREAM_RULES),
            {"enable": {"tag": CATALOG_TAG}},
        ],
        # Every matching rule raises its event: a shell in a service is both a drift threat and a team's alert.
        "rule_matching": "all",
        "append_output": append,
    }


# --- falcosidekick ---------------------------------------------------------------------------------------------


def sidekick_alertmanager(org: Organisation, settings: Settings) -> dict:
    """The `config.alertmanager` block of falcosidekick.

    Every replica gets every event (falcosidekick takes a comma-separated list), like from VMAlert: a load-balanced
    Service would leave each replica with a different set of alerts. API v2, because Alertmanager removed v1. The
    team comes from each event (render.systems.falco.falco_config), so it is not an extra label, which would override it.
    """
    labels = {"cluster": settings.cluster_name}
    return {
        "hostport": ",".join(alertmanager_replica_urls(settings)),
        "endpoint": "/api/v2/alerts",
        "minimumpriority": settings.falco.minimum_priority,
        "extralabels": ",".join(f"{key}:{value}" for key, value in sorted(labels.items())),
        "customseveritymap": SEVERITY_MAP,
        "checkcert": True,
    }


def sidekick_tls_client(settings: Settings) -> tuple[dict, dict, str] | None:
    """(volume, volumeMount, CA file) by which falcosidekick verifies Alertmanager's certificate (its
    `config.tlsclient.cacertfile`, appended to the system pool); None where Alertmanager serves plain HTTP."""
    return tls.client_ca(tls.FALCOSIDEKICK_TLS_SECRET) if settings.tls.enabled else None


def talon_url() -> str:
    return f"http://{service_host(FALCO_TALON_RELEASE, FALCO_NAMESPACE)}:{FALCO_TALON_PORT}"


def sidekick_talon(settings: Settings) -> dict:
    """falcosidekick's `config.talon`: every event Alertmanager gets also goes to Falco Talon."""
    return {"address": talon_url(), "minimumpriority": settings.falco.minimum_priority, "checkcert": True}


def sidekick_outputs(org: Organisation, settings: Settings, talon: bool) -> dict:
    """The outputs of falcosidekick's `config`: Alertmanager always, Falco Talon when it runs (`talon`)."""
    return {"alertmanager": sidekick_alertmanager(org, settings), **({"talon": sidekick_talon(settings)} if talon else {})}


# --- Falco Talon -----------------------------------------------------------------------------------------------

QUARANTINE_LABEL = "security.alerting-platform.io/quarantine"
"""Talon sets it on a pod a threat was seen in; the deny-all NetworkPolicy of the namespace selects it."""
CAPTURE_IMAGE = "docker.io/sysdig/sysdig:0.41.4"
CAPTURE_SECONDS = 10

ACTION_NAMES = {
    ResponseAction.isolate: ("Label the pod as quarantined", "Deny the workload's egress"),
    ResponseAction.capture: ("Capture the pod's system calls",),
    ResponseAction.terminate: ("Terminate the pod",),
}


def dry_run(settings: Settings) -> bool:
    """Talon only logs what it would do unless the stack says otherwise; in production it acts."""
    configured = settings.falco.response.dry_run
    return (not settings.production) if configured is None else configured


def talon_actions(settings: Settings, used: set[ResponseAction]) -> list[dict]:
    """The actions the rules refer to by name, defined once."""
    out: list[dict] = []
    if ResponseAction.isolate in used:
        out += [
            {
                "action": ACTION_NAMES[ResponseAction.isolate][0],
                "description": "label the pod so the namespace's deny-all NetworkPolicy selects it",
                "actionner": "kubernetes:label",
                "parameters": {"level": "pod", "labels": {QUARANTINE_LABEL: "true"}},
            },
            {
                # No allowed destination: Talon's policy for the pod's workload denies all egress.
                "action": ACTION_NAMES[ResponseAction.isolate][1],
                "description": "a NetworkPolicy denying all egress of the pod's workload",
                "actionner": "kubernetes:networkpolicy",
            },
        ]
    if ResponseAction.capture in used:
        forensics = settings.falco.response.forensics
        assert forensics is not None, "checked when the stack is loaded"
        out.append(
            {
                "action": ACTION_NAMES[ResponseAction.capture][0],
                "description": f"a {CAPTURE_SECONDS}s sysdig capture of the pod, stored in the forensics bucket",
                "actionner": "kubernetes:sysdig",
                "parameters": {"image": CAPTURE_IMAGE, "scope": "pod", "duration": CAPTURE_SECONDS, "buffer_size": 2048},
                "output": {"target": "minio:s3", "parameters": {"bucket": forensics.bucket, "prefix": forensics.prefix}},
            }
        )
    if ResponseAction.terminate in used:
        out.append(
            {
                "action": ACTION_NAMES[ResponseAction.terminate][0],
                "description": "delete the pod; its controller starts a clean one",
                "actionner": "kubernetes:terminate",
                "parameters": {"ignore_daemonsets": True, "ignore_statefulsets": True, "grace_period_seconds": 20},
            }
        )
    return out


@dataclass(frozen=True)
class Response:
    """What Talon does to a pod in `namespace` when one of `rules` fires: the response mapping."""

    response: str
    namespace: str
    rules: tuple[str, ...]
    actions: tuple[ResponseAction, ...]


def response_mapping(org: Organisation) -> list[Response]:
    """Every (response, namespace): the rules that trigger it and the actions it takes, in catalog order."""
    ours = catalog_rules(org)
    return [
        Response(response.name, namespace, tuple(response.triggers(ours)), tuple(dict.fromkeys(response.actions)))
        for response in org.runtime_security.responses
        for namespace in response.namespaces
    ]


def talon_rules(org: Organisation, settings: Settings) -> list[dict]:
    """Falco Talon's rules file: the actions, then one rule per response and namespace."""
    mapping = response_mapping(org)
    used = {action for m in mapping for action in m.actions}
    rules = [
        {
            "rule": f"{m.response} in {m.namespace}",
            "description": f"catalog response {m.response!r} for the namespace {m.namespace}",
            "match": {"rules": list(m.rules), "output_fields": [f"k8s.ns.name={m.namespace}"]},
            "dry_run": "true" if dry_run(settings) else "false",
            "actions": [{"action": name} for action in m.actions for name in ACTION_NAMES[action]],
        }
        for m in mapping
    ]
    return talon_actions(settings, used) + rules if rules else []


def quarantine_policy(namespace: str) -> dict:
    """A NetworkPolicy that cuts every pod Talon labels as quarantined off, both ways."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "alerting-platform-quarantine",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": PROJECT},
        },
        "spec": {
            "podSelector": {"matchLabels": {QUARANTINE_LABEL: "true"}},
            "policyTypes": ["Ingress", "Egress"],
        },
    }


def quarantine_policies(org: Organisation) -> tuple[dict, ...]:
    namespaces = sorted({m.namespace for m in response_mapping(org) if ResponseAction.isolate in m.actions})
    return tuple(quarantine_policy(ns) for ns in namespaces)


def terminates(org: Organisation) -> list[str]:
    """The responses that terminate pods."""
    return [r.name for r in org.runtime_security.responses if ResponseAction.terminate in r.actions]


def captures(org: Organisation) -> bool:
    """Whether a runtime response of the catalog records forensic captures."""
    return any(ResponseAction.capture in r.actions for r in org.runtime_security.responses)


@dataclass(frozen=True)
class RuntimeResponse:
    """What Falco Talon's deployment needs beside its rules file (`talon_rules`): the rights and objects its
    actions use, and whether the catalog consented to terminating pods in this (production) stack."""

    terminates: bool
    captures: bool
    termination_approved: bool
    quarantine_policies: tuple[dict, ...]


def runtime_response(org: Organisation, settings: Settings) -> RuntimeResponse:
    return RuntimeResponse(
        terminates=bool(terminates(org)),
        captures=captures(org),
        termination_approved=settings.production and org.runtime_security.terminate_in_production,
        quarantine_policies=quarantine_policies(org),
    )
