"""The shadowed-route lint: it finds routes that can never match, never flags one that can, and fails `make check`."""

from __future__ import annotations

import shutil

import pytest
import yaml

from cli import build, checks
from routing import lint
from tests.conftest import SMALL_CATALOG, STACKS


def config(*routes: dict) -> dict:
    return {"route": {"receiver": "r", "routes": list(routes)}, "receivers": [{"name": "r"}]}


def r(*matchers: str, **extra) -> dict:
    return {"matchers": list(matchers), "receiver": "r", **extra}


# case -> (sibling routes, paths of the routes the lint must report)
CASES = {
    "A broader regex before a narrower equality shadows it.": (
        [r('service=~"a|b"'), r('service="a"')], ["route.routes[1]"]),
    "An earlier route with continue shadows nothing.": (
        [r('service=~"a|b"', **{"continue": True}), r('service="a"')], []),
    "A narrower route before a broader one is fine.": ([r('service="a"'), r('service=~"a|b"')], []),
    "A route without matchers takes everything after it.": ([r(), r('team="x"'), r('team="y"')], ["route.routes[1]", "route.routes[2]"]),
    "Disjoint values do not shadow.": ([r('priority="P0"'), r('priority="P1"')], []),
    "Extra matchers on the later route keep it inside the earlier one.": (
        [r('team="x"'), r('team="x"', 'severity="critical"')], ["route.routes[1]"]),
    "Extra matchers on the earlier route leave room for the later one.": (
        [r('team="x"', 'severity="critical"'), r('team="x"')], []),
    "An earlier negative matcher covers a later value it does not exclude.": (
        [r('team!="y"'), r('team="x"')], ["route.routes[1]"]),
    "An earlier negative matcher leaves the value it excludes.": ([r('team!="x"'), r('team="x"')], []),
    "An earlier .+ covers any later route that needs the label.": ([r('service=~".+"'), r('service!=""')], ["route.routes[1]"]),
    "An earlier .+ does not cover a later route that allows the label to be missing.": (
        [r('service=~".+"'), r('severity="critical"')], []),
    "Two open regexes: assumed not shadowed.": ([r('service=~"a.*"'), r('service=~"ab.*"')], []),
    "A route whose own matchers contradict each other never matches.": (
        [r('team="x"', 'team="y"')], ["route.routes[0]"]),
    "An empty-value matcher is a value like any other.": ([r('priority=""'), r('priority=""', 'severity="info"')], ["route.routes[1]"]),
    "A missing label is the empty value, which a negative matcher accepts.": ([r('priority!="P0"'), r('priority=""')], ["route.routes[1]"]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_lint_reports_exactly_the_routes_that_can_never_match(case):
    routes, expected = CASES[case]
    assert [p.route.path for p in lint.problems(config(*routes))] == expected


def test_nested_routes_are_checked_level_by_level():
    doc = config(r('team="x"', routes=[r('priority=~"P0|P1"'), r('priority="P1"')]), r('team="y"'))
    (problem,) = lint.problems(doc)
    assert problem.route.path == "route.routes[0].routes[1]"
    assert "route.routes[0].routes[0]" in str(problem) and "`continue`" in str(problem)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("catalog", [None, SMALL_CATALOG], ids=["example", "small"])
def test_the_rendered_policies_have_no_dead_routes(stack, catalog):
    assert lint.problems(build.stack_artifacts(stack, catalog).alertmanager) == []


def test_a_shadowed_route_fails_make_check(tmp_path):
    _, target, _ = build.render_stack("dev", tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(target, broken)
    path = broken / "alertmanager" / "alertmanager.yaml"
    doc = yaml.safe_load(path.read_text())
    payments = doc["route"]["routes"][1]["routes"]
    # A common slip: a catch-all for the team's critical alerts put before its classification routes.
    payments.insert(0, {"matchers": ['severity="critical"'], "receiver": "payments-p1"})
    path.write_text(yaml.safe_dump(doc))
    by_check = {f.check: f for f in checks.run_all(broken)}
    assert by_check["amtool check-config"].ok  # amtool has nothing against it
    finding = by_check["shadowed routes"]
    assert not finding.ok
    # Three places further than without the Falco routes that payments-api's runtime profile gives its team.
    assert 'route.routes[1].routes[9] {priority="", severity="critical", service=~"checkout|payments-api"}: can never match' in finding.detail
