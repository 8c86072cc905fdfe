"""Write `build/<stack>/`: the rendered artifacts plus every object and Helm release the program creates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from cli.engine import Inventory, redact, reveal
from render import Artifacts
from render.yamlio import dump

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
_K8S_TYPE = re.compile(r"^kubernetes:(?!helm\.sh/)[^:]+:[A-Za-z]+$")


def kubernetes_objects(inventory: Inventory) -> list[dict]:
    """Every Kubernetes object the program creates directly (not through Helm), secrets redacted."""
    objects = []
    for res in inventory.resources:
        if not res.custom or not _K8S_TYPE.match(res.type):
            continue
        obj = redact(res.inputs)
        if obj.get("kind") == "Secret":
            # The keys show what the Secret carries; the values exist only in Pulumi's encrypted config and state.
            for field in ("data", "stringData"):
                if field in obj:
                    obj[field] = {key: "" for key in sorted(reveal(res.inputs[field]))}
        objects.append(_ordered(obj))
    return objects


def helm_releases(inventory: Inventory) -> list[dict]:
    """Every Helm release: name, namespace, chart, repository, version and values, secrets redacted."""
    out = []
    for res in inventory.of_type(RELEASE_TYPE):
        inputs = redact(res.inputs)
        out.append(
            {
                "name": inputs.get("name", res.name),
                "namespace": inputs.get("namespace"),
                "chart": inputs.get("chart"),
                "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
                "version": inputs.get("version"),
                "values": sorted_keys(inputs.get("values") or {}),
            }
        )
    return sorted(out, key=lambda r: (r["namespace"] or "", r["name"]))


def sorted_keys(value: Any) -> Any:
    """Inputs come back through protobuf maps, whose key order is not the program's: sort for stable files."""
    if isinstance(value, dict):
        return {k: sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(v) for v in value]
    return value


def _ordered(obj: dict) -> dict:
    obj = sorted_keys(obj)
    head = ["apiVersion", "kind", "metadata"]
    return {**{k: obj[k] for k in head if k in obj}, **{k: v for k, v in obj.items() if k not in head}}


def manifest_file_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    parts = [obj.get("kind", "object"), meta.get("namespace") or "cluster", meta.get("name", "unnamed")]
    return "-".join(re.sub(r"[^a-z0-9.-]+", "-", str(p).lower()) for p in parts) + ".yaml"


def write(out_dir: Path, artifacts: Artifacts, inventory: Inventory) -> dict[str, str]:
    """Replace `out_dir` with the stack's files; returns relative path -> content of everything written."""
    files = dict(artifacts.files())
    for obj in kubernetes_objects(inventory):
        name = f"manifests/{manifest_file_name(obj)}"
        if name in files:
            raise ValueError(f"two objects would be written to {name}")
        files[name] = dump(obj)
    files["releases.yaml"] = dump({"releases": helm_releases(inventory)})

    if out_dir.exists():
        shutil.rmtree(out_dir)
    for rel, text in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return files


def stack_artifacts(stack: str, catalog: Path | None = None) -> Artifacts:
    """What `stack` renders (secrets as placeholders), without running the program; `catalog` replaces its catalog."""
    from cli import engine
    from stacks import from_values
    from stacks.config import decode

    config, _, _ = engine.stack_config(stack, _overrides(catalog))
    return from_values(stack, {k: decode(v) for k, v in config.items()}).artifacts


def _overrides(catalog: Path | None) -> dict[str, str]:
    # absolute(), not resolve(): a symlink loop is the loader's to report, with the file it names.
    return {"catalog": str(catalog.absolute())} if catalog else {}


def render_stack(stack: str, build_dir: Path, catalog: Path | None = None) -> tuple[Inventory, Path, dict[str, str]]:
    """Run the program offline for `stack` and write `build_dir/<stack>/`; `catalog` replaces the stack's catalog."""
    from cli import engine

    inventory = engine.run(stack, _overrides(catalog))
    artifacts = stack_artifacts(stack, catalog)
    target = build_dir / stack
    return inventory, target, write(target, artifacts, inventory)
