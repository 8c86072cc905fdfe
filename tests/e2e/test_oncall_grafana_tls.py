"""End to end: OnCall's engine verifies Grafana's HTTPS the way the prod OnCall release sets it up, with the real
Python `requests` calling as OnCall v1.16.5 does (engine/apps/grafana_plugin/helpers/client.py: `requests.get(url,
json=..., headers=...)`, no `verify`) and REQUESTS_CA_BUNDLE, the variable requests documents for this, as the chart
renders it from the OnCall component's values.

No Grafana binary is available here: a Python `ssl` server on loopback stands in for it, serving `/api/health` at
TLS 1.2 at least with a certificate that a CA made with openssl signs (tests/e2e/test_alertmanager_tls.issue, as
cert-manager's CA issuer makes them) for the names of `render.systems.tls.grafana_certificate` plus `localhost`. The bundle
is made as trust-manager makes its Bundle's ConfigMap (render.systems.tls.trust_bundle): the public CAs (certifi's here,
trust-manager's Debian package in the cluster) followed by the platform's CA. What this proves is the mechanism on
the client side: with that bundle requests verifies Grafana and still holds every public CA; without it, or against a
certificate another CA signed, the call is refused. trust-manager itself cannot run here.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import certifi
import pytest

from components.oncall import OnCallArgs, PostgresConnection, RedisConnection, chart_values
from render.systems import tls
from tests.e2e.test_alertmanager_tls import issue

pytestmark = pytest.mark.e2e

# What OnCall's GrafanaAPIClient does, in a fresh interpreter so the environment is the pod's: one GET, no `verify`.
CALL = """
import sys, requests
try:
    response = requests.get(sys.argv[1], json=None, headers={"User-Agent": "Grafana OnCall"}, timeout=10)
    print(response.status_code, response.json()["database"])
except requests.exceptions.SSLError as error:
    print("SSLError", error)
except requests.exceptions.ConnectionError as error:
    print("ConnectionError", error)
"""


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the standard library's name
        body = json.dumps({"database": "ok"}).encode()
        self.send_response(200 if self.path == "/api/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def grafana(tmp_path):
    """(https URL on loopback, the platform CA's directory): a TLS-only stand-in for Grafana."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    certs = issue(tmp_path / "platform", "alerting-platform CA", [*tls.grafana_certificate()["spec"]["dnsNames"], "localhost"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # render.systems.tls.grafana_server_tls: min_tls_version TLS1.2
    context.load_cert_chain(certs / "tls.crt", certs / "tls.key")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}", certs
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def rendered_env() -> dict[str, str]:
    """The environment the OnCall component hands the chart in prod (the chart sets `env` on every container)."""
    postgres = PostgresConnection(host="db", database="oncall", user="oncall", password="x")
    args = OnCallArgs(namespace="monitoring", host="oncall.example.com", grafana_url="https://grafana.monitoring.svc:443",
                      postgres=postgres, redis=RedisConnection(host="redis", password=None),
                      ca_bundle=tls.client_trust_bundle())
    return chart_values(args)["env"]


def call(url: str, bundle: Path | None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")}
    if bundle is not None:
        (name, path), = rendered_env().items()
        assert path == tls.client_trust_bundle()[2]  # the file the pod mounts from the Bundle's ConfigMap
        env[name] = str(bundle)
    result = subprocess.run([sys.executable, "-c", CALL, f"{url}/api/health"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def trust_bundle(directory: Path, platform_ca: Path) -> Path:
    """The Bundle's ConfigMap as trust-manager writes it: the public CAs, then the platform's CA."""
    bundle = directory / tls.TRUST_BUNDLE_FILE
    bundle.write_text(Path(certifi.where()).read_text().rstrip("\n") + "\n" + platform_ca.read_text())
    return bundle


def test_oncalls_requests_verify_grafana_by_the_trust_bundle_and_keep_every_public_ca(grafana, tmp_path):
    url, certs = grafana
    bundle = trust_bundle(tmp_path, certs / "ca.crt")
    assert call(url, bundle) == "200 ok"
    # Every public CA requests trusted before is still in the bundle: Slack, Jira and webhooks verify as before.
    public = ssl.create_default_context(cafile=certifi.where()).get_ca_certs(binary_form=True)
    bundled = ssl.create_default_context(cafile=str(bundle)).get_ca_certs(binary_form=True)
    assert set(public) < set(bundled) and len(bundled) == len(public) + 1


def test_without_the_bundle_requests_refuses_grafanas_certificate(grafana):
    url, _ = grafana
    answer = call(url, None)
    assert answer.startswith("SSLError") and "CERTIFICATE_VERIFY_FAILED" in answer, answer


def test_a_grafana_certificate_another_ca_signed_is_refused_with_the_bundle(grafana, tmp_path):
    url, _ = grafana
    elsewhere = issue(tmp_path / "elsewhere", "someone else's CA", ["localhost"])
    answer = call(url, trust_bundle(tmp_path, elsewhere / "ca.crt"))
    assert answer.startswith("SSLError") and "CERTIFICATE_VERIFY_FAILED" in answer, answer


def test_plain_http_to_the_tls_only_stand_in_gets_no_answer(grafana, tmp_path):
    url, certs = grafana
    answer = call(url.replace("https://", "http://"), trust_bundle(tmp_path, certs / "ca.crt"))
    assert answer.startswith("ConnectionError"), answer
