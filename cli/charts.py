"""The vendored Helm charts: `charts/charts.lock.yaml`, the trees under `charts/<name>/` and their digests.

Every chart the program installs is vendored at exactly the version its component pins, so `make check` can render
each release with the real `helm template` offline, and a review sees every change to a chart as a diff.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from stacks import PROJECT_DIR

CHARTS_DIR = PROJECT_DIR / "charts"
LOCK_FILE = CHARTS_DIR / "charts.lock.yaml"


def kept_path(*parts: str) -> Path:
    """Where a check keeps a result between runs: build/.cache/<parts> beside the vendored charts, named by the digest
    of all the result depends on (`make clean` drops them)."""
    return CHARTS_DIR.parent / "build" / ".cache" / Path(*parts)


def keep(path: Path, text: str) -> None:
    """Write a kept result whole or not at all (a file beside it, renamed over it): two checks, or two plans, may keep
    the same one at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


@dataclass(frozen=True)
class Locked:
    """One vendored chart as the lock records it."""

    name: str
    repository: str
    version: str
    entry: dict

    @property
    def path(self) -> Path:
        return CHARTS_DIR / self.name


@cache
def lock() -> dict[str, Locked]:
    """Chart name -> its lock entry."""
    document = yaml.safe_load(LOCK_FILE.read_text())
    return {e["name"]: Locked(e["name"], e["repository"], str(e["version"]), e) for e in document["charts"]}


def tree_digest(root: Path) -> str:
    """sha256 over every file's relative path and content, in path order: equal trees, equal digests."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def chart_dir(name: str, repository: str, version: str) -> Path:
    """The vendored tree of a pinned chart; a clear error when the pin is not what is vendored."""
    locked = lock().get(name)
    if locked is None:
        raise LookupError(f"chart {name} is not vendored: add it to {LOCK_FILE.relative_to(PROJECT_DIR)}")
    if (locked.repository.rstrip("/"), locked.version) != (repository.rstrip("/"), version):
        raise LookupError(
            f"chart {name} is pinned to {version} from {repository}, but {locked.version} from {locked.repository} "
            f"is vendored"
        )
    return locked.path


def published_entry(locked: Locked) -> dict | None:
    """The chart's entry in the copy of its repository's published index, or None where the lock says none exists."""
    index = locked.entry.get("index") or {}
    if "file" not in index:
        return None
    document = yaml.safe_load((CHARTS_DIR / index["file"]).read_text())
    for entry in (document.get("entries") or {}).get(locked.name, []):
        if str(entry.get("version")) == locked.version:
            return entry
    return {}


def problems(name: str) -> list[str]:
    """Why the vendored chart cannot be trusted to be the published one: a tree that is not what was vendored, a
    version its repository never published, a Chart.yaml that disagrees with the published entry."""
    locked = lock()[name]
    found = []
    if not locked.path.is_dir():
        return [f"{locked.path.relative_to(PROJECT_DIR)} is missing"]
    if tree_digest(locked.path) != locked.entry.get("digest"):
        found.append(f"the tree under charts/{name} is not the one the lock records (digest differs): re-vendor it")
    index = locked.entry.get("index") or {}
    if "file" not in index and not index.get("unavailable"):
        found.append("the lock names neither the published index entry nor why none could be had")
    entry = published_entry(locked)
    if entry == {}:
        found.append(f"{name} {locked.version} is not in the published index of {locked.repository}: pin a published version")
    elif entry:
        chart = yaml.safe_load((locked.path / "Chart.yaml").read_text())
        for key in ("version", "appVersion"):
            if str(chart.get(key)) != str(entry.get(key)):
                found.append(f"Chart.yaml says {key} {chart.get(key)}, the published chart {entry.get(key)}")
    return found
