"""Per-environment wiring: the selected stack's Pulumi config -> settings, catalog and rendered artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import catalog
import render
from model.catalog import Organisation
from model.errors import InputError
from model.settings import Settings
from stacks.config import PROJECT, check_secrets, decode, parse_settings, render_catalog, validate

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Stack:
    """Everything one environment is built from."""

    name: str
    settings: Settings
    catalog: Organisation
    artifacts: render.Artifacts


def from_values(name: str, values: dict[str, object]) -> Stack:
    """Build a stack from decoded config values; raises InputError naming the stack file and key."""
    source = f"Pulumi.{name}.yaml"
    settings = parse_settings(values, source)
    org = catalog.load(settings.catalog, base_dir=PROJECT_DIR)
    problems = validate(org, settings, source)
    if problems:
        raise InputError(problems)
    artifacts = render_catalog(org, settings)
    check_secrets(settings, org, artifacts, source)
    return Stack(name=name, settings=settings, catalog=org, artifacts=artifacts)


last_loaded: Stack | None = None
"""The Stack the last load_stack() of this process built: the offline runner writes build/ from the very stack the
program ran with, rather than rendering it again."""


def load_stack() -> Stack:
    """The stack `pulumi up` is running, from its config; bad input stops the program with a one-line-per-problem error."""
    global last_loaded
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    keys = {k for k in {**get_config_env(), **CONFIG.get()} if k.startswith(f"{PROJECT}:")}
    config = pulumi.Config(PROJECT)
    values = {key: decode(config.get(key.split(":", 1)[1])) for key in sorted(keys)}
    try:
        last_loaded = from_values(pulumi.get_stack(), values)
        return last_loaded
    except InputError as exc:
        # RunError is reported by the engine as a plain message, without a Python traceback.
        raise pulumi.RunError(str(exc)) from None
