"""Performance budgets: typed limits on what users feel (web vitals), what services do (latency, errors,
throughput, memory) and what machines carry (utilisation, network latency).

Every limit becomes a recorded series and an alert. A limit can also watch for regressions against its own
history (`regression`: the same hour last week or the 7-day median) and add a weekly-seasonal anomaly alert
(`seasonal`), which may also stand in for a fixed bound. Metric names default to the OpenTelemetry semantic
conventions, cAdvisor, node-exporter and goldpinger; each budget can rename them.

The defaults are the implementation report's budgets (docs/slo.md, "The report's budgets"): web vitals and
network latency at the 95th percentile, throughput at 95% of its baseline.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from model.base import Duration, Lookback, Name, PendingDuration, PositiveDuration, RateWindow, StrictModel
from model.promql import LabelName, LabelValue
from model.slo import Kinded

Baseline = Literal["same-hour-last-week", "median-7d"]


class _WithFor(StrictModel):
    model_config = ConfigDict(populate_by_name=True)


class Regression(_WithFor):
    """Alert when the signal is worse than its own baseline by more than `tolerance` (0.2: 20% worse)."""

    baseline: Baseline = "same-hour-last-week"
    tolerance: float = Field(default=0.2, gt=0, le=10)
    for_: PendingDuration = Field(default=Duration.of(minutes=30), alias="for")


class Seasonal(_WithFor):
    """A dynamic threshold for periodic traffic: alert when the z-score against the same time of the last `weeks`
    weeks exceeds `z`. Beside a fixed bound it adds an anomaly alert; without one it replaces the bound."""

    weeks: int = Field(default=3, ge=1, le=8)
    z: float = Field(default=3.0, gt=0)
    for_: PendingDuration = Field(default=Duration.of(minutes=15), alias="for")


class _Limit(_WithFor):
    regression: Regression | None = None
    seasonal: Seasonal | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `lcp: 2500ms` is the common case: a bare bound.
        return {"max": value} if isinstance(value, str | int | float | Duration) else value

    @model_validator(mode="after")
    def _bound_or_seasonal(self):
        if self.max is None and self.seasonal is None:
            raise ValueError("give `max`, `seasonal` or both (a seasonal threshold alone replaces the fixed bound)")
        return self


class TimeLimit(_Limit):
    """An upper bound on a duration signal, e.g. `2500ms`."""

    max: PositiveDuration | None = None


class LatencyLimit(TimeLimit):
    """An upper bound on a latency at a percentile, e.g. 95% of internal round trips under 10ms."""

    percentile: float = Field(default=95, ge=50, lt=100, description="the report: 95% under 10ms")


class ScoreLimit(_Limit):
    """An upper bound on a unitless score, e.g. CLS 0.1."""

    max: float | None = Field(default=None, gt=0)


class RatioLimit(_Limit):
    """An upper bound on a share, e.g. an error rate of 0.001 (99.9% success)."""

    max: float | None = Field(default=None, gt=0, lt=1)


class ThroughputLimit(_WithFor):
    """Throughput may not fall below `min_of_baseline` of its baseline (0.95: a drop of more than 5% alerts)."""

    min_of_baseline: float = Field(default=0.95, gt=0, lt=1, description="the report: 95% of baseline capacity")
    baseline: Baseline = "same-hour-last-week"
    seasonal: Seasonal | None = Field(default=None, description="also an anomaly alert against the same time of past weeks")
    for_: PendingDuration = Field(default=Duration.of(minutes=15), alias="for")


class UtilisationLimit(_WithFor):
    """`share` of the time under `under` utilisation, measured over `over`: 0.9 of the time under 0.8 is the
    report's "90% of time under 80% utilization". `regression` and `seasonal` judge the utilisation itself."""

    under: float = Field(gt=0, lt=1, description="the utilisation level, e.g. 0.8")
    share: float = Field(gt=0, lt=1, description="the share of time that must stay under it, e.g. 0.9")
    over: Lookback = Field(default=Duration.of(days=1), description="the window the share is measured over")
    for_: PendingDuration = Field(default=Duration(0), alias="for")
    regression: Regression | None = None
    seasonal: Seasonal | None = None


class _Budget(Kinded, _WithFor):
    LIMITS: ClassVar[tuple[str, ...]] = ()
    name: Name
    description: str = ""
    severity: Literal["critical", "warning", "info"] = Field(default="warning", description="budgets open tickets unless told otherwise")
    for_: PendingDuration = Field(default=Duration.of(minutes=15), alias="for", description="pending time of a fixed bound")
    window: RateWindow = Field(default=Duration.of(minutes=5), description="rate window of the signals")
    matchers: dict[LabelName, LabelValue] = Field(default_factory=dict, description="extra label equalities on every signal")

    @model_validator(mode="after")
    def _at_least_one_limit(self):
        if not any(getattr(self, f) is not None for f in self.LIMITS):
            raise ValueError(f"give at least one of: {', '.join(self.LIMITS)}")
        return self


class FrontendMetrics(StrictModel):
    """Histogram names of the real-user monitoring signals (seconds, CLS unitless)."""

    lcp: str = "web_vitals_lcp_seconds"
    fcp: str = "web_vitals_fcp_seconds"
    cls: str = "web_vitals_cls"
    inp: str = "web_vitals_inp_seconds"
    fid: str = "web_vitals_fid_seconds"
    page_load: str = "page_load_seconds"


class FrontendBudget(_Budget):
    """Core web vitals and page load at a percentile of real users: the report's "95% under" each limit."""

    LIMITS: ClassVar[tuple[str, ...]] = ("lcp", "fcp", "cls", "inp", "fid", "page_load")
    kind: Literal["frontend"]
    percentile: float = Field(default=95, ge=50, lt=100, description="the report: 95% of page loads under each limit")
    lcp: TimeLimit | None = None
    fcp: TimeLimit | None = None
    cls: ScoreLimit | None = None
    inp: TimeLimit | None = None
    fid: TimeLimit | None = None
    page_load: TimeLimit | None = None
    metrics: FrontendMetrics = FrontendMetrics()


class BackendMetrics(StrictModel):
    """Where the backend signals come from: OpenTelemetry HTTP and database client histograms, and cAdvisor's
    container memory as the kubelet exports it."""

    requests: str = "http_server_request_duration_seconds"
    status_label: LabelName = "http_response_status_code"
    error_status: str = Field(default="5..", description="regular expression of the failing status codes")
    db_queries: str = "db_client_operation_duration_seconds"
    memory_used: str = "container_memory_working_set_bytes"
    memory_limit: str = "container_spec_memory_limit_bytes"
    pods: str | None = Field(default=None, description="regular expression of the service's pod names; default `<service>-.*`")


class BackendBudget(_Budget):
    """API p99 latency, database query p95, error rate, throughput against its baseline, and the share of time
    the service's fullest container stays under a memory utilisation."""

    LIMITS: ClassVar[tuple[str, ...]] = ("api_p99", "db_query_p95", "error_rate", "throughput", "memory")
    kind: Literal["backend"]
    api_p99: TimeLimit | None = None
    db_query_p95: TimeLimit | None = None
    error_rate: RatioLimit | None = None
    throughput: ThroughputLimit | None = None
    memory: UtilisationLimit | None = None
    metrics: BackendMetrics = BackendMetrics()


class InfrastructureMetrics(StrictModel):
    """Network latency histogram (goldpinger's peer round trips by default); the rest is node-exporter."""

    network_latency: str = "goldpinger_peers_response_time_s"


class InfrastructureBudget(_Budget):
    """Utilisation of each node as "X% of the time under Y%" for CPU, memory and disk I/O, and internal network
    latency at a percentile."""

    LIMITS: ClassVar[tuple[str, ...]] = ("cpu", "memory", "disk_io", "network_latency")
    kind: Literal["infrastructure"]
    cpu: UtilisationLimit | None = None
    memory: UtilisationLimit | None = None
    disk_io: UtilisationLimit | None = None
    network_latency: LatencyLimit | None = None
    metrics: InfrastructureMetrics = InfrastructureMetrics()

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "network_latency_p99" in data:
            raise ValueError("`network_latency_p99` is now `network_latency` with a percentile: write "
                             "`network_latency: {max: 10ms, percentile: 99}`")
        return data


Budget = Annotated[FrontendBudget | BackendBudget | InfrastructureBudget, Field(discriminator="kind")]


def budget_problems(org) -> list:
    """Duplicate budget names within a service, with field paths."""
    problems = []
    for ti, team in enumerate(org.teams):
        for si, service in enumerate(team.services):
            names = [b.name for b in service.budgets]
            for bi, name in enumerate(names):
                if names.index(name) != bi:
                    problems.append(
                        (("teams", ti, "services", si, "budgets", bi, "name"), f"duplicate budget name {name!r} in service {service.name!r}")
                    )
    return problems
