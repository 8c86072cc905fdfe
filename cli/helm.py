"""Every Helm release of a stack rendered by the real `helm template` from the vendored charts.

The values, release name and namespace are exactly what the program registers (`build/<stack>/releases.yaml`); the
cluster's Kubernetes version is the stack's `kubernetesVersion`, and the API versions of every CRD the platform
installs are announced with `--api-versions`, as a cluster that has them would answer `.Capabilities.APIVersions`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml

from cli import charts, tools
from render import yamlio


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: the CRD charts render megabytes
    """The prometheus-operator CRDs carry a bare `=` enum value that PyYAML reads as the `value` tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def load_all(text: str) -> list[dict]:
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc]


@dataclass(frozen=True)
class Release:
    """One Helm release as the program registers it."""

    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    values: dict

    @property
    def subject(self) -> str:
        return f"release {self.namespace}/{self.name} ({self.chart} {self.version})"


@dataclass(frozen=True)
class Rendered:
    """What `helm template` made of a release: its objects (CRDs apart), or Helm's own error."""

    release: Release
    objects: tuple[dict, ...] = ()
    crds: tuple[dict, ...] = ()
    error: str = ""
    text: str = ""
    """What Helm printed, as it printed it."""

    @property
    def ok(self) -> bool:
        return not self.error


def releases(build_dir: Path) -> tuple[str, list[Release]]:
    """The stack's Kubernetes version and its releases, from `releases.yaml`."""
    document = releases_document(build_dir)
    found = [
        Release(r["name"], r["namespace"], r["chart"], r.get("repository") or "", str(r.get("version") or ""), r["values"])
        for r in document["releases"]
    ]
    return str(document["kubernetesVersion"]), found


def releases_document(build_dir: Path) -> dict:
    """`releases.yaml` as written, parsed once per content: several checks read it. Shared: read it, never change it."""
    return _releases_document((build_dir / "releases.yaml").read_text())


@lru_cache(maxsize=4)
def _releases_document(text: str) -> dict:
    return yamlio.load(text)


def _uses_api_versions(chart_dir: Path) -> bool:
    """Whether any template of the chart (or its subcharts) asks the cluster which APIs it serves."""
    for path in chart_dir.rglob("*"):
        if path.suffix in (".yaml", ".yml", ".tpl", ".txt") and path.is_file():
            if "Capabilities.APIVersions" in path.read_text(errors="replace"):
                return True
    return False


def template(
    name: str, namespace: str, chart_dir: Path, values: dict, kube_version: str, api_versions: tuple[str, ...] = ()
) -> tuple[str, str]:
    """(rendered text, error) of `helm template`; hooks and CRDs included, tests left out as `helm install` does.

    What Helm prints is kept under build/.cache by the digest of everything it read (the binary, the chart's files,
    the values and flags): a plan that changed no release renders none again."""
    exe = tools.path("helm").stat()
    key = hashlib.sha256(json.dumps(
        [exe.st_size, exe.st_mtime_ns, _tree_digest(chart_dir), name, namespace, values, kube_version, list(api_versions)],
        sort_keys=True,
    ).encode()).hexdigest()
    kept = charts.kept_path("helm", f"{key}.yaml")
    try:
        return kept.read_text(), ""
    except OSError:
        pass
    text, error = _template(name, namespace, chart_dir, values, kube_version, api_versions)
    if not error:
        charts.keep(kept, text)
    return text, error


@cache
def _tree_digest(chart_dir: Path) -> str:
    """Every file of a chart, by path and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in chart_dir.rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(chart_dir)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _template(
    name: str, namespace: str, chart_dir: Path, values: dict, kube_version: str, api_versions: tuple[str, ...] = ()
) -> tuple[str, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        json.dump(values, handle)  # JSON is YAML: no emitter quirks between our values and Helm's parser
    try:
        args = ["template", name, str(chart_dir), "--namespace", namespace, "--values", handle.name,
                "--kube-version", kube_version, "--include-crds", "--skip-tests"]
        for api in api_versions:
            args += ["--api-versions", api]
        result = tools.run("helm", *args)
    finally:
        os.unlink(handle.name)
    # Helm warns on stderr (e.g. a list given where the chart has a map); those warnings are the chart's to heed.
    return (result.stdout, "") if result.ok else ("", result.output)


def _parsed(text: str) -> list[dict]:
    """`load_all(text)`, kept as JSON under build/.cache by the digest of the text: reading megabytes of Helm's YAML
    is most of what a plan that renders no release anew spends on it. A kept file that does not parse or names other
    text is not trusted; documents JSON cannot hold exactly (dates, non-string keys) are not kept."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    kept = charts.kept_path("helm", f"{digest}.parsed.json")
    try:
        stored = json.loads(kept.read_text())
        if stored["yaml"] == digest and isinstance(stored["documents"], list):
            return stored["documents"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    docs = load_all(text)
    try:
        as_json = json.dumps({"yaml": digest, "documents": docs})
    except (TypeError, ValueError):
        return docs
    if json.loads(as_json)["documents"] == docs:
        charts.keep(kept, as_json)
    return docs


def _split(release: Release, text: str) -> Rendered:
    try:
        docs = _parsed(text)
    except yaml.YAMLError as exc:
        return Rendered(release, error=f"helm printed YAML that does not parse: {exc}")
    crds = tuple(d for d in docs if d.get("kind") == "CustomResourceDefinition")
    return Rendered(release, tuple(d for d in docs if d.get("kind") != "CustomResourceDefinition"), crds, text=text)


def crd_api_versions(crds: list[dict] | tuple[dict, ...]) -> tuple[str, ...]:
    """`group/version` and `group/version/Kind` of every served version of every CRD."""
    out = set()
    for crd in crds:
        spec = crd.get("spec") or {}
        for version in spec.get("versions") or []:
            if version.get("served", True):
                out.add(f"{spec['group']}/{version['name']}")
                out.add(f"{spec['group']}/{version['name']}/{spec['names']['kind']}")
    return tuple(sorted(out))


def render_all(build_dir: Path) -> list[Rendered]:
    """Every release of the build rendered, in the order of releases.yaml; written to `build_dir/helm/` too."""
    kube_version, found = releases(build_dir)
    kube_version = f"{kube_version}.0" if kube_version.count(".") == 1 else kube_version

    def first_pass(rel: Release) -> Rendered:
        try:
            chart_dir = charts.chart_dir(rel.chart, rel.repository, rel.version)
        except LookupError as exc:
            return Rendered(rel, error=str(exc))
        text, error = template(rel.name, rel.namespace, chart_dir, rel.values, kube_version)
        return Rendered(rel, error=error) if error else _split(rel, text)

    workers = max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rendered = list(pool.map(first_pass, found))
        apis = crd_api_versions([crd for r in rendered for crd in r.crds])

        def second_pass(r: Rendered) -> Rendered:
            chart_dir = charts.lock()[r.release.chart].path
            if not r.ok or not _uses_api_versions(chart_dir):
                return r
            rel = r.release
            text, error = template(rel.name, rel.namespace, chart_dir, rel.values, kube_version, apis)
            return Rendered(rel, error=error) if error else _split(rel, text)

        rendered = list(pool.map(second_pass, rendered))

    out_dir = build_dir / "helm"
    out_dir.mkdir(exist_ok=True)
    for r in rendered:
        if r.ok:
            (out_dir / f"{r.release.namespace}-{r.release.name}.yaml").write_text(r.text)
    return rendered


@cache
def vendored_crds() -> tuple[dict, ...]:
    """Every CRD the vendored charts install, rendered once per set of chart digests (cached under build/.cache).

    For checks that have no build at hand (a single object, a benchmark); `make check` uses the CRDs of the
    stack's own releases instead.
    """
    from components.cert_manager import CRD_VALUES as CERT_MANAGER_CRD_VALUES
    from components.victoriametrics import OPERATOR_CRD_VALUES

    locked = charts.lock()
    # The values that switch CRDs on, as the components set them: without them these charts install none.
    values = {"victoria-metrics-operator": OPERATOR_CRD_VALUES, "cert-manager": CERT_MANAGER_CRD_VALUES}
    digests = {n: c.entry.get("digest") for n, c in sorted(locked.items())}
    key = hashlib.sha256(json.dumps([digests, values], sort_keys=True).encode()).hexdigest()
    cache_file = charts.kept_path(f"crds-{key[:16]}.json")
    if cache_file.exists():
        return tuple(json.loads(cache_file.read_text()))

    def crds_of(name: str) -> list[dict]:
        text, error = template(name, "crds", locked[name].path, values.get(name, {}), "1.33.0")
        if error:
            raise RuntimeError(f"helm template of the vendored chart {name} failed: {error}")
        return [d for d in load_all(text) if d.get("kind") == "CustomResourceDefinition"]

    def installs_crds(name: str) -> bool:
        return any(
            "CustomResourceDefinition" in p.read_text(errors="replace")
            for p in locked[name].path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
        )

    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        crds = [crd for part in pool.map(crds_of, [n for n in sorted(locked) if installs_crds(n)]) for crd in part]
    charts.keep(cache_file, json.dumps(crds))
    return tuple(crds)
