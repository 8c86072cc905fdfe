"""The pack against the real program's stacks, end to end: as `make policy` runs it and as the engine would call it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cli import policy
from policies import guardrails
from tests.conftest import PROJECT_DIR, STACKS
from tests.policy_support import _inventory

# Every exception the platform itself needs, per stack: (policy, resource, where pattern).
PLATFORM_EXCEPTIONS = {
    ("kubernetes-no-privileged-containers", "Release falco/falco", "*"),
    ("kubernetes-non-root", "Release falco/falco", "*"),
    ("kubernetes-non-root", "Release falco/falco-talon", "*"),
    ("kubernetes-no-privileged-containers", "Release litmus/litmus", "*"),
    ("kubernetes-non-root", "Release litmus/litmus", "*"),
    ("kubernetes-no-privileged-containers", "Release node-exporter/node-exporter", "*"),
    # The example catalog's monthly node drain (heavy chaos level), a node fault on purpose: docs/chaos.md.
    ("chaos-blast-radius", "ConfigMap edge/chaos-gateway-node-drain", "data.engine.yaml spec.experiments[0] node-drain"),
}


@pytest.fixture(scope="module", params=STACKS)
def outcome(request) -> policy.Outcome:
    return policy.run(request.param, inventory=_inventory(request.param))


def test_every_stack_passes_every_mandatory_policy(outcome):
    assert outcome.mandatory == []


def test_every_resource_and_policy_was_judged(outcome):
    inventory = _inventory(outcome.stack)
    assert outcome.resources == len(inventory.resources) > 40
    assert outcome.policies == len(guardrails.POLICIES) >= 12


def test_the_platform_needs_exactly_its_documented_exceptions(outcome):
    used = {(a.exception.policy, a.exception.resource, a.exception.where) for a in outcome.excepted}
    assert used == PLATFORM_EXCEPTIONS


def test_production_policies_apply_to_prod_only_and_paging_policies_where_paging_is_on(outcome):
    production = {"production-alertmanager-ha", "production-vmcluster-replicated"}
    paging = {"alertmanager-p0-routes-page", "alertmanager-p0-alerts-page"}
    if outcome.stack == "prod":
        assert not (production | paging) & set(outcome.not_applicable)
    else:
        assert set(outcome.not_applicable) == production | paging
        assert outcome.not_applicable["alertmanager-p0-routes-page"] == "stack dev pages nobody (`paging: false`)"


def test_both_stacks_pass_the_advisory_policies_too(outcome):
    assert outcome.at("advisory") == []


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", "policy", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("stack", STACKS)
def test_make_policy_prints_the_verdict_and_passes(stack):
    result = run_cli("--stack", stack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"policy pack alerting-platform-guardrails {policy.pack_version()} on stack {stack}" in result.stdout
    assert "0 mandatory" in result.stdout
    assert "excepted  kubernetes-non-root  Release falco/falco" in result.stdout


def test_a_mandatory_violation_prints_policy_resource_and_message_and_fails(tmp_path):
    config = tmp_path / "strict.json"
    config.write_text(json.dumps({"production-alertmanager-ha": {"minReplicas": 5}}))
    result = run_cli("--stack", "prod", "--policy-pack-config", str(config))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("MANDATORY production-alertmanager-ha"))
    assert "alerting-alertmanager-release" in lines[at]
    assert "runs 3 Alertmanager replicas; production needs at least 5" in lines[at + 1]


BAD_CONFIGS = {
    "An unknown policy name": ({"no-such-policy": "mandatory"}, "strict.json: no-such-policy: no policy of that name in the pack"),
    "An unknown enforcement level": ({"all": "sometimes"}, "strict.json: all: enforcement level must be one of"),
    "A setting of the wrong type": ({"production-alertmanager-ha": {"minReplicas": "three"}},
                                    "strict.json: production-alertmanager-ha.minReplicas: 'three' is not of type 'integer'"),
    "A setting the policy does not have": ({"kubernetes-non-root": {"strict": True}},
                                           "strict.json: kubernetes-non-root: Additional properties are not allowed"),
}


@pytest.mark.parametrize("config,message", BAD_CONFIGS.values(), ids=list(BAD_CONFIGS))
def test_a_bad_pack_config_is_refused_with_its_file_and_field(config, message, tmp_path):
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(config))
    result = run_cli("--stack", "dev", "--policy-pack-config", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_enforcement_levels_and_settings_reach_the_policies_as_the_cli_configures_them():
    inventory = _inventory("prod")
    config = policy.reconcile(
        {"all": "advisory", "kubernetes-requests-and-limits": {"enforcementLevel": "disabled"},
         "production-alertmanager-ha": {"enforcementLevel": "mandatory", "minReplicas": 5}},
        "test.json",
    )
    policy.load_exceptions()
    policy.use_stack_config("prod")
    outcome = policy.analyze(inventory.resources, "prod", config)
    ha = [d for d in outcome.diagnostics if d.policy == "production-alertmanager-ha"]
    assert [(d.level, d.message) for d in ha] == [
        ("mandatory", "Release monitoring/alertmanager: runs 3 Alertmanager replicas; production needs at least 5")
    ]
    assert {d.level for d in outcome.diagnostics if d.policy != "production-alertmanager-ha"} <= {"advisory"}
    assert not [d for d in outcome.diagnostics if d.policy == "kubernetes-requests-and-limits"]
