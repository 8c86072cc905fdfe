"""The catalog: the organisation, its teams and their services, as every team writes them.

Everything here is plain data. Secrets appear only as references (`SecretRef`) to entries of the stack's
`alerting-platform:secrets` config object; the values never pass through the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from model.base import Duration, EmailAddress, Name, PositiveDuration, SecretName, StrictModel, TimeOfDay, TimeZone, Url
from model.budgets import Budget, budget_problems
from model.chaos import NODE_FAULTS, ChaosExperiment, ChaosLevel, ChaosProgramme
from model.errors import CrossReferenceError, Loc, format_path
from model.security import RuntimeProfile, RuntimeSecurity, runtime_problems
from model.slo import SLO, SLODefaults, slo_problems


class Severity(StrEnum):
    """How bad the symptom is, as the alert rule states it."""

    critical = "critical"
    warning = "warning"
    info = "info"


class Priority(StrEnum):
    """How fast a human must act: derived from severity, service tier and business impact (see model.priority)."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class Tier(StrEnum):
    """How much the business depends on a service."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class SecretRef(StrictModel):
    """A reference to a secret by name; the value lives in Pulumi config (`pulumi config set --secret`)."""

    secret: SecretName


ChannelName = Annotated[str, Field(pattern=r"^#[a-z0-9][a-z0-9._-]{0,79}$", examples=["#payments-alerts"])]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WeekdayRange = Annotated[
    str,
    Field(
        pattern=r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
        r"(:(monday|tuesday|wednesday|thursday|friday|saturday|sunday))?$",
        examples=["monday:friday", "saturday"],
    ),
]


class SlackApp(StrictModel):
    """The organisation's Slack app: one bot token posts to any channel that has no webhook of its own."""

    bot_token: SecretRef


class SlackChannel(StrictModel):
    """A Slack channel; with a `webhook` it is reached through that incoming webhook, else through the Slack app."""

    channel: ChannelName
    webhook: SecretRef | None = None


class Slack(StrictModel):
    """Where a team talks: a channel for alerts and one for incidents (the war room)."""

    alerts: SlackChannel
    incidents: SlackChannel


class PagerDuty(StrictModel):
    """A PagerDuty service reached through its Events API v2 integration key."""

    routing_key: SecretRef


class Email(StrictModel):
    """Addresses that get alert mail; the SMTP relay is part of the stack settings."""

    to: list[EmailAddress] = Field(min_length=1)


class Webhook(StrictModel):
    """A generic webhook receiver; the URL often carries a token, so it is a secret."""

    name: Name
    kind: Literal["jira", "sms", "generic"]
    url: SecretRef


class Jira(StrictModel):
    """Jira Cloud or Server, reached by Alertmanager's native Jira integration for tickets."""

    api_url: Url
    project: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]
    issue_type: str = "Task"
    username: str
    password: SecretRef


class OnCall(StrictModel):
    """The team's Grafana OnCall rotation; the platform creates its integration unless `integration_url` is given."""

    rotation: list[EmailAddress] = Field(min_length=1, description="OnCall users (their e-mail logins) in rotation order")
    shift_length: Duration = Duration.of(days=7)
    manager: EmailAddress | None = Field(default=None, description="who a `manager` escalation step notifies")
    integration_url: SecretRef | None = None

    @model_validator(mode="after")
    def _shift_fits_the_calendar(self) -> OnCall:
        hour = Duration.of(hours=1).milliseconds
        if self.shift_length.milliseconds % hour or not Duration.of(hours=1) <= self.shift_length <= Duration.of(days=28):
            raise ValueError("shift_length must be whole hours, from 1h to 28d")
        return self


class BusinessHours(StrictModel):
    """When the team is at work, in its own time zone; P2 alerts wait for these hours."""

    timezone: TimeZone
    weekdays: list[WeekdayRange] = Field(default_factory=lambda: ["monday:friday"], min_length=1)
    start: TimeOfDay = "09:00"
    end: TimeOfDay = "17:00"

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class EscalationTarget(StrEnum):
    """Who an escalation step notifies."""

    primary_oncall = "primary-oncall"
    secondary_oncall = "secondary-oncall"
    team = "team"
    manager = "manager"
    incident_channel = "incident-channel"


class EscalationStep(StrictModel):
    """Notify someone after a delay counted from the previous step (the first from when the alert arrives)."""

    after: Duration = Duration(0)
    notify: EscalationTarget
    important: bool = True


class EscalationPolicy(StrictModel):
    """Ordered steps; the chain restarts `repeat` times if nobody acknowledges."""

    steps: list[EscalationStep] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=5)

    @model_validator(mode="after")
    def _later_steps_wait(self) -> EscalationPolicy:
        for i, step in enumerate(self.steps[1:], start=1):
            if step.after.milliseconds == 0:
                raise ValueError(f"steps[{i}].after must be longer than 0s: a later step that waits for nothing is not a step")
        return self


class WeeklyWindow(StrictModel):
    """A recurring window on some weekdays between two times of day."""

    weekdays: list[WeekdayRange] = Field(min_length=1)
    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _start_before_end(self) -> WeeklyWindow:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


ONE_OFF_FIRST_YEAR, ONE_OFF_LAST_YEAR, ONE_OFF_MAX_DAYS = 2000, 2999, 366


class OneOffWindow(StrictModel):
    """A single window between two moments (local time of the window's time zone)."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _start_before_end(self) -> OneOffWindow:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("write start and end without an offset; the window's `timezone` gives their zone")
        if any(moment.second or moment.microsecond for moment in (self.start, self.end)):
            raise ValueError("start and end must be whole minutes: Alertmanager time intervals have minute resolution")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        if not (ONE_OFF_FIRST_YEAR <= self.start.year and self.end.year <= ONE_OFF_LAST_YEAR):
            raise ValueError(f"start and end must fall in the years {ONE_OFF_FIRST_YEAR} to {ONE_OFF_LAST_YEAR}")
        if self.end - self.start > timedelta(days=ONE_OFF_MAX_DAYS):
            raise ValueError(f"a one-off window lasts at most {ONE_OFF_MAX_DAYS} days; use a weekly window for what recurs")
        return self


class MaintenanceWindow(StrictModel):
    """A time when alerts of a team (or only of some of its services) are muted, never dropped from history."""

    name: Name
    timezone: TimeZone = "UTC"
    services: list[Name] = Field(default_factory=list, description="empty: the whole team")
    weekly: WeeklyWindow | None = None
    once: OneOffWindow | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> MaintenanceWindow:
        if (self.weekly is None) == (self.once is None):
            raise ValueError("give exactly one of `weekly` or `once`")
        return self


# --- Incidents: who is who, and how an incident runs from first page to post-mortem (see docs/incidents.md) ------

SlackMemberId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,20}$", examples=["U024BE7LH"])]
"""A Slack member ID (Profile > Copy member ID); the Web API invites and mentions people by it, never by e-mail."""
SlackUserGroupId = Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,20}$", examples=["S0614TZR7"])]
JiraProjectKey = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,9}$")]

ROOM_PLACEHOLDERS = ("team", "priority", "service", "date", "id")
ROOM_ID_MAX = 20
"""OnCall's alert-group IDs (`public_primary_key`) are at most 20 characters (engine/apps/alerts/models/alert_group.py,
v1.16.5: CharField(max_length=20)); they are 13 in practice."""
ROOM_NAME_MAX = 80
"""Slack's limit for a channel name (conversations.create: lower case letters, digits, hyphens, underscores, <= 80)."""


class Person(StrictModel):
    """Someone the incident lifecycle invites, names or assigns: the OnCall login joins them to Slack and Jira."""

    email: EmailAddress = Field(description="their Grafana OnCall login, as in `oncall.rotation`")
    slack: SlackMemberId
    jira: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="Jira Cloud account ID (or Server/Data Center user name) post-mortems are assigned to",
    )


class PostmortemPolicy(StrictModel):
    """Where post-mortems are filed and how soon they are due, in business days of the owning team's calendar."""

    jira: Jira | None = Field(default=None, description="the Jira site, account and project; default: the team's own `jira`")
    project: JiraProjectKey | None = Field(default=None, description="default: the project of `jira`")
    issue_type: str | None = Field(default=None, min_length=1, max_length=60, description="default: the issue type of `jira`")
    due: dict[Priority, Annotated[int, Field(ge=1, le=60)]] = Field(
        default_factory=lambda: {Priority.P0: 2, Priority.P1: 5},
        description="business days from resolution to the post-mortem's due date, per incident priority",
    )
    jira_users: Literal["cloud", "server"] = Field(
        default="cloud", description="how Jira names an assignee: an account ID (cloud) or a user name (server)"
    )


class IncidentTargets(StrictModel):
    """The alerting-effectiveness targets, judged over OnCall's 7-day window; a team that misses one gets a P3 ticket."""

    mtta: PositiveDuration = Field(
        default_factory=lambda: Duration.of(minutes=5), description="mean time to acknowledge a page (critical alerts)"
    )
    mttr: dict[Priority, PositiveDuration] = Field(
        default_factory=lambda: {Priority.P1: Duration.of(minutes=30)},
        description="mean time to resolve, per priority",
    )
    false_positive_ratio: float = Field(
        default=0.05, gt=0, lt=1, description="largest share of pages that resolve by themselves within `short_page`"
    )
    short_page: PositiveDuration = Field(
        default_factory=lambda: Duration.of(minutes=5),
        description="a page resolved this soon without acknowledgement counts as a false positive",
    )
    min_pages: int = Field(default=10, ge=1, description="pages a week below which the false-positive share is not judged")


class IncidentPolicy(StrictModel):
    """How an incident runs: which priorities open one, its war room, who is invited, and its post-mortem."""

    enabled: bool = True
    priorities: list[Priority] = Field(default_factory=lambda: [Priority.P0, Priority.P1], description="priorities that open an incident")
    room_name: str = Field(
        default="inc-{date}-{team}-{id}",
        description="war-room channel name; placeholders {team} {priority} {service} {date} {id}; {id} (the alert group) is required",
    )
    invite_team: bool = Field(default=True, description="invite the owning team's rotation and manager")
    invite: list[SlackMemberId] = Field(default_factory=list, description="more people invited to every war room")
    invite_user_group: SlackUserGroupId | None = Field(
        default=None, description="a Slack user group whose members (the first 60) are invited and which the brief mentions"
    )
    platform_for: list[Priority] = Field(
        default_factory=lambda: [Priority.P0], description="priorities for which the platform team is invited too"
    )
    postmortem: PostmortemPolicy = Field(default_factory=PostmortemPolicy)
    targets: IncidentTargets = Field(default_factory=IncidentTargets)

    @field_validator("room_name")
    @classmethod
    def _room_name_is_a_slack_name(cls, pattern: str) -> str:
        problem = room_name_problem(pattern)
        if problem:
            raise ValueError(problem)
        return pattern


class IncidentPolicyOverride(StrictModel):
    """A team's changes to the organisation's incident policy: every field given replaces the organisation's."""

    enabled: bool | None = None
    priorities: list[Priority] | None = None
    room_name: str | None = None
    invite_team: bool | None = None
    invite: list[SlackMemberId] | None = None
    invite_user_group: SlackUserGroupId | None = None
    platform_for: list[Priority] | None = None
    postmortem: PostmortemPolicy | None = None
    targets: IncidentTargets | None = None

    @field_validator("room_name")
    @classmethod
    def _room_name_is_a_slack_name(cls, pattern: str | None) -> str | None:
        problem = room_name_problem(pattern) if pattern is not None else None
        if problem:
            raise ValueError(problem)
        return pattern


_ROOM_LITERAL = re.compile(r"^[a-z0-9_-]*$")


def _chaos_problems(ti: int, team: Team, own: set[str]) -> Iterator[tuple[Loc, str]]:
    """Experiments aimed at what the team owns, with what their fault and level need (see docs/chaos.md)."""
    services = {s.name: s for s in team.services}
    windows = {w.name: w for w in team.maintenance}
    programme = team.chaos
    if programme.maintenance_window is not None:
        window = windows.get(programme.maintenance_window)
        if window is None or window.weekly is None:
            yield ("teams", ti, "chaos", "maintenance_window"), (
                f"{programme.maintenance_window!r} is not a weekly maintenance window of team {team.name!r}"
            )
    for ci, experiment in enumerate(team.chaos_experiments):
        loc = ("teams", ti, "chaos_experiments", ci)
        if experiment.service not in own:
            yield (*loc, "service"), (
                f"{experiment.service!r} is not a service of team {team.name!r}: teams inject faults only into their own services"
            )
            continue
        service = services[experiment.service]
        if experiment.fault in NODE_FAULTS and not service.node_faults:
            yield (*loc, "fault"), (
                f"{experiment.fault.value} hits every pod on the node: allowed only where the service says so "
                f"(node_faults: true on service {service.name!r})"
            )
        if experiment.dependency is not None and experiment.dependency not in service.depends_on:
            yield (*loc, "dependency"), f"{experiment.dependency!r} is not in depends_on of service {service.name!r}"
        level = experiment.level
        if level is None:
            continue
        if experiment.fault not in programme.faults.get(level, []):
            yield (*loc, "fault"), f"{experiment.fault.value} is not a {level.value} fault of team {team.name!r} (chaos.faults)"
        if experiment.steady_state is None and experiment.http_check is None:
            yield (*loc, "steady_state"), "required for a scheduled experiment: give steady_state (PromQL) or http_check"
        if not service.slos:
            yield (*loc, "level"), (
                f"a scheduled experiment needs an SLO of service {service.name!r}: runs are skipped while it burns, "
                "and recovery is measured on it"
            )
        if level == ChaosLevel.medium and programme.maintenance_window is None:
            yield ("teams", ti, "chaos", "maintenance_window"), f"required: medium experiment {experiment.name!r} runs in it"
        if level == ChaosLevel.light:
            hours = team.business_hours
            if hours.start <= programme.off_peak < hours.end:
                yield ("teams", ti, "chaos", "off_peak"), (
                    f"{programme.off_peak} is inside business hours {hours.start}-{hours.end}: light chaos runs off-peak"
                )


def room_name_problem(pattern: str) -> str | None:
    """Why a room-name pattern cannot give Slack channel names, or None."""
    names = re.findall(r"\{([^{}]*)\}", pattern)
    unknown = sorted(set(names) - set(ROOM_PLACEHOLDERS))
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}}; use {', '.join('{' + p + '}' for p in ROOM_PLACEHOLDERS)}"
    if "id" not in names:
        return "must contain {id}: a war room is unique per incident"
    literal = re.sub(r"\{[^{}]*\}", "", pattern)
    if not _ROOM_LITERAL.match(literal):
        return "Slack channel names are lower case letters, digits, hyphens and underscores"
    return None


def room_name_length(pattern: str, team: str, services: list[str]) -> int:
    """The longest name the pattern can give for the team: its longest service, a 20-character alert-group ID."""
    widths = {"team": len(team), "priority": 2, "service": max((len(s) for s in services), default=0), "date": 8, "id": ROOM_ID_MAX}
    return len(re.sub(r"\{([^{}]*)\}", lambda m: "x" * widths[m.group(1)], pattern))


DISABLED_INCIDENTS = IncidentPolicy(enabled=False)
"""An organisation without an `incidents` policy: no lifecycle unless a team turns it on, default targets."""


class Impact(StrictModel):
    """What a full outage of the service costs the business."""

    revenue_affecting: bool = False
    user_facing: bool = False
    affected_users: int = Field(default=0, ge=0)
    revenue_per_hour: float = Field(default=0, ge=0, description="revenue lost per hour of outage")


class Service(StrictModel):
    """Something a team runs and is paged for."""

    name: Name
    description: str = ""
    tier: Tier
    impact: Impact = Impact()
    depends_on: list[Name] = Field(default_factory=list)
    runbook_url: Url
    dashboard_url: Url
    namespace: Name
    selector: dict[str, str] = Field(default_factory=dict, description="pod labels; default app.kubernetes.io/name=<name>")
    slos: list[SLO] = Field(default_factory=list, description="service level objectives (see docs/slo.md)")
    budgets: list[Budget] = Field(default_factory=list, description="performance budgets (see docs/slo.md)")
    runtime: RuntimeProfile | None = Field(default=None, description="what its containers run (see docs/security.md)")
    node_faults: bool = Field(
        default=False, description="chaos node faults (node-drain, node-cpu-hog, node-memory-hog) may hit this service's nodes"
    )

    @property
    def pod_selector(self) -> dict[str, str]:
        return dict(sorted((self.selector or {"app.kubernetes.io/name": self.name}).items()))


class Team(StrictModel):
    """A team: how to reach it, when it works, how it escalates, and the services it owns."""

    name: Name
    display_name: str
    slack: Slack
    pagerduty: PagerDuty | None = None
    email: Email | None = None
    jira: Jira | None = None
    oncall: OnCall | None = None
    webhooks: list[Webhook] = Field(default_factory=list)
    business_hours: BusinessHours
    escalation: EscalationPolicy
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    chaos_experiments: list[ChaosExperiment] = Field(default_factory=list)
    chaos: ChaosProgramme = Field(default_factory=ChaosProgramme, description="when scheduled experiments run (docs/chaos.md)")
    incidents: IncidentPolicyOverride | None = Field(
        default=None, description="changes to the organisation's incident policy for this team (see docs/incidents.md)"
    )
    services: list[Service] = Field(default_factory=list)
    members: list[EmailAddress] = Field(
        default_factory=list,
        description="people who act for the team in Karma and Grafana besides its OnCall rotation and manager, by the e-mail "
        "the authentication proxy signs them in with",
    )

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone who acts for the team, sorted: its rotation, its manager and its members."""
        found = set(self.members)
        if self.oncall is not None:
            found.update(self.oncall.rotation)
            if self.oncall.manager:
                found.add(self.oncall.manager)
        return tuple(sorted(found))


class Organisation(StrictModel):
    """The whole catalog. Constructing one checks every reference between its parts."""

    name: Name
    platform_team: Name = Field(description="owns the catch-all receiver: alerts without a known team go here")
    security_team: Name
    slack: SlackApp | None = None
    major_impact_users: int = Field(
        default=10_000, ge=1, description="an outage affecting at least this many users counts as high impact"
    )
    runbook_url: Url | None = Field(
        default=None, description="runbook for alerts about the whole cluster rather than one service"
    )
    dashboard_url: Url | None = Field(
        default=None, description="dashboard for alerts about the whole cluster rather than one service"
    )
    slo_defaults: SLODefaults = Field(default_factory=SLODefaults, description="engine, profile and policy of SLOs")
    runtime_security: RuntimeSecurity = Field(
        default_factory=RuntimeSecurity, description="automated responses to runtime threats (see docs/security.md)"
    )
    incidents: IncidentPolicy | None = Field(
        default=None,
        description="the incident lifecycle and its targets for every team unless it overrides them; absent: no lifecycle",
    )
    people: list[Person] = Field(
        default_factory=list, description="Slack member IDs (and Jira accounts) of the people in rotations, by OnCall login"
    )
    teams: list[Team] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> Organisation:
        problems = list(_reference_problems(self))
        if problems:
            raise CrossReferenceError(problems)
        return self

    # Lookups used by the renderers; the model is frozen, so these are cheap views.
    def services(self) -> Iterator[tuple[Team, Service]]:
        for team in self.teams:
            for service in team.services:
                yield team, service

    def team(self, name: str) -> Team:
        return next(t for t in self.teams if t.name == name)

    @cached_property
    def service_index(self) -> dict[str, tuple[Team, Service]]:
        """Service name -> its team and itself: renderers look services up per rule, thousands of times."""
        return {s.name: (t, s) for t, s in self.services()}

    def service(self, name: str) -> Service:
        return self.service_index[name][1]

    def owner(self, service_name: str) -> Team:
        return self.service_index[service_name][0]

    def person(self, email: str) -> Person | None:
        return next((p for p in self.people if p.email == email), None)

    def incident_policy(self, team: Team) -> IncidentPolicy:
        """The organisation's incident policy (off when it has none) with the team's overrides applied."""
        base = self.incidents if self.incidents is not None else DISABLED_INCIDENTS
        if team.incidents is None:
            return base
        # Each override field was validated on its own; together they are a valid policy by construction.
        given = {k: v for k in team.incidents.model_fields_set if (v := getattr(team.incidents, k)) is not None}
        return base.model_copy(update=given)

    def runs_incidents(self, team: Team) -> bool:
        """Whether the team's P0/P1 open war rooms: it needs its OnCall rotation and the organisation's Slack app."""
        policy = self.incident_policy(team)
        return policy.enabled and bool(policy.priorities) and team.oncall is not None and self.slack is not None

    def secret_refs(self) -> list[tuple[str, str]]:
        """Every secret the catalog refers to, with the field path of its first use, sorted by name."""
        seen: dict[str, str] = {}
        for loc, ref in _walk_refs(self, ()):
            seen.setdefault(ref.secret, format_path(loc))
        return sorted(seen.items())


def _walk_refs(obj: object, loc: tuple) -> Iterator[tuple[tuple, SecretRef]]:
    if isinstance(obj, SecretRef):
        yield loc, obj
    elif isinstance(obj, StrictModel):
        for field in type(obj).model_fields:
            yield from _walk_refs(getattr(obj, field), loc + (field,))
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from _walk_refs(item, loc + (i,))


def _duplicates(names: list[str]) -> set[str]:
    seen: set[str] = set()
    return {n for n in names if n in seen or seen.add(n)}


def _reference_problems(org: Organisation) -> Iterator[tuple[Loc, str]]:
    team_names = [t.name for t in org.teams]
    for name in sorted(_duplicates(team_names)):
        yield ("teams", team_names.index(name, team_names.index(name) + 1), "name"), f"duplicate team name {name!r}"
    for field in ("platform_team", "security_team"):
        if getattr(org, field) not in team_names:
            yield (field,), f"unknown team {getattr(org, field)!r}; teams are: {', '.join(sorted(team_names))}"
    if org.platform_team in team_names:
        index = team_names.index(org.platform_team)
        platform = org.teams[index]
        if platform.pagerduty is None and platform.oncall is None:
            yield ("teams", index, "pagerduty"), (
                "required: the platform team is the on-call of last resort for teams nobody can page "
                "(give `pagerduty` or `oncall`)"
            )

    where: dict[str, tuple[int, int]] = {}
    for ti, team in enumerate(org.teams):
        for si, service in enumerate(team.services):
            if service.name in where:
                yield ("teams", ti, "services", si, "name"), f"duplicate service name {service.name!r}: service names are unique across the organisation"
            else:
                where[service.name] = (ti, si)

    for ti, team in enumerate(org.teams):
        own = {s.name for s in team.services}
        for si, service in enumerate(team.services):
            for di, dep in enumerate(service.depends_on):
                if dep == service.name:
                    yield ("teams", ti, "services", si, "depends_on", di), "a service cannot depend on itself"
                elif dep not in where:
                    yield ("teams", ti, "services", si, "depends_on", di), f"unknown service {dep!r}"
        window_names = [w.name for w in team.maintenance]
        for name in sorted(_duplicates(window_names)):
            yield ("teams", ti, "maintenance", window_names.index(name, window_names.index(name) + 1), "name"), (
                f"duplicate maintenance window name {name!r}"
            )
        for mi, window in enumerate(team.maintenance):
            for wi, name in enumerate(window.services):
                if name not in own:
                    yield ("teams", ti, "maintenance", mi, "services", wi), f"{name!r} is not a service of team {team.name!r}"
        for loc, channel in (("incidents", team.slack.incidents), ("alerts", team.slack.alerts)):
            if channel.webhook is None and org.slack is None:
                yield ("teams", ti, "slack", loc, "webhook"), "required: the organisation has no Slack app (`slack.bot_token`) to post with"
        if team.oncall is not None:
            for si, step in enumerate(team.escalation.steps):
                if step.after.milliseconds and not Duration.of(minutes=1) <= step.after <= Duration.of(hours=24):
                    yield ("teams", ti, "escalation", "steps", si, "after"), "must be 0s or between 1m and 24h for Grafana OnCall"
                if step.notify == EscalationTarget.manager and team.oncall.manager is None:
                    yield ("teams", ti, "oncall", "manager"), f"required: escalation.steps[{si}] notifies the manager"
                if step.notify == EscalationTarget.secondary_oncall and len(team.oncall.rotation) < 2:
                    yield ("teams", ti, "oncall", "rotation"), (
                        f"needs two people: escalation.steps[{si}] notifies the secondary on-call"
                    )
        yield from _chaos_problems(ti, team, own)
        webhook_names = [w.name for w in team.webhooks]
        for name in sorted(_duplicates(webhook_names)):
            yield ("teams", ti, "webhooks", webhook_names.index(name, webhook_names.index(name) + 1), "name"), f"duplicate webhook name {name!r}"
        paging = [s.name for s in team.services if s.tier == Tier.critical and s.impact.revenue_affecting]
        if paging and team.pagerduty is None and team.oncall is None:
            yield ("teams", ti, "pagerduty"), (
                f"required: {', '.join(paging)} can raise P0 alerts, which must page (give `pagerduty` or `oncall`)"
            )

    yield from _incident_problems(org)

    experiment_names = [(ti, ci, e.name) for ti, t in enumerate(org.teams) for ci, e in enumerate(t.chaos_experiments)]
    seen_experiments: set[str] = set()
    for ti, ci, name in experiment_names:
        if name in seen_experiments:
            yield ("teams", ti, "chaos_experiments", ci, "name"), f"duplicate chaos experiment name {name!r}"
        seen_experiments.add(name)

    cycle = _find_cycle({s.name: [d for d in s.depends_on if d in where] for _, s in org.services()})
    if cycle:
        ti, si = where[cycle[0]]
        yield ("teams", ti, "services", si, "depends_on"), "dependency cycle: " + " -> ".join(cycle + [cycle[0]])

    yield from slo_problems(org)
    yield from budget_problems(org)
    yield from runtime_problems(org)


def _incident_problems(org: Organisation) -> Iterator[tuple[Loc, str]]:
    """What a team's incident lifecycle needs: Slack IDs of the people it invites, a Jira for post-mortems, a due time
    for every incident priority and a room name Slack accepts."""
    emails = [p.email for p in org.people]
    for name in sorted(_duplicates(emails)):
        yield ("people", emails.index(name, emails.index(name) + 1), "email"), f"duplicate person {name!r}"
    platform = org.team(org.platform_team) if org.platform_team in {t.name for t in org.teams} else None
    missing: dict[str, str] = {}
    for ti, team in enumerate(org.teams):
        where = ("teams", ti, "incidents")
        if team.incidents is not None and org.incident_policy(team).enabled:
            if team.oncall is None:
                yield where, "the incident lifecycle runs on Grafana OnCall: give the team an `oncall` rotation or set `enabled: false`"
            if org.slack is None:
                yield where, "the incident lifecycle opens war rooms through the organisation's Slack app (`slack.bot_token`)"
        if org.runs_incidents(team) and team.oncall is not None and team.oncall.integration_url is not None:
            yield ("teams", ti, "oncall", "integration_url"), (
                "the incident lifecycle hangs off the OnCall integration the platform creates: drop `integration_url` "
                "or set `incidents: {enabled: false}`"
            )
        if not org.runs_incidents(team):
            continue
        policy = org.incident_policy(team)
        origin = where if team.incidents is not None and team.incidents.postmortem is not None else ("incidents",)
        for priority in policy.priorities:
            if priority not in policy.postmortem.due:
                yield (*origin, "postmortem", "due"), f"required for {priority.value}: team {team.name!r} opens incidents at {priority.value}"
        if policy.postmortem.jira is None and team.jira is None:
            yield (*origin, "postmortem", "jira"), f"required: team {team.name!r} has no `jira` to file post-mortems in"
        length = room_name_length(policy.room_name, team.name, [s.name for s in team.services])
        if length > ROOM_NAME_MAX:
            yield (*where[:2], "incidents", "room_name"), (
                f"gives names of up to {length} characters for team {team.name!r}; Slack allows {ROOM_NAME_MAX}"
            )
        assert team.oncall is not None
        people = [*team.oncall.rotation, *([team.oncall.manager] if team.oncall.manager else [])] if policy.invite_team else []
        if platform is not None and set(policy.priorities) & set(policy.platform_for) and platform.oncall is not None:
            people += [*platform.oncall.rotation, *([platform.oncall.manager] if platform.oncall.manager else [])]
        # The on-call and the commander are rotation members: the lifecycle names them by their Slack IDs.
        people += team.oncall.rotation
        for email in people:
            if org.person(email) is None:
                missing.setdefault(email, team.name)
    if missing:
        listed = ", ".join(f"{email} (team {team})" for email, team in sorted(missing.items()))
        yield ("people",), f"missing {listed}: war rooms invite and name people by their Slack member ID"


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """The first cycle found by a depth-first walk in name order, or None (iterative: chains can be long)."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        stack = [iter(sorted(graph.get(root, [])))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(finished := path.pop())
                on_path.discard(finished)
            elif nxt in on_path:
                return path[path.index(nxt):]
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(sorted(graph.get(nxt, []))))
    return None
