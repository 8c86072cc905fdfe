"""The private parts of the Pulumi SDK and pulumi-policy the project relies on, through their one adapter.

No public API runs a program under mocks more than once per process, or serves a pack's analyzer without its gRPC
server; cli/sdk_internals.py reaches for these and no other module does. An upgrade that renames or reshapes one
fails here, naming it, rather than somewhere deep in a plan.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path

import pytest

from cli import sdk_internals

ROOT = Path(__file__).resolve().parent.parent
PRIVATE = ("_sync_await", "_PolicyAnalyzerServicer", "SETTINGS", "ROOT")
"""Private or module-internal names of pulumi.runtime and pulumi_policy the adapter uses."""


def test_a_coroutine_runs_to_its_result_on_the_sdk_loop():
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert sdk_internals.run_to_completion(answer()) == 42


def test_the_runtime_is_reset_between_runs():
    from pulumi.runtime import settings

    settings.ROOT.set("a root from an earlier run")
    sdk_internals.forget_root_resource()
    assert settings.ROOT.get() is None
    sdk_internals.clear_pending_work()
    assert callable(settings.SETTINGS.rpc_manager.clear) and not settings.SETTINGS.outputs


def test_the_policy_analyzer_is_built_from_what_the_pack_passes():
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    parameters = inspect.signature(_PolicyAnalyzerServicer.__init__).parameters
    assert {"name", "version", "policies", "enforcement_level", "description"} <= set(parameters)
    for method in ("Configure", "Analyze", "AnalyzeStack", "GetAnalyzerInfo"):
        assert callable(getattr(_PolicyAnalyzerServicer, method)), method
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

    policy = ResourceValidationPolicy("always-passes", "a policy that passes", lambda args, report: None)
    analyzer = sdk_internals.policy_analyzer("pack", "0.0.0", [policy], EnforcementLevel.ADVISORY, None)
    assert isinstance(analyzer, _PolicyAnalyzerServicer)


SOURCES = sorted(p for folder in ("cli", "components", "stacks", "render", "behaviour", "model", "policies", "scripts")
                 for p in (ROOT / folder).rglob("*.py") if p.name != "sdk_internals.py")


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(ROOT)) for p in SOURCES])
def test_no_other_module_reaches_into_the_sdks_private_parts(path):
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("pulumi", "pulumi_policy")):
            found += [a.name for a in node.names if a.name in PRIVATE or a.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE and isinstance(node.value, ast.Name) and node.value.id in {"runtime_settings", "settings"}:
            found.append(node.attr)
    assert not found, f"{path.relative_to(ROOT)} uses {found}: go through cli/sdk_internals.py"
