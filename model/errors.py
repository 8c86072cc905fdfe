"""Errors about user input that name the file and the field, and never echo a value that could be a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

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


def _unwrap(annotation: Any) -> tuple[Any, str | None]:
    """(the type inside Annotated and Optional, the discriminator a Field() on it names)."""
    discriminator = None
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            for meta in args[1:]:
                discriminator = getattr(meta, "discriminator", None) or discriminator
            annotation = args[0]
        elif origin in (Union, UnionType) and type(None) in get_args(annotation) and len(get_args(annotation)) == 2:
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation, discriminator


def _tags(union: Any, discriminator: str) -> dict[str, Any]:
    """Tag -> member of a discriminated union, from each member's Literal field."""
    out = {}
    for member in get_args(union):
        field = getattr(member, "model_fields", {}).get(discriminator)
        for tag in get_args(field.annotation) if field else ():
            out[tag] = member
    return out


def user_path(model: Any, loc: Loc) -> tuple[tuple, dict[str, Any] | None]:
    """The field path as the user wrote it: pydantic puts a discriminated union's tag into the path
    (`sli.ratio.total`, `budgets[0].backend.api_p99`), which the user never wrote. Also returns the union's
    tags where the path ends at one (to say which kinds exist)."""
    out: list = []
    current, discriminator, tags = model, None, None
    for part in loc:
        current, found = _unwrap(current)
        discriminator = found or discriminator
        if discriminator and get_origin(current) in (Union, UnionType):
            tags = _tags(current, discriminator)
            if part in tags:
                current, discriminator, tags = tags[part], None, None
                continue
        out.append(part)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None and isinstance(part, str):
                field = next((f for f in current.model_fields.values() if f.alias == part), None)
            current, discriminator = (field.annotation, field.discriminator) if field else (None, None)
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            current = None
    current, found = _unwrap(current)
    if (found or discriminator) and get_origin(current) in (Union, UnionType):
        tags = _tags(current, found or discriminator)
    return tuple(out), tags


def _message(err: dict, tags: dict[str, Any] | None) -> str:
    kinds = ", ".join(tags) if tags else ""
    if err["type"] == "union_tag_not_found" and kinds:
        return f"`kind` is missing: give one of {kinds}"
    if err["type"] == "union_tag_invalid" and kinds:
        return f"`kind` is none of the known kinds: {kinds}"
    msg = err["msg"]
    # pydantic prefixes errors raised in validators with "Value error, "; the prefix says nothing to a user.
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems_from(exc: ValidationError, source: str, prefix: Loc = (), locate=None, model: Any = None) -> list[Problem]:
    """Turn a pydantic error into problems; `locate` may map a field path to (source, path) for merged inputs.

    With the `model` validated, paths are written as the user wrote the input (no union tags pydantic adds).
    """
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc, tags = user_path(model, err["loc"]) if model is not None else (tuple(err["loc"]), None)
        loc = tuple(prefix) + loc
        src, where = locate(loc) if locate else (source, format_path(loc))
        problems.append(Problem(src, where, _message(err, tags)))
    return problems


def problems_from_references(exc: CrossReferenceError, source: str, prefix: Loc = (), locate=None) -> list[Problem]:
    problems = []
    for loc, msg in exc.problems:
        full = tuple(prefix) + tuple(loc)
        src, where = locate(full) if locate else (source, format_path(full))
        problems.append(Problem(src, where, msg))
    return problems
