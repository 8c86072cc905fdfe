"""The only place the project touches private parts of the Pulumi SDK and pulumi-policy.

No public API runs a program under mocks more than once per process, or serves a pack's analyzer without its gRPC
server. The offline runner (cli/recorder.py) and the policy runner (cli/policy.py) go through these functions and
nothing else; tests/test_sdk_internals.py fails, naming the part, when an upgrade renames or reshapes one.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_completion(awaitable: Awaitable[T]) -> T:
    """Run a coroutine on the SDK's own event loop, as `pulumi up` runs a program (pulumi.runtime.sync_await)."""
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(awaitable)


def forget_root_resource() -> None:
    """Forget the root stack resource of an earlier run in this process, before the mocks are set."""
    from pulumi.runtime import settings

    settings.ROOT.set(None)


def clear_pending_work() -> None:
    """Drop the pending RPCs and outputs of an earlier run, once the mocks are set."""
    from pulumi.runtime import settings

    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()


def policy_analyzer(name: str, version: str, policies: list, enforcement_level: Any, description: str | None) -> Any:
    """The analyzer `PolicyPack` serves over gRPC, built without the server (pulumi_policy.policy)."""
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    return _PolicyAnalyzerServicer(
        name=name, version=version, policies=policies, enforcement_level=enforcement_level, description=description,
    )
