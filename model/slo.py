"""Service level objectives as teams write them, and the burn-rate windows each one alerts on.

An SLO says what share of events must be good (`objective`, in percent) over a rolling `period`. What "good"
means is its SLI: a ratio of counters, a latency or freshness threshold on a histogram, or a raw error-ratio
query. Exactly one engine owns its alerts: the platform's own generator (`native`, the default), Sloth or Pyrra.

The window math lives here, next to the types, because validation needs it: a tier that can never fire (its
threshold is above a 100% error ratio), one that fires only after the whole budget is spent, or a window longer than
the period is a catalog error, not a surprise in
production. See docs/slo.md for the profiles and why each behaves as it does at every period.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from alerting_facts import labels as label_names
from model.base import Duration, EvaluationInterval, Lookback, Name, PendingDuration, Period, PositiveDuration, StrictModel
from model.errors import Loc
from model.promql import MAX_QUERY_LENGTH, LabelName, LabelValue, Selector

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


class Engine(StrEnum):
    """Who turns an SLO into burn-rate alerts; the other two keep their CRs without alerting."""

    native = "native"
    sloth = "sloth"
    pyrra = "pyrra"


class AlertTier(StrEnum):
    """An SLO alert's tier, in Sloth's vocabulary: a page wakes someone up, a ticket waits for working hours. Not
    an alert's `severity` label (model.catalog.Severity): a page tier fires critical, a ticket tier warning."""

    page = "page"
    ticket = "ticket"


class BurnBasis(StrEnum):
    """What a burn rate measures. `budget` (the native default): errors in the window against the budget the
    period's average traffic allows for that long a window, so a quiet window cannot page on a couple of errors.
    `ratio` (Sloth's and Pyrra's): the window's own error ratio against the objective's, every window weighing
    the same however few events it saw."""

    budget = "budget"
    ratio = "ratio"


class EvaluationForm(StrEnum):
    """How the rules compute each alert window; both give the same value at every evaluation. `cascaded` (the
    default) records error and event rates once per evaluation interval from the raw series and sums those
    recordings over every longer window; `direct` reads each window straight from the raw series, as Sloth does."""

    cascaded = "cascaded"
    direct = "direct"


# --- SLIs -----------------------------------------------------------------------------------------------------


class Kinded(StrictModel):
    """A member of a union told apart by `kind`: written out in YAML, implied by the class in Python."""

    @model_validator(mode="before")
    @classmethod
    def _implied_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" not in data:
            return {"kind": get_args(cls.model_fields["kind"].annotation)[0], **data}
        return data



class RatioSLI(Kinded):
    """Good or bad events over all events, from counters: `errors`/`total` or `good`/`total`."""

    kind: Literal["ratio"]
    total: Selector = Field(description="counter of all events, e.g. http_requests_total")
    errors: Selector | None = Field(default=None, description="counter of bad events")
    good: Selector | None = Field(default=None, description="counter of good events")

    @model_validator(mode="after")
    def _one_of_errors_or_good(self) -> RatioSLI:
        if (self.errors is None) == (self.good is None):
            raise ValueError("give exactly one of `errors` or `good` next to `total`")
        return self


class LatencySLI(Kinded):
    """Requests served faster than `under`, from a Prometheus histogram in seconds (a bucket boundary)."""

    kind: Literal["latency"]
    histogram: Selector = Field(description="the histogram's name without _bucket/_count, with optional matchers")
    under: PositiveDuration = Field(description="a bucket boundary of the histogram, e.g. 500ms")


class FreshnessSLI(Kinded):
    """Data processed within `within` of being produced, from a histogram of data age (lag) in seconds."""

    kind: Literal["freshness"]
    histogram: Selector = Field(description="histogram of the age of each record when processed, in seconds")
    within: PositiveDuration = Field(description="a bucket boundary of the histogram, e.g. 1h")


class RawFixture(StrictModel):
    """How behaviour tests drive a raw query: a gauge holding the good (or bad) share, or two counters."""

    gauge: Selector | None = Field(default=None, description="a gauge whose value over time is the SLI")
    meaning: Literal["good", "bad"] = "good"
    errors: Selector | None = None
    total: Selector | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> RawFixture:
        counters = self.errors is not None and self.total is not None
        if (self.gauge is not None) == counters or (self.errors is None) != (self.total is None):
            raise ValueError("give either `gauge` (with `meaning`) or both `errors` and `total`")
        return self


class RawSLI(Kinded):
    """Any PromQL that yields the error ratio over `{{.window}}`, as Sloth's raw SLIs do."""

    kind: Literal["raw"]
    error_ratio_query: str = Field(max_length=MAX_QUERY_LENGTH, description="PromQL with {{.window}} where the range goes")
    fixture: RawFixture = Field(description="what the generated behaviour tests feed the query")

    @field_validator("error_ratio_query")
    @classmethod
    def _has_window(cls, query: str) -> str:
        if "{{.window}}" not in query:
            raise ValueError("must contain {{.window}} where the range goes, e.g. avg_over_time(up[{{.window}}])")
        return query


SLI = Annotated[RatioSLI | LatencySLI | FreshnessSLI | RawSLI, Field(discriminator="kind")]


# --- Alerting profiles ----------------------------------------------------------------------------------------


class BurnTier(StrictModel):
    """One multi-window tier of a custom profile: alert when both windows burn faster than `factor`."""

    severity: AlertTier
    factor: float = Field(ge=1, description="burn rate: 1 spends exactly the budget over the period")
    long: PositiveDuration
    short: PositiveDuration | None = Field(default=None, description="default: long/12, at least 1m")


class CustomProfile(StrictModel):
    """Tiers with fixed windows and factors, e.g. page at 10x and 5x, ticket at 2x."""

    tiers: list[BurnTier] = Field(min_length=1)


class ErrorBudgetPolicy(StrictModel):
    """What the remaining budget means for change: below `freeze_below` deployments freeze."""

    freeze_below: float = Field(
        default=0.0, ge=0, lt=1, description="remaining budget share under which deployments freeze (0: when exhausted)"
    )
    trend_window: Lookback = Field(default=Duration.of(days=1), description="range of the burn trend")


class SLOAlerting(StrictModel):
    """How an SLO alerts; unset fields take the organisation's `slo_defaults`."""

    engine: Engine | None = None
    profile: str | None = Field(default=None, description="workbook, pyrra or a profile in slo_defaults.profiles")
    page: bool = True
    ticket: bool = True
    page_for: PendingDuration = Field(default=Duration(0), description="pending time before a page fires (native only)")
    ticket_for: PendingDuration = Field(default=Duration(0), description="pending time before a ticket fires (native only)")
    min_events: float | None = Field(
        default=None, gt=0, description="low-traffic guard: a tier fires only if its long window saw this many events"
    )
    interval: EvaluationInterval | None = Field(default=None, description="evaluation interval of the SLO's rule group")
    budget_exhausted: bool = Field(default=False, description="also alert (ticket) when no budget remains")
    burn: BurnBasis | None = Field(
        default=None, description="budget: errors against the period traffic's budget; ratio: the window's ratio (Sloth)"
    )
    form: EvaluationForm | None = Field(
        default=None, description="cascaded: windows summed from recorded rates; direct: each window from the raw series"
    )


class SLO(StrictModel):
    """A promise about one service: `objective` percent of events good over every rolling `period`."""

    name: Name
    description: str = ""
    objective: float = Field(gt=0, lt=100, description="percent, e.g. 99.9")
    period: Period = Duration.of(days=30)
    sli: SLI
    labels: dict[LabelName, LabelValue] = Field(default_factory=dict, description="added to every rule of the SLO")
    owner: Name | None = Field(default=None, description="team that owns the SLO; default: the service's team")
    alerting: SLOAlerting = SLOAlerting()
    policy: ErrorBudgetPolicy | None = Field(default=None, description="default: slo_defaults.policy")

    @field_validator("labels")
    @classmethod
    def _no_reserved_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        clash = sorted(set(labels) & RESERVED_LABELS)
        if clash:
            raise ValueError(f"label {clash[0]!r} is set by the platform; choose another name")
        return labels

    @property
    def budget(self) -> float:
        """The error budget as a ratio, computed as Sloth does so thresholds read the same."""
        return (100 - self.objective) / 100


RESERVED_LABELS = frozenset(
    {label_names.SLOTH_ID, label_names.SLOTH_SERVICE, label_names.SLOTH_SLO, "sloth_window", "sloth_severity",
     label_names.TEAM, label_names.SERVICE, label_names.SEVERITY, label_names.PRIORITY, label_names.SLO, "freeze", "alertname"}
)


class SLODefaults(StrictModel):
    """Organisation-wide SLO settings: the engine and profile SLOs use unless they choose, and custom profiles."""

    engine: Engine = Engine.native
    profile: str = "workbook"
    profiles: dict[Name, CustomProfile] = Field(default_factory=dict)
    policy: ErrorBudgetPolicy = ErrorBudgetPolicy()
    burn: BurnBasis = Field(default=BurnBasis.budget, description="what native burn rates measure (budget or ratio)")
    form: EvaluationForm = Field(default=EvaluationForm.cascaded, description="how windows are evaluated (cascaded or direct)")
    sloth_period: PositiveDuration = Field(
        default=Duration.of(days=30), description="--default-slo-period of the Sloth controller (28d or 30d)"
    )


# --- Window math ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertWindow:
    """One tier as rendered: both windows must burn faster than `factor` times the budget."""

    severity: AlertTier
    short: Duration
    long: Duration
    factor: float

    def threshold(self, budget: float) -> float:
        return self.factor * budget


BUILT_IN_PROFILES = ("workbook", "pyrra")

# The SRE workbook's tiers as Sloth ships them (google-30d.yaml): budget percent spent within the long window.
WORKBOOK_TIERS = (
    (AlertTier.page, 2, Duration.of(hours=1), Duration.of(minutes=5)),
    (AlertTier.page, 5, Duration.of(hours=6), Duration.of(minutes=30)),
    (AlertTier.ticket, 10, Duration.of(days=1), Duration.of(hours=2)),
    (AlertTier.ticket, 10, Duration.of(days=3), Duration.of(hours=6)),
)

# Pyrra's tiers (slo/rules.go Windows): divisors of the SLO window for short, long and `for`, and the factor.
PYRRA_TIERS = (
    (AlertTier.page, 8064, 672, 20160, 14),
    (AlertTier.page, 1344, 112, 2688, 7),
    (AlertTier.ticket, 336, 28, 672, 2),
    (AlertTier.ticket, 112, 7, 224, 1),
)


def _floor_minute(ms: float) -> int:
    return max(MINUTE, int(ms // MINUTE) * MINUTE)


def _round_minute(ms: float) -> int:
    return max(MINUTE, int(round(ms / MINUTE)) * MINUTE)


def _go_round_minute_ns(ns: int) -> int:
    """time.Duration.Round(time.Minute): halves away from zero."""
    step = MINUTE * 1_000_000
    return (ns + step // 2) // step * step


def sloth_windows(period: Duration) -> tuple[AlertWindow, ...]:
    """Sloth's own windows: fixed workbook windows, factor = budget% x period / long window (28d or 30d only)."""
    hours = period.milliseconds / HOUR
    return tuple(
        AlertWindow(sev, short, long, (pct * hours / 100) / (long.milliseconds / HOUR))
        for sev, pct, long, short in WORKBOOK_TIERS
    )


def workbook_windows(period: Duration) -> tuple[AlertWindow, ...]:
    """The workbook tiers at any period: Sloth's factors where they are at least 1, shorter windows where not.

    The factor of a tier is budget% x period / long window: 14.4/6/3/1 at 30d, 43.2/18/9/3 at 90d. Below 1 a
    tier would fire while the service is on track to stay within budget (at 7d the 3d ticket tier would fire
    at 0.23x), so there the long window shrinks to budget% x period (factor 1) and the short one with it.
    """
    out: list[AlertWindow] = []
    hours = period.milliseconds / HOUR
    for sev, pct, long, short in WORKBOOK_TIERS:
        factor = (pct * hours / 100) / (long.milliseconds / HOUR)
        if factor < 1:
            new_long = _floor_minute(pct * period.milliseconds / 100)
            short = Duration(_round_minute(short.milliseconds * new_long / long.milliseconds))
            long = Duration(new_long)
            factor = (pct * hours / 100) / (new_long / HOUR)
        window = AlertWindow(sev, short, long, factor)
        if window not in out and not any((w.severity, w.short, w.long) == (sev, short, long) for w in out):
            out.append(window)
    return tuple(out)


def pyrra_windows(period: Duration, floor: bool = True) -> tuple[AlertWindow, ...]:
    """Pyrra's windows: every window is a fixed fraction of the period (28d gives 5m/1h at 14x), to the minute.

    Pyrra rounds tiny windows to 0s (pyrra-dev/pyrra#1028); with `floor` they stay at least 1m.
    """
    ns = period.milliseconds * 1_000_000
    out = []
    for sev, short_div, long_div, _for_div, factor in PYRRA_TIERS:
        short, long = (_go_round_minute_ns(ns // d) // 1_000_000 for d in (short_div, long_div))
        if floor:
            short, long = max(MINUTE, short), max(MINUTE, long)
        out.append(AlertWindow(sev, Duration(short), Duration(long), float(factor)))
    return tuple(out)


def pyrra_can_window(period: Duration) -> bool:
    """Whether Pyrra's own windows for this period are all at least a minute (from 2d19h12m on)."""
    return all(w.short.milliseconds and w.long.milliseconds for w in pyrra_windows(period, floor=False))


def pyrra_for(period: Duration) -> tuple[Duration, ...]:
    """The `for` of each Pyrra tier at this period."""
    ns = period.milliseconds * 1_000_000
    return tuple(Duration(_go_round_minute_ns(ns // t[3]) // 1_000_000) for t in PYRRA_TIERS)


def custom_windows(profile: CustomProfile) -> tuple[AlertWindow, ...]:
    """A custom profile's tiers as written; the short window defaults to a twelfth of the long one."""
    return tuple(
        AlertWindow(t.severity, t.short or Duration(_round_minute(t.long.milliseconds / 12)), t.long, t.factor)
        for t in profile.tiers
    )


def windows_for(profile: str, period: Duration, custom: dict[str, CustomProfile]) -> tuple[AlertWindow, ...]:
    """The tiers of a profile (built-in or custom) at a period."""
    if profile == "workbook":
        return workbook_windows(period)
    if profile == "pyrra":
        return pyrra_windows(period)
    return custom_windows(custom[profile])


# --- Resolution against the organisation's defaults -------------------------------------------------------------


BASE_INTERVAL = Duration.of(minutes=1)
"""The evaluation interval of SLO rule groups that record error and event rates (unless `alerting.interval`
says otherwise), and the window of those rates: one interval's rates, summed, make every longer window."""


@dataclass(frozen=True)
class ResolvedSLO:
    """An SLO with every default applied: what the renderers work from."""

    slo: SLO
    service: object  # model.catalog.Service; typed loosely to keep this module free of the catalog
    team: object  # the owning model.catalog.Team
    engine: Engine
    profile: str
    windows: tuple[AlertWindow, ...]
    policy: ErrorBudgetPolicy
    burn: BurnBasis = BurnBasis.ratio
    form: EvaluationForm = EvaluationForm.direct

    @property
    def id(self) -> str:
        """Sloth's SLO id, `<service>-<slo>`; also the name of its Sloth and Pyrra objects."""
        return slo_id(self.service.name, self.slo.name)

    @property
    def budget(self) -> float:
        return self.slo.budget

    @property
    def counts_events(self) -> bool:
        """Whether the SLI is made of error and event counters (a raw SLI is a ratio the platform cannot split)."""
        return not isinstance(self.slo.sli, RawSLI)

    @property
    def interval(self) -> Duration:
        """The window of the recorded error and event rates, and the evaluation interval of a cascaded group."""
        return self.slo.alerting.interval or BASE_INTERVAL

    def tiers(self, severity: AlertTier) -> tuple[AlertWindow, ...]:
        return tuple(w for w in self.windows if w.severity == severity)


def slo_id(service: str, slo: str) -> str:
    return f"{service}-{slo}"


def effective_engine(slo: SLO, defaults: SLODefaults) -> Engine:
    return slo.alerting.engine or defaults.engine


def effective_profile(slo: SLO, defaults: SLODefaults) -> str:
    engine = effective_engine(slo, defaults)
    if slo.alerting.profile:
        return slo.alerting.profile
    return {Engine.sloth: "workbook", Engine.pyrra: "pyrra"}.get(engine, defaults.profile)


def effective_burn(slo: SLO, defaults: SLODefaults) -> BurnBasis:
    """Budget or ratio. Sloth and Pyrra measure ratios; a raw SLI has no event counts, its every moment weighs the same."""
    if effective_engine(slo, defaults) != Engine.native or isinstance(slo.sli, RawSLI):
        return BurnBasis.ratio
    return slo.alerting.burn or defaults.burn


def effective_form(slo: SLO, defaults: SLODefaults) -> EvaluationForm:
    """Cascaded or direct. A raw SLI's query cannot be split into rates to sum, so it is always evaluated directly."""
    if isinstance(slo.sli, RawSLI):
        return EvaluationForm.direct
    return slo.alerting.form or defaults.form


def _engine_windows(slo: SLO, defaults: SLODefaults, engine: Engine, profile: str) -> tuple[AlertWindow, ...]:
    if engine == Engine.sloth:
        return sloth_windows(slo.period)
    if engine == Engine.pyrra:
        return pyrra_windows(slo.period, floor=False)
    return windows_for(profile, slo.period, defaults.profiles)


def resolve(org, team, service, slo: SLO) -> ResolvedSLO:
    """`slo` of `service` (owned by `team` unless the SLO names another owner) with the organisation's defaults."""
    defaults: SLODefaults = org.slo_defaults
    engine = effective_engine(slo, defaults)
    profile = effective_profile(slo, defaults)
    windows = _engine_windows(slo, defaults, engine, profile)
    owner = org.team(slo.owner) if slo.owner else team
    return ResolvedSLO(
        slo, service, owner, engine, profile, windows, slo.policy or defaults.policy,
        effective_burn(slo, defaults), effective_form(slo, defaults),
    )


def resolved_slos(org) -> Iterator[ResolvedSLO]:
    """Every SLO of the organisation, resolved, in catalog order."""
    for team in org.teams:
        for service in team.services:
            for slo in service.slos:
                yield resolve(org, team, service, slo)


# --- Cross-checks (called by the Organisation validator) ------------------------------------------------------

SLOTH_PERIODS = (Duration.of(days=28), Duration.of(days=30))


def _describe(w: AlertWindow) -> str:
    return f"the {w.severity.value} tier {w.factor:g}x over {w.short}/{w.long}"


def slo_problems(org) -> Iterator[tuple[Loc, str]]:
    """Everything wrong between SLOs and the rest of the catalog, with field paths."""
    defaults: SLODefaults = org.slo_defaults
    team_names = {t.name for t in org.teams}
    known_profiles = set(BUILT_IN_PROFILES) | set(defaults.profiles)
    if defaults.profile not in known_profiles:
        yield ("slo_defaults", "profile"), _unknown_profile(defaults.profile, known_profiles)
    if defaults.sloth_period not in SLOTH_PERIODS:
        yield ("slo_defaults", "sloth_period"), "Sloth ships windows for 28d and 30d only"
    for name in sorted(set(defaults.profiles) & set(BUILT_IN_PROFILES)):
        yield ("slo_defaults", "profiles", name), f"{name!r} is a built-in profile; choose another name"

    ids: dict[str, Loc] = {}
    for ti, team in enumerate(org.teams):
        for si, service in enumerate(team.services):
            names = [s.name for s in service.slos]
            for i, slo in enumerate(service.slos):
                loc: Loc = ("teams", ti, "services", si, "slos", i)
                if names.index(slo.name) != i:
                    yield loc + ("name",), f"duplicate SLO name {slo.name!r} in service {service.name!r}"
                    continue
                sid = slo_id(service.name, slo.name)
                if sid in ids:
                    yield loc + ("name",), f"SLO id {sid!r} (service-slo) is already used by another SLO"
                ids.setdefault(sid, loc)
                if len(sid) > 128:
                    yield loc + ("name",), f"SLO id {sid!r} is longer than 128 characters"
                if slo.owner and slo.owner not in team_names:
                    yield loc + ("owner",), f"unknown team {slo.owner!r}"
                yield from _sli_problems(slo, service, loc + ("sli",))
                yield from _alerting_problems(slo, defaults, known_profiles, loc)


def _sli_problems(slo: SLO, service, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Selectors that can select nothing, or a part that is not inside its whole."""
    from model.promql import example_labels, labels_inside_not

    ns, name = service.namespace, service.name
    sli = slo.sli
    if isinstance(sli, RawSLI):
        pairs = [("fixture", "errors", sli.fixture.errors, sli.fixture.total)] if sli.fixture.errors else []
        singles = [("fixture", "gauge", sli.fixture.gauge)] if sli.fixture.gauge else []
    elif isinstance(sli, RatioSLI):
        part = "errors" if sli.errors is not None else "good"
        pairs, singles = [(None, part, getattr(sli, part), sli.total)], []
    else:
        pairs, singles = [], [(None, "histogram", sli.histogram)]
    for parent, field, selector in singles:
        where = loc + ((parent,) if parent else ()) + (field,)
        if example_labels(selector.scoped(ns, name)) is None:
            yield where, f"{selector} can select no series"
    for parent, field, part, total in pairs:
        where = loc + ((parent,) if parent else ())
        part_s, total_s = part.scoped(ns, name), total.scoped(ns, name)
        if part_s.metric != total_s.metric:
            for f, sel in ((field, part_s), ("total", total_s)):
                if example_labels(sel) is None:
                    yield where + (f,), f"{sel} can select no series"
        elif example_labels(total_s, part_s) is None:
            yield where + (field,), f"{part_s} must select a part of {total_s}; no series matches both"
        elif labels_inside_not(total_s, part_s) is None:
            yield where + (field,), f"{part_s} selects every series of {total_s}: the ratio could never move"


def _unknown_profile(name: str, known: set[str]) -> str:
    return f"unknown profile {name!r}; profiles are: {', '.join(sorted(known))}"


def _alerting_problems(slo: SLO, defaults: SLODefaults, known_profiles: set[str], loc: Loc) -> Iterator[tuple[Loc, str]]:
    alerting = slo.alerting
    engine = effective_engine(slo, defaults)
    aloc = loc + ("alerting",)
    if alerting.profile and alerting.profile not in known_profiles:
        yield aloc + ("profile",), _unknown_profile(alerting.profile, known_profiles)
        return
    profile = effective_profile(slo, defaults)
    if profile not in known_profiles:
        return  # reported once at slo_defaults.profile
    if engine != Engine.native:
        own = {Engine.sloth: "workbook", Engine.pyrra: "pyrra"}[engine]
        if profile != own:
            yield aloc + ("profile",), f"the {engine.value} engine computes its own windows ({own}); leave profile unset"
        for field, default in (("page_for", Duration(0)), ("ticket_for", Duration(0)), ("min_events", None),
                               ("interval", None), ("budget_exhausted", False)):
            if getattr(alerting, field) != default:
                yield aloc + (field,), f"only the native engine supports {field}; the {engine.value} engine would ignore it"
        if not (alerting.page and alerting.ticket) and engine == Engine.pyrra:
            yield aloc, "Pyrra cannot disable single tiers; use the native or Sloth engine"
    if engine == Engine.sloth and slo.period != defaults.sloth_period:
        yield loc + ("period",), (
            f"the Sloth controller runs with a {defaults.sloth_period} period (slo_defaults.sloth_period); "
            "use the native engine for other periods"
        )
    if alerting.min_events is not None and isinstance(slo.sli, RawSLI) and slo.sli.fixture.total is None:
        yield aloc + ("min_events",), "a raw SLI has no event count; give its fixture `errors` and `total` counters"
    if alerting.burn is not None and engine != Engine.native:
        yield aloc + ("burn",), f"the {engine.value} engine measures burn as the window's error ratio; leave burn unset"
    elif alerting.burn == BurnBasis.budget and isinstance(slo.sli, RawSLI):
        yield aloc + ("burn",), (
            "a raw SLI has no event counts to weigh a window against the period's traffic; use burn: ratio, "
            "or a ratio, latency or freshness SLI"
        )
    if alerting.form is not None and engine == Engine.sloth:
        yield aloc + ("form",), "Sloth computes its own windows; leave form unset"
    elif alerting.form == EvaluationForm.cascaded and isinstance(slo.sli, RawSLI):
        yield aloc + ("form",), "a raw SLI's query cannot be split into error and event rates to cascade; use form: direct"

    windows = _engine_windows(slo, defaults, engine, profile)
    if engine != Engine.sloth and effective_form(slo, defaults) == EvaluationForm.cascaded:
        step = alerting.interval or BASE_INTERVAL
        uneven = sorted({d for w in windows for d in (w.short, w.long) if d.milliseconds % step.milliseconds},
                        key=lambda d: d.milliseconds)
        if uneven:
            yield aloc + ("interval" if alerting.interval else "form",), (
                f"the cascaded form sums {step} rates, and the {uneven[0]} window is not a whole number of {step}; "
                "choose an interval that divides every window, or form: direct"
            )
    where = aloc + ("profile",)
    for w in windows:
        if w.short.milliseconds == 0 or w.long.milliseconds == 0:
            yield loc + ("period",), f"{_describe(w)} rounds to a 0s window at this period; use the native engine"
        elif w.short >= w.long:
            yield where, f"{_describe(w)}: the short window must be shorter than the long one"
        elif w.long.milliseconds > slo.period.milliseconds:
            yield where, f"{_describe(w)}: the long window is longer than the {slo.period} period"
        elif enabled(alerting, w.severity) and w.factor * w.long.milliseconds > slo.period.milliseconds:
            spent = w.factor * w.long.milliseconds / slo.period.milliseconds
            yield where, (
                f"{_describe(w)} spends {spent:.0%} of the {slo.period} budget before it can fire; "
                "shorten its windows or lower its factor"
            )
        if enabled(alerting, w.severity) and w.threshold(slo.budget) >= 1:
            if effective_burn(slo, defaults) == BurnBasis.budget:
                yield where, (
                    f"{_describe(w)} needs errors at {w.threshold(slo.budget):.0%} of the period's average traffic for "
                    f"a {slo.objective:g}% objective: even a total outage cannot fire it; choose a profile with lower factors"
                )
            else:
                yield where, (
                    f"{_describe(w)} needs an error ratio of {w.threshold(slo.budget):.0%} for a {slo.objective:g}% "
                    "objective: it can never fire; choose a profile with lower factors"
                )


def enabled(alerting: SLOAlerting, severity: AlertTier) -> bool:
    return alerting.page if severity == AlertTier.page else alerting.ticket


def le_matcher_value(bound: Duration) -> tuple[str, str]:
    """(operator, value) of the `le` matcher for a bucket boundary in seconds.

    Whole seconds are exposed as `le="2"` by the Prometheus text format and as `le="2.0"` by OpenMetrics (and
    Prometheus 3 normalises to the latter), so those match both spellings.
    """
    seconds = bound.milliseconds / 1000
    if seconds == int(seconds):
        return "=~", f"{int(seconds)}(\\.0)?"
    return "=", repr(seconds)
