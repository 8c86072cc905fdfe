"""Stack settings: everything that differs between environments, read from `alerting-platform:*` Pulumi config.

Field names are the camelCase config keys (`pulumi config set --path 'alertmanager.replicas' 3`). Secret values
arrive only in `secrets` (`pulumi config set --secret --path 'secrets.<name>' <value>`) and stay `SecretStr`, which
never prints its value.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from model.base import CamelModel, Duration, Name, PositiveDuration, SecretName, Url
from model.catalog import EmailAddress, SecretRef
from model.security import Cidr

Quantity = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$", examples=["10Gi"])]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+:\d{1,5}$", examples=["smtp.example.com:587"])]
Hostname = Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", examples=["db.internal.example.com"])]
Port = Annotated[int, Field(ge=1, le=65535)]
FalcoPriority = Literal["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"]


class AlertmanagerSettings(CamelModel):
    """The Alertmanager cluster: every replica gets every alert; they gossip to send each notification once."""

    replicas: int = Field(default=3, ge=1, le=7)
    retention: PositiveDuration = Duration.of(hours=120)
    storage_size: Quantity = "1Gi"


class MetricsSettings(CamelModel):
    """VictoriaMetrics: one VMSingle for small environments, a replicated VMCluster for production."""

    mode: Literal["single", "cluster"] = "cluster"
    retention: PositiveDuration = Duration.of(days=30)
    storage_size: Quantity = "50Gi"
    replication_factor: int = Field(default=2, ge=1, le=5)

    @model_validator(mode="after")
    def _replication_needs_cluster(self) -> MetricsSettings:
        if self.mode == "single" and self.replication_factor != 1:
            raise ValueError("replicationFactor must be 1 in single mode; replication needs mode: cluster")
        return self


class ThanosSettings(CamelModel):
    """Long-term storage: downsampled history in object storage, queried through Thanos Query."""

    enabled: bool = True
    retention_raw: PositiveDuration = Duration.of(days=30)
    retention_5m: PositiveDuration = Field(default=Duration.of(days=180), alias="retention5m")
    retention_1h: PositiveDuration = Field(default=Duration.of(days=730), alias="retention1h")
    object_storage: SecretRef = Field(
        default=SecretRef(secret="thanos-objstore"), description="secret holding the Thanos objstore.yml"
    )

    @model_validator(mode="after")
    def _coarser_keeps_longer(self) -> ThanosSettings:
        if not self.retention_raw <= self.retention_5m <= self.retention_1h:
            raise ValueError("retentions must not shrink with resolution: retentionRaw <= retention5m <= retention1h")
        return self


class SmtpSettings(CamelModel):
    """The mail relay Alertmanager sends through."""

    smarthost: HostPort
    sender: EmailAddress = Field(alias="from")
    username: str | None = None
    password: SecretRef | None = None
    require_tls: bool = True


class PostgresEndpoint(CamelModel):
    """A PostgreSQL database the platform uses but does not run; the password is a secret reference."""

    host: Hostname
    port: Port = 5432
    database: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    user: Annotated[str, Field(min_length=1, max_length=63)]
    password: SecretRef
    ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    ca_certificate: SecretRef | None = Field(
        default=None, description="secret holding the PEM of the CA that signed the server's certificate; verify-ca and verify-full need it"
    )

    @model_validator(mode="after")
    def _verification_needs_ca(self) -> PostgresEndpoint:
        # libpq verifies against ~/.postgresql/root.crt, which no image carries: without a CA every connection fails.
        if self.ssl_mode in ("verify-ca", "verify-full") and self.ca_certificate is None:
            raise ValueError(f"sslMode {self.ssl_mode} needs caCertificate (a secret holding the CA's PEM)")
        return self


class RedisEndpoint(CamelModel):
    """A Redis (or Valkey) server the platform uses but does not run."""

    host: Hostname
    port: Port = 6379
    database: int = Field(default=0, ge=0, le=15)
    password: SecretRef | None = None
    tls: bool = True


class OnCallEscalationSettings(CamelModel):
    """Each team's rotations, escalation chain and Alertmanager integration, kept in OnCall through its API.

    Off on a first deploy: the API token is created in the running OnCall (Settings > API tokens), then set with
    `pulumi config set --secret --path 'secrets.oncall-api-token'` and this switched on.
    """

    manage: bool = False
    api_url: Url | None = Field(default=None, description="OnCall's API as seen from where `pulumi up` runs")
    api_token: SecretRef = SecretRef(secret="oncall-api-token")


class OnCallSettings(CamelModel):
    """Grafana OnCall's engine and the services it needs.

    Without `postgres`/`redis` the platform runs small in-cluster ones (fine for development only); without
    `grafanaUrl` OnCall uses the platform's own Grafana.
    """

    postgres: PostgresEndpoint | None = None
    redis: RedisEndpoint | None = None
    grafana_url: Url | None = None
    escalation: OnCallEscalationSettings = OnCallEscalationSettings()


class GrafanaTeamsSettings(CamelModel):
    """Each catalog team as a Grafana team with a folder it owns, through Grafana's API (OnCall takes its teams from there).

    Off on a first deploy: Grafana must be running, and a team's people must have signed in once (Grafana creates its
    users at their first sign-in through the authentication proxy) before they can be made members.
    """

    manage: bool = False
    api_url: Url | None = Field(default=None, description="Grafana's API as seen from where `pulumi up` runs")


class GrafanaSettings(CamelModel):
    """Grafana: dashboards over VictoriaMetrics and Thanos, and the OnCall UI."""

    database: PostgresEndpoint | None = Field(
        default=None, description="shared database; required for more than one replica (SQLite is one pod's file)"
    )
    storage_size: Quantity = "2Gi"
    teams: GrafanaTeamsSettings = GrafanaTeamsSettings()


class ForensicsSettings(CamelModel):
    """Where Falco Talon's captures go: a bucket of the platform's object store, with credentials of their own."""

    endpoint: HostPort = Field(description="the S3 API of the object store, host:port (s3.eu-west-1.amazonaws.com:443)")
    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")] = "alerting-platform-forensics"
    use_ssl: bool = True
    access_key: SecretRef = SecretRef(secret="forensics-access-key")
    secret_key: SecretRef = SecretRef(secret="forensics-secret-key")


class ResponseSettings(CamelModel):
    """Falco Talon, carrying out the catalog's `runtime_security.responses`."""

    dry_run: bool | None = Field(
        default=None, description="log what would be done without doing it; unset: dry run unless `production`"
    )
    forensics: ForensicsSettings | None = Field(default=None, description="required when a response captures")


RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


class FalcoSettings(CamelModel):
    """Falco on every node, its events forwarded to Alertmanager (and to Falco Talon) by falcosidekick."""

    driver: Literal["modern_ebpf", "ebpf", "kmod"] = "modern_ebpf"
    minimum_priority: FalcoPriority = Field(
        default="notice", description="falcosidekick forwards events of this Falco priority and above (the rules the platform enables are notice and above)"
    )
    cluster_networks: list[Cidr] = Field(
        default_factory=lambda: list(RFC1918), min_length=1,
        description="the cluster's pod, service and node networks: connections inside them are never unexpected",
    )
    response: ResponseSettings = ResponseSettings()


class BotkubeSettings(CamelModel):
    """Botkube posts Kubernetes events to each team's alert channel through the organisation's Slack app."""

    enabled: bool = True
    app_token: SecretRef = Field(
        default=SecretRef(secret="botkube-slack-app-token"), description="the Slack app-level token (xapp-...) for Socket Mode"
    )


class IngressSettings(CamelModel):
    """How the UIs are published at https://<app>.<domain>."""

    class_name: Annotated[str, Field(min_length=1)] = "nginx"
    annotations: dict[str, str] = Field(
        default_factory=dict, description="added to every Ingress, e.g. a cert-manager issuer or an auth proxy"
    )


class AccessSettings(CamelModel):
    """Who is signed in. The authentication proxy in front of every UI (the Ingress annotations) passes the signed-in
    user's e-mail in a request header; Karma and Grafana take the user from it, so every silence and change is theirs."""

    user_header: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$", examples=["X-Auth-Request-Email"])] | None = Field(
        default=None,
        description="the header carrying the signed-in user's e-mail; unset: the UIs have no users (development only)",
    )


class TlsSettings(CamelModel):
    """Encryption in transit inside the cluster: cert-manager, deployed by the platform, issues each component's
    certificate from the platform's own CA; the components that can use TLS do (see docs/encryption.md)."""

    enabled: bool = False


class ChaosSettings(CamelModel):
    """Litmus experiments from the catalog; in production they must be approved and their blast radius bounded."""

    enabled: bool = True
    max_pods_affected_percent: int = Field(default=50, ge=1, le=100, description="production blast-radius bound")
    max_duration: PositiveDuration = Field(default=Duration.of(minutes=10), description="production duration bound")


class BackupSettings(CamelModel):
    """Scheduled dumps of OnCall's and Grafana's databases and Alertmanager's silences into Thanos' object store."""

    enabled: bool = True
    schedule: Annotated[str, Field(pattern=r"^\S+( \S+){4}$", examples=["23 */6 * * *"])] = Field(
        default="23 */6 * * *", description="a five-field cron schedule in the cluster's time zone (UTC)"
    )
    keep_days: int = Field(default=14, ge=1, le=365, description="dumps older than this are deleted from the bucket")


class Settings(CamelModel):
    """One environment's settings; see docs/configuration.md for every key."""

    environment: Name
    cluster_name: Name
    domain: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")]
    catalog: str = Field(default="example", description="'example' or a path to a catalog YAML file or directory")
    paging: bool = Field(default=True, description="false: nothing pages; P0/P1 go to the team's Slack instead")
    production: bool = Field(default=False, description="serves real users: chaos needs approval and a bounded blast radius")
    storage_class: str | None = None
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.(2[89]|3[0-7])$", examples=["1.33"])] = Field(
        default="1.33", description="the target cluster's Kubernetes minor version: charts render for it, objects validate against it"
    )
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    metrics: MetricsSettings = MetricsSettings()
    thanos: ThanosSettings = ThanosSettings()
    smtp: SmtpSettings
    high_availability: bool = Field(
        default=True, description="at least two replicas of every stateless service that supports it; false for small environments"
    )
    oncall: OnCallSettings = OnCallSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    falco: FalcoSettings = FalcoSettings()
    botkube: BotkubeSettings = BotkubeSettings()
    ingress: IngressSettings = IngressSettings()
    access: AccessSettings = AccessSettings()
    tls: TlsSettings = TlsSettings()
    chaos: ChaosSettings = ChaosSettings()
    backup: BackupSettings = BackupSettings()
    secrets: dict[SecretName, SecretStr] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _backups_need_the_object_store(self) -> Settings:
        if self.backup.enabled and not self.thanos.enabled:
            raise ValueError("backup.enabled needs thanos.enabled: backups go to Thanos' object store")
        return self

    @model_validator(mode="after")
    def _production_knows_its_users(self) -> Settings:
        # Without a signed-in user Karma can neither apply a team's silence rules nor say who silenced what.
        if self.production and self.access.user_header is None:
            raise ValueError("production needs access.userHeader: the header the authentication proxy names the user in")
        return self

    @model_validator(mode="after")
    def _production_shape(self) -> Settings:
        if not self.high_availability:
            return self
        needs = {
            "alertmanager.replicas": "must be at least 2" if self.alertmanager.replicas < 2 else None,
            "metrics.mode": "must be cluster" if self.metrics.mode != "cluster" else None,
            "oncall.postgres": "is required" if self.oncall.postgres is None else None,
            "oncall.redis": "is required" if self.oncall.redis is None else None,
            "grafana.database": "is required" if self.grafana.database is None else None,
        }
        wrong = [f"{key} {need}" for key, need in needs.items() if need]
        if wrong:
            raise ValueError(
                "highAvailability needs " + "; ".join(wrong) + " (in-cluster single-pod services are for development)"
            )
        return self

    def url(self, app: str) -> Url:
        """The external URL people use for an app of this environment."""
        return f"https://{app}.{self.domain}"
