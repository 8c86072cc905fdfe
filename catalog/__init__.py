"""The organisation's catalogs. A stack names one with `alerting-platform:catalog`: a built-in name or a YAML path."""

from __future__ import annotations

from pathlib import Path

from model.catalog import Organisation
from model.loading import build_catalog, load_catalog

BUILT_IN = ("example",)
"""Catalogs shipped as Python packages under catalog/, named instead of given as a path."""


def load(name_or_path: str, base_dir: Path | None = None) -> Organisation:
    """The catalog a stack names: `example` (the Python example org) or a YAML file or directory of YAML files.

    Relative paths are resolved against `base_dir` (the project directory) when given.
    """
    if name_or_path == "example":
        from catalog import example

        return build_catalog(example.organisation, Path(example.__file__).parent)
    path = Path(name_or_path)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return load_catalog(path)
