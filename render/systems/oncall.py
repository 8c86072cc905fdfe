"""Grafana OnCall: how Grafana finds the engine (the plugin's provisioning file), and each team's rotations,
escalation chain and Alertmanager integration, from the catalog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from model.base import Duration
from model.catalog import EscalationTarget, OnCall, Organisation, Team
from render.alertmanager.receivers import oncall_secret

ONCALL_PLUGIN_ID = "grafana-oncall-app"
ONCALL_PLUGIN_FILE = "oncall.yaml"


def grafana_plugin_provisioning(engine_url: str, grafana_url: str | None = None) -> dict:
    """Grafana's provisioning of the OnCall app: enabled, pointed at the self-hosted engine, open-source licence.

    stackId/orgId are the fixed values a self-hosted engine expects from an open-source Grafana. `grafana_url` is where
    the app's backend calls Grafana's API and what it hands the engine on every sync, which the engine then calls
    (`jsonData.grafanaUrl`, else Grafana's root_url: grafana-plugin/pkg/plugin/settings.go and
    engine/apps/user_management/sync.py, OnCall v1.16.5).
    """
    json_data = {"stackId": 5, "orgId": 100, "onCallApiUrl": engine_url, "license": "OpenSource"}
    if grafana_url is not None:
        json_data["grafanaUrl"] = grafana_url
    return {
        "apiVersion": 1,
        "apps": [
            {
                "type": ONCALL_PLUGIN_ID,
                "org_id": 1,
                "disabled": False,
                "jsonData": json_data,
            }
        ],
    }


# --- Escalation: the catalog's rotations and escalation policies as Grafana OnCall objects ---------------------------

ROUND_PAUSE = Duration.of(minutes=5)
SHIFT_EPOCH = "2026-01-05"
"""A Monday: rotations are anchored here, at the start of the team's business hours, in the team's time zone."""


@dataclass(frozen=True)
class Shift:
    """A rolling rotation through the team's people; `offset` 1 is the secondary, one person ahead."""

    name: str
    start: str
    duration_seconds: int
    frequency: str
    interval: int
    people: tuple[str, ...]
    offset: int
    time_zone: str


@dataclass(frozen=True)
class Step:
    """One OnCall escalation step; `schedule` names the shift whose current person is notified, `webhook` the
    outgoing webhook a `trigger_webhook` step calls (by its key in the team's incident plan)."""

    type: str
    duration_seconds: int | None = None
    schedule: str | None = None
    people: tuple[str, ...] = ()
    important: bool | None = None
    webhook: str | None = None


@dataclass(frozen=True)
class TeamOnCall:
    """Everything OnCall needs for one team: its rotations, escalation chain and Alertmanager integration."""

    team: str
    shifts: tuple[Shift, ...]
    steps: tuple[Step, ...]
    integration_secret: str | None
    """The receiver secret that gets the integration's URL, or None when the team brings its own integration."""

    @property
    def people(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for shift in self.shifts:
            seen.update(dict.fromkeys(shift.people))
        for step in self.steps:
            seen.update(dict.fromkeys(step.people))
        return tuple(seen)


def _shift(team: Team, oncall: OnCall, role: str, offset: int) -> Shift:
    hours = oncall.shift_length.milliseconds // 3_600_000
    frequency, interval = ("daily", hours // 24) if hours % 24 == 0 else ("hourly", hours)
    return Shift(
        name=f"{team.name}-{role}",
        start=f"{SHIFT_EPOCH}T{team.business_hours.start}:00",
        duration_seconds=hours * 3600,
        frequency=frequency,
        interval=interval,
        people=tuple(oncall.rotation),
        offset=offset,
        time_zone=team.business_hours.timezone,
    )


def shift_names(team: Team) -> tuple[str, str]:
    """The primary and secondary shift of a team (one shift when no step notifies the secondary)."""
    needs_secondary = any(s.notify == EscalationTarget.secondary_oncall for s in team.escalation.steps)
    return f"{team.name}-primary", f"{team.name}-secondary" if needs_secondary else f"{team.name}-primary"


def chain_steps(team: Team, announce: Callable[[int], Step] | None = None) -> list[Step]:
    """The team's escalation chain; `announce(i)`, when given, runs before catalog step i notifies anyone, in every
    round but before the very first page (whoever opens the incident already says who is paged first)."""
    assert team.oncall is not None
    primary, secondary = shift_names(team)
    return _steps(team, team.oncall, primary, secondary, announce)


def _steps(
    team: Team, oncall: OnCall, primary: str, secondary: str, announce: Callable[[int], Step] | None = None
) -> list[Step]:
    steps: list[Step] = []
    for index, step in enumerate(team.escalation.steps):
        if step.after.milliseconds and index:
            steps.append(Step("wait", duration_seconds=int(step.after.seconds)))
        if announce is not None and index:
            steps.append(announce(index))
        target = step.notify
        if target == EscalationTarget.primary_oncall:
            steps.append(Step("notify_on_call_from_schedule", schedule=primary, important=step.important))
        elif target == EscalationTarget.secondary_oncall:
            steps.append(Step("notify_on_call_from_schedule", schedule=secondary, important=step.important))
        elif target == EscalationTarget.team:
            steps.append(Step("notify_persons", people=tuple(oncall.rotation), important=step.important))
        elif target == EscalationTarget.manager:
            assert oncall.manager is not None  # the catalog refuses a manager step without a manager
            steps.append(Step("notify_persons", people=(oncall.manager,), important=step.important))
        elif target == EscalationTarget.incident_channel:
            steps.append(Step("notify_whole_channel", important=step.important))
    # OnCall's own repeat step always repeats up to five times; unrolling the chain repeats it exactly as often as
    # the catalog says. Between rounds it waits as long as the chain's last step did (five minutes at least).
    pause = Step("wait", duration_seconds=int(max(team.escalation.steps[-1].after, ROUND_PAUSE).seconds))
    again = [announce(0)] if announce is not None else []
    rounds = [steps] + [[pause, *again, *steps] for _ in range(team.escalation.repeat)]
    return [step for round_ in rounds for step in round_]


def escalation_plans(org: Organisation) -> tuple[TeamOnCall, ...]:
    """One plan per team with an OnCall rotation, in catalog order."""
    plans = []
    for team in org.teams:
        oncall = team.oncall
        if oncall is None:
            continue
        needs_secondary = any(s.notify == EscalationTarget.secondary_oncall for s in team.escalation.steps)
        shifts = [_shift(team, oncall, "primary", 0)]
        if needs_secondary:
            shifts.append(_shift(team, oncall, "secondary", 1))
        plans.append(
            TeamOnCall(
                team=team.name,
                shifts=tuple(shifts),
                steps=tuple(_steps(team, oncall, shifts[0].name, shifts[-1].name)),
                integration_secret=None if oncall.integration_url else oncall_secret(team),
            )
        )
    return tuple(plans)
