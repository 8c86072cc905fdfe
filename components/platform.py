"""The Platform: every system of the stack, composed from the stack settings and the rendered artifacts."""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.core.v1 import Namespace
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from components.alertmanager import Alertmanager, AlertmanagerArgs
from components.common import PACKAGE
from components.victoriametrics import VictoriaMetrics, VictoriaMetricsArgs
from render.topology import MONITORING_NAMESPACE
from stacks import Stack


class Platform(pulumi.ComponentResource):
    """The alerting platform of one environment."""

    def __init__(self, name: str, stack: Stack, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Platform", name, None, opts)
        settings, artifacts = stack.settings, stack.artifacts

        self.monitoring_namespace = Namespace(
            f"{name}-ns-{MONITORING_NAMESPACE}",
            metadata=ObjectMetaArgs(
                name=MONITORING_NAMESPACE,
                labels={"pod-security.kubernetes.io/enforce": "restricted", "app.kubernetes.io/part-of": "alerting-platform"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        namespace = self.monitoring_namespace.metadata.name
        after_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.monitoring_namespace])

        self.victoriametrics = VictoriaMetrics(
            f"{name}-victoriametrics",
            VictoriaMetricsArgs(namespace=namespace, rule_files=artifacts.rule_files),
            opts=after_ns,
        )
        self.alertmanager = Alertmanager(
            f"{name}-alertmanager",
            AlertmanagerArgs(
                namespace=namespace,
                config=artifacts.alertmanager,
                templates=artifacts.alertmanager_templates,
                secrets={
                    secret: settings.secrets[secret].get_secret_value() for secret in artifacts.secrets
                },
                replicas=settings.alertmanager.replicas,
                retention=str(settings.alertmanager.retention),
                storage_size=settings.alertmanager.storage_size,
                storage_class=settings.storage_class,
            ),
            opts=after_ns,
        )
        self.urls = {"alertmanager": settings.url("alertmanager")}
        self.register_outputs({"urls": self.urls})
