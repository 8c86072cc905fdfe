"""The checks of the per-system configs every build writes: falcosidekick's outputs and the OTel collector's
configuration. Each case is written by hand from the upstream's documented format, not from the renderer."""

from __future__ import annotations

import pytest
import yaml

from cli import build
from cli.falco_checks import SIDEKICK_VALUES, sidekick_problems
from cli.otel_checks import collector_problems

CHART = yaml.safe_load(SIDEKICK_VALUES.read_text())["config"]
GOOD_SIDEKICK = {
    "alertmanager": {
        "hostport": "http://alertmanager-0.alertmanager-headless.monitoring.svc:9093,http://am-1.monitoring.svc:9093",
        "endpoint": "/api/v2/alerts",
        "minimumpriority": "notice",
        "extralabels": "cluster:prod-eu1",
        "customseveritymap": "notice:info,debug:info",
        "checkcert": True,
    },
    "talon": {"address": "http://falco-talon.falco.svc:2803", "minimumpriority": "notice", "checkcert": True},
}


def _with(output: str, **fields) -> dict:
    return {**GOOD_SIDEKICK, output: {**GOOD_SIDEKICK[output], **fields}}


SIDEKICK_CASES = {
    "Outputs as the chart documents them pass.": (GOOD_SIDEKICK, None),
    "An output the chart does not have is refused.": ({**GOOD_SIDEKICK, "pagerdutyy": {}}, "pagerdutyy: not an output"),
    "A misspelt setting reaches no environment variable.": (_with("alertmanager", extralabel="a:b"), "alertmanager.extralabel: not a setting"),
    "checkcert is a boolean, not a string.": (_with("alertmanager", checkcert="true"), "alertmanager.checkcert: str, the chart takes bool"),
    "Alertmanager removed API v1.": (_with("alertmanager", endpoint="/api/v1/alerts"), "at /api/v2/alerts only"),
    "A replica without a port is no URL falcosidekick can post to.": (_with("alertmanager", hostport="http://am-0"), "is not http(s)://host:port"),
    "A minimum priority Falco does not have is refused.": (_with("talon", minimumpriority="info"), "talon.minimumpriority: 'info' is not a Falco priority"),
    "A severity map entry needs a Falco priority on the left.": (_with("alertmanager", customseveritymap="notice:info,low:info"), "'low:info' is not <falco priority>:<severity>"),
    "An extra label needs a Prometheus label name.": (_with("alertmanager", extralabels="k8s.cluster:prod"), "'k8s.cluster:prod' is not <label name>:<value>"),
    "Without the Alertmanager output events reach no one.": ({"talon": GOOD_SIDEKICK["talon"]}, "alertmanager: missing"),
}


@pytest.mark.parametrize("case", SIDEKICK_CASES, ids=list(SIDEKICK_CASES))
def test_falcosidekick_outputs_are_checked_against_the_chart(case):
    outputs, expected = SIDEKICK_CASES[case]
    problems = sidekick_problems(outputs, CHART)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


GOOD_COLLECTOR = {
    "extensions": {"health_check": {}},
    "receivers": {"otlp": {"protocols": {"grpc": {}}}},
    "processors": {"batch": {}},
    "exporters": {"prometheusremotewrite": {"endpoint": "http://vmagent:8429/api/v1/write"}},
    "service": {
        "extensions": ["health_check"],
        "pipelines": {"metrics": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["prometheusremotewrite"]}},
    },
}


def _pipeline(**fields) -> dict:
    pipelines = {"metrics": {**GOOD_COLLECTOR["service"]["pipelines"]["metrics"], **fields}}
    return {**GOOD_COLLECTOR, "service": {**GOOD_COLLECTOR["service"], "pipelines": pipelines}}


COLLECTOR_CASES = {
    "A pipeline of defined components passes.": (GOOD_COLLECTOR, None),
    "A pipeline naming an undefined exporter is refused.": (_pipeline(exporters=["otlphttp"]), "'otlphttp' is not defined under exporters"),
    "A defined processor no pipeline uses is reported.": (_pipeline(processors=[]), "processors.batch: defined but in no pipeline"),
    "A pipeline without receivers carries nothing.": (_pipeline(receivers=[]), "service.pipelines.metrics: no receivers"),
    "A pipeline is named by its signal.": (
        {**GOOD_COLLECTOR, "service": {"pipelines": {"metric": GOOD_COLLECTOR["service"]["pipelines"]["metrics"]}}},
        "service.pipelines.metric: not a metrics",
    ),
    "The service's extensions must be defined.": (
        {**GOOD_COLLECTOR, "extensions": {}}, "service.extensions: 'health_check' is not defined",
    ),
}


@pytest.mark.parametrize("case", COLLECTOR_CASES, ids=list(COLLECTOR_CASES))
def test_the_collector_config_is_checked_like_the_collector_loads_it(case):
    config, expected = COLLECTOR_CASES[case]
    problems = collector_problems(config)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_every_system_config_a_component_ships_is_written_to_build(tmp_path):
    build.render_stack("prod", tmp_path, tests=False)
    out = tmp_path / "prod"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"falco/falco.yaml", "falco/falcosidekick.yaml", "otel/collector.yaml", "grafana/oncall-plugin.yaml",
            "oncall/escalation.yaml", "oncall/incidents.yaml"} <= written
    # The Talon output is there because prod's catalog has runtime responses (Pulumi.prod.yaml, catalog/example).
    assert set(yaml.safe_load((out / "falco/falcosidekick.yaml").read_text())) == {"alertmanager", "talon"}
    teams = [t["team"] for t in yaml.safe_load((out / "oncall/escalation.yaml").read_text())["teams"]]
    assert teams and len(teams) == len(set(teams))
