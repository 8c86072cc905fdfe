"""Notification templates, executed by amtool (the same Go template engine Alertmanager runs) on alert data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cli import build, tools
from render.rules import enrichment
from render.alertmanager.notification_templates import CATALOG_FILE, LAYOUT_FILE
from render.yamlio import dump, load
from stacks import from_values
from tests.conftest import stack_values, write_yaml


def group(receiver: str, labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    """Template data of one firing alert group, as Alertmanager builds it."""
    alert = {"status": "firing", "labels": labels, "annotations": annotations or {}, "startsAt": "2026-12-07T10:00:00Z",
             "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "0"}
    return {"receiver": receiver, "status": "firing", "alerts": [alert], "groupLabels": {"alertname": labels.get("alertname", "")},
            "commonLabels": labels, "commonAnnotations": annotations or {}, "externalURL": "http://alertmanager"}


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> tuple[Path, dict, dict]:
    artifacts = build.stack_artifacts("prod")
    directory = tmp_path_factory.mktemp("templates")
    for name, text in artifacts.alertmanager_templates.items():
        (directory / name).write_text(text)
    return directory, artifacts.alertmanager, artifacts.rule_files


def run(directory: Path, name: str, data: dict, kind: str = "text", text: str | None = None) -> str:
    """The named template (or a config field's own `text`) executed by amtool on the notification data."""
    path = directory / f"data-{abs(hash(json.dumps(data, sort_keys=True)))}.json"
    path.write_text(json.dumps(data))
    text = text if text is not None else f'{{{{ template "{name}" . }}}}'
    result = tools.run("amtool", "template", "render", f"--template.glob={directory}/*.tmpl", f"--template.data={path}",
                       f"--template.type={kind}", f"--template.text={text}")
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
    assert "Priority:   unclassified" in text
    assert "Service:    (no service label)" in text
    assert "Owner:      no owner: the platform team triages it" in text
    assert "Impact:     unknown: the service is not in the catalog" in text
    assert "Depends on: unknown" in text
    assert "Runbook:    https://runbooks.example.com/cluster" in text
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


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_template_the_config_uses_is_defined(templates):
    directory, config, _ = templates
    # Read from the config as Alertmanager parses it, whatever quoting style the file was written in.
    text = "\n".join(_strings(load(dump(config))))
    used = set(re.findall(r'template "([a-z.]+)"', text))
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


# --- Enrichment: what every notification carries beside the alert ------------------------------------------------


def rendered_alert(rule_files: dict, file: str, alertname: str, **match: str) -> tuple[dict, dict]:
    """Labels (with the alert name) and annotations of a rule the platform renders, as the alert will carry them."""
    rule = next(r for g in rule_files[file]["groups"] for r in g["rules"]
                if r.get("alert") == alertname and all(r["labels"].get(k) == v for k, v in match.items()))
    return {"alertname": alertname, **rule["labels"]}, rule["annotations"]


@pytest.fixture(scope="module")
def checkout_burn(templates) -> dict:
    """The checkout SLO's page, enriched as the platform renders it, to the payments team's P0 receiver."""
    labels, annotations = rendered_alert(templates[2], "slo-checkout-success.yaml", "ErrorBudgetBurn", sloth_severity="page")
    return group("payments-p0", labels, annotations)


# By hand from the example catalog: checkout (critical tier, revenue-affecting, user-facing, 120,000 users, 35,000 an
# hour) depends on api-gateway, payments-api and postgres, and nothing depends on it. Its 99.5% 7-day SLO pages from
# 1.4x the sustainable burn (docs/slo.md, the workbook's 7d row: 3.36x and 1.4x): 1.4 x 0.5% = 0.7% of checkouts
# failing, 0.007 x 120,000 = 840 users and 0.007 x 35,000 = 245 an hour.
CHECKOUT_FACTS = {
    "Why": "P0: critical alert on a critical-tier service that is revenue-affecting",
    "Impact": "tier critical, revenue-affecting, user-facing, 120,000 users affected, 35,000 revenue per hour at risk, major impact",
    "Depends on": "api-gateway, payments-api, postgres",
    "Dependants": "none",
}
CHECKOUT_COST = ("Fires from 1.4x the sustainable burn of the 99.5% SLO: at least 0.70% of its events failing, "
                 "about 840 of 120,000 users and about 245 of 35,000 revenue per hour affected.")


def _prod_settings():
    return from_values("prod", stack_values("prod")).settings


def _check_history_link(url: str, alertname: str, service: str | None) -> None:
    """Grafana Explore (URL schema 1) over VictoriaMetrics on the alert's own firings of the last 30 days."""
    from components.grafana import GrafanaArgs, datasources

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "grafana.alerting.example.com", "/explore")
    query = parse_qs(parts.query)
    assert query["schemaVersion"] == ["1"] and query["orgId"] == ["1"]
    (pane,) = json.loads(query["panes"][0]).values()
    provisioned = datasources(GrafanaArgs("monitoring", "", "", "", {}))["datasources.yaml"]["datasources"]
    assert pane["datasource"] == next(d["uid"] for d in provisioned if d["name"] == "VictoriaMetrics")
    assert pane["range"] == {"from": "now-30d", "to": "now"}
    expr = f'ALERTS{{alertname="{alertname}", alertstate="firing"' + (f', service="{service}"' if service else "") + "}"
    assert [q["expr"] for q in pane["queries"]] == [expr]


def _check_incidents_link(url: str, search: str) -> None:
    """Grafana OnCall's alert groups page, searching titles for the alert name and service, resolved in 90 days."""
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("grafana.alerting.example.com", "/a/grafana-oncall-app/alert-groups")
    assert parse_qs(parts.query) == {"search": [search], "status": ["2"], "started_at": ["now-90d_now"]}


def test_slack_carries_dependencies_business_impact_cost_history_and_past_incidents(templates, checkout_burn):
    text = run(templates[0], "alerting.slack.text", checkout_burn)
    facts = dict(re.findall(r"\*([A-Za-z ]+):\* ([^·\n]+?)(?= ·|\n|$)", text))
    assert {k: facts[k] for k in CHECKOUT_FACTS} == CHECKOUT_FACTS
    assert f"  Cost: {CHECKOUT_COST}" in text.splitlines()
    links = {label: href for href, label in re.findall(r"<([^|>]+)\|([A-Za-z ]+)>", text)}
    _check_history_link(links["History"], "ErrorBudgetBurn", "checkout")
    _check_incidents_link(links["Past incidents"], "ErrorBudgetBurn checkout")


def test_email_carries_the_same_context_in_text_and_html(templates, checkout_burn):
    text = run(templates[0], "alerting.email.text", checkout_burn)
    for key, value in CHECKOUT_FACTS.items():
        assert f"{key + ':':<12}{value}" in text.splitlines()
    history = next(line.split(None, 1)[1] for line in text.splitlines() if line.startswith("History:"))
    _check_history_link(history, "ErrorBudgetBurn", "checkout")
    html = run(templates[0], "alerting.email.html", checkout_burn, kind="html")
    assert '<tr><th align="left">Depends on</th><td>api-gateway, payments-api, postgres</td></tr>' in html
    assert f"<br>Cost: {CHECKOUT_COST}</li>" in html
    assert ">History</a>" in html and ">Past incidents</a>" in html


def test_pagerduty_details_and_links_carry_the_context(templates, checkout_burn):
    directory, config, _ = templates
    receiver = next(r for r in config["receivers"] if r["name"] == "payments-p0")
    (pd,) = receiver["pagerduty_configs"]
    details = {k: run(directory, "", checkout_burn, text=v) for k, v in pd["details"].items()}
    assert details["priority_reason"] == CHECKOUT_FACTS["Why"]
    assert (details["depends_on"], details["dependants"]) == ("api-gateway, payments-api, postgres", "none")
    assert details["impact"] == CHECKOUT_FACTS["Impact"]
    assert f"Cost: {CHECKOUT_COST}" in details["alerts"]
    _check_history_link(details["history"], "ErrorBudgetBurn", "checkout")
    _check_incidents_link(details["incidents"], "ErrorBudgetBurn checkout")
    links = {run(directory, "", checkout_burn, text=link["text"]): run(directory, "", checkout_burn, text=link["href"]) for link in pd["links"]}
    assert links["History"] == details["history"] and links["Past incidents"] == details["incidents"]


def test_jira_tickets_carry_the_context(templates):
    labels, annotations = rendered_alert(templates[2], "budget-checkout-api.yaml", "PerformanceBudgetBreach", signal="memory")
    text = run(templates[0], "alerting.jira.description", group("payments-p3", labels, annotations))
    assert "*Depends on:* api-gateway, payments-api, postgres" in text.splitlines()
    assert "*Priority:* P2 (P2: warning alert on a critical-tier service: warnings never page)" in text.splitlines()
    history = re.search(r"\[History\|([^\]]+)\]", text).group(1)
    _check_history_link(history, "PerformanceBudgetBreach", "checkout")


def test_a_shared_services_alert_names_every_direct_dependant(templates):
    # postgres is named in depends_on by checkout, payments-api, ledger (payments), identity (security) and the
    # data pipeline (data); the services behind those (api-gateway, frontend, reporting) only indirectly.
    labels, annotations = rendered_alert(templates[2], "slo-postgres-availability.yaml", "ErrorBudgetBurn", sloth_severity="page")
    data = group("platform-p0", labels, annotations)
    assert run(templates[0], "alerting.dependants", data) == "checkout, data-pipeline, identity, ledger, payments-api"
    assert run(templates[0], "alerting.depends_on", data) == "none"


def test_an_alert_without_the_annotations_gets_the_same_context_from_its_service(templates):
    """A hand-written rule for checkout: the templates look the facts up and build the links themselves, the same
    links the platform writes into its own alerts."""
    labels = {"alertname": "CheckoutQueueBacklog", "team": "payments", "service": "checkout", "severity": "critical"}
    data = group("payments-p0", labels, {"summary": "backlog"})
    text = run(templates[0], "alerting.email.text", data)
    for key in ("Impact", "Depends on", "Dependants"):
        assert f"{key + ':':<12}{CHECKOUT_FACTS[key]}" in text.splitlines()
    settings = _prod_settings()
    assert run(templates[0], "alerting.history", data) == enrichment.history_url(settings, labels)
    assert run(templates[0], "alerting.incidents", data) == enrichment.incidents_url(settings, labels)
    _check_history_link(run(templates[0], "alerting.history", data), "CheckoutQueueBacklog", "checkout")
    nameless = group("catch-all", {"alertname": "KubeNodeNotReady", "severity": "warning"})
    _check_history_link(run(templates[0], "alerting.history", nameless), "KubeNodeNotReady", None)
    _check_incidents_link(run(templates[0], "alerting.incidents", nameless), "KubeNodeNotReady")
    assert run(templates[0], "alerting.history", nameless) == enrichment.history_url(settings, {"alertname": "KubeNodeNotReady"})
