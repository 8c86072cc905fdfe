"""Checks of the OpenTelemetry Collector's configuration in a build (`otel/collector.yaml`): every pipeline names
components the configuration defines, nothing is defined for no pipeline, and the chart ships exactly this
configuration (no preset merged into it). Registered with cli.checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from cli.checks import Finding, check
from cli import release_checks  # a module, not its name: cli.checks imports this one while release_checks is loading
from render import yamlio

COLLECTOR_CONFIG = Path("otel") / "collector.yaml"
KINDS = ("receivers", "processors", "exporters")


def collector_problems(config: dict) -> list[str]:
    """What the collector refuses at start (a pipeline or the service naming an undefined component, a pipeline
    without receivers or exporters) and what it would carry for nothing (a component no pipeline uses)."""
    problems: list[str] = []
    service = config.get("service") or {}
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        problems.append("service.pipelines: none: the collector would carry nothing")
    used: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for name, pipeline in pipelines.items():
        signal = name.split("/", 1)[0]
        if signal not in ("metrics", "traces", "logs", "profiles"):
            problems.append(f"service.pipelines.{name}: not a metrics, traces, logs or profiles pipeline")
        for kind in KINDS:
            for component in pipeline.get(kind) or []:
                used[kind].add(component)
                if component not in (config.get(kind) or {}):
                    problems.append(f"service.pipelines.{name}.{kind}: {component!r} is not defined under {kind}")
        for kind in ("receivers", "exporters"):
            if not pipeline.get(kind):
                problems.append(f"service.pipelines.{name}: no {kind}")
    for kind in KINDS:
        for component in sorted(set(config.get(kind) or {}) - used[kind]):
            problems.append(f"{kind}.{component}: defined but in no pipeline")
    for extension in service.get("extensions") or []:
        if extension not in (config.get("extensions") or {}):
            problems.append(f"service.extensions: {extension!r} is not defined under extensions")
    return problems


@check
def otel_collector_config(build_dir: Path) -> Iterator[Finding]:
    """The collector's configuration, then the `relay` configuration the chart renders against it."""
    path = build_dir / COLLECTOR_CONFIG
    if not path.exists():
        return
    config = yamlio.load(path.read_text()) or {}
    problems = collector_problems(config)
    yield Finding("otel collector config", str(COLLECTOR_CONFIG), not problems, "\n".join(problems))
    for release in release_checks.rendered(build_dir):
        if not release.ok or release.release.chart != "opentelemetry-collector":
            continue
        for obj in release.objects:
            if obj.get("kind") == "ConfigMap" and "relay" in (obj.get("data") or {}):
                shipped = yamlio.load(obj["data"]["relay"])
                yield Finding(
                    "otel collector ships its config", f"ConfigMap {obj['metadata']['name']}: relay", shipped == config,
                    "" if shipped == config else f"the chart renders another configuration than {COLLECTOR_CONFIG}:\n{yaml.safe_dump(shipped)}",
                )
