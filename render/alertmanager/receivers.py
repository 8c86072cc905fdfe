"""Receivers: for every team one per priority, each the bundle of integrations that priority deserves.

| priority | paging on                                              | paging off (`paging: false`)       |
|----------|--------------------------------------------------------|------------------------------------|
| P0       | PagerDuty (critical), incident channel, OnCall, SMS    | incident channel                   |
|          | (a team with neither PagerDuty nor OnCall: the platform team's pager instead) |             |
| P1       | PagerDuty (error: high urgency) or OnCall, alerts channel, e-mail | alerts channel, e-mail  |
|          | (OnCall as well when the team runs incidents at P1: the war room opens there) |             |
| P2       | alerts channel                                         | alerts channel                     |
| P3       | a ticket (native Jira, else Jira webhooks) and e-mail   | the same                           |

A team's `generic` webhooks get every priority. A receiver never ends up empty: whatever a team lacks falls back to
its alerts channel. Credentials are only ever `*_file` paths (render.systems.topology.alertmanager_secret_path).
"""

from __future__ import annotations

import re

from model.catalog import Jira, Organisation, PagerDuty, Priority, SlackChannel, Team, Webhook
from model.settings import Settings
from render.alertmanager.notification_templates import use
from render.systems.topology import alertmanager_secret_path

CATCH_ALL = "catch-all"
"""Alerts whose team is missing or unknown: the platform team triages them."""


def receiver_name(team_name: str, priority: Priority) -> str:
    return f"{team_name}-{priority.value.lower()}"


def oncall_secret(team: Team) -> str | None:
    """The secret holding the team's Grafana OnCall integration URL.

    Without an explicit `integration_url` the name is `oncall-<team>`: the URL of the integration the platform
    creates for the team is stored under it.
    """
    if team.oncall is None:
        return None
    return team.oncall.integration_url.secret if team.oncall.integration_url else f"oncall-{team.name}"


def slack(org: Organisation, channel: SlackChannel) -> dict:
    """A Slack message: through the channel's own webhook, else the organisation's Slack app."""
    config: dict = {"channel": channel.channel}
    if channel.webhook is not None:
        config["api_url_file"] = alertmanager_secret_path(channel.webhook.secret)
    else:
        # Set per message, not globally: a global app token would also take over the channels that have webhooks.
        assert org.slack is not None, "the catalog guarantees a Slack app for channels without a webhook"
        config["app_token_file"] = alertmanager_secret_path(org.slack.bot_token.secret)
    config.update(
        {
            "send_resolved": True,
            "title": use("alerting.title"),
            "title_link": use("alerting.karma"),
            "text": use("alerting.slack.text"),
            "color": use("alerting.slack.color"),
            "footer": use("alerting.origin"),
        }
    )
    return config


def pagerduty(pd: PagerDuty, severity: str) -> dict:
    """A PagerDuty event; the severity sets the incident's urgency (critical and error are high urgency)."""
    return {
        "routing_key_file": alertmanager_secret_path(pd.routing_key.secret),
        "send_resolved": True,
        "severity": severity,
        "description": use("alerting.pagerduty.description"),
        "class": "{{ .CommonLabels.alertname }}",
        "component": "{{ .CommonLabels.service }}",
        "group": "{{ .CommonLabels.team }}",
        "client": "Alertmanager " + use("alerting.environment"),
        "client_url": use("alerting.karma"),
        "details": {
            "summary": use("alerting.summary"),
            "priority": use("alerting.priority"),
            "service": use("alerting.service"),
            "owner": use("alerting.owner"),
            "priority_reason": use("alerting.priority_reason"),
            "impact": use("alerting.impact"),
            "depends_on": use("alerting.depends_on"),
            "dependants": use("alerting.dependants"),
            "alerts": use("alerting.details"),
            "runbook": use("alerting.runbook"),
            "dashboard": use("alerting.dashboard"),
            "karma": use("alerting.karma"),
            "history": use("alerting.history"),
            "incidents": use("alerting.incidents"),
            "receiver": "{{ .Receiver }}",
            "firing": "{{ .Alerts.Firing | len }}",
        },
        "links": [
            {"href": use("alerting.runbook"), "text": "Runbook"},
            {"href": use("alerting.dashboard"), "text": "Dashboard"},
            {"href": use("alerting.karma"), "text": "Karma"},
            {"href": use("alerting.history"), "text": "History"},
            {"href": use("alerting.incidents"), "text": "Past incidents"},
        ],
    }


def email(addresses: list[str]) -> dict:
    return {
        "to": ", ".join(addresses),
        "send_resolved": True,
        "headers": {"Subject": use("alerting.email.subject"), "X-Alerting-Receiver": "{{ .Receiver }}"},
        "html": use("alerting.email.html"),
        "text": use("alerting.email.text"),
    }


def jira_api_url(url: str) -> str:
    """Alertmanager wants the REST API root; the catalog names the site."""
    url = url.rstrip("/")
    return url if re.search(r"/rest/api/\d+$", url) else f"{url}/rest/api/2"


def jira(team: Team, jira_: Jira) -> dict:
    """A Jira issue per alert group, updated while it fires; Alertmanager finds it again by a label it adds."""
    return {
        "api_url": jira_api_url(jira_.api_url),
        "project": jira_.project,
        "issue_type": jira_.issue_type,
        "summary": use("alerting.jira.summary"),
        "description": use("alerting.jira.description"),
        "labels": ["alertmanager", f"team-{team.name}"],
        "send_resolved": True,
        "http_config": {
            "basic_auth": {"username": jira_.username, "password_file": alertmanager_secret_path(jira_.password.secret)}
        },
    }


def webhook(secret: str, *, send_resolved: bool = True) -> dict:
    """Alertmanager's JSON payload to a URL kept in a secret (it usually carries a token)."""
    return {"url_file": alertmanager_secret_path(secret), "send_resolved": send_resolved}


def _webhooks(team: Team, kind: str) -> list[Webhook]:
    return [w for w in team.webhooks if w.kind == kind]


def _bundle(name: str, integrations: list[tuple[str, dict]]) -> dict:
    receiver: dict = {"name": name}
    for key, config in integrations:
        receiver.setdefault(key, []).append(config)
    return receiver


def team_receivers(org: Organisation, team: Team, settings: Settings) -> list[dict]:
    """The team's P0..P3 receivers."""
    paging = settings.paging
    alerts_channel = ("slack_configs", slack(org, team.slack.alerts))
    generic = [("webhook_configs", webhook(w.url.secret)) for w in _webhooks(team, "generic")]
    mail = [("email_configs", email(team.email.to))] if team.email else []
    oncall = [("webhook_configs", webhook(secret))] if (secret := oncall_secret(team)) else []

    p0: list[tuple[str, dict]] = []
    if paging and team.pagerduty:
        p0.append(("pagerduty_configs", pagerduty(team.pagerduty, "critical")))
    elif paging and not oncall:
        # A team nobody can page still gets its P0s answered: the platform team is the on-call of last resort.
        p0 += last_resort_pager(org)
    p0.append(("slack_configs", slack(org, team.slack.incidents)))
    if paging:
        p0 += oncall
        p0 += [("webhook_configs", webhook(w.url.secret, send_resolved=False)) for w in _webhooks(team, "sms")]

    p1: list[tuple[str, dict]] = []
    if paging and team.pagerduty:
        p1.append(("pagerduty_configs", pagerduty(team.pagerduty, "error")))
        if org.runs_incidents(team) and Priority.P1 in org.incident_policy(team).priorities:
            p1 += oncall  # the incident lifecycle runs on OnCall (render.systems.incidents)
    elif paging:
        p1 += oncall
    p1 += [alerts_channel, *mail]

    p2 = [alerts_channel]

    if team.jira is not None:
        tickets = [("jira_configs", jira(team, team.jira))]
    else:
        tickets = [("webhook_configs", webhook(w.url.secret)) for w in _webhooks(team, "jira")]
    p3 = tickets + mail or [alerts_channel]

    return [
        _bundle(receiver_name(team.name, priority), integrations + generic)
        for priority, integrations in zip(Priority, (p0, p1, p2, p3))
    ]


def last_resort_pager(org: Organisation) -> list[tuple[str, dict]]:
    """The platform team's pager (PagerDuty, else its OnCall integration); the catalog guarantees it has one."""
    platform = org.team(org.platform_team)
    if platform.pagerduty:
        return [("pagerduty_configs", pagerduty(platform.pagerduty, "critical"))]
    secret = oncall_secret(platform)
    assert secret is not None, "the catalog requires the platform team to be reachable by pager"
    return [("webhook_configs", webhook(secret))]


def catch_all(org: Organisation) -> dict:
    """The platform team's alerts channel and mail: an alert nobody claims still reaches a human."""
    platform = org.team(org.platform_team)
    integrations = [("slack_configs", slack(org, platform.slack.alerts))]
    if platform.email:
        integrations.append(("email_configs", email(platform.email.to)))
    return _bundle(CATCH_ALL, integrations)


def render(org: Organisation, settings: Settings) -> list[dict]:
    """Every receiver: the catch-all first, then each team's in catalog order."""
    out = [catch_all(org)]
    for team in org.teams:
        out.extend(team_receivers(org, team, settings))
    return out
