"""`make check`: every artifact in `build/<stack>/` meets the real tool (or the real schema) that will read it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from cli import charts, tools
from render import yamlio

KUBERNETES_VERSION = "1.33"
"""The Kubernetes version objects are validated against when no stack names one (`kubernetesVersion`)."""


@dataclass(frozen=True)
class Finding:
    """The verdict of one check on one thing; `detail` is the tool's own message on failure."""

    check: str
    subject: str
    ok: bool
    detail: str = ""


Check = Callable[[Path], Iterator[Finding]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


@dataclass(frozen=True)
class Outcome:
    """What one check found, and how long it took."""

    name: str
    findings: tuple[Finding, ...]
    seconds: float

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.ok)


def _run_one(fn: Check, build_dir: Path) -> Outcome:
    start = time.perf_counter()
    try:
        findings = tuple(fn(build_dir))
    except tools.ToolMissing as exc:
        findings = (Finding(fn.__name__, "tools", False, str(exc)),)
    return Outcome(fn.__name__, findings, time.perf_counter() - start)


def run_checks(build_dir: Path, on_done: Callable[[int, Outcome], None] | None = None) -> list[Outcome]:
    """Every check, concurrently: most wait on a real tool, and those that share work (Helm's rendering) share it.

    `on_done(position, outcome)` is called in the checks' own order as each one completes, so what is printed stays
    in a stable order however the checks interleave.
    """
    if not build_dir.is_dir():
        missing = Finding("build", str(build_dir), False, "no such directory: run `make render` first")
        return [Outcome("build", (missing,), 0.0)]
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        futures = [pool.submit(_run_one, fn, build_dir) for fn in CHECKS]
        outcomes = []
        for position, future in enumerate(futures):
            outcomes.append(future.result())
            if on_done:
                on_done(position, outcomes[-1])
    return outcomes


def run_all(build_dir: Path) -> list[Finding]:
    return [f for outcome in run_checks(build_dir) for f in outcome.findings]


def _rel(path: Path, build_dir: Path) -> str:
    return str(path.relative_to(build_dir))


# --- Alertmanager ---------------------------------------------------------------------------------------------


@check
def amtool_check_config(build_dir: Path) -> Iterator[Finding]:
    config = build_dir / "alertmanager" / "alertmanager.yaml"
    result = tools.run("amtool", "check-config", str(config))
    yield Finding("amtool check-config", _rel(config, build_dir), result.ok, "" if result.ok else result.output)


# --- Rules ----------------------------------------------------------------------------------------------------


def _rule_files(build_dir: Path) -> list[Path]:
    return sorted((build_dir / "rules").glob("*.yaml"))


@check
def promtool_check_rules(build_dir: Path) -> Iterator[Finding]:
    files = _rule_files(build_dir)
    if not files:
        return
    result = tools.run("promtool", "check", "rules", *map(str, files))
    yield Finding("promtool check rules", f"rules/ ({len(files)} files)", result.ok, "" if result.ok else result.output)


@check
def vmalert_dry_run(build_dir: Path) -> Iterator[Finding]:
    files = _rule_files(build_dir)
    if not files:
        return
    result = tools.run("vmalert", "-dryRun", "-loggerLevel=ERROR", *(f"-rule={f}" for f in files))
    yield Finding("vmalert -dryRun", f"rules/ ({len(files)} files)", result.ok, "" if result.ok else result.output)


# --- Kubernetes objects ---------------------------------------------------------------------------------------


def _strict(schema: object) -> object:
    """Treat fields a CRD does not declare as errors: the API server would silently prune them."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            out.get("type") == "object"
            and "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


Schemas = dict[tuple[str, str, str], dict]


def crd_schemas(crds: tuple[dict, ...] | list[dict]) -> Schemas:
    """(group, version, kind) -> the strict openAPIV3Schema of every version of the given CRDs."""
    schemas = {}
    for doc in crds:
        spec = doc["spec"]
        for version in spec["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema:
                schemas[(spec["group"], version["name"], spec["names"]["kind"])] = _strict(schema)
    return schemas


@cache
def vendored_schemas() -> Schemas:
    """The schemas of every CRD the vendored charts install: for an object checked without a build at hand."""
    from cli.helm import vendored_crds

    return crd_schemas(vendored_crds())


def is_custom_group(group: str) -> bool:
    """Custom resources live in dotted groups; the dotted built-in ones (networking.k8s.io, ...) end in .k8s.io."""
    return "." in group and not group.endswith(".k8s.io")


def _by_identity(store: dict[int, tuple[Any, Any]], obj: Any, make: Callable[[Any], Any], limit: int) -> Any:
    """`make(obj)`, kept in `store` by the object's identity, the object held so its id cannot be reused by another
    while it is kept. Past `limit` entries the store starts again: a long-lived process (the tests) builds schemas
    anew for every build."""
    kept = store.get(id(obj))
    if kept is not None and kept[0] is obj:
        return kept[1]
    if len(store) > limit:
        store.clear()
    value = make(obj)
    store[id(obj)] = (obj, value)
    return value


_crd_validators: dict[int, tuple[dict, jsonschema.protocols.Validator]] = {}


def _crd_validator(schema: dict) -> jsonschema.protocols.Validator:
    """One validator per CRD schema object: `crd_schemas` builds each schema once, objects are checked by the hundred."""
    return _by_identity(_crd_validators, schema, jsonschema.Draft7Validator, 4096)


@cache
def _schema_dir(desired_version: str) -> tuple[str, str]:
    """(schema version, strict schema directory) kubernetes-validate picks for a Kubernetes version, as its
    `validate` picks them."""
    from kubernetes_validate import utils

    if utils.major_minor(desired_version) > utils.latest_version():
        raise utils.VersionNotSupportedError(version=utils.major_minor(desired_version))
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(desired_version)][-1]
    return version, f"v{version}-local-strict"


@cache
def _builtin_validator(schema_dir: str, schema_file: str, desired_version: str) -> jsonschema.protocols.Validator:
    """The validator kubernetes-validate builds for one kind's schema file, built once instead of per object (its
    `validate` reads and parses the schema and the 1.5 MB `_definitions.json` on every call)."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    schema = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/{schema_file}", desired_version)
    registry = Resource.from_contents(_definitions(schema_dir, desired_version)) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@cache
def _definitions(schema_dir: str, desired_version: str) -> dict:
    from kubernetes_validate import utils

    return utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", desired_version)


def _validate_builtin(data: dict, desired_version: str) -> None:
    """`kubernetes_validate.validate(data, desired_version, strict=True)`, same schemas, same errors, with the
    schemas parsed and the validators built once per kind and version."""
    from kubernetes_validate import utils

    desired_version = desired_version.removeprefix("v")
    version, schema_dir = _schema_dir(desired_version)
    # rbac.authorization.k8s.io/v1 -> rbac-v1, as kubernetes-validate names its files
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", data["apiVersion"])
    try:
        validator = _builtin_validator(schema_dir, f"{data['kind'].lower()}-{api_version}.json", desired_version)
    except FileNotFoundError:
        raise utils.SchemaNotFoundError(
            version=utils.major_minor(desired_version), kind=data["kind"], api_version=data["apiVersion"]
        ) from None
    try:
        validator.validate(data)
    except jsonschema.ValidationError as exc:
        raise utils.ValidationError(exc, version=utils.major_minor(version)) from None


def validate_object(obj: dict, schemas: Schemas | None = None, kube_version: str = KUBERNETES_VERSION) -> list[str]:
    """Problems of one Kubernetes object: built-in kinds by the Kubernetes OpenAPI schema, CRs by their CRD.

    `schemas` are the CRDs the platform installs (default: those of the vendored charts).
    """
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    group, _, version = api_version.rpartition("/")
    meta = obj.get("metadata") or {}
    problems = [] if meta.get("name") else ["metadata.name is missing"]
    if is_custom_group(group):
        schema = (vendored_schemas() if schemas is None else schemas).get((group, version, kind))
        if schema is None:
            return problems + [f"no CRD the platform installs serves {api_version} {kind}"]
        validator = _crd_validator(schema)
        body = {k: v for k, v in obj.items() if k != "metadata"}
        for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = ".".join(str(p) for p in err.absolute_path) or "(object)"
            problems.append(f"{where}: {err.message}")
        return problems
    try:
        _validate_builtin(obj, kube_version)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.caused_by.absolute_path) if getattr(exc, "caused_by", None) else ""
        problems.append(f"{where or '(object)'}: {str(exc).splitlines()[0]}")
    except kubernetes_validate.SchemaNotFoundError:
        problems.append(f"no Kubernetes {kube_version} schema for {api_version} {kind}")
    return problems


_schemas_digests: dict[int, tuple[Schemas, str]] = {}


def _schemas_digest(schemas: Schemas) -> str:
    """The digest of a set of CRD schemas, once per set."""
    return _by_identity(
        _schemas_digests, schemas, lambda s: hashlib.sha256(repr(sorted(s.items())).encode()).hexdigest(), 64
    )


@cache
def _validation_code() -> str:
    """What a schema verdict depends on besides the object, the CRDs and the Kubernetes version: the code that words
    it and the libraries (with kubernetes-validate's schema files) that reach it."""
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for dist in ("kubernetes-validate", "jsonschema", "referencing"):
        digest.update(f"\0{dist} {version(dist)}".encode())
    return digest.hexdigest()


def validate_objects_kept(objects: list[dict], schemas: Schemas, kube_version: str) -> list[list[str]]:
    """`validate_object` of each object, the verdicts kept under build/.cache by the digest of all they depend on: a
    release that renders the same objects as last time is not validated again. `repr` is the key, not JSON: it tells
    1 from "1" and keeps the order of keys, which the wording of some errors follows."""
    key = hashlib.sha256(repr((_validation_code(), kube_version, _schemas_digest(schemas), objects)).encode()).hexdigest()
    kept = charts.kept_path("schema-verdicts", f"{key}.json")
    try:
        stored = json.loads(kept.read_text())
        if (
            isinstance(stored, list)
            and len(stored) == len(objects)
            and all(isinstance(v, list) and all(isinstance(p, str) for p in v) for v in stored)
        ):
            return stored
    except (OSError, ValueError):
        pass
    verdicts = [validate_object(obj, schemas, kube_version) for obj in objects]
    charts.keep(kept, json.dumps(verdicts))
    return verdicts


@check
def vmagent_relabel_configs(build_dir: Path) -> Iterator[Finding]:
    """Per-URL relabelling of every VMAgent, as the operator hands it to vmagent, checked by `vmagent -dryRun`."""
    import tempfile

    for file in sorted((build_dir / "manifests").glob("vmagent-*.yaml")):
        agent = yamlio.load(file.read_text())
        targets = [rw for rw in agent.get("spec", {}).get("remoteWrite", []) if rw.get("inlineUrlRelabelConfig")]
        if not targets:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            args = []
            for i, target in enumerate(targets):
                config = Path(tmp) / f"url-relabel-{i}.yaml"
                config.write_text(yaml.safe_dump(target["inlineUrlRelabelConfig"]))
                args += [f"-remoteWrite.url={target['url']}", f"-remoteWrite.urlRelabelConfig={config}"]
            env = {e["name"]: f"example-{e['name'].lower()}" for e in agent["spec"].get("extraEnvs", [])}
            result = tools.run("vmagent", "-dryRun", "-loggerLevel=ERROR", *args, env=env)
        yield Finding("vmagent -dryRun", _rel(file, build_dir), result.ok, "" if result.ok else result.output)


# --- Rule behaviour tests ---------------------------------------------------------------------------------------


def _rule_test_files(build_dir: Path) -> list[Path]:
    return sorted((build_dir / "rule-tests").glob("*.yaml"))


_verdicts: dict[tuple[str, str], tools.Result] = {}
VERDICTS_DIR = ".verdicts"
"""Beside the stacks' build directories: behaviour-test verdicts by the digest of what produced them."""


_RULE_TEST_ENV = {"GOMAXPROCS": "1", "GOGC": "400"}
"""Go's runtime for a behaviour-test tool: one core each, since the checks already run one test per core, and a
collection when the heap has grown 5x rather than 2x. On the example stack's 36 files (2 cores, both tools at once)
it cut their wall time from 50 s to 36 s and their CPU time by 30%, at under 250 MB a process. On its own on an
idle machine, vmalert-tool ran the KPI tests in 11.0 s with Go's defaults and in 6.9 s so."""


def _run_rule_test(tool: str, args: tuple[str, ...], file: Path) -> tools.Result:
    """Run one behaviour-test file. The same bytes (tool binary, test and rule files) get the same verdict: once per
    process, and once per build tree on disk (`<build>/.verdicts/`), so a plan that changed one SLO re-runs only the
    tests that read its rules."""
    data = file.read_bytes()
    doc = yamlio.load(data)
    digest = hashlib.sha256(data)
    exe = tools.path(tool).stat()
    digest.update(f"\0{tool} {' '.join(args)} {exe.st_size} {exe.st_mtime_ns}\0".encode())
    for rule_file in doc.get("rule_files", []):
        path = (file.parent / rule_file).resolve()
        digest.update(path.read_bytes() if path.exists() else b"missing")
    key = (tool + " ".join(args), digest.hexdigest())
    if key not in _verdicts:
        stored = file.parent.parent.parent / VERDICTS_DIR / f"{key[1]}.json"
        try:
            _verdicts[key] = tools.Result(**json.loads(stored.read_text()))
        except (OSError, ValueError, TypeError):
            result = tools.run(tool, *args, str(file), cwd=file.parent, env=_RULE_TEST_ENV)
            if result.code in (0, 1):  # a verdict; anything else (a crash, a signal) is not worth keeping
                stored.parent.mkdir(parents=True, exist_ok=True)
                stored.write_text(json.dumps({"code": result.code, "output": result.output, "stdout": result.stdout}))
            _verdicts[key] = result
    return _verdicts[key]


def _run_rule_tests(build_dir: Path, name: str, tool: str, *args: str) -> Iterator[Finding]:
    # Each file evaluates its rules over days of test time; spread them over the machine's cores.
    from concurrent.futures import ThreadPoolExecutor

    files = _rule_test_files(build_dir)
    tools.path(tool)
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda f: _run_rule_test(tool, args, f), files))
    for file, result in zip(files, results, strict=True):
        yield Finding(name, _rel(file, build_dir), result.ok, "" if result.ok else result.output)


@check
def promtool_test_rules(build_dir: Path) -> Iterator[Finding]:
    yield from _run_rule_tests(build_dir, "promtool test rules", "promtool", "test", "rules")


@check
def vmalert_tool_unittest(build_dir: Path) -> Iterator[Finding]:
    # vmalert adds the group name as a label to its alerts; the tests are shared with promtool, which does not.
    yield from _run_rule_tests(build_dir, "vmalert-tool unittest", "vmalert-tool", "unittest", "--disableAlertgroupLabel", "--files")


from cli import alerting_checks, falco_checks, otel_checks, release_checks  # noqa: F401  register their checks
