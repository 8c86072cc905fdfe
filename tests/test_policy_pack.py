"""The pack itself: its layout, its policies' levels and schemas, and the pack served over gRPC as the CLI starts it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading

import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from cli import policy
from policies import guardrails
from tests.conftest import PROJECT_DIR
from tests.policy_support import changed, resources

PACK = PROJECT_DIR / "policies"
ADVISORY = {"alertmanager-receivers-used"}


def pins(path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.split("==") for line in lines if "==" in line)


def test_the_pack_is_a_python_crossguard_pack_pinned_like_the_program():
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python" and re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    pack, program = pins(PACK / "requirements.txt"), pins(PROJECT_DIR / "requirements.txt")
    assert set(pack) == {"pulumi", "pulumi-policy", "PyYAML"}
    assert {name: program[name] for name in pack} == pack


def test_main_only_builds_the_pack():
    tree = ast.parse((PACK / "__main__.py").read_text())
    statements = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    docstring, build = statements
    assert isinstance(docstring.value, ast.Constant)
    assert isinstance(build, ast.Expr) and build.value.func.id == "PolicyPack"


def test_the_pack_has_a_dozen_named_policies_with_sensible_levels():
    names = guardrails.POLICY_NAMES
    assert len(names) >= 12 and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9-]+", n) for n in names)
    levels = {p.name: p.enforcement_level for p in guardrails.POLICIES}
    assert {n for n, level in levels.items() if level == EnforcementLevel.ADVISORY} == ADVISORY
    assert all(level == EnforcementLevel.MANDATORY for n, level in levels.items() if n not in ADVISORY)
    assert all(p.description.endswith(".") for p in guardrails.POLICIES)


def test_the_documentation_describes_every_policy_at_its_level():
    text = (PROJECT_DIR / "docs" / "policies.md").read_text()
    for p in guardrails.POLICIES:
        assert f"| `{p.name}` | {p.enforcement_level.value} |" in text, p.name


def test_every_setting_has_a_type_and_a_default():
    with_settings = [p for p in guardrails.POLICIES if p.config_schema]
    assert len(with_settings) >= 12
    for p in with_settings:
        for key, spec in p.config_schema.properties.items():
            assert "type" in spec and "default" in spec, f"{p.name}.{key}"


class ServedPack:
    """The pack started the way the Pulumi CLI starts a Python pack: `python -m pulumi.policy <engine> .` in its directory."""

    def __init__(self, env: dict[str, str], directory=PACK) -> None:
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", "."],
            cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": "", **env},
        )
        port: list[str] = []
        reader = threading.Thread(target=lambda: port.append(self.process.stdout.readline().strip()), daemon=True)
        reader.start()
        reader.join(timeout=60)
        if not port or not port[0].isdigit():
            self.close()
            raise AssertionError(f"the pack did not start: {self.process.stderr.read() if self.process.stderr else ''}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port[0]}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def close(self) -> None:
        if getattr(self, "channel", None):
            self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def served():
    # The stack's configuration reaches a pack the way the CLI passes it: PULUMI_CONFIG and the stack's name.
    config = {"alerting-platform:environment": "prod", "alerting-platform:paging": "true"}
    pack = ServedPack({"PULUMI_CONFIG": json.dumps(config), "PULUMI_PROJECT": "alerting-platform",
                       "PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "true"})
    yield pack
    pack.close()


def test_the_served_pack_describes_every_policy_with_its_schema(served):
    info = served.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == guardrails.PACK_NAME
    assert [p.name for p in info.policies] == guardrails.POLICY_NAMES
    schemas = {p.name: dict(p.configSchema.properties) for p in info.policies}
    assert schemas["production-alertmanager-ha"]["minReplicas"]["default"] == 3


def test_the_served_pack_refuses_a_changed_program_resource(served):
    regs = changed(resources("dev"), "otel-collector-release", lambda i: i["values"]["image"].update(tag="latest"))
    otel = next(r for r in regs if r.name.endswith("otel-collector-release"))
    response = served.stub.Analyze(policy.analyze_request(otel), timeout=30)
    messages = {d.policyName: d.message for d in response.diagnostics}
    assert "the image uses the moving tag `latest`" in messages["kubernetes-pinned-images"]
    assert response.diagnostics[0].enforcementLevel == proto.MANDATORY


def test_the_served_pack_reads_the_stacks_config_to_know_it_is_production(served):
    regs = changed(resources("prod"), "alertmanager-release", lambda i: i["values"].update(replicaCount=2))
    request = proto.AnalyzeStackRequest(resources=[policy.analyzer_resource(r) for r in regs])
    response = served.stub.AnalyzeStack(request, timeout=60)
    messages = [d.message for d in response.diagnostics if d.policyName == "production-alertmanager-ha"]
    assert any("runs 2 Alertmanager replicas; production needs at least 3" in m for m in messages)


def test_a_stack_whose_config_says_production_is_production_whatever_its_name():
    config = {"alerting-platform:environment": "staging", "alerting-platform:production": "true"}
    pack = ServedPack({"PULUMI_CONFIG": json.dumps(config), "PULUMI_PROJECT": "alerting-platform",
                       "PULUMI_STACK": "staging", "PULUMI_DRY_RUN": "true"})
    try:
        regs = changed(resources("prod"), "alertmanager-release", lambda i: i["values"].update(replicaCount=2))
        request = proto.AnalyzeStackRequest(resources=[policy.analyzer_resource(r) for r in regs])
        response = pack.stub.AnalyzeStack(request, timeout=60)
    finally:
        pack.close()
    messages = [d.message for d in response.diagnostics if d.policyName == "production-alertmanager-ha"]
    assert any("runs 2 Alertmanager replicas; production needs at least 3" in m for m in messages)


def test_values_unknown_during_a_preview_do_not_stop_a_policy_judging_the_rest():
    analyzer = policy.servicer(policy.reconcile({}, "(none)"))
    policy.use_stack_config("dev")
    def preview(inputs: dict) -> None:
        inputs["namespace"] = UNKNOWN_STRING_VALUE
        inputs["values"]["image"] = {"tag": "latest"}

    [karma] = changed([r for r in resources("dev") if r.name.endswith("karma-release")], "karma-release", preview)
    response = analyzer.Analyze(policy.analyze_request(karma), None)
    messages = [d.message for d in response.diagnostics]
    assert any("Release (known after apply)/karma: `values.image`: the image uses the moving tag `latest`" in m for m in messages)


def test_a_value_a_policy_needs_that_is_unknown_during_a_preview_is_reported_as_not_run():
    analyzer = policy.servicer(policy.reconcile({}, "(none)"))
    policy.use_stack_config("prod")
    regs = changed(resources("prod"), "alertmanager-release", lambda i: i["values"].update(replicaCount=UNKNOWN_NUMBER_VALUE))
    response = analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[policy.analyzer_resource(r) for r in regs]), None)
    [diagnostic] = [d for d in response.diagnostics if d.policyName == "production-alertmanager-ha"]
    assert diagnostic.enforcementLevel == proto.ADVISORY
    assert "can't run policy 'production-alertmanager-ha'" in diagnostic.message and "during preview" in diagnostic.message


def test_a_pack_with_a_wrong_exceptions_file_refuses_to_start_and_names_the_field(tmp_path):
    import shutil

    copy = tmp_path / "policies"
    shutil.copytree(PACK, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "exceptions.yaml").write_text("exceptions:\n  - policy: kubernetes-non-root\n    resource: x\n")
    with pytest.raises(AssertionError) as refused:
        ServedPack({}, directory=copy).close()
    assert "exceptions.yaml: exceptions[0].reason: required, a non-empty string" in str(refused.value)
