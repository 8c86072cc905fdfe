"""`make policy`: the CrossGuard pack in `policies/` against every resource the real program registers, offline.

The program runs under the Pulumi SDK's mocks (cli.recorder). Each recorded resource then goes to the pack the way
the engine sends it during `pulumi preview --policy-pack policies`: as an `AnalyzeRequest` whose properties are
a protobuf Struct (numbers become floats, secrets stay wrapped until the pack unwraps them), then all of them
at once as an `AnalyzeStackRequest`. The analyzer answering is pulumi_policy's own servicer, the one the pack
serves over gRPC, configured as the CLI configures it: each policy's enforcement level and its config with the
schema's defaults, from `--policy-pack-config`-style JSON. The pack also reads the stack's configuration, as it
does under the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime import proto

from cli.recorder import Inventory, Registration
from model.errors import InputError, Problem
from stacks import PROJECT_DIR

PACK_DIR = PROJECT_DIR / "policies"
LEVELS = {"advisory": proto.ADVISORY, "mandatory": proto.MANDATORY, "remediate": proto.REMEDIATE, "disabled": proto.DISABLED}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}


@dataclass(frozen=True)
class Diagnostic:
    """One violation as the engine would print it."""

    policy: str
    level: str
    urn: str
    message: str

    @property
    def resource(self) -> str:
        return self.urn.rsplit("::", 1)[-1] if self.urn else "(stack)"


@dataclass
class Outcome:
    """What the pack said about one stack."""

    stack: str
    resources: int
    policies: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: dict[str, str] = field(default_factory=dict)
    excepted: list = field(default_factory=list)

    def at(self, level: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == level]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return self.at("mandatory")


def guardrails():
    """The pack's policies module (imported lazily: it is the pack's code, not the program's)."""
    from policies import guardrails as module

    return module


def pack_version() -> str:
    return str(yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())["version"])


def struct(value: dict) -> struct_pb2.Struct:
    """Properties as the engine marshals them: a protobuf Struct."""
    out = struct_pb2.Struct()
    out.update(value)
    return out


def _level(value: Any, source: str, path: str) -> int:
    if not isinstance(value, str) or value.lower() not in LEVELS:
        raise InputError([Problem(source, path, f"enforcement level must be one of {', '.join(LEVELS)}")])
    return LEVELS[value.lower()]


def reconcile(user: dict[str, Any], source: str) -> dict[str, proto.PolicyConfig]:
    """Each policy's enforcement level and properties, the way the CLI reconciles `--policy-pack-config`.

    A policy's own entry overrides `all`, which overrides the policy's level; properties get the schema's
    defaults and are validated against the policy's schema (unknown keys are errors).
    """
    module = guardrails()
    policies = {p.name: p for p in module.POLICIES}
    if not isinstance(user, dict):
        raise InputError([Problem(source, "(file)", "must be a JSON object of policy name -> level or settings")])
    unknown = sorted(set(user) - set(policies) - {"all"})
    if unknown:
        raise InputError([Problem(source, name, "no policy of that name in the pack") for name in unknown])
    all_level = _level(user["all"], source, "all") if isinstance(user.get("all"), str) else None
    if isinstance(user.get("all"), dict) and "enforcementLevel" in user["all"]:
        all_level = _level(user["all"]["enforcementLevel"], source, "all.enforcementLevel")
    out = {}
    problems = []
    for name, policy in policies.items():
        entry = user.get(name)
        level = LEVELS[(policy.enforcement_level or module.ENFORCEMENT_LEVEL).value]
        if all_level is not None:
            level = all_level
        properties: dict[str, Any] = {}
        if isinstance(entry, str):
            level = _level(entry, source, name)
        elif isinstance(entry, dict):
            properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
            if "enforcementLevel" in entry:
                level = _level(entry["enforcementLevel"], source, f"{name}.enforcementLevel")
        elif entry is not None:
            problems.append(Problem(source, name, "must be an enforcement level or an object of settings"))
            continue
        schema_properties = policy.config_schema.properties if policy.config_schema else {}
        schema = {"type": "object", "properties": schema_properties, "additionalProperties": False}
        for error in jsonschema.Draft7Validator(schema).iter_errors(properties):
            where = ".".join([name, *map(str, error.absolute_path)]) if error.absolute_path else name
            problems.append(Problem(source, where, error.message))
        settings = {k: spec["default"] for k, spec in schema_properties.items() if "default" in spec}
        settings.update(properties)
        config = proto.PolicyConfig(enforcementLevel=level)
        if settings:
            config.properties.update(settings)
        out[name] = config
    if problems:
        raise InputError(problems)
    return out


def load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(path.name, "(file)", "no such file")]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(path.name, f"line {exc.lineno}", "not valid JSON")]) from None


def _options(reg: Registration) -> proto.AnalyzerResourceOptions:
    return proto.AnalyzerResourceOptions(parent=reg.parent or "")


def analyze_request(reg: Registration) -> proto.AnalyzeRequest:
    """One resource as the engine asks the pack about it before creating or updating it."""
    return proto.AnalyzeRequest(type=reg.type, properties=struct(reg.inputs), urn=reg.urn, name=reg.name, options=_options(reg))


def analyzer_resource(reg: Registration) -> proto.AnalyzerResource:
    """One resource as the engine lists it for the stack policies (preview: its inputs stand for its outputs)."""
    return proto.AnalyzerResource(
        type=reg.type, properties=struct(reg.inputs), urn=reg.urn, name=reg.name, options=_options(reg),
        parent=reg.parent or "", dependencies=list(reg.dependencies),
    )


def servicer(config: dict[str, proto.PolicyConfig]):
    """The analyzer the pack serves, configured."""
    from cli.sdk_internals import policy_analyzer

    arguments = guardrails().pack_arguments()
    analyzer = policy_analyzer(
        name=arguments["name"], version=pack_version(), policies=arguments["policies"],
        enforcement_level=arguments["enforcement_level"], description=arguments.get("description"),
    )
    analyzer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=config), None)
    return analyzer


def _collect(outcome: Outcome, response) -> None:
    for d in response.diagnostics:
        message = d.message.split("\n", 1)[1] if "\n" in d.message else d.message
        outcome.diagnostics.append(Diagnostic(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.urn, message))
    for n in response.not_applicable:
        outcome.not_applicable[n.policy_name] = n.reason


def analyze(resources: Iterable[Registration], stack: str, config: dict[str, proto.PolicyConfig]) -> Outcome:
    """Every resource through the resource policies, then all of them through the stack policies."""
    module = guardrails()
    book = module.framework.exception_book()
    book.applied.clear()
    analyzer = servicer(config)
    resources = list(resources)
    outcome = Outcome(stack=stack, resources=len(resources), policies=len(module.POLICIES))
    for reg in resources:
        _collect(outcome, analyzer.Analyze(analyze_request(reg), None))
    _collect(outcome, analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[analyzer_resource(r) for r in resources]), None))
    outcome.excepted = list(book.applied)
    return outcome


def use_stack_config(stack: str) -> None:
    """The stack's configuration where the pack reads it, as the CLI provides it to a policy pack."""
    import pulumi

    from cli import recorder

    config, secret_keys, _ = recorder.stack_config(stack)
    pulumi.runtime.set_all_config(config, secret_keys)


def load_exceptions() -> None:
    """The pack's exceptions file, with its problems as input errors (exit code 2)."""
    module = guardrails()
    from policies.guardrails import exceptions

    try:
        module.framework.use_exceptions(exceptions.load(exceptions.DEFAULT_FILE, module.POLICY_NAMES))
    except exceptions.ExceptionsError as exc:
        raise InputError([Problem(*problem) for problem in exc.problems]) from None


def run(stack: str, config_file: Path | None = None, inventory: Inventory | None = None) -> Outcome:
    """The pack against the real program's resources for `stack`."""
    from cli import recorder

    config = reconcile(load_config(config_file), config_file.name if config_file else "(pack config)")
    load_exceptions()
    inventory = inventory or recorder.run(stack)
    use_stack_config(stack)
    return analyze(inventory.resources, stack, config)


def print_outcome(outcome: Outcome, out) -> bool:
    """Print every violation (policy, resource, message), what did not apply and what was excepted; True if none is mandatory."""
    from rich.markup import escape

    module = guardrails()
    out.print(
        f"[bold]policy pack {module.PACK_NAME} {pack_version()}[/bold] on stack {outcome.stack}: "
        f"{outcome.resources} resources, {outcome.policies} policies"
    )
    for d in sorted(outcome.diagnostics, key=lambda d: (d.level != "mandatory", d.policy, d.resource, d.message)):
        colour = "red" if d.level == "mandatory" else "yellow"
        out.print(f"[{colour}]{d.level.upper():9}[/{colour}] {escape(d.policy)}  [dim]{escape(d.resource)}[/dim]")
        out.print(f"          {escape(d.message)}", soft_wrap=True)
    for name, reason in sorted(outcome.not_applicable.items()):
        out.print(f"[dim]n/a[/dim]       {escape(name)}: {escape(reason)}")
    book = module.framework.exception_book()
    by_exception: dict[int, list] = {}
    for applied in outcome.excepted:
        by_exception.setdefault(id(applied.exception), []).append(applied)
    for applied in by_exception.values():
        granted = applied[0].exception
        until = f", until {granted.expires.isoformat()}" if granted.expires else ""
        where = f" {granted.where}" if granted.where != "*" else ""
        out.print(
            f"[cyan]excepted[/cyan]  {escape(granted.policy)}  {escape(granted.resource + where)}: "
            f"{len(applied)} violation{'s' if len(applied) > 1 else ''} [dim](approved by {escape(granted.approved_by)}"
            f"{until}; {book.source})[/dim]"
        )
        out.print(f"          [dim]{escape(granted.reason)}[/dim]", soft_wrap=True)
    mandatory, advisory = len(outcome.mandatory), len(outcome.at("advisory"))
    out.print(f"{mandatory} mandatory, {advisory} advisory violations; {len(outcome.excepted)} excepted")
    return mandatory == 0
