"""VictoriaMetrics: the operator (with full-schema CRDs) and the rule groups VMAlert evaluates, as VMRule objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.apiextensions import CustomResource

from components.common import PACKAGE, RESTRICTED_CONTAINER, Chart, release, resources, restricted_pod

OPERATOR_CHART = Chart("victoria-metrics-operator", "https://victoriametrics.github.io/helm-charts/", "0.67.2")
VM_API = "operator.victoriametrics.com/v1beta1"


@dataclass(frozen=True)
class VictoriaMetricsArgs:
    namespace: pulumi.Input[str]
    rule_files: dict[str, dict] = field(default_factory=dict)
    """Rendered rule files by file name; each becomes one VMRule."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw operator chart values merged over ours."""


def vmrule_name(file_name: str) -> str:
    return file_name.removesuffix(".yaml").removesuffix(".yml")


class VictoriaMetrics(pulumi.ComponentResource):
    """The VictoriaMetrics operator and the rules it hands to VMAlert."""

    operator: Any
    rules: list[CustomResource]

    def __init__(self, name: str, args: VictoriaMetricsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:VictoriaMetrics", name, None, opts)
        values = {
            # Full-schema CRDs: with the default stripped ones the API server accepts any spec without validation.
            "crds": {"plain": True},
            # The webhook's certificate is generated at template time and would change on every update.
            "admissionWebhooks": {"enabled": False},
            "podSecurityContext": restricted_pod(),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
        }
        self.operator = release(
            f"{name}-operator", "vm-operator", OPERATOR_CHART, args.namespace, values, args.extra_values,
            pulumi.ResourceOptions(parent=self),
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.operator])
        self.rules = [
            CustomResource(
                f"{name}-rule-{vmrule_name(file_name)}",
                api_version=VM_API,
                kind="VMRule",
                metadata={"name": vmrule_name(file_name), "namespace": args.namespace},
                spec=content,
                opts=after_crds,
            )
            for file_name, content in sorted(args.rule_files.items())
        ]
        self.register_outputs({})
