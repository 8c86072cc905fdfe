"""The implementation report's performance budgets, checked against the example organisation's shipped rules by
the tools that evaluate them.

For every budget of the report this test writes its own series, a little inside the budget and a little past it,
and states from the report's number alone whether the breach alert must fire: 96% of page loads under 2 s is
within "95% under 2.0 seconds", 94% is not; 86.9% of a day's four-minute evaluations under 70% CPU is within
"85% of time under 70% utilization", 83.1% is not. `promtool test rules` and `vmalert-tool unittest` then run
those expectations against the rule files the platform renders. Nothing here reads the generators' constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import build, tools
from render.yamlio import dump

FRONTEND, BACKEND, NODES = "budget-frontend-web-vitals.yaml", "budget-checkout-api.yaml", "budget-postgres-database-nodes.yaml"
PER_MINUTE = 600  # observations or requests per minute
WEB = {"namespace": "storefront", "service": "frontend"}
API = {"namespace": "payments", "service": "checkout"}
POOL = {"node_pool": "databases", "instance": "db-1:9100"}
CONTAINER = {"namespace": "payments", "pod": "checkout-7d9f8-x2x4q", "container": "app"}
DAY = 24 * 60  # minutes


def labels(metric: str, **pairs: str) -> str:
    return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"


def num(value: float) -> str:
    """Plain decimal notation: the tools' expanding notation reads `8e+09+0x10` differently."""
    return format(value, "f").rstrip("0").rstrip(".") or "0"


def counter(per_minute: float, minutes: int) -> str:
    return f"0+{num(per_minute)}x{minutes}"


def segments(values: list[tuple[int, float]], kind: str) -> str:
    """A counter growing by, or a gauge holding, each value for its number of minutes."""
    out, total = ["0" if kind == "counter" else num(values[0][1])], 0.0
    for minutes, value in values:
        if kind == "counter":
            out.append(f"{num(total + value)}+{num(value)}x{minutes - 1}")
            total += value * minutes
        else:
            out.append(f"{num(value)}+0x{minutes - 1}")
    return " ".join(out)


@dataclass(frozen=True)
class Case:
    """One budget of the report: where it lives, and the series just inside and just past it."""

    file: str
    signal: str
    inside: list[dict]
    past: list[dict]
    eval_time: str
    interval: str = "1m"
    per_node: bool = False


def percentile(metric: str, scope: dict, bound: float, share_inside: float, share_past: float) -> tuple[list[dict], list[dict]]:
    """A histogram whose bucket at the bound holds the given share of the observations: the report's "95% under X"
    holds exactly when at least 95% of them are at or under X."""

    def histogram(share: float) -> list[dict]:
        return [
            {"series": labels(metric + "_bucket", **scope, le=f"{bound:g}"), "values": counter(PER_MINUTE * share, 40)},
            {"series": labels(metric + "_bucket", **scope, le=f"{bound * 2:g}"), "values": counter(PER_MINUTE, 40)},
            {"series": labels(metric + "_bucket", **scope, le="+Inf"), "values": counter(PER_MINUTE, 40)},
        ]

    return histogram(share_inside), histogram(share_past)


def share_of_day(series_of, over_minutes_inside: int, over_minutes_past: int) -> tuple[list[dict], list[dict]]:
    """A utilisation over its level for the first 6 hours (before the day the test looks at) and for the first
    minutes of that day, under it for the rest: 30 hours in all."""

    def day(over_minutes: int) -> list[dict]:
        over_until = 6 * 60 + over_minutes
        return series_of(over_until, 30 * 60 - over_until)

    return day(over_minutes_inside), day(over_minutes_past)


def cpu(over: int, under: int) -> list[dict]:
    # 75% busy is 15 idle seconds a minute, 65% busy 21.
    return [{"series": labels("node_cpu_seconds_total", **POOL, cpu="0", mode="idle"), "values": segments([(over, 15), (under, 21)], "counter")}]


def node_memory(over: int, under: int) -> list[dict]:
    # 85% and 75% of 8 GB used.
    return [
        {"series": labels("node_memory_MemTotal_bytes", **POOL), "values": segments([(over + under, 8e9)], "gauge")},
        {"series": labels("node_memory_MemAvailable_bytes", **POOL), "values": segments([(over, 1.2e9), (under, 2e9)], "gauge")},
    ]


def disk(over: int, under: int) -> list[dict]:
    # 51 and 45 busy seconds a minute: 85% and 75%.
    return [{"series": labels("node_disk_io_time_seconds_total", **POOL, device="nvme0n1"), "values": segments([(over, 51), (under, 45)], "counter")}]


def container_memory(over: int, under: int) -> list[dict]:
    # 850 MB and 700 MB of a 1 GB limit: 85% and 70%.
    return [
        {"series": labels("container_spec_memory_limit_bytes", **CONTAINER), "values": segments([(over + under, 1e9)], "gauge")},
        {"series": labels("container_memory_working_set_bytes", **CONTAINER), "values": segments([(over, 8.5e8), (under, 7e8)], "gauge")},
    ]


def error_rate(fail_inside: float, fail_past: float) -> tuple[list[dict], list[dict]]:
    def requests(failing: float) -> list[dict]:
        code = "http_response_status_code"
        return [
            {"series": labels("http_server_request_duration_seconds_count", **API, **{code: "503"}), "values": counter(PER_MINUTE * failing, 40)},
            {"series": labels("http_server_request_duration_seconds_count", **API, **{code: "200"}), "values": counter(PER_MINUTE * (1 - failing), 40)},
        ]

    return requests(fail_inside), requests(fail_past)


def throughput(ratio_inside: float, ratio_past: float) -> tuple[list[dict], list[dict]]:
    """A week and two hours at 600 requests a minute, then three hours at a share of that: two hours into the
    drop, the same hour last week served 600 a minute."""

    def week_then(ratio: float) -> list[dict]:
        week = 7 * DAY + 120
        series = labels("http_server_request_duration_seconds_count", **API, http_response_status_code="200")
        return [{"series": series, "values": segments([(week, PER_MINUTE), (180, PER_MINUTE * ratio)], "counter")}]

    return week_then(ratio_inside), week_then(ratio_past)


def _case(file, signal, pair, eval_time, interval="1m", per_node=False) -> Case:
    return Case(file, signal, pair[0], pair[1], eval_time, interval, per_node)


# Each block of "over" minutes is a whole number of the 4-minute evaluations the share rules need: a day has 360,
# and the share of them under the level is (1440 - over) / 1440.
REPORT = {
    "Page Load Time: 95% under 2.0 seconds": _case(FRONTEND, "page_load", percentile("page_load_seconds", WEB, 2.0, 0.96, 0.94), "30m"),
    "First Contentful Paint: 95% under 1.5 seconds": _case(
        FRONTEND, "fcp", percentile("web_vitals_fcp_seconds", WEB, 1.5, 0.96, 0.94), "30m"),
    "Largest Contentful Paint: 95% under 2.5 seconds": _case(
        FRONTEND, "lcp", percentile("web_vitals_lcp_seconds", WEB, 2.5, 0.96, 0.94), "30m"),
    "Cumulative Layout Shift: 95% under 0.1": _case(FRONTEND, "cls", percentile("web_vitals_cls", WEB, 0.1, 0.96, 0.94), "30m"),
    "First Input Delay: 95% under 100ms": _case(FRONTEND, "fid", percentile("web_vitals_fid_seconds", WEB, 0.1, 0.96, 0.94), "30m"),
    "API Response Time: 99% under 200ms": _case(
        BACKEND, "api_p99", percentile("http_server_request_duration_seconds", API, 0.2, 0.992, 0.988), "30m"),
    "Database Query Time: 95% under 100ms": _case(
        BACKEND, "db_query_p95", percentile("db_client_operation_duration_seconds", API, 0.1, 0.96, 0.94), "30m"),
    # 99.92% and 99.88% of requests succeed.
    "Error Rate: 99.9% success rate": _case(BACKEND, "error_rate", error_rate(0.0008, 0.0012), "30m"),
    # 96% and 94% of the same hour last week.
    "Throughput: 95% of baseline capacity": _case(BACKEND, "throughput", throughput(0.96, 0.94), "172h", interval="1h"),
    # 116 minutes over: 91.9% of the day under 80%; 172: 88.1%.
    "Memory Usage (backend): 90% of time under 80% utilization": _case(
        BACKEND, "memory", share_of_day(container_memory, 116, 172), "30h", interval="4m"),
    # 188 minutes over: 86.9% of the day under 70%; 244: 83.1%.
    "CPU Usage: 85% of time under 70% utilization": _case(NODES, "cpu", share_of_day(cpu, 188, 244), "30h", "4m", per_node=True),
    "Memory Usage (infrastructure): 90% of time under 80% utilization": _case(
        NODES, "memory", share_of_day(node_memory, 116, 172), "30h", "4m", per_node=True),
    "Disk I/O: 90% of time under 80% utilization": _case(NODES, "disk_io", share_of_day(disk, 116, 172), "30h", "4m", per_node=True),
    "Network Latency: 95% under 10ms internal communication": _case(
        NODES, "network_latency", percentile("goldpinger_peers_response_time_s", {"node_pool": "databases"}, 0.01, 0.96, 0.94), "30m"),
}


@pytest.fixture(scope="module")
def rule_files(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    directory = tmp_path_factory.mktemp("report-budgets")
    files = build.stack_artifacts("dev").rule_files
    for name in {c.file for c in REPORT.values()}:
        (directory / name).write_text(dump(files[name]))
    return directory, files


def _breach(files: dict, case: Case) -> dict:
    """The alert the tools must report: the breach rule's labels and annotations, for the test's node."""
    (group,) = files[case.file]["groups"]
    rule = next(r for r in group["rules"] if r.get("alert") == "PerformanceBudgetBreach" and r["labels"]["signal"] == case.signal)
    alert = {"exp_labels": dict(rule["labels"]), "exp_annotations": dict(rule["annotations"])}
    if case.per_node:
        alert["exp_labels"]["instance"] = POOL["instance"]
        alert["exp_annotations"] = {k: v.replace("{{ $labels.instance }}", POOL["instance"]) for k, v in rule["annotations"].items()}
    return alert


@pytest.mark.parametrize("tool", ["promtool", "vmalert-tool"])
@pytest.mark.parametrize("line", REPORT, ids=list(REPORT))
def test_the_breach_stays_quiet_just_inside_the_reports_budget_and_fires_just_past_it(line, tool, rule_files):
    directory, files = rule_files
    case = REPORT[line]

    def group(series: list[dict], fires: bool) -> dict:
        return {"interval": "1m", "input_series": series, "alert_rule_test": [
            {"eval_time": case.eval_time, "alertname": "PerformanceBudgetBreach", "exp_alerts": [_breach(files, case)] if fires else []}
        ]}

    test = {"rule_files": [case.file], "evaluation_interval": case.interval,
            "tests": [group(case.inside, fires=False), group(case.past, fires=True)]}
    path = directory / f"{case.file.removesuffix('.yaml')}-{case.signal}-test.yaml"
    path.write_text(dump(test))
    if tool == "promtool":
        result = tools.run("promtool", "test", "rules", path.name, cwd=directory)
    else:
        result = tools.run("vmalert-tool", "unittest", "--disableAlertgroupLabel", "--files", path.name, cwd=directory)
    assert result.ok, result.output[-3000:]
