"""The incident lifecycle on Grafana OnCall's own machinery, from the catalog's incident policy.

Per team that runs incidents (model.catalog.Organisation.runs_incidents):

* a route on the team's Alertmanager integration sends alert groups of an incident priority to an *incident chain*;
* the incident chain opens the war room before the first page (create the channel, post the brief, invite), then
  runs the team's own escalation steps, announcing in the room each step that pages someone new;
* outgoing webhooks on OnCall's status triggers keep the timeline, the commander (room message and channel topic),
  the resolution notices and the post-mortem issue in Jira.

Every template here is a Jinja2 template OnCall renders in its sandbox with the webhook context of
engine/apps/webhooks/utils.py `serialize_event` (v1.16.5), using only Jinja2's built-ins and OnCall's filters
`iso8601_to_time`, `datetimeformat`, `datetimeformat_as_timezone`, `datetimeparse`, `timedeltaparse` and
`regex_replace` and its global `time` (engine/common/jinja_templater/jinja_template_env.py). `data` templates
see every string of the context JSON-escaped (apps/webhooks/utils.py `escape_payload`): they place context strings
inside JSON strings as they are and never pass them through `tojson`.

A webhook reads the latest responses of the team's *other* webhooks as `responses["<webhook id>"]`; the ids exist
only once OnCall has created the webhooks, so templates name them `@@key@@` and `bind` fills them in.

Delivery guarantees (docs/incidents.md): Slack refuses a second channel of one name, so a repeated "open" never
makes a second room, and the brief follows only a create that succeeded. The resolution's three deliveries (room
line, alert-channel notice, post-mortem) each hold back when a resolution message of this resolution is already
older than `RETRY_GUARD_SECONDS` (OnCall retries 10 s or more later), and the post-mortem also when the group was
ever reopened. Other timeline lines are at least once: Slack's chat.postMessage has no idempotency key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from model.catalog import EscalationTarget, IncidentPolicy, Organisation, Team
from model.errors import InputError, Problem
from render.systems.falco import SOURCE as FALCO_SOURCE
from render.systems.falco import THREAT_PRIORITY, UNCLASSIFIED_PRIORITY
from render.systems.oncall import Step, chain_steps, shift_names
from render.alertmanager.receivers import jira_api_url
from render.alertmanager.time_intervals import weekday_numbers

SLACK_API = "https://slack.com/api"
INVITE_BATCH = 30
"""conversations.invite: "A comma separated list of user IDs. Up to 30 users may be listed." """
GROUP_INVITES = 60
"""Members of `invite_user_group` invited at most; the brief mentions the group, which notifies all of them."""
TOPIC_MAX = 250
"""conversations.setTopic refuses longer topics (`too_long`)."""
TEMPLATE_MAX = 50_000
"""OnCall's JINJA_TEMPLATE_MAX_LENGTH default (engine/settings/base.py, v1.16.5): longer templates are refused."""
RETRY_GUARD_SECONDS = 5
"""OnCall retries a timed-out webhook 10 s later (apps/webhooks/tasks/trigger_webhook.py) after a 4 s timeout."""

Trigger = Literal["escalation", "alert group created", "status change", "acknowledge", "resolve", "unresolve"]
_REF = re.compile(r"@@([a-z0-9-]+)@@")


def ref(key: str) -> str:
    """The placeholder of a webhook's id inside a template."""
    return f"@@{key}@@"


def bind(template: str, ids: Mapping[str, str]) -> str:
    """The template with every webhook placeholder replaced by that webhook's OnCall id."""
    return _REF.sub(lambda m: ids[m.group(1)], template)


@dataclass(frozen=True)
class OutgoingWebhook:
    """One OnCall outgoing webhook; `url`, `data` and `trigger_template` are Jinja2 templates."""

    key: str
    name: str
    trigger: Trigger
    method: Literal["GET", "POST"]
    url: str
    data: str | None
    trigger_template: str
    auth: Literal["slack", "jira"]

    @property
    def refs(self) -> tuple[str, ...]:
        """Keys of the webhooks whose ids the templates read."""
        text = "".join(t for t in (self.url, self.data or "", self.trigger_template))
        return tuple(sorted(set(_REF.findall(text))))


@dataclass(frozen=True)
class TeamIncidents:
    """The lifecycle of one team: a route for its incident priorities, its webhooks and its incident chain."""

    team: str
    route: str
    """Jinja2 routing template on the team's Alertmanager integration: true for an incident priority."""
    webhooks: tuple[OutgoingWebhook, ...]
    """In creation order: a webhook only reads the ids of webhooks before it."""
    steps: tuple[Step, ...]
    slack_token_secret: str
    jira_user: str
    jira_password_secret: str


# --- Template pieces -------------------------------------------------------------------------------------------


def _lit(value: object) -> str:
    """A Jinja2 literal for a string, number, list or dict of those (JSON's syntax is Jinja2's here)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


def _verbatim(text: str) -> str:
    """Catalog text placed inside a JSON string of a data template, untouched by Jinja2."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return "{% raw %}" + body.replace("{% endraw %}", "{ % endraw % }") + "{% endraw %}"


def _priority_expr(labels: str) -> str:
    """The alert group's priority: its `priority` label, except for Falco events, which carry Falco's own priority
    there and are ours by their `threat` label (render.systems.falco.THREAT_PRIORITY, as the Alertmanager routes decide)."""
    threats = _lit({t.value: p.value for t, p in THREAT_PRIORITY.items()})
    return (
        f"(({threats}.get({labels}.get('threat')) or {_lit(UNCLASSIFIED_PRIORITY.value)}) "
        f"if {labels}.get('source') == {_lit(FALCO_SOURCE)} else ({labels}.get('priority') or ''))"
    )


def _prelude(org: Organisation, team: Team, policy: IncidentPolicy) -> str:
    """Names every template uses: responses, labels, the room's name and id, people, time zone."""
    people = {p.email: p.slack for p in org.people}
    room = policy.room_name
    parts = re.split(r"(\{[a-z]+\})", room)
    pieces = {
        "{team}": _lit(team.name),
        "{priority}": "(priority|lower)",
        "{service}": "(service|lower|regex_replace('[^a-z0-9_-]+', '-'))",
        "{date}": "(created|datetimeformat_as_timezone('%Y%m%d', tz))",
        "{id}": "gid",
    }
    name_expr = " ~ ".join(pieces[p] if p in pieces else _lit(p) for p in parts if p)
    return (
        "{%- set r = responses if responses is defined and responses is mapping else {} -%}"
        "{%- set p = alert_payload if alert_payload is mapping else {} -%}"
        "{%- set cl = p.get('commonLabels') or {} -%}"
        "{%- set ca = p.get('commonAnnotations') or {} -%}"
        f"{{%- set priority = {_priority_expr('cl')} -%}}"
        "{%- set service = cl.get('service') or '' -%}"
        "{%- set alertname = cl.get('alertname') or 'alert' -%}"
        f"{{%- set incident = priority in {_lit([p.value for p in policy.priorities])} -%}}"
        f"{{%- set tz = {_lit(team.business_hours.timezone)} -%}}"
        f"{{%- set people = {_lit(people)} -%}}"
        "{%- set created = alert_group.created_at|iso8601_to_time -%}"
        "{%- set gid = alert_group_id|lower -%}"
        f"{{%- set room = ({name_expr})[:80] -%}}"
        "{%- set at = (event.time|iso8601_to_time) if event.time is defined and event.time else time() -%}"
        "{%- set clock = at|datetimeformat_as_timezone('%H:%M %Z', tz) -%}"
        "{%- macro who(u) -%}{%- if u and u.email in people -%}<@{{ people[u.email] }}>"
        "{%- elif u -%}{{ u.username }}{%- else -%}nobody{%- endif -%}{%- endmacro -%}"
    )


def _opened() -> str:
    """`o`: the latest answer to conversations.create of this alert group's room."""
    return f"{{%- set o = r.get({_lit(ref('open'))}) -%}}"


def _room_id() -> str:
    """`room_id`: the room's channel ID, from its creation or, when a retried create found the name taken, from the
    brief (chat.postMessage answers with the channel's ID)."""
    return (
        _opened()
        + f"{{%- set b = r.get({_lit(ref('brief'))}) -%}}"
        "{%- set room_id = (o.channel.id if o is mapping and o.ok and o.channel is mapping else none)"
        " or (b.channel if b is mapping and b.ok else none) -%}"
    )


def _duration() -> str:
    """`took`: from the alert group's start to its resolution, as 1h 05m."""
    return (
        "{%- set ended = alert_group.resolved_at|iso8601_to_time if alert_group.resolved_at else at -%}"
        "{%- set secs = (ended - created).total_seconds()|int -%}"
        "{%- set took = (secs // 3600) ~ 'h ' ~ '%02d'|format((secs % 3600) // 60) ~ 'm' -%}"
    )


def _due(team: Team, policy: IncidentPolicy) -> str:
    """`due`: the resolution date in the team's time zone plus the policy's business days of the team's week."""
    workdays = sorted(str(d) for d in weekday_numbers(team.business_hours.weekdays))
    longest = max(policy.postmortem.due.values(), default=1)
    # A week has at least one business day: `longest` weeks always reach the date. The sandbox refuses range().
    steps = [0] * (7 * longest)
    return (
        f"{{%- set days = {_lit({p.value: n for p, n in policy.postmortem.due.items()})}.get(priority, 0) -%}}"
        "{%- set resolved = alert_group.resolved_at|iso8601_to_time if alert_group.resolved_at else at -%}"
        "{%- set d = namespace(day=(resolved|datetimeformat_as_timezone('%Y-%m-%d', tz))|datetimeparse('%Y-%m-%d'), left=days) -%}"
        f"{{%- for _ in {_lit(steps)} -%}}{{%- if d.left > 0 -%}}"
        "{%- set d.day = d.day + ('1d'|timedeltaparse) -%}"
        f"{{%- if (d.day|datetimeformat('%w')) in {_lit(workdays)} -%}}{{%- set d.left = d.left - 1 -%}}{{%- endif -%}}"
        "{%- endif -%}{%- endfor -%}"
        "{%- set due = d.day|datetimeformat('%Y-%m-%d') -%}"
    )


def _people(org: Organisation, emails: list[str]) -> list[str]:
    out: list[str] = []
    for email in emails:
        person = org.person(email)
        if person is not None and person.slack not in out:
            out.append(person.slack)
    return out


def _invitees(org: Organisation, team: Team, policy: IncidentPolicy) -> tuple[list[str], list[str]]:
    """Slack IDs invited to every room of the team, and those invited at the `platform_for` priorities only."""
    assert team.oncall is not None
    own = [*team.oncall.rotation, *([team.oncall.manager] if team.oncall.manager else [])] if policy.invite_team else []
    base = _people(org, own) + [u for u in policy.invite if u not in _people(org, own)]
    platform = org.team(org.platform_team)
    extra: list[str] = []
    if platform.name != team.name and platform.oncall is not None:
        crew = [*platform.oncall.rotation, *([platform.oncall.manager] if platform.oncall.manager else [])]
        extra = [u for u in _people(org, crew) if u not in base]
    return base, extra


def _dynamic_bound(team: Team, policy: IncidentPolicy) -> int:
    """People the chain may notify beyond the static invitees: its rotation and manager, when not invited anyway."""
    assert team.oncall is not None
    return 0 if policy.invite_team else len(team.oncall.rotation) + (1 if team.oncall.manager else 0)


def _invite_list(policy: IncidentPolicy, base: list[str], extra: list[str]) -> str:
    """`invitees`: the static lists, whoever the chain will notify, and the user group's members."""
    platform_for = [p.value for p in policy.platform_for]
    text = (
        f"{{%- set n = namespace(users={_lit(base)}) -%}}"
        f"{{%- if priority in {_lit(platform_for)} -%}}{{%- for u in {_lit(extra)} -%}}"
        "{%- if u not in n.users -%}{%- set n.users = n.users + [u] -%}{%- endif -%}{%- endfor -%}{%- endif -%}"
        "{%- for u in users_to_be_notified or [] -%}{%- if u and u.email in people and people[u.email] not in n.users -%}"
        "{%- set n.users = n.users + [people[u.email]] -%}{%- endif -%}{%- endfor -%}"
    )
    if policy.invite_user_group:
        text += (
            f"{{%- set m = r.get({_lit(ref('members'))}) -%}}"
            f"{{%- if m is mapping and m.ok -%}}{{%- for u in (m.users or [])[:{GROUP_INVITES}] -%}}"
            "{%- if u not in n.users -%}{%- set n.users = n.users + [u] -%}{%- endif -%}{%- endfor -%}{%- endif -%}"
        )
    return text + "{%- set invitees = n.users -%}"


RESOLVED_MARK = ":white_check_mark:"
"""How the room's resolution line and the alerts channel's notice begin: each finds the other by it."""


def _resolution_told() -> str:
    """`resolution_told`: a message about this resolution was posted more than RETRY_GUARD_SECONDS ago, so this
    delivery repeats one that already ran. Messages are matched by content, not by webhook id: the two resolution
    messages guard each other, and ids cannot refer in a circle."""
    return (
        "{%- set g = namespace(told=false) -%}"
        "{%- set since = (alert_group.resolved_at|iso8601_to_time).timestamp() if alert_group.resolved_at else 0 -%}"
        "{%- for v in r.values() -%}"
        f"{{%- if v is mapping and v.ts and v.message is mapping and (v.message.text or '').startswith({_lit(RESOLVED_MARK)})"
        f" and (v.ts|float) >= since - 2 and (time().timestamp() - (v.ts|float)) > {RETRY_GUARD_SECONDS} -%}}"
        "{%- set g.told = true -%}{%- endif -%}{%- endfor -%}"
        "{%- set resolution_told = g.told -%}"
    )


# --- Messages ---------------------------------------------------------------------------------------------------


def _services_facts(org: Organisation, team: Team) -> str:
    """`facts`: business impact, dependencies and links of the alert's service, from the catalog."""
    branches = []
    for service in team.services:
        impact = service.impact
        bits = []
        if impact.revenue_affecting:
            bits.append("revenue-affecting")
        if impact.user_facing:
            bits.append("user-facing")
        bits.append(f"{impact.affected_users:,} users affected" if impact.affected_users else "no end users affected")
        if impact.revenue_per_hour:
            bits.append(f"{impact.revenue_per_hour:,.0f} revenue per hour at risk")
        deps = ", ".join(f"{d} ({org.owner(d).name})" for d in service.depends_on) or "none"
        text = f"*Service:* {service.name} ({service.tier.value} tier) · *Business impact:* {', '.join(bits)}\n*Depends on:* {deps}\n"
        branches.append((service, text))
    out = ""
    for i, (service, text) in enumerate(branches):
        out += f"{{%- {'if' if i == 0 else 'elif'} service == {_lit(service.name)} -%}}{_verbatim(text)}"
        out += f"{{%- set fallback_runbook = {_lit(service.runbook_url)} -%}}{{%- set fallback_dashboard = {_lit(service.dashboard_url)} -%}}"
    if branches:
        out += "{%- else -%}"
    out += "*Service:* {{ service or 'not named by the alert' }} (not in the catalog of this team)\\n"
    out += "{%- set fallback_runbook = '' -%}{%- set fallback_dashboard = '' -%}"
    if branches:
        out += "{%- endif -%}"
    return out


def _json(fields: dict[str, str]) -> str:
    """A JSON object template: each value is a template rendering a JSON value (`"..."` strings written by us)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


def _string(template: str) -> str:
    return f'"{template}"'


def _step_target(org: Organisation, team: Team, index: int) -> str:
    """Who catalog escalation step `index` notifies, for the room."""
    assert team.oncall is not None
    step = team.escalation.steps[index]
    primary, secondary = shift_names(team)
    if step.notify == EscalationTarget.primary_oncall:
        return f"the primary on-call ({primary})"
    if step.notify == EscalationTarget.secondary_oncall:
        return f"the secondary on-call ({secondary})"
    if step.notify == EscalationTarget.team:
        return f"everyone in {team.name}'s rotation"
    if step.notify == EscalationTarget.manager:
        person = org.person(team.oncall.manager or "")
        return f"the manager (<@{person.slack}>)" if person else f"the manager ({team.oncall.manager})"
    return "the incident channel"


# --- The plan of one team ---------------------------------------------------------------------------------------


def _team_plan(org: Organisation, team: Team, slack_api: str) -> TeamIncidents:
    assert team.oncall is not None and org.slack is not None
    policy = org.incident_policy(team)
    jira = policy.postmortem.jira or team.jira
    assert jira is not None, "the catalog requires a Jira for post-mortems"
    project = policy.postmortem.project or jira.project
    issue_type = policy.postmortem.issue_type or jira.issue_type
    prelude = _prelude(org, team, policy)
    base, extra = _invitees(org, team, policy)
    alerts_channel = team.slack.alerts.channel.lstrip("#")
    link = "{{ alert_group.permalinks.web if alert_group.permalinks and alert_group.permalinks.web else alert_group_id }}"
    summary = "{{ ca.get('summary') or alertname }}"

    def hook(
        key: str, trigger: Trigger, method: str, path: str, data: str | None, when: str, auth: str = "slack", setup: str = ""
    ) -> OutgoingWebhook:
        url = f"{slack_api.rstrip('/')}/{path}" if auth == "slack" else path
        return OutgoingWebhook(
            key=key,
            name=f"{team.name}-incident-{key}",
            trigger=trigger,
            method=method,  # type: ignore[arg-type]
            url=url,
            data=prelude + setup + data if data is not None else None,
            trigger_template=prelude + setup + "{{ (incident and (" + when + ")) | string }}",
            auth=auth,  # type: ignore[arg-type]
        )

    def post(channel: str, text: str) -> str:
        return _json({"channel": _string(channel), "text": _string(text), "unfurl_links": "false", "unfurl_media": "false"})

    hooks: list[OutgoingWebhook] = []
    # The room: created under a name derived from the alert group, so a second create finds it taken.
    hooks.append(hook("open", "escalation", "POST", "conversations.create", _json({"name": _string("{{ room }}")}), "true"))
    if policy.invite_user_group:
        hooks.append(hook("members", "escalation", "GET", f"usergroups.users.list?usergroup={policy.invite_user_group}", None, "true"))
    mention = f"<!subteam^{policy.invite_user_group}> " if policy.invite_user_group else ""
    first = _step_target(org, team, 0)
    brief = (
        f":rotating_light: *{{{{ priority }}}} incident: {{{{ alertname }}}}* — {summary}\\n"
        "{{ ca.get('description') or '' }}\\n"
        + _services_facts(org, team)
        + "*Runbook:* {{ ca.get('runbook_url') or fallback_runbook or 'none' }} · "
        "*Dashboard:* {{ ca.get('dashboard_url') or fallback_dashboard or 'none' }}\\n"
        + f"*Team:* {_verbatim(team.display_name)} · *OnCall:* {link}\\n"
        + f"{mention}Paging {_verbatim(first)} now; whoever acknowledges in OnCall is the incident commander."
    )
    # Only right after this chain created the room: an unacknowledged, unsilenced or reopened group restarts the
    # chain, whose "open" then finds the name taken.
    hooks.append(hook("brief", "escalation", "POST", "chat.postMessage", post("{{ room }}", brief), "o is mapping and o.ok", setup=_opened()))

    invite_list = _invite_list(policy, base, extra)
    batches = math.ceil((len(base) + len(extra) + _dynamic_bound(team, policy) + (GROUP_INVITES if policy.invite_user_group else 0)) / INVITE_BATCH)
    for k in range(max(1, batches)):
        window = f"invitees[{k * INVITE_BATCH}:{(k + 1) * INVITE_BATCH}]"
        hooks.append(
            hook(
                f"invite-{k}", "escalation", "POST", "conversations.invite",
                _json({"channel": _string("{{ room_id }}"), "users": _string(f"{{{{ {window}|join(',') }}}}")}),
                f"room_id and {window}|length > 0",
                setup=_room_id() + invite_list,
            )
        )

    announced = [i for i in range(len(team.escalation.steps)) if i or team.escalation.repeat]
    for i in announced:
        what = (
            f"no acknowledgement yet: step {i + 1} of {len(team.escalation.steps)} notifies {_step_target(org, team, i)}"
            if i
            else f"no acknowledgement after a whole round: paging {first} again"
        )
        hooks.append(hook(f"announce-{i}", "escalation", "POST", "chat.postMessage", post("{{ room }}", f":arrow_up: {{{{ clock }}}} — {_verbatim(what)}"), "true"))

    timeline = (
        _duration()
        + "{%- if event.type == 'acknowledge' -%}:raising_hand: {{ clock }} — acknowledged by {{ who(user) }}: "
        "{{ who(user) }} is the incident commander"
        "{%- elif event.type == 'unacknowledge' -%}:warning: {{ clock }} — {{ who(user) }} unacknowledged: "
        "no incident commander, escalation resumes"
        "{%- elif event.type == 'silence' -%}:zzz: {{ clock }} — silenced by {{ who(user) }}"
        "{%- if event.until %} until {{ event.until|iso8601_to_time|datetimeformat_as_timezone('%Y-%m-%d %H:%M %Z', tz) }}{% endif -%}"
        "{%- elif event.type == 'unsilence' -%}:bell: {{ clock }} — the silence ended"
        "{%- elif event.type == 'resolve' -%}:white_check_mark: {{ clock }} — resolved by "
        "{{ who(user) if user else 'Alertmanager (the alerts stopped firing)' }} after {{ took }}; "
        "incident commander: {{ who(alert_group_acknowledged_by) }}"
        "{%- endif -%}"
    )
    timeline_events = ["acknowledge", "unacknowledge", "silence", "unsilence", "resolve"]
    hooks.append(
        hook(
            "timeline", "status change", "POST", "chat.postMessage", post("{{ room }}", timeline),
            f"event.type in {_lit(timeline_events)} and not (event.type == 'resolve' and resolution_told)",
            setup=_resolution_told(),
        )
    )

    topic = (
        "{%- set commander = (user.username if user else 'unknown') if event.type == 'acknowledge' else 'none' -%}"
        "{{ (priority ~ ' ' ~ alertname ~ ' on ' ~ (service or 'no service') ~ ' | commander: ' ~ commander"
        " ~ ' (since ' ~ clock ~ ')')[:" + str(TOPIC_MAX) + "] }}"
    )
    hooks.append(
        hook(
            "topic", "status change", "POST", "conversations.setTopic",
            _json({"channel": _string("{{ room_id }}"), "topic": _string(topic)}),
            "room_id and event.type in ['acknowledge', 'unacknowledge']",
            setup=_room_id(),
        )
    )
    hooks.append(
        hook("reopened", "unresolve", "POST", "chat.postMessage", post("{{ room }}", ":repeat: {{ clock }} — reopened by {{ who(user) }}"), "true")
    )

    due = _due(team, policy)
    notice = (
        _duration() + due
        + ":white_check_mark: *{{ priority }} incident resolved* after {{ took }}: {{ alertname }} on {{ service or 'no service' }} — "
        + summary
        + "\\nWar room: #{{ room }} · incident commander: {{ who(alert_group_acknowledged_by) }} · "
        f"post-mortem in {project}, due {{{{ due }}}} · OnCall: {link}"
    )
    hooks.append(hook("notice", "resolve", "POST", "chat.postMessage", post(alerts_channel, notice), "not resolution_told", setup=_resolution_told()))

    account = "accountId" if policy.postmortem.jira_users == "cloud" else "name"
    jira_ids = {p.email: p.jira for p in org.people if p.jira}
    commander = (
        f"{{%- set jira_ids = {_lit(jira_ids)} -%}}"
        "{%- set c = alert_group_acknowledged_by or alert_group_resolved_by -%}"
        "{%- set assignee = jira_ids.get(c.email) if c else none -%}"
    )
    description = (
        f"Incident {{{{ alert_group_id }}}} of team {_verbatim(team.display_name)} ({team.name}): "
        "{{ priority }} {{ alertname }} on {{ service or 'no service' }}.\\n"
        + summary + "\\n{{ ca.get('description') or '' }}\\n\\n"
        "Alert group: " + link + "\\nWar room: #{{ room }}\\n"
        "Incident commander: {{ c.email if c else 'nobody acknowledged' }}\\n"
        "Opened {{ created|datetimeformat_as_timezone('%Y-%m-%d %H:%M %Z', tz) }}, resolved "
        "{{ resolved|datetimeformat_as_timezone('%Y-%m-%d %H:%M %Z', tz) }}, after {{ took }}.\\n"
        "Runbook: {{ ca.get('runbook_url') or 'none' }}\\nDashboard: {{ ca.get('dashboard_url') or 'none' }}"
    )
    issue = _duration() + due + commander + _json(
        {
            "fields": _json(
                {
                    "project": _json({"key": _lit(project)}),
                    "issuetype": _json({"name": _lit(issue_type)}),
                    "summary": _string("Post-mortem: {{ priority }} {{ alertname }} on {{ service or 'no service' }} ({{ room }})"),
                    "description": _string(description),
                    "duedate": _string("{{ due }}"),
                    "labels": "[" + ", ".join(
                        [_lit("post-mortem"), _string("incident-{{ gid }}"), _lit(f"team-{team.name}"), _string("{{ priority|lower }}")]
                    ) + "]",
                    "assignee": "{% if assignee %}{\"" + account + "\": \"{{ assignee }}\"}{% else %}null{% endif %}",
                }
            )
        }
    )
    guard = f"{_lit(ref('reopened'))} not in r and not resolution_told"
    hooks.append(
        hook("postmortem", "resolve", "POST", f"{jira_api_url(jira.api_url)}/issue", issue, guard, auth="jira", setup=_resolution_told())
    )

    for h in hooks:
        for text in (h.url, h.data or "", h.trigger_template):
            if len(text) > TEMPLATE_MAX:
                raise InputError(
                    [Problem("catalog", f"teams.{team.name}.incidents", f"the {h.key} webhook's template has {len(text)} characters; OnCall accepts {TEMPLATE_MAX}")]
                )

    steps = [Step("trigger_webhook", webhook="open")]
    if policy.invite_user_group:
        steps.append(Step("trigger_webhook", webhook="members"))
    steps.append(Step("trigger_webhook", webhook="brief"))
    steps += [Step("trigger_webhook", webhook=h.key) for h in hooks if h.key.startswith("invite-")]
    steps += chain_steps(team, announce=lambda i: Step("trigger_webhook", webhook=f"announce-{i}"))
    route = (
        "{%- set cl = payload.get('commonLabels') or {} -%}"
        "{{ (" + _priority_expr("cl") + " in " + _lit([p.value for p in policy.priorities]) + ") | string }}"
    )
    return TeamIncidents(
        team=team.name,
        route=route,
        webhooks=tuple(hooks),
        steps=tuple(steps),
        slack_token_secret=org.slack.bot_token.secret,
        jira_user=jira.username,
        jira_password_secret=jira.password.secret,
    )


def incident_plans(org: Organisation, slack_api: str = SLACK_API) -> tuple[TeamIncidents, ...]:
    """One plan per team that runs incidents, in catalog order."""
    return tuple(_team_plan(org, team, slack_api) for team in org.teams if org.runs_incidents(team))


