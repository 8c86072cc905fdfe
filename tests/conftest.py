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


def write_yaml(path: Path, doc: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
