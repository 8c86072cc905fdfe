"""PromQL series selectors as values: parsed once when a catalog is read (by promql-parser, the Prometheus parser's
Rust port), printed the same way everywhere.

SLIs and budgets name their metrics with plain selectors (`http_requests_total{code=~"5.."}`) rather than free
PromQL: Pyrra only accepts bare selectors, and the behaviour tests need to know which series to feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import promql_parser
from pydantic import AfterValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
OPERATORS = ("=", "!=", "=~", "!~")
# promql-parser's MatchOp is not hashable; its members convert to distinct ints.
_OPERATOR = {
    int(promql_parser.MatchOp.Equal): "=", int(promql_parser.MatchOp.NotEqual): "!=",
    int(promql_parser.MatchOp.Re): "=~", int(promql_parser.MatchOp.NotRe): "!~",
}


def quote(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.label}{self.op}{quote(self.value)}"

    def matches(self, value: str) -> bool:
        """Whether a series whose label has `value` ("" when absent) is selected, as Prometheus decides it."""
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = re.fullmatch(self.value, value) is not None
        return hit if self.op == "=~" else not hit


MAX_SELECTOR_LENGTH = 1024
MAX_QUERY_LENGTH = 4096
"""Free PromQL written in a catalog (raw SLIs, chaos steady states) is at most this long, for the same reason."""


@dataclass(frozen=True)
class Selector:
    """`metric{label op "value", ...}`: a metric name and its label matchers, in the order written."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Selector:
        if not isinstance(text, str):
            raise ValueError("must be a series selector such as http_requests_total{code=~\"5..\"}")
        text = text.strip()
        if len(text) > MAX_SELECTOR_LENGTH:
            raise ValueError(
                f"longer than {MAX_SELECTOR_LENGTH} characters: rules repeat their selectors, and VictoriaMetrics "
                "refuses queries over 16 KiB (-search.maxQueryLen)"
            )
        # promql-parser refuses a backslash escape inside backticks that Prometheus keeps raw (`5\d+`): such a
        # selector is refused, and is written double-quoted instead (tests/test_promql_selectors.py).
        try:
            expr = promql_parser.parse(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a series selector: {exc}") from None
        # A selector here is a metric name and plain matchers: no `offset` or `@` (the rules add their own ranges),
        # no `or` of matcher sets (Pyrra reads one set), no quoted UTF-8 label names (printed back unquoted).
        if (
            not isinstance(expr, promql_parser.VectorSelector) or not expr.name or expr.offset is not None
            or expr.at is not None or expr.matchers.or_matchers
        ):
            raise ValueError(f"{text!r} is not a series selector: write a metric name with optional label matchers, not an expression")
        matchers = tuple(Matcher(m.name, _OPERATOR[int(m.op)], m.value) for m in expr.matchers.matchers)
        for m in matchers:
            if not LABEL_NAME.match(m.label):
                raise ValueError(f"{text!r} is not a series selector: {m.label!r} is not a Prometheus label name")
            if m.op in ("=~", "!~"):
                # The parser checked RE2's syntax; Matcher.matches and the example series run Python's `re`, which
                # lacks some of it (\pL, \z): such a regex is refused here rather than failing a render.
                try:
                    re.compile(m.value)
                except re.error as exc:
                    raise ValueError(f"{text!r}: label {m.label} has a bad regular expression: {exc}") from None
        seen = [m.label for m in matchers]
        dupes = sorted({label for label in seen if seen.count(label) > 1})
        if dupes:
            raise ValueError(f"{text!r} matches label {dupes[0]} twice")
        return cls(expr.name, matchers)

    def __str__(self) -> str:
        return self.metric + ("{" + ", ".join(map(str, self.matchers)) + "}" if self.matchers else "")

    def labels(self) -> set[str]:
        return {m.label for m in self.matchers}

    def with_metric(self, metric: str) -> Selector:
        return Selector(metric, self.matchers)

    def with_matchers(self, *extra: Matcher) -> Selector:
        """This selector with `extra` matchers appended, except for labels it already matches."""
        own = self.labels()
        return Selector(self.metric, self.matchers + tuple(m for m in extra if m.label not in own))

    def scoped(self, namespace: str, service: str) -> Selector:
        """Scoped to a service's series (VMAgent labels every target with `namespace` and `service`) unless it
        already chooses either label itself."""
        if self.labels() & {"namespace", "service"}:
            return self
        scope = (Matcher("namespace", "=", namespace), Matcher("service", "=", service))
        return Selector(self.metric, scope).with_matchers(*self.matchers)

    def selects(self, metric: str, labels: dict[str, str]) -> bool:
        return metric == self.metric and all(m.matches(labels.get(m.label, "")) for m in self.matchers)

    # Pydantic: a catalog writes selectors as strings; the model holds the parsed value and prints it back.
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Selector:
            if isinstance(value, Selector):
                return value
            try:
                return cls.parse(value)
            except ValueError as exc:
                raise PydanticCustomError("selector", str(exc)) from None

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return {"type": "string", "examples": ['http_requests_total{code=~"5.."}']}


def _label_name(value: str) -> str:
    if not LABEL_NAME.match(value) or value.startswith("__"):
        raise PydanticCustomError("label", f"{value!r} is not a Prometheus label name")
    return value


def number(value: float) -> str:
    """A number as PromQL reads it back exactly: the shortest repr, without a trailing `.0`."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


LabelName = Annotated[str, AfterValidator(_label_name), Field(examples=["category"])]

LabelValue = Annotated[str, Field(max_length=1024)]
"""A label value a catalog adds to rules or matches in them: rules repeat them, and queries stop at 16 KiB."""


# --- Example series: which label values a selector picks ------------------------------------------------------

_CANDIDATES = ("", "other", "x", "0", "1", "200", "500", "ok", "error", "true", "false")


def _regex_example(pattern: str) -> str | None:
    """A short string the regular expression matches in full, or None when the pattern is beyond this sketch."""
    try:
        from re import _parser as parser  # noqa: PLC0415 - the standard library's own regex parser
        from re._constants import ANY, BRANCH, CATEGORY, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN
    except ImportError:  # pragma: no cover - other Python versions fall back to the candidate list
        return None

    def walk(items) -> str | None:
        out = []
        for op, arg in items:
            if op is LITERAL:
                out.append(chr(arg))
            elif op is ANY:
                out.append("0")
            elif op is IN:
                if arg and arg[0][0] is NEGATE:
                    return None
                first = arg[0]
                if first[0] is LITERAL:
                    out.append(chr(first[1]))
                elif first[0] is RANGE:
                    out.append(chr(first[1][0]))
                elif first[0] is CATEGORY:
                    out.append("0")
                else:
                    return None
            elif op is BRANCH:
                got = walk(arg[1][0])
                if got is None:
                    return None
                out.append(got)
            elif op is SUBPATTERN:
                got = walk(arg[-1])
                if got is None:
                    return None
                out.append(got)
            elif op in (MAX_REPEAT, MIN_REPEAT):
                low, _high, sub = arg
                got = walk(sub)
                if got is None:
                    return None
                out.append(got * low)
            else:
                return None
        return "".join(out)

    try:
        got = walk(parser.parse(pattern))
    except Exception:  # noqa: BLE001 - any parser surprise only means "no example"
        return None
    return got if got is not None and re.fullmatch(pattern, got) else None


def satisfying_value(matchers: list[Matcher]) -> str | None:
    """A value of one label that every matcher accepts ("" meaning the label is absent), or None."""
    candidates = [m.value for m in matchers if m.op == "="]
    candidates += [ex for m in matchers if m.op == "=~" for ex in [_regex_example(m.value)] if ex is not None]
    candidates += list(_CANDIDATES)
    return next((c for c in candidates if all(m.matches(c) for m in matchers)), None)


def example_labels(*selectors: Selector) -> dict[str, str] | None:
    """Labels of one series every selector picks (metric names aside), or None when they contradict."""
    by_label: dict[str, list[Matcher]] = {}
    for s in selectors:
        for m in s.matchers:
            by_label.setdefault(m.label, []).append(m)
    out = {}
    for label, matchers in sorted(by_label.items()):
        value = satisfying_value(matchers)
        if value is None:
            return None
        if value:
            out[label] = value
    return out


def labels_inside_not(inside: Selector, outside: Selector) -> dict[str, str] | None:
    """Labels of a series `inside` picks and `outside` does not (same metric), or None when there is none."""
    base = example_labels(inside)
    if base is None:
        return None
    for m in outside.matchers:
        keep = [x for x in inside.matchers if x.label == m.label]
        for value in [*_CANDIDATES, *(x.value for x in keep if x.op == "=")]:
            if all(x.matches(value) for x in keep) and not m.matches(value):
                labels = {k: v for k, v in base.items() if k != m.label}
                if value:
                    labels[m.label] = value
                if inside.selects(inside.metric, labels) and not outside.selects(inside.metric, labels):
                    return labels
    return None
