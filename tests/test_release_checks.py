"""`make check` on the Kubernetes side: what Helm renders from the program's releases, and the wiring between them.

Each mutation of a real prod build (a misspelt values key, a wrong port in a wired URL, an unpublished chart pin, a
custom-resource field its CRD lacks, an exporter nobody deploys) must fail the check that owns it, naming the release
or file and the path. The defects the checks found in the charts' wiring stay fixed, proven on Helm's own output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cli import build, release_checks, wiring
from cli.helm import render_all


@pytest.fixture(scope="module")
def prod_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    _, target, _ = build.render_stack("prod", out)
    return target


@pytest.fixture(scope="module")
def prod_rendered(prod_build):
    return {r.release.name: r for r in render_all(prod_build)}


@pytest.fixture
def mutable_build(prod_build, tmp_path) -> Path:
    copy = tmp_path / "prod"
    shutil.copytree(prod_build, copy)
    return copy


def failures(findings) -> list[str]:
    return [f"{f.subject}: {f.detail}" for f in findings if not f.ok]


def edit_yaml(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def release_values(document: dict, name: str) -> dict:
    return next(r for r in document["releases"] if r["name"] == name)


# --- Mutations: each one fails `make check`, naming the release or file and the path ---------------------------


def test_a_misspelt_values_key_is_a_value_the_chart_never_reads(mutable_build):
    def misspell(doc):
        query = release_values(doc, "thanos")["values"]["query"]
        query["replica"] = query.pop("replicas")

    edit_yaml(mutable_build / "releases.yaml", misspell)
    (failure,) = failures(release_checks.values_read_by_chart(mutable_build))
    assert failure.startswith("release monitoring/thanos (thanos 1.24.1): query.replica: the chart thanos 1.24.1 does not read")


def test_a_wired_url_with_a_port_its_service_lacks_is_refused(mutable_build):
    path = mutable_build / "manifests" / "vmalert-monitoring-platform.yaml"
    edit_yaml(path, lambda doc: doc["spec"]["notifiers"][0].update(url="http://alertmanager-0.alertmanager-headless.monitoring.svc:9095"))
    (failure,) = failures(release_checks.wired_urls(mutable_build))
    assert "alertmanager-0.alertmanager-headless.monitoring.svc:9095 (manifests/vmalert-monitoring-platform.yaml: spec.notifiers[0].url)" in failure
    assert "Service monitoring/alertmanager-headless (release monitoring/alertmanager) has no port 9095" in failure


def test_a_chart_pinned_to_a_version_never_published_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: release_values(doc, "oncall").update(version="1.16.9"))
    (failure,) = failures(release_checks.helm_template(mutable_build))
    assert failure.startswith("release monitoring/oncall (oncall 1.16.9): not rendered")
    assert "pinned to 1.16.9" in failure and "1.16.5" in failure


def test_a_custom_resource_field_its_crd_lacks_is_refused(mutable_build):
    # The VMRules are written as the program hands them to the provider: a ConfigGroup's YAML stream per team.
    path = next((mutable_build / "manifests").glob("configgroup-*-victoriametrics-rules-*.yaml"))
    docs = list(yaml.safe_load_all(path.read_text()))
    slo = next(doc for doc in docs if doc["metadata"]["name"].startswith("slo-"))
    slo["spec"]["evaluationDelay"] = "1m"
    path.write_text(yaml.safe_dump_all(docs))
    (failure,) = failures(release_checks.kubernetes_schemas(mutable_build))
    assert failure.startswith(
        f"manifests/{path.name}: VMRule {slo['metadata']['name']}: spec: Additional properties are not allowed "
        "('evaluationDelay' was unexpected)"
    )


def test_a_metric_whose_exporter_is_not_deployed_has_no_source(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: doc["releases"].remove(release_values(doc, "node-exporter")))
    bad = failures(release_checks.rule_metric_sources(mutable_build))
    assert bad and all(f.startswith("node_") and "produced by node-exporter, which the platform does not deploy" in f for f in bad)


def test_an_exporter_without_a_scrape_object_is_unscraped(mutable_build):
    (mutable_build / "manifests" / "vmpodscrape-litmus-chaos-exporter.yaml").unlink()
    bad = failures(release_checks.rule_metric_sources(mutable_build))
    assert bad and all(f.startswith("litmuschaos_") and "which no scrape object reaches" in f for f in bad)


def test_prod_alertmanager_gossips_over_mutual_tls_and_serves_https_as_helm_renders_it(prod_build):
    passed = [f.subject for f in release_checks.tls_settings(prod_build) if f.ok and "alertmanager" in f.subject]
    assert passed == ["StatefulSet monitoring/alertmanager alertmanager: --cluster.tls-config",
                      "StatefulSet monitoring/alertmanager alertmanager: --web.config.file",
                      "StatefulSet monitoring/alertmanager alertmanager: API encrypted",
                      "StatefulSet monitoring/alertmanager alertmanager: gossip encrypted"]
    passed = [f.subject for f in release_checks.tls_settings(prod_build) if f.ok and f.subject.startswith("VMCluster")]
    assert passed == ["VMCluster monitoring/platform vmselect: -tls",
                      "VMCluster monitoring/platform vmselect: HTTP encrypted",
                      "VMCluster monitoring/platform vminsert: -tls",
                      "VMCluster monitoring/platform vminsert: HTTP encrypted"]


def test_every_client_of_alertmanager_in_prod_verifies_it_over_https(prod_build):
    # The senders and readers of Alertmanager's API the platform wires: vmalert's notifiers (one per replica), Karma
    # (its release's config and the rendered karma.yaml), falcosidekick and the silence backup's amtool.
    findings = [f for f in release_checks.tls_clients(prod_build) if f.subject.startswith("alertmanager")]
    assert failures(findings) == []
    sources = sorted({f.subject.split(" (", 1)[1].split(":", 1)[0] for f in findings})
    assert sources == ["karma/karma.yaml", "manifests/cronjob-monitoring-backup-silences.yaml",
                       "manifests/vmalert-monitoring-platform.yaml", "release falco/falcosidekick values",
                       "release monitoring/karma values"]
    assert len(findings) == 3 * 4 + 1


def test_an_alertmanager_without_its_web_tls_flag_serves_its_api_in_plain_text(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: release_values(doc, "alertmanager")["values"]["extraArgs"].pop("web.config.file"))
    (failure,) = failures(release_checks.tls_settings(mutable_build))
    assert failure == ("StatefulSet monitoring/alertmanager alertmanager: API encrypted: its API and UI are served in plain "
                       "text: no --web.config.file")


def test_a_notifier_over_http_or_without_a_ca_is_refused(mutable_build):
    def weaken(doc):
        doc["spec"]["notifiers"][0]["url"] = doc["spec"]["notifiers"][0]["url"].replace("https://", "http://")
        del doc["spec"]["notifiers"][1]["tlsConfig"]

    edit_yaml(mutable_build / "manifests" / "vmalert-monitoring-platform.yaml", weaken)
    assert failures(release_checks.tls_clients(mutable_build)) == [
        "alertmanager-0.alertmanager-headless.monitoring.svc:9093 (manifests/vmalert-monitoring-platform.yaml: "
        "spec.notifiers[0].url): speaks http to a server that serves HTTPS only",
        "alertmanager-1.alertmanager-headless.monitoring.svc:9093 (manifests/vmalert-monitoring-platform.yaml: "
        "spec.notifiers[1].url): names no CA to verify the server's certificate by",
    ]


def test_a_ca_file_the_client_does_not_mount_or_a_key_that_is_not_the_ca_is_refused(mutable_build):
    def weaken(doc):
        karma = release_values(doc, "karma")["values"]
        karma.pop("extraVolumeMounts")
        sidekick = release_values(doc, "falcosidekick")["values"]
        sidekick["extraVolumes"][0]["secret"]["items"][0]["key"] = "tls.key"

    edit_yaml(mutable_build / "releases.yaml", weaken)
    bad = failures(release_checks.tls_clients(mutable_build))
    karma = [f for f in bad if "release monitoring/karma values" in f]
    sidekick = [f for f in bad if "release falco/falcosidekick values" in f]
    assert len(karma) == 3 and all(f.endswith("CA file /etc/platform-ca/ca.crt is in no volume the client mounts") for f in karma)
    assert len(sidekick) == 3 and all(
        f.endswith("its CA is the key 'tls.key' of Secret falco/falcosidekick-tls, not the issuer's ca.crt") for f in sidekick
    )


def test_a_ca_from_another_issuer_or_a_certificate_without_the_name_clients_dial_is_refused(mutable_build):
    edit_yaml(mutable_build / "manifests" / "certificate-falco-falcosidekick-tls.yaml",
              lambda doc: doc["spec"]["issuerRef"].update(name="someone-elses-ca"))
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-alertmanager-tls.yaml",
              lambda doc: doc["spec"]["dnsNames"].remove("*.alertmanager-headless.monitoring.svc"))
    bad = failures(release_checks.tls_clients(mutable_build))
    assert sum("its CA (falco/falcosidekick-tls) comes from another issuer than the server's certificate alertmanager-tls" in f
               for f in bad) == 3
    assert sum("Certificate alertmanager-tls is not valid for 'alertmanager-0.alertmanager-headless.monitoring.svc'" in f
               for f in bad) == 4  # vmalert, Karma twice, falcosidekick


def test_gossip_without_its_tls_flag_is_plain_text(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: release_values(doc, "alertmanager")["values"]["extraArgs"].pop("cluster.tls-config"))
    (failure,) = failures(release_checks.tls_settings(mutable_build))
    assert failure == "StatefulSet monitoring/alertmanager alertmanager: gossip encrypted: its replicas gossip in plain text: no --cluster.tls-config"


def test_a_certificate_without_client_auth_or_the_peer_name_fails_mutual_tls(mutable_build):
    def weaken(doc):
        doc["spec"]["usages"].remove("client auth")
        doc["spec"]["dnsNames"] = ["alertmanager.monitoring.svc"]

    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-alertmanager-tls.yaml", weaken)
    (failure,) = failures(release_checks.tls_settings(mutable_build))
    assert "Certificate alertmanager-tls is not valid for 'alertmanager-headless.monitoring.svc', the name peers verify" in failure
    assert "Certificate alertmanager-tls lacks `client auth`, which peers must present" in failure


def test_a_tls_file_in_a_secret_no_certificate_writes_is_refused(mutable_build):
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-alertmanager-tls.yaml",
              lambda doc: doc["spec"].update(secretName="elsewhere"))
    bad = failures(release_checks.tls_settings(mutable_build))
    assert any("tls_server_config.cert_file /etc/alertmanager-tls/tls.crt is in Secret 'alertmanager-tls', which no "
               "cert-manager Certificate writes" in f for f in bad), bad


# Who reads and writes VictoriaMetrics in prod, by (address, where), listed from the program's wiring by hand: VMAlert
# (datasource, remoteRead, remoteWrite), VMAgent's first remote write, Grafana's default datasource, Pyrra's API, and
# the example catalog's chaos experiments: the probes of its one-off engines and of its engine templates (two per
# template), and each scheduled run's gate.
SELECT = "vmselect-platform.monitoring.svc:8481"
CHAOS_CLIENTS = [
    f"{SELECT} (manifests/chaosengine-edge-gateway-pod-delete.yaml: spec.experiments[0].spec.probe[0].promProbe/inputs.endpoint)",
    f"{SELECT} (manifests/chaosengine-payments-checkout-pod-delete.yaml: spec.experiments[0].spec.probe[0].promProbe/inputs.endpoint)",
    f"{SELECT} (manifests/chaosengine-payments-checkout-pod-delete.yaml: spec.experiments[0].spec.probe[1].promProbe/inputs.endpoint)",
    f"{SELECT} (manifests/configmap-edge-chaos-gateway-latency.yaml: data.engine.yaml)",
    f"{SELECT} (manifests/configmap-edge-chaos-gateway-node-drain.yaml: data.engine.yaml)",
    f"{SELECT} (manifests/cronjob-edge-chaos-gateway-latency.yaml: spec.jobTemplate.spec.template.spec.initContainers[0].env[0].value)",
    f"{SELECT} (manifests/cronjob-edge-chaos-gateway-node-drain.yaml: spec.jobTemplate.spec.template.spec.initContainers[0].env[0].value)",
]
VM_CLIENTS = [
    "vminsert-platform.monitoring.svc:8480 (manifests/vmagent-monitoring-platform.yaml: spec.remoteWrite[0].url)",
    "vminsert-platform.monitoring.svc:8480 (manifests/vmalert-monitoring-platform.yaml: spec.remoteWrite.url)",
    "vmselect-platform.monitoring.svc:8481 (manifests/vmalert-monitoring-platform.yaml: spec.datasource.url)",
    "vmselect-platform.monitoring.svc:8481 (manifests/vmalert-monitoring-platform.yaml: spec.remoteRead.url)",
    "vmselect-platform.monitoring.svc:8481 (release monitoring/grafana values: datasources.datasources.yaml.datasources[0].url)",
    "vmselect-platform.monitoring.svc:8481 (release monitoring/pyrra values: prometheusUrl)",
]


def vm_client_failures(build_dir: Path) -> dict[str, str]:
    return {f.subject: f.detail for f in release_checks.tls_clients(build_dir) if f.subject in VM_CLIENTS and not f.ok}


def test_every_reader_and_writer_of_victoriametrics_in_prod_verifies_it_over_https(prod_build):
    findings = [f for f in release_checks.tls_clients(prod_build) if f.subject.startswith(("vmselect-", "vminsert-"))]
    assert failures(findings) == []
    assert sorted({f.subject for f in findings}) == sorted(VM_CLIENTS + CHAOS_CLIENTS)


def test_a_chaos_probe_or_gate_that_names_no_ca_is_refused(mutable_build):
    def no_cert_file(doc):
        components = doc["spec"]["experiments"][0]["spec"]["components"]
        components["env"] = [e for e in components["env"] if e["name"] != "SSL_CERT_FILE"]

    edit_yaml(mutable_build / "manifests" / "chaosengine-edge-gateway-pod-delete.yaml", no_cert_file)

    def no_http_config(doc):
        (gate,) = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"]
        gate["command"][2] = "\n".join(line for line in gate["command"][2].splitlines() if "ca_file" not in line)

    edit_yaml(mutable_build / "manifests" / "cronjob-edge-chaos-gateway-latency.yaml", no_http_config)
    bad = {f.subject: f.detail for f in release_checks.tls_clients(mutable_build) if not f.ok}
    assert bad == {CHAOS_CLIENTS[0]: "names no CA to verify the server's certificate by",
                   CHAOS_CLIENTS[5]: "names no CA to verify the server's certificate by"}


def test_a_victoriametrics_client_back_on_http_is_refused(mutable_build):
    def plain(doc):
        grafana = release_values(doc, "grafana")["values"]["datasources"]["datasources.yaml"]["datasources"][0]
        grafana["url"] = grafana["url"].replace("https://", "http://")

    edit_yaml(mutable_build / "releases.yaml", plain)
    edit_yaml(mutable_build / "manifests" / "vmagent-monitoring-platform.yaml",
              lambda doc: doc["spec"]["remoteWrite"][0].update(url=doc["spec"]["remoteWrite"][0]["url"].replace("https:", "http:")))
    bad = vm_client_failures(mutable_build)
    assert set(bad) == {VM_CLIENTS[0], VM_CLIENTS[4]}
    assert all(detail == "speaks http to a server that serves HTTPS only" for detail in bad.values()), bad


def test_a_victoriametrics_client_without_the_ca_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: release_values(doc, "pyrra")["values"].pop("extraApiArgs"))
    edit_yaml(mutable_build / "manifests" / "vmalert-monitoring-platform.yaml", lambda doc: doc["spec"]["datasource"].pop("tlsConfig"))

    def unmounted(doc):  # Grafana names the file, but the Secret holding it is no longer mounted
        values = release_values(doc, "grafana")["values"]
        values["extraSecretMounts"] = [m for m in values["extraSecretMounts"] if m["name"] != "victoriametrics-ca"]

    edit_yaml(mutable_build / "releases.yaml", unmounted)
    assert vm_client_failures(mutable_build) == {
        VM_CLIENTS[2]: "names no CA to verify the server's certificate by",
        VM_CLIENTS[4]: "CA file /etc/platform-ca/ca.crt is in no volume the client mounts",
        VM_CLIENTS[5]: "names no CA to verify the server's certificate by",
    }


def test_a_victoriametrics_certificate_without_the_name_clients_dial_is_refused(mutable_build):
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-victoriametrics-tls.yaml",
              lambda doc: doc["spec"].update(dnsNames=[n for n in doc["spec"]["dnsNames"] if not n.startswith("vminsert-")]))
    bad = vm_client_failures(mutable_build)
    assert set(bad) == {VM_CLIENTS[0], VM_CLIENTS[1]}
    assert all(d == "Certificate victoriametrics-tls is not valid for 'vminsert-platform.monitoring.svc', the name this client "
               "verifies" for d in bad.values()), bad


def test_victoriametrics_without_its_tls_flag_or_its_mounted_certificate_is_refused(mutable_build):
    def weaken(doc):
        doc["spec"]["vmselect"]["extraArgs"].pop("tls")
        doc["spec"]["vminsert"].pop("secrets")

    edit_yaml(mutable_build / "manifests" / "vmcluster-monitoring-platform.yaml", weaken)
    assert sorted(failures(release_checks.tls_settings(mutable_build))) == [
        "VMCluster monitoring/platform vminsert: -tls: -tlsCertFile /etc/vm/secrets/victoriametrics-tls/tls.crt is in no "
        "Secret the CR lists in `secrets` (mounted at /etc/vm/secrets/<Secret>/)\n-tlsKeyFile "
        "/etc/vm/secrets/victoriametrics-tls/tls.key is in no Secret the CR lists in `secrets` (mounted at /etc/vm/secrets/<Secret>/)",
        "VMCluster monitoring/platform vmselect: HTTP encrypted: its HTTP API is served in plain text: no extraArgs.tls",
    ]


def test_the_real_build_passes_every_kubernetes_side_check(prod_build):
    for check in (release_checks.helm_template, release_checks.rendered_objects, release_checks.kubernetes_schemas,
                  release_checks.values_read_by_chart, release_checks.service_selectors, release_checks.pod_references,
                  release_checks.wired_urls, release_checks.rule_metric_sources, release_checks.tls_settings,
                  release_checks.tls_clients):
        assert failures(check(prod_build)) == [], check.__name__


# --- The defects the checks found stay fixed, on what Helm renders -------------------------------------------


def objects(rendered, kind: str) -> list[dict]:
    return [o for o in rendered.objects if o["kind"] == kind]


def test_botkube_creates_its_read_only_plugin_role_by_name_and_it_reads_no_secrets(prod_rendered):
    roles = {o["metadata"]["name"]: o for o in objects(prod_rendered["botkube"], "ClusterRole")}
    assert "botkube-plugins-default" in roles and "0" not in roles
    binding = next(o for o in objects(prod_rendered["botkube"], "ClusterRoleBinding") if o["roleRef"]["name"] == "botkube-plugins-default")
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "botkube-plugins-default"}]
    for rule in roles["botkube-plugins-default"]["rules"]:
        assert "secrets" not in rule["resources"]
        assert not ("" in rule["apiGroups"] and "*" in rule["resources"]), "every core resource includes Secrets"


def test_the_chaos_exporter_is_scraped_on_its_own_pods_and_not_on_the_operators(prod_build, prod_rendered):
    objs = wiring.cluster(list(prod_rendered.values()), prod_build)
    exporter = next(e for e in wiring.exporters() if e.name == "chaos-exporter")
    scraped_by, pods = wiring.scraped_ports(exporter, objs)
    assert pods == ["Deployment litmus/chaos-exporter"]
    assert scraped_by == ["VMPodScrape litmus/chaos-exporter (manifests/vmpodscrape-litmus-chaos-exporter.yaml) scrapes Deployment litmus/chaos-exporter on port http"]
    scrape = next(o for o in objs if o.kind == "VMPodScrape")
    (operator,) = objects(prod_rendered["litmus"], "Deployment")
    assert not wiring.selects(scrape.body["spec"]["selector"], operator["spec"]["template"]["metadata"]["labels"])
    assert not objects(prod_rendered["litmus"], "Service"), "the chart's monitor Service selected the operator's pods"


def test_oncall_runs_exactly_one_celery_beat(prod_rendered):
    beats = 0
    for deployment in objects(prod_rendered["oncall"], "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            if env.get("CELERY_WORKER_BEAT_ENABLED") == "True":
                beats += deployment["spec"]["replicas"]
    assert beats == 1


def test_prod_oncall_verifies_its_database_against_a_mounted_ca(prod_build, prod_rendered):
    workloads = objects(prod_rendered["oncall"], "Deployment") + objects(prod_rendered["oncall"], "Job")
    assert workloads
    secret = yaml.safe_load((prod_build / "manifests" / "secret-monitoring-oncall-postgres.yaml").read_text())
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            options = {e["name"]: e.get("value") for e in container.get("env", [])}.get("DATABASE_OPTIONS")
            if options is None:
                continue
            params = dict(pair.split("=") for pair in options.split(" "))
            assert params["sslmode"] == "verify-full"
            ca = Path(params["sslrootcert"])
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(ca.parent))
            volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
            assert volume["secret"]["secretName"] == secret["metadata"]["name"]
            assert {"key": "ca.crt", "path": ca.name} in volume["secret"]["items"]
            assert "ca.crt" in secret["stringData"]


def test_falcosidekick_exposes_only_ports_its_pods_serve(prod_build, prod_rendered):
    (service,) = objects(prod_rendered["falcosidekick"], "Service")
    assert [p["name"] for p in service["spec"]["ports"]] == ["http"]


# --- Thanos' gRPC over mutual TLS (prod): the flags on what Helm renders, and every peer each client dials ----------
# The expected dials come from the chart's templates (charts/thanos/templates/query/deployment.yaml: one `dnssrv+`
# endpoint per enabled store, receive-ingestor/_helpers.tpl: one hashring endpoint per ingestor), not from the check.

THANOS_SERVERS = ["Deployment monitoring/thanos-query thanos-query: gRPC server TLS",
                  "Deployment monitoring/thanos-receive-router thanos-receive-router: gRPC server TLS",
                  "StatefulSet monitoring/thanos-receive-ingestor thanos-receive-ingestor: gRPC server TLS",
                  "StatefulSet monitoring/thanos-store-gateway thanos-store-gateway: gRPC server TLS"]
THANOS_CLIENTS = ["Deployment monitoring/thanos-query thanos-query: gRPC client TLS",
                  "Deployment monitoring/thanos-receive-router thanos-receive-router: gRPC client TLS"]
QUERY = "(Deployment monitoring/thanos-query thanos-query: --endpoint)"
ROUTER = "(Deployment monitoring/thanos-receive-router thanos-receive-router: --receive.hashrings-file)"
STORE_SRV = "dnssrv+_grpc._tcp.thanos-store-gateway-headless.monitoring.svc.cluster.local"
INGESTOR_SRV = "dnssrv+_grpc._tcp.thanos-receive-ingestor-headless.monitoring.svc.cluster.local"


def thanos_values(doc: dict, component: str) -> dict:
    values = release_values(doc, "thanos")["values"]
    return values["receive"][component] if component in ("router", "ingestor") else values[component]


def replace_arg(args: list[str], flag: str, new: str | None) -> None:
    (i,) = [n for n, arg in enumerate(args) if arg == flag or arg.startswith(f"{flag}=")]
    if new is None:
        del args[i]
    else:
        args[i] = new


def test_prod_thanos_serves_and_dials_grpc_over_mutual_tls_as_helm_renders_it(prod_build):
    findings = list(release_checks.thanos_grpc_tls(prod_build))
    assert failures(findings) == []
    assert sorted(f.subject for f in findings) == sorted(THANOS_SERVERS + THANOS_CLIENTS)
    clients = list(release_checks.thanos_grpc_clients(prod_build))
    assert failures(clients) == []
    ingestors = [f"thanos-receive-ingestor-{i}.thanos-receive-ingestor-headless.monitoring.svc.cluster.local:10901 {ROUTER}"
                 for i in range(3)]
    assert sorted(f.subject for f in clients) == sorted([f"{STORE_SRV} {QUERY}", f"{INGESTOR_SRV} {QUERY}", *ingestors])


def test_a_thanos_grpc_server_without_its_tls_or_client_ca_flag_is_refused(mutable_build):
    def weaken(doc):
        replace_arg(thanos_values(doc, "storeGateway")["extraArgs"], "--grpc-server-tls-client-ca", None)
        replace_arg(thanos_values(doc, "ingestor")["extraArgs"], "--grpc-server-tls-cert", None)

    edit_yaml(mutable_build / "releases.yaml", weaken)
    assert failures(release_checks.thanos_grpc_tls(mutable_build)) == [
        "StatefulSet monitoring/thanos-receive-ingestor thanos-receive-ingestor: gRPC server TLS: serves gRPC without "
        "--grpc-server-tls-cert",
        "StatefulSet monitoring/thanos-store-gateway thanos-store-gateway: gRPC server TLS: serves gRPC without "
        "--grpc-server-tls-client-ca",
    ]


def test_a_query_that_dials_its_stores_without_tls_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: replace_arg(thanos_values(doc, "query")["extraArgs"], "--grpc-client-tls-secure", None))
    assert failures(release_checks.thanos_grpc_tls(mutable_build)) == [
        f"{THANOS_CLIENTS[0]}: dials its peers in plain text: no --grpc-client-tls-secure"
    ]
    plain = "dials without TLS (--grpc-client-tls-secure unset) pods that serve gRPC over TLS only"
    assert failures(release_checks.thanos_grpc_clients(mutable_build)) == [
        f"{STORE_SRV} {QUERY}: {plain}", f"{INGESTOR_SRV} {QUERY}: {plain}"
    ]


def test_a_server_name_the_certificate_lacks_or_none_at_all_is_refused(mutable_build):
    def weaken(doc):
        # Query verifies a Service's name the certificate does not carry; the router verifies the host it dials.
        replace_arg(thanos_values(doc, "query")["extraArgs"], "--grpc-client-server-name",
                    "--grpc-client-server-name=thanos-query.monitoring.svc")
        replace_arg(thanos_values(doc, "router")["extraArgs"], "--remote-write.client-server-name", None)

    edit_yaml(mutable_build / "releases.yaml", weaken)
    assert failures(release_checks.thanos_grpc_tls(mutable_build)) == [
        f"{THANOS_CLIENTS[0]}: Certificate thanos-tls is not valid for 'thanos-query.monitoring.svc', the name peers "
        "verify (--grpc-client-server-name)",
        f"{THANOS_CLIENTS[1]}: no --remote-write.client-server-name: it verifies the address it dials, not the name its "
        "peers share (a pod IP found by DNS has none)",
    ]
    bad = failures(release_checks.thanos_grpc_clients(mutable_build))
    assert bad[:2] == [f"{srv} {QUERY}: Certificate thanos-tls is not valid for 'thanos-query.monitoring.svc', the name this "
                       "client verifies" for srv in (STORE_SRV, INGESTOR_SRV)]
    assert bad[2:] == [
        f"thanos-receive-ingestor-{i}.thanos-receive-ingestor-headless.monitoring.svc.cluster.local:10901 {ROUTER}: Certificate "
        f"thanos-tls is not valid for 'thanos-receive-ingestor-{i}.thanos-receive-ingestor-headless.monitoring.svc.cluster.local', "
        "the name this client verifies" for i in range(3)
    ]


def test_a_query_without_a_server_name_cannot_verify_the_pod_ips_dnssrv_returns(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: replace_arg(thanos_values(doc, "query")["extraArgs"], "--grpc-client-server-name", None))
    assert failures(release_checks.thanos_grpc_clients(mutable_build)) == [
        f"{srv} {QUERY}: verifies the pod IPs its DNS lookup returns, which Certificate thanos-tls does not name: "
        "no --grpc-client-server-name" for srv in (STORE_SRV, INGESTOR_SRV)
    ]


def test_a_thanos_client_verifying_by_a_ca_from_another_issuer_is_refused(mutable_build):
    def weaken(doc):
        query = thanos_values(doc, "query")
        query["extraVolumes"].append({"name": "other-ca", "secret": {"secretName": "alertmanager-tls",
                                                                      "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
        query["extraVolumeMounts"].append({"name": "other-ca", "mountPath": "/etc/other-ca", "readOnly": True})
        replace_arg(query["extraArgs"], "--grpc-client-tls-ca", "--grpc-client-tls-ca=/etc/other-ca/ca.crt")

    edit_yaml(mutable_build / "releases.yaml", weaken)
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-alertmanager-tls.yaml",
              lambda doc: doc["spec"]["issuerRef"].update(name="someone-elses-ca"))
    assert f"{THANOS_CLIENTS[0]}: --grpc-client-tls-ca: Certificate alertmanager-tls: its ClusterIssuer 'someone-elses-ca' " \
           "is not created" in failures(release_checks.thanos_grpc_tls(mutable_build))
    assert failures(release_checks.thanos_grpc_clients(mutable_build)) == [
        f"{srv} {QUERY}: its CA (monitoring/alertmanager-tls) comes from another issuer than the server's certificate thanos-tls"
        for srv in (STORE_SRV, INGESTOR_SRV)
    ]


def test_a_router_replicating_over_capnproto_sends_in_plain_tcp_and_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: thanos_values(doc, "router")["extraArgs"].append("--receive.replication-protocol=capnproto"))
    assert failures(release_checks.thanos_grpc_tls(mutable_build)) == [
        f"{THANOS_CLIENTS[1]}: replicates over Cap'n Proto (--receive.replication-protocol=capnproto), which Thanos dials "
        "in plain TCP"
    ]
# --- Grafana serves HTTPS in prod; OnCall's engine verifies it with a bundle of the public CAs and the platform's ----


GRAFANA = "Deployment monitoring/grafana grafana"
ONCALL_GRAFANA = "grafana.monitoring.svc:443 (release monitoring/oncall values: externalGrafana.url)"
ONCALL_APP_GRAFANA = "grafana.monitoring.svc:443 (manifests/configmap-monitoring-grafana-oncall-plugin.yaml: data.oncall.yaml)"
ONCALL_CLIENTS = ["Deployment monitoring/oncall-celery oncall", "Deployment monitoring/oncall-engine oncall"]


def test_prod_grafana_serves_https_and_oncall_verifies_it_as_helm_renders_them(prod_build, prod_rendered):
    settings = [f.subject for f in release_checks.tls_settings(prod_build) if f.ok and "grafana" in f.subject]
    assert settings == [f"{GRAFANA}: serves HTTPS", f"{GRAFANA}: probes and sidecars over HTTPS"]
    # OnCall's engine (GRAFANA_API_URL) and the OnCall app's backend in Grafana's pods (the provisioned grafanaUrl, which
    # it also hands the engine on every sync).
    clients = [(f.subject, f.ok) for f in release_checks.tls_clients(prod_build) if f.subject.startswith("grafana.")]
    assert sorted(clients) == [(ONCALL_APP_GRAFANA, True), (ONCALL_GRAFANA, True)]
    # What Helm renders, read here without the check: grafana.ini's [server], the probes' scheme, the Service's port.
    (config,) = [o for o in prod_rendered["grafana"].objects if o["kind"] == "ConfigMap" and "grafana.ini" in o.get("data", {})]
    server = config["data"]["grafana.ini"].split("[server]\n", 1)[1].split("\n[", 1)[0].splitlines()
    assert {"protocol = https", "cert_file = /etc/grafana-tls/tls.crt", "cert_key = /etc/grafana-tls/tls.key",
            "min_tls_version = TLS1.2"} <= set(server)
    (deployment,) = [o for o in prod_rendered["grafana"].objects if o["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/api/health", "port": "grafana", "scheme": "HTTPS"}
    assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
    (service,) = [o for o in prod_rendered["grafana"].objects if o["kind"] == "Service"]
    assert [p["port"] for p in service["spec"]["ports"]] == [443]


def test_grafana_back_on_http_serves_in_plain_text(mutable_build):
    edit_yaml(mutable_build / "releases.yaml",
              lambda doc: release_values(doc, "grafana")["values"]["grafana.ini"]["server"].update(protocol="http"))
    assert failures(release_checks.tls_settings(mutable_build)) == [
        f"{GRAFANA}: serves HTTPS: [server] protocol is 'http': its API and UI are served in plain text"
    ]


def test_grafana_probed_over_http_or_serving_a_key_no_certificate_writes_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: release_values(doc, "grafana")["values"].pop("readinessProbe"))
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-grafana-tls.yaml",
              lambda doc: doc["spec"].update(secretName="elsewhere"))
    assert failures(release_checks.tls_settings(mutable_build)) == [
        f"{GRAFANA}: serves HTTPS: [server] cert_file /etc/grafana-tls/tls.crt is in Secret 'grafana-tls', which no "
        "cert-manager Certificate writes\n[server] cert_key /etc/grafana-tls/tls.key is in Secret 'grafana-tls', which "
        "no cert-manager Certificate writes",
        f"{GRAFANA}: probes and sidecars over HTTPS: its readinessProbe speaks HTTP to a server that serves HTTPS only",
    ]


def test_oncall_calling_grafana_over_http_or_by_a_name_its_certificate_lacks_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: release_values(doc, "oncall")["values"]["externalGrafana"].update(
        url="http://grafana.monitoring.svc:443"))
    edit_yaml(mutable_build / "manifests" / "certificate-monitoring-grafana-tls.yaml",
              lambda doc: doc["spec"].update(dnsNames=["grafana"]))
    (failure,) = failures(f for f in release_checks.tls_clients(mutable_build) if "externalGrafana" in f.subject)
    assert failure == (f"{ONCALL_GRAFANA}: speaks http to a server that serves HTTPS only\n"
                       "Certificate grafana-tls is not valid for 'grafana.monitoring.svc', the name this client verifies")


def test_oncall_without_the_bundle_is_refused(mutable_build):
    edit_yaml(mutable_build / "releases.yaml", lambda doc: release_values(doc, "oncall")["values"].pop("env"))
    (failure,) = failures(f for f in release_checks.tls_clients(mutable_build) if "grafana" in f.subject)
    assert failure.startswith(ONCALL_GRAFANA)
    problems = failure.split(": ", 2)[2].splitlines()
    assert len(problems) == 3 and all(
        p.endswith("no REQUESTS_CA_BUNDLE: requests verifies by certifi's bundle, which lacks the platform's CA") for p in problems
    )
    assert [p.split(":")[0] for p in problems[:2]] == ONCALL_CLIENTS and "oncall-engine-migrate" in problems[2]


def test_oncall_handed_the_platform_ca_alone_would_lose_the_public_cas(mutable_build):
    # The objection to REQUESTS_CA_BUNDLE: pointed at the platform's CA alone, it replaces every public CA requests
    # trusted, and OnCall's calls to Slack, Jira and webhooks fail.
    def ca_alone(doc):
        values = release_values(doc, "oncall")["values"]
        for part in ("engine", "celery", "migrate"):
            values[part]["extraVolumes"][-1] = {"name": "platform-trust", "secret": {
                "secretName": "grafana-tls", "items": [{"key": "ca.crt", "path": "ca-bundle.crt"}]}}

    edit_yaml(mutable_build / "releases.yaml", ca_alone)
    (failure,) = failures(f for f in release_checks.tls_clients(mutable_build) if "grafana" in f.subject)
    assert failure.startswith(ONCALL_GRAFANA)
    problems = failure.split(": ", 2)[2].splitlines()
    assert len(problems) == 3 and all(p.endswith(
        "REQUESTS_CA_BUNDLE /etc/platform-trust/ca-bundle.crt is in volume 'platform-trust', which no trust-manager Bundle "
        "writes: it would replace the public CAs for every other call") for p in problems)


def test_a_bundle_without_the_public_cas_or_the_platform_ca_is_refused(mutable_build):
    def weaken(doc):
        doc["spec"]["sources"] = [{"secret": {"name": "someone-elses-ca", "key": "ca.crt"}}]

    edit_yaml(mutable_build / "manifests" / "bundle-cluster-platform-trust.yaml", weaken)
    (failure,) = [f for f in release_checks.tls_clients(mutable_build) if "externalGrafana" in f.subject]
    problems = failure.detail.splitlines()
    assert sum(p.endswith("Bundle platform-trust lacks the public CAs (useDefaultCAs): every other call would fail")
               for p in problems) == 3  # the engine, the worker and the migration job
    assert sum(p.endswith("Bundle platform-trust lacks the ca.crt of Secret 'platform-ca', the CA of the server's certificate "
                          "grafana-tls") for p in problems) == 3
    (app,) = [f for f in release_checks.tls_clients(mutable_build) if f.subject == ONCALL_APP_GRAFANA]
    assert app.detail.splitlines() == [
        f"{GRAFANA}: Bundle platform-trust lacks the public CAs (useDefaultCAs): every other call would fail",
        f"{GRAFANA}: Bundle platform-trust lacks the ca.crt of Secret 'platform-ca', the CA of the server's certificate grafana-tls",
    ]


def test_the_oncall_app_in_grafana_without_the_bundle_or_its_environment_is_refused(mutable_build):
    def weaken(doc):
        values = release_values(doc, "grafana")["values"]
        values.pop("env")
        values["grafana.ini"].pop("plugins")

    edit_yaml(mutable_build / "releases.yaml", weaken)
    assert failures(release_checks.tls_clients(mutable_build)) == [
        f"{ONCALL_APP_GRAFANA}: {GRAFANA}: [plugins] forward_host_env_vars lacks grafana-oncall-app: its process never sees "
        f"SSL_CERT_FILE\n{GRAFANA}: no SSL_CERT_FILE: Go verifies by the image's system CAs, which lack the platform's CA"
    ]


def test_a_bundle_that_does_not_reach_oncalls_namespace_leaves_its_pods_without_the_configmap(mutable_build):
    edit_yaml(mutable_build / "manifests" / "bundle-cluster-platform-trust.yaml",
              lambda doc: doc["spec"]["target"]["namespaceSelector"]["matchExpressions"][0].update(values=["falco"]))
    bad = failures(release_checks.pod_references(mutable_build))
    workloads = sorted(f.split(" (", 1)[0] for f in bad)
    assert workloads[:3] == ["Deployment monitoring/grafana", "Deployment monitoring/oncall-celery", "Deployment monitoring/oncall-engine"]
    assert len(workloads) == 4 and workloads[3].startswith("Job monitoring/oncall-engine-migrate-")  # named by the hour
    assert all("uses ConfigMap 'platform-trust', which neither a release nor the program creates in monitoring" in f for f in bad)


def test_trust_manager_runs_restricted_with_resources_as_helm_renders_it(prod_rendered):
    pods = [o["spec"]["template"]["spec"] for o in prod_rendered["trust-manager"].objects if o["kind"] == "Deployment"]
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        # The default CA package is the release's, not the v0.0.0 the source tree says (components.cert_manager).
        assert any(c["image"] == "quay.io/jetstack/trust-pkg-debian-trixie:20250419.1" for c in pod["initContainers"])
