"""Every values path the program sets must be one the chart reads.

Helm ignores a key no template reads: a misspelt `replicaCont: 3` renders without a word and the release runs with
the chart's default. A path counts as read when the chart's `values.yaml` or `values.schema.json` declares it (or a
free-form map above it), when a template or helper of the chart refers to it or to a map above it
(`.Values.a.b`, `index .Values "a" "b"`), or when it is a dependency's condition; a path under a subchart's name is
looked up in that subchart, `global` in every chart.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from render import yamlio

_DOTTED = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_INDEX = re.compile(r'index\s+\$?\.Values((?:\s+"[^"]+")+)')
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass
class ChartModel:
    """What a chart declares and reads, and its subcharts by the name their values live under."""

    name: str
    defaults: dict
    schema: dict | None
    references: set[tuple[str, ...]]
    conditions: set[tuple[str, ...]]
    subcharts: dict[str, ChartModel] = field(default_factory=dict)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _tar_files(data: bytes) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                # Archives hold one top-level folder named after the chart.
                out[member.name.split("/", 1)[1] if "/" in member.name else member.name] = tar.extractfile(member).read()
    return out


def _model(files: dict[str, bytes]) -> ChartModel:
    meta = yamlio.load(files["Chart.yaml"])
    defaults = yamlio.load(files.get("values.yaml", b"{}")) or {}
    schema = json.loads(files["values.schema.json"]) if "values.schema.json" in files else None
    references: set[tuple[str, ...]] = set()
    own = {k: v for k, v in files.items() if not k.startswith("charts/")}
    for name, data in own.items():
        if name.startswith("templates/") or name.endswith(".tpl"):
            text = data.decode(errors="replace")
            references |= {tuple(m.group(1).split(".")[1:]) for m in _DOTTED.finditer(text)}
            references |= {tuple(_QUOTED.findall(m.group(1))) for m in _INDEX.finditer(text)}
    dependencies = meta.get("dependencies") or []
    conditions = {tuple(c.strip().split(".")) for d in dependencies for c in str(d.get("condition") or "").split(",") if c.strip()}
    model = ChartModel(meta["name"], defaults, schema, references, conditions)
    # Subcharts: folders and archives under charts/, each under its dependency's alias or name.
    aliases = {d["name"]: d.get("alias") or d["name"] for d in dependencies}
    grouped: dict[str, dict[str, bytes]] = {}
    for name, data in files.items():
        if not name.startswith("charts/"):
            continue
        rest = name[len("charts/"):]
        if "/" not in rest and rest.endswith(".tgz"):
            sub = _model(_tar_files(data))
            model.subcharts[aliases.get(sub.name, sub.name)] = sub
        elif "/" in rest:
            folder, inner = rest.split("/", 1)
            grouped.setdefault(folder, {})[inner] = data
    for folder, sub_files in grouped.items():
        if "Chart.yaml" in sub_files:
            sub = _model(sub_files)
            model.subcharts[aliases.get(sub.name, sub.name)] = sub
    return model


@cache
def chart_model(chart_dir: Path) -> ChartModel:
    return _model(_files(chart_dir))


def _declared(defaults: object, path: tuple[str, ...]) -> bool:
    node = defaults
    for i, key in enumerate(path):
        if not isinstance(node, dict):
            return False
        if key not in node:
            # Keys added to a map the chart leaves empty (podAnnotations: {}) are free-form.
            return i > 0 and node == {}
        node = node[key]
        if node is None or node == {}:
            return True
    return True


def _in_schema(schema: dict | None, path: tuple[str, ...]) -> bool:
    node = schema
    for key in path:
        if not isinstance(node, dict):
            return False
        props = node.get("properties") or {}
        if key in props:
            node = props[key]
        elif node.get("additionalProperties") not in (None, False) or node.get("patternProperties"):
            return True
        else:
            return False
    return True


def reads(model: ChartModel, path: tuple[str, ...]) -> bool:
    """Whether the chart (or the subchart the path leads into) reads `path`."""
    if path[:1] == ("global",):
        return True  # passed to every chart and subchart; what reads it is theirs to say
    if any(path[:n] in model.references for n in range(1, len(path) + 1)):
        return True
    if path in model.conditions:
        return True
    if path[0] in model.subcharts and len(path) > 1 and reads(model.subcharts[path[0]], path[1:]):
        return True
    return _declared(model.defaults, path) or _in_schema(model.schema, path)


def leaf_paths(values: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path the values set: maps are walked, anything else (lists included) is one value."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from leaf_paths(value, (*prefix, str(key)))
    elif prefix:
        yield prefix


def unread_paths(chart_dir: Path, values: dict) -> list[str]:
    model = chart_model(chart_dir)
    return [".".join(p) for p in leaf_paths(values) if not reads(model, p)]
