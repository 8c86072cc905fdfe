"""End to end: an alert the platform renders reaches every integration with its context.

The example organisation's rendered config runs on a real Alertmanager; the checkout SLO's page alert is posted
with the labels and annotations its rule gives it. Webhooks (Grafana OnCall's Alertmanager integration and the
SMS gateway) receive Alertmanager's JSON payload: the enrichment is in it as annotations, and OnCall's integration
lists a group's common annotations in the alert group it opens (grafana/oncall
engine/config_integrations/alertmanager.py, `web_message`). PagerDuty gets it in its custom details, Slack in
its text.
"""

from __future__ import annotations

import json
import time

import pytest

import catalog
from cli import tools
from render import render
from tests.e2e import cluster as am
from tests.e2e.sinks import CaptureServer, SmtpSink
from tests.e2e.test_alertmanager_cluster import settings, write_config

pytestmark = pytest.mark.e2e

CONTEXT = ("depends_on", "dependants", "impact", "priority_reason", "history_url", "incidents_url")


def _burn_rule(rule_files: dict) -> dict:
    return next(r for g in rule_files["slo-checkout-success.yaml"]["groups"] for r in g["rules"]
                if r.get("alert") == "ErrorBudgetBurn" and r["labels"]["sloth_severity"] == "page")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    reason = am.can_run()
    if reason:
        pytest.skip(reason)
    tools.path("prometheus-alertmanager")
    root = tmp_path_factory.mktemp("enrichment")
    with CaptureServer() as capture, SmtpSink() as smtp:
        artifacts = render(catalog.load("example"), settings(smtp.address))
        config_file, _, _ = write_config(artifacts, root, capture.url)
        rule = _burn_rule(artifacts.rule_files)
        with am.Cluster(config_file, root, replicas=1) as cluster:
            cluster.post([{"labels": {"alertname": rule["alert"], **rule["labels"]}, "annotations": rule["annotations"]}])
            wanted = {"/hook/oncall-payments", "/hook/payments-sms-gateway", "/pagerduty", "/hook/payments-war-room-webhook"}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not wanted <= {path for path, _ in capture.requests}:
                time.sleep(0.25)
            requests = {path: json.loads(body) for path, body in capture.requests}
            assert wanted <= set(requests), f"got {sorted(requests)}\n{cluster.tail()}"
            yield rule, requests


def test_oncall_and_every_webhook_receive_the_context_as_annotations(delivered):
    rule, requests = delivered
    for path in ("/hook/oncall-payments", "/hook/payments-sms-gateway"):
        payload = requests[path]
        assert payload["status"] == "firing" and payload["receiver"] == "payments-p0"
        common = payload["commonAnnotations"]
        assert {k: common[k] for k in CONTEXT} == {k: rule["annotations"][k] for k in CONTEXT}, path
        assert common["depends_on"] == "api-gateway, payments-api, postgres"
        assert payload["alerts"][0]["annotations"]["burn_impact"].startswith("Fires from 1.4x the sustainable burn")


def test_pagerduty_and_slack_show_the_context(delivered):
    rule, requests = delivered
    details = requests["/pagerduty"]["payload"]["custom_details"]
    assert details["depends_on"] == "api-gateway, payments-api, postgres" and details["dependants"] == "none"
    assert details["history"] == rule["annotations"]["history_url"]
    assert details["incidents"] == rule["annotations"]["incidents_url"]
    assert rule["annotations"]["burn_impact"] in details["alerts"]
    links = {link["text"]: link["href"] for link in requests["/pagerduty"]["links"]}
    assert links["Past incidents"] == rule["annotations"]["incidents_url"]
    text = requests["/hook/payments-war-room-webhook"]["attachments"][0]["text"]
    assert "*Depends on:* api-gateway, payments-api, postgres · *Dependants:* none" in text
    assert f"<{rule['annotations']['history_url']}|History>" in text
