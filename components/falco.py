"""Falco on every node, and falcosidekick (its own release) turning Falco events into Alertmanager alerts.

falcosidekick runs as a separate release rather than the falco chart's subchart, which lags the standalone
chart. Falco is the one component that keeps elevated privileges: it reads kernel events. With the modern eBPF
driver in least-privileged mode that means a few capabilities (BPF, PERFMON, SYS_RESOURCE, SYS_PTRACE), not a
privileged container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    release,
    replicas,
    resources,
    restricted_pod,
)
from render.topology import FALCOSIDEKICK_PORT, FALCOSIDEKICK_RELEASE, falcosidekick_url

FALCO_CHART = Chart("falco", "https://falcosecurity.github.io/charts", "9.1.0")
SIDEKICK_CHART = Chart("falcosidekick", "https://falcosecurity.github.io/charts", "0.14.0")
SIDEKICK_UID = 1234


@dataclass(frozen=True)
class FalcoArgs:
    namespace: pulumi.Input[str]
    alertmanager_output: dict
    """falcosidekick's `config.alertmanager` (render.falco.sidekick_alertmanager)."""
    driver: Literal["modern_ebpf", "ebpf", "kmod"] = "modern_ebpf"
    high_availability: bool = True
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw falco chart values merged over ours."""
    extra_sidekick_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw falcosidekick chart values merged over ours."""


class Falco(pulumi.ComponentResource):
    falco: Any
    sidekick: Any

    def __init__(self, name: str, args: FalcoArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Falco", name, None, opts)
        sidekick_values = {
            "replicaCount": replicas(args.high_availability),
            # No TLS server here, so no plain-HTTP side port: the chart's Service would otherwise expose a
            # `http-notls` port that its pods only open with `tlsserver.deploy`.
            "config": {"alertmanager": args.alertmanager_output, "tlsserver": {"notlspaths": ""}},
            "webui": {"enabled": False},
            "podSecurityContext": restricted_pod(SIDEKICK_UID),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="128Mi"),
        }
        self.sidekick = release(
            f"{name}-sidekick", FALCOSIDEKICK_RELEASE, SIDEKICK_CHART, args.namespace, sidekick_values,
            args.extra_sidekick_values, child(self),
        )
        falco_values = {
            "controller": {"kind": "daemonset"},
            "driver": {"kind": args.driver, "modernEbpf": {"leastPrivileged": True}},
            "falco": {
                # falcosidekick reads JSON events.
                "json_output": True,
                "json_include_output_property": True,
                "http_output": {"enabled": True, "url": f"{falcosidekick_url()}/"},
            },
            "falcosidekick": {"enabled": False},
            "resources": resources("100m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            # falcoctl fetches rule artifacts at start (install) and keeps them current (follow).
            "falcoctl": {
                "artifact": {
                    "install": {"resources": resources("10m", "32Mi", cpu_limit="100m", memory_limit="64Mi")},
                    "follow": {"resources": resources("10m", "32Mi", cpu_limit="100m", memory_limit="64Mi")},
                }
            },
        }
        self.falco = release(
            f"{name}-release", "falco", FALCO_CHART, args.namespace, falco_values, args.extra_values,
            child(self, self.sidekick),
        )
        self.register_outputs({"sidekick_port": FALCOSIDEKICK_PORT})
