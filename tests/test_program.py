"""The real Pulumi program (`__main__.py`) under the SDK's mocks, for both stacks."""

from __future__ import annotations

import pytest

from cli import recorder
from tests.conftest import STACKS, stack_values

RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module", params=STACKS)
def inventory(request) -> recorder.Inventory:
    return recorder.run(request.param)


def test_the_program_registers_a_platform_with_its_components(inventory):
    platform = inventory.of_type("alerting:index:Platform")
    assert len(platform) == 1
    components = [r for r in inventory.children(platform[0].urn) if not r.custom]
    assert {c.type for c in components} >= {"alerting:index:Alertmanager", "alerting:index:VictoriaMetrics"}


def test_every_child_is_parented_to_a_component_of_the_program(inventory):
    urns = {r.urn for r in inventory.resources}
    roots = [r for r in inventory.resources if r.parent not in urns]
    assert [r.type for r in roots] == ["alerting:index:Platform"]


def test_every_helm_release_is_pinned_to_a_repository_and_version(inventory):
    releases = inventory.of_type(RELEASE)
    assert releases
    for rel in releases:
        assert rel.inputs["chart"] and rel.inputs["version"] and rel.inputs["repositoryOpts"]["repo"].startswith("https://")


def test_the_alertmanager_release_runs_the_rendered_config(inventory):
    (am,) = [r for r in inventory.of_type(RELEASE) if r.inputs["chart"] == "alertmanager"]
    config = am.inputs["values"]["config"]
    assert config["route"]["receiver"] == "catch-all"
    expected = 1 if inventory.stack == "dev" else 3
    assert am.inputs["values"]["replicaCount"] == expected


def test_receiver_credentials_reach_the_cluster_only_as_a_pulumi_secret(inventory):
    secret = inventory.by_name("alerting-alertmanager-receivers")
    assert recorder.is_secret(secret.inputs["stringData"])
    revealed = recorder.reveal(secret.inputs["stringData"])
    assert revealed["slack-bot-token"] == recorder.placeholder("slack-bot-token")


def test_no_placeholder_secret_appears_outside_kubernetes_secrets_and_provider_credentials(inventory):
    # OnCall keeps a webhook's Authorization header and password encrypted; here too they are only secret outputs.
    carriers = ("kubernetes:core/v1:Secret", "pulumi:providers:grafana", "grafana:onCall/outgoingWebhook:OutgoingWebhook")
    for res in inventory.resources:
        if res.type in carriers:
            assert not any(v in repr(recorder.redact(res.inputs)) for v in inventory.placeholders.values()), res.name
            continue
        text = repr(recorder.reveal(res.inputs))
        for value in inventory.placeholders.values():
            assert value not in text, f"{res.name} carries the secret of {value}"


def test_custom_resources_wait_for_the_release_that_installs_their_crds(inventory):
    operator = next(r for r in inventory.of_type(RELEASE) if r.inputs["chart"] == "victoria-metrics-operator")
    rules = inventory.of_type("kubernetes:operator.victoriametrics.com/v1beta1:VMRule")
    assert rules
    # The VMRules live in ConfigGroups; a v2 ConfigGroup's children wait for what the group depends on.
    groups = [inventory.by_urn(urn) for urn in sorted({r.parent for r in rules})]
    assert {g.type for g in groups} == {"kubernetes:yaml/v2:ConfigGroup"}
    assert all(operator.urn in g.dependencies for g in groups)


def test_stack_outputs_are_the_urls_people_need(inventory):
    urls = inventory.outputs["urls"]
    assert urls["karma"].startswith("https://karma.") and urls["grafana"].startswith("https://grafana.")
    # Where people sign in (prod), Alertmanager's own UI is not published: silences go through Karma's ACLs.
    user_header = (stack_values(inventory.stack).get("alerting-platform:access") or {}).get("userHeader")
    assert ("alertmanager" in urls) == (not user_header)
    if not user_header:
        assert urls["alertmanager"].startswith("https://alertmanager.")
