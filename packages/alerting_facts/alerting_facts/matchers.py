"""Alertmanager label matchers (`name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`).

A missing label matches as the empty string, and regexes are anchored at both ends, as in Alertmanager. Regexes run
on Python's `re`, which agrees with Go's RE2 on the syntax catalogs use (alternations of names, `.+`, `.*`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

OPERATORS = ("=~", "!~", "!=", "=")
_MATCHER = re.compile(
    r'^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*")\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*$', re.S
)
_REGEX_META = set(".^$*+?()[]{}|\\")


class MatcherError(ValueError):
    pass


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        body = text[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
    return text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str
    _compiled: re.Pattern | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self._compiled is None and self.op in ("=~", "!~"):
            try:
                object.__setattr__(self, "_compiled", re.compile(self.value))
            except re.error as exc:
                raise MatcherError(f"bad regex {self.value!r}: {exc}") from None

    @classmethod
    def parse(cls, text: str) -> Matcher:
        match = _MATCHER.match(text)
        if not match:
            raise MatcherError(f"not a label matcher: {text!r}")
        name, op, value = _unquote(match["name"]), match["op"], _unquote(match["value"])
        compiled = None
        if op in ("=~", "!~"):
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise MatcherError(f"bad regex in {text!r}: {exc}") from None
        return cls(name, op, value, compiled)

    @property
    def negative(self) -> bool:
        return self.op in ("!=", "!~")

    def matches_value(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = self._compiled.fullmatch(value) is not None  # type: ignore[union-attr]
        return hit if self.op == "=~" else not hit

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.matches_value(labels.get(self.name, ""))

    @cached_property
    def listed(self) -> frozenset[str] | None:
        """The finite set of values this matcher names (`=`), or whose alternation it is (`=~"a|b"`); else None."""
        if self.op in ("=", "!="):
            return frozenset({self.value})
        alternatives = literal_alternatives(self.value)
        return frozenset(alternatives) if alternatives is not None else None

    def __str__(self) -> str:
        return f"{self.name}{self.op}{_quote(self.value)}"


def literal_alternatives(pattern: str) -> list[str] | None:
    """The strings a regex matches when it is a plain alternation of literals (`a|b\\.c|`), else None."""
    out: list[str] = []
    current = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                return None  # \d, \w, ...: a class, not a literal
            current += pattern[i + 1]
            i += 2
            continue
        if char == "|":
            out.append(current)
            current = ""
        elif char in _REGEX_META:
            return None
        else:
            current += char
        i += 1
    out.append(current)
    return out


def parse_all(texts: Iterable[str]) -> tuple[Matcher, ...]:
    return tuple(Matcher.parse(t) for t in texts)


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
    """The matchers of one `matchers:` entry as Alertmanager's config reads it (labels.ParseMatchers): one matcher,
    or several separated by commas, optionally in braces (`{a="b", c=~"d"}`)."""
    text = entry.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    return [Matcher.parse(part) for part in _split(text)]


def describe(matchers: Iterable[Matcher]) -> str:
    listed = list(matchers)
    return "{" + ", ".join(map(str, listed)) + "}" if listed else "{}"


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def route_matchers(route: Mapping) -> tuple[Matcher, ...]:
    """A route's matchers, including the deprecated `match` and `match_re` maps."""
    out = [Matcher.parse(f"{name}={_quote(str(v))}") for name, v in sorted((route.get("match") or {}).items())]
    out += [Matcher.parse(f"{name}=~{_quote(str(v))}") for name, v in sorted((route.get("match_re") or {}).items())]
    out += [m for entry in route.get("matchers") or [] for m in parse_matchers(str(entry))]
    return tuple(out)
