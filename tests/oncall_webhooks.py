"""Grafana OnCall's outgoing-webhook machinery as the tests drive it: the events of an alert group, the escalation
chain that runs until someone acknowledges, and the webhook context each delivery sees.

Everything here follows Grafana OnCall at v1.16.5, the version the `oncall` chart 1.16.5 deploys (written from its
source, not copied; tests/data/oncall/webhook-context-v1.16.5.yaml records the shape with file and line):

* the context: engine/apps/webhooks/utils.py `serialize_event`, its `event` from
  engine/apps/webhooks/tasks/trigger_webhook.py `_build_payload` (the latest response of every *other* webhook of
  the alert group as `responses`, present only when there is one), `alert_group` from
  engine/apps/public_api/serializers/alert_groups.py `AlertGroupSerializer`;
* rendering: Jinja2's SandboxedEnvironment with OnCall's filters and globals
  (engine/common/jinja_templater/jinja_template_env.py, filters.py; `range` refused), template and result limits
  (apply_jinja_template.py, settings JINJA_TEMPLATE_MAX_LENGTH / JINJA_RESULT_MAX_LENGTH = 50,000);
* a delivery: engine/apps/webhooks/models/webhook.py `check_trigger` (true when the trigger renders to "true" or
  "1"), `build_url`, `build_request_kwargs` (the data template sees the context through
  apps/webhooks/utils.py `escape_payload`; JSON output is sent as JSON, anything else as the body);
* which webhooks an event runs: trigger_webhook.py `send_webhook_event` (a status change also runs every
  "status change" webhook) and alert_group_status.py `ACTION_TO_TRIGGER_TYPE`;
* escalation: an escalation step runs every NEXT_ESCALATION_DELAY = 5 s (apps/alerts/constants.py) unless it
  waits, the chain starts TASK_DELAY_SECONDS = 1 s after the group opens and START_ESCALATION_DELAY = 10 s after an
  unacknowledge, unsilence or unresolve restarts it from the first step; acknowledging, silencing or resolving
  stops it (apps/alerts/tasks/escalate_alert_group.py).

The one part left out is OnCall's refusal of private addresses (DANGEROUS_WEBHOOKS_ENABLED): the stand-ins listen
on loopback.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from render.systems.incidents import OutgoingWebhook, TeamIncidents, bind

TEMPLATE_MAX = RESULT_MAX = 50_000
NEXT_ESCALATION_DELAY = timedelta(seconds=5)
TASK_DELAY = timedelta(seconds=1)
START_ESCALATION_DELAY = timedelta(seconds=10)
STATUS_CHANGE_TRIGGERS = {"acknowledge", "resolve", "silence", "unsilence", "unresolve", "unacknowledge"}


# --- OnCall's Jinja2 environment --------------------------------------------------------------------------------


def _iso8601_to_time(value):
    # Django's parse_datetime: an ISO 8601 string to a datetime, None when it is not one.
    try:
        return datetime.fromisoformat(value)
    except (ValueError, TypeError, AttributeError):
        return None


def _datetimeformat(value, format="%H:%M / %d-%m-%Y"):
    try:
        return value.strftime(format)
    except AttributeError:
        return None


def _datetimeformat_as_timezone(value, format="%H:%M / %d-%m-%Y", tz="UTC"):
    try:
        return value.astimezone(ZoneInfo(tz)).strftime(format)
    except (ValueError, AttributeError, TypeError):
        return None


def _datetimeparse(value, format="%H:%M / %d-%m-%Y"):
    try:
        return datetime.strptime(value, format)
    except (ValueError, AttributeError, TypeError):
        return None


def _timedeltaparse(value):
    match = re.match(r"^([-+]?)(\d+)([smhdwMQy])$", value) if isinstance(value, str) else None
    if not match:
        return None
    amount = -int(match[2]) if match[1] == "-" else int(match[2])
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}.get(match[3])
    return timedelta(**{unit: amount}) if unit else None


def _regex_replace(value, find, replace):
    try:
        return re.sub(find, replace, value)
    except (ValueError, AttributeError, TypeError):
        return None


def _guard(fn: Callable) -> Callable:
    def wrapped(*args):
        try:
            return fn(*args)
        except (ValueError, AttributeError, TypeError):
            return None

    return wrapped


def environment(now: Callable[[], datetime]) -> SandboxedEnvironment:
    """OnCall's template environment: the sandbox, its filters, `time` and a refused `range`."""
    env = SandboxedEnvironment(loader=BaseLoader())
    env.filters.update(
        {
            "datetimeformat": _datetimeformat,
            "datetimeformat_as_timezone": _datetimeformat_as_timezone,
            "datetimeparse": _datetimeparse,
            "iso8601_to_time": _iso8601_to_time,
            "timedeltaparse": _timedeltaparse,
            "tojson_pretty": _guard(lambda v: json.dumps(v, sort_keys=True, indent=4, separators=(",", ": "), ensure_ascii=False)),
            "regex_replace": _regex_replace,
            "regex_match": _guard(lambda pattern, value: bool(re.match(value, pattern))),
            "regex_search": _guard(lambda pattern, value: bool(re.search(value, pattern))),
            "json_dumps": _guard(json.dumps),
            "b64decode": _guard(lambda v: base64.b64decode(v).decode("utf-8")),
            "parse_json": _guard(json.loads),
            "timestamp_to_datetime": _guard(datetime.fromtimestamp),
        }
    )

    def refuse_range(*args):
        raise SecurityError("use of 'range' is restricted")

    env.globals["time"] = now
    env.globals["range"] = refuse_range
    return env


class EscapeDoubleQuotesDict(dict):
    """A dict whose str() escapes its double quotes, as escape_payload's dicts are."""

    def __str__(self) -> str:
        text = super().__str__()
        return re.sub(r'(?<!\\)"', '\\\\"', text) if '"' in text else text


def escape_payload(value):
    """The context a data or headers template sees: every string JSON-escaped, without its quotes."""
    if isinstance(value, dict):
        return EscapeDoubleQuotesDict({k: escape_payload(v) for k, v in value.items()})
    if isinstance(value, list):
        return [escape_payload(v) for v in value]
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return value


class TemplateError(Exception):
    pass


def render(env: SandboxedEnvironment, template: str, context: dict, payload: object = None) -> str:
    """apply_jinja_template: `payload` is the alert's payload for integration and route templates, None for webhooks."""
    if len(template) > TEMPLATE_MAX:
        raise TemplateError(f"Template exceeds length limit ({len(template)} > {TEMPLATE_MAX})")
    result = env.from_string(template).render(payload=payload, **context)
    return result[:RESULT_MAX] + ".." if len(result) > RESULT_MAX else result


# --- Alert groups and their context -----------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str

    def serialized(self) -> dict:
        return {"id": self.id, "username": self.username, "email": self.email}


def _iso(moment: datetime | None) -> str | None:
    """A datetime as Django REST framework writes it: ISO 8601 with Z for UTC."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass
class AlertGroup:
    id: str
    payload: dict
    """The first alert's raw request: an Alertmanager webhook payload."""
    integration: dict
    started_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: User | None = None
    resolved_at: datetime | None = None
    resolved_by: User | None = None
    silenced_at: datetime | None = None
    silenced_until: datetime | None = None
    notified: list[User] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.resolved_at:
            return "resolved"
        if self.acknowledged_at:
            return "acknowledged"
        if self.silenced_at:
            return "silenced"
        return "firing"

    def serialized(self, web_url: str) -> dict:
        return {
            "id": self.id,
            "integration_id": self.integration["id"],
            "team_id": None,
            "route_id": "RFAKEROUTE0001",
            "alerts_count": 1,
            "state": self.state,
            "created_at": _iso(self.started_at),
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by.id if self.resolved_by else None,
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by.id if self.acknowledged_by else None,
            "labels": [],
            "title": self.payload.get("commonLabels", {}).get("alertname"),
            "permalinks": {"slack": None, "slack_app": None, "telegram": None, "web": f"{web_url}/alert-groups/{self.id}"},
            "silenced_at": _iso(self.silenced_at),
            "last_alert": {"id": "A" + self.id[1:], "alert_group_id": self.id, "created_at": _iso(self.started_at), "payload": self.payload},
        }


@dataclass
class Delivery:
    """One webhook execution: whether its trigger held, and the request and answer when it did."""

    key: str
    trigger: str
    triggered: bool
    url: str | None = None
    request: object = None
    status: int | None = None
    response: object = None


class OnCall:
    """One team's incident plan inside an OnCall engine: its route, chains and webhooks, against real HTTP."""

    def __init__(self, plan: TeamIncidents, default_steps: tuple, secrets: dict[str, str], on_call: dict[str, str],
                 users: dict[str, User], resolve: dict[str, str] | None = None,
                 web_url: str = "https://grafana.example.com/a/grafana-oncall-app") -> None:
        self.plan = plan
        self.default_steps = default_steps
        self.secrets = secrets
        self.on_call = on_call
        self.users = users
        self.web_url = web_url
        self.resolve_hosts = resolve or {}
        """URL prefix -> where it is served in the test (the stand-ins), as a resolver would map a host."""
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.env = environment(lambda: self.now)
        self.ids = {h.key: "WH" + re.sub(r"[^A-Z0-9]", "", h.key.upper()).ljust(11, "X") for h in plan.webhooks}
        self.webhooks = {h.key: h for h in plan.webhooks}
        self.responses: list[tuple[str, datetime, object]] = []
        self.deliveries: list[Delivery] = []
        self.pages: list[tuple[datetime, str]] = []
        self.group: AlertGroup | None = None
        self.reverse_order = False
        """OnCall runs the webhooks of one trigger concurrently, in no set order: tests run them both ways."""
        self._steps: tuple = ()
        self._position = 0
        self._eta: datetime | None = None

    # Events --------------------------------------------------------------------------------------------------------

    def open(self, group: AlertGroup) -> None:
        self.group = group
        self.now = group.started_at
        routed = render(self.env, self.plan.route, {"labels": {}}, payload=group.payload).strip().lower() in ("true", "1", "ok")
        self._steps = self.plan.steps if routed else self.default_steps
        self._fire("alert group created")
        self._restart(TASK_DELAY)

    def advance(self, to: datetime) -> None:
        """Run the escalation steps due by `to`."""
        while self._eta is not None and self._eta <= to and self._position < len(self._steps):
            self.now = self._eta
            step = self._steps[self._position]
            self._position += 1
            delay = NEXT_ESCALATION_DELAY
            if step.type == "wait":
                delay = timedelta(seconds=step.duration_seconds)
            elif step.type == "trigger_webhook":
                self._execute(self.webhooks[step.webhook], "escalation")
            else:
                for email in self._notified_by(step):
                    self.pages.append((self.now, email))
                    user = self.users[email]
                    if user not in self.group.notified:
                        self.group.notified.append(user)
            self._eta = self.now + delay
        self.now = max(self.now, to)

    def acknowledge(self, email: str, at: datetime) -> None:
        self.advance(at)
        self.group.acknowledged_at, self.group.acknowledged_by = at, self.users[email]
        self._eta = None
        self._fire("acknowledge", self.users[email])

    def unacknowledge(self, email: str, at: datetime) -> None:
        self.advance(at)
        self.group.acknowledged_at = self.group.acknowledged_by = None
        self._fire("unacknowledge", self.users[email])
        self._restart(START_ESCALATION_DELAY)

    def silence(self, email: str, at: datetime, until: datetime) -> None:
        self.advance(at)
        self.group.silenced_at, self.group.silenced_until = at, until
        self._eta = None
        self._fire("silence", self.users[email])

    def unsilence(self, email: str, at: datetime) -> None:
        self.advance(at)
        self.group.silenced_at = self.group.silenced_until = None
        self._fire("unsilence", self.users[email])
        self._restart(START_ESCALATION_DELAY)

    def resolve(self, email: str | None, at: datetime) -> None:
        """Resolved by a user, or by the source (Alertmanager's resolved notification) when `email` is None."""
        self.advance(at)
        self.group.resolved_at, self.group.resolved_by = at, self.users[email] if email else None
        self._eta = None
        self._fire("resolve", self.users[email] if email else None)

    def unresolve(self, email: str, at: datetime) -> None:
        self.advance(at)
        self.group.resolved_at = self.group.resolved_by = None
        self._fire("unresolve", self.users[email])
        self._restart(START_ESCALATION_DELAY)

    def redeliver(self, key: str, trigger: str, at: datetime, user: str | None = None) -> Delivery:
        """OnCall's retry of one delivery: the same webhook, its context built again at `at`."""
        self.now = at
        return self._execute(self.webhooks[key], trigger, self.users[user] if user else None)

    # Machinery -----------------------------------------------------------------------------------------------------

    def _restart(self, delay: timedelta) -> None:
        self._position = 0
        self._eta = self.now + delay

    def _notified_by(self, step) -> list[str]:
        if step.type == "notify_on_call_from_schedule":
            return [self.on_call[step.schedule]]
        if step.type == "notify_persons":
            return list(step.people)
        return []

    def _users_to_be_notified(self) -> list[dict]:
        seen: dict[str, dict] = {}
        for step in self._steps:
            for email in self._notified_by(step):
                user = self.users[email]
                seen.setdefault(user.id, user.serialized())
        return list(seen.values())

    def _fire(self, trigger: str, user: User | None = None) -> None:
        for hook in (reversed(self.plan.webhooks) if self.reverse_order else self.plan.webhooks):
            if hook.trigger == trigger or (hook.trigger == "status change" and trigger in STATUS_CHANGE_TRIGGERS):
                self._execute(hook, trigger, user)

    def context(self, hook: OutgoingWebhook, trigger: str, user: User | None = None) -> dict:
        group = self.group
        event: dict = {"type": trigger}
        times = {
            "alert group created": group.started_at, "acknowledge": group.acknowledged_at, "resolve": group.resolved_at,
            "silence": group.silenced_at, "escalation": self.now,
        }
        if trigger in times:
            event["time"] = times[trigger].isoformat() if times[trigger] else None
        if trigger == "silence":
            event["until"] = group.silenced_until.isoformat() if group.silenced_until else None
        latest: dict[str, object] = {}
        own = self.ids[hook.key]
        # Newest first (OnCall orders by timestamp); a later delivery at the same moment is the newer one.
        ordered = sorted(enumerate(self.responses), key=lambda ir: (ir[1][1], ir[0]), reverse=True)
        for webhook_id, _, content in (r for _, r in ordered):
            if webhook_id != own and webhook_id not in latest:
                latest[webhook_id] = content
        data = {
            "event": event,
            "user": user.serialized() if user else None,
            "alert_group": group.serialized(self.web_url),
            "alert_group_id": group.id,
            "alert_payload": group.payload,
            "integration": group.integration,
            "notified_users": [u.serialized() for u in group.notified],
            "users_to_be_notified": self._users_to_be_notified(),
            "alert_group_acknowledged_by": group.acknowledged_by.serialized() if group.acknowledged_by else None,
            "alert_group_resolved_by": group.resolved_by.serialized() if group.resolved_by else None,
        }
        if latest:
            data["responses"] = latest
        return data

    def _execute(self, hook: OutgoingWebhook, trigger: str, user: User | None = None) -> Delivery:
        context = self.context(hook, trigger, user)
        bound = {name: bind(text, self.ids) for name, text in (("url", hook.url), ("data", hook.data or ""), ("trigger", hook.trigger_template))}
        verdict = render(self.env, bound["trigger"], context)
        delivery = Delivery(hook.key, trigger, verdict.strip().lower() in ("true", "1"))
        self.deliveries.append(delivery)
        if not delivery.triggered:
            return delivery
        delivery.url = render(self.env, bound["url"], context)
        headers = {}
        body = None
        if hook.method in ("POST", "PUT", "PATCH") and hook.data:
            rendered = render(self.env, bound["data"], escape_payload(context))
            try:
                delivery.request = json.loads(rendered)
                body = json.dumps(delivery.request).encode()
                headers["Content-Type"] = "application/json"
            except ValueError:
                delivery.request = rendered
                body = rendered.encode()
        if hook.auth == "slack":
            headers["Authorization"] = "Bearer " + self.secrets["slack"]
        else:
            user_pass = f"{self.plan.jira_user}:{self.secrets['jira']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(user_pass).decode()
        target = delivery.url
        for prefix, local in self.resolve_hosts.items():
            if target.startswith(prefix):
                target = local + target[len(prefix):]
        request = urllib.request.Request(target, data=body, headers=headers, method=hook.method)
        try:
            with urllib.request.urlopen(request, timeout=4) as answer:
                delivery.status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            delivery.status, raw = error.code, error.read()
        try:
            delivery.response = json.loads(raw)
        except ValueError:
            delivery.response = raw.decode()
        self.responses.append((self.ids[hook.key], self.now, delivery.response))
        return delivery
