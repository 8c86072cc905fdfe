"""Where each chart the platform installs takes the settings the hygiene policies judge: its *profile*.

A policy sees a Helm release's values, not the pods the chart renders from them. So for every chart this records
each kind of pod it renders (a *workload*), where the values switch it on, where its containers take resources
and security contexts, and what the chart does whatever the values say (Falco's kernel access, Grafana's root chown
container). The policy pack judges releases by these profiles, and the platform's tests check that every component
puts its values where its chart's profile says; the components' own modules (components/<system>.py) write those
values. A chart missing here is reported by every hygiene policy rather than guessed at: add its profile here
(with the chart's values.yaml open).
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

Path = tuple[str, ...]


def dig(node: Any, path: Path, default: Any = None) -> Any:
    """The value at `path` below `node`, or `default` where any step is missing."""
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _p(dotted_path: str) -> Path:
    return tuple(dotted_path.split("."))


@dataclass(frozen=True)
class Workload:
    """One kind of pod a chart renders, and where the values configure it."""

    name: str
    resources: tuple[Path, ...]
    """Every container's `resources` (requests and limits)."""
    pod_security: Path | None
    """The pod's `securityContext`; None where the chart offers none."""
    container_security: tuple[Path, ...] = ()
    """Every container's `securityContext`."""
    enabled: Path | None = None
    """The switch that renders it; None for a workload the chart always renders."""
    enabled_by_default: bool = True
    runs_as_root: str | None = None
    """Why the chart runs it as root whatever the values say."""
    privileged: str | None = None
    """Why the chart gives it privileges beyond the baseline Pod Security Standard whatever the values say."""

    def rendered(self, values: dict) -> bool:
        if self.enabled is None:
            return True
        switch = dig(values, self.enabled)
        return self.enabled_by_default if switch is None else switch is True


def _standard(name: str, prefix: str = "", pod: str = "podSecurityContext", container: str = "securityContext",
              enabled: str | None = None, enabled_by_default: bool = True, extra_resources: tuple[str, ...] = ()) -> Workload:
    at = f"{prefix}." if prefix else ""
    return Workload(
        name=name,
        resources=(_p(f"{at}resources"), *map(_p, extra_resources)),
        pod_security=_p(f"{at}{pod}"),
        container_security=(_p(f"{at}{container}"),),
        enabled=_p(enabled) if enabled else None,
        enabled_by_default=enabled_by_default,
    )


@dataclass(frozen=True)
class ChartProfile:
    """What the pack knows about one chart."""

    workloads: tuple[Workload, ...]

    def rendered(self, values: dict) -> list[Workload]:
        return [w for w in self.workloads if w.rendered(values)]


_THANOS = tuple(
    _standard(component, component, enabled=f"{component}.enabled", enabled_by_default=default)
    for component, default in (("query", True), ("queryFrontend", False), ("storeGateway", True), ("compact", False))
) + (
    _standard("receive.ingestor", "receive.ingestor", enabled="receive.enabled", enabled_by_default=False),
    _standard("receive.router", "receive.router", enabled="receive.enabled", enabled_by_default=False),
    _standard("rule", "rule", enabled="rule.enabled", enabled_by_default=False,
              extra_resources=("rule.configReloader.resources",)),
)

FALCO_KERNEL_ACCESS = (
    "the falco chart runs Falco with the host's /proc, /sys and kernel event access: privileged, or with "
    "BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE in least-privileged mode"
)

NODE_EXPORTER_HOST_ACCESS = (
    "the prometheus-node-exporter chart runs node-exporter in the host's network and process namespaces with the "
    "host's /, /proc and /sys mounted read-only"
)

PROFILES: dict[str, ChartProfile] = {
    "alertmanager": ChartProfile(
        (
            _standard("alertmanager"),
            Workload(
                "configmap-reload", (_p("configmapReload.resources"),), _p("podSecurityContext"),
                (_p("configmapReload.securityContext"),), enabled=_p("configmapReload.enabled"), enabled_by_default=False,
            ),
        )
    ),
    "karma": ChartProfile((_standard("karma", pod="securityContext", container="containerSecurityContext"),)),
    "grafana": ChartProfile(
        (
            _standard("grafana", pod="securityContext", container="containerSecurityContext"),
            Workload(
                "init-chown-data", (_p("initChownData.resources"),), _p("securityContext"),
                (_p("initChownData.securityContext"),), enabled=_p("initChownData.enabled"),
                runs_as_root="the chart's chown init container runs as root to change the volume's owner",
            ),
            Workload(
                "test-framework", (_p("testFramework.resources"),), _p("testFramework.securityContext"),
                (_p("testFramework.containerSecurityContext"),), enabled=_p("testFramework.enabled"),
            ),
        )
    ),
    "oncall": ChartProfile(
        (
            Workload(
                "engine", (_p("engine.resources"), _p("init.resources")), _p("podSecurityContext"),
                (_p("securityContext"), _p("init.securityContext")),
            ),
            Workload(
                "celery", (_p("celery.resources"), _p("init.resources")), _p("podSecurityContext"),
                (_p("securityContext"), _p("init.securityContext")),
            ),
            Workload(
                "migrate", (_p("migrate.resources"), _p("init.resources")), _p("podSecurityContext"),
                (_p("securityContext"), _p("init.securityContext")), enabled=_p("migrate.enabled"),
            ),
        )
    ),
    "thanos": ChartProfile(_THANOS),
    "victoria-metrics-operator": ChartProfile((_standard("operator"),)),
    "prometheus-operator-crds": ChartProfile(()),
    "pyrra": ChartProfile((_standard("pyrra", extra_resources=("operator.resources",)),)),
    "sloth": ChartProfile(
        (
            Workload(
                "sloth", (_p("resources"),), _p("securityContext.pod"), (_p("securityContext.container"),),
            ),
            Workload(
                "git-sync-plugins", (_p("commonPlugins.gitRepo.resources"),), _p("securityContext.pod"),
                (_p("securityContext.container"),), enabled=_p("commonPlugins.enabled"),
            ),
        )
    ),
    # The litmus-core chart has no security-context values at all.
    "litmus-core": ChartProfile(
        (
            Workload("operator", (_p("resources"),), None),
            Workload("exporter", (_p("exporter.resources"),), None, enabled=_p("exporter.enabled"), enabled_by_default=False),
        )
    ),
    "falco": ChartProfile(
        (
            Workload(
                "falco", (_p("resources"),), _p("podSecurityContext"), (_p("containerSecurityContext"),),
                runs_as_root="Falco reads kernel events as root", privileged=FALCO_KERNEL_ACCESS,
            ),
            Workload(
                "falcoctl-artifact-install", (_p("falcoctl.artifact.install.resources"),), _p("podSecurityContext"),
                (_p("falcoctl.artifact.install.securityContext"),), enabled=_p("falcoctl.artifact.install.enabled"),
            ),
            Workload(
                "falcoctl-artifact-follow", (_p("falcoctl.artifact.follow.resources"),), _p("podSecurityContext"),
                (_p("falcoctl.artifact.follow.securityContext"),), enabled=_p("falcoctl.artifact.follow.enabled"),
            ),
        )
    ),
    "falcosidekick": ChartProfile(
        (
            _standard("falcosidekick"),
            _standard("webui", "webui", enabled="webui.enabled", enabled_by_default=False),
        )
    ),
    # Pod security: only runAsUser and fsGroup; no container security context at all.
    "falco-talon": ChartProfile((Workload("falco-talon", (_p("resources"),), _p("podSecurityContext")),)),
    "botkube": ChartProfile((_standard("botkube", pod="securityContext", container="containerSecurityContext"),)),
    "opentelemetry-collector": ChartProfile((_standard("collector"),)),
    "prometheus-node-exporter": ChartProfile(
        (
            Workload(
                "node-exporter", (_p("resources"),), _p("securityContext"), (_p("containerSecurityContext"),),
                privileged=NODE_EXPORTER_HOST_ACCESS,
            ),
            Workload(
                "kube-rbac-proxy", (_p("kubeRBACProxy.resources"),), _p("securityContext"),
                (_p("kubeRBACProxy.containerSecurityContext"),), enabled=_p("kubeRBACProxy.enabled"), enabled_by_default=False,
            ),
        )
    ),
    "goldpinger": ChartProfile((_standard("goldpinger", container="containerSecurityContext"),)),
    "cert-manager": ChartProfile(
        (
            _standard("controller", pod="securityContext", container="containerSecurityContext"),
            _standard("webhook", "webhook", pod="securityContext", container="containerSecurityContext"),
            _standard("cainjector", "cainjector", pod="securityContext", container="containerSecurityContext",
                      enabled="cainjector.enabled"),
            _standard("startupapicheck", "startupapicheck", pod="securityContext", container="containerSecurityContext",
                      enabled="startupapicheck.enabled"),
        )
    ),
    "trust-manager": ChartProfile(
        (
            # The controller's container takes `app.securityContext`; the default CA package's init container copies
            # the public CAs into a shared volume and takes its own (trust-manager v0.24.0 templates/deployment.yaml).
            Workload(
                "trust-manager", (_p("resources"), _p("defaultPackage.resources")), _p("podSecurityContext"),
                (_p("app.securityContext"), _p("defaultPackage.securityContext")),
            ),
        )
    ),
}


def profile(chart: str) -> ChartProfile | None:
    return PROFILES.get(chart)
