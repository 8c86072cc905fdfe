"""End to end: the rendered routing policy on a real 3-replica Alertmanager cluster.

The catalog is written relative to the moment the test starts, so that one team is at work, the other starts its
day in about a minute, and one service is inside a maintenance window. Everything the replicas notify is caught by
local stand-ins (tests/e2e/sinks.py) and recorded as (alertname, receiver, integration). The rendered config is
used as it is, except that the SaaS endpoints it names (PagerDuty, the Slack API, Jira) point at the stand-ins, the
secret files are read from the test's directory instead of the pod's mount, and the group timers are cut to a
second; the test checks that nothing else changed.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from cli import tools
from model.catalog import Organisation
from model.settings import Settings
from render import render
from render.alertmanager.config import secret_files
from render.systems.topology import ALERTMANAGER_SECRETS_DIR
from render.yamlio import dump
from tests.e2e import cluster as am
from tests.e2e.sinks import CaptureServer, Delivery, SmtpSink

pytestmark = pytest.mark.e2e

TIMERS = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
PEER_TIMEOUT = 2.0


def _runbook(name: str) -> dict:
    return {"runbook_url": f"https://runbooks.e2e.example/{name}", "dashboard_url": f"https://grafana.e2e.example/{name}"}


def catalog(now: datetime) -> tuple[dict, datetime]:
    """The test organisation, and the moment the `core` team's business hours begin."""
    # `core` works in a zone where it is about noon, from the next whole minute at least 25 s away (time for the
    # cluster to form and every alert to be in) for two hours: its P2 alerts must wait for that minute, then go out.
    offset = 12 - now.hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    local = now + timedelta(hours=offset)
    start = (local + timedelta(seconds=25)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    window_start = (now - timedelta(hours=1)).replace(second=0, microsecond=0, tzinfo=None)
    doc = {
        "name": "e2e",
        "platform_team": "core",
        "security_team": "core",
        "slack": {"bot_token": {"secret": "slack-bot"}},
        "teams": [
            {
                "name": "shop",
                "display_name": "Shop",
                "slack": {
                    "alerts": {"channel": "#shop-alerts"},
                    "incidents": {"channel": "#shop-incidents", "webhook": {"secret": "shop-incidents-slack"}},
                },
                "pagerduty": {"routing_key": {"secret": "shop-pagerduty"}},
                "email": {"to": ["shop@e2e.example"]},
                "jira": {
                    "api_url": "https://jira.e2e.example",
                    "project": "SHOP",
                    "username": "alertmanager",
                    "password": {"secret": "shop-jira"},
                },
                "oncall": {"rotation": ["a@e2e.example"]},
                "webhooks": [
                    {"name": "sms", "kind": "sms", "url": {"secret": "shop-sms"}},
                    {"name": "audit", "kind": "generic", "url": {"secret": "shop-audit"}},
                ],
                "business_hours": {"timezone": "UTC", "weekdays": ["monday:sunday"], "start": "00:00", "end": "24:00"},
                "escalation": {"steps": [{"notify": "primary-oncall"}]},
                "maintenance": [
                    {
                        "name": "reports-rebuild",
                        "timezone": "UTC",
                        "services": ["reports"],
                        "once": {"start": window_start.isoformat(), "end": (window_start + timedelta(hours=2)).isoformat()},
                    }
                ],
                "services": [
                    {"name": "web", "tier": "critical", "impact": {"revenue_affecting": True}, "depends_on": ["db"],
                     "namespace": "shop", **_runbook("web")},
                    {"name": "cart", "tier": "medium", "namespace": "shop", **_runbook("cart")},
                    {"name": "reports", "tier": "low", "namespace": "reports", **_runbook("reports")},
                ],
            },
            {
                "name": "core",
                "display_name": "Core",
                "slack": {
                    "alerts": {"channel": "#core-alerts", "webhook": {"secret": "core-alerts-slack"}},
                    "incidents": {"channel": "#core-incidents", "webhook": {"secret": "core-incidents-slack"}},
                },
                "email": {"to": ["core@e2e.example"]},
                "oncall": {"rotation": ["b@e2e.example"], "integration_url": {"secret": "core-oncall"}},
                "webhooks": [{"name": "tickets", "kind": "jira", "url": {"secret": "core-tickets"}}],
                "business_hours": {
                    "timezone": zone,
                    "weekdays": ["monday:sunday"],
                    "start": start.strftime("%H:%M"),
                    "end": (start + timedelta(hours=2)).strftime("%H:%M"),
                },
                "escalation": {"steps": [{"notify": "primary-oncall"}]},
                "services": [{"name": "db", "tier": "critical", "impact": {"revenue_affecting": True}, "namespace": "data", **_runbook("db")}],
            },
        ],
    }
    return doc, start - timedelta(hours=offset)


def settings(smtp: str) -> Settings:
    return Settings.model_validate(
        {
            "environment": "e2e",
            "clusterName": "e2e",
            "domain": "e2e.example",
            "paging": True,
            "highAvailability": False,
            "smtp": {"smarthost": smtp, "from": "alertmanager@e2e.example", "requireTls": False},
            # The example catalog's runtime responses capture forensics, which need a bucket.
            "falco": {"response": {"forensics": {"endpoint": "s3.e2e.example:443", "bucket": "e2e-forensics"}}},
        }
    )


def relocate_secrets(node: object, old: str, new: str) -> object:
    """The config with every `*_file` under directory `old` moved to directory `new`."""
    if isinstance(node, dict):
        return {
            k: (new + v[len(old):] if k.endswith("_file") and isinstance(v, str) and v.startswith(old + "/") else relocate_secrets(v, old, new))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [relocate_secrets(v, old, new) for v in node]
    return node


def point_at_stand_ins(config: dict, capture: str, secrets_dir: Path) -> dict:
    """The rendered config with the SaaS endpoints at the capture server, the secrets in `secrets_dir`, and
    second-long group timers."""
    patched = relocate_secrets(yaml.safe_load(dump(config)), ALERTMANAGER_SECRETS_DIR, str(secrets_dir))
    patched["global"]["pagerduty_url"] = f"{capture}/pagerduty"
    patched["global"]["slack_app_url"] = f"{capture}/slack-app"
    for receiver in patched["receivers"]:
        for jira in receiver.get("jira_configs", []):
            jira["api_url"] = f"{capture}/jira/rest/api/2"

    def timers(route: dict) -> None:
        for key in TIMERS:
            if key in route:
                route[key] = TIMERS[key]
        for child in route.get("routes", []):
            timers(child)

    timers(patched["route"])
    return patched


def _without(config: dict, keys: set[str]) -> object:
    if isinstance(config, dict):
        return {k: _without(v, keys) for k, v in config.items() if k not in keys}
    if isinstance(config, list):
        return [_without(v, keys) for v in config]
    return config


def write_secrets(config: dict, directory: Path, capture: str) -> None:
    """A file for every `*_file` the config reads: URLs lead to the capture server, tokens are just names."""
    directory.mkdir(parents=True)
    for key, path in secret_files(config):
        name = path.rsplit("/", 1)[-1]
        url = key in ("api_url_file", "url_file")
        (directory / name).write_text(f"{capture}/hook/{name}" if url else f"e2e-{name}")


def write_config(artifacts, root: Path, capture: str) -> tuple[Path, dict, Path]:
    """The rendered config and its templates in root/alertmanager, pointed at the stand-ins, with its secret files
    in root/alertmanager-secrets: (config file, config, secrets directory)."""
    secrets_dir = root / "alertmanager-secrets"
    config = point_at_stand_ins(artifacts.alertmanager, capture, secrets_dir)
    config_dir = root / "alertmanager"
    config_dir.mkdir()
    (config_dir / "alertmanager.yaml").write_text(dump(config))
    for name, text in artifacts.alertmanager_templates.items():
        (config_dir / name).write_text(text)
    write_secrets(config, secrets_dir, capture)
    return config_dir / "alertmanager.yaml", config, secrets_dir


def alert(name: str, **labels: str) -> dict:
    return {"labels": {"alertname": name, **labels}, "annotations": {"summary": f"{name} summary"}}


SHOP_P0 = {("shop-p0", "pagerduty:critical"), ("shop-p0", "slack:#shop-incidents"), ("shop-p0", "webhook:oncall-shop"),
           ("shop-p0", "webhook:shop-sms"), ("shop-p0", "webhook:shop-audit")}
SHOP_P1 = {("shop-p1", "pagerduty:error"), ("shop-p1", "slack:#shop-alerts"), ("shop-p1", "email"), ("shop-p1", "webhook:shop-audit")}
SHOP_P2 = {("shop-p2", "slack:#shop-alerts"), ("shop-p2", "webhook:shop-audit")}
SHOP_P3 = {("shop-p3", "jira"), ("shop-p3", "email"), ("shop-p3", "webhook:shop-audit")}
CORE_P0 = {("core-p0", "slack:#core-incidents"), ("core-p0", "webhook:core-oncall")}
CORE_P2 = {("core-p2", "slack:#core-alerts")}
CATCH_ALL = {("catch-all", "slack:#core-alerts"), ("catch-all", "email")}

# alertname -> (labels, the (receiver, integration) pairs it must reach exactly once; empty: it must reach none)
SCENARIOS: dict[str, tuple[dict, set]] = {
    # One group per priority, each to its team's bundle of integrations.
    "PageNow": ({"team": "shop", "service": "web", "severity": "critical", "priority": "P0"}, SHOP_P0),
    "UrgentCall": ({"team": "shop", "service": "web", "severity": "critical", "priority": "P1"}, SHOP_P1),
    "TeamChannel": ({"team": "shop", "service": "cart", "severity": "warning", "priority": "P2"}, SHOP_P2),
    "TicketOnly": ({"team": "shop", "service": "cart", "severity": "info", "priority": "P3"}, SHOP_P3),
    # No priority label: classified from the catalog (web is critical and revenue-affecting: P0).
    "Unlabelled": ({"team": "shop", "service": "web", "severity": "critical"}, SHOP_P0),
    # Nobody claims it: the platform team's catch-all.
    "NobodysAlert": ({"team": "ghost", "service": "x", "severity": "critical", "priority": "P1"}, CATCH_ALL),
    # Critical silences the warning of the same alertname and service.
    "DiskFull": ({"team": "shop", "service": "cart", "severity": "critical", "priority": "P2"}, SHOP_P2),
    # A failing dependency (db) silences its dependent's symptoms, not the dependent's own outage.
    "DbDown": ({"team": "core", "service": "db", "severity": "critical", "priority": "P0", "cluster": "dep"}, CORE_P0),
    "WebErrors": ({"team": "shop", "service": "web", "severity": "critical", "priority": "P1", "cluster": "dep"}, set()),
    "WebPodsDown": ({"team": "shop", "service": "web", "severity": "critical", "priority": "P1", "cluster": "dep",
                     "symptom": "false"}, SHOP_P1),
    # A namespace outage silences every service alert inside it.
    "NamespaceOutage": ({"team": "shop", "namespace": "blast", "scope": "namespace", "severity": "critical",
                         "priority": "P0"}, SHOP_P0),
    "CartSlow": ({"team": "shop", "service": "cart", "namespace": "blast", "severity": "critical", "priority": "P1"}, set()),
    # A cluster outage silences every service alert in that cluster.
    "ClusterOutage": ({"team": "core", "scope": "cluster", "cluster": "down", "severity": "critical", "priority": "P0"}, CORE_P0),
    "WebLatency": ({"team": "shop", "service": "web", "cluster": "down", "severity": "critical", "priority": "P1"}, set()),
    # reports is in its maintenance window: muted.
    "ReportsStale": ({"team": "shop", "service": "reports", "severity": "warning", "priority": "P3"}, set()),
}
HELD = ("DbSlow", {"team": "core", "service": "db", "severity": "warning", "priority": "P2"}, CORE_P2)
AFTER_FAILOVER = ("AfterFailover", {"team": "shop", "service": "cart", "severity": "warning", "priority": "P2"}, SHOP_P2)


def _deliveries(capture: CaptureServer, smtp: SmtpSink) -> list[Delivery]:
    return list(capture.deliveries) + list(smtp.deliveries)


def _by_alertname(deliveries: list[Delivery]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for d in deliveries:
        out.setdefault(d.alertname, Counter())[(d.receiver, d.integration)] += 1
    return out


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    reason = am.can_run()
    if reason:
        pytest.skip(reason)
    tools.path("prometheus-alertmanager")
    root = tmp_path_factory.mktemp("cluster")
    now = datetime.now(UTC)
    doc, held_until = catalog(now)
    with CaptureServer() as capture, SmtpSink() as smtp:
        artifacts = render(Organisation.model_validate(doc), settings(smtp.address))
        config_file, config, secrets_dir = write_config(artifacts, root, capture.url)
        with am.Cluster(config_file, root, replicas=3, peer_timeout=f"{PEER_TIMEOUT:g}s") as cluster:
            assert datetime.now(UTC) < held_until, "the cluster took too long to form: core's day already began"
            alerts = [alert(name, **labels) for name, (labels, _) in SCENARIOS.items()]
            # The warning twin of DiskFull: same alertname and service, silenced by the critical one.
            alerts.append(alert("DiskFull", team="shop", service="cart", severity="warning", priority="P3"))
            alerts.append(alert(HELD[0], **HELD[1]))
            cluster.post(alerts)
            yield {"capture": capture, "smtp": smtp, "cluster": cluster, "rendered": artifacts.alertmanager,
                   "patched": config, "secrets_dir": secrets_dir, "held_until": held_until}


def test_only_endpoints_and_timers_differ_from_the_rendered_config(environment):
    rendered, patched = environment["rendered"], environment["patched"]
    changed = {"pagerduty_url", "slack_app_url", "api_url", *TIMERS}
    restored = relocate_secrets(patched, str(environment["secrets_dir"]), ALERTMANAGER_SECRETS_DIR)
    assert _without(yaml.safe_load(dump(rendered)), changed) == _without(restored, changed)
    result = tools.run("amtool", "check-config", str(environment["cluster"].config_file))
    assert result.ok, result.output


def test_each_group_reaches_exactly_its_receivers_once_and_suppressed_ones_reach_none(environment):
    capture, smtp, cluster = environment["capture"], environment["smtp"], environment["cluster"]
    held_name = HELD[0]

    expected = {name: want for name, (_, want) in SCENARIOS.items()}

    def all_arrived() -> bool:
        got = _by_alertname(_deliveries(capture, smtp))
        return all(set(got.get(name, {})) >= want for name, want in expected.items())

    assert _wait_for(all_arrived, 30), f"missing deliveries; got {_by_alertname(_deliveries(capture, smtp))}\n{cluster.tail()}"
    # Long enough for every replica to have had its turn: a duplicate would have arrived by now.
    time.sleep(3 * PEER_TIMEOUT + 2)
    got = _by_alertname(_deliveries(capture, smtp))
    for name, want in expected.items():
        assert got.get(name, Counter()) == Counter({pair: 1 for pair in want}), (
            f"{name}:\n" + cluster.log_lines(f'alertname=\\"{name}\\"', "Notify")
        )
    assert set(got) - {held_name, AFTER_FAILOVER[0]} <= set(expected), f"unexpected groups: {set(got) - set(expected)}"
    # Every integration of every receiver that fired worked the first time: no retries, no template errors.
    failures = cluster.log_lines("Notify attempt failed") + cluster.log_lines("Notify for alerts failed")
    assert not failures, failures


def test_after_a_replica_dies_new_alerts_still_arrive_once(environment):
    capture, smtp, cluster = environment["capture"], environment["smtp"], environment["cluster"]
    cluster.kill(0)
    assert cluster.live() == [1, 2]
    name, labels, want = AFTER_FAILOVER
    cluster.post([alert(name, **labels)])
    assert _wait_for(lambda: any(d.alertname == name for d in _deliveries(capture, smtp)), 30), cluster.tail()
    time.sleep(3 * PEER_TIMEOUT + 2)
    assert _by_alertname(_deliveries(capture, smtp))[name] == Counter({pair: 1 for pair in want})


def test_a_p2_alert_outside_business_hours_is_held_then_sent_once_when_they_begin(environment):
    capture, smtp, cluster = environment["capture"], environment["smtp"], environment["cluster"]
    held_name, _, held_expected = HELD
    start = environment["held_until"]
    wait = max((start - datetime.now(UTC)).total_seconds(), 0) + 20
    assert _wait_for(lambda: any(d.alertname == held_name for d in _deliveries(capture, smtp)), wait), cluster.tail()
    time.sleep(3 * PEER_TIMEOUT + 2)
    held = [d for d in _deliveries(capture, smtp) if d.alertname == held_name]
    assert Counter((d.receiver, d.integration) for d in held) == Counter({pair: 1 for pair in held_expected})
    assert min(d.arrived for d in held) >= start.timestamp(), "sent before the team's business hours began"
