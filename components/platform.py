"""The Platform: every system of the stack, composed from the stack settings and the rendered artifacts.

It decides only wiring: which namespace each system lives in, who talks to whom (through render.systems.topology) and
which secrets reach which component. Everything the catalog decides (routing, rules, SLOs, every system's
configuration) arrives rendered in `artifacts` (render.render); the catalog itself never reaches a component.
"""

from __future__ import annotations

import pulumi
from pulumi_kubernetes.core.v1 import Namespace
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from components.alertmanager import Alertmanager, AlertmanagerArgs
from components.backup import BackupArgs, Backups, DatabaseToBackUp
from components.botkube import Botkube, BotkubeArgs
from components.cert_manager import CertManager, CertManagerArgs
from components.common import PACKAGE, PART_OF, Exposure
from components.databases import DatabaseArgs, InClusterPostgres, InClusterValkey
from components.falco import Falco, FalcoArgs, Forensics, TalonArgs
from components.goldpinger import Goldpinger, GoldpingerArgs
from components.grafana import DATABASE_SECRET as GRAFANA_DATABASE_SECRET
from components.grafana import Grafana, GrafanaArgs
from components.grafana_access import GrafanaAccess, GrafanaAccessArgs
from components.karma import Karma, KarmaArgs
from components.litmus import Litmus, LitmusArgs
from components.node_exporter import NodeExporter, NodeExporterArgs
from components.oncall import POSTGRES_SECRET as ONCALL_DATABASE_SECRET
from components.oncall import OnCall, OnCallArgs, PostgresConnection, RedisConnection
from components.oncall_escalation import OnCallEscalation, OnCallEscalationArgs
from components.otel import OtelCollector, OtelCollectorArgs
from components.pyrra import Pyrra, PyrraArgs
from components.sloth import Sloth, SlothArgs
from components.thanos import Thanos, ThanosArgs
from components.victoriametrics import VictoriaMetrics, VictoriaMetricsArgs
from model.settings import Settings
from render import Artifacts
from render.systems import tls
from render.systems.falco import sidekick_tls_client
from render.systems.topology import FALCO_NAMESPACE, LITMUS_NAMESPACE, MONITORING_NAMESPACE, NODE_EXPORTER_NAMESPACE, alertmanager_replica_urls, alertmanager_service_url, grafana_internal_url, metrics_query_url, metrics_remote_write_url, metrics_write_base_url, thanos_query_url, thanos_receive_url

# Pod Security Standard per namespace: `restricted` wherever the charts allow it.
NAMESPACES = {
    MONITORING_NAMESPACE: "restricted",
    # Falco reads kernel events: its pods need capabilities no other level admits.
    FALCO_NAMESPACE: "privileged",
    # The litmus-core chart offers no security-context values; `restricted` is still audited and warned about.
    LITMUS_NAMESPACE: "baseline",
    # node-exporter reads the host's /proc and /sys in the host's network and process namespaces.
    NODE_EXPORTER_NAMESPACE: "privileged",
}
URL_APPS = ("alertmanager", "karma", "grafana", "oncall", "pyrra", "thanos")


def namespace_labels(level: str) -> dict[str, str]:
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "app.kubernetes.io/part-of": PART_OF,
    }


class Platform(pulumi.ComponentResource):
    """The alerting platform of one environment."""

    def __init__(
        self, name: str, settings: Settings, artifacts: Artifacts, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:index:Platform", name, None, opts)
        ha = settings.high_availability

        def secret(name_: str) -> pulumi.Output[str]:
            return pulumi.Output.secret(settings.secrets[name_].get_secret_value())

        def expose(app: str, backend_tls: bool = False) -> Exposure:
            # ingress-nginx speaks plain HTTP to a backend unless told otherwise; a TLS backend answers that with 400.
            https = {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"} if backend_tls else {}
            return Exposure(
                host=f"{app}.{settings.domain}",
                class_name=settings.ingress.class_name,
                annotations={**https, **settings.ingress.annotations},
            )

        # Namespaces first: everything else is created inside one.
        self.namespaces = {
            ns: Namespace(
                f"{name}-ns-{ns}",
                metadata=ObjectMetaArgs(name=ns, labels=namespace_labels(level)),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for ns, level in {**NAMESPACES, **({tls.CERT_MANAGER_NAMESPACE: "restricted"} if settings.tls.enabled else {})}.items()
        }

        def inside(ns: str) -> tuple[pulumi.Output[str], pulumi.ResourceOptions]:
            namespace = self.namespaces[ns]
            return namespace.metadata.name, pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        monitoring, after_ns = inside(MONITORING_NAMESPACE)

        # cert-manager first: the certificates must exist before the pods that mount them start.
        self.cert_manager = None
        if settings.tls.enabled:
            cm_ns, _ = inside(tls.CERT_MANAGER_NAMESPACE)
            self.cert_manager = CertManager(
                f"{name}-cert-manager",
                CertManagerArgs(
                    namespace=cm_ns,
                    objects=(*tls.certificates(settings.metrics.mode), *((tls.thanos_certificate(),) if settings.thanos.enabled else ())),
                    trust_objects=(tls.trust_bundle(),), high_availability=ha,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.namespaces[ns] for ns in (tls.CERT_MANAGER_NAMESPACE, MONITORING_NAMESPACE, FALCO_NAMESPACE)],
                ),
            )
        after_certificates = pulumi.ResourceOptions.merge(
            after_ns, pulumi.ResourceOptions(depends_on=self.cert_manager.objects if self.cert_manager else [])
        )
        # Readers of VictoriaMetrics that mount the platform's CA themselves (VMAlert and VMAgent get it from the operator).
        metrics_ca = tls.client_ca(tls.VM_TLS_SECRET, "victoriametrics-ca") if settings.tls.enabled else None

        self.thanos = None
        if settings.thanos.enabled:
            self.thanos = Thanos(
                f"{name}-thanos",
                ThanosArgs(
                    namespace=monitoring,
                    objstore_config=secret(settings.thanos.object_storage.secret),
                    retention_raw=settings.thanos.retention_raw,
                    retention_5m=settings.thanos.retention_5m,
                    retention_1h=settings.thanos.retention_1h,
                    high_availability=ha,
                    storage_class=settings.storage_class,
                    exposure=expose("thanos"),
                    grpc_tls=settings.tls.enabled,
                ),
                opts=pulumi.ResourceOptions.merge(
                    after_ns, pulumi.ResourceOptions(depends_on=self.cert_manager.objects if self.cert_manager else [])
                ),
            )
        self.victoriametrics = VictoriaMetrics(
            f"{name}-victoriametrics",
            VictoriaMetricsArgs(
                namespace=monitoring,
                query_url=metrics_query_url(settings),
                write_base_url=metrics_write_base_url(settings),
                remote_write_url=metrics_remote_write_url(settings),
                notifier_urls=alertmanager_replica_urls(settings),
                notifier_ca_secret=tls.ALERTMANAGER_TLS_SECRET if settings.tls.enabled else None,
                tls_secret=tls.VM_TLS_SECRET if settings.tls.enabled else None,
                long_term_write_url=thanos_receive_url() if settings.thanos.enabled else None,
                mode=settings.metrics.mode,
                retention=settings.metrics.retention,
                storage_size=settings.metrics.storage_size,
                storage_class=settings.storage_class,
                replication_factor=settings.metrics.replication_factor,
                high_availability=ha,
                external_labels={"cluster": settings.cluster_name},
                rule_files=artifacts.rule_texts,
                rule_teams=artifacts.rule_teams,
            ),
            opts=after_certificates,
        )
        self.karma = Karma(
            f"{name}-karma",
            KarmaArgs(
                namespace=monitoring, config=artifacts.karma, acls=artifacts.karma_acls, high_availability=ha,
                ca_volume=tls.client_ca()[:2] if settings.tls.enabled else None,
                exposure=expose("karma"),
            ),
            opts=after_ns,
        )

        postgres, redis = self._oncall_backends(name, settings, secret, monitoring, after_ns)
        self.grafana = Grafana(
            f"{name}-grafana",
            GrafanaArgs(
                namespace=monitoring,
                url=settings.url("grafana"),
                metrics_url=metrics_query_url(settings),
                long_term_url=thanos_query_url(),
                oncall_plugin=artifacts.grafana_oncall_plugin,
                database=settings.grafana.database,
                database_password=secret(settings.grafana.database.password.secret) if settings.grafana.database else None,
                high_availability=ha,
                storage_size=settings.grafana.storage_size,
                storage_class=settings.storage_class,
                exposure=expose("grafana", backend_tls=settings.tls.enabled),
                dashboards=artifacts.dashboards,
                user_header=settings.access.user_header,
                metrics_ca=metrics_ca,
                serve_tls=settings.tls.enabled,
                ca_bundle=tls.client_trust_bundle() if settings.tls.enabled else None,
            ),
            opts=pulumi.ResourceOptions.merge(
                after_ns, pulumi.ResourceOptions(depends_on=self.cert_manager.objects if self.cert_manager else [])
            ),
        )
        self.grafana_access = None
        if settings.grafana.teams.manage:
            self.grafana_access = GrafanaAccess(
                f"{name}-grafana-access",
                GrafanaAccessArgs(
                    api_url=settings.grafana.teams.api_url or settings.url("grafana"),
                    admin_password=self.grafana.admin_password,
                    teams=artifacts.grafana_teams,
                    permissions={team: list(grants) for team, grants in artifacts.grafana_folder_permissions.items()},
                    depends_on=(self.grafana,),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.oncall = OnCall(
            f"{name}-oncall",
            OnCallArgs(
                namespace=monitoring,
                host=f"oncall.{settings.domain}",
                grafana_url=settings.oncall.grafana_url or grafana_internal_url(settings),
                postgres=postgres,
                redis=redis,
                high_availability=ha,
                exposure=expose("oncall"),
                scrape_depends_on=(self.victoriametrics.operator,),
                ca_bundle=tls.client_trust_bundle() if settings.tls.enabled else None,
            ),
            opts=pulumi.ResourceOptions.merge(
                after_ns, pulumi.ResourceOptions(depends_on=self.cert_manager.objects if self.cert_manager else [])
            ),
        )
        # The teams' rotations and escalation chains; their integrations' URLs become Alertmanager receiver secrets.
        links: dict[str, pulumi.Output[str]] = {}
        self.oncall_escalation = None
        if settings.oncall.escalation.manage:
            incidents = artifacts.incidents
            self.oncall_escalation = OnCallEscalation(
                f"{name}-oncall-escalation",
                OnCallEscalationArgs(
                    api_url=settings.oncall.escalation.api_url or settings.url("oncall"),
                    api_token=secret(settings.oncall.escalation.api_token.secret),
                    plans=artifacts.escalation_plans,
                    depends_on=(self.oncall,),
                    incidents=incidents,
                    secrets={
                        n: secret(n) for i in incidents for n in (i.slack_token_secret, i.jira_password_secret)
                    },
                    grafana_teams=self.grafana_access,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            links = self.oncall_escalation.integration_links
        self.alertmanager = Alertmanager(
            f"{name}-alertmanager",
            AlertmanagerArgs(
                namespace=monitoring,
                config=artifacts.alertmanager,
                templates=artifacts.alertmanager_templates,
                secrets={
                    secret_name: links.get(secret_name) or secret(secret_name) for secret_name in artifacts.secrets
                },
                replicas=settings.alertmanager.replicas,
                retention=str(settings.alertmanager.retention),
                storage_size=settings.alertmanager.storage_size,
                storage_class=settings.storage_class,
                # With signed-in users every silence goes through Karma, where the teams' rules apply: Alertmanager's
                # own UI would take any silence from anyone (Karma's docs/ACLs.md asks for exactly this).
                exposure=None if settings.access.user_header else expose("alertmanager", backend_tls=settings.tls.enabled),
                cluster_tls=tls.alertmanager_cluster_tls() if settings.tls.enabled else None,
                web_tls=tls.alertmanager_web_tls() if settings.tls.enabled else None,
            ),
            opts=after_certificates,
        )
        # Sloth and Pyrra write PrometheusRules and their charts ServiceMonitors/PodMonitors: CRDs first.
        prometheus_crds = (self.victoriametrics.prometheus_crds,)
        self.pyrra = Pyrra(
            f"{name}-pyrra",
            PyrraArgs(
                namespace=monitoring,
                metrics_url=metrics_query_url(settings),
                metrics_ca=metrics_ca,
                slos=artifacts.pyrra_slos,
                depends_on=prometheus_crds,
                exposure=expose("pyrra"),
            ),
            opts=after_ns,
        )
        self.sloth = Sloth(
            f"{name}-sloth",
            SlothArgs(
                namespace=monitoring,
                slos=artifacts.sloth_slos,
                extra_labels={"cluster": settings.cluster_name},
                default_slo_period=artifacts.sloth_default_period,
                depends_on=prometheus_crds,
            ),
            opts=after_ns,
        )
        _, after_litmus_ns = inside(LITMUS_NAMESPACE)
        self.litmus = Litmus(
            f"{name}-litmus",
            LitmusArgs(
                namespace=LITMUS_NAMESPACE, high_availability=ha, experiments=artifacts.chaos_objects,
                depends_on=(self.victoriametrics.operator,),
                experiments_depend_on=tuple(self.cert_manager.objects) if self.cert_manager else (),
            ),
            opts=after_litmus_ns,
        )
        falco_ns, after_falco_ns = inside(FALCO_NAMESPACE)
        self.falco = Falco(
            f"{name}-falco",
            FalcoArgs(
                namespace=falco_ns,
                alertmanager_output=artifacts.falcosidekick_outputs["alertmanager"],
                driver=settings.falco.driver,
                high_availability=ha,
                falco_config=artifacts.falco_config,
                catalog_rules=list(artifacts.falco_rules),
                rule_refs=artifacts.falcoctl_refs,
                talon_output=artifacts.falcosidekick_outputs.get("talon"),
                talon=self._talon(settings, artifacts, secret),
                alertmanager_ca=sidekick_tls_client(settings),
            ),
            opts=pulumi.ResourceOptions.merge(
                after_falco_ns, pulumi.ResourceOptions(depends_on=self.cert_manager.objects if self.cert_manager else [])
            ),
        )
        self.botkube = None
        if artifacts.botkube_bot_token_secret is not None:
            self.botkube = Botkube(
                f"{name}-botkube",
                BotkubeArgs(
                    namespace=monitoring,
                    sources=artifacts.botkube_sources,
                    channels=artifacts.botkube_channels,
                    cluster_name=settings.cluster_name,
                    bot_token=secret(artifacts.botkube_bot_token_secret),
                    app_token=secret(settings.botkube.app_token.secret),
                ),
                opts=after_ns,
            )
        elif settings.botkube.enabled:
            pulumi.log.warn("Botkube is not deployed: the catalog has no Slack app (`slack.bot_token`) for it to post with")
        node_ns, after_node_ns = inside(NODE_EXPORTER_NAMESPACE)
        self.node_exporter = NodeExporter(
            f"{name}-node-exporter", NodeExporterArgs(namespace=node_ns, depends_on=prometheus_crds), opts=after_node_ns
        )
        self.goldpinger = Goldpinger(
            f"{name}-goldpinger", GoldpingerArgs(namespace=monitoring, depends_on=prometheus_crds), opts=after_ns
        )
        self.otel_collector = OtelCollector(
            f"{name}-otel-collector",
            OtelCollectorArgs(namespace=monitoring, config=artifacts.otel_collector, high_availability=ha),
            opts=after_ns,
        )

        self.backups = None
        if settings.backup.enabled:
            self.backups = Backups(
                f"{name}-backups",
                BackupArgs(
                    namespace=monitoring,
                    objstore_config=secret(settings.thanos.object_storage.secret),
                    databases=self._databases(settings, postgres),
                    alertmanager_url=alertmanager_service_url(settings),
                    alertmanager_ca=tls.client_ca()[:2] if settings.tls.enabled else None,
                    schedule=settings.backup.schedule,
                    keep_days=settings.backup.keep_days,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespaces[MONITORING_NAMESPACE], self.oncall, self.grafana]),
            )

        self.urls = {
            app: settings.url(app) for app in URL_APPS if not (app == "alertmanager" and settings.access.user_header)
        }
        self.register_outputs({"urls": self.urls})

    @staticmethod
    def _talon(settings: Settings, artifacts: Artifacts, secret) -> TalonArgs | None:
        """Falco Talon for the catalog's runtime responses; captures write with the forensics keys of the stack."""
        response = artifacts.runtime_response
        if response is None:
            return None
        forensics = settings.falco.response.forensics
        return TalonArgs(
            rules=list(artifacts.talon_rules),
            terminates=response.terminates,
            captures=response.captures,
            termination_approved=response.termination_approved,
            forensics=Forensics(
                endpoint=forensics.endpoint, use_ssl=forensics.use_ssl,
                access_key=secret(forensics.access_key.secret), secret_key=secret(forensics.secret_key.secret),
            ) if response.captures and forensics else None,
            quarantine_policies=response.quarantine_policies,
        )

    @staticmethod
    def _databases(settings, oncall: PostgresConnection) -> tuple[DatabaseToBackUp, ...]:
        """OnCall's database always; Grafana's when it has one (without, it keeps SQLite on its volume: development)."""
        out = [
            DatabaseToBackUp(
                name="oncall", host=oncall.host, port=oncall.port, database=oncall.database, user=oncall.user,
                ssl_mode=oncall.ssl_mode, password_secret=ONCALL_DATABASE_SECRET,
            )
        ]
        db = settings.grafana.database
        if db is not None:
            out.append(
                DatabaseToBackUp(
                    name="grafana", host=db.host, port=db.port, database=db.database, user=db.user, ssl_mode=db.ssl_mode,
                    password_secret=GRAFANA_DATABASE_SECRET,
                )
            )
        return tuple(out)

    def _oncall_backends(self, name, settings, secret, namespace, opts) -> tuple[PostgresConnection, RedisConnection]:
        """OnCall's database and broker: the managed ones from stack config, else small in-cluster ones."""
        pg = settings.oncall.postgres
        if pg is not None:
            postgres = PostgresConnection(
                host=pg.host, port=pg.port, database=pg.database, user=pg.user,
                password=secret(pg.password.secret), ssl_mode=pg.ssl_mode,
                ca_certificate=secret(pg.ca_certificate.secret) if pg.ca_certificate else None,
            )
        else:
            self.oncall_postgres = InClusterPostgres(
                f"{name}-oncall-database",
                DatabaseArgs(namespace=namespace, name="oncall-postgres", storage_class=settings.storage_class),
                opts=opts,
            )
            # Pod-to-pod inside the namespace; the in-cluster server has no certificate.
            postgres = PostgresConnection(
                host=self.oncall_postgres.host, port=self.oncall_postgres.port, database="oncall", user="oncall",
                password=self.oncall_postgres.password, ssl_mode="disable",
            )
        rd = settings.oncall.redis
        if rd is not None:
            redis = RedisConnection(
                host=rd.host, port=rd.port, database=rd.database, tls=rd.tls,
                password=secret(rd.password.secret) if rd.password else None,
            )
        else:
            self.oncall_redis = InClusterValkey(
                f"{name}-oncall-broker",
                DatabaseArgs(namespace=namespace, name="oncall-redis", storage_class=settings.storage_class),
                opts=opts,
            )
            redis = RedisConnection(
                host=self.oncall_redis.host, port=self.oncall_redis.port, password=self.oncall_redis.password, tls=False,
            )
        return postgres, redis
