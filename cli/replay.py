"""Rule groups replayed over synthetic history: a real VictoriaMetrics on 127.0.0.1 and `vmalert -replay`.

`make bench-eval` and the replay tests load counters into a throw-away VictoriaMetrics (a free port, a temporary
data directory, stopped on exit), replay the rendered rule groups with vmalert over that history, and read back
what the rules recorded and when the alerts fired (vmalert writes `ALERTS` series during a replay).

vmalert replays a group rule by rule, each over the whole range, and writes the results asynchronously: a rule
that reads an earlier recording sees it only once VictoriaMetrics has made it searchable, which
`-replay.rulesDelay` can only guess at. `replay` makes that certain instead: it splits every group into layers
by which recordings each rule reads, replays one layer per vmalert invocation (same group names, intervals and
rules) and has VictoriaMetrics flush after each. Every rule then reads, at every evaluation step, the results
earlier rules produced for that same step, which is what an evaluation without ingestion lag computes.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import yaml

from alerting_facts.labels import RUNBOOK_URL
from cli import tools

MINUTE = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cpu_of(pid: int) -> float:
    """User plus system CPU seconds a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class VictoriaMetrics:
    """A single-node VictoriaMetrics with its own data directory, bound to 127.0.0.1, for one replay session."""

    def __init__(self, workdir: Path | None = None, startup_timeout: float = 30) -> None:
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="replay-vm-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        log = (self.dir / "victoria-metrics.log").open("w")
        self.process = subprocess.Popen(
            [
                str(tools.path("victoria-metrics")),
                f"-storageDataPath={self.dir / 'data'}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y",  # the history is synthetic; keep whatever timestamps it has
                "-search.disableCache",
                # vmalert writes the step where two replay requests meet twice; production VictoriaMetrics
                # deduplicates by its scrape interval (components/victoriametrics.py), this one by the second.
                "-dedup.minScrapeInterval=1s",
                "-loggerLevel=ERROR",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1).read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"victoria-metrics did not start: {(self.dir / 'victoria-metrics.log').read_text()[-2000:]}")
                time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return _cpu_of(self.process.pid)

    def _post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(f"{self.url}{path}", data=body, method="POST")
        urllib.request.urlopen(request, timeout=600).read()

    def import_series(self, series: Iterable[tuple[dict[str, str], list[int], list[float]]], batch: int = 50) -> int:
        """Load (labels with __name__, timestamps in ms, values) through /api/v1/import; returns the sample count."""
        lines, samples = [], 0
        for labels, timestamps, values in series:
            lines.append(json.dumps({"metric": labels, "values": values, "timestamps": timestamps}, separators=(",", ":")))
            samples += len(values)
            if len(lines) >= batch:
                self._post("/api/v1/import", ("\n".join(lines) + "\n").encode())
                lines = []
        if lines:
            self._post("/api/v1/import", ("\n".join(lines) + "\n").encode())
        self.flush()
        return samples

    def import_lines(self, chunks: Iterable[str]) -> None:
        """Load pre-rendered /api/v1/import JSON lines (one series per line)."""
        for chunk in chunks:
            self._post("/api/v1/import", chunk.encode())
        self.flush()

    def flush(self) -> None:
        """Make everything ingested so far searchable."""
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=60).read()

    def get(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=600) as response:
            return json.load(response)

    def export(self, match: str, start: float, end: float) -> list[dict]:
        """Raw samples of every series matching `match`: [{"metric", "values", "timestamps"}]."""
        query = urllib.parse.urlencode({"match[]": match, "start": int(start), "end": int(end)})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=600) as response:
            return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]

    def value_at(self, query: str, at: float) -> list[dict]:
        return self.get("/api/v1/query", query=query, time=int(at))["data"]["result"]


# --- Layering -----------------------------------------------------------------------------------------------


def _reads(expr: str, name: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def layers(group: dict) -> list[list[dict]]:
    """The rules of a group by dependency depth: a rule goes one layer after the last recording it reads."""
    depth: dict[str, int] = {}
    placed: list[tuple[int, dict]] = []
    for rule in group["rules"]:
        level = 1 + max((depth[n] for n in depth if _reads(rule["expr"], n)), default=-1)
        placed.append((level, rule))
        if "record" in rule:
            depth[rule["record"]] = max(depth.get(rule["record"], 0), level)
    count = 1 + max((level for level, _ in placed), default=0)
    return [[rule for level, rule in placed if level == i] for i in range(count)]


def layered_files(groups: list[dict]) -> list[dict]:
    """Rule-file documents, one per layer, each holding that layer of every group (group settings kept)."""
    split = [(group, layers(group)) for group in groups]
    depth = max((len(ls) for _, ls in split), default=0)
    files = []
    for i in range(depth):
        layer_groups = []
        for group, ls in split:
            if i < len(ls) and ls[i]:
                layer_groups.append({**{k: v for k, v in group.items() if k != "rules"}, "rules": ls[i]})
        files.append({"groups": layer_groups})
    return files


# --- Replay -------------------------------------------------------------------------------------------------


@dataclass
class ReplayRun:
    """What one replay cost: CPU seconds of VictoriaMetrics and of vmalert, wall time, vmalert invocations."""

    invocations: int = 0
    vm_cpu: float = 0.0
    vmalert_cpu: float = 0.0
    wall: float = 0.0
    outputs: list[str] = field(default_factory=list)

    @property
    def cpu(self) -> float:
        return self.vm_cpu + self.vmalert_cpu


class ReplayError(Exception):
    pass


def replay_file(vm: VictoriaMetrics, rule_file: Path, start: float, end: float, run: ReplayRun,
                max_points: int = 1000, timeout: float = 1800) -> None:
    """One `vmalert -replay` invocation over [start, end], then a flush; its cost is added to `run`."""
    cpu_vm, cpu_children, wall = vm.cpu_seconds(), _children_cpu(), time.perf_counter()
    proc = subprocess.run(
        [
            str(tools.path("vmalert")),
            f"-rule={rule_file}",
            f"-datasource.url={vm.url}",
            f"-remoteWrite.url={vm.url}",
            f"-replay.timeFrom={iso(start)}",
            f"-replay.timeTo={iso(end)}",
            f"-replay.maxDatapointsPerQuery={max_points}",
            "-replay.rulesDelay=0",
            "-replay.disableProgressBar",
            f"-httpListenAddr=127.0.0.1:{free_port()}",
            "-loggerLevel=ERROR",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    vm.flush()
    run.wall += time.perf_counter() - wall
    run.vmalert_cpu += _children_cpu() - cpu_children
    run.vm_cpu += vm.cpu_seconds() - cpu_vm
    run.invocations += 1
    run.outputs.append(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise ReplayError(f"vmalert -replay {rule_file.name} failed ({proc.returncode}): {(proc.stdout + proc.stderr)[-3000:]}")


def replay(vm: VictoriaMetrics, groups: list[dict], start: float, end: float, workdir: Path,
           max_points: int = 1000) -> ReplayRun:
    """Replay `groups` over [start, end] layer by layer; returns what it cost."""
    run = ReplayRun()
    workdir.mkdir(parents=True, exist_ok=True)
    for i, doc in enumerate(layered_files(groups)):
        path = workdir / f"layer-{i}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        replay_file(vm, path, start, end, run, max_points)
    return run


def invocation_overhead(vm: VictoriaMetrics, start: float, end: float, workdir: Path, interval: str = "1m",
                        repeats: int = 3, max_points: int = 1000) -> ReplayRun:
    """The cost of one replay invocation that evaluates nothing of substance: the median of a few."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "noop.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "noop", "interval": interval, "rules": [
        {"record": "replay:noop", "expr": "vector(0) > 1"}]}]}))
    runs = []
    for _ in range(repeats):
        run = ReplayRun()
        replay_file(vm, path, start, end, run, max_points)
        runs.append(run)
    return sorted(runs, key=lambda r: r.cpu)[len(runs) // 2]


def firing(vm: VictoriaMetrics, start: float, end: float, match: str = '{__name__="ALERTS",alertstate="firing"}',
           keys: tuple[str, ...] = ("alertname", "severity", "slo")) -> dict[tuple[str, ...], list[int]]:
    """Evaluation timestamps (seconds) at which each alert fired, keyed by the given labels."""
    out: dict[tuple[str, ...], list[int]] = {}
    for series in vm.export(match, start, end):
        key = tuple(series["metric"].get(k, "") for k in keys)
        out.setdefault(key, []).extend(int(t // 1000) for t in series["timestamps"])
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def spans(times: list[int], step: int) -> Iterator[tuple[int, int]]:
    """Consecutive runs of evaluation timestamps as (first, last)."""
    if not times:
        return
    first = last = times[0]
    for t in times[1:]:
        if t - last > step:
            yield first, last
            first = t
        last = t
    yield first, last


# --- Catalogs for replays -----------------------------------------------------------------------------------


def organisation(services: list[dict], slo_defaults: dict | None = None):
    """A one-team organisation owning `services` (catalog documents), validated like any catalog."""
    from model.catalog import Organisation

    team = {
        "name": "replay",
        "display_name": "Replay",
        "slack": {"alerts": {"channel": "#replay", "webhook": {"secret": "replay-slack"}},
                  "incidents": {"channel": "#replay", "webhook": {"secret": "replay-slack"}}},
        "oncall": {"rotation": ["oncall@replay.example"]},
        "business_hours": {"timezone": "UTC"},
        "escalation": {"steps": [{"notify": "primary-oncall"}]},
        "services": [
            {"tier": "critical", "impact": {"revenue_affecting": True},
             RUNBOOK_URL: f"https://wiki.replay.example/{s['name']}",
             "dashboard_url": f"https://grafana.replay.example/d/{s['name']}", **s}
            for s in services
        ],
    }
    doc = {"name": "replay", "platform_team": "replay", "security_team": "replay", "teams": [team]}
    if slo_defaults:
        doc["slo_defaults"] = slo_defaults
    return Organisation.model_validate(doc)
