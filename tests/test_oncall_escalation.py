"""Grafana OnCall escalation from the catalog: rotations, chains and integrations, and their URLs as receiver secrets."""

from __future__ import annotations

import pytest
import yaml

import catalog
from cli import recorder
from model.errors import InputError
from model.loading import load_catalog
from render.systems.incidents import incident_plans
from render.systems.oncall import Step, escalation_plans
from tests.conftest import PROJECT_DIR, write_yaml

ONCALL = "grafana:onCall"


@pytest.fixture(scope="module")
def plans():
    return {p.team: p for p in escalation_plans(catalog.load("example"))}


def test_every_team_with_a_rotation_gets_a_plan_and_others_none(plans):
    org = catalog.load("example")
    assert set(plans) == {t.name for t in org.teams if t.oncall}
    assert "data" not in plans


def test_the_escalation_policy_becomes_steps_in_order(plans):
    storefront = plans["storefront"]
    assert storefront.steps == (
        Step("notify_on_call_from_schedule", schedule="storefront-primary", important=True),
        Step("wait", duration_seconds=900),
        Step("notify_persons", people=("hana@example.com", "ivan@example.com"), important=True),
    )


def test_a_secondary_step_rotates_one_person_ahead_of_the_primary(plans):
    primary, secondary = plans["platform"].shifts
    assert (primary.offset, secondary.offset) == (0, 1)
    assert primary.people == secondary.people
    assert plans["platform"].steps[2] == Step("notify_on_call_from_schedule", schedule="platform-secondary", important=True)


def test_repeats_unroll_the_chain_with_a_pause_between_rounds(plans):
    security = plans["security"]  # 3 steps with 2 waits, repeat 3, last step after 15m
    one_round = 5
    assert len(security.steps) == one_round + 3 * (1 + one_round)
    assert security.steps[one_round] == Step("wait", duration_seconds=900)
    assert security.steps[one_round + 1 : 2 * one_round + 1] == security.steps[:one_round]


def test_shifts_follow_the_teams_time_zone_and_length(plans):
    (shift,) = plans["storefront"].shifts
    assert (shift.time_zone, shift.start) == ("Europe/London", "2026-01-05T09:00:00")
    assert (shift.frequency, shift.interval, shift.duration_seconds) == ("daily", 7, 7 * 86400)


def test_teams_with_their_own_integration_need_no_platform_integration_secret(small_catalog_doc, tmp_path):
    small_catalog_doc["teams"][0]["oncall"]["integration_url"] = {"secret": "infra-oncall"}
    org = load_catalog(write_yaml(tmp_path / "c.yaml", small_catalog_doc))
    (plan,) = escalation_plans(org)
    assert plan.integration_secret is None


BAD = {
    "A manager step needs a manager.": (
        lambda t: t["escalation"]["steps"].append({"after": "10m", "notify": "manager"}),
        "teams[0].oncall.manager: required: escalation.steps[2] notifies the manager",
    ),
    "A secondary step needs two people in the rotation.": (
        lambda t: (t["oncall"].update(rotation=["solo@small.example"]), t["escalation"]["steps"].append({"after": "5m", "notify": "secondary-oncall"})),
        "teams[0].oncall.rotation: needs two people: escalation.steps[2] notifies the secondary on-call",
    ),
    "OnCall cannot wait less than a minute.": (
        lambda t: t["escalation"]["steps"][1].update(after="30s"),
        "teams[0].escalation.steps[1].after: must be 0s or between 1m and 24h for Grafana OnCall",
    ),
    "A shift must be whole hours.": (
        lambda t: t["oncall"].update(shift_length="90m"),
        "teams[0].oncall: shift_length must be whole hours, from 1h to 28d",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_escalation_a_rotation_cannot_carry_out_is_refused(case, small_catalog_doc, tmp_path):
    mutate, expected = BAD[case]
    mutate(small_catalog_doc["teams"][0])
    path = write_yaml(tmp_path / "c.yaml", small_catalog_doc)
    with pytest.raises(InputError) as exc:
        load_catalog(path)
    assert f"{path}: {expected}" in str(exc.value).splitlines()


@pytest.fixture(scope="module")
def prod():
    return recorder.run("prod")


def test_prod_manages_escalation_in_oncall_through_its_api(prod, plans):
    steps = prod.of_type(f"{ONCALL}/escalation:Escalation")
    incident_steps = sum(len(p.steps) for p in incident_plans(catalog.load("example")))
    assert len(steps) == sum(len(p.steps) for p in plans.values()) + incident_steps
    assert len(prod.of_type(f"{ONCALL}/integration:Integration")) == len(plans)
    assert len(prod.of_type(f"{ONCALL}/schedule:Schedule")) == sum(len(p.shifts) for p in plans.values())
    # The other Grafana provider is Grafana's own API, for teams and folders (components/grafana_access.py).
    (provider,) = [p for p in prod.of_type("pulumi:providers:grafana") if "oncallUrl" in p.inputs]
    assert provider.inputs["oncallUrl"] == "https://oncall.alerting.example.com"
    assert recorder.is_secret(provider.inputs["oncallAccessToken"])


def test_escalation_steps_point_at_the_teams_schedules_and_people(prod):
    step = prod.by_name("alerting-oncall-escalation-platform-step-0").inputs
    assert step["type"] == "notify_on_call_from_schedule" and step["position"] == 0
    assert step["notifyOnCallFromSchedule"] == "alerting-oncall-escalation-platform-platform-primary-schedule-id"
    manager = prod.by_name("alerting-oncall-escalation-platform-step-4").inputs
    assert manager["personsToNotifies"] == ["user-mira@example.com"]


def test_integration_urls_reach_alertmanager_only_as_secret_receiver_files(prod, plans):
    receivers = prod.by_name("alerting-alertmanager-receivers")
    assert recorder.is_secret(receivers.inputs["stringData"])
    data = recorder.reveal(receivers.inputs["stringData"])
    for plan in plans.values():
        assert data[plan.integration_secret].startswith("https://oncall.offline.invalid/integrations/v1/alertmanager/")
    # the platform fills them itself: the stack does not ask the user for them
    assert not set(prod.placeholders) & {plan.integration_secret for plan in plans.values()}
    assert "oncall-api-token" in prod.placeholders


def test_without_managed_escalation_the_integration_urls_are_secrets_the_user_sets(plans):
    oncall = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["alerting-platform:oncall"]
    oncall["escalation"]["manage"] = False
    unmanaged = recorder.run("prod", {"oncall": oncall})
    assert not [r for r in unmanaged.resources if r.type.startswith(ONCALL)]
    assert {plan.integration_secret for plan in plans.values()} <= set(unmanaged.placeholders)
    assert "oncall-api-token" not in unmanaged.placeholders


def test_the_incident_lifecycle_is_declared_in_oncall_from_the_catalog(prod):
    lifecycle = {p.team: p for p in incident_plans(catalog.load("example"))}
    webhooks = prod.of_type(f"{ONCALL}/outgoingWebhook:OutgoingWebhook")
    assert len(webhooks) == sum(len(p.webhooks) for p in lifecycle.values())
    prefix = "alerting-oncall-escalation-payments"
    postmortem = prod.by_name(f"{prefix}-incident-postmortem").inputs
    assert postmortem["triggerType"] == "resolve" and postmortem["url"] == "https://example.atlassian.net/rest/api/2/issue"
    assert postmortem["integrationFilters"] == [f"{prefix}-alertmanager-id"] and postmortem["forwardWholePayload"] is False
    # Templates name earlier webhooks by the ids OnCall gave them.
    assert f'"{prefix}-incident-reopened-id" not in r' in recorder.reveal(postmortem["triggerTemplate"])
    assert "@@" not in recorder.reveal(prod.by_name(f"{prefix}-incident-invite-0").inputs["data"])
    # Credentials only as secrets: the bot token in the Authorization header, the Jira password for basic auth.
    timeline = prod.by_name(f"{prefix}-incident-timeline").inputs
    assert recorder.is_secret(timeline["authorizationHeader"]) and recorder.is_secret(postmortem["password"])
    assert postmortem["user"] == "oncall-bot@example.com"
    route = prod.by_name(f"{prefix}-incident-route").inputs
    assert (route["routingType"], route["position"]) == ("jinja2", 0)
    assert route["escalationChainId"] == f"{prefix}-incident-chain-id"
    first = prod.by_name(f"{prefix}-incident-step-0").inputs
    assert (first["type"], first["actionToTrigger"]) == ("trigger_webhook", f"{prefix}-incident-open-id")
    assert prod.by_name(f"{prefix}-incident-step-3").inputs["type"] == "notify_on_call_from_schedule"
    assert {"slack-bot-token", "jira-postmortems"} <= set(prod.placeholders)
