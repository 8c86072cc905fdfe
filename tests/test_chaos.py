"""Chaos experiments: typed in the catalog, guarded in production, rendered as Litmus objects and alert rules."""

from __future__ import annotations

import copy

import pytest
import yaml

from cli import recorder, tools
from model.chaos import ChaosExperiment
from model.errors import InputError
from model.loading import load_catalog
from render.resources import chaos
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
    inventory = recorder.run("dev")
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
    """The pack imports no project code; its defaults must still name what render.resources.chaos writes."""
    from policies.guardrails import chaos as chaos_policy

    stack = from_values("prod", stack_values("prod"))
    (checkout,) = [o for o in stack.artifacts.chaos_objects if o["metadata"]["name"] == "checkout-pod-delete"]
    assert checkout["metadata"]["labels"][chaos_policy.APPROVAL_LABEL] == "true"
    assert checkout["metadata"]["annotations"][chaos_policy.APPROVER_ANNOTATION] == "dara@example.com"


# --- Every fault class of the report ---------------------------------------------------------------------------

# Expected env values come from litmus-go's environment readers at tag 3.28.0 (pkg/generic/*/environment) and the
# report's numbers (2 s latency, 500 MB memory), not from render.resources.chaos.
FAULT_CASES = {
    "Network latency of 2 s becomes pod-network-latency in milliseconds.": (
        {"fault": "pod-network-latency", "network_latency": "2s"}, "pod-network-latency", {"NETWORK_LATENCY": "2000"}),
    "Packet loss of 30% becomes pod-network-loss.": (
        {"fault": "pod-network-loss", "packet_loss_percent": 30}, "pod-network-loss", {"NETWORK_PACKET_LOSS_PERCENTAGE": "30"}),
    "A partition becomes pod-network-partition in both directions.": (
        {"fault": "pod-network-partition", "pods_affected_percent": 100}, "pod-network-partition", {"POLICY_TYPES": "all"}),
    "A bandwidth limit becomes pod-network-rate-limit in mbit.": (
        {"fault": "pod-network-rate-limit", "bandwidth_mbit": 5}, "pod-network-rate-limit", {"NETWORK_BANDWIDTH": "5mbit"}),
    "Memory exhaustion of 500 MB becomes pod-memory-hog.": (
        {"fault": "pod-memory-hog", "memory_mb": 500}, "pod-memory-hog", {"MEMORY_CONSUMPTION": "500"}),
    "Disk I/O saturation becomes pod-io-stress.": (
        {"fault": "pod-io-stress", "filesystem_utilization_percent": 20}, "pod-io-stress", {"FILESYSTEM_UTILIZATION_PERCENTAGE": "20"}),
    "A node drain takes the node of one of the service's pods.": (
        {"fault": "node-drain"}, "node-drain", {"TARGET_NODE": ""}),
    "Node CPU exhaustion hits one node.": (
        {"fault": "node-cpu-hog", "cpu_cores": 2, "node_label": "chaos=allowed"}, "node-cpu-hog",
        {"NODE_CPU_CORE": "2", "NODES_AFFECTED_PERC": "0", "TARGET_NODES": "", "NODE_LABEL": "chaos=allowed"}),
    "Node memory exhaustion hits one node.": (
        {"fault": "node-memory-hog", "memory_mb": 2048}, "node-memory-hog", {"MEMORY_CONSUMPTION_MEBIBYTES": "2048", "NODES_AFFECTED_PERC": "0"}),
    "A failing dependency drops every packet to the dependency's Service.": (
        {"fault": "dependency-failure", "dependency": "db"}, "pod-network-loss",
        {"NETWORK_PACKET_LOSS_PERCENTAGE": "100", "DESTINATION_HOSTS": "db.db.svc"}),
    "An API endpoint answers errors.": (
        {"fault": "api-errors", "target_port": 8080}, "pod-http-status-code", {"STATUS_CODE": "503", "TARGET_SERVICE_PORT": "8080"}),
    "Authentication fails with 401.": (
        {"fault": "auth-failure", "target_port": 8080}, "pod-http-status-code", {"STATUS_CODE": "401"}),
    "A third-party host stops resolving.": (
        {"fault": "third-party-unreachable", "host": "api.stripe.com"}, "pod-dns-error", {"TARGET_HOSTNAMES": '["api.stripe.com"]'}),
}


def _small_with(doc: dict, **experiment) -> dict:
    doc = copy.deepcopy(doc)
    web = doc["teams"][0]["services"][0]  # web (namespace web) depends on db (namespace db), both of team infra
    web["node_faults"] = True
    doc["teams"][0]["chaos_experiments"] = [{**EXPERIMENT, **experiment}]
    return doc


@pytest.mark.parametrize("case", FAULT_CASES, ids=list(FAULT_CASES))
def test_every_fault_class_renders_to_the_litmus_fault_that_implements_it(case, tmp_path, small_catalog_doc):
    experiment, litmus_fault, expected_env = FAULT_CASES[case]
    path = write_yaml(tmp_path / "catalog.yaml", _small_with(small_catalog_doc, **experiment))
    stack = from_values("dev", stack_values("dev", catalog=str(path)))
    (engine_,) = [o for o in stack.artifacts.chaos_objects if o["kind"] == "ChaosEngine"]
    (run,) = engine_["spec"]["experiments"]
    assert run["name"] == litmus_fault
    env = {e["name"]: e["value"] for e in run["spec"]["components"]["env"]}
    assert expected_env.items() <= env.items()
    definitions = {o["metadata"]["name"] for o in stack.artifacts.chaos_objects if o["kind"] == "ChaosExperiment"}
    assert definitions == {litmus_fault}
    # The exporter reports the engine's `context` label as chaosengine_context: every run names its experiment.
    assert engine_["metadata"]["labels"]["context"] == "web-pod-delete"


REFUSED = {
    "A kernel panic is refused: Litmus has no such fault.": (
        {"fault": "kernel-panic"}, "teams[0].chaos_experiments[0].fault: kernel-panic cannot be run: Litmus has no kernel-panic fault"),
    "Node network isolation is refused: Litmus has no such fault.": (
        {"fault": "node-network-isolation"},
        "teams[0].chaos_experiments[0].fault: node-network-isolation cannot be run: Litmus has no fault that cuts a node off"),
    "A node fault is refused where the service does not allow it.": (
        {"fault": "node-drain", "service": "db"},
        "teams[0].chaos_experiments[0].fault: node-drain hits every pod on the node: allowed only where the service says so"),
    "A dependency failure must name a dependency of the service.": (
        {"fault": "dependency-failure", "dependency": "web", "service": "db"},
        "teams[0].chaos_experiments[0].dependency: 'web' is not in depends_on of service 'db'"),
    "An API-errors fault needs the port to answer on.": (
        {"fault": "api-errors"}, "teams[0].chaos_experiments[0]: target_port is required by the api-errors fault"),
    "A packet loss above 100% is refused.": (
        {"fault": "pod-network-loss", "packet_loss_percent": 150},
        "teams[0].chaos_experiments[0].packet_loss_percent: Input should be less than or equal to 100"),
    "A partition must say it takes every pod.": (
        {"fault": "pod-network-partition"}, "teams[0].chaos_experiments[0]: pod-network-partition cuts off every pod"),
    "A third-party host must be a host name.": (
        {"fault": "third-party-unreachable", "host": "https://x"}, "teams[0].chaos_experiments[0].host: String should match pattern"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_faults_litmus_cannot_run_or_that_miss_what_they_need_are_refused(case, tmp_path, small_catalog_doc):
    experiment, expected = REFUSED[case]
    path = write_yaml(tmp_path / "catalog.yaml", _small_with(small_catalog_doc, **experiment))
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert any(line.startswith(f"{path}: {expected}") for line in str(exc.value).splitlines()), str(exc.value)


# --- Schedules -------------------------------------------------------------------------------------------------

def _scheduled(stack, name: str) -> tuple[dict, dict]:
    objects = stack.artifacts.chaos_objects
    cronjob = next(o for o in objects if o["kind"] == "CronJob" and o["metadata"]["name"] == f"chaos-{name}")
    template = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == f"chaos-{name}")
    return cronjob, yaml.safe_load(template["data"]["recorder.yaml"])


LEVELS = {
    # The example's platform team: Europe/Berlin, business hours 08:00-18:00, weekly window "postgres-patching" on
    # Sundays 03:00 (Europe/Berlin), chaos day the 15th at 10:00.
    "Light chaos runs daily off-peak in the team's time zone.": ("gateway-latency", "0 3 * * *", "Europe/Berlin"),
    "Medium chaos runs weekly at the start of the maintenance window.": ("gateway-api-errors", "0 3 * * 0", "Europe/Berlin"),
    "Heavy chaos runs monthly on the chaos day.": ("gateway-node-drain", "0 10 15 * *", "Europe/Berlin"),
}


@pytest.mark.parametrize("case", LEVELS, ids=list(LEVELS))
def test_each_level_is_a_cronjob_in_the_teams_time(case):
    name, cron, zone = LEVELS[case]
    stack = from_values("dev", stack_values("dev"))
    cronjob, engine_ = _scheduled(stack, name)
    spec = cronjob["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == (cron, zone, "Forbid")
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    (create,) = pod["containers"]
    assert create["image"] == "registry.k8s.io/kubectl:v1.35.2"
    assert create["args"] == ["create", "-f", "/run/chaos/recorder.yaml"]
    assert pod["serviceAccountName"] == "chaos-scheduler"
    # A unique engine per run: the API server appends a random suffix to generateName.
    assert "name" not in engine_["metadata"] and engine_["metadata"]["generateName"] == f"{name}-"


def test_the_scheduler_may_only_create_chaos_engines_in_its_namespace():
    objects = from_values("dev", stack_values("dev")).artifacts.chaos_objects
    role = next(o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "chaos-scheduler")
    assert role["metadata"]["namespace"] == "edge"
    assert role["rules"] == [{"apiGroups": ["litmuschaos.io"], "resources": ["chaosengines"], "verbs": ["create"]}]
    binding = next(o for o in objects if o["kind"] == "RoleBinding" and o["metadata"]["name"] == "chaos-scheduler")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "chaos-scheduler", "namespace": "edge"}]
    assert not any(o["kind"].startswith("Cluster") and "chaos-scheduler" in str(o) for o in objects)


def _run_gate(tmp_path, answer: str | None) -> str:
    """Runs the CronJob's gate script with busybox-like stand-ins: `wget` answers what VictoriaMetrics would."""
    import os
    import shutil
    import subprocess

    stack = from_values("dev", stack_values("dev"))
    cronjob, _ = _scheduled(stack, "gateway-latency")
    (gate,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"]
    template = next(o for o in stack.artifacts.chaos_objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "chaos-gateway-latency")
    etc, run, bin_ = tmp_path / "etc", tmp_path / "run", tmp_path / "bin"
    for d in (etc, run, bin_):
        d.mkdir()
    (etc / "recorder.yaml").write_text(template["data"]["recorder.yaml"])
    script = gate["command"][2].replace("/etc/chaos", str(etc)).replace("/run/chaos", str(run)).replace("/tmp/answer", str(tmp_path / "answer"))
    fake = "#!/bin/sh\nexit 4\n" if answer is None else (
        '#!/bin/sh\nwhile [ "$1" != "-O" ]; do shift; done\nprintf \'%s\' \'' + answer + '\' > "$2"\n'
    )
    (bin_ / "wget").write_text(fake)
    (bin_ / "wget").chmod(0o755)
    env = {e["name"]: e["value"] for e in gate["env"]}
    env["PATH"] = f"{bin_}:{os.environ['PATH']}"
    result = subprocess.run([shutil.which("sh"), "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return (run / "recorder.yaml").read_text()


GATES = {
    "A quiet service gets an active recorder.": ('{"status":"success","data":{"resultType":"vector","result":[]}}', "active", "scheduled"),
    "A burning SLO or an open P0/P1 gets a stopped engine recording the skip.": (
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}', "stop", "skipped"),
    "Unreadable metrics skip the run: the gate fails closed.": (None, "stop", "skipped"),
}


@pytest.mark.parametrize("case", GATES, ids=list(GATES))
def test_a_run_is_skipped_while_the_slo_burns_or_a_p0_p1_is_open(case, tmp_path):
    answer, state, run_label = GATES[case]
    engine_ = yaml.safe_load(_run_gate(tmp_path, answer))
    assert engine_["spec"]["engineState"] == state
    assert engine_["metadata"]["labels"][chaos.RUN_LABEL] == run_label


def test_the_gate_asks_victoriametrics_for_burn_and_open_p0_p1():
    """The gate's query, decoded, is valid PromQL for the service (checked by promtool on a rule using it)."""
    from urllib.parse import unquote

    stack = from_values("dev", stack_values("dev"))
    cronjob, engine_ = _scheduled(stack, "gateway-latency")
    (gate,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"]
    query = unquote(next(e["value"] for e in gate["env"] if e["name"] == "QUERY"))
    assert 'slo:current_burn_rate:ratio{sloth_service="api-gateway"}) >= 1' in query
    assert 'priority=~"P0|P1"' in query
    probes = {p["name"]: p for p in engine_["spec"]["experiments"][0]["spec"]["probe"]}
    burn = probes["gateway-latency-slo-burn-rate"]
    assert burn["mode"] == "Continuous" and burn["runProperties"]["stopOnFailure"] is True
    assert burn["promProbe/inputs"]["comparator"] == {"criteria": "<", "value": "14.4"}


def test_the_policy_pack_checks_the_engines_a_schedule_creates():
    """A template whose engine drains more than one node is caught on the ConfigMap that holds it."""
    from policies.guardrails import chaos as chaos_policy

    stack = from_values("dev", stack_values("dev"))
    template = next(o for o in stack.artifacts.chaos_objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "chaos-gateway-node-drain")
    config = {"maxDurationSeconds": 600, "maxPodsAffectedPercent": 50, "allowNodeFaults": True}
    (engine_,) = chaos_policy.engines("kubernetes:core/v1:ConfigMap", template, "x")
    assert list(chaos_policy.blast_radius_problems(engine_, config)) == []
    two_nodes = copy.deepcopy(template)
    engine_doc = yaml.safe_load(two_nodes["data"]["recorder.yaml"])
    for entry in engine_doc["spec"]["experiments"][0]["spec"]["components"]["env"]:
        if entry["name"] == "TARGET_NODE":
            entry["value"] = "a,b"
    two_nodes["data"]["recorder.yaml"] = yaml.safe_dump(engine_doc)
    (engine_,) = chaos_policy.engines("kubernetes:core/v1:ConfigMap", two_nodes, "x")
    assert list(chaos_policy.blast_radius_problems(engine_, config)) == [
        ("data.engine.yaml spec.experiments[0] node-drain", "targets 2 nodes at once; at most one")
    ]


# --- Chaos metrics and score, on synthetic chaos-exporter series -------------------------------------------------

# Metric names and labels as chaos-exporter sets them (controller/types.go and controller/scrape.go at 18ff986, the
# source of the 3.28.0 image; cli/data/exporters.yaml): one ChaosResult per run, named <engine>-<fault>, the engine
# named <experiment>-<random suffix>, its `context` label the experiment's name.
RESULT_LABELS = ("chaosresult_namespace", "chaosresult_name", "chaosengine_name", "chaosengine_context", "fault_name")


def _result(experiment: str, suffix: str, fault: str) -> dict[str, str]:
    engine_name = f"{experiment}-{suffix}"
    return dict(zip(RESULT_LABELS, ("web", f"{engine_name}-{fault}", engine_name, experiment, fault), strict=True))


def _series(name: str, labels: dict[str, str], values: str) -> dict:
    inner = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


def _run(experiment: str, suffix: str, fault: str, start: int, end: int, verdict: str, probe: int, minutes: int = 60) -> list[dict]:
    """One run from minute `start` (awaited) to minute `end` (verdict, probe success, end time), then kept."""
    labels = _result(experiment, suffix, fault)
    before, during, after = start, end - start, minutes - end + 1
    absent = f"_x{before} " if before else ""  # `_xN` is N missing samples; `vxN` is N+1 samples
    passed, failed = (1, 0) if verdict == "Pass" else (0, 1)
    return [
        _series("litmuschaos_awaited_experiments", {**labels, "workflow_name": ""}, f"{absent}1x{during - 1} 0x{after - 1}"),
        _series("litmuschaos_passed_experiments", labels, f"{absent}0x{during - 1} {passed}x{after - 1}"),
        _series("litmuschaos_failed_experiments", labels, f"{absent}0x{during - 1} {failed}x{after - 1}"),
        _series("litmuschaos_probe_success_percentage", labels, f"{absent}0x{during - 1} {probe}x{after - 1}"),
        _series("litmuschaos_experiment_end_time", labels, f"{absent}0x{during - 1} {end * 60}x{after - 1}"),
    ]


@pytest.fixture(scope="module")
def chaos_metric_rules(tmp_path_factory):
    """Team infra's rule file for two experiments against web: a pod deletion and a CPU hog."""
    doc = yaml.safe_load(open("tests/data/catalogs/small.yaml"))
    doc["teams"][0]["chaos_experiments"] = [
        {"name": "web-pod-delete", "service": "web", "fault": "pod-delete"},
        {"name": "web-cpu", "service": "web", "fault": "pod-cpu-hog"},
    ]
    directory = tmp_path_factory.mktemp("chaos-metrics")
    path = write_yaml(directory / "catalog.yaml", doc)
    stack = from_values("dev", stack_values("dev", catalog=str(path)))
    (directory / "chaos-infra.yaml").write_text(yaml.safe_dump(stack.artifacts.rule_files["chaos-infra.yaml"]))
    return directory


# The timeline (minutes): web-pod-delete runs 5-10 (passes, probes 100%) and 30-35 (fails, probes 50%); web-cpu runs
# 40-45 (passes, probes 100%). The SLO burns 3x from 10 to 12 and 2x from 30 to 39, 0.5x otherwise. HighLatency
# fires 6-8, during the first run; DiskFull 20-22, outside any run.
TIMELINE = [
    *_run("web-pod-delete", "x7k2p", "pod-delete", 5, 10, "Pass", 100),
    *_run("web-pod-delete", "q9m4t", "pod-delete", 30, 35, "Fail", 50),
    *_run("web-cpu", "b2c8d", "pod-cpu-hog", 40, 45, "Pass", 100),
    _series("slo:current_burn_rate:ratio", {"sloth_id": "web-availability", "sloth_service": "web", "sloth_slo": "availability"},
            "0.5x9 3x2 0.5x16 2x9 0.5x20"),
    _series("ALERTS", {"alertname": "HighLatency", "alertstate": "firing", "priority": "P2", "service": "web", "severity": "warning"},
            "_x6 1x2 _x52"),
    _series("ALERTS", {"alertname": "DiskFull", "alertstate": "firing", "priority": "P2", "service": "web", "severity": "warning"},
            "_x20 1x2 _x38"),
]

# Expected values, worked out by hand from the timeline and docs/chaos.md's definitions:
RUNS_PASSED, RUNS_TOTAL = 2, 3
PROBES = ((100 + 50) / 2 / 100 + 100 / 100) / 2  # mean per experiment over its runs, then over the experiments
RECOVERIES = sorted([13 * 60 - 10 * 60, 40 * 60 - 35 * 60, 45 * 60 - 45 * 60])  # back under 1x at 13, 40 and 45


def _quantile(q: float, values: list[float]) -> float:
    """Prometheus' quantile_over_time: linear interpolation between the closest ranks."""
    rank = q * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def _expected_scope(prefix: str, labels: str) -> list[dict]:
    success = RUNS_PASSED / RUNS_TOTAL
    values = {
        "experiment_success:ratio30d": success,
        "probe_success:ratio30d": PROBES,
        "resilience:score": 100 * (0.6 * success + 0.4 * PROBES),
        "fault_coverage:ratio30d": 2 / 16,  # pod-delete and pod-cpu-hog of the report's 16 classes
        "induced_alerts:count30d": 1,  # HighLatency during web-pod-delete; DiskFull fired outside any run
        "recovery_time:p50_30d": _quantile(0.5, RECOVERIES),
        "recovery_time:p95_30d": _quantile(0.95, RECOVERIES),
        "recovery_time:p99_30d": _quantile(0.99, RECOVERIES),
    }
    return [
        {"expr": f"{prefix}:{name}{{{labels}}}", "eval_time": "60m", "exp_samples": [{"labels": f"{prefix}:{name}{{{labels}}}", "value": value}]}
        for name, value in values.items()
    ]


def _metrics_test(rule_file: str) -> dict:
    per_run = [
        # Each run's recovery: from the end of its fault until the burn rate is under 1x again, one sample per run.
        {"expr": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete"}', "eval_time": "13m",
         "exp_samples": [{"labels": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete", chaos_fault="pod-delete", service="web", team="infra"}', "value": 180}]},
        {"expr": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete"}', "eval_time": "14m", "exp_samples": []},
        {"expr": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete"}', "eval_time": "39m", "exp_samples": []},
        {"expr": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete"}', "eval_time": "40m",
         "exp_samples": [{"labels": 'chaos:recovery_time:seconds{chaos_experiment="web-pod-delete", chaos_fault="pod-delete", service="web", team="infra"}', "value": 300}]},
        {"expr": "chaos:induced_alert:firing", "eval_time": "7m",
         "exp_samples": [{"labels": 'chaos:induced_alert:firing{alertname="HighLatency", chaos_experiment="web-pod-delete", chaos_fault="pod-delete", priority="P2", service="web", severity="warning", team="infra"}', "value": 1}]},
        {"expr": "chaos:induced_alert:firing", "eval_time": "21m", "exp_samples": []},
    ]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": TIMELINE,
                "promql_expr_test": [
                    *per_run,
                    *_expected_scope("chaos_service", 'service="web", team="infra"'),
                    *_expected_scope("chaos_team", 'team="infra"'),
                ],
                # Two runs in three passed: below the 90% target.
                "alert_rule_test": [{"eval_time": "60m", "alertname": "ChaosSuccessRateLow", "exp_alerts": [{
                    "exp_labels": {"team": "infra", "service": "web", "namespace": "web", "severity": "warning",
                                   "priority": "P3", "chaos": "success-rate"},
                }]}],
            }
        ],
    }


def _twelve_digits(value: float) -> float:
    from decimal import ROUND_DOWN, Decimal

    exact = Decimal(repr(value))
    if not exact:
        return value
    return float(exact.quantize(Decimal(1).scaleb(exact.adjusted() - 11), rounding=ROUND_DOWN))


@pytest.mark.parametrize("tool", ["promtool", "vmalert-tool"])
def test_chaos_metrics_and_score_on_synthetic_exporter_series(tool, chaos_metric_rules):
    directory = chaos_metric_rules
    test = _metrics_test("chaos-infra.yaml")
    rules_doc = yaml.safe_load((directory / "chaos-infra.yaml").read_text())
    alert_rule = next(r for g in rules_doc["groups"] for r in g["rules"] if r.get("alert") == "ChaosSuccessRateLow")
    value = f"{RUNS_PASSED / RUNS_TOTAL:.2%}".replace(".00%", "%")
    expected = test["tests"][0]["alert_rule_test"][0]["exp_alerts"][0]
    expected["exp_labels"]["priority"] = alert_rule["labels"]["priority"]
    expected["exp_annotations"] = {k: v.replace("{{ $value | humanizePercentage }}", value) for k, v in alert_rule["annotations"].items()}
    if tool == "vmalert-tool":  # the same checks under vmalert-tool's name for them
        checks = test["tests"][0].pop("promql_expr_test")
        for check in checks:  # VictoriaMetrics keeps 12 significant digits of a float, cut rather than rounded
            for sample in check["exp_samples"]:
                sample["value"] = _twelve_digits(sample["value"])
        test["tests"][0]["metricsql_expr_test"] = checks
    (directory / "chaos-test.yaml").write_text(yaml.safe_dump(test))
    if tool == "promtool":
        result = tools.run("promtool", "test", "rules", "chaos-test.yaml", cwd=directory)
    else:
        result = tools.run("vmalert-tool", "unittest", "--disableAlertgroupLabel", "--files", "chaos-test.yaml", cwd=directory)
    assert result.ok, result.output[-4000:]


def test_every_chaos_object_and_engine_template_passes_the_litmus_crds_and_kubernetes_schemas():
    """The CRDs of the vendored litmus-core 3.28.1 chart and the Kubernetes schemas, strictly; a template whose probe
    mode Litmus does not know is refused, so the check can fail."""
    from cli.checks import validate_object
    from cli.release_checks import engine_template

    objects = from_values("prod", stack_values("prod")).artifacts.chaos_objects
    kinds = {o["kind"] for o in objects}
    assert {"ChaosEngine", "ChaosExperiment", "ConfigMap", "CronJob", "ClusterRole"} <= kinds
    for obj in objects:
        assert validate_object(obj) == [], obj["metadata"]
        template = engine_template(obj)
        if template is not None:
            assert validate_object(template) == [], obj["metadata"]["name"]
    template = next(engine_template(o) for o in objects if engine_template(o) is not None)
    template["spec"]["experiments"][0]["spec"]["probe"][0]["mode"] = "Sometimes"
    assert any("mode" in problem for problem in validate_object(template))


def test_the_policy_pack_counts_a_partition_as_every_pod():
    """pod-network-partition reads no PODS_AFFECTED_PERC: its NetworkPolicy covers every pod of the application."""
    from policies.guardrails import chaos as chaos_policy

    experiment = ChaosExperiment(name="web-cut", service="web", fault="pod-network-partition", pods_affected_percent=100)
    service = load_catalog("tests/data/catalogs/small.yaml").service("web")
    settings = from_values("dev", stack_values("dev")).settings
    engine_doc = chaos.chaos_engine(load_catalog("tests/data/catalogs/small.yaml").teams[0], experiment, service, settings)
    (engine_,) = chaos_policy.engines("kubernetes:litmuschaos.io/v1alpha1:ChaosEngine", engine_doc, "web-cut")
    config = {"maxDurationSeconds": 600, "maxPodsAffectedPercent": 50, "allowNodeFaults": False}
    assert list(chaos_policy.blast_radius_problems(engine_, config)) == [
        ("spec.experiments[0] pod-network-partition", "affects every pod of the application (100%), more than 50%")
    ]
    assert list(chaos_policy.blast_radius_problems(engine_, {**config, "maxPodsAffectedPercent": 100})) == []
