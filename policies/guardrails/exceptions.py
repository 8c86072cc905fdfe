"""Exceptions to the guardrails: reviewed entries in `policies/exceptions.yaml`, each with a reason and an approver.

An exception names one policy, the resource it excuses (as violations name it, e.g. `Release falco/falco`; `*`
and `?` are wildcards) and optionally where inside it (`where`, e.g. one workload of a chart). An exception past its
`expires` date no longer excuses anything, and the violation says that it expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "exceptions.yaml"
_FIELDS = {"policy", "resource", "where", "reason", "approvedBy", "expires"}


def _glob(text: str, pattern: str) -> bool:
    """`*` and `?` are wildcards; brackets are literal, as in `spec.experiments[0]`."""
    return fnmatchcase(text, pattern.replace("[", "[[]"))


class ExceptionsError(ValueError):
    """The exceptions file is wrong: one (file, field, message) per problem, never a value from the file."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(": ".join(p) for p in problems))


@dataclass(frozen=True)
class PolicyException:
    """One granted exception."""

    policy: str
    resource: str
    reason: str
    approved_by: str
    where: str = "*"
    expires: dt.date | None = None

    def covers(self, policy: str, subject: str, where: str) -> bool:
        return self.policy == policy and _glob(subject, self.resource) and _glob(where or "", self.where)

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class Applied:
    """An exception that excused a violation, for the record the offline runner prints."""

    policy: str
    subject: str
    where: str
    message: str
    exception: PolicyException


@dataclass
class ExceptionBook:
    """The exceptions in force, and the violations they excused so far."""

    exceptions: tuple[PolicyException, ...] = ()
    source: str = "exceptions.yaml"
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    applied: list[Applied] = field(default_factory=list)

    def find(self, policy: str, subject: str, where: str) -> PolicyException | None:
        """The first exception covering this violation, expired or not."""
        return next((e for e in self.exceptions if e.covers(policy, subject, where)), None)


def parse(document: object, source: str, policy_names: Iterable[str]) -> tuple[PolicyException, ...]:
    """Validated exceptions from the parsed YAML document; every problem at once, never the values themselves."""
    names = set(policy_names)
    problems: list[tuple[str, str, str]] = []
    if document is None:
        return ()
    if not isinstance(document, dict) or set(document) - {"exceptions"}:
        raise ExceptionsError([(source, "(file)", "must be a mapping with one key, `exceptions`")])
    entries = document.get("exceptions") or []
    if not isinstance(entries, list):
        raise ExceptionsError([(source, "exceptions", "must be a list")])
    out = []
    for index, entry in enumerate(entries):
        where = f"exceptions[{index}]"
        if not isinstance(entry, dict):
            problems.append((source, where, "must be a mapping"))
            continue
        for unknown in sorted(set(entry) - _FIELDS):
            problems.append((source, f"{where}.{unknown}", f"unknown field (known: {', '.join(sorted(_FIELDS))})"))
        for required in ("policy", "resource", "reason", "approvedBy"):
            if not isinstance(entry.get(required), str) or not entry[required].strip():
                problems.append((source, f"{where}.{required}", "required, a non-empty string"))
        if isinstance(entry.get("policy"), str) and entry["policy"] not in names:
            problems.append((source, f"{where}.policy", "no policy of that name in the pack"))
        expires = entry.get("expires")
        if expires is not None and not isinstance(expires, dt.date):
            try:
                expires = dt.date.fromisoformat(str(expires))
            except ValueError:
                problems.append((source, f"{where}.expires", "must be a date (YYYY-MM-DD)"))
                expires = None
        if not problems:
            out.append(
                PolicyException(
                    policy=entry["policy"],
                    resource=entry["resource"],
                    reason=" ".join(entry["reason"].split()),
                    approved_by=entry["approvedBy"],
                    where=str(entry.get("where") or "*"),
                    expires=expires,
                )
            )
    if problems:
        raise ExceptionsError(problems)
    return tuple(out)


def load(path: Path, policy_names: Iterable[str], today: dt.date | None = None) -> ExceptionBook:
    """The exception book of a file; a missing file means no exceptions."""
    source = path.name
    if not path.exists():
        return ExceptionBook(source=source, **({"today": today} if today else {}))
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else "(file)"
        raise ExceptionsError([(source, at, "not valid YAML")]) from None
    book = ExceptionBook(exceptions=parse(document, source, policy_names), source=source)
    if today:
        book.today = today
    return book
