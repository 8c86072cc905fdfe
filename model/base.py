"""Building blocks shared by every user-facing model: strict base classes and the small value types."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerting_facts import durations
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema


class StrictModel(BaseModel):
    """A frozen model that rejects unknown fields: a typo in a catalog is an error, never a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class CamelModel(StrictModel):
    """A strict model whose fields are written in camelCase, the convention of Pulumi stack config."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Duration:
    """A Prometheus duration (30s, 5m, 1h30m, 7d) that knows its length and prints itself the way Prometheus does.

    Read and printed by alerting_facts.durations, the parser the policy pack reads the rendered objects with."""

    __slots__ = ("milliseconds",)

    def __init__(self, milliseconds: int) -> None:
        if milliseconds < 0:
            raise ValueError("a duration cannot be negative")
        object.__setattr__(self, "milliseconds", int(milliseconds))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Duration is immutable")

    @classmethod
    def parse(cls, text: str) -> Duration:
        ms = durations.milliseconds(text.strip()) if isinstance(text, str) else None
        if ms is None:
            raise ValueError(f"{text!r} is not a duration; use a Prometheus duration such as 30s, 5m, 1h30m or 7d")
        return cls(ms)

    @classmethod
    def of(cls, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> Duration:
        return cls(round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000))

    @property
    def seconds(self) -> float:
        return self.milliseconds / 1000

    def __str__(self) -> str:
        return durations.text(self.milliseconds)

    def __repr__(self) -> str:
        return f"Duration({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.milliseconds == self.milliseconds

    def __lt__(self, other: Duration) -> bool:
        return self.milliseconds < other.milliseconds

    def __le__(self, other: Duration) -> bool:
        return self.milliseconds <= other.milliseconds

    def __hash__(self) -> int:
        return hash(self.milliseconds)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Duration:
            if isinstance(value, Duration):
                return value
            if not isinstance(value, str):
                raise PydanticCustomError("duration", "must be a duration string such as 30s, 5m, 1h30m or 7d")
            try:
                parsed = cls.parse(value)
            except ValueError as exc:
                raise PydanticCustomError("duration", str(exc)) from None
            if parsed.milliseconds > MAX_DURATION_MS:
                raise PydanticCustomError(
                    "duration",
                    "must be at most 10y: Prometheus, Alertmanager and VictoriaMetrics hold durations as int64 "
                    "nanoseconds, which end at 292y, and every duration here feeds their arithmetic",
                )
            return parsed

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"type": "string", "pattern": durations.PATTERN, "examples": ["30s", "5m", "1h30m", "7d"]}


MAX_DURATION_MS = 3650 * 86_400_000
"""10y: the longest duration anything in a catalog or stack config may be (see docs/configuration.md#limits)."""


def _positive(d: Duration) -> Duration:
    if d.milliseconds == 0:
        raise PydanticCustomError("duration", "must be longer than 0s")
    return d


def at_most(limit: str, why: str) -> AfterValidator:
    """A validator refusing durations longer than `limit`, saying why that is the limit."""
    bound = Duration.parse(limit)

    def check(d: Duration) -> Duration:
        if d.milliseconds > bound.milliseconds:
            raise PydanticCustomError("duration", f"must be at most {bound}: {why}")
        return d

    return AfterValidator(check)


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]

# Bounds of the durations that become rule windows and pending times. Each is far above what a working alert uses
# and low enough that the behaviour tests generated for it (simulated time in promtool and vmalert-tool) finish.
PendingDuration = Annotated[Duration, at_most("1d", "a rule pending longer than a day alerts on yesterday")]
"""The `for` of an alert rule."""
EvaluationInterval = Annotated[PositiveDuration, at_most("1h", "a rule group evaluated less often than hourly misses whole incidents")]
"""How often a rule group is evaluated."""
RateWindow = Annotated[PositiveDuration, at_most("15m", "the rate window of a live signal; compare longer spans with a baseline")]
"""The range of rate() and histogram_quantile() over live signals."""
Lookback = Annotated[PositiveDuration, at_most("30d", "the longest range a recording rule looks back over")]
"""The range of *_over_time() look-backs such as utilisation shares and burn trends."""
Period = Annotated[PositiveDuration, at_most("365d", "SLO periods run up to a year")]
"""The rolling period of an SLO."""


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone", f"{name!r} is not an IANA time zone such as Europe/Berlin or America/New_York"
        ) from None
    return name


TimeZone = Annotated[str, AfterValidator(_check_timezone), Field(examples=["Europe/Berlin", "UTC"])]
"""An IANA time zone name, checked against the tz database Alertmanager also uses."""

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")]
"""A lower-case DNS-label name: usable as a label value, a Kubernetes name and a receiver name."""

SecretName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")]
"""The name of a secret in the stack's `alerting-platform:secrets` config object."""

Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$")]

EmailAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]

TimeOfDay = Annotated[str, Field(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00", "17:30"])]
