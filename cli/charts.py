"""The vendored Helm charts: `charts/charts.lock.yaml`, the trees under `charts/<name>/` and their digests.

Every chart the program installs is vendored at exactly the version its component pins, so `make check` can render
each release with the real `helm template` offline, and a review sees every change to a chart as a diff.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from stacks import PROJECT_DIR

CHARTS_DIR = PROJECT_DIR / "charts"
LOCK_FILE = CHARTS_DIR / "charts.lock.yaml"


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
