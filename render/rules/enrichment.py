"""Alert enrichment: what a responder needs beside the alert, carried by the alert itself.

Every alert rule the platform renders gets annotations from the catalog and the environment. Annotations travel
with the alert everywhere: the notification templates show them (Slack, e-mail, PagerDuty details, Jira), and
webhooks and Grafana OnCall receive them in Alertmanager's JSON payload (OnCall's Alertmanager integration lists
the group's common annotations under the alert). For alerts that arrive without them (hand-written rules, other
tools) the templates fall back to the same facts looked up by the alert's `service` label (catalog.tmpl).

| annotation | what |
|---|---|
| `depends_on`, `dependants` | the service's direct dependencies and the services that depend on it directly |
| `impact` | tier, revenue-affecting, user-facing, affected users, revenue per hour (where the catalog gives them) |
| `priority_reason` | why the alert has its priority (model.priority.reason) |
| `history_url` | Grafana Explore on `ALERTS{alertname, service}`: the same alert's firings over the last 30 days |
| `incidents_url` | Grafana OnCall's alert groups, searched for the alert name and service, resolved in the last 90 days |
| `burn_impact` | native SLO burn alerts: the least error ratio the alert fires on, in affected users and revenue |
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from urllib.parse import quote_plus

from alerting_facts.labels import SERVICE, SEVERITY, SLO
from model.catalog import Organisation, Service, Severity
from model.priority import reason
from model.promql import number, quote
from model.settings import Settings
from model.slo import ResolvedSLO, resolved_slos
from model.slo import AlertTier

METRICS_DATASOURCE = "victoriametrics"
"""The uid of the Grafana datasource over VictoriaMetrics (components.grafana provisions it)."""
HISTORY_PANE = "hst"
"""Explore's pane id: three characters, at least one a letter (Grafana refuses others and makes up its own)."""
HISTORY_FROM = "now-30d"
INCIDENTS_RANGE = "now-90d_now"
"""OnCall's `started_at` filter: a relative range its UI turns into dates."""
RESOLVED = 2
"""OnCall's alert group status `resolved` (engine/apps/alerts/models/alert_group.py)."""
BURN_ALERT = "ErrorBudgetBurn"


def impact_text(service: Service, major_impact_users: int) -> str:
    """One line a responder reads first: how much of the business this service carries."""
    impact = service.impact
    parts = [f"tier {service.tier.value}"]
    if impact.revenue_affecting:
        parts.append("revenue-affecting")
    if impact.user_facing:
        parts.append("user-facing")
    if impact.affected_users:
        parts.append(f"{impact.affected_users:,} users affected")
    if impact.revenue_per_hour:
        parts.append(f"{impact.revenue_per_hour:,.0f} revenue per hour at risk")
    if len(parts) == 1:
        parts.append("no business impact recorded")
    elif impact.affected_users >= major_impact_users:
        parts.append("major impact")
    return ", ".join(parts)


def direct_dependants(org: Organisation) -> dict[str, list[str]]:
    """For every service, the services that name it in `depends_on`, sorted."""
    out: dict[str, list[str]] = {}
    for _, service in org.services():
        for dependency in service.depends_on:
            out.setdefault(dependency, []).append(service.name)
    return {name: sorted(names) for name, names in out.items()}


def names_text(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _json(value: object) -> str:
    # As Go's json.Marshal writes a map (sorted keys, no spaces), so the templates build the same link.
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def history_query(labels: Mapping[str, str]) -> str:
    """The alert's own firings: the `ALERTS` series the rule evaluator writes to VictoriaMetrics."""
    matchers = [f"alertname={quote(labels.get('alertname', ''))}", 'alertstate="firing"']
    if labels.get(SERVICE):
        matchers.append(f"{SERVICE}={quote(labels[SERVICE])}")
    return "ALERTS{" + ", ".join(matchers) + "}"


def history_url(settings: Settings, labels: Mapping[str, str]) -> str:
    """Grafana Explore (URL schema 1) on the alert's firings over the last 30 days."""
    query = {"refId": "A", "datasource": {"type": "prometheus", "uid": METRICS_DATASOURCE}, "expr": history_query(labels)}
    panes = {HISTORY_PANE: {"datasource": METRICS_DATASOURCE, "queries": [query], "range": {"from": HISTORY_FROM, "to": "now"}}}
    return f"{settings.url('grafana')}/explore?schemaVersion=1&orgId=1&panes={quote_plus(_json(panes), safe='')}"


def oncall_url(settings: Settings) -> str:
    """Where people open OnCall: the platform's Grafana, which hosts its app. (`oncall.grafanaUrl` is the address
    OnCall's engine calls Grafana's API at, often a cluster-internal one: not a link for people.)"""
    return settings.url("grafana")


def incidents_search(labels: Mapping[str, str]) -> str:
    """OnCall searches alert group titles, which its Alertmanager integration makes of the alert name and the
    group labels (service among them): every word must match."""
    return " ".join(v for v in (labels.get("alertname", ""), labels.get(SERVICE, "")) if v)


def incidents_url(settings: Settings, labels: Mapping[str, str]) -> str:
    """OnCall's alert groups of the same alert and service, resolved in the last 90 days."""
    # Imported here: render.systems.oncall reaches the notification templates, which import this module.
    from render.systems.oncall import ONCALL_PLUGIN_ID

    return (f"{oncall_url(settings)}/a/{ONCALL_PLUGIN_ID}/alert-groups?search={quote_plus(incidents_search(labels), safe='')}"
            f"&status={RESOLVED}&started_at={quote_plus(INCIDENTS_RANGE, safe='')}")


def burn_impact(r: ResolvedSLO, tier: AlertTier) -> str | None:
    """The least burn a native SLO alert fires on, as the share of events failing and what that costs."""
    windows = r.tiers(tier)
    if not windows:
        return None
    factor = min(w.factor for w in windows)
    failing = min(1.0, factor * r.budget)
    impact = r.service.impact
    text = f"Fires from {factor:.4g}x the sustainable burn of the {number(r.slo.objective)}% SLO: at least {failing:.2%} of its events failing"
    costs = []
    if impact.affected_users:
        costs.append(f"about {failing * impact.affected_users:,.0f} of {impact.affected_users:,} users")
    if impact.revenue_per_hour:
        costs.append(f"about {failing * impact.revenue_per_hour:,.0f} of {impact.revenue_per_hour:,.0f} revenue per hour")
    if not costs:
        return text + "; the catalog records no users or revenue for the service."
    return text + ", " + " and ".join(costs) + " affected."


class Enrichment:
    """The annotations of every alert of one organisation in one environment."""

    def __init__(self, org: Organisation, settings: Settings) -> None:
        self.org = org
        self.settings = settings
        self.dependants = direct_dependants(org)
        self.slos = {r.id: r for r in resolved_slos(org)}

    def annotations(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The enrichment of an alert with these labels (`alertname` among them)."""
        out = dict(self._common(labels.get("alertname", ""), labels.get(SERVICE), labels.get(SEVERITY)))
        r = self.slos.get(labels.get(SLO, ""))
        tier = labels.get("sloth_severity")
        if labels.get("alertname") == BURN_ALERT and r is not None and tier in {t.value for t in AlertTier}:
            text = burn_impact(r, AlertTier(tier))
            if text:
                out["burn_impact"] = text
        return out

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one Enrichment per render, released with it
    def _common(self, alertname: str, name: str | None, severity: str | None) -> tuple[tuple[str, str], ...]:
        """What an alert's enrichment takes from its name, service and severity alone: the same for every SLO of a
        service, so worked out once per combination."""
        out: dict[str, str] = {}
        service = self.org.service_index[name][1] if name in self.org.service_index else None
        if service is not None:
            out["depends_on"] = names_text(service.depends_on)
            out["dependants"] = names_text(self.dependants.get(service.name, []))
            out["impact"] = impact_text(service, self.org.major_impact_users)
            if severity in {s.value for s in Severity}:
                out["priority_reason"] = reason(Severity(severity), service.tier, service.impact, self.org.major_impact_users)
        labels = {"alertname": alertname, **({SERVICE: name} if name else {})}
        out["history_url"] = history_url(self.settings, labels)
        out["incidents_url"] = incidents_url(self.settings, labels)
        return tuple(out.items())

    def rule(self, rule: dict) -> dict:
        """An alert rule with its enrichment after its own annotations (which win)."""
        if "alert" not in rule:
            return rule
        own = rule.get("annotations", {})
        extra = self.annotations({**rule.get("labels", {}), "alertname": rule["alert"]})
        return {**rule, "annotations": {**own, **{k: v for k, v in extra.items() if k not in own}}}

    def rule_files(self, files: Mapping[str, dict]) -> dict[str, dict]:
        """Every rule file with every alert rule enriched."""
        return {
            name: {**doc, "groups": [{**g, "rules": [self.rule(r) for r in g["rules"]]} for g in doc["groups"]]}
            for name, doc in files.items()
        }

    def rule_tests(self, tests: Mapping[str, dict], rule_files: Mapping[str, dict]) -> dict[str, dict]:
        """Behaviour tests expecting the enrichment of every alert they expect, as the rule that raises it carries it.

        A rule's enrichment comes from its static labels only: an alert whose `service` label comes from the series
        it reads (a meta-alert on `ALERTS`) carries no service's context, and its test must not expect one."""
        # The rules raising each alert, by the service their static labels name (None: any service, or one the
        # series supply), each with its place among all of them: an organisation raises one alert name from
        # thousands of rules, and each expected alert is matched against its own service's few.
        raised: dict[tuple[str, str | None], list[tuple[int, dict[str, str], dict[str, str]]]] = {}
        position = 0
        for doc in rule_files.values():
            for g in doc["groups"]:
                for r in g["rules"]:
                    if "alert" in r:
                        labels = r.get("labels", {})
                        extra = self.annotations({**labels, "alertname": r["alert"]})
                        service = labels.get(SERVICE)
                        key = service if service is not None and "{{" not in service else None
                        raised.setdefault((r["alert"], key), []).append((position, labels, extra))
                        position += 1

        def enrichment_of(alertname: str, labels: Mapping[str, str]) -> dict[str, str]:
            # The rule whose static labels the alert carries; of several, the most specific one (the first of those).
            candidates = raised.get((alertname, None), [])
            if labels.get(SERVICE) is not None:
                candidates = sorted(candidates + raised.get((alertname, labels[SERVICE]), []), key=lambda rule: rule[0])
            rules = [(static, extra) for _, static, extra in candidates if all(
                "{{" in v or labels.get(k) == v for k, v in static.items())]
            if not rules:
                return self.annotations({**labels, "alertname": alertname})
            return max(rules, key=lambda rule: len(rule[0]))[1]

        def expected(check: dict) -> dict:
            if "exp_alerts" not in check:
                return check
            alerts = []
            for a in check["exp_alerts"]:
                own = a.get("exp_annotations", {})
                extra = enrichment_of(check["alertname"], a.get("exp_labels", {}))
                alerts.append({**a, "exp_annotations": {**own, **{k: v for k, v in extra.items() if k not in own}}})
            return {**check, "exp_alerts": alerts}

        def group(g: dict) -> dict:
            return {**g, "alert_rule_test": [expected(c) for c in g["alert_rule_test"]]} if "alert_rule_test" in g else g

        return {name: {**doc, "tests": [group(g) for g in doc["tests"]]} for name, doc in tests.items()}


# --- The same links in Go template form, for alerts that arrive without the annotations -------------------------

_HISTORY_TEMPLATE = """{{ define "alerting.history.built" -}}
{{ $m := printf "alertname=%q, alertstate=\\"firing\\"" .CommonLabels.alertname -}}
{{ with .CommonLabels.service }}{{ $m = printf "%s, service=%q" $m . }}{{ end -}}
{{ $ds := dict "type" "prometheus" "uid" "@DATASOURCE@" -}}
{{ $q := dict "refId" "A" "datasource" $ds "expr" (printf "ALERTS{%s}" $m) -}}
{{ $pane := dict "datasource" "@DATASOURCE@" "queries" (list $q) "range" (dict "from" "@FROM@" "to" "now") -}}
@GRAFANA@/explore?schemaVersion=1&orgId=1&panes={{ dict "@PANE@" $pane | toJson | urlquery }}
{{- end }}
"""

_INCIDENTS_TEMPLATE = """{{ define "alerting.incidents.built" -}}
@ONCALL@/a/@PLUGIN@/alert-groups?search={{ printf "%s %s" .CommonLabels.alertname .CommonLabels.service | trimSpace | urlquery }}&status=@RESOLVED@&started_at={{ "@RANGE@" | urlquery }}
{{- end }}
"""


def link_templates(settings: Settings) -> str:
    """`alerting.history.built` and `alerting.incidents.built`: history_url() and incidents_url() as Go templates
    over a notification's common labels (Alertmanager's `dict`, `list` and `toJson` marshal maps with sorted keys,
    as `_json` does)."""
    from render.systems.oncall import ONCALL_PLUGIN_ID  # see incidents_url

    history = (_HISTORY_TEMPLATE.replace("@DATASOURCE@", METRICS_DATASOURCE).replace("@FROM@", HISTORY_FROM)
               .replace("@PANE@", HISTORY_PANE).replace("@GRAFANA@", settings.url("grafana")))
    incidents = (_INCIDENTS_TEMPLATE.replace("@ONCALL@", oncall_url(settings)).replace("@PLUGIN@", ONCALL_PLUGIN_ID)
                 .replace("@RESOLVED@", str(RESOLVED)).replace("@RANGE@", INCIDENTS_RANGE))
    return history + "\n" + incidents
