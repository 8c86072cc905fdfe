"""Chaos experiments: typed in the catalog, guarded in production, rendered as Litmus objects and alert rules."""

from __future__ import annotations

import copy

import pytest
import yaml

from cli import engine, tools
from model.chaos import ChaosExperiment
from model.errors import InputError
from model.loading import load_catalog
from render import chaos
from stacks import from_values
from tests.conftest import stack_values, write_yaml

EXPERIMENT = {"name": "web-pod-delete", "service": "web", "fault": "pod-delete", "environments": ["dev"]}


BAD_EXPERIMENTS = {
    "A parameter of another fault is refused.": (
        {"network_latency": "300ms"},
        "teams[0].chaos_experiments[0]: network_latency applies only to the pod-network-latency fault",
    ),
    "A run longer than 30 minutes is refused.": (
        {"duration": "45m"},
        "teams[0].chaos_experiments[0]: duration must be between 10s and 30m",
    ),
    "A blast radius above 100% is refused.": (
        {"pods_affected_percent": 120},
        "teams[0].chaos_experiments[0].pods_affected_percent: Input should be less than or equal to 100",
    ),
    "An experiment against another team's service is refused.": (
        {"service": "batch"},
        "teams[0].chaos_experiments[0].service: 'batch' is not a service of team 'infra': teams inject faults only into their own services",
    ),
    "An unknown fault is refused.": (
        {"fault": "rm-rf"},
        "teams[0].chaos_experiments[0].fault: Input should be 'pod-network-latency', 'pod-network-loss', 'pod-network-partition', "
        "'pod-network-rate-limit', 'pod-delete', 'pod-memory-hog', 'pod-cpu-hog', 'pod-io-stress', 'node-drain', 'node-cpu-hog', "
        "'node-memory-hog', 'dependency-failure', 'api-errors', 'auth-failure' or 'third-party-unreachable'",
    ),
}


@pytest.mark.parametrize("case", BAD_EXPERIMENTS, ids=list(BAD_EXPERIMENTS))
def test_bad_chaos_experiments_are_refused_with_file_and_field(case, tmp_path, small_catalog_doc):
    change, expected = BAD_EXPERIMENTS[case]
    small_catalog_doc["teams"][0]["chaos_experiments"] = [{**EXPERIMENT, **change}]
    path = write_yaml(tmp_path / "catalog.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: {expected}" in str(exc.value).splitlines()


def _catalog_with(tmp_path, doc, **experiment) -> str:
    doc = copy.deepcopy(doc)
    doc["teams"][0]["chaos_experiments"] = [{**EXPERIMENT, **experiment}]
    return str(write_yaml(tmp_path / "catalog.yaml", doc))


GUARDRAILS = {
    "An unapproved experiment cannot run in production.": (
        {"environments": ["prod"]},
        "teams[0].chaos_experiments[0].approval: required: 'prod' is a production environment",
    ),
    "A blast radius above the production bound is refused.": (
        {"environments": ["prod"], "pods_affected_percent": 80, "approval": {"by": "a@b.example", "ticket": "CHG-1"}},
        "teams[0].chaos_experiments[0].pods_affected_percent: at most 50 in production environment 'prod'",
    ),
    "A run longer than the production bound is refused.": (
        {"environments": ["prod"], "duration": "20m", "approval": {"by": "a@b.example", "ticket": "CHG-1"}},
        "teams[0].chaos_experiments[0].duration: at most 10m in production environment 'prod'",
    ),
}


@pytest.mark.parametrize("case", GUARDRAILS, ids=list(GUARDRAILS))
def test_production_guardrails_stop_the_stack_naming_the_experiment(case, tmp_path, small_catalog_doc):
    experiment, expected = GUARDRAILS[case]
    path = _catalog_with(tmp_path, small_catalog_doc, **experiment)
    with pytest.raises(InputError) as exc:
        from_values("prod", stack_values("prod", catalog=path))
    assert f"{path}: {expected} (stack Pulumi.prod.yaml: alerting-platform:production)" in str(exc.value).splitlines()


def test_an_unapproved_experiment_runs_in_development(tmp_path, small_catalog_doc):
    path = _catalog_with(tmp_path, small_catalog_doc, environments=["dev"], pods_affected_percent=100)
    stack = from_values("dev", stack_values("dev", catalog=path))
    kinds = [o["kind"] for o in stack.artifacts.chaos_objects]
    assert kinds == ["ServiceAccount", "Role", "RoleBinding", "ChaosExperiment", "ChaosEngine"]


def test_experiments_run_only_in_the_environments_they_name(tmp_path, small_catalog_doc):
    path = _catalog_with(tmp_path, small_catalog_doc, environments=["staging"])
    stack = from_values("dev", stack_values("dev", catalog=path))
    assert stack.artifacts.chaos_objects == ()
    assert not any(name.startswith("chaos-") for name in stack.artifacts.rule_files)


def test_approved_production_experiments_carry_the_approval_label(tmp_path, small_catalog_doc):
    path = _catalog_with(
        tmp_path, small_catalog_doc, environments=["prod"], approval={"by": "lead@small.example", "ticket": "CHG-77"}
    )
    stack = from_values("prod", stack_values("prod", catalog=path))
    (engine_,) = [o for o in stack.artifacts.chaos_objects if o["kind"] == "ChaosEngine"]
    assert engine_["metadata"]["labels"][chaos.APPROVED_LABEL] == "true"
    assert engine_["metadata"]["annotations"]["chaos.alerting-platform.io/ticket"] == "CHG-77"
    assert engine_["metadata"]["namespace"] == "web"


def test_the_example_runs_only_approved_experiments_in_prod():
    stack = from_values("prod", stack_values("prod"))
    engines = [o for o in stack.artifacts.chaos_objects if o["kind"] == "ChaosEngine"]
    assert {e["metadata"]["name"] for e in engines} == {"checkout-pod-delete", "gateway-pod-delete"}
    assert all(e["metadata"]["labels"][chaos.APPROVED_LABEL] == "true" for e in engines)


def test_litmus_creates_every_chaos_object_after_its_release():
    inventory = engine.run("dev")
    litmus = next(r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "litmus-core")
    engines = inventory.of_type("kubernetes:litmuschaos.io/v1alpha1:ChaosEngine")
    assert len(engines) == 4
    created = [r for r in inventory.resources if r.parent == litmus.parent and r.custom and r.urn != litmus.urn]
    experiments = [r for r in created if "chaos-exporter" not in r.name]
    assert experiments and all(litmus.urn in r.dependencies for r in experiments)
    # The exporter's scrape is a VictoriaMetrics kind: it waits for the operator that serves it.
    operator = next(r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == "vm-operator")
    exporter = [r for r in created if "chaos-exporter" in r.name]
    assert len(exporter) == 5 and all(operator.urn in r.dependencies for r in exporter)


def test_chaos_alerts_fire_on_a_failed_run_and_while_chaos_runs(tmp_path):
    """promtool evaluates the rendered rules: a failed run raises a warning, a running experiment an info alert."""
    stack = from_values("dev", stack_values("dev"))
    rules = tmp_path / "chaos-payments.yaml"
    rules.write_text(yaml.safe_dump(stack.artifacts.rule_files["chaos-payments.yaml"]))
    # Every run's engine carries the experiment's name in its `context` label, which the exporter reports as
    # chaosengine_context (chaos-exporter controller/collect-data.go); the engine's own name changes per run.
    selector = '{chaosresult_namespace="payments", chaosengine_name="checkout-pod-delete-x7k2p", chaosengine_context="checkout-pod-delete"}'
    labels = {"team": "payments", "service": "checkout", "namespace": "payments", "chaos_experiment": "checkout-pod-delete"}
    annotations = lambda name: next(  # noqa: E731
        r["annotations"] for g in stack.artifacts.rule_files["chaos-payments.yaml"]["groups"] for r in g["rules"] if r["alert"] == name
    )
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"litmuschaos_failed_experiments{selector}", "values": "0x20 1x30"},
                    {"series": f"litmuschaos_awaited_experiments{selector}", "values": "0x5 1x5 0x40"},
                ],
                "alert_rule_test": [
                    {"eval_time": "15m", "alertname": "ChaosExperimentFailed", "exp_alerts": []},
                    {
                        "eval_time": "25m",
                        "alertname": "ChaosExperimentFailed",
                        "exp_alerts": [
                            {
                                "exp_labels": {**labels, "severity": "warning", "priority": "P2"},
                                "exp_annotations": annotations("ChaosExperimentFailed"),
                            }
                        ],
                    },
                    {"eval_time": "3m", "alertname": "ChaosExperimentRunning", "exp_alerts": []},
                    {
                        "eval_time": "7m",
                        "alertname": "ChaosExperimentRunning",
                        "exp_alerts": [
                            {
                                "exp_labels": {**labels, "severity": "info", "priority": "P3"},
                                "exp_annotations": annotations("ChaosExperimentRunning"),
                            }
                        ],
                    },
                    {"eval_time": "12m", "alertname": "ChaosExperimentRunning", "exp_alerts": []},
                ],
            }
        ],
    }
    test_file = tmp_path / "chaos.test.yaml"
    test_file.write_text(yaml.safe_dump(test))
    result = tools.run("promtool", "test", "rules", str(test_file))
    assert result.ok, result.output
    assert "SUCCESS" in result.output


def test_experiment_parameters_reach_the_engine():
    experiment = ChaosExperiment(
        name="lat", service="svc", fault="pod-network-latency", network_latency="250ms", duration="2m", pods_affected_percent=10
    )
    env = {e["name"]: e["value"] for e in chaos._env(experiment)}
    assert env == {"TOTAL_CHAOS_DURATION": "120", "PODS_AFFECTED_PERC": "10", "SEQUENCE": "parallel", "NETWORK_LATENCY": "250"}


def test_a_running_experiment_silences_the_services_warnings_but_not_its_own_verdict():
    from routing.explain import explain

    config = from_values("dev", stack_values("dev")).artifacts.alertmanager
    running = {"alertname": "ChaosExperimentRunning", "service": "checkout", "severity": "info", "cluster": "dev-eu1"}

    def silenced_by_chaos(labels: dict) -> bool:
        return any(
            all(m.matches(running) for m in rule.source)
            and all(labels.get(name, "") == running.get(name, "") for name in rule.equal)
            for rule in explain(config, labels).silenced_by
        )

    warning = {"alertname": "HighLatency", "service": "checkout", "severity": "warning", "cluster": "dev-eu1"}
    assert silenced_by_chaos(warning)
    assert not silenced_by_chaos({**warning, "service": "search"})
    assert not silenced_by_chaos({**warning, "severity": "critical"})
    assert not silenced_by_chaos({**warning, "alertname": "ChaosExperimentFailed"})


def test_the_policy_pack_reads_the_approval_the_program_writes():
    """The pack imports no project code; its defaults must still name what render.chaos writes."""
    from policies.guardrails import chaos as chaos_policy

    stack = from_values("prod", stack_values("prod"))
    (checkout,) = [o for o in stack.artifacts.chaos_objects if o["metadata"]["name"] == "checkout-pod-delete"]
    assert checkout["metadata"]["labels"][chaos_policy.APPROVAL_LABEL] == "true"
    assert checkout["metadata"]["annotations"][chaos_policy.APPROVER_ANNOTATION] == "dara@example.com"
