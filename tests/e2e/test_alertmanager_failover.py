"""Failover under load: 1,000 alert groups in flight across a real 3-replica Alertmanager cluster on 127.0.0.1.

The rendered configuration of a one-team catalog runs as the chart runs it (persistent --storage.path per
replica, the component's data maintenance interval), with the SaaS endpoints at the local capture server and group
timers cut to a second. Three things happen to the cluster, each with its own 1,000 groups:

1. a replica is killed (SIGKILL) while the groups go out, and restarted on its storage later;
2. a replica is cut off from its peers (SIGSTOP) while the groups go out, and comes back (SIGCONT);
3. every replica stops, and the cluster starts again from its storage alone.

Each time, every group must be delivered at least once; duplicates are counted and must stay within a bound;
the silence made before the first failure must mute its alert throughout and still exist on every replica after
the restarts; and the notification log must survive them: groups already sent are not sent again when vmalert
re-sends the same alerts. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from cli import tools
from components.alertmanager import MAINTENANCE_INTERVAL
from model.catalog import Organisation
from render import render
from tests.e2e import cluster as am
from tests.e2e.sinks import CaptureServer, SmtpSink
from tests.e2e.test_alertmanager_cluster import settings, write_config

pytestmark = pytest.mark.e2e

GROUPS = 1000
PEER_TIMEOUT = 15.0  # Alertmanager's default, which the chart keeps
DELIVERY_DEADLINE = 120.0
# The snapshot interval the component gives the chart (components/alertmanager.py).
MAINTENANCE = f"--data.maintenance-interval={MAINTENANCE_INTERVAL}"


def catalog() -> dict:
    hook = lambda name: {"secret": name}  # noqa: E731
    return {
        "name": "load",
        "platform_team": "ops",
        "security_team": "ops",
        "teams": [
            {
                "name": "ops",
                "display_name": "Operations",
                "slack": {
                    "alerts": {"channel": "#ops-alerts", "webhook": hook("ops-alerts-slack")},
                    "incidents": {"channel": "#ops-incidents", "webhook": hook("ops-incidents-slack")},
                },
                "oncall": {"rotation": ["ops@load.example"], "integration_url": hook("ops-oncall")},
                "business_hours": {"timezone": "UTC", "weekdays": ["monday:sunday"], "start": "00:00", "end": "24:00"},
                "escalation": {"steps": [{"notify": "primary-oncall"}]},
                "services": [
                    {"name": "api", "tier": "medium", "namespace": "api",
                     "runbook_url": "https://runbooks.load.example/api", "dashboard_url": "https://grafana.load.example/api"}
                ],
            }
        ],
    }


def alerts(prefix: str, n: int = GROUPS) -> list[dict]:
    """n alert groups (one alertname each) that the catalog routes to the team channel (P2) only."""
    labels = {"team": "ops", "service": "api", "severity": "warning", "priority": "P2"}
    return [{"labels": {"alertname": f"{prefix}{i:04d}", **labels}} for i in range(n)]


def _request(url: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def silence(cluster: am.Cluster, replica: int, alertname: str) -> str:
    now = datetime.now(UTC)
    body = {
        "matchers": [{"name": "alertname", "value": alertname, "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
        "createdBy": "e2e", "comment": "survives failover",
    }
    return _request(cluster.url(replica) + "/api/v2/silences", body)["silenceID"]


def silence_ids(cluster: am.Cluster, replica: int) -> set[str]:
    return {s["id"] for s in _request(cluster.url(replica) + "/api/v2/silences") if s["status"]["state"] == "active"}


class Ledger:
    """Deliveries of one round's groups: who arrived, how often, and when."""

    def __init__(self, capture: CaptureServer, prefix: str) -> None:
        self.capture, self.prefix = capture, prefix

    def arrivals(self) -> list:
        return [d for d in list(self.capture.deliveries) if d.alertname.startswith(self.prefix)]

    def per_group(self) -> Counter:
        return Counter(d.alertname for d in self.arrivals())

    def wait_for_all(self, groups: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.per_group()) >= groups:
                return True
            time.sleep(0.2)
        return len(self.per_group()) >= groups

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrivals()) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def _settle(seconds: float) -> None:
    """Long enough for every replica to have had its turn: a duplicate would have arrived by now."""
    time.sleep(seconds)


def _quiet(ledger: Ledger, quiet_for: float, timeout: float) -> int:
    """Wait until nothing of the ledger's groups has arrived for `quiet_for` seconds (a busy machine still delivers
    an earlier round's late duplicates); returns the arrivals then."""
    deadline = time.monotonic() + timeout
    count, since = len(ledger.arrivals()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = len(ledger.arrivals())
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            break
    return count


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    reason = am.can_run()
    if reason:
        pytest.skip(reason)
    tools.path("prometheus-alertmanager")
    root = tmp_path_factory.mktemp("failover")
    with CaptureServer() as capture, SmtpSink() as smtp:
        artifacts = render(Organisation.model_validate(catalog()), settings(smtp.address))
        config_file, _, _ = write_config(artifacts, root, capture.url)
        with am.Cluster(config_file, root, replicas=3, peer_timeout=f"{PEER_TIMEOUT:g}s",
                        extra_args=(MAINTENANCE,)) as cluster:
            yield {"capture": capture, "cluster": cluster, "figures": {}}


def _report(name: str, figures: dict) -> None:
    print(f"\n[failover] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


def _round(environment, prefix: str, fail, recover) -> dict:
    """Post GROUPS groups to every replica, `fail` once the first deliveries arrive, and measure."""
    capture, cluster = environment["capture"], environment["cluster"]
    ledger = Ledger(capture, prefix)
    batch = alerts(prefix)
    started = time.monotonic()
    cluster.post(batch)
    ledger.wait_for(GROUPS // 10, timeout=30)  # mid-flight: about a tenth of the groups are out
    delivered_before = len(ledger.per_group())
    victim = fail()
    failed_at = time.time()
    assert ledger.wait_for_all(GROUPS, DELIVERY_DEADLINE), (
        f"{GROUPS - len(ledger.per_group())} groups never arrived\n{cluster.tail()}"
    )
    last = max(d.arrived for d in ledger.arrivals())
    recover(victim)
    _settle(2 * PEER_TIMEOUT + 5)
    per_group = ledger.per_group()
    return {
        "groups": GROUPS,
        "delivered_before_failure": delivered_before,
        "deliveries": sum(per_group.values()),
        "duplicates": sum(per_group.values()) - len(per_group),
        "most_deliveries_of_one_group": max(per_group.values()),
        "seconds_to_deliver_after_failure": round(max(0.0, last - failed_at), 1),
        "seconds_in_all": round(time.monotonic() - started, 1),
    }


def _duplicates_bounded(figures: dict, replicas: int) -> None:
    # A replica sends a group the log does not yet show as sent: after a kill, the groups the dead one sent but had
    # not gossiped; after a stop, everything the stopped one had pending when it wakes, before it hears the log; and
    # whenever delivering takes longer than the peer timeout (a slow receiver, a loaded machine), the next replica's
    # turn comes first. Alertmanager also retries a notification whose receiver answered too late. So: each replica
    # once and one retry each at most, for any group; and no round may double every group.
    assert figures["most_deliveries_of_one_group"] <= 2 * replicas, figures
    assert figures["duplicates"] <= 2 * GROUPS, figures


def test_a_replica_killed_mid_flight_loses_no_group_and_keeps_the_silence(environment):
    cluster, figures = environment["cluster"], environment["figures"]
    silence_id = silence(cluster, 1, "SilencedDuringFailover")
    environment["silence"] = silence_id
    _settle(1)  # gossiped to every replica
    cluster.post([{"labels": {"alertname": "SilencedDuringFailover", "team": "ops", "service": "api",
                              "severity": "warning", "priority": "P2"}}])

    def kill() -> int:
        cluster.kill(0)
        return 0

    def restart(i: int) -> None:
        cluster.restart(i)
        cluster.wait_until_clustered()

    result = _round(environment, "Killed", kill, restart)
    _report("SIGKILL of replica 0", result)
    figures["kill"] = result
    _duplicates_bounded(result, 3)
    assert all(silence_id in silence_ids(cluster, i) for i in range(3)), "the silence did not survive the restart"
    assert not [d for d in environment["capture"].deliveries if d.alertname == "SilencedDuringFailover"]


def test_after_the_restart_the_notification_log_keeps_sent_groups_from_going_out_again(environment):
    capture, cluster = environment["capture"], environment["cluster"]
    ledger = Ledger(capture, "Killed")
    before = _quiet(ledger, 2 * PEER_TIMEOUT, DELIVERY_DEADLINE)
    cluster.post(alerts("Killed"))  # vmalert re-sends firing alerts on every evaluation, to every replica
    _settle(2 * PEER_TIMEOUT + 5)
    again = len(ledger.arrivals()) - before
    _report("re-sent alerts after the restart", {"groups": GROUPS, "sent_again": again})
    assert again == 0


def test_a_replica_cut_off_mid_flight_comes_back_without_losing_a_group(environment):
    cluster, figures = environment["cluster"], environment["figures"]

    def cut_off() -> int:
        cluster.signal(1, signal.SIGSTOP)
        return 1

    def come_back(i: int) -> None:
        cluster.signal(i, signal.SIGCONT)
        cluster.wait_until_clustered()

    result = _round(environment, "CutOff", cut_off, come_back)
    _report("SIGSTOP then SIGCONT of replica 1", result)
    figures["cut_off"] = result
    _duplicates_bounded(result, 3)
    assert environment["silence"] in silence_ids(cluster, 1)


def test_after_every_replica_restarts_from_its_storage_silences_and_the_log_are_still_there(environment):
    capture, cluster = environment["capture"], environment["cluster"]
    for i in cluster.live():
        cluster.signal(i, signal.SIGTERM)  # as a rolling update or a node drain stops the pods
    for process in cluster.processes:
        assert process is not None
        process.wait(timeout=30)
    for i in range(3):
        cluster.restart(i)
    cluster.wait_until_clustered()
    assert all(environment["silence"] in silence_ids(cluster, i) for i in range(3))
    ledgers = [Ledger(capture, prefix) for prefix in ("Killed", "CutOff")]
    before = [len(ledger.arrivals()) for ledger in ledgers]
    cluster.post(alerts("Killed") + alerts("CutOff"))
    _settle(2 * PEER_TIMEOUT + 5)
    again = sum(len(ledger.arrivals()) - b for ledger, b in zip(ledgers, before))
    _report("whole-cluster restart from storage", {"groups": 2 * GROUPS, "sent_again": again, "silence_kept": True})
    assert again == 0
