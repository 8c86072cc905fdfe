"""The private parts of the Pulumi SDK and pulumi-policy the offline runner relies on, as it uses them.

No public API runs a program under mocks more than once per process, or serves a pack's analyzer without its gRPC
server; cli/engine.py and cli/policy.py reach for these and nothing else. An upgrade that renames or reshapes one
fails here, naming it, rather than somewhere deep in a plan.
"""

from __future__ import annotations

import asyncio
import inspect


def test_sync_await_runs_a_coroutine_to_its_result():
    from pulumi.runtime.sync_await import _sync_await

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert _sync_await(answer()) == 42


def test_the_runtime_settings_hold_the_rpc_manager_and_outputs_the_runner_clears_between_runs():
    from pulumi.runtime import settings as runtime_settings

    assert callable(runtime_settings.SETTINGS.rpc_manager.clear)
    assert callable(runtime_settings.SETTINGS.outputs.clear)


def test_the_policy_analyzer_servicer_takes_what_the_runner_passes_and_configures_like_the_served_pack():
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    parameters = inspect.signature(_PolicyAnalyzerServicer.__init__).parameters
    assert {"name", "version", "policies", "enforcement_level", "description"} <= set(parameters)
    for method in ("Configure", "Analyze", "AnalyzeStack", "GetAnalyzerInfo"):
        assert callable(getattr(_PolicyAnalyzerServicer, method)), method
