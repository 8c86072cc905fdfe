"""The alert path's wiring with the real binaries on 127.0.0.1: what the program configures is what they do.

- VMAlert, given the notifier list of the program's VMAlert, delivers a firing alert to every Alertmanager
  replica of it, not to one (local stand-ins record what arrives at Alertmanager's /api/v2/alerts).
- VMAgent, given the per-URL relabelling of the program's VMAgent and a pod name, labels what it sends to the
  long-term store with that pod's name (the label Thanos deduplicates the HA pair on).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from cli import recorder, tools
from render.systems.topology import THANOS_REPLICA_LABEL

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(*argv: str, env: dict[str, str] | None = None, log: Path):
    """A real process for the duration of the block; always stopped, its output kept for failures."""
    import os

    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.loads(response.read())


def wait_for(condition, what: str, logs: list[Path]):
    """Poll `condition` (bounded in time and count) until it returns something truthy."""
    deadline = time.monotonic() + WAIT_SECONDS
    for _ in range(WAIT_SECONDS * 4):
        try:
            result = condition()
            if result:
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    details = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{details}")


@pytest.fixture(scope="module")
def prod():
    return recorder.run("prod")


def spec_of(inventory, kind: str) -> dict:
    (obj,) = inventory.of_type(f"kubernetes:operator.victoriametrics.com/v1beta1:{kind}")
    return obj.inputs["spec"]


class AlertSink:
    """Stands in for one Alertmanager replica: records what arrives at POST /api/v2/alerts."""

    def __init__(self) -> None:
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body or b"[]")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def alert_names(self) -> set[str]:
        return {a["labels"]["alertname"] for path, alerts in self.received if path == "/api/v2/alerts" for a in alerts}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_vmalert_delivers_a_firing_alert_to_every_alertmanager_replica(prod, tmp_path):
    notifiers = [n["url"] for n in spec_of(prod, "VMAlert")["notifiers"]]
    assert [urllib.parse.urlparse(u).hostname.split(".")[0] for u in notifiers] == [
        f"alertmanager-{i}" for i in range(3)
    ]
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "e2e", "rules": [{"alert": "AlwaysFiring", "expr": "vector(1) > 0"}]}]}))
    vm_port = free_port()
    logs = [tmp_path / "vm.log", tmp_path / "vmalert.log"]
    # The program's notifier URLs, replica by replica, pointed at local stand-ins with the same API path.
    sinks = [AlertSink() for _ in notifiers]
    try:
        with running(str(tools.path("victoria-metrics")), f"-httpListenAddr=127.0.0.1:{vm_port}",
                     f"-storageDataPath={tmp_path / 'vm'}", log=logs[0]):
            wait_for(lambda: get_json(f"http://127.0.0.1:{vm_port}/api/v1/query?query=1"), "victoria-metrics", logs)
            with running(str(tools.path("vmalert")), f"-rule={rules}", f"-datasource.url=http://127.0.0.1:{vm_port}",
                         *(f"-notifier.url={sink.url}" for sink in sinks), "-evaluationInterval=1s",
                         f"-httpListenAddr=127.0.0.1:{free_port()}", log=logs[1]):
                for sink in sinks:
                    wait_for(lambda sink=sink: "AlwaysFiring" in sink.alert_names(), f"the alert at {sink.url}", logs)
    finally:
        for sink in sinks:
            sink.close()
    assert all(sink.alert_names() == {"AlwaysFiring"} for sink in sinks)


def test_vmagent_labels_what_it_sends_to_thanos_with_its_pod_name(prod, tmp_path):
    spec = spec_of(prod, "VMAgent")
    (to_thanos,) = [rw for rw in spec["remoteWrite"] if rw.get("inlineUrlRelabelConfig")]
    assert any(env["name"] == "POD_NAME" for env in spec["extraEnvs"])
    relabel = tmp_path / "url-relabel.yml"
    relabel.write_text(yaml.safe_dump(to_thanos["inlineUrlRelabelConfig"]))
    store_port, agent_port = free_port(), free_port()
    scrape = tmp_path / "scrape.yml"
    scrape.write_text(yaml.safe_dump({
        "scrape_configs": [{"job_name": "self", "scrape_interval": "1s", "static_configs": [{"targets": [f"127.0.0.1:{agent_port}"]}]}]
    }))
    logs = [tmp_path / "store.log", tmp_path / "vmagent.log"]
    pod = "vmagent-platform-0"
    with running(str(tools.path("victoria-metrics")), f"-httpListenAddr=127.0.0.1:{store_port}",
                 f"-storageDataPath={tmp_path / 'store'}", log=logs[0]):
        wait_for(lambda: get_json(f"http://127.0.0.1:{store_port}/api/v1/query?query=1"), "victoria-metrics", logs)
        with running(str(tools.path("vmagent")), f"-httpListenAddr=127.0.0.1:{agent_port}",
                     f"-promscrape.config={scrape}", f"-remoteWrite.url=http://127.0.0.1:{store_port}/api/v1/write",
                     f"-remoteWrite.urlRelabelConfig={relabel}", "-remoteWrite.flushInterval=1s",
                     f"-remoteWrite.tmpDataPath={tmp_path / 'queue'}", env={"POD_NAME": pod}, log=logs[1]):
            query = urllib.parse.urlencode({"match[]": f'{{{THANOS_REPLICA_LABEL}!=""}}'})

            def labelled():
                return get_json(f"http://127.0.0.1:{store_port}/api/v1/series?{query}")["data"]

            series = wait_for(labelled, "series labelled by the relabelling", logs)
    assert {s[THANOS_REPLICA_LABEL] for s in series} == {pod}
