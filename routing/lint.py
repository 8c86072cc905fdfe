"""The shadowed-route lint: a route that can never match, because an earlier sibling without `continue` takes every
alert it would, or because its own matchers contradict each other.

Matchers constrain each label independently, so route B is shadowed by an earlier sibling A exactly when, label by
label, every value B accepts is accepted by A. That is decided exactly when B names its values (`=`, or a regex
that is an alternation of literals) or when A only excludes named values; otherwise (two open regexes) the lint
assumes no shadowing. It never reports a route that can match; it may miss an exotic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alerting_facts.matchers import Matcher
from alerting_facts.tree import Route, build

_UNIVERSAL = {".*"}
_NON_EMPTY = {".+"}


@dataclass(frozen=True)
class Problem:
    route: Route
    message: str

    def __str__(self) -> str:
        return f"{self.route.path} {self.route.describe()}: {self.message}"


def _by_label(matchers: tuple[Matcher, ...]) -> dict[str, list[Matcher]]:
    out: dict[str, list[Matcher]] = {}
    for m in matchers:
        out.setdefault(m.name, []).append(m)
    return out


def _accepted_values(matchers: list[Matcher]) -> set[str] | None:
    """The values of one label these matchers accept, if that is a finite set they name; else None."""
    named = [m.listed for m in matchers if not m.negative and m.listed is not None]
    if not named:
        return None
    candidates = set.intersection(*(set(values) for values in named))
    return {v for v in candidates if all(m.matches_value(v) for m in matchers)}


def _excluded_values(matcher: Matcher) -> set[str] | None:
    """The values a matcher rejects, if it accepts everything but a finite set of named values; else None."""
    if matcher.negative and matcher.listed is not None:
        return set(matcher.listed)
    if matcher.op == "=~" and matcher.value in _UNIVERSAL:
        return set()
    if matcher.op == "=~" and matcher.value in _NON_EMPTY:
        return {""}
    return None


def _label_covered(inner: list[Matcher], outer: list[Matcher]) -> bool:
    """Does every value accepted by `inner` (all of one label's matchers of the later route) pass `outer`?"""
    values = _accepted_values(inner)
    if values is not None:
        return all(m.matches_value(v) for v in values for m in outer)
    for m in outer:
        excluded = _excluded_values(m)
        if excluded is None:
            return False  # cannot decide: assume the later route still gets something
        # An excluded value must already be rejected by the later route, or that value slips past the earlier one.
        if any(all(i.matches_value(v) for i in inner) for v in excluded):
            return False
    return True


def covers(earlier: Route, later: Route) -> bool:
    """Does every alert that matches `later` also match `earlier`?"""
    inner, outer = _by_label(later.matchers), _by_label(earlier.matchers)
    return all(_label_covered(inner.get(label, []), matchers) for label, matchers in outer.items())


def unsatisfiable(route: Route) -> bool:
    """Do the route's own matchers exclude every value of some label?"""
    return any(_accepted_values(ms) == set() for ms in _by_label(route.matchers).values())


def problems(config: Mapping) -> list[Problem]:
    """Every route of the config that can never match, in tree order."""
    found = []
    for parent in build(config).walk():
        for j, later in enumerate(parent.routes):
            if unsatisfiable(later):
                found.append(Problem(later, "can never match: its matchers contradict each other"))
                continue
            for earlier in parent.routes[:j]:
                if not earlier.continue_ and covers(earlier, later):
                    found.append(
                        Problem(
                            later,
                            f"can never match: the earlier sibling {earlier.path} {earlier.describe()} has no "
                            "`continue` and takes every alert this route would",
                        )
                    )
                    break
    return found
