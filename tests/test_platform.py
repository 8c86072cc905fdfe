"""The whole Platform under the Pulumi SDK's mocks, for both stacks: systems, pins, production shape, secrets, wiring."""

from __future__ import annotations

import subprocess
import sys
from functools import reduce

import pytest
import yaml

from cli import build, checks, recorder, helm
from alerting_facts.charts import PROFILES, Workload
from cli.charts import lock
from stacks import from_values
from stacks.config import decode
from tests.conftest import PROJECT_DIR, STACKS

RELEASE = "kubernetes:helm.sh/v3:Release"
VM = "kubernetes:operator.victoriametrics.com/v1beta1"


@pytest.fixture(scope="module", params=STACKS)
def built(request, tmp_path_factory):
    """(inventory, files written to build/<stack>/, settings) of one stack."""
    inventory, _, files = build.render_stack(request.param, tmp_path_factory.mktemp(request.param))
    config, _, _ = recorder.stack_config(request.param)
    settings = from_values(request.param, {k: decode(v) for k, v in config.items()}).settings
    return inventory, files, settings


def releases(inventory) -> dict[str, dict]:
    """Release name -> inputs (values and all), numbers normalised."""
    return {r.inputs["name"]: r.inputs for r in inventory.of_type(RELEASE)}


def dig(values: dict, path: str):
    return reduce(lambda node, key: (node or {}).get(key), path.split("."), values)


def wholly_secret(data) -> bool:
    """Every value of a Secret's data reaches the engine wrapped as a Pulumi secret (the map, or each value)."""
    return recorder.is_secret(data) or (bool(data) and all(recorder.is_secret(v) for v in data.values()))


def custom(inventory, kind: str) -> list:
    return inventory.of_type(f"{VM}:{kind}")


# --- Every system, pinned ---------------------------------------------------------------------------------------

SYSTEMS = {
    # component type: {release name: chart}; the pins are the lock's (charts/charts.lock.yaml)
    "VictoriaMetrics": {"vm-operator": "victoria-metrics-operator", "prometheus-operator-crds": "prometheus-operator-crds"},
    "Thanos": {"thanos": "thanos"},
    "Alertmanager": {"alertmanager": "alertmanager"},
    "Karma": {"karma": "karma"},
    "OnCall": {"oncall": "oncall"},
    "Grafana": {"grafana": "grafana"},
    "Pyrra": {"pyrra": "pyrra"},
    "Sloth": {"sloth": "sloth"},
    "Litmus": {"litmus": "litmus-core"},
    "Falco": {"falco": "falco", "falcosidekick": "falcosidekick", "falco-talon": "falco-talon"},
    "Botkube": {"botkube": "botkube"},
    "OtelCollector": {"otel-collector": "opentelemetry-collector"},
    "NodeExporter": {"node-exporter": "prometheus-node-exporter"},
    "Goldpinger": {"goldpinger": "goldpinger"},
}


@pytest.mark.parametrize("system", SYSTEMS, ids=list(SYSTEMS))
def test_every_system_is_a_component_with_its_charts_pinned_as_vendored(system, built):
    inventory, _, _ = built
    (component,) = inventory.of_type(f"alerting:index:{system}")
    platform = inventory.of_type("alerting:index:Platform")[0]
    assert component.parent == platform.urn
    children = {r.inputs["name"]: r.inputs for r in inventory.children(component.urn) if r.type == RELEASE}
    for name, chart in SYSTEMS[system].items():
        assert name in children, f"{system} has no release {name}"
        pinned, locked = children[name], lock()[chart]
        assert (pinned["chart"], pinned["repositoryOpts"]["repo"], pinned["version"]) == (chart, locked.repository, locked.version)


def test_the_tables_cover_every_release(built):
    inventory, _, settings = built
    expected = {name for charts in SYSTEMS.values() for name in charts}
    # cert-manager and its trust-manager run only where the stack encrypts in transit (tls.enabled, prod).
    assert set(releases(inventory)) == expected | ({"cert-manager", "trust-manager"} if settings.tls.enabled else set())


def test_cert_manager_is_a_component_pinned_as_vendored_where_tls_is_on(built):
    inventory, _, settings = built
    components = inventory.of_type("alerting:index:CertManager")
    assert len(components) == (1 if settings.tls.enabled else 0)
    if components:
        children = {r.inputs["name"]: r.inputs for r in inventory.children(components[0].urn) if r.type == RELEASE}
        assert set(children) == {"cert-manager", "trust-manager"}
        for name, pinned in children.items():
            locked = lock()[name]
            assert (pinned["chart"], pinned["repositoryOpts"]["repo"], pinned["version"]) == (name, locked.repository, locked.version)
            assert pinned["namespace"] == "cert-manager" and pinned["values"]["crds"]["enabled"] is True


def test_no_bitnami_image_or_chart_is_used(built):
    inventory, files, _ = built
    text = "\n".join(files.values()).lower()
    assert "bitnami" not in text
    oncall = releases(inventory)["oncall"]["values"]
    # The chart's bundled databases and broker are Bitnami subcharts: every one is off.
    assert [oncall[dep]["enabled"] for dep in ("mariadb", "postgresql", "rabbitmq", "redis", "grafana")] == [False] * 5


# --- The alert path -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alertmanager_pods(built, tmp_path_factory) -> list[str]:
    """`<scheme>://<pod>.<headless service>.<namespace>.svc:<port>` of every pod of the Alertmanager StatefulSet as
    Helm renders it from the registered release: the addresses every sender must reach, one per replica; `https`
    where its container is started with a web TLS config (`--web.config.file`)."""
    inventory, files, _ = built
    out = tmp_path_factory.mktemp("alertmanager")
    (out / "releases.yaml").write_text(files["releases.yaml"])
    (rendered,) = [r for r in helm.render_all(out) if r.release.name == "alertmanager"]
    (sts,) = [o for o in rendered.objects if o["kind"] == "StatefulSet"]
    (port,) = [p["containerPort"] for c in sts["spec"]["template"]["spec"]["containers"] for p in c.get("ports", []) if p.get("name") == "http"]
    host = f"{sts['spec']['serviceName']}.{rendered.release.namespace}.svc"
    (server,) = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "alertmanager"]
    scheme = "https" if any(a.startswith("--web.config.file=") for a in server.get("args", [])) else "http"
    return [f"{scheme}://{sts['metadata']['name']}-{i}.{host}:{port}" for i in range(sts["spec"]["replicas"])]


def test_vmalert_notifies_exactly_every_alertmanager_replica(built, alertmanager_pods):
    inventory, _, settings = built
    (vmalert,) = custom(inventory, "VMAlert")
    notifiers = [n["url"] for n in vmalert.inputs["spec"]["notifiers"]]
    assert notifiers == alertmanager_pods
    assert len(notifiers) == settings.alertmanager.replicas


def test_vmalert_evaluates_every_vmrule_including_converted_prometheus_rules(built):
    inventory, _, _ = built
    (vmalert,) = custom(inventory, "VMAlert")
    spec = vmalert.inputs["spec"]
    assert spec["ruleSelector"] == {} and spec["ruleNamespaceSelector"] == {}
    operator = releases(inventory)["vm-operator"]["values"]
    assert operator["operator"]["disable_prometheus_converter"] is False
    assert operator["crds"]["plain"] is True


def test_falcosidekick_sends_to_every_alertmanager_replica_with_api_v2(built, alertmanager_pods):
    inventory, _, _ = built
    output = releases(inventory)["falcosidekick"]["values"]["config"]["alertmanager"]
    assert output["hostport"].split(",") == alertmanager_pods
    assert output["endpoint"] == "/api/v2/alerts"
    # Extra labels override the event's own: the team comes from each event (security, or a catalog rule's team).
    assert [label.split(":")[0] for label in output["extralabels"].split(",")] == ["cluster"]


def test_karma_reads_every_alertmanager_replica(built, alertmanager_pods):
    inventory, _, _ = built
    servers = releases(inventory)["karma"]["values"]["configMap"]["rawConfig"]["alertmanager"]["servers"]
    assert [s["uri"] for s in servers] == alertmanager_pods
    assert len({s["cluster"] for s in servers}) == 1


def test_vmagent_writes_to_storage_and_to_thanos_receive(built):
    inventory, _, settings = built
    (vmagent,) = custom(inventory, "VMAgent")
    urls = [rw["url"] for rw in vmagent.inputs["spec"]["remoteWrite"]]
    storage = "vminsert-platform" if settings.metrics.mode == "cluster" else "vmsingle-platform"
    assert storage in urls[0]
    assert urls[1] == "http://thanos-receive-router.monitoring.svc:19291/api/v1/receive"


def test_the_rendered_alertmanager_config_and_receiver_secrets_are_mounted(built):
    inventory, _, _ = built
    values = releases(inventory)["alertmanager"]["values"]
    assert values["config"]["route"]["receiver"] == "catch-all"
    mounts = {m["secretName"]: m["mountPath"] for m in values["extraSecretMounts"]}
    assert mounts["alertmanager-receivers"] == "/etc/alertmanager-secrets"
    # With TLS, also the replicas' certificate, which cert-manager writes (docs/encryption.md).
    assert set(mounts) == {"alertmanager-receivers"} | ({"alertmanager-tls"} if "cluster.tls-config" in values["extraArgs"] else set())
    secret = inventory.by_name("alerting-alertmanager-receivers")
    assert secret.inputs["metadata"]["name"] == "alertmanager-receivers"


def test_the_otel_collector_sends_metrics_to_vmagent_by_remote_write(built):
    inventory, _, _ = built
    config = releases(inventory)["otel-collector"]["values"]["alternateConfig"]
    assert config["service"]["pipelines"]["metrics"]["receivers"] == ["otlp"]
    assert config["exporters"]["prometheusremotewrite"]["endpoint"] == "http://vmagent-platform.monitoring.svc:8429/api/v1/write"


def test_grafana_has_both_datasources_and_the_oncall_app(built):
    inventory, _, _ = built
    values = releases(inventory)["grafana"]["values"]
    sources = {d["uid"]: d["url"] for d in values["datasources"]["datasources.yaml"]["datasources"]}
    assert set(sources) == {"victoriametrics", "thanos"}
    assert sources["thanos"] == "http://thanos-query-frontend.monitoring.svc:10902"
    assert values["plugins"] == ["grafana-oncall-app"]
    plugin = inventory.by_name("alerting-grafana-oncall-plugin")
    assert "onCallApiUrl: http://oncall-engine.monitoring.svc:8080" in plugin.inputs["data"]["oncall.yaml"]


# --- Production shape -------------------------------------------------------------------------------------------

# Stateless services that support replicas: (release, value path of the replica count).
STATELESS_REPLICAS = [
    ("vm-operator", "replicaCount"),
    ("karma", "replicaCount"),
    ("grafana", "replicas"),
    ("oncall", "engine.replicaCount"),
    ("thanos", "query.replicas"),
    ("thanos", "queryFrontend.replicas"),
    ("thanos", "receive.router.replicas"),
    ("thanos", "storeGateway.replicas"),
    ("falcosidekick", "replicaCount"),
    ("falco-talon", "replicaCount"),
    ("otel-collector", "replicaCount"),
    ("litmus", "replicaCount"),
]
SINGLETONS = {
    # Why these stay at one replica; a test below keeps the list honest.
    "botkube": "no leader election: a second replica answers every command twice",
    "sloth": "the chart hard-codes one replica",
    "pyrra": "the chart has no replicas key",
    "thanos compact": "two compactors would compact the same blocks",
    "oncall celery": "celery beat runs inside every worker: two would run each periodic task twice",
}


@pytest.mark.parametrize("release,path", STATELESS_REPLICAS, ids=[f"{r} {p}" for r, p in STATELESS_REPLICAS])
def test_stateless_services_run_two_replicas_in_prod_and_one_in_dev(release, path, built):
    inventory, _, settings = built
    count = dig(releases(inventory)[release]["values"], path)
    assert count >= 2 if settings.high_availability else count == 1


def test_the_singletons_are_single_for_the_reasons_given(built):
    inventory, _, _ = built
    values = releases(inventory)
    assert values["botkube"]["values"]["replicaCount"] == 1
    assert "replicaCount" not in values["sloth"]["values"] and "replicas" not in values["pyrra"]["values"]
    assert "replicas" not in values["thanos"]["values"]["compact"]
    assert values["oncall"]["values"]["celery"]["replicaCount"] == 1
    assert set(SINGLETONS) == {"botkube", "sloth", "pyrra", "thanos compact", "oncall celery"}


def test_prod_alertmanager_is_three_replicas_with_hard_anti_affinity_and_a_disruption_budget(built):
    inventory, _, settings = built
    values = releases(inventory)["alertmanager"]["values"]
    if settings.high_availability:
        assert values["replicaCount"] == 3
        assert values["podAntiAffinity"] == "hard"
        assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    else:
        assert values["replicaCount"] == 1 and "podAntiAffinity" not in values


def test_prod_stores_metrics_in_a_replicated_cluster_and_dev_in_a_single_node(built):
    inventory, _, settings = built
    if settings.high_availability:
        (cluster,) = custom(inventory, "VMCluster")
        spec = cluster.inputs["spec"]
        assert spec["replicationFactor"] >= 2
        assert spec["vmstorage"]["replicaCount"] > spec["replicationFactor"]
        assert spec["vmselect"]["replicaCount"] >= 2 and spec["vminsert"]["replicaCount"] >= 2
        assert not custom(inventory, "VMSingle")
    else:
        (single,) = custom(inventory, "VMSingle")
        assert single.inputs["spec"]["storage"]["resources"]["requests"]["storage"] == settings.metrics.storage_size
        assert not custom(inventory, "VMCluster")


def test_vmagent_and_vmalert_are_highly_available_in_prod(built):
    inventory, _, settings = built
    for kind in ("VMAgent", "VMAlert"):
        (obj,) = custom(inventory, kind)
        expected = 2 if settings.high_availability else 1
        assert obj.inputs["spec"]["replicaCount"] == expected
        assert obj.inputs["spec"]["useStrictSecurity"] is True


def test_thanos_receive_replicates_in_prod_and_the_compactor_keeps_three_resolutions(built):
    inventory, _, settings = built
    values = releases(inventory)["thanos"]["values"]
    ha = settings.high_availability
    assert values["receive"]["replicationFactor"] == (3 if ha else 1)
    assert values["receive"]["ingestor"]["replicas"] >= values["receive"]["replicationFactor"]
    assert values["compact"]["extraArgs"] == [
        f"--retention.resolution-raw={settings.thanos.retention_raw}",
        f"--retention.resolution-5m={settings.thanos.retention_5m}",
        f"--retention.resolution-1h={settings.thanos.retention_1h}",
    ]
    assert values["objstoreConfig"] == {"create": False, "name": "thanos-objstore", "key": "objstore.yml"}


# Where each chart takes resources and security contexts is its profile (alerting_facts.charts), the one the policy
# pack judges by: each release's rendered workloads are checked at the profile's paths.
WRITABLE_ROOT = {"oncall": "celery beat writes its schedule file into the image's working directory"}


def workloads(release: dict) -> list[Workload]:
    """The workloads the release's chart renders with these values, by the chart's shared profile."""
    profile = PROFILES.get(release["chart"])
    assert profile is not None, f"chart {release['chart']} has no profile in alerting_facts.charts"
    return profile.rendered(release["values"])


def hardened(release: dict) -> list[tuple[str, ...]]:
    """The container security contexts the platform must harden: every rendered workload's, except where the chart
    runs it as root whatever the values say (the profile names why)."""
    return [path for w in workloads(release) if w.runs_as_root is None for path in w.container_security]


def test_every_release_is_hardened_or_its_chart_says_why_not(built):
    inventory, _, _ = built
    unhardened = {}
    for name, release in releases(inventory).items():
        for w in workloads(release):
            if not w.container_security or w.runs_as_root:
                unhardened[f"{name} {w.name}"] = w.runs_as_root or "the chart has no container security-context values"
    # Falco reads kernel events as root; Talon's and Litmus' charts have no container security contexts.
    assert set(unhardened) == {"falco falco", "falco-talon falco-talon", "litmus operator"}, unhardened


HARDENED_RELEASES = ["alertmanager", "karma", "grafana", "oncall", "thanos", "vm-operator", "pyrra", "sloth",
                     "falcosidekick", "botkube", "otel-collector", "node-exporter", "goldpinger", "cert-manager", "trust-manager"]


@pytest.mark.parametrize("name", HARDENED_RELEASES)
def test_containers_run_non_root_without_privilege_escalation_on_a_read_only_root(name, built):
    inventory, _, settings = built
    release = releases(inventory).get(name)
    if release is None:
        assert name in ("cert-manager", "trust-manager") and not settings.tls.enabled
        return
    paths = hardened(release)
    assert paths
    for path in paths:
        context = dig(release["values"], ".".join(path))
        assert context["allowPrivilegeEscalation"] is False, path
        assert context["runAsNonRoot"] is True, path
        assert context["capabilities"] == {"drop": ["ALL"]}, path
        assert context["readOnlyRootFilesystem"] is (name not in WRITABLE_ROOT), path


def test_every_rendered_workload_sets_requests_and_memory_limits(built):
    inventory, _, _ = built
    unsized = [
        f"{name} {w.name} {'.'.join(path)}"
        for name, release in releases(inventory).items()
        for w in workloads(release)
        for path in w.resources
        if not (isinstance(r := dig(release["values"], ".".join(path)), dict) and r.get("requests") and "memory" in r.get("limits", {}))
    ]
    assert not unsized


def test_directly_created_workloads_are_hardened_and_sized(built):
    inventory, _, _ = built
    for res in inventory.of_type("kubernetes:apps/v1:StatefulSet"):
        pod = res.inputs["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["resources"]["limits"]["memory"]


def test_state_lives_on_persistent_volumes(built):
    inventory, _, settings = built
    values = releases(inventory)
    assert values["alertmanager"]["values"]["persistence"]["enabled"] is True
    thanos = values["thanos"]["values"]
    for path in ("receive.ingestor.persistence", "storeGateway.persistence", "compact.persistence"):
        assert dig(thanos, path)["enabled"] is True
    grafana = values["grafana"]["values"]
    # Grafana keeps its state in the shared database in prod, on its own volume (SQLite) in dev.
    assert grafana["persistence"]["enabled"] is (settings.grafana.database is None)


def test_in_cluster_databases_exist_only_where_stack_config_names_none(built):
    inventory, _, settings = built
    in_cluster = {r.type for r in inventory.resources if r.type.startswith("alerting:index:InCluster")}
    expected = set() if settings.oncall.postgres else {"alerting:index:InClusterPostgres", "alerting:index:InClusterValkey"}
    assert in_cluster == expected
    external = releases(inventory)["oncall"]["values"]["externalPostgresql"]
    assert external["host"] == (settings.oncall.postgres.host if settings.oncall.postgres else "oncall-postgres")


def test_namespaces_come_first_and_are_labelled_for_pod_security(built):
    inventory, _, _ = built
    namespaces = {r.inputs["metadata"]["name"]: r for r in inventory.of_type("kubernetes:core/v1:Namespace")}
    levels = {n: r.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] for n, r in namespaces.items()}
    tls = {"cert-manager": "restricted"} if "cert-manager" in levels else {}
    assert levels == {"monitoring": "restricted", "falco": "privileged", "litmus": "baseline", "node-exporter": "privileged", **tls}
    platform = inventory.of_type("alerting:index:Platform")[0]

    def creates_kubernetes_objects(urn: str) -> bool:
        return any(c.type.startswith("kubernetes:") or creates_kubernetes_objects(c.urn) for c in inventory.children(urn))

    for component in inventory.children(platform.urn):
        if component.custom or not creates_kubernetes_objects(component.urn):
            continue  # e.g. OnCall escalation talks to OnCall's API, not to Kubernetes
        assert any(ns.urn in component.dependencies for ns in namespaces.values()), component.name


def test_custom_resources_wait_for_the_operator_release(built):
    inventory, _, _ = built
    operator = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == "vm-operator")
    crds = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == "prometheus-operator-crds")
    vm_objects = [r for r in inventory.resources if r.type.startswith(VM)]
    assert len(vm_objects) >= 4
    # A VMRule is a child of its team's ConfigGroup, which holds the dependency for it (docs/components.md).
    groups = {g.urn: g for g in inventory.of_type("kubernetes:yaml/v2:ConfigGroup")}
    assert all(operator.urn in groups.get(r.parent, r).dependencies for r in vm_objects)
    assert crds.urn in operator.dependencies
    for name in ("sloth", "pyrra"):
        release = next(r for r in inventory.of_type(RELEASE) if r.inputs["name"] == name)
        assert crds.urn in release.dependencies


# --- Secrets ------------------------------------------------------------------------------------------------------


def test_every_kubernetes_secret_carries_only_pulumi_secrets(built):
    inventory, _, _ = built
    secrets = inventory.of_type("kubernetes:core/v1:Secret")
    assert len(secrets) >= 6
    for res in secrets:
        assert wholly_secret(res.inputs["stringData"]), res.name


def test_generated_passwords_stay_pulumi_secrets_and_appear_in_no_other_resource(built):
    inventory, files, _ = built
    passwords = inventory.of_type("random:index/randomPassword:RandomPassword")
    assert {p.name.split("alerting-", 1)[1] for p in passwords} >= {
        "grafana-admin-password",
        "oncall-secret-key",
        "oncall-mirage-secret-key",
    }
    values = [f"offline-random-{p.name}" for p in passwords]
    for res in inventory.resources:
        text = repr(recorder.reveal(res.inputs))
        leaks = [v for v in values if v in text]
        if res.type == "kubernetes:core/v1:Secret":
            assert wholly_secret(res.inputs["stringData"]), res.name
        elif res.type == "pulumi:providers:grafana" and "auth" in res.inputs:
            # Grafana's own API, signed in as its admin (components/grafana_access.py): a provider credential.
            assert recorder.is_secret(res.inputs["auth"]) and leaks == ["offline-random-alerting-grafana-admin-password"], res.name
        else:
            assert not leaks, f"{res.name} carries {leaks}"
    assert not [name for name, text in files.items() if any(v in text for v in values)]


# Where a secret value may go: Kubernetes Secrets, and the credentials of a provider (OnCall's API token).
# OnCall outgoing webhooks hold the Slack bot token (Authorization header) and Jira password, encrypted in OnCall.
SECRET_HOLDERS = {"kubernetes:core/v1:Secret", "pulumi:providers:grafana", "grafana:onCall/outgoingWebhook:OutgoingWebhook"}


def test_no_secret_value_reaches_a_non_secret_resource_or_the_build(built):
    inventory, files, _ = built
    assert inventory.placeholders
    for res in inventory.resources:
        # Everywhere, a secret travels wrapped as a Pulumi secret ...
        assert not [v for v in inventory.placeholders.values() if v in repr(recorder.redact(res.inputs))], res.name
        if res.type in SECRET_HOLDERS:
            continue
        # ... and only the resources meant to hold secrets get one at all.
        text = repr(recorder.reveal(res.inputs))
        assert not [v for v in inventory.placeholders.values() if v in text], res.name
    assert not [name for name, text in files.items() for v in inventory.placeholders.values() if v in text]


def test_database_passwords_reach_oncall_only_through_its_secret(built):
    inventory, _, settings = built
    secret = recorder.reveal(inventory.by_name("alerting-oncall-postgres").inputs["stringData"])
    if settings.oncall.postgres:
        assert secret["password"] == recorder.placeholder(settings.oncall.postgres.password.secret)
    else:
        # Generated for the in-cluster server, and the same value the server itself gets.
        assert secret["password"] == "offline-random-alerting-oncall-database-password"
        server = recorder.reveal(inventory.by_name("alerting-oncall-database-secret").inputs["stringData"])
        assert server["password"] == secret["password"]
    values = releases(inventory)["oncall"]["values"]["externalPostgresql"]
    assert values["existingSecret"] == "oncall-postgres" and "password" not in values


# --- Outputs and the commands --------------------------------------------------------------------------------------


def test_stack_outputs_are_the_urls_people_need(built):
    inventory, _, settings = built
    urls = inventory.outputs["urls"]
    # With signed-in users Alertmanager is not published: silences go through Karma and its teams' rules.
    published = {"karma", "grafana", "oncall", "pyrra", "thanos"} | ({"alertmanager"} if not settings.access.user_header else set())
    assert set(urls) == published
    hosts = {r.inputs["spec"]["rules"][0]["host"] for r in inventory.of_type("kubernetes:networking.k8s.io/v1:Ingress")}
    assert {url.removeprefix("https://") for url in urls.values()} == hosts
    assert all(url.endswith(settings.domain) for url in urls.values())


def test_everything_built_passes_the_real_tools_and_schemas(built, tmp_path):
    _, files, settings = built
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    findings = checks.run_all(tmp_path)
    assert not [f"{f.check} {f.subject}: {f.detail}" for f in findings if not f.ok]
    kinds = {f.check for f in findings}
    assert {
        "helm template", "kubernetes schema", "values read by chart", "service selects pods", "pod references exist",
        "wired address resolves", "metric has a source",
    } <= kinds
    # Only the HA pair labels what it sends to Thanos; that relabelling meets the real vmagent.
    assert ("vmagent -dryRun" in kinds) is settings.high_availability
    rendered = {f.subject.split()[1] for f in findings if f.check == "helm template"}
    assert rendered == {f"{r['namespace']}/{r['name']}" for r in yaml.safe_load(files["releases.yaml"])["releases"]}


@pytest.mark.parametrize("stack", STACKS)
def test_make_plan_prints_the_tree_of_every_component_and_passes_its_checks(stack, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cli", "plan", "--stack", stack, "--build-dir", str(tmp_path)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for system in SYSTEMS:
        assert f"(alerting:index:{system}):" in result.stdout
    assert " 0 failed" in result.stdout


# Thanos v0.42.4's flag names (cmd/thanos/config.go:49-57 and 87-92, cmd/thanos/receive.go:995-1007).
THANOS_SERVER_TLS = {"--grpc-server-tls-cert", "--grpc-server-tls-key", "--grpc-server-tls-client-ca"}
THANOS_CLIENT_TLS = {
    "query": {"--grpc-client-tls-secure", "--grpc-client-tls-cert", "--grpc-client-tls-key", "--grpc-client-tls-ca",
              "--grpc-client-server-name"},
    "router": {"--remote-write.client-tls-secure", "--remote-write.client-tls-cert", "--remote-write.client-tls-key",
               "--remote-write.client-tls-ca", "--remote-write.client-server-name"},
}


def test_thanos_grpc_is_mutual_tls_exactly_where_the_platform_runs_its_ca(built):
    inventory, _, settings = built
    values = releases(inventory)["thanos"]["values"]
    components = {"query": values["query"], "storeGateway": values["storeGateway"],
                  "ingestor": values["receive"]["ingestor"], "router": values["receive"]["router"]}
    for name, component in components.items():
        flags = {arg.split("=", 1)[0] for arg in component.get("extraArgs", [])}
        if not settings.tls.enabled:
            assert not flags and "extraVolumes" not in component, name  # dev: plain gRPC, as before
            continue
        assert flags == THANOS_SERVER_TLS | THANOS_CLIENT_TLS.get(name, set()), name
        (volume,) = component["extraVolumes"]
        (mount,) = component["extraVolumeMounts"]
        assert volume["name"] == mount["name"] and mount["readOnly"] is True
        assert all(arg.split("=", 1)[1].startswith(mount["mountPath"] + "/") for arg in component["extraArgs"]
                   if arg.split("=", 1)[0].endswith(("-cert", "-key", "-ca", "-client-ca")))
        certificate = next(o for o in inventory.of_type("kubernetes:cert-manager.io/v1:Certificate")
                           if o.inputs["spec"]["secretName"] == volume["secret"]["secretName"])
        server_names = {arg.split("=", 1)[1] for arg in component["extraArgs"] if arg.split("=", 1)[0].endswith("server-name")}
        assert server_names <= set(certificate.inputs["spec"]["dnsNames"])
        assert {"server auth", "client auth"} <= set(certificate.inputs["spec"]["usages"])
