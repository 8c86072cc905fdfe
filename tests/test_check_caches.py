"""What the checks keep between objects and runs serves exactly what recomputing would, and never an answer for
other input: kubernetes-validate's own `validate` is the oracle for the cached schema validators."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from cli import checks

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
        },
    },
}
POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "replicas"},
    "spec": {"validations": [{"expression": "object.spec.replicas <= 5"}]},
}


def _mutated() -> list[dict]:
    unknown_field = copy.deepcopy(DEPLOYMENT)
    unknown_field["spec"]["replica"] = 3
    wrong_type = copy.deepcopy(DEPLOYMENT)
    wrong_type["metadata"]["labels"] = {"app": 5}
    bad_port = copy.deepcopy(DEPLOYMENT)
    bad_port["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "eighty"}]
    no_containers = copy.deepcopy(DEPLOYMENT)
    del no_containers["spec"]["template"]["spec"]["containers"]
    return [unknown_field, wrong_type, bad_port, no_containers]


def _library(obj: dict, version: str) -> list[str]:
    """validate_object's message, computed by kubernetes-validate's own `validate` (schemas read per call)."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"(object): {str(exc).splitlines()[0]}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no Kubernetes {version} schema for {obj['apiVersion']} {obj['kind']}"]
    return []


@pytest.mark.parametrize("version", ["1.33", "1.30", "1.28"])
def test_built_in_objects_get_the_verdict_kubernetes_validate_gives_them_however_often_they_are_checked(version):
    objects = [DEPLOYMENT, POLICY, *_mutated(), {"apiVersion": "v1", "kind": "Gadget", "metadata": {"name": "g"}}]
    expected = [_library(obj, version) for obj in objects]
    assert sum(1 for e in expected if e) >= 5  # the mutations are errors, or this proves nothing
    for _ in range(2):  # the second round is served by the cached validators
        assert [checks.validate_object(obj, {}, version) for obj in objects] == expected


def test_a_kind_one_kubernetes_version_serves_and_an_older_one_lacks_is_judged_by_each_versions_schemas():
    # ValidatingAdmissionPolicy went GA (admissionregistration.k8s.io/v1) in Kubernetes 1.30.
    assert checks.validate_object(POLICY, {}, "1.33") == []
    assert checks.validate_object(POLICY, {}, "1.29") == [
        "no Kubernetes 1.29 schema for admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy"
    ]
    assert checks.validate_object(POLICY, {}, "1.30") == []


def _crd_schema(required: list[str]) -> dict:
    return checks.crd_schemas([{
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {"type": "object", "required": required, "properties": {"size": {"type": "integer"}}},
                },
            }}}],
        },
    }])


def test_a_custom_resource_is_judged_by_the_crd_schema_it_is_given_not_one_checked_before():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"colour": "red"}}
    lenient, strict = _crd_schema([]), _crd_schema(["size"])
    first = checks.validate_object(widget, lenient)
    assert first == ["spec: Additional properties are not allowed ('colour' was unexpected)"]
    assert checks.validate_object(widget, lenient) == first
    assert checks.validate_object(widget, strict) == [
        "spec: 'size' is a required property",
        "spec: Additional properties are not allowed ('colour' was unexpected)",
    ]


HELM_OUTPUT = """---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {ratio: 0.5, enabled: true, count: 3, empty: null, text: "é"}
spec:
  ports: [{port: 80, targetPort: http}]
---
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, names: {kind: Widget}, versions: []}
"""


def _expected(text: str) -> list[dict]:
    """What Helm printed, read by PyYAML's pure-Python safe loader (not the libyaml one the checks use)."""
    import yaml

    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture
def helm_cache(tmp_path, monkeypatch):
    from cli import charts

    monkeypatch.setattr(charts, "CHARTS_DIR", tmp_path / "charts")
    return tmp_path / "build" / ".cache" / "helm"


def test_helms_output_read_back_from_the_kept_json_is_what_parsing_its_yaml_gives(helm_cache, monkeypatch):
    from cli import helm

    assert helm._parsed(HELM_OUTPUT) == _expected(HELM_OUTPUT)
    assert len(list(helm_cache.glob("*.parsed.json"))) == 1

    def no_parse(text):
        raise AssertionError("parsed the YAML again")

    monkeypatch.setattr(helm, "load_all", no_parse)
    assert helm._parsed(HELM_OUTPUT) == _expected(HELM_OUTPUT)


def test_a_kept_parse_that_is_corrupt_or_of_other_text_is_not_trusted(helm_cache):
    import json

    from cli import helm

    helm._parsed(HELM_OUTPUT)
    (kept,) = helm_cache.glob("*.parsed.json")
    kept.write_text(kept.read_text()[:40])  # cut short, as a full disk would leave it
    assert helm._parsed(HELM_OUTPUT) == _expected(HELM_OUTPUT)
    kept.write_text(json.dumps({"yaml": "0" * 64, "documents": [{"kind": "Stale"}]}))
    assert helm._parsed(HELM_OUTPUT) == _expected(HELM_OUTPUT)
    other = HELM_OUTPUT.replace("port: 80", "port: 8080")
    assert helm._parsed(other) == _expected(other) != _expected(HELM_OUTPUT)


def test_documents_json_cannot_hold_exactly_are_parsed_every_time_and_not_kept(helm_cache):
    import datetime

    from cli import helm

    text = "kind: ConfigMap\nmetadata: {name: dated}\ndata: {since: 2026-01-01, 1: one}\n"
    assert helm._parsed(text) == _expected(text)
    assert helm._parsed(text)[0]["data"] == {"since": datetime.date(2026, 1, 1), 1: "one"}
    assert not list(helm_cache.glob("*.parsed.json"))


def test_releases_are_read_again_when_releases_yaml_changes(tmp_path):
    from cli import helm

    def write(version: str) -> None:
        (tmp_path / "releases.yaml").write_text(
            f"kubernetesVersion: '{version}'\n"
            "releases:\n- {name: web, namespace: apps, chart: web, version: 1.0.0, values: {replicas: 2}}\n"
        )

    write("1.33")
    first = helm.releases(tmp_path)
    assert first == helm.releases(tmp_path)
    assert first == ("1.33", [helm.Release("web", "apps", "web", "", "1.0.0", {"replicas": 2})])
    write("1.34")
    assert helm.releases(tmp_path)[0] == "1.34"


def test_crd_schemas_are_built_once_per_rendering_and_anew_for_another(tmp_path, monkeypatch):
    from cli import release_checks
    from cli.helm import Release, Rendered

    def rendering(kind: str) -> list[Rendered]:
        crd = {"kind": "CustomResourceDefinition", "spec": {
            "group": "example.com", "names": {"kind": kind},
            "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object"}}}],
        }}
        return [Rendered(Release("web", "apps", "web", "", "1.0.0", {}), crds=(crd,))]

    current = rendering("Widget")
    monkeypatch.setattr(release_checks, "rendered", lambda build_dir: current)
    monkeypatch.setattr(release_checks, "_key", lambda build_dir: (str(build_dir), 1.0))
    first = release_checks._schemas(tmp_path)
    assert first == {("example.com", "v1", "Widget"): {"type": "object"}}
    assert release_checks._schemas(tmp_path) is first
    current = rendering("Gadget")  # rendered again (the rendering cache's own key decides when)
    assert set(release_checks._schemas(tmp_path)) == {("example.com", "v1", "Gadget")}


@pytest.fixture
def verdict_cache(tmp_path, monkeypatch):
    from cli import charts

    monkeypatch.setattr(charts, "CHARTS_DIR", tmp_path / "charts")
    return tmp_path / "build" / ".cache" / "schema-verdicts"


def test_kept_schema_verdicts_are_the_verdicts_and_are_served_without_validating_again(verdict_cache, monkeypatch):
    objects = [DEPLOYMENT, *_mutated(), POLICY]
    schemas = _crd_schema(["size"])
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    expected = [_library(obj, "1.33") for obj in objects] + [["spec: 'size' is a required property"]]
    assert checks.validate_objects_kept([*objects, widget], schemas, "1.33") == expected
    assert len(list(verdict_cache.glob("*.json"))) == 1

    def no_validation(*args):
        raise AssertionError("validated again")

    monkeypatch.setattr(checks, "validate_object", no_validation)
    assert checks.validate_objects_kept([*objects, widget], schemas, "1.33") == expected


def test_a_kept_verdict_is_not_served_for_other_objects_versions_or_crds_nor_when_corrupt(verdict_cache):
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": "1"}}
    lenient, strict = _crd_schema([]), _crd_schema(["size"])
    assert checks.validate_objects_kept([POLICY, widget], lenient, "1.33") == [[], ["spec.size: '1' is not of type 'integer'"]]
    assert checks.validate_objects_kept([POLICY, widget], lenient, "1.29") == [
        ["no Kubernetes 1.29 schema for admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy"],
        ["spec.size: '1' is not of type 'integer'"],
    ]
    widget_without_size = {**widget, "spec": {}}
    assert checks.validate_objects_kept([widget_without_size], lenient, "1.33") == [[]]
    assert checks.validate_objects_kept([widget_without_size], strict, "1.33") == [["spec: 'size' is a required property"]]
    sized = {**widget, "spec": {"size": 1}}
    assert checks.validate_objects_kept([sized], lenient, "1.33") == [[]]
    for kept in verdict_cache.glob("*.json"):  # cut short, or of another shape than one verdict per object
        kept.write_text("[[" if kept.read_text() == "[[]]" else '[["spec: not this one"]]')
    assert checks.validate_objects_kept([POLICY, widget], lenient, "1.33") == [[], ["spec.size: '1' is not of type 'integer'"]]
    assert checks.validate_objects_kept([sized], lenient, "1.33") == [[]]
