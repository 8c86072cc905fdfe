"""Checks of the Kubernetes side of a build: every release rendered by the real Helm, every object validated, the
values each chart ignores, and the wiring between the parts (cli.wiring). Registered with cli.checks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from cli import charts, tls, values_lint, wiring
from cli.checks import Finding, Schemas, check, crd_schemas, validate_object, validate_objects_kept
from cli.helm import Rendered, releases, render_all
from render import yamlio

_rendered: dict[tuple[str, float], tuple[list[Rendered], list[wiring.Obj]]] = {}


def _key(build_dir: Path) -> tuple[str, float]:
    return str(build_dir.resolve()), (build_dir / "releases.yaml").stat().st_mtime


_rendering = threading.Lock()


def rendered(build_dir: Path) -> list[Rendered]:
    """The build's releases rendered once per `releases.yaml`: several checks, running at once, read them."""
    key = _key(build_dir)
    with _rendering:
        if key not in _rendered:
            releases_ = render_all(build_dir)
            _rendered[key] = (releases_, wiring.cluster([r for r in releases_ if r.ok], build_dir))
    return _rendered[key][0]


def _cluster(build_dir: Path) -> list[wiring.Obj]:
    """The modelled cluster of the build, once per rendering."""
    rendered(build_dir)
    return _rendered[_key(build_dir)][1]


def _kube_version(build_dir: Path) -> str:
    return releases(build_dir)[0]


_crd_schemas: dict[tuple[str, float], tuple[list[Rendered], Schemas]] = {}
_schemas_lock = threading.Lock()


def _schemas(build_dir: Path) -> Schemas:
    """The strict schemas of the CRDs the build's releases install, once per rendering: two checks validate against
    them, and the validators built for them are kept by schema."""
    releases_ = rendered(build_dir)
    key = _key(build_dir)
    with _schemas_lock:
        kept = _crd_schemas.get(key)
        if kept is None or kept[0] is not releases_:
            kept = _crd_schemas[key] = (releases_, crd_schemas([crd for r in releases_ for crd in r.crds]))
    return kept[1]


@check
def helm_template(build_dir: Path) -> Iterator[Finding]:
    """Every release through `helm template` at its pinned, vendored chart; the count of objects it renders."""
    for r in rendered(build_dir):
        count = f"{len(r.objects)} objects" + (f", {len(r.crds)} CRDs" if r.crds else "")
        trust = charts.problems(r.release.chart) if r.release.chart in charts.lock() else []
        ok = r.ok and not trust
        yield Finding("helm template", f"{r.release.subject}: {count if r.ok else 'not rendered'}", ok, "\n".join([r.error, *trust]).strip())


@check
def rendered_objects(build_dir: Path) -> Iterator[Finding]:
    """Every object Helm renders, strictly: built-in kinds by kubernetes-validate, custom resources by their CRD."""
    schemas, version = _schemas(build_dir), _kube_version(build_dir)
    for r in rendered(build_dir):
        if not r.ok:
            continue
        objects = [*r.crds, *r.objects]
        problems = [
            f"{o.get('kind')} {(o.get('metadata') or {}).get('name')}: {p}"
            for o, verdict in zip(objects, validate_objects_kept(objects, schemas, version), strict=True)
            for p in verdict
        ]
        yield Finding("kubernetes schema", f"{r.release.subject}: {len(r.crds) + len(r.objects)} objects", not problems, "\n".join(problems))


@check
def kubernetes_schemas(build_dir: Path) -> Iterator[Finding]:
    """The objects the program creates itself, against the same schemas and the CRDs its releases install."""
    schemas, version = _schemas(build_dir), _kube_version(build_dir)
    for file in sorted((build_dir / "manifests").glob("*.yaml")):
        for obj in yamlio.load_all(file.read_text()):
            problems = validate_object(obj, schemas, version)
            subject = str(file.relative_to(build_dir))
            if file.name.startswith("configgroup-"):  # one document per object: name the object
                subject += f": {obj.get('kind')} {(obj.get('metadata') or {}).get('name')}"
            yield Finding("kubernetes schema", subject, not problems, "\n".join(problems))
            template = engine_template(obj)
            if template is not None:
                problems = validate_object(template, schemas, version)
                yield Finding("kubernetes schema", f"{file.relative_to(build_dir)}: data.engine.yaml", not problems, "\n".join(problems))


def engine_template(obj: dict) -> dict | None:
    """The ChaosEngine a scheduled experiment's CronJob creates from this ConfigMap, as the API server names it."""
    from render.resources.chaos import TEMPLATE_LABEL

    labels = (obj.get("metadata") or {}).get("labels") or {}
    if obj.get("kind") != "ConfigMap" or labels.get(TEMPLATE_LABEL) != "true":
        return None
    engine = yamlio.load((obj.get("data") or {}).get("engine.yaml") or "") or {}
    meta = dict(engine.get("metadata") or {})
    if "generateName" in meta and "name" not in meta:
        meta["name"] = meta["generateName"] + "x7k2p"  # the API server appends five random characters
    return {**engine, "metadata": meta}


@check
def values_read_by_chart(build_dir: Path) -> Iterator[Finding]:
    """Every values path the program sets is read by the chart; a path Helm would silently ignore fails."""
    for r in rendered(build_dir):
        rel = r.release
        try:
            chart_dir = charts.chart_dir(rel.chart, rel.repository, rel.version)
        except LookupError:
            continue  # reported by `helm template`
        unread = values_lint.unread_paths(chart_dir, rel.values)
        detail = "\n".join(f"{path}: the chart {rel.chart} {rel.version} does not read this value" for path in unread)
        yield Finding("values read by chart", rel.subject, not unread, detail)


@check
def service_selectors(build_dir: Path) -> Iterator[Finding]:
    for origin, service, problems in wiring.service_problems(_cluster(build_dir)):
        yield Finding("service selects pods", f"{service} ({origin})", not problems, "\n".join(problems))


@check
def pod_references(build_dir: Path) -> Iterator[Finding]:
    for origin, workload, problems in wiring.reference_problems(_cluster(build_dir)):
        yield Finding("pod references exist", f"{workload} ({origin})", not problems, "\n".join(problems))


@check
def wired_urls(build_dir: Path) -> Iterator[Finding]:
    for where, address, problems in wiring.url_problems(_cluster(build_dir), build_dir):
        yield Finding("wired address resolves", f"{address} ({where})", not problems, "\n".join(problems))


@check
def rule_metric_sources(build_dir: Path) -> Iterator[Finding]:
    for metric, ok, detail in wiring.metric_problems(_cluster(build_dir), build_dir):
        yield Finding("metric has a source", metric, ok, "" if ok else detail)


@check
def tls_settings(build_dir: Path) -> Iterator[Finding]:
    """Every TLS config a rendered container starts with, read through its mounts to the certificates it names."""
    for subject, what, problems in tls.tls_problems(_cluster(build_dir)):
        yield Finding("tls on what Helm renders", f"{subject}: {what}", not problems, "\n".join(problems))


@check
def tls_clients(build_dir: Path) -> Iterator[Finding]:
    """Every client of a server that serves TLS: HTTPS, a name the certificate carries, a CA from the same issuer."""
    for where, address, problems in tls.client_problems(_cluster(build_dir), build_dir):
        yield Finding("tls client verifies the server", f"{address} ({where})", not problems, "\n".join(problems))


@check
def thanos_grpc_tls(build_dir: Path) -> Iterator[Finding]:
    """Thanos' gRPC TLS flags on what Helm renders, read through the mounts to the certificates they name."""
    for subject, what, problems in tls.thanos_tls_problems(_cluster(build_dir)):
        yield Finding("tls on what Helm renders", f"{subject}: {what}", not problems, "\n".join(problems))


@check
def thanos_grpc_clients(build_dir: Path) -> Iterator[Finding]:
    """Every peer a Thanos client dials whose pods serve gRPC over TLS: TLS, a name the certificate carries, the CA."""
    for where, address, problems in tls.thanos_client_problems(_cluster(build_dir)):
        yield Finding("tls client verifies the server", f"{address} ({where})", not problems, "\n".join(problems))
