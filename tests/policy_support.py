"""The program's own resources as the policy pack receives them, and ways to change them for a test.

Inventories come from running the real `__main__.py` under mocks (cli.recorder). `resource_args`/`stack_args`
wrap a registration the way the engine presents it to the pack: inputs marshalled to a protobuf Struct (numbers
become floats), unmarshalled by pulumi_policy (secrets unwrapped), behind its unknown-checking proxy.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from functools import cache

from google.protobuf import json_format
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from cli import recorder, policy
from cli.recorder import Registration
from policies import guardrails

NOT_APPLICABLE = "not applicable"


@cache
def _inventory(stack: str) -> recorder.Inventory:
    return recorder.run(stack)


def resources(stack: str) -> list[Registration]:
    """Every resource the program registers for `stack` (a fresh copy a test may change)."""
    return copy.deepcopy(_inventory(stack).resources)


def registered(body: Callable[[], None]) -> list[Registration]:
    """The resources `body` registers under the same mocks, e.g. one of the program's components."""
    return recorder.run_program(body).resources


def by_name(regs: list[Registration], suffix: str) -> Registration:
    return next(r for r in regs if r.name.endswith(suffix))


def changed(regs: list[Registration], suffix: str, change: Callable[[dict], None]) -> list[Registration]:
    """`regs` with the inputs of the resource named `...suffix` changed in place by `change`."""
    out = []
    for reg in regs:
        if reg.name.endswith(suffix):
            inputs = copy.deepcopy(reg.inputs)
            change(inputs)
            reg = dataclasses.replace(reg, inputs=inputs)
        out.append(reg)
    return out


def engine_props(inputs: dict):
    """Inputs as a policy receives them from the recorder."""
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(policy.struct(inputs))))


def _options(reg: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], reg.parent or None)


def resource_args(reg: Registration, config: dict | None = None) -> ResourceValidationArgs:
    return ResourceValidationArgs(reg.type, engine_props(reg.inputs), reg.urn, reg.name, _options(reg), None, config)


def stack_args(regs: list[Registration], config: dict | None = None) -> StackValidationArgs:
    """All resources, parents and dependencies linked the way the analyzer links them."""
    wrapped = {r.urn: PolicyResource(r.type, engine_props(r.inputs), r.urn, r.name, _options(r), None, None, [], {}) for r in regs}
    for reg in regs:
        wrapped[reg.urn].parent = wrapped.get(reg.parent)
        wrapped[reg.urn].dependencies.extend(wrapped[d] for d in reg.dependencies if d in wrapped)
    return StackValidationArgs(list(wrapped.values()), config)


def policy_named(name: str):
    return next(p for p in guardrails.POLICIES if p.name == name)


def violations(name: str, stack: str, regs: list[Registration], config: dict | None = None) -> list[str] | str:
    """The messages policy `name` reports on `regs` of `stack`, or NOT_APPLICABLE."""
    from pulumi_policy import StackValidationPolicy

    chosen = policy_named(name)
    policy.use_stack_config(stack)
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    try:
        if isinstance(chosen, StackValidationPolicy):
            chosen.validate(stack_args(regs, config), report)
        else:
            for reg in regs:
                chosen.validate(resource_args(reg, config), report)
    except _NotApplicableError:
        return NOT_APPLICABLE
    return found
