"""How every guardrail is built: its config with defaults, violations that name the resource, exceptions applied.

A check is a small function `(args, config, report)`; `resource_policy` and `stack_policy` wrap it into a
CrossGuard policy whose config schema carries the defaults, so a check always sees every setting whether or
not the pack's configuration names it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from . import exceptions

Report = Callable[..., None]
Check = Callable[[Any, dict, "Reporter"], None]

_book: exceptions.ExceptionBook | None = None


def exception_book() -> exceptions.ExceptionBook:
    """The exceptions in force: `policies/exceptions.yaml`, loaded on first use."""
    global _book
    if _book is None:
        from . import POLICY_NAMES

        _book = exceptions.load(exceptions.DEFAULT_FILE, POLICY_NAMES)
    return _book


def use_exceptions(book: exceptions.ExceptionBook | None) -> None:
    """Replace the exceptions in force (the offline runner and tests); None reloads the file on next use."""
    global _book
    _book = book


class Reporter:
    """Reports a violation as `<resource>[ <where>]: <message>` unless an exception in force excuses it."""

    def __init__(self, policy: str, report_violation: Report) -> None:
        self.policy = policy
        self._report = report_violation

    def __call__(self, subject: str, message: str, where: str = "", urn: str | None = None) -> None:
        book = exception_book()
        granted = book.find(self.policy, subject, where)
        if granted is not None and not granted.expired(book.today):
            book.applied.append(exceptions.Applied(self.policy, subject, where, message, granted))
            return
        text = f"{subject}{' ' + where if where else ''}: {message}"
        if granted is not None:
            text += f" (its exception in {book.source} expired on {granted.expires.isoformat()})"
        self._report(text, urn)


def _whole(value: Any) -> Any:
    """Config arrives through protobuf, where every number is a float: 3.0 -> 3, so messages read naturally."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def with_defaults(config: Any, schema: dict[str, dict]) -> dict:
    """The policy's configuration: the schema's defaults, overridden by what the pack's configuration sets."""
    settings = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
    settings.update({key: _whole(value) for key, value in dict(config or {}).items()})
    return settings


def _policy(kind: type, name: str, description: str, check: Check, level: EnforcementLevel, severity: Severity,
            schema: dict[str, dict] | None, remediation: str | None):
    schema = schema or {}

    def validate(args, report_violation) -> None:
        check(args, with_defaults(args.get_config(), schema), Reporter(name, report_violation))

    return kind(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        config_schema=PolicyConfigSchema(properties=schema) if schema else None,
        severity=severity,
        remediation_steps=remediation,
    )


def resource_policy(
    name: str,
    description: str,
    check: Check,
    *,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    severity: Severity = Severity.HIGH,
    schema: dict[str, dict] | None = None,
    remediation: str | None = None,
) -> ResourceValidationPolicy:
    """A policy judging one resource at a time, before it is created or updated."""
    return _policy(ResourceValidationPolicy, name, description, check, level, severity, schema, remediation)


def stack_policy(
    name: str,
    description: str,
    check: Check,
    *,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    severity: Severity = Severity.HIGH,
    schema: dict[str, dict] | None = None,
    remediation: str | None = None,
) -> StackValidationPolicy:
    """A policy judging the stack's resources together, once all of them are known."""
    return _policy(StackValidationPolicy, name, description, check, level, severity, schema, remediation)
