"""Every policy refuses a changed copy of the program's own resources, with the message a user would read.

Each case takes the resources the real program registers for a stack (or adds objects registered the way the
program registers them), changes one thing, and runs one policy on them as the engine would present them. The
same table's `None` cases show that well-formed objects pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from policies import guardrails
from policies.guardrails import exceptions, runtime
from policies.guardrails.framework import use_exceptions
from tests import policy_fixtures as fx
from tests.policy_support import NOT_APPLICABLE, changed, registered, resources, violations


@pytest.fixture(autouse=True)
def no_exceptions():
    """Judge the policies themselves: no exception in force (the exceptions file has its own tests)."""
    use_exceptions(exceptions.ExceptionBook())
    yield
    use_exceptions(None)


@dataclass(frozen=True)
class Case:
    stack: str
    policy: str
    resources: Callable[[], list]
    expected: str | None
    """A fragment of the violation's message; None: the policy reports nothing."""
    config: dict | None = None


def program(stack: str, suffix: str | None = None, change: Callable[[dict], None] | None = None) -> Callable[[], list]:
    """The program's resources for `stack`, the one named `...suffix` changed."""
    return lambda: changed(resources(stack), suffix, change) if suffix else resources(stack)


def plus(stack: str, *bodies) -> Callable[[], list]:
    """The program's resources for `stack` plus what `bodies` register."""
    return lambda: resources(stack) + [r for body in bodies for r in registered(body)]


def only(*bodies) -> Callable[[], list]:
    return lambda: [r for body in bodies for r in registered(body)]


def values(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda inputs: change(inputs["values"])


def spec(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda inputs: change(inputs["spec"])


def postgres_container(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda inputs: change(inputs["spec"]["template"]["spec"]["containers"][0])


# Assembled at run time so the repository never holds a literal that secret scanners take for a real webhook.
FAKE_SLACK_WEBHOOK = "https://hooks.slack.com/services/" + "/".join(["T0000", "B0000", "X" * 12])


def am_config(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda inputs: change(inputs["values"]["config"])


def first_rule(change: Callable[[dict], None]) -> Callable[[dict], None]:
    return lambda inputs: change(inputs["spec"]["groups"][0]["rules"][0])


PAGER = {"name": "payments-pager", "pagerduty_configs": [{"routing_key_file": "../alertmanager-secrets/payments-pagerduty"}]}


def p0_route(receiver: str, extra: dict | None = None):
    def change(config: dict) -> None:
        config["route"]["routes"].insert(0, {"matchers": ['priority="P0"', 'team="payments"'], "receiver": receiver})
        config["receivers"].extend(extra or [])

    return change


def env(experiment: dict, name: str, value: str | None) -> None:
    variables = experiment["spec"]["components"]["env"]
    variables[:] = [e for e in variables if e["name"] != name] + ([{"name": name, "value": value}] if value is not None else [])


def chaos(change: Callable[[dict], None], name: str = "chaos") -> Callable[[], None]:
    return lambda: fx.custom(fx.edited(fx.CHAOS_ENGINE, change), name)


def talon_terminates(dry_run: str = "false", description: str | None = None) -> Callable[[dict], None]:
    """The falco-talon release with a terminate action added to its first rule (as the catalog's `terminate` renders it)."""

    def change(inputs: dict) -> None:
        import yaml

        config = inputs["values"]["config"]
        items = yaml.safe_load(config["rulesOverride"])
        rule = next(i for i in items if "rule" in i)
        rule["dry_run"] = dry_run
        rule["actions"].append({"action": "Kill it"})
        items.insert(0, {"action": "Kill it", "actionner": "kubernetes:terminate"})
        config["rulesOverride"] = yaml.safe_dump(items, sort_keys=False)
        if description is not None:
            inputs["description"] = description

    return change


def sloth_windows(period: str, page_quick_long: str = "1h") -> dict:
    window = lambda short, long, budget: {"errorBudgetPercent": budget, "shortWindow": short, "longWindow": long}  # noqa: E731
    return {
        "sloth": {"defaultSloPeriod": "7d"},
        "customSloConfig": {
            "enabled": True,
            "data": {
                "apiVersion": "sloth.slok.dev/v1",
                "kind": "AlertWindows",
                "spec": {
                    "sloPeriod": period,
                    "page": {"quick": window("5m", page_quick_long, 8), "slow": window("30m", "6h", 12.5)},
                    "ticket": {"quick": window("2h", "1d", 20), "slow": window("6h", "3d", 42)},
                },
            },
        },
    }


CASES: dict[str, Case] = {
    # --- Kubernetes hygiene ---------------------------------------------------------------------------------
    "A chart release whose containers have no resources is refused": Case(
        "dev", "kubernetes-requests-and-limits",
        program("dev", "alertmanager-release", values(lambda v: v.pop("resources"))),
        "Release monitoring/alertmanager workload alertmanager: set requests and limits at `values.resources`: no requests or limits",
    ),
    "A memory limit below the request is refused": Case(
        "dev", "kubernetes-requests-and-limits",
        program("dev", "karma-release", values(lambda v: v["resources"]["limits"].update(memory="32Mi"))),
        "limits.memory is below requests.memory",
    ),
    "A component's own StatefulSet without a memory limit is refused": Case(
        "dev", "kubernetes-requests-and-limits",
        program("dev", "oncall-database-statefulset", postgres_container(lambda c: c["resources"].pop("limits"))),
        "StatefulSet monitoring/oncall-postgres: set requests and limits at `containers[0] postgres.resources`: no limits.memory",
    ),
    "A VMCluster component without resources is refused": Case(
        "prod", "kubernetes-requests-and-limits",
        program("prod", "victoriametrics-vmcluster", spec(lambda s: s["vmstorage"].pop("resources"))),
        "VMCluster monitoring/platform component vmstorage: set requests and limits at `spec.vmstorage.resources`",
    ),
    "A CPU limit is required when the pack's config asks for one": Case(
        "dev", "kubernetes-requests-and-limits",
        program("dev", "otel-collector-release", values(lambda v: v["resources"]["limits"].pop("cpu"))),
        "no limits.cpu", {"requireCpuLimit": True},
    ),
    "A chart the pack has no profile of is reported, not guessed at": Case(
        "dev", "kubernetes-requests-and-limits",
        program("dev", "karma-release", lambda i: i.update(chart="karma-fork")),
        "chart karma-fork has no profile, so where it takes",
    ),
    "Falco's privileges are reported without its exception": Case(
        "dev", "kubernetes-no-privileged-containers", program("dev"),
        "Release falco/falco workload falco: runs a privileged container: the falco chart runs Falco with the host's",
    ),
    "A privileged container in chart values is refused": Case(
        "dev", "kubernetes-no-privileged-containers",
        program("dev", "karma-release", values(lambda v: v["containerSecurityContext"].update(privileged=True))),
        "Release monitoring/karma workload karma: `values.containerSecurityContext`: privileged: true",
    ),
    "Adding a kernel capability is refused": Case(
        "dev", "kubernetes-no-privileged-containers",
        program("dev", "grafana-release", values(lambda v: v["containerSecurityContext"].update(capabilities={"add": ["SYS_ADMIN"]}))),
        "adds capabilities SYS_ADMIN",
    ),
    "A workload sharing the host network is refused": Case(
        "dev", "kubernetes-no-privileged-containers",
        program("dev", "oncall-broker-statefulset", spec(lambda s: s["template"]["spec"].update(hostNetwork=True))),
        "StatefulSet monitoring/oncall-redis: shares the host's namespaces (hostNetwork: true)",
    ),
    "Privilege escalation left at its default is refused": Case(
        "dev", "kubernetes-no-privileged-containers",
        program("dev", "oncall-database-statefulset", postgres_container(lambda c: c["securityContext"].pop("allowPrivilegeEscalation"))),
        "`containers[0] postgres.securityContext`: allowPrivilegeEscalation is not false",
    ),
    "A container running as user 0 is refused": Case(
        "dev", "kubernetes-non-root",
        program("dev", "grafana-release", values(lambda v: v["containerSecurityContext"].update(runAsUser=0))),
        "Release monitoring/grafana workload grafana: may run as root at `values.containerSecurityContext`: runAsUser: 0",
    ),
    "Grafana's root chown container, once switched back on, is refused": Case(
        "dev", "kubernetes-non-root",
        program("dev", "grafana-release", values(lambda v: v["initChownData"].update(enabled=True))),
        "workload init-chown-data: runs as root: the chart's chown init container runs as root",
    ),
    "An operator-run pod without strict security or a security context is refused": Case(
        "dev", "kubernetes-non-root",
        program("dev", "victoriametrics-vmagent", spec(lambda s: s.update(useStrictSecurity=False))),
        "VMAgent monitoring/platform: may run as root at `spec.securityContext`",
    ),
    "Litmus, whose chart has no security values, is reported without its exception": Case(
        "dev", "kubernetes-non-root", program("dev"),
        "Release litmus/litmus workload operator: the chart offers no security-context values",
    ),
    "An image on `latest` is refused": Case(
        "dev", "kubernetes-pinned-images",
        program("dev", "otel-collector-release", values(lambda v: v["image"].update(tag="latest"))),
        "Release monitoring/otel-collector: `values.image`: the image uses the moving tag `latest`",
    ),
    "An untagged image in a workload is refused": Case(
        "dev", "kubernetes-pinned-images",
        program("dev", "oncall-database-statefulset", postgres_container(lambda c: c.update(image="docker.io/library/postgres"))),
        "image docker.io/library/postgres has no tag, so it pulls `latest`",
    ),
    "A digest pins an image as well as a tag": Case(
        "dev", "kubernetes-pinned-images",
        program("dev", "oncall-database-statefulset", postgres_container(lambda c: c.update(image="postgres@sha256:" + "a" * 64))),
        None,
    ),
    "A chart version range is refused": Case(
        "dev", "helm-pinned-releases",
        program("dev", "alertmanager-release", lambda i: i.update(version="^1.42.0")),
        "Release monitoring/alertmanager: chart version '^1.42.0' is not one exact version",
    ),
    "A release without a repository is refused": Case(
        "dev", "helm-pinned-releases",
        program("dev", "karma-release", lambda i: i.pop("repositoryOpts")),
        "chart karma names no repository",
    ),
    "A chart over plain HTTP is refused": Case(
        "dev", "helm-pinned-releases",
        program("dev", "karma-release", lambda i: i["repositoryOpts"].update(repo="http://charts.example.com")),
        "repository http://charts.example.com is not fetched over HTTPS",
    ),
    "Charts from outside the allowed mirrors are refused when the pack's config names mirrors": Case(
        "dev", "helm-pinned-releases", program("dev"),
        "is not one of the allowed repositories", {"allowedRepositories": ["https://charts.internal.example.com/"]},
    ),
    # --- Production HA --------------------------------------------------------------------------------------
    "A production Alertmanager with one replica is refused": Case(
        "prod", "production-alertmanager-ha",
        program("prod", "alertmanager-release", values(lambda v: v.update(replicaCount=1))),
        "Release monitoring/alertmanager: runs 1 Alertmanager replicas; production needs at least 3",
    ),
    "A replica count that is no number is refused": Case(
        "prod", "production-alertmanager-ha",
        program("prod", "alertmanager-release", values(lambda v: v.update(replicaCount="three"))),
        "Release monitoring/alertmanager: its replica count is not a number",
    ),
    "A production Alertmanager without a disruption budget is refused": Case(
        "prod", "production-alertmanager-ha",
        program("prod", "alertmanager-release", values(lambda v: v.pop("podDisruptionBudget"))),
        "has no PodDisruptionBudget, so a node drain may stop every replica at once",
    ),
    "A disruption budget that lets a drain take two of three is refused": Case(
        "prod", "production-alertmanager-ha",
        program("prod", "alertmanager-release", values(lambda v: v.update(podDisruptionBudget={"maxUnavailable": 2}))),
        "its PodDisruptionBudget keeps 1 replicas running through a drain; keep at least 2",
    ),
    "Development is not held to production's Alertmanager shape": Case(
        "dev", "production-alertmanager-ha", program("dev"), NOT_APPLICABLE,
    ),
    "A production VMCluster storing samples once is refused": Case(
        "prod", "production-vmcluster-replicated",
        program("prod", "victoriametrics-vmcluster", spec(lambda s: s.update(replicationFactor=1))),
        "VMCluster monitoring/platform: replicationFactor is 1; production stores every sample at least 2 times",
    ),
    "Fewer storage nodes than copies is refused": Case(
        "prod", "production-vmcluster-replicated",
        program("prod", "victoriametrics-vmcluster", spec(lambda s: s["vmstorage"].update(replicaCount=1))),
        "vmstorage runs 1 nodes, fewer than replicationFactor 2: writes would fail",
    ),
    "A single-node VMSingle in an environment named production is refused": Case(
        "dev", "production-vmcluster-replicated", program("dev"),
        "VMSingle monitoring/platform: production keeps its metrics on a single node", {"productionEnvironments": ["dev"]},
    ),
    # --- Alerting hygiene -----------------------------------------------------------------------------------
    "An alert rule without a team is refused": Case(
        "dev", "alert-rules-labelled",
        program("dev", "rule:monitoring/payments-service-health", first_rule(lambda r: r["labels"].pop("team"))),
        "VMRule monitoring/payments-service-health spec.groups[0].rules[0]: alert ServiceDown: no `team` label",
    ),
    "An alert rule without a runbook is refused": Case(
        "dev", "alert-rules-labelled",
        program("dev", "rule:monitoring/payments-service-health", first_rule(lambda r: r["annotations"].pop("runbook_url"))),
        "alert ServiceDown: no `runbook_url` annotation",
    ),
    "An unknown severity is refused": Case(
        "dev", "alert-rules-labelled",
        program("dev", "rule:monitoring/payments-service-health", first_rule(lambda r: r["labels"].update(severity="page"))),
        "severity 'page' is not one of critical, warning, info",
    ),
    "A Sloth SLO whose alerts name no team is refused": Case(
        "dev", "alert-rules-labelled",
        only(lambda: fx.sloth(fx.edited(fx.SLOTH_SLO, lambda d: (d["spec"]["labels"].pop("team"),
                                                                  d["spec"]["slos"][0]["alerting"]["labels"].pop("team"))))),
        "PrometheusServiceLevel monitoring/checkout spec.slos[0].alerting.pageAlert: alert CheckoutAvailabilityBudgetBurn: no `team` label",
    ),
    "A Sloth SLO's own labels reach its alerts": Case(
        "dev", "alert-rules-labelled",
        only(lambda: fx.sloth(fx.edited(fx.SLOTH_SLO, lambda d: d["spec"]["slos"][0]["alerting"]["labels"].pop("team")))),
        None,
    ),
    "A Pyrra SLO without a runbook annotation is refused": Case(
        "dev", "alert-rules-labelled",
        only(lambda: fx.pyrra(fx.edited(fx.PYRRA_SLO, lambda d: d["metadata"].pop("annotations")))),
        "ServiceLevelObjective monitoring/checkout-availability metadata (pyrra.dev/ labels and annotations): alert ErrorBudgetBurn: no `runbook_url` annotation",
    ),
    "Well-labelled Sloth and Pyrra SLOs pass": Case(
        "dev", "alert-rules-labelled", only(fx.sloth, fx.pyrra), None,
    ),
    "A receiver no route uses is reported": Case(
        "dev", "alertmanager-receivers-used",
        program("dev", "alertmanager-release", am_config(lambda c: c["receivers"].append({"name": "old-team", "slack_configs": [{"channel": "#old"}]}))),
        "Release monitoring/alertmanager values.config: receiver old-team is defined but no route sends to it",
    ),
    "A route without a receiver is refused": Case(
        "dev", "alertmanager-routes-have-receivers",
        program("dev", "alertmanager-release", am_config(lambda c: c["route"]["routes"].append({"matchers": ['team="ghost"']}))),
        'route.routes[5] {team="ghost"}: names no receiver',
    ),
    "A route to an undefined receiver is refused": Case(
        "dev", "alertmanager-routes-have-receivers",
        program("dev", "alertmanager-release", am_config(lambda c: c["route"]["routes"][0].update(receiver="nobody"))),
        "sends to receiver nobody, which is not defined",
    ),
    "A matcher Alertmanager cannot read is refused": Case(
        "dev", "alertmanager-routes-have-receivers",
        program("dev", "alertmanager-release", am_config(lambda c: c["route"]["routes"].append({"matchers": ["team"], "receiver": "x"}))),
        "Release monitoring/alertmanager values.config: its routes cannot be read as Alertmanager reads them: not a label matcher: 'team'",
    ),
    "A route to a receiver without integrations is refused": Case(
        "dev", "alertmanager-routes-have-receivers",
        program("dev", "alertmanager-release", am_config(lambda c: c["receivers"][1].pop("slack_configs"))),
        "which has no integrations: its alerts are dropped",
    ),
    "A production P0 route to Slack only is refused": Case(
        "prod", "alertmanager-p0-routes-page",
        program("prod", "alertmanager-release", am_config(p0_route("payments-alerts"))),
        'route.routes[0] {priority="P0", team="payments"}: selects P0 alerts, but a P0 alert {priority="P0", team="payments"} '
        "reaches only payments-alerts, none of which pages",
    ),
    "A team route inside a P0 route is judged as a P0 route": Case(
        "prod", "alertmanager-p0-routes-page",
        program("prod", "alertmanager-release", am_config(lambda c: c["route"]["routes"].insert(0, {
            "matchers": ['priority="P0"'], "receiver": "payments-pager",
            "routes": [{"matchers": ['team="storefront"'], "receiver": "storefront-alerts"}],
        }) or c["receivers"].append(PAGER))),
        'route.routes[0].routes[0] {team="storefront"}: selects P0 alerts, but a P0 alert {priority="P0", team="storefront"} '
        "reaches only storefront-alerts",
    ),
    "A deliberate black hole receiver is allowed": Case(
        "dev", "alertmanager-routes-have-receivers",
        program("dev", "alertmanager-release", am_config(lambda c: (
            c["route"]["routes"].append({"matchers": ['alertname="Watchdog"'], "receiver": "null"}),
            c["receivers"].append({"name": "null"}),
        ))),
        None,
    ),
    "A production P0 route to PagerDuty passes": Case(
        "prod", "alertmanager-p0-routes-page",
        program("prod", "alertmanager-release", am_config(p0_route("payments-pager", [PAGER]))), None,
    ),
    "A P0 route shadowed by an earlier route is refused": Case(
        "prod", "alertmanager-p0-routes-page",
        program("prod", "alertmanager-release", am_config(lambda c: (
            c["route"]["routes"].insert(0, {"matchers": ['team="payments"'], "receiver": "payments-p2"}),
            c["route"]["routes"].append({"matchers": ['priority="P0"', 'team="payments"'], "receiver": "payments-pager"}),
            c["receivers"].append(PAGER)))),
        "reaches only payments-p2, none of which pages",
    ),
    "A P0 receiver that lost its pager is refused": Case(
        "prod", "alertmanager-p0-routes-page",
        program("prod", "alertmanager-release", am_config(lambda c: next(
            r for r in c["receivers"] if r["name"] == "payments-p0").update(pagerduty_configs=[], webhook_configs=[]))),
        "reaches only payments-p0, none of which pages",
    ),
    "Without paging, P0 routes are not judged": Case(
        "dev", "alertmanager-p0-routes-page",
        program("dev", "alertmanager-release", am_config(p0_route("payments-alerts"))), NOT_APPLICABLE,
    ),
    "Production P0 alerts that reach only chat are reported": Case(
        "prod", "alertmanager-p0-alerts-page",
        program("prod", "alertmanager-release", am_config(lambda c: c["route"]["routes"].insert(
            0, {"matchers": ['team="payments"'], "receiver": "payments-p2"}))),
        "ServiceDown{service='payments-api'}) reach only payments-p2, none of which pages",
    ),
    "The program's own production routing pages every P0 alert": Case(
        "prod", "alertmanager-p0-alerts-page", program("prod"), None,
    ),
    "Production P0 alerts routed to a pager pass": Case(
        "prod", "alertmanager-p0-alerts-page",
        program("prod", "alertmanager-release", am_config(lambda c: (
            c["route"]["routes"].insert(0, {"matchers": ['priority="P0"'], "receiver": "payments-pager", "continue": True}),
            c["receivers"].append(PAGER),
        ))),
        None,
    ),
    # --- SLO sanity -----------------------------------------------------------------------------------------
    "A 100% Sloth objective is refused": Case(
        "dev", "slo-objective-range",
        only(lambda: fx.sloth(fx.edited(fx.SLOTH_SLO, lambda d: d["spec"]["slos"][0].update(objective=100)))),
        "PrometheusServiceLevel monitoring/checkout spec.slos[0].objective: SLO requests-availability: objective 100% is outside (0, 100)",
    ),
    "A Pyrra target that is no number is refused": Case(
        "dev", "slo-objective-range",
        only(lambda: fx.pyrra(fx.edited(fx.PYRRA_SLO, lambda d: d["spec"].update(target="high")))),
        "objective 'high' is not a number",
    ),
    "A native objective ratio of 1 is refused": Case(
        "dev", "slo-objective-range",
        only(lambda: fx.custom(fx.vmrule(fx.edited(fx.native_slo_rules(), lambda s: s["groups"][0]["rules"][0].update(expr="vector(1)"))))),
        "SLO checkout-availability: objective 100% is outside (0, 100)",
    ),
    "Well-formed SLOs of every kind pass the objective check": Case(
        "dev", "slo-objective-range", only(fx.sloth, fx.pyrra, lambda: fx.custom(fx.vmrule(fx.native_slo_rules()))), None,
    ),
    "A Pyrra window of 12 hours is refused": Case(
        "dev", "slo-period-minimum",
        only(lambda: fx.pyrra(fx.edited(fx.PYRRA_SLO, lambda d: d["spec"].update(window="12h")))),
        "ServiceLevelObjective monitoring/checkout-availability spec.window: SLO checkout-availability: period 12h is shorter than 1d",
    ),
    "A Sloth controller period of 6 hours is refused": Case(
        "dev", "slo-period-minimum", only(lambda: fx.sloth(values={"sloth": {"defaultSloPeriod": "6h"}})),
        "Release monitoring/sloth values.sloth.defaultSloPeriod: SLO every Sloth SLO: period 6h is shorter than 1d",
    ),
    "A native period of half a day is refused": Case(
        "dev", "slo-period-minimum",
        only(lambda: fx.custom(fx.vmrule(fx.edited(fx.native_slo_rules(), lambda s: s["groups"][0]["rules"][1].update(expr="vector(0.5)"))))),
        "period 12h is shorter than 1d",
    ),
    "The program's Sloth and SLOs of every kind pass the period check": Case(
        "dev", "slo-period-minimum", plus("dev", fx.pyrra, lambda: fx.custom(fx.vmrule(fx.native_slo_rules()))), None,
    ),
    "A one-day Pyrra window, whose fast alert window rounds to nothing, is refused": Case(
        "dev", "slo-burn-rate-windows",
        only(lambda: fx.pyrra(fx.edited(fx.PYRRA_SLO, lambda d: d["spec"].update(window="1d")))),
        "a 1d window gives Pyrra's fast alert a 0s short window (under 1m); lengthen the window",
    ),
    "A Sloth period without alert windows is refused": Case(
        "dev", "slo-burn-rate-windows", only(lambda: fx.sloth(values={"sloth": {"defaultSloPeriod": "7d"}})),
        "Sloth has alert windows only for 30d, 28d, not 7d",
    ),
    "Sloth alert windows for another period are refused": Case(
        "dev", "slo-burn-rate-windows", only(lambda: fx.sloth(values=sloth_windows("14d"))),
        "the AlertWindows are for '14d' but Sloth's period is 7d: Sloth would find no windows",
    ),
    "A Sloth alert window longer than the period is refused": Case(
        "dev", "slo-burn-rate-windows", only(lambda: fx.sloth(values=sloth_windows("7d", page_quick_long="8d"))),
        "values.customSloConfig.data.spec.page.quick: longWindow 8d is longer than the SLO period 7d",
    ),
    "Sloth with windows for its 7-day period passes": Case(
        "dev", "slo-burn-rate-windows", only(lambda: fx.sloth(values=sloth_windows("7d"))), None,
    ),
    "A native burn-rate alert that spends the whole budget before firing is refused": Case(
        "dev", "slo-burn-rate-windows",
        only(lambda: fx.custom(fx.vmrule(fx.native_slo_rules(period_days=1, page=(("5m", "1h", 14.4), ("30m", "6h", 6)))))),
        "fires at 6x burn over 6h, which spends 150% of the 1d budget before it fires",
    ),
    "A native budget-burn alert that spends the whole budget before firing is refused": Case(
        "dev", "slo-burn-rate-windows",
        only(lambda: fx.custom(fx.vmrule(fx.native_slo_rules(period_days=1, budget=True, interval="1m")))),
        "fires at 6x burn over 6h, which spends 150% of the 1d budget before it fires",
    ),
    "Windows summed from one-minute rates in a group evaluated every 30s are refused": Case(
        "dev", "slo-burn-rate-windows",
        only(lambda: fx.custom(fx.vmrule(fx.native_slo_rules(budget=True, interval="30s")))),
        "slo:sli_error:budget_ratio_rate5m sums 1m rates over 5m but its group runs every 30s: the sum is the window's "
        "only when each 1m is recorded once; set the group's interval to 1m",
    ),
    "Windows summed from one-minute rates in a group without an interval are refused": Case(
        "dev", "slo-burn-rate-windows",
        only(lambda: fx.custom(fx.vmrule(fx.native_slo_rules(budget=True)))),
        "slo:sli_events:rate30d sums 1m rates over 30d but its group takes the evaluator's interval",
    ),
    "The program and well-formed SLOs of every kind pass the window check": Case(
        "dev", "slo-burn-rate-windows",
        plus("dev", fx.pyrra, lambda: fx.custom(fx.vmrule(fx.native_slo_rules())),
             lambda: fx.custom(fx.vmrule(fx.native_slo_rules(budget=True, interval="1m")))), None,
    ),
    # --- Chaos ----------------------------------------------------------------------------------------------
    "Chaos in a production namespace without approval is refused": Case(
        "dev", "chaos-production-approval",
        only(chaos(lambda d: (d["metadata"].update(labels={}, namespace="payments-prod"), d["spec"]["appinfo"].update(appns="payments-prod")))),
        "ChaosEngine payments-prod/checkout-pod-delete metadata.labels: runs chaos in payments-prod (production namespaces) without approval",
    ),
    "Any chaos in a production stack needs approval": Case(
        "prod", "chaos-production-approval", plus("prod", chaos(lambda d: d["metadata"].update(labels={}))),
        'runs chaos in payments (stack prod is production) without approval: label it `chaos.alerting-platform.io/approved: "true"` and name the approver in the annotation `chaos.alerting-platform.io/approved-by`',
    ),
    "An approval label without a named approver is refused": Case(
        "prod", "chaos-production-approval", plus("prod", chaos(lambda d: d["metadata"].update(annotations={}))),
        "ChaosEngine payments/checkout-pod-delete metadata.annotations: runs chaos in payments (stack prod is production) without approval",
    ),
    "A schedule stamping out unapproved production engines is refused": Case(
        "dev", "chaos-production-approval",
        only(lambda: fx.custom({
            "apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosSchedule",
            "metadata": {"name": "nightly", "namespace": "litmus"},
            "spec": {"schedule": {"now": True},
                     "engineTemplateSpec": fx.edited(fx.CHAOS_ENGINE["spec"], lambda s: s["appinfo"].update(appns="prod"))},
        })),
        "ChaosSchedule litmus/nightly metadata.labels: runs chaos in prod",
    ),
    "An approved experiment in production passes": Case(
        "prod", "chaos-production-approval", plus("prod", lambda: fx.custom(fx.CHAOS_ENGINE)), None,
    ),
    "An experiment that selects no application is refused": Case(
        "dev", "chaos-blast-radius", only(chaos(lambda d: d["spec"]["appinfo"].pop("applabel"))),
        "ChaosEngine payments/checkout-pod-delete spec.appinfo: selects no application",
    ),
    "An experiment without a duration is refused": Case(
        "dev", "chaos-blast-radius",
        only(chaos(lambda d: env(d["spec"]["experiments"][0], "TOTAL_CHAOS_DURATION", None))),
        "spec.experiments[0] pod-delete: sets no TOTAL_CHAOS_DURATION",
    ),
    "An experiment on every pod is refused": Case(
        "dev", "chaos-blast-radius",
        only(chaos(lambda d: env(d["spec"]["experiments"][0], "PODS_AFFECTED_PERC", "100"))),
        "affects 100% of the pods, more than 50%",
    ),
    "A node drain is refused": Case(
        "dev", "chaos-blast-radius",
        only(chaos(lambda d: d["spec"]["experiments"][0].update(name="node-drain"))),
        "spec.experiments[0] node-drain: is a node-level fault",
    ),
    "A bounded experiment passes": Case("dev", "chaos-blast-radius", only(lambda: fx.custom(fx.CHAOS_ENGINE)), None),
    # --- Secrets --------------------------------------------------------------------------------------------
    "A Slack webhook in the Alertmanager config is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "alertmanager-release", am_config(lambda c: c["receivers"][0]["slack_configs"][0].update(
            api_url=FAKE_SLACK_WEBHOOK))),
        "Release monitoring/alertmanager: `values.config.receivers.0.slack_configs.0.api_url` holds a Slack webhook URL in plain text",
    ),
    "A password in chart values is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "grafana-release", values(lambda v: v["admin"].update(password="correct-horse"))),
        "`values.admin.password` holds a value under the key `password` in plain text",
    ),
    "A token in a ConfigMap's file is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "grafana-oncall-plugin", lambda i: i["data"].update({"extra.yaml": "auth:\n  token: s3cr3t-value\n"})),
        "ConfigMap monitoring/grafana-oncall-plugin: `data.extra.yaml.<document>.auth.token` holds a value under the key `token`",
    ),
    "An authorization header in a collector's exporter is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "otel-collector-release", values(lambda v: v["alternateConfig"]["exporters"]["prometheusremotewrite"].update(
            headers={"X-Scope": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature"}))),
        "`values.alternateConfig.exporters.prometheusremotewrite.headers.X-Scope` holds an HTTP authorization header",
    ),
    "Talon's isolate and capture responses pass in production": Case(
        "prod", "runtime-response-no-termination-in-production", program("prod"), None,
    ),
    "A Talon rule that terminates pods in production is refused": Case(
        "prod", "runtime-response-no-termination-in-production", program("prod", "-talon", talon_terminates()),
        "Release falco/falco-talon values.config.rulesOverride: Talon rule 'contain-payments in payments' terminates pods automatically in production stack prod",
    ),
    "A terminate action given inline, not by name, is refused as well": Case(
        "prod", "runtime-response-no-termination-in-production",
        program("prod", "-talon", values(lambda v: v["config"].update(rulesOverride=(
            "- rule: kill\n  match: {rules: [Terminal shell in container]}\n"
            "  actions:\n  - action: kill\n    actionner: kubernetes:terminate\n")))),
        "Talon rule 'kill' terminates pods automatically",
    ),
    "A rule naming the chart's own terminate action is refused too": Case(
        "prod", "runtime-response-no-termination-in-production",
        program("prod", "-talon", values(lambda v: v["config"].update(rulesOverride=(
            "- rule: kill\n  match: {rules: [Terminal shell in container]}\n  actions:\n  - action: Terminate Pod\n")))),
        "Talon rule 'kill' terminates pods automatically",
    ),
    "A terminating rule that is a dry run passes in production": Case(
        "prod", "runtime-response-no-termination-in-production", program("prod", "-talon", talon_terminates(dry_run="true")), None,
    ),
    "Termination the catalog consented to passes in production": Case(
        "prod", "runtime-response-no-termination-in-production",
        program("prod", "-talon", talon_terminates(description=runtime.TERMINATION_APPROVED)), None,
    ),
    "Another release description is no consent": Case(
        "prod", "runtime-response-no-termination-in-production",
        program("prod", "-talon", talon_terminates(description="approved")), "without the catalog's consent",
    ),
    "Terminating pods outside production is the stack's business": Case(
        "dev", "runtime-response-no-termination-in-production", program("dev", "-talon", talon_terminates()), None,
    ),
    "The program's own secrets, all by reference, pass": Case("prod", "no-plaintext-secrets", program("prod"), None),
    "A credential in a custom resource's spec is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "victoriametrics-vmagent", spec(lambda s: s["remoteWrite"][0].update(bearerToken="abc123"))),
        "VMAgent monitoring/platform: `spec.remoteWrite.0.bearerToken` holds a value under the key `bearerToken`",
    ),
    "A password in a container's environment is refused": Case(
        "dev", "no-plaintext-secrets",
        program("dev", "oncall-database-statefulset", postgres_container(lambda c: c["env"].append({"name": "PGPASSWORD", "value": "hunter2"}))),
        "holds the environment variable PGPASSWORD in plain text",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_policy_judges_the_changed_program(case: Case):
    found = violations(case.policy, case.stack, case.resources(), case.config)
    if case.expected is None:
        assert found == []
    elif case.expected == NOT_APPLICABLE:
        assert found == NOT_APPLICABLE
    else:
        assert found != NOT_APPLICABLE, "the policy did not apply"
        assert any(case.expected in message for message in found), "\n".join(found)


def test_every_policy_is_shown_refusing_something():
    refused = {case.policy for case in CASES.values() if case.expected not in (None, NOT_APPLICABLE)}
    assert refused == set(guardrails.POLICY_NAMES)


def test_the_added_objects_are_valid_objects_of_their_crds():
    from cli.checks import validate_object

    documents = [fx.SLOTH_SLO, fx.PYRRA_SLO, fx.CHAOS_ENGINE, fx.vmrule(fx.native_slo_rules())]
    assert {d["kind"]: validate_object(d) for d in documents} == {d["kind"]: [] for d in documents}


def test_the_native_slo_rules_pass_promtool(tmp_path):
    import yaml

    from cli import tools

    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump(fx.native_slo_rules()))
    result = tools.run("promtool", "check", "rules", str(path))
    assert result.ok, result.output
