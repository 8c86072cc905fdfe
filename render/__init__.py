"""Pure rendering: catalog + settings -> every artifact the platform ships. Nothing here imports Pulumi.

`render()` is deterministic: the same input yields byte-identical files, so `pulumi preview` shows no false diffs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property

from alerting_facts.labels import TEAM
from model.catalog import Organisation
from model.errors import CrossReferenceError
from model.settings import Settings
from render.alertmanager import config as alertmanager, notification_templates
from render.resources import chaos, slo as slo_crs
from render.rules import budgets, flapping, health as rules, kpis, slo as slo_rules
from render.systems import access, botkube, dashboards, falco, karma, metrics, oncall, otel
from render.systems.access import GrafanaTeam
from render.rules.enrichment import Enrichment
from render.systems.incidents import TeamIncidents, incident_plans
from render.systems.topology import grafana_internal_url, oncall_engine_url
from render.yamlio import dump


@dataclass(frozen=True)
class Artifacts:
    """What one environment ships, structured for the components and printable as files for the real tools."""

    alertmanager: dict
    """alertmanager.yml; receiver credentials only as `*_file` paths (see render.systems.topology)."""
    alertmanager_templates: dict[str, str]
    """Notification templates by file name, placed beside alertmanager.yml."""
    rule_files: dict[str, dict]
    """Prometheus rule files by file name; each becomes one VMRule."""
    karma: dict
    """Karma's configuration."""
    karma_acls: dict | None = None
    """Karma's silence ACL file (render.systems.access), when the UIs have signed-in users."""
    sloth_slos: tuple[dict, ...] = ()
    """PrometheusServiceLevel objects (sloth.slok.dev/v1), created by the Sloth component."""
    pyrra_slos: tuple[dict, ...] = ()
    """ServiceLevelObjective objects (pyrra.dev/v1alpha1), created by the Pyrra component."""
    chaos_objects: tuple[dict, ...] = ()
    """Litmus objects (runner access, ChaosExperiment, ChaosEngine) in the target namespaces, created by Litmus."""
    secrets: tuple[str, ...] = ()
    """Names of the secrets the rendered configs read from files."""
    dashboards: dict[str, str] = field(default_factory=dict)
    """Grafana dashboard JSON by file name (render.systems.dashboards), provisioned by the Grafana component."""
    application_metrics: Mapping[str, str] = field(default_factory=dict)
    """Metrics the teams' services expose, as the catalog declares them: name -> the declaring field."""
    falco_rules: tuple[dict, ...] = ()
    """The catalog's Falco rules (render.systems.falco.catalog_rules_file), loaded after the pinned upstream rule sets."""
    talon_rules: tuple[dict, ...] = ()
    """Falco Talon's rules file: the catalog's automated responses."""
    botkube_sources: Mapping[str, dict] = field(default_factory=dict)
    """Botkube's event sources, one per team with namespaces (render.systems.botkube.sources)."""
    botkube_channels: Mapping[str, dict] = field(default_factory=dict)
    """Botkube's Slack channels, each team's alert channel bound to its source (render.systems.botkube.slack_channels)."""
    botkube_bot_token_secret: str | None = None
    """The Slack bot token Botkube posts with; None: Botkube does not run (render.systems.botkube.bot_token_secret)."""
    falco_config: dict = field(default_factory=dict)
    """The falco chart's `falco` values the platform decides (render.systems.falco.falco_config)."""
    falcoctl_refs: tuple[str, ...] = ()
    """falcoctl refs of the pinned upstream rule sets (render.systems.falco.falcoctl_refs)."""
    falcosidekick_outputs: dict = field(default_factory=dict)
    """falcosidekick's `config` outputs: `alertmanager`, and `talon` when Talon runs (render.systems.falco.sidekick_outputs)."""
    runtime_response: falco.RuntimeResponse | None = None
    """What Falco Talon's deployment needs beside `talon_rules`; None: no response, no Talon."""
    otel_collector: dict = field(default_factory=dict)
    """The OpenTelemetry Collector's complete configuration (render.systems.otel.collector_config)."""
    escalation_plans: tuple[oncall.TeamOnCall, ...] = ()
    """Each team's OnCall rotations, escalation chain and integration, when the stack manages them (render.systems.oncall)."""
    incidents: tuple[TeamIncidents, ...] = ()
    """Each team's incident lifecycle in OnCall, when the stack manages escalation (render.systems.incidents)."""
    grafana_oncall_plugin: dict = field(default_factory=dict)
    """Grafana's provisioning file of the OnCall app (render.systems.oncall.grafana_plugin_provisioning)."""
    grafana_teams: tuple[GrafanaTeam, ...] = ()
    """The catalog's teams in Grafana, with their folders (render.systems.access.grafana_teams)."""
    grafana_folder_permissions: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Team -> (team, permission) on its folder (render.systems.access.folder_permissions)."""
    sloth_default_period: str = "30d"
    """The period Sloth's controller computes windows for (the catalog's `slo_defaults.sloth_period`)."""

    @cached_property
    def rule_texts(self) -> dict[str, str]:
        """Each rule file as YAML, dumped once for `rules/` and for the VMRules the program creates."""
        return {name: dump(content) for name, content in sorted(self.rule_files.items())}

    @cached_property
    def rule_teams(self) -> dict[str, str]:
        """The team owning each rule file: the one team its alerts are labelled with, if there is one."""
        owners = {}
        for name, content in self.rule_files.items():
            teams = {
                rule["labels"][TEAM]
                for group in content.get("groups", [])
                for rule in group.get("rules", [])
                if "alert" in rule and TEAM in (rule.get("labels") or {})
            }
            if len(teams) == 1:
                owners[name] = teams.pop()
        return owners

    def files(self) -> dict[str, str]:
        """Relative path -> file content of what the platform deploys, in a stable order."""
        out = {"alertmanager/alertmanager.yaml": dump(self.alertmanager)}
        out.update({f"alertmanager/{name}": text for name, text in sorted(self.alertmanager_templates.items())})
        out.update({f"rules/{name}": text for name, text in self.rule_texts.items()})
        out["karma/karma.yaml"] = dump(self.karma)
        if self.karma_acls is not None:
            out["karma/acls.yaml"] = dump(self.karma_acls)
        out.update({f"dashboards/{name}": text for name, text in sorted(self.dashboards.items())})
        out["application-metrics.yaml"] = dump({"metrics": dict(self.application_metrics)})
        out[f"falco/{falco.CATALOG_RULES_FILE}"] = dump(list(self.falco_rules))
        out["falco/talon_rules.yaml"] = dump(list(self.talon_rules))
        out.update(self._system_files())
        return out

    def _system_files(self) -> dict[str, str]:
        """The per-system configs components ship inside Helm values or API objects, as files `make check` reads."""
        out = {
            "falco/falco.yaml": dump(self.falco_config),
            "falco/falcosidekick.yaml": dump(self.falcosidekick_outputs),
            "otel/collector.yaml": dump(self.otel_collector),
            "grafana/oncall-plugin.yaml": dump(self.grafana_oncall_plugin),
        }
        if self.escalation_plans or self.incidents:
            out["oncall/escalation.yaml"] = dump({"teams": [asdict(plan) for plan in self.escalation_plans]})
            out["oncall/incidents.yaml"] = dump({"teams": [asdict(plan) for plan in self.incidents]})
        return out


def _rule_files(*parts: dict[str, dict]) -> dict[str, dict]:
    """One mapping of every rule file; two generators writing one file name would silently drop rules."""
    merged: dict[str, dict] = {}
    for part in parts:
        for name, content in part.items():
            if name in merged:
                raise CrossReferenceError([(("teams",), f"two generated rule files would both be rules/{name}; rename the team, service, SLO or budget whose name it joins")])
            merged[name] = content
    return merged


def render(org: Organisation, settings: Settings) -> Artifacts:
    """Every artifact of one environment."""
    am_config = alertmanager.render(org, settings)
    # Every alert carries its context (dependencies, impact, history, past incidents) to every integration.
    enrichment = Enrichment(org, settings)
    rule_files = _rule_files(
        rules.service_health_rules(org),
        rules.outage_rules(org),
        chaos.chaos_rules(org, settings),
        slo_rules.slo_rule_files(org),
        budgets.budget_rule_files(org),
        kpis.kpi_rule_files(org, settings),
        flapping.flapping_rules(org, settings),
    )
    talon_rules = falco.talon_rules(org, settings)
    teams = access.grafana_teams(org)
    # OnCall's objects are created only where the stack manages them; elsewhere there is nothing to render.
    manage_oncall = settings.oncall.escalation.manage
    return Artifacts(
        alertmanager=am_config,
        alertmanager_templates=notification_templates.render(org, settings),
        rule_files=enrichment.rule_files(rule_files),
        karma=karma.render(settings, org),
        karma_acls=karma.silence_acls(settings, org),
        chaos_objects=chaos.chaos_objects(org, settings),
        sloth_slos=slo_crs.sloth_objects(org),
        pyrra_slos=slo_crs.pyrra_objects(org),
        secrets=tuple(alertmanager.secrets_used(am_config)),
        dashboards=dashboards.dashboard_files(org),
        application_metrics=metrics.declared_metrics(org),
        falco_rules=tuple(falco.catalog_rules_file(org, settings)),
        talon_rules=tuple(talon_rules),
        botkube_sources=botkube.sources(org),
        botkube_channels=botkube.slack_channels(org),
        botkube_bot_token_secret=botkube.bot_token_secret(org, settings),
        falco_config=falco.falco_config(org, settings),
        falcoctl_refs=tuple(falco.falcoctl_refs()),
        falcosidekick_outputs=falco.sidekick_outputs(org, settings, talon=bool(talon_rules)),
        runtime_response=falco.runtime_response(org, settings) if talon_rules else None,
        otel_collector=otel.collector_config(settings),
        escalation_plans=oncall.escalation_plans(org) if manage_oncall else (),
        incidents=incident_plans(org) if manage_oncall else (),
        # With TLS the app calls Grafana, and has the engine call it, at the Service Grafana's certificate names.
        grafana_oncall_plugin=oncall.grafana_plugin_provisioning(
            oncall_engine_url(), grafana_internal_url(settings) if settings.tls.enabled else None
        ),
        grafana_teams=teams,
        grafana_folder_permissions={t.name: tuple(access.folder_permissions(org, t.name)) for t in teams},
        sloth_default_period=str(org.slo_defaults.sloth_period),
    )
