"""Chaos experiments a team runs against its own services with Litmus, with the guardrails production needs.

The fault classes are the report's sixteen (network, pod, node and application chaos), each mapped to the litmus-go
fault that implements it at the deployed Litmus release (3.28.0). Two of them Litmus cannot do; they are refused
with a message that says so (see UNSUPPORTED_FAULTS and docs/chaos.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from model.base import Duration, EmailAddress, Name, StrictModel, TimeOfDay
from model.promql import MAX_QUERY_LENGTH


class ChaosFault(StrEnum):
    """The fault classes the platform runs; each renders to the litmus-go fault of LITMUS_FAULT."""

    # Network chaos
    pod_network_latency = "pod-network-latency"
    pod_network_loss = "pod-network-loss"
    pod_network_partition = "pod-network-partition"
    pod_network_rate_limit = "pod-network-rate-limit"
    # Pod chaos
    pod_delete = "pod-delete"
    pod_memory_hog = "pod-memory-hog"
    pod_cpu_hog = "pod-cpu-hog"
    pod_io_stress = "pod-io-stress"
    # Node chaos: every pod on the node is hit, so only where the service allows it (Service.node_faults)
    node_drain = "node-drain"
    node_cpu_hog = "node-cpu-hog"
    node_memory_hog = "node-memory-hog"
    # Application chaos, aimed at one dependency, endpoint or host
    dependency_failure = "dependency-failure"
    api_errors = "api-errors"
    auth_failure = "auth-failure"
    third_party_unreachable = "third-party-unreachable"


LITMUS_FAULT: dict[ChaosFault, str] = {
    ChaosFault.pod_network_latency: "pod-network-latency",
    ChaosFault.pod_network_loss: "pod-network-loss",
    ChaosFault.pod_network_partition: "pod-network-partition",
    ChaosFault.pod_network_rate_limit: "pod-network-rate-limit",
    ChaosFault.pod_delete: "pod-delete",
    ChaosFault.pod_memory_hog: "pod-memory-hog",
    ChaosFault.pod_cpu_hog: "pod-cpu-hog",
    ChaosFault.pod_io_stress: "pod-io-stress",
    ChaosFault.node_drain: "node-drain",
    ChaosFault.node_cpu_hog: "node-cpu-hog",
    ChaosFault.node_memory_hog: "node-memory-hog",
    # Every packet to the dependency's Service is dropped: its connections fail, nothing else does.
    ChaosFault.dependency_failure: "pod-network-loss",
    # The service's own pods answer its callers with an error status (litmus-go's HTTP proxy on the target port).
    ChaosFault.api_errors: "pod-http-status-code",
    ChaosFault.auth_failure: "pod-http-status-code",
    # The third-party host's name no longer resolves inside the service's pods.
    ChaosFault.third_party_unreachable: "pod-dns-error",
}
"""The litmus-go experiment (experiments/generic/<name> at tag 3.28.0) each fault class runs."""

NODE_FAULTS = frozenset({ChaosFault.node_drain, ChaosFault.node_cpu_hog, ChaosFault.node_memory_hog})

UNSUPPORTED_FAULTS = {
    "kernel-panic": "Litmus has no kernel-panic fault (litmus-go 3.28.0's node faults are node-cpu-hog, node-drain, "
    "node-io-stress, node-memory-hog, node-restart and node-taint); a panic takes the whole node and every pod on it "
    "down without a bound: use node-drain to test losing a node",
    "node-network-isolation": "Litmus has no fault that cuts a node off the network (litmus-go 3.28.0 has no "
    "node-network fault); use node-drain to test losing a node, or pod-network-partition for the service's pods",
}
"""Fault classes the report names that Litmus cannot run, and why."""


class ChaosLevel(StrEnum):
    """How often and when an experiment runs (docs/chaos.md, "Schedules")."""

    light = "light"  # daily, off-peak
    medium = "medium"  # weekly, inside a maintenance window
    heavy = "heavy"  # monthly, on the planned chaos day


DEFAULT_LEVEL_FAULTS: dict[ChaosLevel, list[ChaosFault]] = {
    ChaosLevel.light: [ChaosFault.pod_network_latency, ChaosFault.pod_network_loss, ChaosFault.pod_delete],
    ChaosLevel.medium: [
        ChaosFault.pod_delete, ChaosFault.pod_cpu_hog, ChaosFault.pod_memory_hog, ChaosFault.pod_io_stress,
        ChaosFault.pod_network_rate_limit, ChaosFault.api_errors, ChaosFault.third_party_unreachable,
    ],
    ChaosLevel.heavy: list(ChaosFault),
}
"""The report's levels: light is network latency and small pod failures, medium pod deletion and resource exhaustion,
heavy node failures and major disruptions (every class)."""


class SteadyState(StrictModel):
    """A Prometheus check Litmus evaluates throughout the fault; the experiment fails when it stops holding."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH, description="PromQL returning one number")
    comparator: Literal[">=", "<=", ">", "<", "==", "!="]
    value: float


class HttpCheck(StrictModel):
    """An HTTP request Litmus sends throughout the fault; the experiment fails when the answer changes."""

    url: Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2048)]
    status: int = Field(default=200, ge=100, le=599, description="the status code the service must keep answering")


class Approval(StrictModel):
    """Who approved running an experiment in production, and under which change ticket."""

    by: EmailAddress
    ticket: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*-?\d+$", examples=["CHG-1234"])


Hostname = Annotated[str, Field(max_length=253, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")]
NodeLabel = Annotated[str, Field(pattern=r"^[A-Za-z0-9./_-]{1,253}=[A-Za-z0-9._-]{0,63}$", examples=["chaos=allowed"])]

_FAULT_PARAMETERS: dict[str, frozenset[ChaosFault]] = {
    "network_latency": frozenset({ChaosFault.pod_network_latency}),
    "packet_loss_percent": frozenset({ChaosFault.pod_network_loss}),
    "bandwidth_mbit": frozenset({ChaosFault.pod_network_rate_limit}),
    "cpu_cores": frozenset({ChaosFault.pod_cpu_hog, ChaosFault.node_cpu_hog}),
    "memory_mb": frozenset({ChaosFault.pod_memory_hog, ChaosFault.node_memory_hog}),
    "filesystem_utilization_percent": frozenset({ChaosFault.pod_io_stress}),
    "node_label": NODE_FAULTS,
    "dependency": frozenset({ChaosFault.dependency_failure}),
    "status_code": frozenset({ChaosFault.api_errors}),
    "target_port": frozenset({ChaosFault.api_errors, ChaosFault.auth_failure}),
    "host": frozenset({ChaosFault.third_party_unreachable}),
}
_REQUIRED_PARAMETERS = {
    ChaosFault.dependency_failure: "dependency",
    ChaosFault.api_errors: "target_port",
    ChaosFault.auth_failure: "target_port",
    ChaosFault.third_party_unreachable: "host",
}


class ChaosExperiment(StrictModel):
    """One fault injected into one of the team's services, in the environments it names."""

    name: Name
    service: Name = Field(description="a service of the team that owns the experiment")
    fault: ChaosFault
    level: ChaosLevel | None = Field(
        default=None, description="light, medium or heavy: run on that level's schedule; absent: run once when created"
    )
    environments: list[Name] = Field(default_factory=lambda: ["dev"], min_length=1)
    duration: Duration = Duration.of(seconds=60)
    pods_affected_percent: int = Field(default=50, ge=1, le=100, description="blast radius: share of the service's pods")
    approval: Approval | None = Field(default=None, description="required in production environments")
    steady_state: SteadyState | None = None
    http_check: HttpCheck | None = None
    abort_burn_rate: float = Field(
        default=14.4, gt=1, le=1000,
        description="the run stops when the service's SLO burns its budget this many times too fast (14.4: the fast page)",
    )
    network_latency: Duration | None = None
    packet_loss_percent: int | None = Field(default=None, ge=1, le=100)
    bandwidth_mbit: int | None = Field(default=None, ge=1, le=10_000, description="pod-network-rate-limit: the bandwidth left")
    cpu_cores: int | None = Field(default=None, ge=1, le=16)
    memory_mb: int | None = Field(default=None, ge=16, le=65_536)
    filesystem_utilization_percent: int | None = Field(default=None, ge=1, le=100, description="pod-io-stress")
    node_label: NodeLabel | None = Field(default=None, description="node faults: only nodes with this label")
    dependency: Name | None = Field(default=None, description="dependency-failure: a service the target depends on")
    status_code: int | None = Field(default=None, ge=400, le=599, description="api-errors: the status answered (default 503)")
    target_port: int | None = Field(default=None, ge=1, le=65_535, description="api-errors, auth-failure: the service's HTTP port")
    host: Hostname | None = Field(default=None, description="third-party-unreachable: the host that stops resolving")

    @field_validator("fault", mode="before")
    @classmethod
    def _litmus_can_run_it(cls, value: Any) -> Any:
        if isinstance(value, str) and value in UNSUPPORTED_FAULTS:
            raise ValueError(f"{value} cannot be run: {UNSUPPORTED_FAULTS[value]}")
        return value

    @model_validator(mode="after")
    def _parameters_fit_the_fault(self) -> ChaosExperiment:
        if not Duration.of(seconds=10) <= self.duration <= Duration.of(minutes=30):
            raise ValueError("duration must be between 10s and 30m")
        for parameter, faults in _FAULT_PARAMETERS.items():
            if getattr(self, parameter) is not None and self.fault not in faults:
                names = " and ".join(sorted(f.value for f in faults))
                raise ValueError(f"{parameter} applies only to the {names} fault{'s' if len(faults) > 1 else ''}")
        required = _REQUIRED_PARAMETERS.get(self.fault)
        if required and getattr(self, required) is None:
            raise ValueError(f"{required} is required by the {self.fault.value} fault")
        if self.network_latency is not None and not Duration.of(seconds=0.001) <= self.network_latency <= Duration.of(seconds=60):
            raise ValueError("network_latency must be between 1ms and 60s")
        if self.fault == ChaosFault.pod_network_partition and self.pods_affected_percent != 100:
            raise ValueError(
                "pod-network-partition cuts off every pod of the service (a NetworkPolicy on its selector): "
                "set pods_affected_percent to 100"
            )
        return self


class ChaosDay(StrictModel):
    """The team's planned chaos day each month, when heavy experiments run with people at their desks."""

    day_of_month: int = Field(default=15, ge=1, le=28, description="1 to 28, so every month has it")
    start: TimeOfDay = Field(default="10:00", description="in the team's time zone (business_hours.timezone)")


class ChaosProgramme(StrictModel):
    """When a team's scheduled experiments run, per level, and which faults each level may run."""

    off_peak: TimeOfDay = Field(
        default="03:00", description="light experiments run daily at this time of the team's time zone, outside business hours"
    )
    maintenance_window: Name | None = Field(
        default=None, description="medium experiments run weekly at the start of this weekly maintenance window of the team"
    )
    chaos_day: ChaosDay = ChaosDay()
    faults: dict[ChaosLevel, list[ChaosFault]] = Field(
        default_factory=lambda: {level: list(faults) for level, faults in DEFAULT_LEVEL_FAULTS.items()},
        description="the faults each level may run; default the report's (docs/chaos.md)",
    )
