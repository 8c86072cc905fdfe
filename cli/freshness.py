"""Whether a build directory is up to date, decided without importing the program: a render that changes nothing
costs a digest of its inputs and a stat of the files it wrote."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from alerting_facts.names import PROJECT

PROJECT_DIR = Path(__file__).resolve().parent.parent
SOURCE_FILE = ".source.json"
"""What a build directory was rendered from (stack, catalog), so `check` generates the behaviour tests of the same."""
STATE_FILE = ".written.json"
"""What the last write put in a build directory: path -> [size, mtime_ns, sha1], to leave unchanged files alone."""


def overrides(catalog: Path | None) -> dict[str, str]:
    """The stack config a `--catalog` option replaces."""
    # absolute(), not resolve(): a symlink loop is the loader's to report, with the file it names.
    return {"catalog": str(catalog.absolute())} if catalog else {}


INPUT_DIRS = ("behaviour", "catalog", "charts/index", "cli", "components", "model", "packages", "policies", "render", "routing", "stacks")
"""What a render reads besides the stack's config and an outside catalog: the program and its data."""
INPUT_FILES = ("__main__.py", "Pulumi.yaml", "charts/charts.lock.yaml")


def inputs_digest(stack: str, catalog: Path | None = None) -> str:
    """A digest of everything `render` reads for `stack`: the program's sources and data, the stack's config and the
    catalog it names (or `catalog`), so an unchanged digest means an unchanged render."""
    import yaml

    stack_file = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    try:
        config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        config = {}  # the render that follows reports the stack file's problem
    config = {**config, **{f"{PROJECT}:{k}": v for k, v in overrides(catalog).items()}}
    paths = [PROJECT_DIR / f for f in (*INPUT_FILES, stack_file.name)]
    for d in INPUT_DIRS:
        paths.extend(p for p in (PROJECT_DIR / d).rglob("*") if "__pycache__" not in p.parts)
    named = Path(str(config.get(f"{PROJECT}:catalog", "")))
    for root in {p for p in (catalog, named if str(named) not in ("", ".") else None) if p is not None}:
        root = root if root.is_absolute() else PROJECT_DIR / root
        paths.extend(root.rglob("*") if root.is_dir() else [root])
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for path in sorted(set(paths)):
        if path.is_file():
            digest.update(f"\0{path}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def unchanged(out_dir: Path, digest: str) -> bool:
    """Whether `out_dir` holds, untouched, what a render with inputs `digest` writes."""
    try:
        source = json.loads((out_dir / SOURCE_FILE).read_text())
        state = json.loads((out_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return False
    if source.get("inputs") != digest:
        return False
    for rel, known in state.items():
        try:
            stat = (out_dir / rel).stat()
        except OSError:
            return False
        if known[:2] != [stat.st_size, stat.st_mtime_ns]:
            return False
    return True


