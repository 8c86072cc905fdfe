"""Notification templates, executed by amtool (the same Go template engine Alertmanager runs) on alert data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli import build, tools
from render.notification_templates import CATALOG_FILE, LAYOUT_FILE
from render.yamlio import dump
from tests.conftest import write_yaml


def group(receiver: str, labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    """Template data of one firing alert group, as Alertmanager builds it."""
    alert = {"status": "firing", "labels": labels, "annotations": annotations or {}, "startsAt": "2026-12-07T10:00:00Z",
             "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "0"}
    return {"receiver": receiver, "status": "firing", "alerts": [alert], "groupLabels": {"alertname": labels.get("alertname", "")},
            "commonLabels": labels, "commonAnnotations": annotations or {}, "externalURL": "http://alertmanager"}


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> tuple[Path, dict]:
    artifacts = build.stack_artifacts("prod")
    directory = tmp_path_factory.mktemp("templates")
    for name, text in artifacts.alertmanager_templates.items():
        (directory / name).write_text(text)
    return directory, artifacts.alertmanager


def run(directory: Path, name: str, data: dict, kind: str = "text") -> str:
    path = directory / f"data-{abs(hash(json.dumps(data, sort_keys=True)))}.json"
    path.write_text(json.dumps(data))
    result = tools.run("amtool", "template", "render", f"--template.glob={directory}/*.tmpl", f"--template.data={path}",
                       f"--template.type={kind}", f'--template.text={{{{ template "{name}" . }}}}')
    assert result.ok, result.output
    return result.output


CHECKOUT = group(
    "payments-p0",
    {"alertname": "CheckoutErrors", "team": "payments", "service": "checkout", "priority": "P0", "severity": "critical"},
    {"summary": "checkout fails for 7% of requests", "description": "Error rate 7% over 5m."},
)


def test_slack_shows_priority_service_owner_impact_and_where_to_look(templates):
    text = run(templates[0], "alerting.slack.text", CHECKOUT)
    assert "*Priority:* P0 · *Service:* checkout · *Owner:* Payments" in text
    assert "*Impact:* tier critical, revenue-affecting, user-facing, 120,000 users affected, 35,000 revenue per hour at risk" in text
    assert "<https://runbooks.example.com/services/checkout|Runbook>" in text
    assert "<https://grafana.example.com/d/checkout-overview|Dashboard>" in text
    assert "<https://karma.alerting.example.com/?q=alertname%3DCheckoutErrors&q=service%3Dcheckout|Karma>" in text
    assert "- Error rate 7% over 5m." in text


def test_the_title_counts_firing_alerts_and_leads_with_the_priority(templates):
    assert run(templates[0], "alerting.title", CHECKOUT) == "[FIRING:1] P0 checkout: checkout fails for 7% of requests"


def test_annotations_on_the_alert_win_over_the_catalog(templates):
    data = group("payments-p1", {"alertname": "X", "team": "payments", "service": "checkout"},
                 {"runbook_url": "https://wiki.example.com/special"})
    assert run(templates[0], "alerting.runbook", data) == "https://wiki.example.com/special"


def test_alerts_from_outside_the_catalog_still_get_an_owner_line_and_a_link(templates):
    data = group("catch-all", {"alertname": "KubeNodeNotReady", "severity": "warning"})
    text = run(templates[0], "alerting.email.text", data)
    assert "Priority:  unclassified" in text
    assert "Service:   (no service label)" in text
    assert "Owner:     no owner: the platform team triages it" in text
    assert "Impact:    unknown: the service is not in the catalog" in text
    assert "Runbook:   https://runbooks.example.com/cluster" in text
    assert "Sent by catch-all · Alertmanager prod" in text
    stranger = group("catch-all", {"alertname": "Y", "team": "marketing"})
    assert run(templates[0], "alerting.owner", stranger) == "marketing (not in the catalog)"


def test_the_html_mail_links_runbook_dashboard_and_karma(templates):
    html = run(templates[0], "alerting.email.html", CHECKOUT, kind="html")
    assert '<a href="https://runbooks.example.com/services/checkout">Runbook</a>' in html
    assert 'href="https://karma.alerting.example.com/?q=alertname%3DCheckoutErrors&q=service%3Dcheckout"' in html


def test_jira_tickets_carry_the_same_facts(templates):
    text = run(templates[0], "alerting.jira.description", CHECKOUT)
    assert "*Owner:* Payments" in text and "[Runbook|https://runbooks.example.com/services/checkout]" in text
    assert run(templates[0], "alerting.jira.summary", CHECKOUT) == "P0 checkout: checkout fails for 7% of requests"


def test_every_template_the_config_uses_is_defined(templates):
    directory, config = templates
    used = set(re.findall(r'template "([a-z.]+)"', dump(config)))
    assert {"alerting.title", "alerting.slack.text", "alerting.pagerduty.description", "alerting.email.html"} <= used
    for name in sorted(used):
        run(directory, name, CHECKOUT, kind="html" if name.endswith(".html") else "text")


def test_catalog_text_is_printed_literally_even_with_template_delimiters(tmp_path, small_catalog_doc):
    small_catalog_doc["teams"][0]["display_name"] = "Infra {{ .Receiver }}"
    artifacts = build.stack_artifacts("dev", write_yaml(tmp_path / "c.yaml", small_catalog_doc))
    for name, text in artifacts.alertmanager_templates.items():
        (tmp_path / name).write_text(text)
    data = group("infra-p1", {"alertname": "X", "team": "infra"})
    assert run(tmp_path, "alerting.owner", data) == "Infra {{ .Receiver }}"
    assert set(artifacts.alertmanager_templates) == {LAYOUT_FILE, CATALOG_FILE}
