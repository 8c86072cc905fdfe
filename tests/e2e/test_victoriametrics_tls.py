"""End to end: VictoriaMetrics serves HTTPS with the `extraArgs` the program gives prod's storage, on the real binary
on loopback, and the real vmalert, configured as the program's VMAlert is (datasource, remoteWrite, remoteRead, each
verifying the server by the `ca.crt` of the certificate's Secret), evaluates a recording rule through it and writes the
result back, over verified TLS.

The certificate is made with openssl as the platform's cert-manager CA issuer makes it
(test_alertmanager_tls.issue), for the names `render.systems.tls.victoriametrics_certificate` asks for, and laid out as the
operator mounts the Secret: /etc/vm/secrets/<Secret>/{tls.crt,tls.key,ca.crt}, moved under the test's directory.
vmalert dials 127.0.0.1 and verifies the Service names clients dial in the cluster (`-*.tlsServerName`).
Plain HTTP and a CA from another issuer are refused.

The chaos readers in the application namespaces: the scheduled run's gate, prod's rendered script run with the real
promtool, reads the server verifying it by the mounted CA; Litmus' promProbe runs the Go `promql` CLI, which trusts the
file SSL_CERT_FILE names, shown here with promtool (Go's HTTP client and roots alike) and no CA of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cli import tools
from render.resources import chaos
from render.systems import tls
from render.systems.topology import metrics_hosts
from tests.e2e.test_alertmanager_tls import issue
from tests.test_components_e2e import free_port, running, spec_of, wait_for

pytestmark = pytest.mark.e2e

SELECT_HOST, INSERT_HOST = metrics_hosts("cluster")
RULES = "groups:\n  - name: e2e\n    interval: 1s\n    rules:\n      - record: e2e:tls:one\n        expr: vector(1)\n"


@pytest.fixture(scope="module")
def prod():
    from cli import recorder

    return recorder.run("prod")


def secret_dir(root: Path, secret: str) -> Path:
    return root / tls.VM_SECRETS_DIR.lstrip("/") / secret


def moved(path: str, root: Path) -> str:
    """A path in the pod (under /etc/vm/secrets) as it lies under the test's directory."""
    assert path.startswith(tls.VM_SECRETS_DIR + "/"), path
    return str(root / path.lstrip("/"))


@pytest.fixture
def served(prod, tmp_path):
    """victoria-metrics started with vmselect's rendered TLS flags; (port, CA file, root of the mounted Secrets, logs)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    # `localhost`: where the gate and the probe dial the loopback stand-in for the Service (they name no server_name).
    names = [*tls.victoriametrics_certificate("cluster")["spec"]["dnsNames"], "localhost"]
    certs = issue(tmp_path / "issued", "alerting-platform CA", names)
    root = tmp_path / "pod"
    mounted = secret_dir(root, tls.VM_TLS_SECRET)
    mounted.mkdir(parents=True)
    for name in ("tls.crt", "tls.key", "ca.crt"):  # a cert-manager Certificate's Secret
        shutil.copy(certs / name, mounted / name)

    spec = spec_of(prod, "VMCluster")
    for component in ("vmselect", "vminsert"):
        assert spec[component]["secrets"] == [tls.VM_TLS_SECRET]
    args = {k: v for k, v in spec["vmselect"]["extraArgs"].items() if k.startswith("tls")}
    assert args["tls"] == "true"
    flags = [f"-{k}={moved(v, root) if k.endswith('File') else v}" for k, v in sorted(args.items())]
    port = free_port()
    logs = [tmp_path / "vm.log"]
    with running(str(tools.path("victoria-metrics")), f"-httpListenAddr=127.0.0.1:{port}",
                 f"-storageDataPath={tmp_path / 'data'}", "-search.latencyOffset=0s", *flags, log=logs[0]):
        context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        context.check_hostname = False  # the name is vmalert's to verify below; here only that HTTPS is up

        def ready():
            with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", timeout=2, context=context) as response:
                return response.status == 200

        wait_for(ready, "victoria-metrics serving HTTPS", logs)
        yield port, certs / "ca.crt", root, logs


def vmalert_args(prod, port: int, root: Path, tmp_path: Path, ca_override: Path | None = None) -> list[str]:
    """vmalert's flags as the operator derives them from the program's VMAlert: each URL's TLS CA from its
    `tlsConfig.ca.secret` (read from the mounted Secret), the host moved to loopback and verified by its Service name."""
    spec = spec_of(prod, "VMAlert")
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES)
    args = [f"-rule={rules}", "-evaluationInterval=1s", "-notifier.blackhole", f"-httpListenAddr=127.0.0.1:{free_port()}"]
    for field, flag in (("datasource", "datasource"), ("remoteWrite", "remoteWrite"), ("remoteRead", "remoteRead")):
        url = urllib.parse.urlsplit(spec[field]["url"])
        assert url.scheme == "https", spec[field]
        ca = spec[field]["tlsConfig"]["ca"]["secret"]
        ca_file = ca_override or secret_dir(root, ca["name"]) / ca["key"]
        args += [f"-{flag}.url=https://127.0.0.1:{port}", f"-{flag}.tlsCAFile={ca_file}", f"-{flag}.tlsServerName={url.hostname}"]
    return args


def query(port: int, ca_file: Path, expr: str) -> list:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    url = f"https://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=2, context=context) as response:
        return json.loads(response.read())["data"]["result"]


def test_vmalert_reads_and_writes_victoriametrics_over_verified_tls(prod, served, tmp_path):
    port, ca_file, root, logs = served
    log = tmp_path / "vmalert.log"
    with running(str(tools.path("vmalert")), *vmalert_args(prod, port, root, tmp_path), log=log):
        written = wait_for(lambda: query(port, ca_file, "e2e:tls:one"), "the recording rule's result written over TLS", [*logs, log])
    assert [float(r["value"][1]) for r in written] == [1.0]
    assert "unknown authority" not in log.read_text()
    print(f"\nvmalert evaluated through {SELECT_HOST} and wrote through {INSERT_HOST} over verified TLS")


def test_plain_http_and_a_ca_from_another_issuer_are_refused(prod, served, tmp_path):
    port, _ca_file, root, logs = served
    # Go's TLS server answers a plain-HTTP request with 400 "Client sent an HTTP request to an HTTPS server".
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query=1", timeout=5)
    assert plain.value.code == 400
    rogue = issue(tmp_path / "rogue", "someone else's CA", [SELECT_HOST, INSERT_HOST])
    log = tmp_path / "vmalert.log"
    with running(str(tools.path("vmalert")), *vmalert_args(prod, port, root, tmp_path, rogue / "ca.crt"), log=log):
        wait_for(lambda: "certificate signed by unknown authority" in log.read_text(), "vmalert refusing the rogue CA", [*logs, log])
    with pytest.raises(urllib.error.URLError, match="certificate verify failed"):
        query(port, rogue / "ca.crt", "1")


def test_a_certificate_without_the_dialled_name_is_refused(prod, served, tmp_path):
    port, ca_file, root, logs = served
    log = tmp_path / "vmalert.log"
    args = [a.replace(f"tlsServerName={SELECT_HOST}", "tlsServerName=vmsingle-platform.monitoring.svc") for a in
            vmalert_args(prod, port, root, tmp_path)]
    with running(str(tools.path("vmalert")), *args, log=log):
        wait_for(lambda: "vmsingle-platform.monitoring.svc" in log.read_text() and "certificate is valid for" in log.read_text(),
                 "vmalert refusing a certificate without the name it dials", [*logs, log])


@pytest.fixture(scope="module")
def prod_chaos():
    from stacks import from_values
    from tests.conftest import stack_values

    return from_values("prod", stack_values("prod")).artifacts.chaos_objects


def run_gate(objects, port: int, ca_file: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Prod's rendered gate with its pod paths moved under tmp_path and the real promtool on PATH: (result, engine)."""
    cronjob = next(o for o in objects if o["kind"] == "CronJob")
    template = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == cronjob["metadata"]["name"])
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (gate,) = pod["initContainers"]
    mounts = {m["mountPath"]: m["name"] for m in gate["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    ca_volume = volumes[mounts[tls.CLIENT_CA_DIR]]["secret"]
    assert ca_volume == {"secretName": chaos.CHAOS_CA_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    etc, run, scratch = tmp_path / "etc", tmp_path / "run", tmp_path / "tmp"
    for d in (etc, run, scratch):
        d.mkdir(parents=True, exist_ok=True)
    (etc / "engine.yaml").write_text(template["data"]["engine.yaml"])
    # The pod's /tmp first: tmp_path lies under /tmp too.
    script = (gate["command"][2].replace("/tmp/", f"{scratch}/").replace(chaos.CHAOS_CA_FILE, str(ca_file))
              .replace("/etc/chaos", str(etc)).replace("/run/chaos", str(run)))
    env = {e["name"]: e["value"] for e in gate["env"]}
    assert urllib.parse.urlsplit(env["METRICS"]).scheme == "https"
    env["METRICS"] = f"https://localhost:{port}"  # single-node victoria-metrics: no vmselect /select/0/prometheus prefix
    env["PATH"] = f"{tools.path('promtool').parent}:{os.environ['PATH']}"
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result, (run / "engine.yaml").read_text()


def test_the_chaos_gate_reads_victoriametrics_verifying_the_ca(prod_chaos, served, tmp_path):
    port, ca_file, _root, _logs = served
    result, engine = run_gate(prod_chaos, port, ca_file, tmp_path)
    assert "starting" in result.stdout, result.stdout + result.stderr
    assert "engineState: active" in engine
    rogue = issue(tmp_path / "rogue", "someone else's CA", ["localhost"])
    result, engine = run_gate(prod_chaos, port, rogue / "ca.crt", tmp_path / "again")
    assert "skipping" in result.stdout and "engineState: stop" in engine, result.stdout


def test_a_go_client_trusts_the_ca_ssl_cert_file_names_as_the_probes_do(prod_chaos, served, tmp_path):
    port, ca_file, _root, _logs = served
    engine = next(o for o in prod_chaos if o["kind"] == "ChaosEngine")
    (experiment,) = engine["spec"]["experiments"]
    components = experiment["spec"]["components"]
    assert components["secrets"] == [{"name": chaos.CHAOS_CA_SECRET, "mountPath": tls.CLIENT_CA_DIR}]
    cert_file = next(e["value"] for e in components["env"] if e["name"] == "SSL_CERT_FILE")
    assert cert_file == f"{tls.CLIENT_CA_DIR}/ca.crt"

    def promtool(env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([str(tools.path("promtool")), "query", "instant", f"https://localhost:{port}", "vector(1)"],
                              env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=60)

    trusted = promtool({"SSL_CERT_FILE": str(ca_file)})
    assert trusted.returncode == 0 and "=> 1" in trusted.stdout, trusted.stdout + trusted.stderr
    untrusted = promtool({"SSL_CERT_FILE": str(issue(tmp_path / "rogue", "someone else's CA", ["localhost"]) / "ca.crt")})
    assert untrusted.returncode != 0 and "certificate signed by unknown authority" in untrusted.stderr, untrusted.stderr
