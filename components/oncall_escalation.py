"""Grafana OnCall escalation: each team's rotations, escalation chain and Alertmanager integration, via OnCall's API.

The same resources work against Grafana Cloud IRM: the self-hosted engine is a switch, the escalation policy is not.
The plans come rendered from the catalog (render.systems.oncall); this component only turns them into OnCall objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumiverse_grafana as grafana
from pulumiverse_grafana import oncall

from components.common import PACKAGE
from render.systems.incidents import TeamIncidents, bind
from render.systems.oncall import Step, TeamOnCall


@dataclass(frozen=True)
class OnCallEscalationArgs:
    api_url: pulumi.Input[str]
    """OnCall's API, reachable from where `pulumi up` runs."""
    api_token: pulumi.Input[str]
    """An OnCall API token (a Pulumi secret)."""
    plans: tuple[TeamOnCall, ...]
    depends_on: tuple[pulumi.Resource, ...] = ()
    """The running OnCall engine."""
    incidents: tuple[TeamIncidents, ...] = ()
    """The incident lifecycle of the teams that run one (render.systems.incidents)."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Secret name -> value for the Slack bot token and Jira passwords the lifecycle's webhooks send."""
    grafana_teams: pulumi.Resource | None = None
    """The Grafana teams (components.grafana_access): each team's OnCall objects then belong to its team."""


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
        self._incidents = {i.team: i for i in args.incidents}
        self._secrets = args.secrets
        self._grafana_teams = args.grafana_teams
        for plan in args.plans:
            link = self._team(f"{name}-{plan.team}", plan, on_oncall)
            if plan.integration_secret is not None:
                self.integration_links[plan.integration_secret] = link
        self.register_outputs({"teams": len(args.plans)})

    def _team(self, name: str, plan: TeamOnCall, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        users = {login: oncall.get_user_output(username=login, opts=invoke).id for login in plan.people}
        if self._grafana_teams is not None:
            # OnCall's own id of the team it synced from Grafana: only that team (and admins) see and edit these objects.
            team = oncall.get_team_output(
                name=plan.team,
                opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider, depends_on=[self._grafana_teams]),
            ).id
        else:
            team = None

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
                team_id=team,
                opts=opts,
            )
            schedules[shift.name] = oncall.Schedule(
                f"{name}-{shift.name}-schedule",
                name=shift.name,
                type="calendar",
                time_zone=shift.time_zone,
                shifts=[rotation.id],
                team_id=team,
                opts=opts,
            )

        chain = self._chain(f"{name}-chain", f"{name}-step", plan.team, plan.steps, schedules, users, {}, team, opts)
        integration = oncall.Integration(
            f"{name}-alertmanager",
            name=f"{plan.team} (Alertmanager)",
            type="alertmanager",
            default_route={"escalation_chain_id": chain.id},
            team_id=team,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["link"])),
        )
        incidents = self._incidents.get(plan.team)
        if incidents is not None:
            self._lifecycle(name, incidents, integration, schedules, users, team, opts)
        return pulumi.Output.secret(integration.link)

    def _chain(self, name: str, step_name: str, chain_name: str, steps: tuple[Step, ...], schedules: dict, users: dict,
               webhooks: dict[str, oncall.OutgoingWebhook], team: pulumi.Input[str] | None,
               opts: pulumi.ResourceOptions) -> oncall.EscalationChain:
        chain = oncall.EscalationChain(name, name=chain_name, team_id=team, opts=opts)
        for position, step in enumerate(steps):
            oncall.Escalation(
                f"{step_name}-{position}",
                escalation_chain_id=chain.id,
                position=position,
                type=step.type,
                duration=step.duration_seconds,
                important=step.important,
                notify_on_call_from_schedule=schedules[step.schedule].id if step.schedule else None,
                persons_to_notifies=[users[login] for login in step.people] if step.people else None,
                action_to_trigger=webhooks[step.webhook].id if step.webhook else None,
                opts=opts,
            )
        return chain

    def _lifecycle(self, name: str, plan: TeamIncidents, integration: oncall.Integration, schedules: dict, users: dict,
                   team: pulumi.Input[str] | None, opts: pulumi.ResourceOptions) -> None:
        """The team's incident webhooks, its incident chain, and the route that sends incident priorities there."""
        slack_auth = pulumi.Output.secret(pulumi.Output.concat("Bearer ", self._secrets[plan.slack_token_secret]))
        jira_password = pulumi.Output.secret(self._secrets[plan.jira_password_secret])
        webhooks: dict[str, oncall.OutgoingWebhook] = {}
        for hook in plan.webhooks:
            # A template names earlier webhooks by key; their ids exist once OnCall created them.
            ids = pulumi.Output.all(*(webhooks[k].id for k in hook.refs)).apply(lambda vals, refs=hook.refs: dict(zip(refs, vals)))
            webhooks[hook.key] = oncall.OutgoingWebhook(
                f"{name}-incident-{hook.key}",
                name=hook.name,
                trigger_type=hook.trigger,
                http_method=hook.method,
                url=hook.url,
                data=ids.apply(lambda i, text=hook.data: bind(text, i)) if hook.data else None,
                trigger_template=ids.apply(lambda i, text=hook.trigger_template: bind(text, i)),
                forward_whole_payload=False,
                integration_filters=[integration.id],
                authorization_header=slack_auth if hook.auth == "slack" else None,
                user=plan.jira_user if hook.auth == "jira" else None,
                password=jira_password if hook.auth == "jira" else None,
                team_id=team,
                opts=pulumi.ResourceOptions.merge(
                    opts, pulumi.ResourceOptions(additional_secret_outputs=["authorization_header", "password"])
                ),
            )
        chain = self._chain(f"{name}-incident-chain", f"{name}-incident-step", f"{plan.team} (incident)", plan.steps, schedules, users, webhooks, team, opts)
        oncall.Route(
            f"{name}-incident-route",
            integration_id=integration.id,
            escalation_chain_id=chain.id,
            routing_type="jinja2",
            routing_regex=plan.route,
            position=0,
            opts=opts,
        )
