"""Route explain: which receivers an alert reaches, at a given moment, and what could silence it.

Without a moment the answer is exactly `amtool config routes test`: the matching routes' receivers in tree order.
With a moment, a route whose mute intervals are active, or whose active intervals are not, delivers nothing then;
the explanation says until when. Inhibition depends on which other alerts fire, so it is reported as the rules
that would apply and the alerts that would trigger them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from alerting_facts.matchers import Matcher, matches_all, parse_all
from routing.timeintervals import TimeIntervals
from alerting_facts.tree import Route, build


@dataclass(frozen=True)
class Delivery:
    """What one matching route does with the alert."""

    route: Route
    sent: bool = True
    reason: str = ""
    until: datetime | None = None

    @property
    def receiver(self) -> str:
        return self.route.receiver


@dataclass(frozen=True)
class Inhibition:
    """An inhibit rule as it concerns one alert."""

    index: int
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def inhibitor(self, labels: Mapping[str, str]) -> str:
        """The alerts that would silence `labels`: the rule's source matchers plus the shared labels' values."""
        shared = [f'{name}="{labels.get(name, "")}"' for name in self.equal]
        return "{" + ", ".join([*(str(m) for m in self.source), *shared]) + "}"

    def silenced(self, labels: Mapping[str, str]) -> str:
        shared = [f'{name}="{labels.get(name, "")}"' for name in self.equal]
        return "{" + ", ".join([*(str(m) for m in self.target), *shared]) + "}"


@dataclass(frozen=True)
class Explanation:
    labels: Mapping[str, str]
    at: datetime | None
    deliveries: tuple[Delivery, ...]
    silenced_by: tuple[Inhibition, ...] = field(default=())
    silences: tuple[Inhibition, ...] = field(default=())

    @property
    def receivers(self) -> list[str]:
        """The receivers the alert reaches (at `at`, if given), in tree order, one per matching route."""
        return [d.receiver for d in self.deliveries if d.sent]

    def lines(self) -> list[str]:
        """A human-readable account, one fact per line."""
        out = []
        for d in self.deliveries:
            path = " / ".join(r.describe() for r in d.route.lineage()[1:]) or "(root)"
            out.append(f"route {d.route.path}: {path}")
            if d.sent:
                when = f" at {self.at.isoformat()}" if self.at else ""
                out.append(f"  -> {d.receiver}{when}")
            else:
                until = f"; sent from {d.until.isoformat()} if still firing" if d.until else "; not within 31 days"
                out.append(f"  -> {d.receiver}: nothing sent, {d.reason}{until}")
        for rule in self.silenced_by:
            out.append(f"inhibit_rules[{rule.index}]: silenced while {rule.inhibitor(self.labels)} fires")
        for rule in self.silences:
            out.append(f"inhibit_rules[{rule.index}]: while it fires, it silences {rule.silenced(self.labels)}")
        if not self.silenced_by:
            out.append("no inhibit rule can silence it")
        return out


def _inhibitions(config: Mapping) -> list[Inhibition]:
    return [
        Inhibition(
            index=i,
            source=parse_all(rule.get("source_matchers") or []),
            target=parse_all(rule.get("target_matchers") or []),
            equal=tuple(rule.get("equal") or ()),
        )
        for i, rule in enumerate(config.get("inhibit_rules") or [])
    ]


def _delivery(route: Route, intervals: TimeIntervals, at: datetime | None) -> Delivery:
    if at is None or intervals.sends(route.mute_time_intervals, route.active_time_intervals, at):
        return Delivery(route)
    reasons = []
    muted = intervals.any_active(route.mute_time_intervals, at)
    if muted:
        reasons.append(f"muted by {', '.join(muted)}")
    if route.active_time_intervals and not intervals.any_active(route.active_time_intervals, at):
        reasons.append(f"held: outside {', '.join(route.active_time_intervals)}")
    until = intervals.next_send(route.mute_time_intervals, route.active_time_intervals, at)
    return Delivery(route, False, "; ".join(reasons), until)


def explain(config: Mapping, labels: Mapping[str, str], at: datetime | None = None) -> Explanation:
    """Follow `labels` through the config's routing tree (at `at`, if given) and its inhibit rules."""
    tree = build(config)
    intervals = TimeIntervals.from_config(config)
    deliveries = tuple(_delivery(route, intervals, at) for route in tree.match(labels))
    rules = _inhibitions(config)
    return Explanation(
        labels=dict(labels),
        at=at,
        deliveries=deliveries,
        silenced_by=tuple(r for r in rules if matches_all(r.target, labels) and not matches_all(r.source, labels)),
        silences=tuple(r for r in rules if matches_all(r.source, labels)),
    )


_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def parse_labels(items: list[str]) -> dict[str, str]:
    """`team=payments service=checkout` as a label set; raises ValueError naming a malformed or repeated item.

    An alert has one value per label, so a label given twice is an error rather than a silent choice; an empty value
    is allowed and means the label is absent, as Alertmanager reads it.
    """
    labels: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{item!r} is not a label: write name=value, e.g. team=payments")
        if not name:
            raise ValueError(f"{item!r} has an empty label name: write name=value, e.g. team=payments")
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"{name!r} (in {item!r}) is not a label name: letters, digits and _, not starting with a digit")
        if name in labels:
            raise ValueError(f"label {name!r} is given twice ({name}={labels[name]} and {item}): an alert has one value per label")
        labels[name] = value
    return labels