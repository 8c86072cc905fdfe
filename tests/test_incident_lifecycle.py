"""The incident lifecycle end to end: the shipped webhook templates rendered by Jinja2 with OnCall v1.16.5's context
(tests/oncall_webhooks.py, after engine/apps/webhooks/utils.py and tasks/trigger_webhook.py), their requests sent
over real HTTP to stand-ins for Slack's Web API and Jira's REST API (tests/api_standins.py) that check each call.

Recorded sequences: a P0 (payments' checkout down, New York), a P1 (storefront's frontend, London) and a P2
(storefront's search indexer). Expected texts, names, dates and people are written out by hand from the catalog
and a calendar, not computed by the code under test.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

import catalog
from render.systems.incidents import SLACK_API, incident_plans
from render.systems.oncall import chain_steps
from render.rules.health import service_health_rules
from tests.api_standins import JiraStandIn, SlackStandIn
from tests.conftest import DATA
from tests.oncall_webhooks import AlertGroup, OnCall, User

ORG = catalog.load("example")
PLANS = {p.team: p for p in incident_plans(ORG)}
TOKEN = "xoxb-test-token"
JIRA_PASSWORD = "jira-test-token"
JIRA_SITE = "https://example.atlassian.net"
# A git copy of https://github.com/grafana/oncall, where one is at hand: the recorded context is checked against it.
ONCALL_SOURCE = Path(os.environ.get("ONCALL_SOURCE", "/work/.mirror/grafana+oncall/repo"))
CONTEXT = yaml.safe_load((DATA / "oncall" / "webhook-context-v1.16.5.yaml").read_text())

# The example org's people: Slack member IDs and Jira accounts as catalog/example/__init__.py lists them.
SLACK = {"ana": "U000ANA", "ben": "U001BEN", "chen": "U002CHEN", "mira": "U003MIRA", "dara": "U004DARA", "eli": "U005ELI",
         "fatima": "U006FATIMA", "gus": "U007GUS", "nina": "U008NINA", "hana": "U009HANA", "ivan": "U010IVAN"}
JIRA_ACCOUNT = {"dara": "5b10ac8d82e05b22cc7d4e04", "eli": "5b10ac8d82e05b22cc7d4e05", "hana": "5b10ac8d82e05b22cc7d4e09"}
USERS = {p.email: User(id="U" + p.email.split("@")[0].upper().ljust(12, "X"), username=p.email.split("@")[0], email=p.email)
         for p in ORG.people}


def alertmanager_payload(team: str, service: str, alertname: str = "ServiceDown") -> dict:
    """Alertmanager's webhook payload (version 4) for the shipped rule `alertname` of `service`, as OnCall stores it."""
    rule = next(r for g in service_health_rules(ORG)[f"{team}-service-health.yaml"]["groups"] for r in g["rules"]
                if r["alert"] == alertname and r["labels"]["service"] == service)
    labels = {"alertname": alertname, **rule["labels"], "cluster": "prod-eu-1"}
    group = {k: labels[k] for k in ("alertname", "team", "service", "cluster", "priority")}
    return {
        "receiver": f"{team}-{labels['priority'].lower()}", "status": "firing", "version": "4",
        "groupKey": "{}/{team=\"%s\"}:{alertname=\"%s\", service=\"%s\"}" % (team, alertname, service),
        "truncatedAlerts": 0, "groupLabels": group, "commonLabels": labels, "commonAnnotations": rule["annotations"],
        "externalURL": "https://alertmanager.example.com",
        "alerts": [{"status": "firing", "labels": labels, "annotations": rule["annotations"], "startsAt": "2026-03-06T21:45:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "https://vmalert.example.com", "fingerprint": "3f1c0de2a9b7e651"}],
        "numFiring": 1, "numResolved": 0,
    }


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class World:
    """The stand-ins and one team's OnCall, wired like production: plans unchanged, hosts resolved to loopback."""

    def __init__(self, team: str) -> None:
        self.clock: list[OnCall] = []
        self.slack = SlackStandIn(
            TOKEN, members=[p.slack for p in ORG.people],
            channels=[t.slack.alerts.channel.lstrip("#") for t in ORG.teams], now=lambda: self.oncall.now.timestamp(),
        )
        self.jira = JiraStandIn("oncall-bot@example.com", JIRA_PASSWORD, projects={"PM": ["Post-mortem", "Task"]},
                                accounts=[p.jira for p in ORG.people if p.jira])
        team_ = ORG.team(team)
        primary, secondary = (f"{team}-primary", f"{team}-secondary")
        self.oncall = OnCall(
            PLANS[team], default_steps=tuple(chain_steps(team_)), secrets={"slack": TOKEN, "jira": JIRA_PASSWORD},
            on_call={primary: team_.oncall.rotation[0], secondary: team_.oncall.rotation[1 % len(team_.oncall.rotation)]},
            users=USERS, resolve={SLACK_API: self.slack.url + "/api", JIRA_SITE: self.jira.url},
        )

    def close(self) -> None:
        self.slack.close()
        self.jira.close()

    def calls(self) -> list[tuple]:
        """Every Slack call as (method, what it was about, answer)."""
        out = []
        for c in self.slack.calls:
            about = c.args.get("name") or c.args.get("users") or c.args.get("topic") or (c.args.get("text") or "").split(" ")[0]
            out.append((c.method, about, "ok" if c.ok else c.error))
        return out


@pytest.fixture
def world(request):
    worlds: list[World] = []

    def make(team: str) -> World:
        worlds.append(World(team))
        return worlds[-1]

    yield make
    for w in worlds:
        w.close()


T0 = at("2026-03-06T21:50:00")  # Friday 16:50 in New York
P0_ID = "IPZ3K8QW1ME5A"
P0_ROOM = "inc-20260306-payments-ipz3k8qw1me5a"
P0_INVITED = "U004DARA,U005ELI,U006FATIMA,U007GUS,U008NINA,U000ANA,U001BEN,U002CHEN,U003MIRA"


def p0_sequence(w: World) -> OnCall:
    """checkout down (P0): paged, escalated, acknowledged, handed over, silenced, resolved."""
    oc = w.oncall
    oc.open(AlertGroup(P0_ID, alertmanager_payload("payments", "checkout"), {"id": "CALERTMANAGER1", "type": "alertmanager",
                       "name": "payments (Alertmanager)", "team": None}, started_at=T0))
    oc.acknowledge("eli@example.com", T0 + timedelta(minutes=7))
    oc.unacknowledge("eli@example.com", T0 + timedelta(minutes=20))
    oc.acknowledge("dara@example.com", T0 + timedelta(minutes=21))
    oc.silence("dara@example.com", T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=90))
    oc.unsilence("dara@example.com", T0 + timedelta(minutes=60))
    oc.acknowledge("dara@example.com", T0 + timedelta(minutes=62))
    oc.resolve("dara@example.com", at("2026-03-07T02:30:00"))  # Friday 21:30 in New York
    return oc


def test_a_p0_opens_one_room_names_its_commander_keeps_a_timeline_and_files_one_post_mortem(world):
    w = world("payments")
    oc = p0_sequence(w)

    assert w.calls() == [
        ("conversations.create", P0_ROOM, "ok"),
        ("chat.postMessage", ":rotating_light:", "ok"),               # the brief
        ("conversations.invite", P0_INVITED, "ok"),
        ("chat.postMessage", ":arrow_up:", "ok"),                     # 5 minutes later: the secondary
        ("chat.postMessage", ":raising_hand:", "ok"),                 # eli acknowledges
        ("conversations.setTopic", "P0 ServiceDown on checkout | commander: eli (since 16:57 EST)", "ok"),
        ("chat.postMessage", ":warning:", "ok"),                      # eli hands back
        ("conversations.setTopic", "P0 ServiceDown on checkout | commander: none (since 17:10 EST)", "ok"),
        ("conversations.create", P0_ROOM, "name_taken"),              # the chain restarts: no second room
        ("conversations.invite", P0_INVITED, "already_in_channel"),
        ("chat.postMessage", ":raising_hand:", "ok"),                 # dara takes over
        ("conversations.setTopic", "P0 ServiceDown on checkout | commander: dara (since 17:11 EST)", "ok"),
        ("chat.postMessage", ":zzz:", "ok"),
        ("chat.postMessage", ":bell:", "ok"),
        ("conversations.create", P0_ROOM, "name_taken"),
        ("conversations.invite", P0_INVITED, "already_in_channel"),
        ("chat.postMessage", ":raising_hand:", "ok"),
        ("conversations.setTopic", "P0 ServiceDown on checkout | commander: dara (since 17:52 EST)", "ok"),
        ("chat.postMessage", ":white_check_mark:", "ok"),             # the room's resolution line
        ("chat.postMessage", ":white_check_mark:", "ok"),             # the team's alert channel
    ]
    (room,) = w.slack.rooms()
    assert room.name == P0_ROOM
    assert room.members == ["UBOTUSER", *P0_INVITED.split(",")]
    assert room.topic == "P0 ServiceDown on checkout | commander: dara (since 17:52 EST)"
    brief, *timeline = [m["text"] for m in room.messages]
    for fact in (
        ":rotating_light: *P0 incident: ServiceDown* — checkout: no scrape target is up\n",
        "Every scrape target of checkout in namespace payments has been down for 5 minutes.",
        "*Service:* checkout (critical tier) · *Business impact:* revenue-affecting, user-facing, 120,000 users affected, "
        "35,000 revenue per hour at risk\n",
        "*Depends on:* api-gateway (platform), payments-api (payments), postgres (platform)\n",
        "*Runbook:* https://runbooks.example.com/services/checkout",
        "*Dashboard:* https://grafana.example.com/d/checkout-overview",
        "*Team:* Payments · *OnCall:* https://grafana.example.com/a/grafana-oncall-app/alert-groups/IPZ3K8QW1ME5A\n",
        "Paging the primary on-call (payments-primary) now",
    ):
        assert fact in brief
    assert timeline == [
        ":arrow_up: 16:55 EST — no acknowledgement yet: step 2 of 4 notifies the secondary on-call (payments-secondary)",
        ":raising_hand: 16:57 EST — acknowledged by <@U005ELI>: <@U005ELI> is the incident commander",
        ":warning: 17:10 EST — <@U005ELI> unacknowledged: no incident commander, escalation resumes",
        ":raising_hand: 17:11 EST — acknowledged by <@U004DARA>: <@U004DARA> is the incident commander",
        ":zzz: 17:20 EST — silenced by <@U004DARA> until 2026-03-06 18:20 EST",
        ":bell: 17:50 EST — the silence ended",
        ":raising_hand: 17:52 EST — acknowledged by <@U004DARA>: <@U004DARA> is the incident commander",
        ":white_check_mark: 21:30 EST — resolved by <@U004DARA> after 4h 40m; incident commander: <@U004DARA>",
    ]
    (notice,) = w.slack.find("payments-alerts").messages
    assert notice["text"] == (
        ":white_check_mark: *P0 incident resolved* after 4h 40m: ServiceDown on checkout — checkout: no scrape target is up\n"
        f"War room: #{P0_ROOM} · incident commander: <@U004DARA> · post-mortem in PM, due 2026-03-10 · "
        "OnCall: https://grafana.example.com/a/grafana-oncall-app/alert-groups/IPZ3K8QW1ME5A"
    )
    (issue,) = w.jira.issues
    assert issue.key == "PM-1"
    fields = issue.fields
    assert {k: fields[k] for k in ("project", "issuetype", "summary", "duedate", "labels", "assignee")} == {
        "project": {"key": "PM"},
        "issuetype": {"name": "Post-mortem"},
        "summary": f"Post-mortem: P0 ServiceDown on checkout ({P0_ROOM})",
        # Resolved Friday 2026-03-06 21:30 in New York; two business days: Monday 9, Tuesday 10.
        "duedate": "2026-03-10",
        "labels": ["post-mortem", "incident-ipz3k8qw1me5a", "team-payments", "p0"],
        "assignee": {"accountId": JIRA_ACCOUNT["dara"]},
    }
    assert "Alert group: https://grafana.example.com/a/grafana-oncall-app/alert-groups/IPZ3K8QW1ME5A" in fields["description"]
    assert "Opened 2026-03-06 16:50 EST, resolved 2026-03-06 21:30 EST, after 4h 40m." in fields["description"]
    # Pages went to the on-call the chain names, and stopped with each acknowledgement.
    assert [(t - T0, who) for t, who in oc.pages] == [
        (timedelta(seconds=16), "dara@example.com"), (timedelta(seconds=326), "eli@example.com"),
        (timedelta(minutes=20, seconds=25), "dara@example.com"), (timedelta(minutes=60, seconds=25), "dara@example.com"),
    ]


def test_a_p1_invites_the_team_but_not_the_platform_and_is_due_in_five_business_days(world):
    w = world("storefront")
    oc = w.oncall
    start = at("2026-03-13T17:00:00")  # Friday 17:00 in London
    oc.open(AlertGroup("IK7M2XW9QPL4D", alertmanager_payload("storefront", "frontend"),
                       {"id": "CALERTMANAGER2", "type": "alertmanager", "name": "storefront (Alertmanager)", "team": None}, started_at=start))
    oc.acknowledge("hana@example.com", start + timedelta(minutes=4))
    oc.resolve(None, start + timedelta(hours=1))  # Alertmanager: the alert stopped firing

    room_name = "inc-20260313-storefront-ik7m2xw9qpl4d"
    assert w.calls() == [
        ("conversations.create", room_name, "ok"),
        ("chat.postMessage", ":rotating_light:", "ok"),
        ("conversations.invite", "U009HANA,U010IVAN", "ok"),
        ("chat.postMessage", ":raising_hand:", "ok"),
        ("conversations.setTopic", "P1 ServiceDown on frontend | commander: hana (since 17:04 GMT)", "ok"),
        ("chat.postMessage", ":white_check_mark:", "ok"),
        ("chat.postMessage", ":white_check_mark:", "ok"),
    ]
    (room,) = w.slack.rooms()
    assert room.members == ["UBOTUSER", "U009HANA", "U010IVAN"]
    assert room.messages[-1]["text"] == (
        ":white_check_mark: 18:00 GMT — resolved by Alertmanager (the alerts stopped firing) after 1h 00m; "
        "incident commander: <@U009HANA>"
    )
    (issue,) = w.jira.issues
    # Resolved Friday 2026-03-13 in London; five business days: Monday 16 .. Friday 20.
    assert issue.fields["duedate"] == "2026-03-20"
    assert issue.fields["assignee"] == {"accountId": JIRA_ACCOUNT["hana"]}
    assert issue.fields["labels"] == ["post-mortem", "incident-ik7m2xw9qpl4d", "team-storefront", "p1"]


def test_a_p2_opens_nothing_and_files_nothing(world):
    w = world("storefront")
    oc = w.oncall
    start = at("2026-03-13T17:00:00")
    payload = alertmanager_payload("storefront", "search-indexer")
    assert payload["commonLabels"]["priority"] == "P2"
    oc.open(AlertGroup("IQ2W3E4R5T6Y7", payload, {"id": "CALERTMANAGER2", "type": "alertmanager",
                       "name": "storefront (Alertmanager)", "team": None}, started_at=start))
    oc.advance(start + timedelta(minutes=30))
    oc.acknowledge("ivan@example.com", start + timedelta(minutes=31))
    oc.resolve("ivan@example.com", start + timedelta(minutes=45))

    assert w.slack.calls == [] and w.jira.calls == []
    # The team's own chain still paged (the route for incidents did not match), and every status webhook declined.
    assert [who for _, who in oc.pages] == ["hana@example.com", "hana@example.com", "ivan@example.com"]
    assert {d.key for d in oc.deliveries} == {"timeline", "topic", "notice", "postmortem"}
    assert not any(d.triggered for d in oc.deliveries)


def test_duplicate_deliveries_create_no_second_room_and_no_second_post_mortem(world):
    w = world("payments")
    oc = p0_sequence(w)
    before = (w.calls(), [(r.name, list(r.members), r.topic, len(r.messages)) for r in w.slack.rooms()], len(w.jira.issues))
    resolved = at("2026-03-07T02:30:00")

    # OnCall retries a delivery 10 s or more after its first attempt timed out; each retry rebuilds the context.
    created = oc.redeliver("open", "escalation", resolved + timedelta(seconds=14))
    assert created.response == {"ok": False, "error": "name_taken"}
    for key in ("timeline", "notice", "postmortem"):
        assert not oc.redeliver(key, "resolve", resolved + timedelta(seconds=14), user="dara@example.com").triggered
    assert w.calls()[:-1] == before[0] and w.calls()[-1] == ("conversations.create", P0_ROOM, "name_taken")
    assert [(r.name, list(r.members), r.topic, len(r.messages)) for r in w.slack.rooms()] == before[1]
    assert len(w.jira.issues) == before[2] == 1

    # Reopened and resolved again: the room hears it, the post-mortem already exists.
    oc.unresolve("dara@example.com", resolved + timedelta(minutes=5))
    oc.resolve("dara@example.com", resolved + timedelta(minutes=9))
    assert [c for c in w.calls()[len(before[0]) + 1:] if c[0] == "chat.postMessage"] == [
        ("chat.postMessage", ":repeat:", "ok"), ("chat.postMessage", ":white_check_mark:", "ok"),
        ("chat.postMessage", ":white_check_mark:", "ok"),
    ]
    assert len(w.jira.issues) == 1
    assert [d.triggered for d in oc.deliveries if d.key == "postmortem"] == [True, False, False]


def test_the_outcome_does_not_depend_on_the_order_oncall_runs_one_triggers_webhooks_in(world):
    def outcome(reverse: bool):
        w = world("payments")
        w.oncall.reverse_order = reverse
        p0_sequence(w)
        rooms = [(r.name, r.members, r.topic, [m["text"] for m in r.messages]) for r in w.slack.rooms()]
        return rooms, [m["text"] for m in w.slack.find("payments-alerts").messages], [i.fields for i in w.jira.issues]

    assert outcome(False) == outcome(True)


def test_every_request_is_one_the_published_apis_accept(world):
    w = world("payments")
    p0_sequence(w)
    refused = {c.error for c in w.slack.calls if not c.ok}
    # The only refusals are the ones the lifecycle relies on: a taken name, and people already in the room.
    assert refused == {"name_taken", "already_in_channel"}
    assert all(c.ok for c in w.jira.calls)
    assert {c.method for c in w.slack.calls} <= {"conversations.create", "conversations.invite", "conversations.setTopic", "chat.postMessage"}


def test_the_context_the_harness_builds_has_oncalls_shape():
    """The harness gives templates exactly the keys recorded from OnCall v1.16.5's source."""
    w = World("payments")
    try:
        oc = w.oncall
        oc.open(AlertGroup("IABCDEFGHJKLM", alertmanager_payload("payments", "checkout"), {"id": "C1", "type": "alertmanager",
                           "name": "payments (Alertmanager)", "team": None}, started_at=T0))
        oc.advance(T0 + timedelta(seconds=30))
        ctx = oc.context(oc.webhooks["timeline"], "acknowledge", USERS["dara@example.com"])
    finally:
        w.close()
    spec = CONTEXT["context"]
    assert set(ctx) == set(spec["keys"]) | set(spec["optional"])
    assert set(ctx["alert_group"]) == set(CONTEXT["alert_group"]["keys"])
    assert set(ctx["alert_group"]["permalinks"]) == set(CONTEXT["alert_group"]["permalinks_keys"])
    assert set(ctx["user"]) == set(spec["user_keys"]) and set(ctx["integration"]) == set(spec["integration_keys"])
    assert set(ctx["event"]) == set(CONTEXT["event"]["types"]["acknowledge"])


def _source(path: str) -> str:
    return subprocess.run(["git", "-C", str(ONCALL_SOURCE), "show", f"{CONTEXT['version']}:{path}"],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not ONCALL_SOURCE.exists(), reason="no copy of Grafana OnCall's source on this machine")
def test_the_recorded_context_matches_oncalls_source_at_the_deployed_version():
    import re

    utils = _source("engine/apps/webhooks/utils.py")
    body = utils[utils.index("def serialize_event"):]
    data_block = body[body.index("data = {"):body.index("if responses:")]
    keys = re.findall(r'^\s{8}"([a-z_]+)":', data_block, flags=re.M)
    assert keys == CONTEXT["context"]["keys"]
    assert 'data["responses"] = responses' in body
    serializer = _source("engine/apps/public_api/serializers/alert_groups.py")
    fields = re.search(r"fields = \[(.*?)\]", serializer, flags=re.S).group(1)
    assert re.findall(r'"([a-z_]+)"', fields) == CONTEXT["alert_group"]["keys"]
    env = _source("engine/common/jinja_templater/jinja_template_env.py")
    assert re.findall(r'filters\["([a-z_0-9]+)"\]', env) == CONTEXT["environment"]["filters"]
    payload = _source("engine/apps/webhooks/tasks/trigger_webhook.py")
    assert ".exclude(webhook__public_primary_key=webhook.public_primary_key)" in payload


def test_quotes_backslashes_and_newlines_in_an_alert_reach_slack_and_jira_unchanged(world):
    """Data templates see OnCall's escaped context: the requests stay JSON whatever the alert's text holds."""
    w = world("payments")
    oc = w.oncall
    payload = alertmanager_payload("payments", "checkout")
    tricky = 'disk "C:\\data" full\n{{ not a template }} 100%'
    payload["commonAnnotations"] = {**payload["commonAnnotations"], "summary": tricky}
    oc.open(AlertGroup(P0_ID, payload, {"id": "C1", "type": "alertmanager", "name": "payments (Alertmanager)", "team": None}, started_at=T0))
    oc.acknowledge("dara@example.com", T0 + timedelta(minutes=1))
    oc.resolve("dara@example.com", T0 + timedelta(minutes=50))
    (room,) = w.slack.rooms()
    assert room.messages[0]["text"].startswith(f":rotating_light: *P0 incident: ServiceDown* — {tricky}\n")
    assert w.slack.find("payments-alerts").messages[0]["text"].split("\n")[0].endswith(f"— {tricky.splitlines()[0]}")
    (issue,) = w.jira.issues
    assert f"\n{tricky}\n" in issue.fields["description"]


def test_every_template_parses_in_jinjas_sandbox_and_fits_oncalls_limit():
    from jinja2.sandbox import SandboxedEnvironment

    from tests.oncall_webhooks import environment

    env: SandboxedEnvironment = environment(lambda: T0)
    for plan in PLANS.values():
        for hook in plan.webhooks:
            for text in (hook.url, hook.data, hook.trigger_template):
                if text:
                    env.parse(text)
                    assert len(text) <= CONTEXT["environment"]["template_max_length"]
        env.parse(plan.route)


def test_a_webhook_reads_only_webhooks_created_before_it():
    for plan in PLANS.values():
        earlier: set[str] = set()
        for hook in plan.webhooks:
            assert set(hook.refs) <= earlier, (plan.team, hook.key, hook.refs)
            earlier.add(hook.key)


def test_the_incident_chain_opens_and_briefs_the_room_before_the_first_page():
    steps = PLANS["payments"].steps
    assert [s.webhook for s in steps[:3]] == ["open", "brief", "invite-0"]
    assert steps[3].type == "notify_on_call_from_schedule" and steps[3].schedule == "payments-primary"
    assert [s.webhook for s in steps if s.webhook and s.webhook.startswith("announce")][:3] == ["announce-1", "announce-2", "announce-3"]


def test_plans_are_the_same_on_every_render():
    assert incident_plans(catalog.load("example")) == tuple(PLANS.values())


def test_a_user_group_is_looked_up_and_its_members_invited_thirty_at_a_time(world):
    from model.catalog import Organisation

    group = [f"U9GROUP{i:03d}" for i in range(40)]
    doc = ORG.model_dump(mode="json", exclude_none=True)
    doc["incidents"]["invite_user_group"] = "S0ONCALLS"
    doc["people"] += [{"email": f"g{i}@example.com", "slack": u} for i, u in enumerate(group)]
    org = Organisation.model_validate(doc)
    plan = {p.team: p for p in incident_plans(org)}["storefront"]
    w = world("storefront")
    w.oncall.plan = plan
    w.oncall.webhooks = {h.key: h for h in plan.webhooks}
    w.oncall.ids = {h.key: "WH" + h.key.upper().replace("-", "").ljust(11, "X") for h in plan.webhooks}
    w.slack.members |= set(group)
    w.slack.usergroups = {"S0ONCALLS": group}
    start = at("2026-03-13T17:00:00")
    w.oncall.open(AlertGroup("IK7M2XW9QPL4D", alertmanager_payload("storefront", "frontend"),
                             {"id": "C2", "type": "alertmanager", "name": "storefront (Alertmanager)", "team": None}, started_at=start))
    w.oncall.advance(start + timedelta(minutes=1))
    methods = [c.method for c in w.slack.calls]
    assert methods == ["conversations.create", "usergroups.users.list", "chat.postMessage", "conversations.invite", "conversations.invite"]
    first, second = (c.args["users"].split(",") for c in w.slack.calls if c.method == "conversations.invite")
    assert first == ["U009HANA", "U010IVAN", *group[:28]] and second == group[28:]
    (room,) = w.slack.rooms()
    assert len(room.members) == 1 + 2 + 40
    assert "<!subteam^S0ONCALLS> Paging" in room.messages[0]["text"]


def falco_payload(threat: str | None, falco_priority: str, rule: str) -> dict:
    """Alertmanager's payload for a Falco event as falcosidekick 2.31.1 labels it (outputs/alertmanager.go): the
    output fields (`.` -> `_`; the platform adds threat, alertname and team), then source, rule and Falco's priority."""
    labels = {"alertname": rule, "team": "security", "cluster": "prod-eu-1", "source": "falco", "rule": rule,
              "eventsource": "syscall", "priority": falco_priority, "severity": "critical", "k8s_ns_name": "payments",
              "k8s_pod_name": "payments-api-7d9f", "user_name": "root", "proc_cmdline": "xmrig -o pool:3333",
              **({"threat": threat} if threat else {})}
    annotations = {"summary": rule, "description": f"{rule} | user=root command=xmrig -o pool:3333"}
    group = {k: labels[k] for k in ("alertname", "team", "cluster", "priority")}
    return {
        "receiver": "security-p0", "status": "firing", "version": "4", "groupKey": f'{{}}/{{team="security"}}:{{alertname="{rule}"}}',
        "truncatedAlerts": 0, "groupLabels": group, "commonLabels": labels, "commonAnnotations": annotations,
        "externalURL": "https://alertmanager.example.com",
        "alerts": [{"status": "firing", "labels": labels, "annotations": annotations, "startsAt": "2026-03-10T09:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "9a0c1de2a9b7e651"}],
        "numFiring": 1, "numResolved": 0,
    }


FALCO_EVENTS = {
    # threat label, Falco's priority -> the incident the issue asks for: mining and escapes P0, other threats P1.
    "Crypto mining opens a P0 incident, whatever Falco's priority": ("crypto-mining", "Notice", "P0"),
    "A container escape opens a P0 incident": ("container-escape", "Warning", "P0"),
    "A privilege escalation opens a P1 incident": ("privilege-escalation", "Critical", "P1"),
    "A Falco event of no threat class opens none, even a critical one": (None, "Critical", None),
}


@pytest.mark.parametrize("case", FALCO_EVENTS, ids=list(FALCO_EVENTS))
def test_a_falco_threat_opens_an_incident_at_the_priority_of_its_class(case, world):
    threat, falco_priority, expected = FALCO_EVENTS[case]
    w = world("security")
    rule = "Known Cryptominer Process Executed"
    start = at("2026-03-10T09:00:00")
    w.oncall.open(AlertGroup("IFALCO0MINER1", falco_payload(threat, falco_priority, rule),
                             {"id": "CALERTMANAGER4", "type": "alertmanager", "name": "security (Alertmanager)", "team": None},
                             started_at=start))
    w.oncall.advance(start + timedelta(minutes=1))
    if expected is None:
        assert w.slack.calls == []
        return
    assert [c[0] for c in w.calls()][:2] == ["conversations.create", "chat.postMessage"]
    (room,) = w.slack.rooms()
    assert room.messages[0]["text"].startswith(f":rotating_light: *{expected} incident: {rule}*")
