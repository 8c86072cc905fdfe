"""Performance budgets: typed limits on what users feel (web vitals), what services do (latency, errors,
throughput) and what machines carry (utilisation, network latency).

Every limit becomes a recorded series and an alert. A limit can also watch for regressions against its own
history (`regression`), or replace its fixed bound with a seasonal dynamic threshold (`seasonal`). Metric names
default to the OpenTelemetry semantic conventions, node-exporter and goldpinger; each budget can rename them.
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
    """A dynamic threshold instead of a fixed one: alert when the z-score against the same time of the last
    `weeks` weeks exceeds `z`."""

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
        if (self.max is None) == (self.seasonal is None):
            raise ValueError("give either `max` or `seasonal` (a seasonal threshold replaces the fixed one)")
        return self


class TimeLimit(_Limit):
    """An upper bound on a duration signal, e.g. `2500ms`."""

    max: PositiveDuration | None = None


class ScoreLimit(_Limit):
    """An upper bound on a unitless score, e.g. CLS 0.1."""

    max: float | None = Field(default=None, gt=0)


class RatioLimit(_Limit):
    """An upper bound on a share, e.g. an error rate of 0.01."""

    max: float | None = Field(default=None, gt=0, lt=1)


class ThroughputLimit(_WithFor):
    """Throughput may not fall below `min_of_baseline` of its baseline (0.7: a 30% drop alerts)."""

    min_of_baseline: float = Field(gt=0, lt=1)
    baseline: Baseline = "same-hour-last-week"
    for_: PendingDuration = Field(default=Duration.of(minutes=15), alias="for")


class UtilisationLimit(_WithFor):
    """`share` of the time under `under` utilisation over `over`, e.g. 95% of the time under 80%."""

    under: float = Field(gt=0, lt=1)
    share: float = Field(gt=0, lt=1)
    over: Lookback = Duration.of(days=1)
    for_: PendingDuration = Field(default=Duration(0), alias="for")


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
    """Core web vitals and page load at a percentile of real users (75th, as Google rates pages)."""

    LIMITS: ClassVar[tuple[str, ...]] = ("lcp", "fcp", "cls", "inp", "fid", "page_load")
    kind: Literal["frontend"]
    percentile: float = Field(default=75, ge=50, lt=100)
    lcp: TimeLimit | None = None
    fcp: TimeLimit | None = None
    cls: ScoreLimit | None = None
    inp: TimeLimit | None = None
    fid: TimeLimit | None = None
    page_load: TimeLimit | None = None
    metrics: FrontendMetrics = FrontendMetrics()


class BackendMetrics(StrictModel):
    """Where the backend signals come from (OpenTelemetry HTTP and database client histograms by default)."""

    requests: str = "http_server_request_duration_seconds"
    status_label: LabelName = "http_response_status_code"
    error_status: str = Field(default="5..", description="regular expression of the failing status codes")
    db_queries: str = "db_client_operation_duration_seconds"


class BackendBudget(_Budget):
    """API p99 latency, database query p95, error rate and throughput against its baseline."""

    LIMITS: ClassVar[tuple[str, ...]] = ("api_p99", "db_query_p95", "error_rate", "throughput")
    kind: Literal["backend"]
    api_p99: TimeLimit | None = None
    db_query_p95: TimeLimit | None = None
    error_rate: RatioLimit | None = None
    throughput: ThroughputLimit | None = None
    metrics: BackendMetrics = BackendMetrics()


class InfrastructureMetrics(StrictModel):
    """Network latency histogram (goldpinger's peer round trips by default); the rest is node-exporter."""

    network_latency: str = "goldpinger_peers_response_time_s"


class InfrastructureBudget(_Budget):
    """Utilisation as "X% of the time under Y%" for CPU, memory and disk I/O, and internal network latency."""

    LIMITS: ClassVar[tuple[str, ...]] = ("cpu", "memory", "disk_io", "network_latency_p99")
    kind: Literal["infrastructure"]
    cpu: UtilisationLimit | None = None
    memory: UtilisationLimit | None = None
    disk_io: UtilisationLimit | None = None
    network_latency_p99: TimeLimit | None = None
    metrics: InfrastructureMetrics = InfrastructureMetrics()


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
