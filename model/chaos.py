"""Chaos experiments a team runs against its own services with Litmus, with the guardrails production needs."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from model.base import Duration, EmailAddress, Name, StrictModel
from model.promql import MAX_QUERY_LENGTH


class ChaosFault(StrEnum):
    """The Litmus faults the platform knows how to run (each with its ChaosExperiment definition)."""

    pod_delete = "pod-delete"
    pod_network_latency = "pod-network-latency"
    pod_network_loss = "pod-network-loss"
    pod_cpu_hog = "pod-cpu-hog"
    pod_memory_hog = "pod-memory-hog"


class SteadyState(StrictModel):
    """A Prometheus check Litmus evaluates throughout the fault; the experiment fails when it stops holding."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH, description="PromQL returning one number")
    comparator: Literal[">=", "<=", ">", "<", "==", "!="]
    value: float


class Approval(StrictModel):
    """Who approved running an experiment in production, and under which change ticket."""

    by: EmailAddress
    ticket: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*-?\d+$", examples=["CHG-1234"])


_FAULT_PARAMETERS = {
    "network_latency": ChaosFault.pod_network_latency,
    "packet_loss_percent": ChaosFault.pod_network_loss,
    "cpu_cores": ChaosFault.pod_cpu_hog,
    "memory_mb": ChaosFault.pod_memory_hog,
}


class ChaosExperiment(StrictModel):
    """One fault injected into one of the team's services, in the environments it names."""

    name: Name
    service: Name = Field(description="a service of the team that owns the experiment")
    fault: ChaosFault
    environments: list[Name] = Field(default_factory=lambda: ["dev"], min_length=1)
    duration: Duration = Duration.of(seconds=60)
    pods_affected_percent: int = Field(default=50, ge=1, le=100, description="blast radius: share of the service's pods")
    approval: Approval | None = Field(default=None, description="required in production environments")
    steady_state: SteadyState | None = None
    network_latency: Duration | None = None
    packet_loss_percent: int | None = Field(default=None, ge=1, le=100)
    cpu_cores: int | None = Field(default=None, ge=1, le=16)
    memory_mb: int | None = Field(default=None, ge=16, le=65_536)

    @model_validator(mode="after")
    def _parameters_fit_the_fault(self) -> ChaosExperiment:
        if not Duration.of(seconds=10) <= self.duration <= Duration.of(minutes=30):
            raise ValueError("duration must be between 10s and 30m")
        for parameter, fault in _FAULT_PARAMETERS.items():
            if getattr(self, parameter) is not None and self.fault != fault:
                raise ValueError(f"{parameter} applies only to the {fault.value} fault")
        return self
