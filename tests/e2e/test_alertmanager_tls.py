"""End to end: Alertmanager's replicas gossip over mutual TLS with the rendered `--cluster.tls-config`, on the real
binary (Debian's prometheus-alertmanager) on loopback. Certificates are made with openssl the way the platform's
cert-manager Issuer makes them (a CA, and a leaf for the peer name with server and client authentication), laid out
as cert-manager's Secret is (`tls.crt`, `tls.key`, `ca.crt`). A silence created on one replica reaches the others;
a replica whose certificate another CA signed is kept out."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from render.systems import tls
from render.yamlio import dump
from tests.e2e import cluster as am

pytestmark = pytest.mark.e2e

CONFIG = {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def issue(directory: Path, ca_name: str, names: list[str]) -> Path:
    """A CA and a leaf it signs for `names`, as cert-manager's CA Issuer would: ECDSA P-256, server and client auth."""
    directory.mkdir(parents=True)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=directory)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", f"/CN={ca_name}", "-days", "2", "-out", "ca.crt", cwd=directory)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tls.key", cwd=directory)
    openssl("req", "-new", "-key", "tls.key", "-subj", f"/CN={names[0]}", "-out", "tls.csr", cwd=directory)
    (directory / "ext.cnf").write_text(
        "subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n"
    )
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
            "-extfile", "ext.cnf", "-out", "tls.crt", cwd=directory)
    return directory


def cluster_tls_file(certs: Path) -> Path:
    path = certs / tls.CLUSTER_TLS_FILE
    path.write_text(dump(tls.alertmanager_cluster_tls(str(certs))))
    return path


def prepare(tmp_path: Path) -> Path:
    """Skip where Alertmanager or openssl cannot run; else the data directory and a config file with no receiver."""
    if reason := am.can_run():
        pytest.skip(reason)
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "data").mkdir()
    config = tmp_path / "alertmanager.yml"
    config.write_text(dump(CONFIG))
    return config


@pytest.fixture
def setup(tmp_path):
    config = prepare(tmp_path)
    # Every replica's certificate names the peer name only; peers dial each other by IP, as in the cluster.
    certs = issue(tmp_path / "certs", "alerting-platform CA", [tls.ALERTMANAGER_PEER_NAME, f"*.{tls.ALERTMANAGER_PEER_NAME}"])
    return config, certs


def silence(url: str, context: ssl.SSLContext | None = None, comment: str = "over TLS gossip") -> str:
    now = datetime.now(UTC)
    body = {
        "matchers": [{"name": "team", "value": "payments", "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "dara@example.com", "comment": comment,
    }
    request = urllib.request.Request(f"{url}/api/v2/silences", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return json.load(response)["silenceID"]


def silence_ids(url: str) -> set[str]:
    with urllib.request.urlopen(f"{url}/api/v2/silences", timeout=5) as response:
        return {s["id"] for s in json.load(response)}


def peers(cluster: am.Cluster, i: int) -> int:
    try:
        return len(cluster._get(i, "/api/v2/status")["cluster"].get("peers") or [])
    except OSError:
        return 0


def test_replicas_gossip_over_mutual_tls_and_share_silences(setup, tmp_path):
    config, certs = setup
    flag = f"--cluster.tls-config={cluster_tls_file(certs)}"
    with am.Cluster(config, tmp_path / "data", replicas=3, replica_args={i: (flag,) for i in range(3)}) as cluster:
        # Entering waited until every replica saw all three peers (Cluster.wait_until_clustered).
        created = silence(cluster.url(0))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(created in silence_ids(cluster.url(i)) for i in (1, 2)):
            time.sleep(0.2)
        assert all(created in silence_ids(cluster.url(i)) for i in (1, 2)), cluster.tail()
    print(f"\n3 replicas clustered over mutual TLS; silence {created} reached replicas 1 and 2")


def test_a_replica_with_a_certificate_from_another_ca_is_kept_out(setup, tmp_path):
    config, certs = setup
    rogue = issue(tmp_path / "rogue", "someone else's CA", [tls.ALERTMANAGER_PEER_NAME])
    # The rogue replica trusts the platform's CA but presents a certificate the platform's CA never signed.
    shutil.copy(certs / "ca.crt", rogue / "ca.crt")
    good, bad = cluster_tls_file(certs), cluster_tls_file(rogue)
    cluster = am.Cluster(config, tmp_path / "data", replicas=3, replica_args={
        0: (f"--cluster.tls-config={good}",), 1: (f"--cluster.tls-config={good}",), 2: (f"--cluster.tls-config={bad}",),
    })
    try:
        cluster.processes = [cluster._start(i) for i in range(3)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (peers(cluster, 0) >= 2 and peers(cluster, 1) >= 2):
            time.sleep(0.2)
        assert peers(cluster, 0) == 2 and peers(cluster, 1) == 2, cluster.tail()
        # Long enough for many gossip rounds (50 ms) and push-pulls (2 s): the rogue never gets in.
        seen = set()
        for _ in range(30):
            seen |= {peers(cluster, 0), peers(cluster, 1)}
            time.sleep(0.2)
        assert seen == {2}, cluster.tail()
        assert peers(cluster, 2) <= 1
        # The dialling side's message depends on who dialled whom: a good replica verifying the rogue's server
        # certificate logs "signed by unknown authority"; the rogue refused by a good one logs "unknown certificate
        # authority". A join that found no listener yet is retried on Alertmanager's reconnect interval (10 s), so wait a
        # bounded time, longer than one interval, for either.
        def refused() -> str:
            return cluster.log_lines("unknown authority") or cluster.log_lines("unknown certificate authority")
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and not refused():
            time.sleep(0.2)
        assert refused(), "no replica logged the refused certificate:\n" + cluster.tail(40)
    finally:
        cluster.__exit__()
