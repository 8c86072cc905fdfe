"""End to end: Alertmanager serves its API over TLS with the rendered `--web.config.file`, on the real binary on
loopback, and the silence backup's rendered amtool script reads it back verifying the server by the platform's CA.
Certificates are made with openssl as the platform's cert-manager issuer makes them (test_alertmanager_tls.issue),
for the names `render.systems.tls.alertmanager_certificate` asks for plus `localhost`, the loopback stand-in for the Service.
A client speaking plain HTTP, and amtool trusting another CA, are refused."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli import audit, tools
from render.systems import backup, tls
from render.yamlio import dump
from tests.e2e import cluster as am
from tests.e2e.test_alertmanager_tls import issue, prepare, silence

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path):
    """One replica serving HTTPS with the rendered web config; (https URL, its CA file, the cluster)."""
    config = prepare(tmp_path)
    names = [*tls.alertmanager_certificate()["spec"]["dnsNames"], "localhost"]
    certs = issue(tmp_path / "certs", "alerting-platform CA", names)
    web = certs / tls.WEB_TLS_FILE
    web.write_text(dump(tls.alertmanager_web_tls(str(certs))))
    cluster = am.Cluster(config, tmp_path / "data", replicas=1, replica_args={0: (f"--web.config.file={web}",)})
    cluster.processes = [cluster._start(0)]
    url = f"https://localhost:{cluster.http_ports[0]}"
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2, context=context):
                    break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or not cluster.live():
                    pytest.fail("Alertmanager never served HTTPS:\n" + cluster.tail())
                time.sleep(0.2)
        yield url, certs / "ca.crt", context, cluster
    finally:
        cluster.__exit__()


def run_backup_script(url: str, ca_file: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """The rendered silence-backup script with its pod paths (/tmp, the dump volume) moved under tmp_path, and amtool
    from the tools directory on PATH."""
    scratch, dump_dir = tmp_path / "tmp", tmp_path / "dump"
    scratch.mkdir(exist_ok=True)
    dump_dir.mkdir(exist_ok=True)
    script = backup.silences_script(url, str(ca_file)).replace("/tmp/http-config.yml", f"{scratch}/http-config.yml").replace(backup.DUMP_DIR, str(dump_dir))
    env = {**os.environ, "PATH": f"{tools.path('amtool').parent}:{os.environ['PATH']}"}
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    return result, dump_dir / "silences.json"


def test_the_api_is_served_over_tls_and_the_backup_reads_it_verifying_the_ca(served, tmp_path):
    url, ca_file, context, cluster = served
    created = silence(url, context, "over HTTPS")
    result, dumped = run_backup_script(url, ca_file, tmp_path)
    assert result.returncode == 0, result.stderr + cluster.tail()
    assert [s["id"] for s in json.loads(dumped.read_text())] == [created]
    print(f"\nAlertmanager served HTTPS with the rendered web config; amtool read silence {created} verifying the CA")


def test_plain_http_and_a_ca_from_another_issuer_are_refused(served, tmp_path):
    url, _ca_file, _context, cluster = served
    # Go's TLS server answers a plain-HTTP request with 400 "Client sent an HTTP request to an HTTPS server".
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(url.replace("https://", "http://") + "/api/v2/silences", timeout=5)
    assert plain.value.code == 400
    rogue = issue(tmp_path / "rogue", "someone else's CA", ["localhost"])
    result, _ = run_backup_script(url, rogue / "ca.crt", tmp_path)
    assert result.returncode != 0
    assert "certificate signed by unknown authority" in result.stderr, result.stderr + cluster.tail()


def test_the_audit_reads_silences_through_a_port_forward_verifying_the_service_name(served, tmp_path):
    # Through `kubectl port-forward` the URL says 127.0.0.1; the certificate is verified for the Service's name.
    url, ca_file, context, cluster = served
    created = silence(url, context, "over HTTPS")
    forwarded = url.replace("localhost", "127.0.0.1")
    since = datetime.now(UTC) - timedelta(days=1)
    found = audit.silences(forwarded, since, audit.verified_opener(str(ca_file), "alertmanager.monitoring.svc"))
    assert [(s.id, s.created_by) for s in found] == [(created, "dara@example.com")]
    with pytest.raises(urllib.error.URLError, match="certificate verify failed"):
        audit.silences(forwarded, since, audit.verified_opener(str(ca_file), "not-alertmanager.monitoring.svc"))
    rogue = issue(tmp_path / "rogue", "someone else's CA", ["alertmanager.monitoring.svc"])
    with pytest.raises(urllib.error.URLError, match="certificate verify failed"):
        audit.silences(forwarded, since, audit.verified_opener(str(rogue / "ca.crt"), "alertmanager.monitoring.svc"))


def test_the_documented_restore_reaches_alertmanager_through_a_port_forward(served, tmp_path):
    # docs/operations.md: amtool at 127.0.0.1 with an HTTP config naming the CA and the Service's name.
    url, ca_file, context, cluster = served
    exported = tmp_path / "silences.json"
    exported.write_text(json.dumps([{
        "matchers": [{"name": "team", "value": "payments", "isRegex": False, "isEqual": True}],
        "startsAt": datetime.now(UTC).isoformat(), "endsAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "createdBy": "dara@example.com", "comment": "restored",
    }]))
    http_config = tmp_path / "http.yml"
    http_config.write_text(f"tls_config: {{ca_file: {ca_file}, server_name: alertmanager.monitoring.svc}}\n")
    forwarded = url.replace("localhost", "127.0.0.1")
    result = subprocess.run(
        [str(tools.path("amtool")), f"--alertmanager.url={forwarded}", f"--http.config.file={http_config}", "silence", "import"],
        stdin=exported.open(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr + cluster.tail()
    found = audit.silences(forwarded, datetime.now(UTC) - timedelta(days=1), audit.verified_opener(str(ca_file), "alertmanager.monitoring.svc"))
    assert [s.comment for s in found] == ["restored"]
