"""Wiring checked on what Helm renders, not on the program's own constants.

The cluster is modelled as the objects every release renders, the objects the program creates itself
(`build/<stack>/manifests`) and the Services the VictoriaMetrics operator creates for the program's VM objects.
On that model: every Service selects the pods of some workload that serve its ports; every ConfigMap, Secret,
ServiceAccount and PersistentVolumeClaim a pod uses exists; every in-cluster URL the program wires resolves to a
Service and port (or a StatefulSet pod behind a headless Service); and every metric a shipped rule reads has a
source: a recording rule, an exporter the platform deploys and scrapes, or an application metric the catalog
declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cli.helm import Rendered, releases_document
from render import yamlio

CLUSTER_SCOPED = {
    "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PersistentVolume", "IngressClass",
}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}
"""What a Service routes to; a Job's pods (a chart's migration hook, say) come and go."""
IMPLICIT = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")}
"""Objects Kubernetes puts in every namespace."""
WORKLOAD_TEMPLATES = {
    "Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"), "Job": ("spec", "template"), "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# Services the VictoriaMetrics operator (v0.74) creates for the objects the program declares: PrefixedName() in
# api/operator/v1beta1/*_types.go and the default ports in internal/config/config.go; VMSingle's Service also
# answers on 8428 (`http-alias`, internal/controller/operator/factory/vmsingle/vmsingle.go).
VM_OPERATOR_SERVICES = {
    "VMSingle": [("vmsingle-{name}", (8429, 8428))],
    "VMAgent": [("vmagent-{name}", (8429,))],
    "VMAlert": [("vmalert-{name}", (8080,))],
    "VMCluster": [("vmselect-{name}", (8481,)), ("vminsert-{name}", (8480,)), ("vmstorage-{name}", (8482, 8400, 8401))],
}
SCRAPE_METRICS = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                  "scrape_series_added"}
"""Series every scrape writes for its target (Prometheus and vmagent alike)."""
RULE_EVALUATOR_METRICS = {"ALERTS", "ALERTS_FOR_STATE"}
UNPARSABLE = "\0unparsable"
EXPORTERS_FILE = Path(__file__).parent / "data" / "exporters.yaml"


@dataclass(frozen=True)
class Obj:
    """One object of the modelled cluster and where it comes from."""

    body: dict
    namespace: str
    origin: str

    @property
    def kind(self) -> str:
        return self.body.get("kind", "")

    @property
    def name(self) -> str:
        return (self.body.get("metadata") or {}).get("name", "")

    @property
    def labels(self) -> dict:
        return (self.body.get("metadata") or {}).get("labels") or {}

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def _get(value: object, *path: str) -> object:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def cluster(rendered: list[Rendered], build_dir: Path) -> list[Obj]:
    """Every object the stack would put in the cluster, as far as can be known offline."""
    objects: list[Obj] = []
    for r in rendered:
        origin = f"release {r.release.namespace}/{r.release.name}"
        for body in r.objects:
            kind = body.get("kind", "")
            ns = "" if kind in CLUSTER_SCOPED else (_get(body, "metadata", "namespace") or r.release.namespace)
            objects.append(Obj(body, ns, origin))
    for file in sorted((build_dir / "manifests").glob("*.yaml")):
        for body in yamlio.load_all(file.read_text()):
            if not body:
                continue
            kind = body.get("kind", "")
            ns = "" if kind in CLUSTER_SCOPED else (_get(body, "metadata", "namespace") or "default")
            origin = f"manifests/{file.name}"
            objects.append(Obj(body, ns, origin))
            for template, ports in VM_OPERATOR_SERVICES.get(kind, []):
                service = {
                    "apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": template.format(name=_get(body, "metadata", "name")), "namespace": ns},
                    "spec": {"ports": [{"port": p} for p in ports]},
                }
                objects.append(Obj(service, ns, f"the VictoriaMetrics operator, for {kind} {ns}/{_get(body, 'metadata', 'name')}"))
    return objects


def pod_template(obj: Obj) -> dict | None:
    if obj.kind == "Pod":
        return obj.body
    path = WORKLOAD_TEMPLATES.get(obj.kind)
    template = _get(obj.body, *path) if path else None
    return template if isinstance(template, dict) else None


def workloads(objects: list[Obj]) -> list[tuple[Obj, dict]]:
    return [(o, t) for o in objects if (t := pod_template(o)) is not None]


def _containers(template: dict) -> list[dict]:
    spec = template.get("spec") or {}
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def selects(selector: dict, labels: dict) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a set of labels; an empty one selects everything."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values):
            return False
        if (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def service_selects(selector: dict, labels: dict) -> bool:
    """A Service's selector (a plain map) against a pod's labels; a Service without one selects no pod."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _container_ports(template: dict) -> tuple[set[str], set[int]]:
    names, numbers = set(), set()
    for container in (template.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name"):
                names.add(port["name"])
            if port.get("containerPort"):
                numbers.add(int(port["containerPort"]))
    return names, numbers


def service_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(origin, service, problems): every Service with a selector selects pods that serve each of its ports."""
    pods = [(w, t) for w, t in workloads(objects) if w.kind in LONG_RUNNING]
    for svc in objects:
        if svc.kind != "Service":
            continue
        selector = _get(svc.body, "spec", "selector")
        if not selector:
            continue
        problems = []
        chosen = [
            (w, t) for w, t in pods
            if w.namespace == svc.namespace and service_selects(selector, (t.get("metadata") or {}).get("labels") or {})
        ]
        if not chosen:
            problems.append(f"selects no pod of any workload in namespace {svc.namespace} (selector {selector})")
        for w, template in chosen:
            # A number reaches the container whether or not it declares the port; a name must be declared.
            names, _ = _container_ports(template)
            for port in _get(svc.body, "spec", "ports") or []:
                target = port.get("targetPort", port.get("port"))
                if isinstance(target, str) and target not in names:
                    problems.append(f"selects the pods of {w}, which have no port named {target!r} (port {port.get('name') or port.get('port')})")
        yield svc.origin, str(svc), problems


def _references(template: dict) -> Iterator[tuple[str, str]]:
    """(kind, name) of every object a pod needs to start; optional references are left out."""
    spec = template.get("spec") or {}
    yield "ServiceAccount", spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    for secret in spec.get("imagePullSecrets") or []:
        yield "Secret", secret.get("name", "")
    for volume in spec.get("volumes") or []:
        if "configMap" in volume and not volume["configMap"].get("optional"):
            yield "ConfigMap", volume["configMap"].get("name", "")
        if "secret" in volume and not volume["secret"].get("optional"):
            yield "Secret", volume["secret"].get("secretName", "")
        if "persistentVolumeClaim" in volume:
            yield "PersistentVolumeClaim", volume["persistentVolumeClaim"].get("claimName", "")
        for source in _get(volume, "projected", "sources") or []:
            if "configMap" in source and not source["configMap"].get("optional"):
                yield "ConfigMap", source["configMap"].get("name", "")
            if "secret" in source and not source["secret"].get("optional"):
                yield "Secret", source["secret"].get("name", "")
    for container in _containers(template):
        for env in container.get("env") or []:
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = _get(env, "valueFrom", key)
                if isinstance(ref, dict) and not ref.get("optional"):
                    yield kind, ref.get("name", "")
        for source in container.get("envFrom") or []:
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref = source.get(key)
                if isinstance(ref, dict) and not ref.get("optional"):
                    yield kind, ref.get("name", "")


def issued_secrets(objects: list[Obj]) -> dict[tuple[str, str], Obj]:
    """(namespace, Secret name) -> the cert-manager Certificate whose issuer writes that Secret at run time."""
    return {
        (o.namespace, _get(o.body, "spec", "secretName")): o
        for o in objects
        if o.kind == "Certificate" and str(o.body.get("apiVersion", "")).startswith("cert-manager.io/")
    }


def bundled_configmaps(objects: list[Obj]) -> dict[tuple[str, str], Obj]:
    """(namespace, ConfigMap name) -> the trust-manager Bundle that writes that ConfigMap at run time: one named after
    the Bundle in every namespace its `target.namespaceSelector` selects (all of them without one), by the namespace's
    labels and the `kubernetes.io/metadata.name` label Kubernetes gives every namespace."""
    namespaces = {o.name: {**o.labels, "kubernetes.io/metadata.name": o.name} for o in objects if o.kind == "Namespace"}
    return {
        (ns, o.name): o
        for o in objects
        if o.kind == "Bundle" and str(o.body.get("apiVersion", "")).startswith("trust.cert-manager.io/")
        and _get(o.body, "spec", "target", "configMap")
        for ns, labels in namespaces.items()
        if selects(_get(o.body, "spec", "target", "namespaceSelector") or {}, labels)
    }


def reference_problems(objects: list[Obj]) -> Iterator[tuple[str, str, list[str]]]:
    """(origin, workload, problems): what each pod mounts or reads exists in its namespace."""
    present = {(o.kind, o.namespace, o.name) for o in objects}
    present |= {("Secret", ns, name) for ns, name in issued_secrets(objects)}
    present |= {("ConfigMap", ns, name) for ns, name in bundled_configmaps(objects)}
    for workload, template in workloads(objects):
        claims = {c.get("metadata", {}).get("name") for c in _get(workload.body, "spec", "volumeClaimTemplates") or []}
        problems = []
        for kind, name in sorted(set(_references(template))):
            if (kind, name) in IMPLICIT:
                continue
            if kind == "PersistentVolumeClaim" and name in claims:
                continue
            if (kind, workload.namespace, name) not in present:
                problems.append(f"uses {kind} {name!r}, which neither a release nor the program creates in {workload.namespace}")
        yield workload.origin, str(workload), problems


_HOST = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)?(?P<host>(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.){2,3}svc(?:\.cluster\.local)?)(?![\w.-])"
    r"(?::(?P<port>\d+))?"
)


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


@dataclass(frozen=True)
class WiredUrl:
    """An in-cluster address in the program's output: where it is, the document and path it is at, and its parts."""

    source: str
    path: str
    document: object
    host: str
    scheme: str
    port: int | None

    @property
    def where(self) -> str:
        return f"{self.source}: {self.path}"


def wired(build_dir: Path) -> Iterator[WiredUrl]:
    """Every in-cluster address in the program's values, objects and configs."""
    sources: list[tuple[str, object]] = []
    for rel in releases_document(build_dir)["releases"]:
        sources.append((f"release {rel['namespace']}/{rel['name']} values", rel["values"]))
    for file in sorted((build_dir / "manifests").glob("*.yaml")):
        for body in yamlio.load_all(file.read_text()):
            if body and body.get("kind") != "Secret":
                sources.append((f"manifests/{file.name}", body))
    for rel in ("karma/karma.yaml", "alertmanager/alertmanager.yaml"):
        if (build_dir / rel).exists():
            sources.append((rel, yamlio.load((build_dir / rel).read_text())))
    for where, document in sources:
        for path, text in _strings(document, ""):
            for match in _HOST.finditer(text):
                scheme = (match.group("scheme") or "").removesuffix("://")
                port = int(match.group("port")) if match.group("port") else {"http": 80, "https": 443}.get(scheme)
                yield WiredUrl(where, path, document, match.group("host"), scheme, port)


def wired_urls(build_dir: Path) -> Iterator[tuple[str, str, str, int | None]]:
    """(where, host, scheme, port) of every in-cluster address in the program's values, objects and configs."""
    for url in wired(build_dir):
        yield url.where, url.host, url.scheme, url.port


def service_of(host: str) -> tuple[str | None, str, str]:
    """(pod or None, Service, namespace) an in-cluster host name points at."""
    labels = host.removesuffix(".cluster.local").removesuffix(".svc").split(".")
    pod, (service_name, namespace) = (labels[0] if len(labels) == 3 else None), labels[-2:]
    return pod, service_name, namespace


def url_problems(objects: list[Obj], build_dir: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(where, address, problems) of every wired in-cluster address."""
    services = {(o.namespace, o.name): o for o in objects if o.kind == "Service"}
    sets = {(o.namespace, o.name): o for o in objects if o.kind == "StatefulSet"}
    for where, host, _scheme, port in wired_urls(build_dir):
        pod, service_name, namespace = service_of(host)
        address = f"{host}:{port}" if port else host
        service = services.get((namespace, service_name))
        problems = []
        if service is None:
            problems.append(f"no Service {service_name} in namespace {namespace} is rendered or created")
        else:
            ports = {int(p["port"]) for p in _get(service.body, "spec", "ports") or [] if "port" in p}
            if port is not None and port not in ports:
                problems.append(f"Service {namespace}/{service_name} ({service.origin}) has no port {port}; it has {sorted(ports)}")
            if pod is not None:
                if _get(service.body, "spec", "clusterIP") != "None":
                    problems.append(f"{pod} names a pod, but Service {namespace}/{service_name} is not headless")
                owners = [s for (ns, _), s in sets.items() if ns == namespace and _get(s.body, "spec", "serviceName") == service_name]
                if not any(pod.startswith(f"{s.name}-") and pod[len(s.name) + 1:].isdigit()
                           and int(pod[len(s.name) + 1:]) < int(_get(s.body, "spec", "replicas") or 1) for s in owners):
                    problems.append(f"no StatefulSet behind {namespace}/{service_name} has a pod {pod}")
        yield where, address, problems


# --- Metrics ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exporter:
    name: str
    chart: str
    image: str
    metrics: dict[str, str]
    patterns: dict[str, str]
    source: str

    def produces(self, metric: str) -> bool:
        for name, kind in self.metrics.items():
            if metric == name or (kind in ("histogram", "summary") and metric in (f"{name}_bucket", f"{name}_count", f"{name}_sum")):
                return True
        return any(re.fullmatch(pattern, metric) for pattern in self.patterns)


@cache
def exporters() -> tuple[Exporter, ...]:
    document = yamlio.load(EXPORTERS_FILE.read_text())
    return tuple(
        Exporter(e["name"], e["chart"], e["image"], e["metrics"], e.get("patterns") or {}, e["source"])
        for e in document["exporters"]
    )


SCRAPE_KINDS = {
    "ServiceMonitor": "service", "VMServiceScrape": "service", "PodMonitor": "pod", "VMPodScrape": "pod",
}


def _namespaces(scrape: Obj) -> set[str] | None:
    """The namespaces a scrape object looks in; None for all."""
    selector = _get(scrape.body, "spec", "namespaceSelector") or {}
    if selector.get("any"):
        return None
    return set(selector.get("matchNames") or [scrape.namespace])


def scraped_ports(exporter: Exporter, objects: list[Obj]) -> tuple[list[str], list[str]]:
    """(what scrapes the exporter's pods, the exporter's pods): scrape object -> Service or pod -> named port."""
    pods = [(w, t) for w, t in workloads(objects) if any(exporter.image in str(c.get("image", "")) for c in _containers(t))]
    found = []
    for scrape in objects:
        mode = SCRAPE_KINDS.get(scrape.kind)
        if mode is None:
            continue
        namespaces, selector = _namespaces(scrape), _get(scrape.body, "spec", "selector") or {}
        endpoints = _get(scrape.body, "spec", "endpoints" if mode == "service" else "podMetricsEndpoints") or []
        wanted = {e.get("port") for e in endpoints if e.get("port")}
        for w, template in pods:
            if namespaces is not None and w.namespace not in namespaces:
                continue
            pod_labels = (template.get("metadata") or {}).get("labels") or {}
            names, _ = _container_ports(template)
            if mode == "pod":
                if selects(selector, pod_labels) and wanted & names:
                    found.append(f"{scrape} ({scrape.origin}) scrapes {w} on port {sorted(wanted & names)[0]}")
                continue
            for svc in objects:
                if svc.kind != "Service" or svc.namespace != w.namespace or not selects(selector, svc.labels):
                    continue
                if not service_selects(_get(svc.body, "spec", "selector") or {}, pod_labels):
                    continue
                ports = {p.get("name"): p.get("targetPort", p.get("port")) for p in _get(svc.body, "spec", "ports") or []}
                for port in wanted & set(ports):
                    target = ports[port]
                    if not isinstance(target, str) or target in names:
                        found.append(f"{scrape} ({scrape.origin}) scrapes {w} through {svc} port {port}")
    return found, [str(w) for w, _ in pods]


def rule_metrics(build_dir: Path) -> tuple[dict[str, list[str]], set[str]]:
    """(metric -> the rules that read it, every recorded metric) of the shipped rule files."""
    from render.systems.metrics import query_metric_names

    reads: dict[str, list[str]] = {}
    recorded: set[str] = set()
    for file in sorted((build_dir / "rules").glob("*.yaml")):
        for group in (yamlio.load(file.read_text()) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" in rule:
                    recorded.add(rule["record"])
                what = f"rules/{file.name}: {group['name']}: {rule.get('record') or rule.get('alert')}"
                try:
                    names = query_metric_names(str(rule["expr"]))
                except Exception:  # noqa: BLE001 - the parser's own exception types; promtool reports why
                    names = [UNPARSABLE]
                for name in names:
                    reads.setdefault(name, []).append(what)
    return reads, recorded


def metric_problems(objects: list[Obj], build_dir: Path) -> Iterator[tuple[str, bool, str]]:
    """(metric, ok, detail): where each metric a rule reads comes from, or why it has no source."""
    reads, recorded = rule_metrics(build_dir)
    declared_file = build_dir / "application-metrics.yaml"
    declared = (yamlio.load(declared_file.read_text()) or {}).get("metrics", {}) if declared_file.exists() else {}
    scraped: dict[str, tuple[list[str], list[str]]] = {}
    for metric, readers in sorted(reads.items()):
        if metric == UNPARSABLE:
            yield "(expression)", False, f"does not parse, so what it reads is unknown (promtool check rules says why): {'; '.join(readers[:3])}"
            continue
        if metric in recorded or metric in RULE_EVALUATOR_METRICS or metric in SCRAPE_METRICS:
            continue
        if metric in declared:
            continue
        exporter = next((e for e in exporters() if e.produces(metric)), None)
        if exporter is None:
            yield metric, False, (f"no source: not recorded by a rule, not produced by an exporter the platform deploys "
                                  f"({', '.join(e.name for e in exporters())}) and not declared by the catalog; read by "
                                  + "; ".join(readers[:3]))
            continue
        if exporter.name not in scraped:
            scraped[exporter.name] = scraped_ports(exporter, objects)
        by, pods = scraped[exporter.name]
        if not pods:
            yield metric, False, f"produced by {exporter.name}, which the platform does not deploy; read by {'; '.join(readers[:3])}"
        elif not by:
            yield metric, False, (f"produced by {exporter.name} ({', '.join(pods)}), which no scrape object reaches; "
                                  f"read by {'; '.join(readers[:3])}")
        else:
            yield metric, True, f"{exporter.name}: {by[0]}"
