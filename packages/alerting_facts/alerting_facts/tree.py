"""The routing tree as Alertmanager builds it (dispatch.NewRoute) and walks it (dispatch.Route.Match).

Children inherit the receiver, grouping and timing they do not set; `mute_time_intervals` and
`active_time_intervals` are not inherited. An alert descends depth-first, left to right; the first matching child
ends the walk at its level unless it has `continue: true`; a route none of whose children match handles the alert.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from alerting_facts.matchers import Matcher, matches_all, route_matchers

DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


@dataclass
class Route:
    path: str
    """Where the route is in the config, e.g. `route.routes[1].routes[0]`."""
    matchers: tuple[Matcher, ...]
    receiver: str
    continue_: bool
    group_by: tuple[str, ...]
    timing: dict[str, str]
    mute_time_intervals: tuple[str, ...]
    active_time_intervals: tuple[str, ...]
    parent: Route | None = field(default=None, repr=False)
    routes: list[Route] = field(default_factory=list)
    document: Mapping = field(default_factory=dict, repr=False)
    """The route as the config writes it."""

    def match(self, labels: Mapping[str, str]) -> list[Route]:
        if not matches_all(self.matchers, labels):
            return []
        found: list[Route] = []
        for child in self.routes:
            hits = child.match(labels)
            found += hits
            if hits and not child.continue_:
                break
        return found or [self]

    def walk(self) -> Iterator[Route]:
        yield self
        for child in self.routes:
            yield from child.walk()

    def lineage(self) -> list[Route]:
        """The routes from the root down to this one."""
        chain = []
        node: Route | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def describe(self) -> str:
        return "{" + ", ".join(str(m) for m in self.matchers) + "}" if self.matchers else "(root)"


def build(config: Mapping) -> Route:
    """The tree of a parsed alertmanager.yml."""

    def node(doc: Mapping, path: str, parent: Route | None) -> Route:
        route = Route(
            path=path,
            matchers=route_matchers(doc),
            receiver=doc.get("receiver") or (parent.receiver if parent else ""),
            continue_=bool(doc.get("continue", False)),
            group_by=tuple(doc["group_by"]) if doc.get("group_by") is not None else (parent.group_by if parent else ()),
            timing={k: str(doc.get(k) or (parent.timing[k] if parent else DEFAULTS[k])) for k in DEFAULTS},
            mute_time_intervals=tuple(doc.get("mute_time_intervals") or ()),
            active_time_intervals=tuple(doc.get("active_time_intervals") or ()),
            parent=parent,
            document=doc,
        )
        # A child that is not a mapping is no route Alertmanager would load; the walk passes it by.
        route.routes = [
            node(child, f"{path}.routes[{i}]", route) for i, child in enumerate(doc.get("routes") or []) if isinstance(child, Mapping)
        ]
        return route

    return node(config["route"], "route", None)
