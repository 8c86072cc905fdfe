"""Alertmanager's routing tree as Alertmanager walks it: matchers, `continue`, inherited receivers.

`route()` answers what `amtool config routes test` answers (the tests hold the two side by side): the receivers
an alert with given labels reaches. It ignores time intervals, inhibition and silences, as amtool does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MATCHER = re.compile(r'^\s*"?([^"=!~\s]+)"?\s*(=~|!~|!=|=)\s*(.*?)\s*$')


class MatcherError(ValueError):
    pass


@dataclass(frozen=True)
class Matcher:
    """One label matcher: `name op value`, regexes anchored like Alertmanager's."""

    name: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(f"(?:{self.value})", actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return bytes(value[1:-1], "utf-8").decode("unicode_escape")
    return value


def _split(text: str) -> list[str]:
    """Comma-separated matchers, commas inside quotes kept."""
    parts, current, quoted, escaped = [], "", False, False
    for char in text:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == '"':
            current, quoted = current + char, not quoted
        elif char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_matchers(entry: str) -> list[Matcher]:
    """The matchers of one `matchers:` entry (`a="b"`, or `{a="b", c=~"d"}`)."""
    text = entry.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    out = []
    for part in _split(text):
        match = _MATCHER.match(part)
        if not match:
            raise MatcherError(f"bad matcher {part.strip()!r}")
        name, op, value = match.groups()
        out.append(Matcher(name, op, _unquote(value)))
    return out


def route_matchers(route: dict) -> list[Matcher]:
    """Every matcher of one route: `matchers` and the deprecated `match` / `match_re`."""
    out: list[Matcher] = []
    for entry in route.get("matchers") or []:
        out.extend(parse_matchers(str(entry)))
    for name, value in (route.get("match") or {}).items():
        out.append(Matcher(str(name), "=", str(value)))
    for name, value in (route.get("match_re") or {}).items():
        out.append(Matcher(str(name), "=~", str(value)))
    return out


@dataclass(frozen=True)
class Node:
    """A route in the tree: where it is, its own matchers, those of its ancestors, the receiver it sends to."""

    path: str
    route: dict
    matchers: tuple[Matcher, ...]
    ancestors: tuple[Matcher, ...]
    receiver: str | None
    """Its own receiver, or the one it inherits."""


def nodes(config: dict) -> Iterator[Node]:
    """Every route of a config, root first, depth first."""

    def visit(route: dict, path: str, ancestors: tuple[Matcher, ...], inherited: str | None) -> Iterator[Node]:
        own = tuple(route_matchers(route))
        receiver = route.get("receiver") or inherited
        yield Node(path, route, own, ancestors, receiver)
        for index, child in enumerate(route.get("routes") or []):
            if isinstance(child, dict):
                yield from visit(child, f"{path}.routes[{index}]", ancestors + own, receiver)

    root = config.get("route")
    if isinstance(root, dict):
        yield from visit(root, "route", (), None)


def route(config: dict, labels: dict[str, str]) -> list[str]:
    """The receivers an alert with `labels` reaches, in tree order, the way Alertmanager's dispatcher finds them."""

    def match(node: dict, inherited: str | None) -> list[str]:
        if not all(m.matches(labels) for m in route_matchers(node)):
            return []
        receiver = node.get("receiver") or inherited
        reached: list[str] = []
        for child in node.get("routes") or []:
            if not isinstance(child, dict):
                continue
            found = match(child, receiver)
            reached.extend(found)
            if found and not child.get("continue", False):
                break
        return reached or [receiver or ""]

    root = config.get("route")
    return match(root, None) if isinstance(root, dict) else []


def receivers(config: dict) -> dict[str, dict]:
    return {str(r.get("name")): r for r in config.get("receivers") or [] if isinstance(r, dict)}


def integrations(receiver: dict) -> list[str]:
    """The kinds of notification a receiver sends (`slack_configs`, ...), those with at least one entry."""
    return sorted(key for key, value in receiver.items() if key.endswith("_configs") and value)


def describe(matchers: tuple[Matcher, ...] | list[Matcher]) -> str:
    return "{" + ", ".join(map(str, matchers)) + "}" if matchers else "{}"


def sample_value(matcher: Matcher) -> str | None:
    """A label value the matcher accepts, when one can be read off it (a literal or an alternation of literals)."""
    if matcher.op == "=":
        return matcher.value
    if matcher.op in ("!=", "!~"):
        return "" if matcher.matches({}) else None
    for alternative in matcher.value.strip("()").split("|"):
        if re.fullmatch(r"[\w.:/ -]*", alternative) and matcher.matches({matcher.name: alternative}):
            return alternative
    return None


def probe(matchers: list[Matcher], fixed: dict[str, str]) -> dict[str, str] | None:
    """Labels satisfying every matcher, starting from `fixed`; None when no such labels can be read off them."""
    labels = dict(fixed)
    for matcher in matchers:
        if matcher.name in labels:
            continue
        value = sample_value(matcher)
        if value is None:
            return None
        if value:
            labels[matcher.name] = value
    return labels if all(m.matches(labels) for m in matchers) else None


def as_config(value: Any) -> dict | None:
    """An Alertmanager config given as a mapping or as YAML text."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        import yaml

        try:
            loaded = yaml.safe_load(value)
        except yaml.YAMLError:
            return None
        return loaded if isinstance(loaded, dict) else None
    return None
