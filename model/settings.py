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

Quantity = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$", examples=["10Gi"])]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+:\d{1,5}$", examples=["smtp.example.com:587"])]


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


class Settings(CamelModel):
    """One environment's settings; see docs/configuration.md for every key."""

    environment: Name
    cluster_name: Name
    domain: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")]
    catalog: str = Field(default="example", description="'example' or a path to a catalog YAML file or directory")
    paging: bool = Field(default=True, description="false: nothing pages; P0/P1 go to the team's Slack instead")
    storage_class: str | None = None
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    metrics: MetricsSettings = MetricsSettings()
    thanos: ThanosSettings = ThanosSettings()
    smtp: SmtpSettings
    secrets: dict[SecretName, SecretStr] = Field(default_factory=dict)

    def url(self, app: str) -> Url:
        """The external URL people use for an app of this environment."""
        return f"https://{app}.{self.domain}"
