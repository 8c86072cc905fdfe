"""The pack's routing walk gives the receivers the real `amtool config routes test` gives, on the program's config and
on a tree with every feature the walk handles (continue, nesting, inherited receivers, regexes, legacy matchers)."""

from __future__ import annotations

import pytest
import yaml

from cli import tools
from policies.guardrails import routing
from tests.policy_support import by_name, resources

TREE = {
    "route": {
        "receiver": "default",
        "routes": [
            {
                "matchers": ['priority=~"P0|P1"'],
                "receiver": "pager",
                "continue": True,
                "routes": [{"matchers": ['team="payments"'], "receiver": "payments-pager"}],
            },
            {"matchers": ['{team="payments", severity!="info"}'], "receiver": "payments-slack"},
            {"match_re": {"service": "check.*"}, "receiver": "checkout"},
            {"matchers": ['team=~"data|platform"'], "routes": [{"matchers": ['severity="critical"'], "receiver": "infra-critical"}]},
            {"matchers": ['region!~"eu-.*"', 'team="storefront"'], "receiver": "storefront-us"},
        ],
    },
    "receivers": [
        {"name": name, "webhook_configs": [{"url": f"http://127.0.0.1:9/{name}"}]}
        for name in ("default", "pager", "payments-pager", "payments-slack", "checkout", "infra-critical", "storefront-us")
    ],
}
LABEL_SETS = {
    "A P0 payments alert pages the team and continues to its chat": {"priority": "P0", "team": "payments", "severity": "critical"},
    "A P1 data alert pages, then falls back to the inherited receiver": {"priority": "P1", "team": "data"},
    "A critical platform alert reaches the nested route": {"team": "platform", "severity": "critical"},
    "A legacy regex matcher matches": {"service": "checkout-api"},
    "A payments info alert skips the negated matcher": {"team": "payments", "severity": "info"},
    "A missing label satisfies a negative regex": {"team": "storefront"},
    "A label the negative regex excludes falls through": {"team": "storefront", "region": "eu-west"},
    "An alert with no labels reaches the root": {},
}


def amtool_routes(config_file, labels: dict[str, str]) -> list[str]:
    result = tools.run("amtool", "config", "routes", "test", f"--config.file={config_file}", *(f"{k}={v}" for k, v in labels.items()))
    assert result.ok, result.output
    answer = [line for line in result.output.splitlines() if not line.startswith("Warning:")][-1]
    return answer.split(",")


@pytest.mark.parametrize("labels", LABEL_SETS.values(), ids=list(LABEL_SETS))
def test_the_walk_agrees_with_amtool_on_every_feature(labels, tmp_path):
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(TREE))
    assert routing.route(TREE, labels) == amtool_routes(path, labels)


def test_the_walk_agrees_with_amtool_on_the_programs_own_config(tmp_path):
    config = by_name(resources("prod"), "alertmanager-release").inputs["values"]["config"]
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    probes = [{"team": team, "priority": "P0"} for team in ("payments", "platform", "storefront", "data", "security", "nobody")]
    for labels in probes:
        assert routing.route(config, labels) == amtool_routes(path, labels), labels


MATCHERS = {
    'team="payments"': [("team", "=", "payments")],
    '{team="payments", severity=~"critical|warning"}': [("team", "=", "payments"), ("severity", "=~", "critical|warning")],
    'summary!="a, \\"quoted\\" value"': [("summary", "!=", 'a, "quoted" value')],
    "env!~staging": [("env", "!~", "staging")],
}


@pytest.mark.parametrize("text,expected", MATCHERS.items(), ids=list(MATCHERS))
def test_matchers_parse_as_alertmanager_writes_them(text, expected):
    assert [(m.name, m.op, m.value) for m in routing.parse_matchers(text)] == expected


def test_a_probe_satisfies_every_matcher_it_was_built_from():
    matchers = routing.parse_matchers('{team="payments", severity=~"critical|warning", region!="us"}')
    labels = routing.probe(matchers, {"priority": "P0"})
    assert labels == {"priority": "P0", "team": "payments", "severity": "critical"}
    assert routing.probe(routing.parse_matchers('host=~"db-[0-9]+"'), {}) is None
