"""Alertmanager's routing tree as Alertmanager walks it: matchers, `continue`, inherited receivers.

`route()` answers what `amtool config routes test` answers (the tests hold the two side by side): the receivers
an alert with given labels reaches. It ignores time intervals, inhibition and silences, as amtool does. The
matchers and the walk are the program's own (alerting_facts), so the pack reads a config the way the program
wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from alerting_facts.matchers import Matcher, MatcherError, describe, parse_matchers, route_matchers
from alerting_facts.tree import build

__all__ = ["Matcher", "MatcherError", "Node", "describe", "nodes", "parse_matchers", "probe", "route", "route_matchers"]


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
    if not isinstance(config.get("route"), dict):
        return
    for r in build(config).walk():
        ancestors = tuple(m for above in r.lineage()[:-1] for m in above.matchers)
        yield Node(r.path, dict(r.document), r.matchers, ancestors, r.receiver or None)


def route(config: dict, labels: dict[str, str]) -> list[str]:
    """The receivers an alert with `labels` reaches, in tree order, the way Alertmanager's dispatcher finds them."""
    if not isinstance(config.get("route"), dict):
        return []
    return [r.receiver for r in build(config).match(labels)]


def receivers(config: dict) -> dict[str, dict]:
    return {str(r.get("name")): r for r in config.get("receivers") or [] if isinstance(r, dict)}


def integrations(receiver: dict) -> list[str]:
    """The kinds of notification a receiver sends (`slack_configs`, ...), those with at least one entry."""
    return sorted(key for key, value in receiver.items() if key.endswith("_configs") and value)


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
