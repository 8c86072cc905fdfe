"""Components one by one: their pure wiring, their escape hatches, and SLO objects meeting the vendored CRDs."""

from __future__ import annotations

import dataclasses

import pytest

import catalog
import render
from cli import build, checks, recorder
from components.common import deep_merge
from components.karma import Karma, KarmaArgs
from components.victoriametrics import VictoriaMetrics, VictoriaMetricsArgs, vm_retention
from model.base import Duration
from model.errors import InputError
from render.systems import botkube, falco, otel
from stacks import from_values
from tests.conftest import SMALL_CATALOG, STACKS, stack_values

RELEASE = "kubernetes:helm.sh/v3:Release"


def settings_of(stack: str):
    return from_values(stack, stack_values(stack)).settings


# --- VictoriaMetrics -----------------------------------------------------------------------------------------------

RETENTIONS = {
    "Whole days stay days.": (Duration.of(days=90), "90d"),
    "Years are written in days.": (Duration.parse("2y"), "730d"),
    "Weeks are written in days.": (Duration.parse("4w"), "28d"),
    "Part days round up to whole hours.": (Duration.parse("1d12h30m"), "37h"),
}


@pytest.mark.parametrize("case", RETENTIONS, ids=list(RETENTIONS))
def test_retention_is_written_the_way_victoriametrics_accepts_it(case):
    duration, expected = RETENTIONS[case]
    assert vm_retention(duration) == expected


def _vm_args(**overrides) -> VictoriaMetricsArgs:
    base = VictoriaMetricsArgs(
        namespace="monitoring",
        query_url="http://q",
        write_base_url="http://w",
        remote_write_url="http://w/api/v1/write",
        notifier_urls=["http://am-0:9093", "http://am-1:9093"],
        long_term_write_url="http://thanos/api/v1/receive",
    )
    return dataclasses.replace(base, **overrides)


def test_the_escape_hatches_reach_the_operator_values_and_the_custom_resources():
    args = _vm_args(
        extra_values={"replicaCount": 5, "operator": {"enable_converter_ownership": False}},
        extra_specs={"VMAlert": {"evaluationInterval": "15s"}, "VMAgent": {"scrapeInterval": "10s"}},
    )
    inventory = recorder.run_program(lambda: VictoriaMetrics("vm", args))
    operator = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == "vm-operator")
    assert operator.inputs["values"]["replicaCount"] == 5
    # Nested values merge: the override leaves the neighbouring keys in place.
    assert operator.inputs["values"]["operator"] == {"disable_prometheus_converter": False, "enable_converter_ownership": False}
    vmalert = inventory.by_name("vm-vmalert")
    assert vmalert.inputs["spec"]["evaluationInterval"] == "15s"
    assert inventory.by_name("vm-vmagent").inputs["spec"]["scrapeInterval"] == "10s"


def test_a_vmalert_without_alertmanagers_is_refused():
    with pytest.raises(ValueError, match="at least one Alertmanager"):
        recorder.run_program(lambda: VictoriaMetrics("vm", _vm_args(notifier_urls=[])))


def test_only_the_ha_pair_labels_what_it_sends_to_thanos():
    for ha in (True, False):
        inventory = recorder.run_program(lambda: VictoriaMetrics("vm", _vm_args(high_availability=ha)))
        remote = inventory.by_name("vm-vmagent").inputs["spec"]["remoteWrite"]
        assert "inlineUrlRelabelConfig" not in remote[0]
        assert ("inlineUrlRelabelConfig" in remote[1]) is ha


def test_karmas_escape_hatch_replaces_lists_and_merges_maps():
    args = KarmaArgs(
        namespace="monitoring",
        config={"alertmanager": {"servers": []}},
        extra_values={"resources": {"limits": {"memory": "1Gi"}}, "tolerations": [{"operator": "Exists"}]},
    )
    inventory = recorder.run_program(lambda: Karma("karma", args))
    (release,) = inventory.of_type(RELEASE)
    values = release.inputs["values"]
    assert values["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert values["tolerations"] == [{"operator": "Exists"}]


def test_deep_merge_leaves_its_inputs_alone():
    base = {"a": {"b": 1}}
    merged = deep_merge(base, {"a": {"c": 2}})
    assert merged == {"a": {"b": 1, "c": 2}} and base == {"a": {"b": 1}}


# --- Sloth and Pyrra: one custom resource per rendered SLO -------------------------------------------------------

SLOTH_SLO = {
    "apiVersion": "sloth.slok.dev/v1",
    "kind": "PrometheusServiceLevel",
    "metadata": {"name": "checkout", "namespace": "monitoring", "labels": {"team": "payments"}},
    "spec": {
        "service": "checkout",
        "labels": {"team": "payments"},
        "slos": [
            {
                "name": "requests-availability",
                "objective": 99.9,
                "sli": {
                    "events": {
                        "errorQuery": 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))',
                        "totalQuery": 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))',
                    }
                },
                "alerting": {"name": "CheckoutAvailability", "pageAlert": {"disable": True}, "ticketAlert": {"disable": True}},
            }
        ],
    },
}
PYRRA_SLO = {
    "apiVersion": "pyrra.dev/v1alpha1",
    "kind": "ServiceLevelObjective",
    "metadata": {"name": "checkout-errors", "namespace": "monitoring", "labels": {"team": "payments"}},
    "spec": {
        "target": "99.9",
        "window": "4w",
        "indicator": {
            "ratio": {
                "errors": {"metric": 'http_requests_total{service="checkout",code=~"5.."}'},
                "total": {"metric": 'http_requests_total{service="checkout"}'},
            }
        },
        "alerting": {"burnrates": False},
    },
}


@pytest.fixture
def with_slos(monkeypatch):
    """The program as if the SLO renderer had produced two Sloth and one Pyrra object."""
    real = render.render
    second = {**SLOTH_SLO, "metadata": {**SLOTH_SLO["metadata"], "name": "ledger"}}

    def rendered(org, settings):
        return dataclasses.replace(real(org, settings), sloth_slos=(SLOTH_SLO, second), pyrra_slos=(PYRRA_SLO,))

    monkeypatch.setattr(render, "render", rendered)


@pytest.mark.parametrize("stack", STACKS)
def test_each_rendered_slo_becomes_one_custom_resource_after_its_crd(stack, with_slos, tmp_path):
    inventory, target, files = build.render_stack(stack, tmp_path)
    cases = {
        "Sloth": ("kubernetes:sloth.slok.dev/v1:PrometheusServiceLevel", "sloth", {"checkout", "ledger"}),
        "Pyrra": ("kubernetes:pyrra.dev/v1alpha1:ServiceLevelObjective", "pyrra", {"checkout-errors"}),
    }
    for component, (type_, release_name, names) in cases.items():
        objects = inventory.of_type(type_)
        assert {o.inputs["metadata"]["name"] for o in objects} == names
        (owner,) = inventory.of_type(f"alerting:index:{component}")
        release = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == release_name)
        # Each team's objects are one ConfigGroup of the component; its children wait for what it depends on.
        groups = [inventory.by_urn(urn) for urn in sorted({o.parent for o in objects})]
        assert all(g.type == "kubernetes:yaml/v2:ConfigGroup" and g.parent == owner.urn for g in groups)
        assert all(release.urn in g.dependencies for g in groups)
    # The objects are written to the build and meet their vendored CRDs, unknown fields being errors.
    findings = [f for f in checks.run_all(target) if "servicelevel" in f.subject.lower()]
    assert len(findings) == 3 and all(f.ok for f in findings), [f.detail for f in findings]


def test_an_slo_with_a_field_its_crd_lacks_fails_the_check(monkeypatch, tmp_path):
    real = render.render
    broken = {**PYRRA_SLO, "spec": {**PYRRA_SLO["spec"], "targett": "99"}}
    monkeypatch.setattr(render, "render", lambda org, s: dataclasses.replace(real(org, s), pyrra_slos=(broken,)))
    _, target, _ = build.render_stack("dev", tmp_path)
    (finding,) = [f for f in checks.run_all(target) if "servicelevelobjective" in f.subject.lower()]
    assert not finding.ok and "targett" in finding.detail


def test_two_slo_objects_with_one_name_are_refused(monkeypatch, tmp_path):
    real = render.render
    monkeypatch.setattr(render, "render", lambda org, s: dataclasses.replace(real(org, s), sloth_slos=(SLOTH_SLO, SLOTH_SLO)))
    with pytest.raises(Exception, match="two PrometheusServiceLevel objects named 'checkout'"):
        build.render_stack("dev", tmp_path)


# --- Pure wiring ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_falcosidekick_names_every_replica_and_every_event_names_the_security_team(stack):
    stack_ = from_values(stack, stack_values(stack))
    output = falco.sidekick_alertmanager(stack_.catalog, stack_.settings)
    assert len(output["hostport"].split(",")) == stack_.settings.alertmanager.replicas
    # Not an extra label, which would override a catalog rule's team: a field of every syscall event.
    assert "team:" not in output["extralabels"]
    every_event = falco.falco_config(stack_.catalog, stack_.settings)["append_output"][1]
    assert every_event["match"] == {"source": "syscall"} and every_event["extra_fields"][0] == {"team": stack_.catalog.security_team}


def test_the_otel_collector_only_has_the_metrics_pipeline_and_its_health_check():
    config = otel.collector_config(settings_of("dev"))
    assert set(config["service"]["pipelines"]) == {"metrics"}
    used = {name for pipeline in config["service"]["pipelines"].values() for kind in pipeline.values() for name in kind}
    declared = {name for section in ("receivers", "processors", "exporters") for name in config[section]}
    assert used == declared
    assert config["exporters"]["prometheusremotewrite"]["external_labels"] == {"cluster": "dev-eu1"}


def test_botkube_watches_only_each_teams_own_namespaces_in_its_alert_channel():
    org = from_values("dev", stack_values("dev")).catalog
    sources = botkube.sources(org)
    channels = botkube.slack_channels(org)
    payments = sources["payments-events"]["botkube/kubernetes"]["config"]
    assert payments["namespaces"]["include"] == ["^payments$"]
    assert channels["payments"]["name"] == "payments-alerts"
    assert channels["payments"]["bindings"]["sources"] == ["payments-events"]
    assert set(channels) == {t.name for t in org.teams if t.services}


def test_botkube_never_reads_secrets():
    rules = botkube.read_only_rules()
    assert all(rule["verbs"] == ["get", "list", "watch"] for rule in rules)
    core = next(rule for rule in rules if rule["apiGroups"] == [""])
    assert "secrets" not in core["resources"] and "*" not in core["resources"]


def test_botkube_tokens_reach_only_its_secret():
    inventory = recorder.run("dev")
    secret = inventory.by_name("alerting-botkube-communications")
    document = recorder.reveal(secret.inputs["stringData"])["comm_config.yaml"]
    assert recorder.placeholder("slack-bot-token") in document and recorder.placeholder("botkube-slack-app-token") in document
    release = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == "botkube")
    assert release.inputs["values"]["existingCommunicationsSecretName"] == "botkube-communications"


def test_without_a_slack_app_botkube_is_left_out_and_its_token_not_required(tmp_path):
    inventory, _, _ = build.render_stack("dev", tmp_path, SMALL_CATALOG)
    assert not inventory.of_type("alerting:index:Botkube")
    assert "botkube-slack-app-token" not in inventory.placeholders


# --- Settings --------------------------------------------------------------------------------------------------

HA_REFUSALS = {
    "High availability without OnCall's managed database and Redis is refused.": (
        {"oncall": {}},
        "oncall.postgres is required; oncall.redis is required",
    ),
    "High availability with a single Alertmanager is refused.": (
        {"alertmanager": {"replicas": 1}},
        "alertmanager.replicas must be at least 2",
    ),
    "High availability on a single VictoriaMetrics node is refused.": (
        {"metrics": {"mode": "single", "replicationFactor": 1}},
        "metrics.mode must be cluster",
    ),
    "High availability with Grafana on SQLite is refused.": ({"grafana": {}}, "grafana.database is required"),
}


@pytest.mark.parametrize("case", HA_REFUSALS, ids=list(HA_REFUSALS))
def test_high_availability_refuses_single_pod_dependencies(case):
    overrides, expected = HA_REFUSALS[case]
    with pytest.raises(InputError) as exc:
        from_values("prod", stack_values("prod", **overrides))
    message = str(exc.value)
    assert message.startswith("Pulumi.prod.yaml: alerting-platform:") and expected in message


def test_dev_is_small_and_prod_names_its_managed_services():
    dev, prod = settings_of("dev"), settings_of("prod")
    assert (dev.high_availability, prod.high_availability) == (False, True)
    assert dev.oncall.postgres is None and dev.grafana.database is None
    assert prod.oncall.postgres.password.secret == "oncall-postgres-password"


def test_the_secrets_the_platform_needs_are_named_by_their_config_keys():
    values = stack_values("prod")
    del values["alerting-platform:secrets"]["oncall-redis-password"]
    with pytest.raises(InputError) as exc:
        from_values("prod", values)
    assert "alerting-platform:secrets.oncall-redis-password: missing; referenced by alerting-platform:oncall.redis.password" in str(exc.value)


def test_sloth_handles_only_the_slos_it_owns_with_the_catalogs_period():
    from render.resources.slo import SLOTH_LABEL_SELECTOR

    inventory = recorder.run("dev")
    (sloth,) = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "sloth"]
    values = sloth.inputs["values"]["sloth"]
    assert values["labelSelector"] == SLOTH_LABEL_SELECTOR
    assert values["defaultSloPeriod"] == str(catalog.load("example").slo_defaults.sloth_period)
