"""Shared fixtures: the project's stacks and catalogs, and helpers to write catalogs that are wrong on purpose."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
STACKS = ("dev", "prod")
SMALL_CATALOG = DATA / "catalogs" / "small.yaml"


@pytest.fixture
def small_catalog_doc() -> dict:
    """The small test catalog as a plain document, to be mutated by a test."""
    return copy.deepcopy(yaml.safe_load(SMALL_CATALOG.read_text()))


def stack_values(stack: str, catalog: Path | str | None = None, **overrides) -> dict:
    """Decoded config of `Pulumi.<stack>.yaml` as the program reads it, secrets as placeholders.

    `catalog` replaces the stack's catalog; other keyword arguments replace `alerting-platform:<key>` values.
    """
    from cli import recorder
    from stacks.config import decode

    config, _, _ = recorder.stack_config(stack, {"catalog": str(catalog)} if catalog else None)
    values = {k: decode(v) for k, v in config.items()}
    values.update({f"alerting-platform:{k}": v for k, v in overrides.items()})
    return values


def write_yaml(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
