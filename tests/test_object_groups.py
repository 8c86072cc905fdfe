"""The SLO objects (VMRules, Sloth and Pyrra SLOs) reach the cluster as one ConfigGroup per team and system.

Expected values come from PyYAML reading what the program hands over and from the provider's own naming rule
(pulumi-kubernetes provider/pkg/provider/yaml/v2/yaml.go, `register`: `<resourcePrefix>:<namespace>/<name>`).
"""

from __future__ import annotations

import pytest
import yaml

from cli import recorder
from components.common import documents
from components.victoriametrics import vmrule_document
from tests.conftest import STACKS

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
KINDS = {
    "operator.victoriametrics.com/v1beta1": "VMRule",
    "sloth.slok.dev/v1": "PrometheusServiceLevel",
    "pyrra.dev/v1alpha1": "ServiceLevelObjective",
}


@pytest.fixture(scope="module", params=STACKS)
def run(request):
    inventory = recorder.run(request.param)
    return inventory, inventory.stack_built.artifacts


def test_a_vmrule_document_reads_back_as_its_rule_file(run):
    _, artifacts = run
    assert artifacts.rule_files
    for name, content in artifacts.rule_files.items():
        doc = yaml.safe_load(vmrule_document(name, artifacts.rule_texts[name], "monitoring"))
        assert doc == {
            "apiVersion": "operator.victoriametrics.com/v1beta1",
            "kind": "VMRule",
            "metadata": {"name": name.removesuffix(".yaml"), "namespace": "monitoring"},
            "spec": content,
        }, name


def test_literal_blocks_keep_their_text_when_indented_under_spec():
    rule_file = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "sum(x)\n/\nsum(y)", "annotations": {
        "description": "  leading spaces\n\ntrailing line\n"}}]}]}
    from render.yamlio import dump

    assert yaml.safe_load(vmrule_document("f.yaml", dump(rule_file), "ns"))["spec"] == rule_file


def test_every_slo_object_is_in_exactly_one_group_and_named_as_the_provider_names_it(run):
    inventory, artifacts = run
    groups = [r for r in inventory.registered if r.type == CONFIG_GROUP]
    slo_types = {f"kubernetes:{api}:{kind}" for api, kind in KINDS.items()}
    assert groups and not [r for r in inventory.registered if r.type in slo_types]
    found: dict[tuple[str, str], str] = {}
    for group in groups:
        for doc in yaml.safe_load_all(group.inputs["yaml"]):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} is in {found.get(key)} and {group.name}"
            found[key] = group.name
            assert doc["metadata"]["namespace"], "an explicit namespace: the provider never asks the cluster"
    expected = {("VMRule", n.removesuffix(".yaml")) for n in artifacts.rule_files}
    expected |= {(o["kind"], o["metadata"]["name"]) for o in (*artifacts.sloth_slos, *artifacts.pyrra_slos)}
    assert set(found) == expected
    children = {r.name: r for r in inventory.resources if r.parent in {g.urn for g in groups}}
    assert len(children) == len(expected)
    for group in groups:
        for doc in yaml.safe_load_all(group.inputs["yaml"]):
            child = children[f"{group.inputs['resourcePrefix']}:{doc['metadata']['namespace']}/{doc['metadata']['name']}"]
            assert child.type == f"kubernetes:{doc['apiVersion']}:{doc['kind']}" and child.inputs == doc


def test_each_team_owns_one_group_per_system(run):
    inventory, artifacts = run
    groups = {r.name for r in inventory.registered if r.type == CONFIG_GROUP}
    teams = {o["metadata"]["labels"]["alerting-platform.dev/team"] for o in artifacts.pyrra_slos}
    for team in teams:
        assert any(g.endswith(f"-pyrra-slos-{team}") for g in groups), team
        assert any(g.endswith(f"-sloth-slos-{team}") for g in groups), team
    for group in (g for g in inventory.registered if g.type == CONFIG_GROUP and "-rules-" in g.name):
        owner = group.name.rsplit("-rules-", 1)[1]
        for doc in yaml.safe_load_all(group.inputs["yaml"]):
            alerts = [r for g in doc["spec"]["groups"] for r in g["rules"] if "alert" in r]
            owners = {r["labels"].get("team") for r in alerts}
            assert owners == {owner} if owner != "shared" else len(owners) != 1, (group.name, doc["metadata"]["name"])


def test_a_stream_of_documents_reads_back_as_the_documents():
    from render.yamlio import dump

    docs = [{"a": 1}, {"b": ["x", "y"]}, {"c": "multi\nline"}]
    assert list(yaml.safe_load_all(documents([dump(d) for d in docs]))) == docs
