"""Grafana OnCall escalation: each team's rotations, escalation chain and Alertmanager integration, via OnCall's API.

The same resources work against Grafana Cloud IRM: the self-hosted engine is a switch, the escalation policy is not.
The plans come rendered from the catalog (render.oncall); this component only turns them into OnCall objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumiverse_grafana as grafana
from pulumiverse_grafana import oncall

from components.common import PACKAGE
from render.oncall import TeamOnCall


@dataclass(frozen=True)
class OnCallEscalationArgs:
    api_url: pulumi.Input[str]
    """OnCall's API, reachable from where `pulumi up` runs."""
    api_token: pulumi.Input[str]
    """An OnCall API token (a Pulumi secret)."""
    plans: tuple[TeamOnCall, ...]
    depends_on: tuple[pulumi.Resource, ...] = ()
    """The running OnCall engine."""


class OnCallEscalation(pulumi.ComponentResource):
    """Schedules, escalation chains and integrations of every team with an OnCall rotation."""

    integration_links: dict[str, pulumi.Output[str]]
    """Receiver secret name -> the URL Alertmanager posts to (a secret: the URL is the credential)."""

    def __init__(self, name: str, args: OnCallEscalationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:OnCallEscalation", name, None, opts)
        self.provider = grafana.Provider(
            f"{name}-provider",
            oncall_url=args.api_url,
            oncall_access_token=pulumi.Output.secret(args.api_token),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_oncall = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(args.depends_on) or None)
        self.integration_links = {}
        for plan in args.plans:
            link = self._team(f"{name}-{plan.team}", plan, on_oncall)
            if plan.integration_secret is not None:
                self.integration_links[plan.integration_secret] = link
        self.register_outputs({"teams": len(args.plans)})

    def _team(self, name: str, plan: TeamOnCall, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        users = {login: oncall.get_user_output(username=login, opts=invoke).id for login in plan.people}

        schedules = {}
        for shift in plan.shifts:
            rotation = oncall.OnCallShift(
                f"{name}-{shift.name}-shift",
                name=shift.name,
                type="rolling_users",
                start=shift.start,
                duration=shift.duration_seconds,
                frequency=shift.frequency,
                interval=shift.interval,
                week_start="MO",
                time_zone=shift.time_zone,
                rolling_users=[[users[login]] for login in shift.people],
                start_rotation_from_user_index=shift.offset,
                opts=opts,
            )
            schedules[shift.name] = oncall.Schedule(
                f"{name}-{shift.name}-schedule",
                name=shift.name,
                type="calendar",
                time_zone=shift.time_zone,
                shifts=[rotation.id],
                opts=opts,
            )

        chain = oncall.EscalationChain(f"{name}-chain", name=plan.team, opts=opts)
        for position, step in enumerate(plan.steps):
            oncall.Escalation(
                f"{name}-step-{position}",
                escalation_chain_id=chain.id,
                position=position,
                type=step.type,
                duration=step.duration_seconds,
                important=step.important,
                notify_on_call_from_schedule=schedules[step.schedule].id if step.schedule else None,
                persons_to_notifies=[users[login] for login in step.people] if step.people else None,
                opts=opts,
            )
        integration = oncall.Integration(
            f"{name}-alertmanager",
            name=f"{plan.team} (Alertmanager)",
            type="alertmanager",
            default_route={"escalation_chain_id": chain.id},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["link"])),
        )
        return pulumi.Output.secret(integration.link)
