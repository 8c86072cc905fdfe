"""The rendered routing policy: receivers per priority, credentials only as files, time intervals Alertmanager
accepts, inhibition from the dependency graph, outage rules, Karma. Alertmanager's own verdict is in
test_render_and_check.py (amtool check-config), test_route_*.py and tests/e2e."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from pydantic import ValidationError

from catalog import load
from cli import build, tools
from model.catalog import OneOffWindow, Organisation, Priority
from model.errors import InputError
from model.loading import load_catalog
from render.alertmanager import inhibition, receivers, time_intervals
from render.rules import health as rules
from render.systems.karma import cluster_name
from render.systems.topology import ALERTMANAGER_SECRETS_DIR, alertmanager_replica_urls
from render.yamlio import dump
from stacks.config import parse_settings
from tests.conftest import PROJECT_DIR, SMALL_CATALOG, STACKS, write_yaml

CREDENTIAL_FIELDS = {"api_url", "routing_key", "service_key", "password", "app_token", "url", "smtp_auth_password", "bot_token"}


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], object]:
    return {(stack, name): build.stack_artifacts(stack, catalog) for stack in STACKS
            for name, catalog in (("example", None), ("small", SMALL_CATALOG))}


def integrations(receiver: dict) -> dict[str, list[dict]]:
    return {k: v for k, v in receiver.items() if k.endswith("_configs")}


def by_name(config: dict) -> dict[str, dict]:
    return {r["name"]: r for r in config["receivers"]}


def test_every_team_has_a_receiver_per_priority_and_none_is_empty(rendered):
    for (stack, name), artifacts in rendered.items():
        org = load(str(SMALL_CATALOG) if name == "small" else "example")
        found = by_name(artifacts.alertmanager)
        expected = {receivers.CATCH_ALL} | {receivers.receiver_name(t.name, p) for t in org.teams for p in Priority}
        assert set(found) == expected, (stack, name)
        empty = [n for n, r in found.items() if not integrations(r)]
        assert not empty, f"{stack}/{name}: receivers that would drop alerts: {empty}"


def test_credentials_appear_only_as_files_under_the_mounted_secrets(rendered):
    for key, artifacts in rendered.items():
        def walk(node: object, path: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "api_url" and "jira_configs" in path:
                        continue  # Jira's API root is a public address; its password is a file
                    assert k not in CREDENTIAL_FIELDS, f"{key}: inline credential at {path}.{k}"
                    if k.endswith("_file"):
                        assert v.startswith(ALERTMANAGER_SECRETS_DIR + "/"), f"{key}: {path}.{k} = {v}"
                    walk(v, f"{path}.{k}")
            elif isinstance(node, list):
                for i, item in enumerate(node):
                    walk(item, f"{path}[{i}]")

        walk(artifacts.alertmanager, "")
        assert set(artifacts.secrets) == {v.rsplit("/", 1)[1] for v in _file_values(artifacts.alertmanager)}


def _file_values(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k.endswith("_file")] + [x for v in node.values() for x in _file_values(v)]
    if isinstance(node, list):
        return [x for v in node for x in _file_values(v)]
    return []


def _kinds(receiver: dict) -> set[str]:
    out = set()
    for key, configs in integrations(receiver).items():
        for c in configs:
            if key == "pagerduty_configs":
                out.add(f"pagerduty:{c['severity']}")
            elif key == "slack_configs":
                out.add(f"slack:{c['channel']}")
            elif key == "webhook_configs":
                out.add("webhook:" + c["url_file"].rsplit("/", 1)[1])
            else:
                out.add(key.removesuffix("_configs"))
    return out


BUNDLES = {
    "In prod a P0 pages through PagerDuty and OnCall, texts, and opens the war room.": (
        "prod", "payments-p0", {"pagerduty:critical", "slack:#payments-war-room", "webhook:oncall-payments", "webhook:payments-sms-gateway"}),
    "In prod a P1 is PagerDuty at high urgency, the team channel and mail; a team that runs incidents at P1 also reaches OnCall, where its war room opens.": (
        "prod", "payments-p1", {"pagerduty:error", "webhook:oncall-payments", "slack:#payments-alerts", "email"}),
    "A P2 is the team channel.": ("prod", "payments-p2", {"slack:#payments-alerts"}),
    "A P3 is a ticket through the team's Jira webhook, and mail.": (
        "prod", "payments-p3", {"webhook:payments-jira-webhook", "email"}),
    "A team with native Jira gets its P3 tickets from Alertmanager's Jira integration.": ("prod", "platform-p3", {"jira", "email"}),
    "A team with neither PagerDuty nor OnCall gets its P1 in its channel and by mail.": (
        "prod", "data-p1", {"slack:#data-alerts", "email"}),
    "In dev nothing pages: a P0 opens the war room only.": ("dev", "payments-p0", {"slack:#payments-war-room"}),
    "In dev a P1 is the team channel and mail.": ("dev", "payments-p1", {"slack:#payments-alerts", "email"}),
    "The catch-all is the platform team's channel and mail.": ("prod", "catch-all", {"slack:#platform-alerts", "email"}),
}


@pytest.mark.parametrize("case", BUNDLES, ids=list(BUNDLES))
def test_each_priority_gets_its_bundle_of_integrations(case, rendered):
    stack, receiver, expected = BUNDLES[case]
    assert _kinds(by_name(rendered[(stack, "example")].alertmanager)[receiver]) == expected


def test_a_team_paged_through_oncall_alone_gets_p0_and_p1_there(rendered):
    found = by_name(rendered[("prod", "small")].alertmanager)
    assert _kinds(found["infra-p0"]) == {"slack:#infra-incidents", "webhook:oncall-infra"}
    assert _kinds(found["infra-p1"]) == {"webhook:oncall-infra", "slack:#infra", "email"}


def test_generic_webhooks_get_every_priority_and_a_team_without_tickets_or_mail_gets_its_channel(rendered):
    found = by_name(rendered[("prod", "small")].alertmanager)
    for priority in ("p0", "p1", "p2", "p3"):
        assert "webhook:apps-ticket-hook" in _kinds(found[f"apps-{priority}"])
    assert _kinds(found["apps-p3"]) == {"webhook:apps-ticket-hook", "slack:#apps"}


def test_slack_channels_with_a_webhook_use_it_and_the_others_use_the_app(rendered):
    found = by_name(rendered[("prod", "example")].alertmanager)
    (war_room,) = found["payments-p0"]["slack_configs"]
    assert war_room["api_url_file"].endswith("/payments-war-room-webhook") and "app_token_file" not in war_room
    (alerts,) = found["payments-p2"]["slack_configs"]
    assert alerts["app_token_file"].endswith("/slack-bot-token") and "api_url_file" not in alerts
    # A global app token would also take over the channels that have webhooks (Alertmanager 0.33 config.go).
    assert not any(k.startswith("slack_") for k in rendered[("prod", "example")].alertmanager["global"])


def test_smtp_settings_reach_the_global_section_with_the_password_as_a_file(rendered):
    glob = rendered[("prod", "example")].alertmanager["global"]
    assert glob["smtp_smarthost"] == "smtp.example.com:587" and glob["smtp_require_tls"] is True
    assert glob["smtp_auth_password_file"] == f"{ALERTMANAGER_SECRETS_DIR}/smtp-password"


WEEKDAYS = {
    "Monday to Friday stays as it is.": (["monday:friday"], ["monday:friday"]),
    "A whole week starting Monday runs past Saturday and is split.": (["monday:sunday"], ["sunday:saturday"]),
    "A weekend range is split at Saturday.": (["saturday:sunday"], ["sunday", "saturday"]),
    "A range wrapping the weekend is split.": (["friday:monday"], ["sunday:monday", "friday:saturday"]),
    "Overlapping ranges merge.": (["monday:wednesday", "tuesday:thursday", "saturday"], ["monday:thursday", "saturday"]),
}


@pytest.mark.parametrize("case", WEEKDAYS, ids=list(WEEKDAYS))
def test_weekday_ranges_are_written_the_way_alertmanager_accepts_them(case):
    given, expected = WEEKDAYS[case]
    assert time_intervals.weekday_ranges(given) == expected


ONE_OFF = {
    "Within one day: one spec with times.": (
        "2026-12-12T22:00", "2026-12-12T23:30",
        [{"times": [{"start_time": "22:00", "end_time": "23:30"}], "days_of_month": ["12"], "months": ["december"], "years": ["2026"]}]),
    "Across midnight: the evening and the early morning.": (
        "2026-12-12T22:00", "2026-12-13T02:00",
        [{"times": [{"start_time": "22:00", "end_time": "24:00"}], "days_of_month": ["12"], "months": ["december"], "years": ["2026"]},
         {"times": [{"start_time": "00:00", "end_time": "02:00"}], "days_of_month": ["13"], "months": ["december"], "years": ["2026"]}]),
    "Whole days in between become one day range per month.": (
        "2026-12-30T12:00", "2027-01-03T00:00",
        [{"times": [{"start_time": "12:00", "end_time": "24:00"}], "days_of_month": ["30"], "months": ["december"], "years": ["2026"]},
         {"days_of_month": ["31"], "months": ["december"], "years": ["2026"]},
         {"days_of_month": ["1:2"], "months": ["january"], "years": ["2027"]}]),
}


@pytest.mark.parametrize("case", ONE_OFF, ids=list(ONE_OFF))
def test_one_off_windows_become_day_by_day_specs(case):
    start, end, expected = ONE_OFF[case]
    specs = time_intervals.one_off_specs(datetime.fromisoformat(start), datetime.fromisoformat(end), "Europe/Berlin")
    assert specs == [{**spec, "location": "Europe/Berlin"} for spec in expected]


def test_every_time_interval_shape_passes_amtool(tmp_path):
    intervals = [
        {"name": f"w{i}", "time_intervals": [{"weekdays": time_intervals.weekday_ranges(given)}]}
        for i, (given, _) in enumerate(WEEKDAYS.values())
    ] + [
        {"name": f"o{i}", "time_intervals": time_intervals.one_off_specs(datetime.fromisoformat(a), datetime.fromisoformat(b), "UTC")}
        for i, (a, b, _) in enumerate(ONE_OFF.values())
    ]
    routes = [{"matchers": [f'x="{t["name"]}"'], "receiver": "r", "mute_time_intervals": [t["name"]]} for t in intervals]
    path = tmp_path / "am.yaml"
    path.write_text(dump({"route": {"receiver": "r", "routes": routes}, "receivers": [{"name": "r"}], "time_intervals": intervals}))
    result = tools.run("amtool", "check-config", str(path))
    assert result.ok, result.output


def test_dependencies_silence_the_symptoms_of_everything_downstream():
    closure = inhibition.dependents(load("example"))
    assert closure["postgres"] == sorted(
        ["checkout", "payments-api", "ledger", "identity", "api-gateway", "frontend", "data-pipeline", "reporting", "recommendations"]
    )
    assert closure["search-indexer"] == ["frontend", "search"]
    assert "frontend" not in closure  # nothing depends on it
    rule = next(r for r in inhibition.dependency_rules(load("example")) if r["source_matchers"][0] == 'service="kafka"')
    assert rule["target_matchers"][1] == 'symptom!="false"' and rule["equal"] == ["cluster"]


def test_generated_rules_carry_the_standard_labels_and_annotations():
    org = load("example")
    files = {**rules.service_health_rules(org), **rules.outage_rules(org)}
    for name, doc in files.items():
        for rule in doc["groups"][0]["rules"]:
            assert {"team", "severity", "priority"} <= set(rule["labels"]), (name, rule["alert"])
            assert set(rule["annotations"]) == {"summary", "description", "runbook_url", "dashboard_url"}
    down = next(r for r in files["payments-service-health.yaml"]["groups"][0]["rules"] if r["labels"]["service"] == "checkout")
    assert down["labels"] == {"team": "payments", "service": "checkout", "namespace": "payments", "severity": "critical",
                              "priority": "P0", "symptom": "false"}


def test_outages_are_raised_per_shared_namespace_as_urgently_as_the_worst_service_inside():
    org = load("example")
    (doc,) = rules.outage_rules(org).values()
    by_namespace = {r["labels"].get("namespace"): r for r in doc["groups"][0]["rules"]}
    # payments runs checkout (P0 when critical), payments-api and ledger; storefront's namespace four services.
    assert by_namespace["payments"]["labels"] == {"team": "payments", "namespace": "payments", "scope": "namespace",
                                                   "severity": "critical", "priority": "P0"}
    assert by_namespace["storefront"]["labels"]["priority"] == "P1"
    assert "edge" not in by_namespace  # one service: its ServiceDown already says it
    cluster = by_namespace[None]
    assert cluster["labels"]["scope"] == "cluster" and cluster["labels"]["team"] == "platform"
    assert cluster["annotations"]["runbook_url"] == "https://runbooks.example.com/cluster"


@pytest.mark.parametrize("stack", STACKS)
def test_karma_lists_every_replica_under_one_cluster_per_environment(stack, rendered):
    settings = parse_settings(yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"], stack)
    servers = rendered[(stack, "example")].karma["alertmanager"]["servers"]
    assert [s["uri"] for s in servers] == alertmanager_replica_urls(settings)
    assert len(servers) == settings.alertmanager.replicas == (1 if stack == "dev" else 3)
    assert {s["cluster"] for s in servers} == {cluster_name(settings)} == {f"alertmanager-{stack}"}
    assert len({s["name"] for s in servers}) == len(servers)


def test_duplicate_maintenance_window_names_are_refused(tmp_path, small_catalog_doc):
    window = {"name": "patching", "weekly": {"weekdays": ["sunday"], "start": "03:00", "end": "04:00"}}
    small_catalog_doc["teams"][0]["maintenance"] = [window, window]
    with pytest.raises(InputError, match=r"teams\[0\]\.maintenance\[1\]\.name: duplicate maintenance window name 'patching'"):
        load_catalog(write_yaml(tmp_path / "c.yaml", small_catalog_doc))


def test_one_off_windows_must_be_whole_minutes():
    with pytest.raises(ValidationError, match="whole minutes"):
        OneOffWindow(start=datetime(2026, 12, 1, 22, 0, 30), end=datetime(2026, 12, 1, 23, 0))


def test_the_catalog_keeps_its_organisation_fields_optional():
    doc = yaml.safe_load(SMALL_CATALOG.read_text())
    assert Organisation.model_validate(doc).runbook_url is None
