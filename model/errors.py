"""Errors about user input that name the file and the field, and never echo a value that could be a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

Loc = Sequence[str | int]


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


def format_path(loc: Loc) -> str:
    """('teams', 0, 'services', 2, 'tier') -> 'teams[0].services[2].tier'.

    A key that is not a plain word (a label name with spaces, quotes or control characters) is written quoted,
    `labels["a b"]`, so a problem stays one line whatever the key; pydantic's `[key]` marker adds nothing to it.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        elif _PLAIN_KEY.match(str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += "[" + json.dumps(str(part), ensure_ascii=False) + "]"
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (source file and field path) and what."""

    source: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.path}: {self.message}"


class InputError(Exception):
    """Bad catalog or stack configuration; its text is one `file: field: message` line per problem."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CrossReferenceError(Exception):
    """Raised by model validators for problems between objects (dangling names, cycles).

    It is deliberately not a ValueError, so pydantic lets it through unchanged with its own field paths,
    which the loaders then prefix with the file the object came from.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{format_path(loc)}: {msg}" for loc, msg in self.problems))


def _message(err: dict) -> str:
    msg = err["msg"]
    # pydantic prefixes errors raised in validators with "Value error, "; the prefix says nothing to a user.
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems_from(exc: ValidationError, source: str, prefix: Loc = (), locate=None) -> list[Problem]:
    """Turn a pydantic error into problems; `locate` may map a field path to (source, path) for merged inputs."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(prefix) + tuple(err["loc"])
        src, where = locate(loc) if locate else (source, format_path(loc))
        problems.append(Problem(src, where, _message(err)))
    return problems


def problems_from_references(exc: CrossReferenceError, source: str, prefix: Loc = (), locate=None) -> list[Problem]:
    problems = []
    for loc, msg in exc.problems:
        full = tuple(prefix) + tuple(loc)
        src, where = locate(full) if locate else (source, format_path(full))
        problems.append(Problem(src, where, msg))
    return problems
